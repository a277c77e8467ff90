/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rescue code for x86_64 (see src/rescue.c for the whole story).
 *
 * pvmmap copies these bytes into a process it holds; they are never run in
 * pvmmap itself, hence .rodata.  Position-independent, no stack, no data of
 * its own: %r12 points at the thread's record, %r13 at the area's head (the
 * thread that holds the journal) or is 0.  A held thread rests at `rest'
 * with every signal blocked; the syscalls pvmmap injects run at `site', and
 * go on to `rest' too.  So whenever the thread runs without pvmmap (pvmmap
 * was killed), it:
 *   1. settles the journal change of the syscall it just ran (%rax is its
 *      result; at rest pvmmap leaves -1 there, a failure),
 *   2. (the journal's holder) undoes every live journal entry, last first,
 *   3. puts its own signal mask back (rt_sigprocmask),
 *   4. reloads every general register from its record and returns to its
 *      own code with iretq, which loads rip, rflags and rsp in one
 *      instruction without touching memory.  No FPU/SSE/AVX register is
 *      touched on the way, so none needs restoring.
 * The context in the record already has an interrupted syscall's restart
 * applied (rip on the syscall instruction, rax its number, or
 * restart_syscall's), so the thread re-enters its syscall as the kernel
 * would have restarted it; restart_block is untouched (no sigreturn).
 */
#include "rescue_layout.h"

/* The context (REC_CTX on), in this order: the iretq frame, then the rest. */
#define C_RIP    (REC_CTX + 0)
#define C_RAX    (REC_CTX + 40)
#define C_RBX    (REC_CTX + 48)
#define C_RCX    (REC_CTX + 56)
#define C_RDX    (REC_CTX + 64)
#define C_RSI    (REC_CTX + 72)
#define C_RDI    (REC_CTX + 80)
#define C_RBP    (REC_CTX + 88)
#define C_R8     (REC_CTX + 96)
#define C_R9     (REC_CTX + 104)
#define C_R10    (REC_CTX + 112)
#define C_R11    (REC_CTX + 120)
#define C_R13    (REC_CTX + 128)
#define C_R14    (REC_CTX + 136)
#define C_R15    (REC_CTX + 144)
#define C_R12    (REC_CTX + 152)

#define NR_CLOSE          3
#define NR_RT_SIGPROCMASK 14
#define SIG_SETMASK       2

	.section .rodata
	.balign 16
	.globl pv_rescue_x86_64, pv_rescue_x86_64_end
pv_rescue_x86_64:
site:
	syscall
rest:
	mov	%rax, %rbx		/* the result */
	mov	$-1, %r14		/* the entry the pending change is for: none */
	cmpq	$0, REC_ARMED(%r12)
	je	1f
	cmp	$-4095, %rbx
	jae	1f			/* the syscall failed: nothing changed */
	mov	REC_IDX(%r12), %r14
1:	test	%r13, %r13
	jz	.Lmask			/* not the journal's holder */
	mov	HEAD_JCOUNT(%r13), %r15
	cmp	%r14, %r15
	jne	.Lnext
	inc	%r15			/* a new entry, not counted yet */
.Lnext:
	test	%r15, %r15
	jz	.Lmask
	dec	%r15
	cmp	%r14, %r15
	jne	2f
	lea	REC_PEND(%r12), %rbp	/* the entry as it is about to be */
	jmp	3f
2:	mov	%r15, %rbp
	shl	$ENTRY_SHIFT, %rbp
	add	%r13, %rbp
	add	HEAD_JOFF(%r13), %rbp
3:	movslq	ENTRY_NR(%rbp), %rax
	test	%rax, %rax
	js	.Lnext			/* void */
	movl	ENTRY_FLAGS(%rbp), %r9d
	mov	ENTRY_A0(%rbp), %rdi
	mov	ENTRY_A1(%rbp), %rsi
	mov	ENTRY_A2(%rbp), %rdx
	test	$ENTRY_F_RESULT, %r9d
	jz	4f
	mov	%rbx, %rdi
4:	test	$ENTRY_F_FDS_AT, %r9d
	jnz	.Lfds
	test	$ENTRY_F_MREMAP, %r9d
	jz	5f
	mov	%rdx, %r8		/* back to a2 */
	mov	%rsi, %rdx		/* same length */
	mov	$3, %r10d		/* MREMAP_MAYMOVE | MREMAP_FIXED */
5:	syscall
	jmp	.Lnext
.Lfds:					/* close the %rsi descriptors at %rdi */
	mov	%rdi, %r8
	mov	%rsi, %r10
6:	test	%r10, %r10
	jz	.Lnext
	dec	%r10
	movslq	(%r8,%r10,4), %rdi
	test	%rdi, %rdi
	js	6b
	mov	$NR_CLOSE, %eax
	syscall
	jmp	6b
.Lmask:
	mov	$NR_RT_SIGPROCMASK, %eax
	mov	$SIG_SETMASK, %edi
	lea	REC_MASK(%r12), %rsi
	xor	%edx, %edx
	mov	$8, %r10d
	syscall
	mov	C_RAX(%r12), %rax
	mov	C_RBX(%r12), %rbx
	mov	C_RCX(%r12), %rcx
	mov	C_RDX(%r12), %rdx
	mov	C_RSI(%r12), %rsi
	mov	C_RDI(%r12), %rdi
	mov	C_RBP(%r12), %rbp
	mov	C_R8(%r12), %r8
	mov	C_R9(%r12), %r9
	mov	C_R10(%r12), %r10
	mov	C_R11(%r12), %r11
	mov	C_R13(%r12), %r13
	mov	C_R14(%r12), %r14
	mov	C_R15(%r12), %r15
	lea	C_RIP(%r12), %rsp	/* the iretq frame: rip cs rflags rsp ss */
	mov	C_R12(%r12), %r12
	iretq
pv_rescue_x86_64_end:

	.section .note.GNU-stack, "", @progbits
