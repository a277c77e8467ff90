/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rescue code for aarch64 (see src/rescue.c for the whole story, and
 * src/arch/x86_64-rescue.S: this does the same).
 *
 * pvmmap copies these bytes into a process it holds; they are never run in
 * pvmmap itself, hence .rodata.  Position-independent, no data of its own:
 * x19 points at the thread's record, x20 at the area's head (the thread
 * that holds the journal) or is 0.  A held thread rests at `rest' with
 * every signal blocked; the syscalls pvmmap injects run at `site', and go
 * on to `rest' too.  So whenever the thread runs without pvmmap (pvmmap
 * was killed), it:
 *   1. settles the journal change of the syscall it just ran (x0 is its
 *      result; at rest pvmmap leaves -1 there, a failure),
 *   2. (the journal's holder) undoes every live journal entry, last first,
 *   3. returns to its own context with rt_sigreturn, the only way back on
 *      arm64 that loads every general register, sp, pc and pstate at once
 *      (a branch needs a register of its own), and that puts the thread's
 *      own signal mask back in the same step.
 * The frame for rt_sigreturn is built on the thread's stack, below its own
 * sp, where the kernel would build a signal's frame: ucontext with the
 * mask from the record, the registers from the record's context, and the
 * FP/SIMD record that sys_rt_sigreturn requires, taken from the live
 * q0-q31, fpsr and fpcr (neither pvmmap nor this code touch them, and a
 * syscall keeps them).  uc_stack's flags are an invalid mode, so that
 * restore_altstack leaves the thread's sigaltstack as it is (it ignores
 * every error but EFAULT).  The svc of the vdso's __kernel_rt_sigreturn is
 * the same instruction; this one needs no lookup.
 *
 * Signals stay blocked until the sigreturn's own mask is in force: unlike
 * x86_64's rt_sigprocmask-then-iretq, there is no instant when a handler
 * could run on the rescue code's registers.
 */
#include "rescue_layout.h"

/* The context (REC_CTX on): struct user_pt_regs, x0-x30, sp, pc, pstate. */
#define C_SP          (REC_CTX + 248)
#define CTX_WORDS     34

/* struct rt_sigframe (arch/arm64/kernel/signal.c): siginfo, then ucontext. */
#define F_UC_FLAGS    128
#define F_UC_STACK    144               /* ss_sp, ss_flags (s32), ss_size */
#define F_SS_FLAGS    152
#define F_UC_SIGMASK  168
#define F_MCONTEXT    304               /* fault_address, regs[31], sp, pc, pstate */
#define F_REGS        312
#define F_RESERVED    592               /* the records, 16-aligned */
#define F_FPSR        (F_RESERVED + 8)
#define F_FPCR        (F_RESERVED + 12)
#define F_VREGS       (F_RESERVED + 16)
#define F_END         (F_RESERVED + 528)
#define FRAME_BYTES   4688              /* sizeof(struct rt_sigframe) */

#define FPSIMD_MAGIC  0x46508001
#define FPSIMD_SIZE   528
#define SS_BAD_MODE   4                 /* not 0, SS_ONSTACK nor SS_DISABLE */

#define NR_CLOSE        57
#define NR_RT_SIGRETURN 139

	.section .rodata
	.balign 16
	.globl pv_rescue_aarch64, pv_rescue_aarch64_end
pv_rescue_aarch64:
site:
	svc	#0
rest:
	mov	x21, x0			/* the result */
	mov	x22, #-1		/* the entry the pending change is for: none */
	ldr	x9, [x19, #REC_ARMED]
	cbz	x9, 1f
	cmn	x21, #4095
	b.hs	1f			/* the syscall failed: nothing changed */
	ldr	x22, [x19, #REC_IDX]
1:	cbz	x20, .Lframe		/* not the journal's holder */
	ldr	x23, [x20, #HEAD_JCOUNT]
	cmp	x22, x23
	b.ne	.Lnext
	add	x23, x23, #1		/* a new entry, not counted yet */
.Lnext:
	cbz	x23, .Lframe
	sub	x23, x23, #1
	cmp	x22, x23
	b.ne	2f
	add	x24, x19, #REC_PEND	/* the entry as it is about to be */
	b	3f
2:	ldr	x9, [x20, #HEAD_JOFF]
	add	x24, x20, x9
	add	x24, x24, x23, lsl #ENTRY_SHIFT
3:	ldrsw	x8, [x24, #ENTRY_NR]
	tbnz	x8, #63, .Lnext		/* void */
	ldr	w9, [x24, #ENTRY_FLAGS]
	ldr	x0, [x24, #ENTRY_A0]
	ldr	x1, [x24, #ENTRY_A1]
	ldr	x2, [x24, #ENTRY_A2]
	tst	w9, #ENTRY_F_RESULT
	b.eq	4f
	mov	x0, x21
4:	tst	w9, #ENTRY_F_FDS_AT
	b.ne	.Lfds
	tst	w9, #ENTRY_F_MREMAP
	b.eq	5f
	mov	x4, x2			/* back to a2 */
	mov	x2, x1			/* same length */
	mov	x3, #3			/* MREMAP_MAYMOVE | MREMAP_FIXED */
5:	svc	#0			/* a syscall changes x0 only */
	b	.Lnext
.Lfds:					/* close the x1 descriptors at x0 */
	mov	x10, x0
	mov	x11, x1
6:	cbz	x11, .Lnext
	sub	x11, x11, #1
	ldrsw	x0, [x10, x11, lsl #2]
	tbnz	x0, #63, 6b
	mov	x8, #NR_CLOSE
	svc	#0
	b	6b
.Lframe:
	ldr	x9, [x19, #C_SP]
	mov	x10, #FRAME_BYTES
	sub	x9, x9, x10
	and	x9, x9, #~15
	stp	xzr, xzr, [x9, #F_UC_FLAGS]	/* uc_flags, uc_link */
	stp	xzr, xzr, [x9, #F_UC_STACK]
	mov	x10, #SS_BAD_MODE
	stp	x10, xzr, [x9, #F_SS_FLAGS]	/* ss_flags (and padding), ss_size */
	ldr	x10, [x19, #REC_MASK]
	str	x10, [x9, #F_UC_SIGMASK]
	str	xzr, [x9, #F_MCONTEXT]		/* fault_address */
	add	x10, x19, #REC_CTX
	add	x11, x9, #F_REGS
	mov	x12, #CTX_WORDS
7:	ldr	x13, [x10], #8
	str	x13, [x11], #8
	subs	x12, x12, #1
	b.ne	7b
	mov	x10, #FPSIMD_MAGIC & 0xffff
	movk	x10, #FPSIMD_MAGIC >> 16, lsl #16
	movk	x10, #FPSIMD_SIZE, lsl #32
	str	x10, [x9, #F_RESERVED]
	mrs	x10, fpsr
	str	w10, [x9, #F_FPSR]
	mrs	x10, fpcr
	str	w10, [x9, #F_FPCR]
	add	x10, x9, #F_VREGS
	stp	q0, q1, [x10, #0]
	stp	q2, q3, [x10, #32]
	stp	q4, q5, [x10, #64]
	stp	q6, q7, [x10, #96]
	stp	q8, q9, [x10, #128]
	stp	q10, q11, [x10, #160]
	stp	q12, q13, [x10, #192]
	stp	q14, q15, [x10, #224]
	stp	q16, q17, [x10, #256]
	stp	q18, q19, [x10, #288]
	stp	q20, q21, [x10, #320]
	stp	q22, q23, [x10, #352]
	stp	q24, q25, [x10, #384]
	stp	q26, q27, [x10, #416]
	stp	q28, q29, [x10, #448]
	stp	q30, q31, [x10, #480]
	str	xzr, [x9, #F_END]		/* the terminating record */
	mov	sp, x9
	mov	x8, #NR_RT_SIGRETURN
	svc	#0
	brk	#0				/* a bad frame: SIGSEGV before this */
pv_rescue_aarch64_end:

	.section .note.GNU-stack, "", @progbits
