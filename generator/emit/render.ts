// Handlebars, set up once per templates directory: templates lay out plan values; they
// compute nothing. `strict` makes a reference to a value the plan lacks an error, not a blank.
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from '../paths.js';

export type Renderer = (name: string, context: object) => string;

export function createRenderer(dir: string = TEMPLATES_DIR): Renderer {
  const hb = Handlebars.create();
  const partials = join(dir, 'partials');
  for (const f of readdirSync(partials).sort()) {
    if (f.endsWith('.hbs')) hb.registerPartial(f.slice(0, -4), readFileSync(join(partials, f), 'utf8'));
  }
  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  return (name, context) => {
    let t = compiled.get(name);
    if (!t) {
      t = hb.compile(readFileSync(join(dir, name), 'utf8'), { noEscape: true, strict: true });
      compiled.set(name, t);
    }
    return t(context);
  };
}

let shared: Renderer | undefined;

/** Render templates/<name> from the package's own templates. */
export function render(name: string, context: object): string {
  shared ??= createRenderer();
  return shared(name, context);
}

/** Every template file the output depends on (for depfiles and watch mode). */
export function templateFiles(dir: string = TEMPLATES_DIR): string[] {
  const top = readdirSync(dir).filter((f) => f.endsWith('.hbs')).map((f) => join(dir, f));
  const parts = readdirSync(join(dir, 'partials')).filter((f) => f.endsWith('.hbs')).map((f) => join(dir, 'partials', f));
  return [...top, ...parts].sort();
}
