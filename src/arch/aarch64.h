/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The aarch64 register set inside struct arch_regs's box: for src/arch/
 * aarch64 code only (src/arch/arch.h keeps the box opaque for everyone
 * else).
 */
#ifndef PVMMAP_ARCH_AARCH64_H
#define PVMMAP_ARCH_AARCH64_H

#include <stdint.h>
#include <asm/ptrace.h>
#include <asm/sigcontext.h>

#include "arch.h"

/*
 * NT_PRSTATUS has no orig_x0 and no syscall number: the kernel's "in a
 * syscall" mark is pt_regs.syscallno, which only NT_ARM_SYSTEM_CALL reads
 * and writes.  It travels with the registers, so that putting a box back
 * puts the mark back too.  may_alias: the box is bytes, read and written
 * through this type.
 */
struct __attribute__((__may_alias__)) a64_regs {
	struct user_pt_regs r;
	uint64_t tls;            /* tpidr_el0 (NT_ARM_TLS): read, never written */
	int32_t syscallno;       /* -1: not in a syscall (NO_SYSCALL) */
	uint32_t pad;
};
_Static_assert(sizeof(struct a64_regs) <= sizeof(struct arch_regs) &&
	       _Alignof(struct a64_regs) <= _Alignof(struct arch_regs),
	       "struct arch_regs cannot hold the aarch64 registers");

static inline struct a64_regs *a64_regs(struct arch_regs *regs)
{
	return (struct a64_regs *)(void *)regs->opaque;
}

static inline const struct a64_regs *a64_cregs(const struct arch_regs *regs)
{
	return (const struct a64_regs *)(const void *)regs->opaque;
}

#endif
