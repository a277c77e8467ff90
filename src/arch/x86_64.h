/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x86_64 register set inside struct arch_regs's box: for src/arch/
 * x86_64 code only (src/arch/arch.h keeps the box opaque for everyone
 * else).
 */
#ifndef PVMMAP_ARCH_X86_64_H
#define PVMMAP_ARCH_X86_64_H

#include <sys/user.h>

#include "arch.h"

/* may_alias: the box is bytes, read and written through this type. */
struct __attribute__((__may_alias__)) x86_regs {
	struct user_regs_struct r;
};
_Static_assert(sizeof(struct x86_regs) <= sizeof(struct arch_regs) &&
	       _Alignof(struct x86_regs) <= _Alignof(struct arch_regs),
	       "struct arch_regs cannot hold the x86_64 registers");

static inline struct x86_regs *x86_regs(struct arch_regs *regs)
{
	return (struct x86_regs *)(void *)regs->opaque;
}

static inline const struct x86_regs *x86_cregs(const struct arch_regs *regs)
{
	return (const struct x86_regs *)(const void *)regs->opaque;
}

#endif
