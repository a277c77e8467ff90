/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What src/inject.c lends to src/rescue.c, and nobody else uses.
 */
#ifndef PVMMAP_INJECT_PRIV_H
#define PVMMAP_INJECT_PRIV_H

#include "inject.h"

/* Write into the process through /proc/PID/mem, which reaches pages the
 * process may not write itself (the vdso; a mapping made PROT_EXEC). */
int inject_poke(struct inject_proc *p, uint64_t addr, const void *buf, size_t len);

/* A stopped thread's registers and its signal mask, set. */
int inject_regs_set(struct inject_proc *p, struct inject_thread *t, const struct arch_regs *regs);
int inject_mask_set(struct inject_proc *p, struct inject_thread *t, uint64_t mask);

/* A syscall run where the thread's own code or the vdso has a syscall
 * instruction, registers put back raw after: for making and removing a
 * rescue area that has to live in its own mapping. */
int inject_plain_syscall(struct inject_proc *p, size_t idx, long nr, const uint64_t args[6],
			 int64_t *ret);

/* The process's [vdso], or -ENOENT. */
int inject_vdso_range(struct inject_proc *p, uint64_t *start, uint64_t *end);

/* Whether some thread rests in [lo, hi): the rescue code of an earlier
 * pvmmap that was killed while the process was stopped. */
bool inject_held_by_other(const struct inject_proc *p, uint64_t lo, uint64_t hi);

/* PVMMAP_RESCUE=mapped (test-only): the rescue area in its own mapping. */
bool inject_force_mapped(const struct inject_proc *p);

#endif
