// Run a generated model without writing it anywhere: transpile the TypeScript to CommonJS and
// evaluate it. Generated models import only types, so the JavaScript needs no module at run
// time; the verifier builds and runs hundreds of them this way.
import { MODEL_CONSTANTS, MODEL_FUNCTIONS, type SwitchModel } from './switch-model.js';
import { tsMorph } from './ts-morph-lazy.js';

export class ModelLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/**
 * Transpile (ts.transpileModule: syntax only, no type check) and evaluate a generated model's
 * source, returning its exports. Throws ModelLoadError on a syntax error, on a run-time
 * import, or when a SwitchModel member is missing.
 */
export function loadTsModel(source: string, fileName = 'model.ts'): SwitchModel {
  const { ts } = tsMorph();
  const out = ts.transpileModule(source, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, sourceMap: false, inlineSourceMap: false },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    const text = errors.map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${fileName}${where ? `:${where.line + 1}:${where.character + 1}` : ''}: error: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    throw new ModelLoadError(text.join('\n'));
  }
  const module = { exports: {} as Record<string, unknown> };
  const requireNothing = (id: string): never => {
    throw new ModelLoadError(`${fileName}: imports ${JSON.stringify(id)} at run time; a generated model must only import types`);
  };
  // The code is our own emitter's output for a validated table, evaluated in this process.
  new Function('exports', 'require', 'module', out.outputText)(module.exports, requireNothing, module);
  const exp = module.exports;
  const missing = [
    ...MODEL_FUNCTIONS.filter((f) => typeof exp[f] !== 'function'),
    ...MODEL_CONSTANTS.filter((c) => exp[c] === undefined),
  ];
  if (missing.length) throw new ModelLoadError(`${fileName}: not a switchgen model: missing ${missing.join(', ')}`);
  return exp as unknown as SwitchModel;
}
