// Handlebars, set up once: templates lay out plan values; they compute nothing.
import Handlebars from 'handlebars';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES_DIR } from '../paths.js';

let engine: typeof Handlebars | undefined;
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function getEngine(): typeof Handlebars {
  if (engine) return engine;
  const hb = Handlebars.create();
  const partials = join(TEMPLATES_DIR, 'partials');
  for (const f of readdirSync(partials).sort()) {
    if (f.endsWith('.hbs')) hb.registerPartial(f.slice(0, -4), readFileSync(join(partials, f), 'utf8'));
  }
  engine = hb;
  return hb;
}

/** Render templates/<name>; a reference to a value the plan does not have is an error, not a blank. */
export function render(name: string, context: object): string {
  let t = compiled.get(name);
  if (!t) {
    t = getEngine().compile(readFileSync(join(TEMPLATES_DIR, name), 'utf8'), { noEscape: true, strict: true });
    compiled.set(name, t);
  }
  return t(context);
}

/** Every template file the output depends on (for depfiles and watch mode). */
export function templateFiles(): string[] {
  const top = readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.hbs')).map((f) => join(TEMPLATES_DIR, f));
  const parts = readdirSync(join(TEMPLATES_DIR, 'partials')).filter((f) => f.endsWith('.hbs')).map((f) => join(TEMPLATES_DIR, 'partials', f));
  return [...top, ...parts].sort();
}
