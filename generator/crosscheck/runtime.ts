// The bare-metal runtime linked into every QEMU cross-check image, kept as TypeScript strings so
// it travels with the compiled library (dist/) without a separate asset-copy step.
//
// What it does, in order: install an EL2 vector table that reports every exception instead of
// hanging; print a header (CurrentEL, MIDR_EL1, ID_AA64DFR0_EL1, case count); then for each
// case record in the blob: copy memory regions in, write the case's system registers, load
// x0..x29, enter the routine with `blr` (at EL2, or at EL1 through `eret` when the case asks for
// it) and, once it returns, read the system registers back (before the EL1-run traps are undone,
// so HCR_EL2 reads back what the case set) and dump x0..x30, the system registers and the memory
// regions. After the last case it powers the machine off with PSCI SYSTEM_OFF over SMC (QEMU's
// built-in PSCI uses the SMC conduit when virtualization=on), so QEMU exits by itself.
//
// Output does not go through the PL011 UART: every byte there is an MMIO exit and a host
// write(2), about 1 us a byte, which made the UART the bottleneck (6.4 KB of memory dump per case
// cost 7 ms). Lines are collected in a RAM buffer and leave through semihosting SYS_WRITE0
// (`hlt #0xf000`, enabled with -semihosting-config), whose console the harness points at a file
// chardev. The buffer is flushed after the header, after each case's @C line (so a case that
// hangs is still named), after a fault line and at the end of each case.
//
// Output protocol (one record per line, every number is 16 lower-case hex digits):
//   @SWITCHGEN 1 <CurrentEL> <MIDR_EL1> <ID_AA64DFR0_EL1> <case count>
//   @C <case>
//   @F <phase> <syndrome EL> <vector> <ESR> <ELR> <FAR>     only when the case faulted
//   @G <x0> ... <x30>                                      GPRs after the routine (or at the fault)
//   @S <value> ...                                         system registers, in the case's order
//   @U <index> ...                                         those whose MRS left the destination unchanged
//   @M <hex bytes> | =                                     one line per memory region; "=" if unchanged
//   @E <case> <number of emulated ID_AA64DFR0_EL1 reads>
//   @DONE
//   @PANIC <vector> <ESR_EL2> <ELR_EL2>                    an exception inside the exception handler; powers off
// <phase>: 1 setup, 2 routine, 3 reading system registers back. <syndrome EL> says whether ESR,
// ELR and FAR are the *_EL2 registers (2: the exception was taken to EL2, <vector> indexes
// VBAR_EL2's table) or the *_EL1 ones (1: taken to EL1 during an EL1 run, <vector> indexes
// VBAR_EL1's table). Vector index = 4 * origin (0 current EL SP0, 1 current EL SPx, 2 lower EL
// AArch64, 3 lower EL AArch32) + type (0 sync, 1 IRQ, 2 FIQ, 3 SError).

/** Where the image is linked; RAM below it is free for case memory regions. */
export const IMAGE_BASE = 0x4400_0000n;
/** Case memory regions must lie inside [SCRATCH_BASE, SCRATCH_END). QEMU may put the DTB at RAM base; it is never read. */
export const SCRATCH_BASE = 0x4000_0000n;
export const SCRATCH_END = IMAGE_BASE;
/** RAM given to QEMU (-m); the image, its stacks and buffers live above IMAGE_BASE. */
export const QEMU_RAM_MB = 128;
/** Bytes of output the runtime collects before handing them to the semihosting console. */
export const OUT_BUF_SIZE = 65536;
/** Most system registers one case may name (size of the runtime's read-back buffer). */
export const MAX_SYSREGS_PER_CASE = 1024;

/** Layout of one case record in the blob (byte offsets); harness.ts writes it, the runtime reads it. */
export const RECORD = {
  routine: 0, // index into switchgen_routines
  flags: 8,
  idAa64dfr0: 16,
  sysregCount: 24,
  memoryCount: 32,
  sysregsOffset: 40, // blob-relative offset of (accessor index, value) pairs
  memoryOffset: 48, // blob-relative offset of (address, length, blob-relative data offset) triples
  gprs: 64, // x0..x30, then one pad word
  size: 64 + 32 * 8,
} as const;

export const FLAG_RUN_AT_EL1 = 1n;
export const FLAG_FAKE_ID_AA64DFR0 = 2n;

/** `hvc` immediates the EL1 side uses to talk to the EL2 runtime. */
export const HVC_ROUTINE_DONE = 0x5157;
export const HVC_EL1_EXCEPTION_BASE = 0xe10;

export const LINKER_SCRIPT = `/* switchgen QEMU cross-check image */
ENTRY(_start)
SECTIONS
{
  . = 0x${IMAGE_BASE.toString(16)};
  .text : { *(.text.boot) *(.text .text.*) *(.hyp.text .hyp.text.*) }
  .rodata : ALIGN(16) { *(.rodata .rodata.*) }
  .data : ALIGN(16) { *(.data .data.*) }
  .bss : ALIGN(16) { *(.bss .bss.*) *(COMMON) }
  /DISCARD/ : { *(.note.*) *(.comment) }
}
`;

export const RUNTIME_ASM = String.raw`// switchgen QEMU cross-check runtime (see generator/crosscheck/runtime.ts)
	.equ	SYS_WRITE0, 0x04
	.equ	OUT_BUF_SIZE, ${OUT_BUF_SIZE}
	.equ	PSCI_SYSTEM_OFF, 0x84000008
	.equ	HVC_DONE, ${HVC_ROUTINE_DONE}
	.equ	HVC_EL1_EXC, ${HVC_EL1_EXCEPTION_BASE}
	.equ	REC_ROUTINE, ${RECORD.routine}
	.equ	REC_FLAGS, ${RECORD.flags}
	.equ	REC_DFR0, ${RECORD.idAa64dfr0}
	.equ	REC_NSYS, ${RECORD.sysregCount}
	.equ	REC_NMEM, ${RECORD.memoryCount}
	.equ	REC_SYS, ${RECORD.sysregsOffset}
	.equ	REC_MEM, ${RECORD.memoryOffset}
	.equ	REC_GPRS, ${RECORD.gprs}
	.equ	HCR_RW, (1 << 31)
	.equ	HCR_TID3, (1 << 18)
	// MDCR_EL2.TDE (8), TDA (9), TDOSA (10), TDRA (11): cleared for EL1 runs so debug
	// register accesses at EL1 reach the registers instead of trapping to EL2.
	.equ	MDCR_DEBUG_TRAPS, (0xf << 8)
	// SPSR for entering EL1h with D, A, I and F masked (no debug exceptions at EL1).
	.equ	SPSR_EL1H_MASKED, 0x3c5
	// ESR_EL2 ISS of an MRS from ID_AA64DFR0_EL1 (op0 3, op2 0, op1 0, CRn 0, CRm 5, read),
	// with the Rt field (bits 9:5) masked out.
	.equ	ISS_SYSREG_MASK, 0x3ffc1f
	.equ	ISS_MRS_ID_AA64DFR0, 0x30000b

	.macro	load_case_gprs base
	ldp	x0, x1, [\base, #0]
	ldp	x2, x3, [\base, #16]
	ldp	x4, x5, [\base, #32]
	ldp	x6, x7, [\base, #48]
	ldp	x8, x9, [\base, #64]
	ldp	x10, x11, [\base, #80]
	ldp	x12, x13, [\base, #96]
	ldp	x14, x15, [\base, #112]
	ldp	x16, x17, [\base, #128]
	ldp	x18, x19, [\base, #144]
	ldp	x20, x21, [\base, #160]
	ldp	x22, x23, [\base, #176]
	ldp	x24, x25, [\base, #192]
	ldp	x26, x27, [\base, #208]
	ldp	x28, x29, [\base, #224]
	.endm

	// Store x3..x30 at [x0]; x0..x2 are the caller's business.
	.macro	store_gprs_3_30
	stp	x3, x4, [x0, #24]
	stp	x5, x6, [x0, #40]
	stp	x7, x8, [x0, #56]
	stp	x9, x10, [x0, #72]
	stp	x11, x12, [x0, #88]
	stp	x13, x14, [x0, #104]
	stp	x15, x16, [x0, #120]
	stp	x17, x18, [x0, #136]
	stp	x19, x20, [x0, #152]
	stp	x21, x22, [x0, #168]
	stp	x23, x24, [x0, #184]
	stp	x25, x26, [x0, #200]
	stp	x27, x28, [x0, #216]
	stp	x29, x30, [x0, #232]
	.endm

	// Append the low byte of w\reg to the output buffer (clobbers x6, x7, x9 and the flags); a
	// full buffer is flushed on the spot, keeping x0 and x1 on the stack.
	.macro	out_byte reg
	ldr	x9, =rt_out_pos
	ldr	x7, [x9]
	strb	w\reg, [x7], #1
	str	x7, [x9]
	ldr	x6, =rt_out_buf + OUT_BUF_SIZE
	cmp	x7, x6
	b.lo	9999f
	stp	x0, x1, [sp, #-16]!
	strb	wzr, [x7]
	mov	x0, #SYS_WRITE0
	ldr	x1, =rt_out_buf
	hlt	#0xf000
	str	x1, [x9]
	ldp	x0, x1, [sp], #16
9999:
	.endm

	.section .text.boot, "ax"
	.globl	_start
_start:
	msr	daifset, #0xf
	ldr	x0, =rt_stack_top
	mov	sp, x0
	ldr	x0, =rt_el2_vectors
	msr	vbar_el2, x0
	ldr	x0, =0x30c50830		// SCTLR_EL2: RES1 bits only (MMU, caches, alignment checks off)
	msr	sctlr_el2, x0
	bl	rt_default_traps
	mrs	x0, mdcr_el2
	ldr	x1, =rt_mdcr_boot
	str	x0, [x1]
	isb

	adr	x0, str_header
	bl	rt_puts
	mrs	x0, CurrentEL
	lsr	x0, x0, #2
	bl	rt_puthex_sp
	mrs	x0, midr_el1
	bl	rt_puthex_sp
	mrs	x0, id_aa64dfr0_el1
	bl	rt_puthex_sp
	ldr	x0, =switchgen_case_blob
	ldr	x0, [x0]
	bl	rt_puthex
	bl	rt_newline
	bl	rt_flush

rt_case_loop:
	ldr	x0, =rt_stack_top
	mov	sp, x0
	ldr	x20, =switchgen_case_blob
	ldr	x1, =rt_index
	ldr	x21, [x1]
	ldr	x2, [x20]
	cmp	x21, x2
	b.hs	rt_all_done
	add	x3, x20, #8
	ldr	x3, [x3, x21, lsl #3]
	add	x22, x20, x3
	ldr	x1, =rt_record
	str	x22, [x1]
	ldr	x1, =rt_id_traps
	str	xzr, [x1]
	ldr	x1, =rt_skip_sysregs
	str	xzr, [x1]
	ldr	x1, =switchgen_routines
	ldr	x0, [x22, #REC_ROUTINE]
	ldr	x0, [x1, x0, lsl #3]
	ldr	x1, =rt_routine
	str	x0, [x1]

	adr	x0, str_case
	bl	rt_puts
	mov	x0, x21
	bl	rt_puthex
	bl	rt_newline
	bl	rt_flush

	// Phase 1: memory regions, then system registers in the case's order.
	mov	x0, #1
	bl	rt_set_phase
	ldr	x0, [x22, #REC_FLAGS]
	tbz	x0, #0, 1f
	ldr	x0, =0x30d00800		// SCTLR_EL1: RES1 bits only, EL1 MMU off
	msr	sctlr_el1, x0
1:	ldr	x23, [x22, #REC_NMEM]
	ldr	x24, [x22, #REC_MEM]
	add	x24, x20, x24
2:	cbz	x23, 3f
	ldp	x0, x1, [x24]
	ldr	x2, [x24, #16]
	add	x2, x20, x2
	bl	rt_memcpy
	add	x24, x24, #24
	sub	x23, x23, #1
	b	2b
3:	ldr	x23, [x22, #REC_NSYS]
	ldr	x24, [x22, #REC_SYS]
	add	x24, x20, x24
4:	cbz	x23, 5f
	ldp	x0, x1, [x24]
	ldr	x2, =switchgen_sysreg_writers
	ldr	x2, [x2, x0, lsl #3]
	blr	x2
	add	x24, x24, #16
	sub	x23, x23, #1
	b	4b
5:	isb

	// Phase 2: run the routine.
	mov	x0, #2
	bl	rt_set_phase
	ldr	x0, [x22, #REC_FLAGS]
	tbnz	x0, #0, rt_enter_el1

	ldr	x0, =rt_case_stack_top
	mov	sp, x0
	add	x30, x22, #REC_GPRS
	load_case_gprs x30
	ldr	x30, =rt_routine
	ldr	x30, [x30]
	blr	x30
	// The return address the routine saw in x30 (QemuRunReport.image.returnAddresses[2]).
rt_el2_return:
	// Back at EL2: TPIDR_EL2 holds x0 while x0 addresses the result buffer.
	msr	tpidr_el2, x0
	ldr	x0, =rt_result_gprs
	stp	x1, x2, [x0, #8]
	store_gprs_3_30
	mrs	x1, tpidr_el2
	str	x1, [x0]
	b	rt_after_routine

rt_enter_el1:
	// x0 = flags. HCR_EL2: EL1 is AArch64; TID3 traps ID register reads when faking one.
	mov	x1, #HCR_RW
	tbz	x0, #1, 1f
	orr	x1, x1, #HCR_TID3
1:	msr	hcr_el2, x1
	ldr	x1, =rt_mdcr_boot
	ldr	x1, [x1]
	bic	x1, x1, #MDCR_DEBUG_TRAPS
	msr	mdcr_el2, x1
	ldr	x1, =rt_el1_vectors
	msr	vbar_el1, x1
	ldr	x1, =rt_case_stack_top
	msr	sp_el1, x1
	mov	x1, #SPSR_EL1H_MASKED
	msr	spsr_el2, x1
	ldr	x1, =rt_el1_trampoline
	msr	elr_el2, x1
	isb
	add	x30, x22, #REC_GPRS
	load_case_gprs x30
	ldr	x30, =rt_routine
	ldr	x30, [x30]
	eret

rt_after_routine:
	ldr	x0, =rt_stack_top
	mov	sp, x0
	ldr	x1, =rt_exc_depth
	str	xzr, [x1]
	mov	x0, #3
	bl	rt_set_phase
	ldr	x20, =switchgen_case_blob
	ldr	x1, =rt_record
	ldr	x22, [x1]
	ldr	x23, [x22, #REC_NSYS]
	ldr	x24, [x22, #REC_SYS]
	add	x24, x20, x24
	ldr	x25, =rt_sys_buf
	ldr	x28, =rt_sys_unobservable
	// Each register is read twice, into a destination preset to 0 and then to ~0: a register
	// whose MRS leaves the destination unchanged (QEMU: MDCCINT_EL1) is then told apart.
1:	cbz	x23, 2f
	ldr	x0, [x24]
	ldr	x2, =switchgen_sysreg_readers
	ldr	x26, [x2, x0, lsl #3]
	mov	x0, #0
	blr	x26
	mov	x27, x0
	mov	x0, #-1
	blr	x26
	cmp	x0, x27
	cset	x1, ne
	str	x27, [x25], #8
	str	x1, [x28], #8
	add	x24, x24, #16
	sub	x23, x23, #1
	b	1b
	// Only now undo what an EL1 run set up (HCR_EL2.TID3, MDCR_EL2): at EL2 neither changes
	// what a read returns, and an EL2 case's own HCR_EL2 is then read back as it was left.
2:	bl	rt_default_traps
	mov	x0, #4
	bl	rt_set_phase

rt_print_results:
	ldr	x20, =switchgen_case_blob
	ldr	x1, =rt_record
	ldr	x22, [x1]
	// @G x0..x30
	adr	x0, str_gprs
	bl	rt_puts
	ldr	x23, =rt_result_gprs
	mov	x24, #31
1:	ldr	x0, [x23], #8
	bl	rt_puthex
	sub	x24, x24, #1
	cbz	x24, 2f
	bl	rt_space
	b	1b
2:	bl	rt_newline
	// @S values (not when a fault interrupted setting them up or reading them back)
	ldr	x1, =rt_skip_sysregs
	ldr	x1, [x1]
	cbnz	x1, 5f
	adr	x0, str_sysregs
	bl	rt_puts
	ldr	x23, =rt_sys_buf
	ldr	x24, [x22, #REC_NSYS]
3:	cbz	x24, 4f
	ldr	x0, [x23], #8
	bl	rt_puthex
	sub	x24, x24, #1
	cbz	x24, 4f
	bl	rt_space
	b	3b
4:	bl	rt_newline
	// @U indices of the registers whose read left the destination unchanged, if any
	ldr	x23, =rt_sys_unobservable
	ldr	x24, [x22, #REC_NSYS]
	mov	x25, #0
	mov	x26, #0
41:	cmp	x25, x24
	b.hs	44f
	ldr	x0, [x23, x25, lsl #3]
	cbz	x0, 43f
	cbnz	x26, 42f
	adr	x0, str_unobservable
	bl	rt_puts
	mov	x26, #1
	b	421f
42:	bl	rt_space
421:	mov	x0, x25
	bl	rt_puthex
43:	add	x25, x25, #1
	b	41b
44:	cbz	x26, 5f
	bl	rt_newline
	// @M bytes, one line per region
5:	ldr	x23, [x22, #REC_NMEM]
	ldr	x24, [x22, #REC_MEM]
	add	x24, x20, x24
6:	cbz	x23, 8f
	adr	x0, str_memory
	bl	rt_puts
	ldp	x25, x26, [x24]
	// A region that still holds the case's input is printed as "=".
	ldr	x27, [x24, #16]
	add	x27, x20, x27
	mov	x0, #0
61:	cmp	x0, x26
	b.hs	62f
	ldrb	w1, [x25, x0]
	ldrb	w2, [x27, x0]
	cmp	w1, w2
	b.ne	7f
	add	x0, x0, #1
	b	61b
62:	cbz	x26, 7f
	mov	w0, #'='
	bl	rt_putc
	b	71f
7:	cbz	x26, 71f
	ldrb	w0, [x25], #1
	bl	rt_puthex8
	sub	x26, x26, #1
	b	7b
71:	bl	rt_newline
	add	x24, x24, #24
	sub	x23, x23, #1
	b	6b
	// @E case traps
8:	adr	x0, str_end
	bl	rt_puts
	ldr	x1, =rt_index
	ldr	x0, [x1]
	bl	rt_puthex_sp
	ldr	x1, =rt_id_traps
	ldr	x0, [x1]
	bl	rt_puthex
	bl	rt_newline
	bl	rt_flush
	ldr	x1, =rt_index
	ldr	x0, [x1]
	add	x0, x0, #1
	str	x0, [x1]
	b	rt_case_loop

rt_all_done:
	adr	x0, str_done
	bl	rt_puts
	bl	rt_flush
rt_power_off:
	ldr	x0, =PSCI_SYSTEM_OFF
	smc	#0
	// Not reached under QEMU virt with virtualization=on. (An hvc here would be taken by our own
	// EL2 vectors.) @DONE is out, so the harness keeps the results even if it has to kill QEMU.
1:	wfi
	b	1b

// EL1 side of an EL1 run: x30 holds the routine; report completion to EL2 with an hvc.
	.balign	8
rt_el1_trampoline:
	blr	x30
	// The return address an EL1 routine saw in x30 (QemuRunReport.image.returnAddresses[1]).
rt_el1_return:
	hvc	#HVC_DONE
	b	.

// Helpers. They clobber x0..x9 only and use the stack for the link register where needed.
rt_default_traps:
	mov	x0, #HCR_RW
	msr	hcr_el2, x0
	ldr	x0, =rt_mdcr_boot
	ldr	x0, [x0]
	msr	mdcr_el2, x0
	isb
	ret

rt_set_phase:
	ldr	x1, =rt_phase
	str	x0, [x1]
	ret

// x0 = destination, x1 = length, x2 = source. Byte copies: with the MMU off, RAM is Device
// memory, where the architecture makes unaligned accesses fault (QEMU 7.2 does not check).
rt_memcpy:
	cbz	x1, 2f
1:	ldrb	w3, [x2], #1
	strb	w3, [x0], #1
	subs	x1, x1, #1
	b.ne	1b
2:	ret

// Output helpers: they append to rt_out_buf (see out_byte) and clobber x0..x9 only.
rt_putc:
	out_byte 0
	ret

rt_newline:
	mov	w0, #'\n'
	out_byte 0
	ret

rt_space:
	mov	w0, #' '
	out_byte 0
	ret

rt_puts:
1:	ldrb	w1, [x0], #1
	cbz	w1, 2f
	out_byte 1
	b	1b
2:	ret

// Sixteen hex digits of x0.
rt_puthex:
	mov	x2, #60
1:	lsr	x3, x0, x2
	and	x3, x3, #0xf
	add	x4, x3, #'0'
	add	x5, x3, #('a' - 10)
	cmp	x3, #10
	csel	x4, x5, x4, hs
	out_byte 4
	subs	x2, x2, #4
	b.pl	1b
	ret

rt_puthex_sp:
	mov	x8, x30
	bl	rt_puthex
	mov	x30, x8
	b	rt_space

// Two hex digits of the low byte of x0.
rt_puthex8:
	ubfx	x3, x0, #4, #4
	add	x4, x3, #'0'
	add	x5, x3, #('a' - 10)
	cmp	x3, #10
	csel	x4, x5, x4, hs
	out_byte 4
	and	x3, x0, #0xf
	add	x4, x3, #'0'
	add	x5, x3, #('a' - 10)
	cmp	x3, #10
	csel	x4, x5, x4, hs
	out_byte 4
	ret

// Hand the buffered output to the semihosting console (SYS_WRITE0 of the NUL-terminated
// buffer) and empty the buffer. Clobbers x0, x1, x9.
rt_flush:
	ldr	x9, =rt_out_pos
	ldr	x1, [x9]
	strb	wzr, [x1]
	mov	x0, #SYS_WRITE0
	ldr	x1, =rt_out_buf
	hlt	#0xf000
	str	x1, [x9]
	ret

// ---------------------------------------------------------------------------------------------
// EL2 exception vectors: every entry saves the interrupted GPRs in rt_frame (x0 goes through
// TPIDR_EL2, so a broken SP cannot make the handler fault again) and joins rt_el2_exception
// with x1 = vector index.
	.macro	el2_vector index
	.balign	128
	msr	tpidr_el2, x0
	ldr	x0, =rt_frame
	stp	x1, x2, [x0, #8]
	mov	x1, #\index
	b	rt_el2_exception
	.endm

	.balign	2048
rt_el2_vectors:
	el2_vector 0
	el2_vector 1
	el2_vector 2
	el2_vector 3
	el2_vector 4
	el2_vector 5
	el2_vector 6
	el2_vector 7
	el2_vector 8
	el2_vector 9
	el2_vector 10
	el2_vector 11
	el2_vector 12
	el2_vector 13
	el2_vector 14
	el2_vector 15

// EL1 exception vectors (EL1 runs only): hand the exception to EL2 with an hvc whose
// immediate says which EL1 vector was taken; the GPRs are still the interrupted ones.
	.macro	el1_vector index
	.balign	128
	hvc	#(HVC_EL1_EXC + \index)
	b	.
	.endm

	.balign	2048
rt_el1_vectors:
	el1_vector 0
	el1_vector 1
	el1_vector 2
	el1_vector 3
	el1_vector 4
	el1_vector 5
	el1_vector 6
	el1_vector 7
	el1_vector 8
	el1_vector 9
	el1_vector 10
	el1_vector 11
	el1_vector 12
	el1_vector 13
	el1_vector 14
	el1_vector 15

rt_el2_exception:
	store_gprs_3_30
	mrs	x2, tpidr_el2
	str	x2, [x0]
	ldr	x2, =rt_exc_stack_top
	mov	sp, x2
	mov	x19, x1
	ldr	x2, =rt_exc_depth
	ldr	x3, [x2]
	add	x3, x3, #1
	str	x3, [x2]
	cmp	x3, #2
	b.hi	rt_power_off		// the panic report itself faulted
	b.eq	rt_panic
	mrs	x20, esr_el2
	cmp	x19, #8			// lower EL, AArch64, synchronous
	b.ne	rt_fault_el2
	lsr	x3, x20, #26
	cmp	x3, #0x16		// HVC from EL1
	b.eq	rt_hvc_from_el1
	cmp	x3, #0x18		// MSR/MRS trapped by HCR_EL2.TID3
	b.ne	rt_fault_el2
	ldr	x4, =ISS_SYSREG_MASK
	and	x5, x20, x4
	ldr	x4, =ISS_MRS_ID_AA64DFR0
	cmp	x5, x4
	b.ne	rt_fault_el2
	// Emulate the read: the case's ID_AA64DFR0_EL1 goes into Rt, then skip the MRS.
	ubfx	x5, x20, #5, #5
	ldr	x6, =rt_record
	ldr	x6, [x6]
	ldr	x7, [x6, #REC_DFR0]
	cmp	x5, #31
	b.eq	1f
	ldr	x8, =rt_frame
	str	x7, [x8, x5, lsl #3]
1:	mrs	x4, elr_el2
	add	x4, x4, #4
	msr	elr_el2, x4
	ldr	x4, =rt_id_traps
	ldr	x5, [x4]
	add	x5, x5, #1
	str	x5, [x4]
	ldr	x2, =rt_exc_depth
	str	xzr, [x2]
	ldr	x0, =rt_frame
	ldp	x2, x3, [x0, #16]
	ldp	x4, x5, [x0, #32]
	ldp	x6, x7, [x0, #48]
	ldp	x8, x9, [x0, #64]
	ldp	x10, x11, [x0, #80]
	ldp	x12, x13, [x0, #96]
	ldp	x14, x15, [x0, #112]
	ldp	x16, x17, [x0, #128]
	ldp	x18, x19, [x0, #144]
	ldp	x20, x21, [x0, #160]
	ldp	x22, x23, [x0, #176]
	ldp	x24, x25, [x0, #192]
	ldp	x26, x27, [x0, #208]
	ldp	x28, x29, [x0, #224]
	ldr	x30, [x0, #240]
	ldp	x0, x1, [x0]
	eret

rt_hvc_from_el1:
	and	x3, x20, #0xffff
	mov	x4, #HVC_DONE
	cmp	x3, x4
	b.eq	rt_el1_done
	sub	x4, x3, #HVC_EL1_EXC
	cmp	x4, #16
	b.lo	rt_fault_el1
	b	rt_fault_el2

rt_el1_done:
	bl	rt_copy_frame
	b	rt_after_routine

rt_copy_frame:
	ldr	x0, =rt_frame
	ldr	x1, =rt_result_gprs
	mov	x2, #32
1:	ldr	x3, [x0], #8
	str	x3, [x1], #8
	subs	x2, x2, #1
	b.ne	1b
	ret

rt_fault_el1:
	// x4 = EL1 vector index; the syndrome is in the EL1 registers.
	mov	x23, #1
	mov	x24, x4
	mrs	x25, esr_el1
	mrs	x26, elr_el1
	mrs	x27, far_el1
	b	rt_report_fault

rt_fault_el2:
	mov	x23, #2
	mov	x24, x19
	mov	x25, x20
	mrs	x26, elr_el2
	mrs	x27, far_el2

rt_report_fault:
	adr	x0, str_fault
	bl	rt_puts
	ldr	x0, =rt_phase
	ldr	x0, [x0]
	bl	rt_puthex_sp
	mov	x0, x23
	bl	rt_puthex_sp
	mov	x0, x24
	bl	rt_puthex_sp
	mov	x0, x25
	bl	rt_puthex_sp
	mov	x0, x26
	bl	rt_puthex_sp
	mov	x0, x27
	bl	rt_puthex
	bl	rt_newline
	bl	rt_flush
	bl	rt_copy_frame
	ldr	x0, =rt_phase
	ldr	x0, [x0]
	cmp	x0, #2
	b.eq	rt_after_routine
	// A fault while setting up or reading back: report the GPRs and memory, not the sysregs.
	ldr	x0, =rt_stack_top
	mov	sp, x0
	bl	rt_default_traps
	ldr	x1, =rt_exc_depth
	str	xzr, [x1]
	ldr	x1, =rt_skip_sysregs
	mov	x0, #1
	str	x0, [x1]
	b	rt_print_results

// An exception inside the exception handler: nothing sensible is left to do.
rt_panic:
	adr	x0, str_panic
	bl	rt_puts
	mov	x0, x19
	bl	rt_puthex_sp
	mrs	x0, esr_el2
	bl	rt_puthex_sp
	mrs	x0, elr_el2
	bl	rt_puthex
	bl	rt_newline
	bl	rt_flush
	b	rt_power_off

	.ltorg

	.section .rodata.rt_strings, "a"
str_header:	.asciz	"@SWITCHGEN 1 "
str_case:	.asciz	"@C "
str_gprs:	.asciz	"@G "
str_sysregs:	.asciz	"@S "
str_unobservable:	.asciz	"@U "
str_memory:	.asciz	"@M "
str_end:	.asciz	"@E "
str_fault:	.asciz	"\n@F "
str_done:	.asciz	"@DONE\n"
str_panic:	.asciz	"\n@PANIC "

	.data
	.balign	16
rt_frame:	.space	256
rt_result_gprs:	.space	256
rt_index:	.quad	0
rt_record:	.quad	0
rt_routine:	.quad	0
rt_phase:	.quad	0
rt_exc_depth:	.quad	0
rt_id_traps:	.quad	0
rt_mdcr_boot:	.quad	0
rt_skip_sysregs:	.quad	0
rt_out_pos:	.quad	rt_out_buf

	.bss
	.balign	16
rt_out_buf:	.space	OUT_BUF_SIZE + 16
rt_sys_buf:	.space	8 * ${MAX_SYSREGS_PER_CASE}
rt_sys_unobservable:	.space	8 * ${MAX_SYSREGS_PER_CASE}
	.balign	16
	.space	16384
rt_stack_top:
	.space	8192
rt_exc_stack_top:
	.space	65536
rt_case_stack_top:
`;
