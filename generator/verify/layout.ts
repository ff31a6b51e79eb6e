// Where a verification run puts the vcpu and the host context in memory, and how an address
// in them is named in a divergence report. Derived from the plan (asm-offsets values marked as
// simulation-only in the table), never hard-coded.
import type { AsmPlan } from '../plan/plan.js';

/** Inside QEMU virt RAM (0x4000_0000..), clear of where a harness loads its code. */
export const VCPU_BASE = 0x4020_0000n;
export const HOST_CONTEXT_BASE = 0x4024_0000n;

export interface Layout {
  vcpu: bigint;
  vcpuSize: number;
  /** The guest's context, inside the vcpu at the trigger's context offset (VCPU_CONTEXT). */
  guestContext: bigint;
  hostContext: bigint;
  contextSize: number;
  /** Byte offset of sys_regs[] inside a context (CPU_SYSREGS). */
  sysregsOffset: number;
  flagsAddr: bigint;
  slotNames: Map<number, string>;
}

export function offsetValue(plan: AsmPlan, name: string): number {
  const o = plan.table.asmOffsets.find((x) => x.name === name);
  if (!o) throw new Error(`asm-offsets value ${name} is not in the table`);
  return o.value;
}

export function layoutFor(plan: AsmPlan): Layout {
  const sysregsOffset = offsetValue(plan, plan.baseOffset);
  const contextSize = sysregsOffset + plan.slotBytes * plan.header.nrSysRegs;
  const guestCtxOff = offsetValue(plan, plan.trigger.contextOffset);
  const flagsOff = offsetValue(plan, plan.flags.offset);
  const vcpuSize = Math.max(guestCtxOff + contextSize, flagsOff + 8);
  if (flagsOff < guestCtxOff + contextSize && flagsOff + 8 > guestCtxOff) {
    throw new Error(`${plan.flags.offset} (${flagsOff}) lies inside the guest context at ${plan.trigger.contextOffset} (${guestCtxOff}..${guestCtxOff + contextSize - 1})`);
  }
  return {
    vcpu: VCPU_BASE,
    vcpuSize: roundUp(vcpuSize, 16),
    guestContext: VCPU_BASE + BigInt(guestCtxOff),
    hostContext: HOST_CONTEXT_BASE,
    contextSize: roundUp(contextSize, 16),
    sysregsOffset,
    flagsAddr: VCPU_BASE + BigInt(flagsOff),
    slotNames: new Map(plan.header.slots.map((s) => [s.slot, s.name])),
  };
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** "guest sys_regs[DBGBCR3_EL1] (slot 26)", "vcpu debug flags", or a raw address. */
export function nameAddress(layout: Layout, plan: AsmPlan, addr: bigint): string {
  const inCtx = (base: bigint, who: string): string | undefined => {
    const off = Number(addr - base);
    if (off < 0 || off >= layout.contextSize) return undefined;
    const slotOff = off - layout.sysregsOffset;
    if (slotOff >= 0 && slotOff % plan.slotBytes === 0 && slotOff / plan.slotBytes < plan.header.nrSysRegs) {
      const slot = slotOff / plan.slotBytes;
      return `${who} sys_regs[${layout.slotNames.get(slot) ?? `slot ${slot}`}] (slot ${slot})`;
    }
    return `${who} context + 0x${off.toString(16)}`;
  };
  if (addr === layout.flagsAddr) return `vcpu ${plan.flags.offset} word`;
  return (
    inCtx(layout.guestContext, 'guest') ??
    inCtx(layout.hostContext, 'host') ??
    (addr >= layout.vcpu && addr < layout.vcpu + BigInt(layout.vcpuSize) ? `vcpu + 0x${(addr - layout.vcpu).toString(16)}` : `0x${addr.toString(16)}`)
  );
}
