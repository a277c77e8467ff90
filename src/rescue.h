/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rescue area: what lets a process pvmmap holds go on unharmed when
 * pvmmap itself dies at any instant (SIGKILL, the OOM killer, a crash).
 * Private to the ptrace engine (src/inject.c); see src/rescue.c for the
 * design and src/rescue_layout.h for the bytes.
 */
#ifndef PVMMAP_RESCUE_H
#define PVMMAP_RESCUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inject_priv.h"

/* Make the area in @p if it has none yet.  0 or -errno. */
int rescue_open(struct inject_proc *p);

/* Hold thread @t in the area: its context and mask saved there, its
 * registers resting in the rescue code, every signal blocked.  @anchor: it
 * holds the journal (undoes it should pvmmap die).  0 or -errno. */
int rescue_hold(struct inject_proc *p, struct inject_thread *t, bool anchor);

/* Let @t go back to its own registers and mask (it stays ptrace-stopped). */
int rescue_release(struct inject_proc *p, struct inject_thread *t);

/* The registers @t (held) rests with; with a syscall set up on top of them
 * by arch_regs_set_syscall at rescue_site(). */
void rescue_rest_regs(const struct inject_proc *p, const struct inject_thread *t,
		      struct arch_regs *regs);
uint64_t rescue_site(const struct inject_proc *p);

/*
 * The journal change a syscall about to run in the anchor makes if it
 * succeeds: @add a new undo entry (NULL: none), @undoes the entry it undoes
 * (-1: none); both: the entry becomes @add.  Written into the process
 * before the syscall runs (rescue_arm), settled from its result after
 * (rescue_settle, which gives the entry's index in *id).
 */
int rescue_arm(struct inject_proc *p, const struct inject_undo *add, int undoes);
int rescue_settle(struct inject_proc *p, int64_t result, int *id);

/* Journal entry @k (live), as the engine's undo would run it. */
bool rescue_entry(const struct inject_proc *p, size_t k, struct inject_undo *out);
size_t rescue_journal_count(const struct inject_proc *p);
/* One past the last entry, live or void. */
size_t rescue_journal_end(const struct inject_proc *p);
/* Void entry @k without a syscall: for one that lists nothing any more. */
int rescue_void(struct inject_proc *p, size_t k);

/* Forget every entry (the transaction committed). */
int rescue_forget(struct inject_proc *p);

/* Release every held thread and remove the area; safe without one. */
int rescue_close(struct inject_proc *p);

/* Whether the area lives in the vdso's tail (no window) or in a mapping of
 * its own, made and removed by one plain injected syscall each. */
bool rescue_in_vdso(const struct inject_proc *p);

void rescue_free(struct inject_proc *p);

#endif
