// Make-format dependency files, as a compiler's -MD -MP writes them: the targets depend on every
// input, and each input gets an empty rule of its own so deleting or renaming one (a template,
// say) does not stop make with "No rule to make target".
import { readIfExists, writeAtomic } from '../emit/files.js';

/** Why a path cannot be written into a makefile, or undefined when it can. */
export function depfileUnsafe(path: string): string | undefined {
  // Control characters and ':' have no portable escape in GNU make's rule syntax.
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character';
  if (path.includes(':')) return "contains ':'";
  return undefined;
}

/** Escape one path for a rule line, as GCC's libcpp does: `\ `, `\#`, `$$` (and `\\` before a space). */
export function makeEscape(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === ' ' || ch === '#') {
      // Backslashes right before a space or # would otherwise escape the escape.
      for (let j = i - 1; j >= 0 && path[j] === '\\'; j--) out += '\\';
      out += `\\${ch}`;
    } else if (ch === '$') out += '$$';
    else out += ch;
  }
  return out;
}

export function formatDepfile(targets: string[], prerequisites: string[]): string {
  const prereqs = [...new Set(prerequisites)];
  const lines = [`${targets.map(makeEscape).join(' ')}:${prereqs.map((p) => ` \\\n  ${makeEscape(p)}`).join('')}`, ''];
  for (const p of prereqs) lines.push(`${makeEscape(p)}:`, '');
  return lines.join('\n');
}

/** Write the depfile (atomically; not at all when its bytes are unchanged). */
export function writeDepfile(file: string, targets: string[], prerequisites: string[]): void {
  const text = formatDepfile(targets, prerequisites);
  if (readIfExists(file) !== text) writeAtomic(file, text);
}

/** The targets of a `generate` run: each output as make will name it (under --out as given). */
export function outputTargets(outDirAsGiven: string, paths: string[]): string[] {
  // Joined as text, not normalised: make compares target names as strings.
  const dir = outDirAsGiven.length > 1 ? outDirAsGiven.replace(/\/+$/, '') : outDirAsGiven;
  return paths.map((p) => (dir === '/' ? `/${p}` : `${dir}/${p}`));
}
