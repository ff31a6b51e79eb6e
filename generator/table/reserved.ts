// Names the generated code gives a meaning of its own, so that validation can refuse a table or
// CPU file whose names would collide with them (a register called DELETE would name a variable
// `delete` in the TypeScript model; a CPU called `await` would name a module binding `await`).
// The TypeScript emitter (emit/ts.ts) takes its lists from here and refuses clashes too, by
// throwing after the plan is built; validation reports them as positioned diagnostics first.

import { MODEL_CONSTANTS, MODEL_FUNCTIONS } from '../model/switch-model.js';

/** ECMAScript reserved words (strict mode, modules) and the globals a binding must not shadow. */
export const JS_RESERVED: ReadonlySet<string> = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with implements interface let package private ' +
    'protected public static yield await undefined NaN Infinity arguments eval'
  ).split(' '),
);

/** Names every generated TypeScript model (and the models' index) declares itself. */
export const TS_MODEL_NAMES: ReadonlySet<string> = new Set([
  ...MODEL_CONSTANTS,
  ...MODEL_FUNCTIONS,
  'SLOT_BYTES', 'MASK64', 'add64', 'debugStateDirty', 'MachineState', 'CPU_NAMES', 'MODELS', 'SwitchModel',
]);

/** Parameters and locals of the generated routines, which a register's value variable must not shadow. */
export const TS_LOCAL_NAMES: ReadonlySet<string> = new Set([
  'm', 'ctxt', 'vcpu', 'hostCtxt', 'guestCtxt', '_m', '_ctxt', '_vcpu', '_hostCtxt', '_guestCtxt', 'triggered', 'dirty', 'flags',
]);

/** The binding the models' index gives a CPU's module: `cortex-a57` → `cortexA57`. */
export const cpuModuleIdent = (cpu: string): string => cpu.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/^([0-9])/, '_$1');

/** The file name the models' index takes (generated ts/index.ts): no CPU may be called this. */
export const TS_INDEX_NAME = 'index';
