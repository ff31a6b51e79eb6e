// ts-morph (with the TypeScript compiler it bundles) costs ~0.3 s to import, so it is loaded
// on first use: `switchgen cpus` and library users that never emit or load TypeScript skip it.
import { createRequire } from 'node:module';
import type * as TsMorph from 'ts-morph';

let loaded: typeof TsMorph | undefined;

export function tsMorph(): typeof TsMorph {
  loaded ??= createRequire(import.meta.url)('ts-morph') as typeof TsMorph;
  return loaded;
}
