// Emit the hyp.S macros and the C headers from the plan.
import type { AsmPlan } from '../plan/plan.js';
import { render, type Renderer } from './render.js';

export const ASM_FILE = 'asm/debug_switch.S';
export const HEADER_FILE = 'include/kvm_debug_switch.h';
export const SIM_OFFSETS_FILE = 'include/asm-offsets-sim.h';

/** What every generated file says about where it came from. */
export interface Provenance {
  tableSource: string;
  tableName: string;
  regenerate: string;
}

function guardFor(file: string): string {
  return `__SWITCHGEN_${file.replace(/^.*\//, '').replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}__`;
}

function common(plan: AsmPlan, prov: Provenance, file: string, headline: string): object {
  return {
    ...plan,
    ...prov,
    headline,
    guard: guardFor(file),
    headerName: HEADER_FILE.replace(/^.*\//, ''),
    asmOffsetsGuard: 'SWITCHGEN_ASM_OFFSETS',
    aarch32: { ...plan.aarch32, registerUpper: plan.aarch32.register.toUpperCase() },
  };
}

export function emitAsm(plan: AsmPlan, prov: Provenance, r: Renderer = render): string {
  return r('debug_switch.S.hbs', common(plan, prov, ASM_FILE, 'hyp.S macros for the KVM/arm64 world switch, with the lazy debug-register switch'));
}

export function emitHeader(plan: AsmPlan, prov: Provenance, r: Renderer = render): string {
  return r('kvm_debug_switch.h.hbs', common(plan, prov, HEADER_FILE, 'Context slots and flag bits for the generated world-switch macros'));
}

export function emitSimOffsets(plan: AsmPlan, prov: Provenance, r: Renderer = render): string {
  return r('asm-offsets-sim.h.hbs', common(plan, prov, SIM_OFFSETS_FILE, 'asm-offsets values for simulation and cross-checks only'));
}
