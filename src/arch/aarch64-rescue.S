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
 * pvmmap writes the frame for rt_sigreturn when it holds the thread, on
 * the thread's stack below its own sp, where the kernel would build a
 * signal's frame (src/arch/aarch64.c, arch_rescue_frame): the record's
 * context is that frame's address, and this code only points sp at it.
 * Building the frame here took 200 bytes of code and a whole context in
 * each record, which made the area too big for the vdso's tail on arm64.
 * The svc of the vdso's __kernel_rt_sigreturn is the same instruction; this
 * one needs no lookup.
 *
 * Signals stay blocked until the sigreturn's own mask is in force: unlike
 * x86_64's rt_sigprocmask-then-iretq, there is no instant when a handler
 * could run on the rescue code's registers.
 */
#include "rescue_layout.h"

/* The context (REC_CTX): the address of the thread's sigframe. */

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
	ldr	x9, [x19, #REC_CTX]	/* the thread's sigframe, below its sp */
	mov	sp, x9
	mov	x8, #NR_RT_SIGRETURN
	svc	#0
	brk	#0				/* a bad frame: SIGSEGV before this */
pv_rescue_aarch64_end:

	.section .note.GNU-stack, "", @progbits
