/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the files of the facts layer (src/proc*.c) share, and nothing
 * outside them uses.  Each reader fills its part of struct proc_facts
 * through pf->procfd (see src/proc.c for why).
 */
#ifndef PVMMAP_PROC_PRIV_H
#define PVMMAP_PROC_PRIV_H

#include <errno.h>
#include <stdbool.h>

#include "proc.h"
#include "procfs.h"

/*
 * For a file every /proc/PID has: once the process is reaped, openat through
 * the stale directory fd gives ESRCH (6.x) or ENOENT (older kernels).
 */
static inline int gone_errno(int e)
{
	return (e == ENOENT || e == ESRCH) ? -ESRCH : procfs_errno(e);
}

static inline bool is_dead_state(char s)
{
	return s == 'Z' || s == 'X' || s == 'x';
}

/* pf->memcg_headroom (src/proc_memcg.c).  0 or -errno. */
int proc_memcg_read(struct proc_facts *pf);
/* pf->threads (src/proc_threads.c).  0, -ESRCH when none lives, or -errno. */
int proc_threads_read(struct proc_facts *pf);
/* pf->files, after pf->vmas (src/proc_files.c).  0 or -ENOMEM. */
int proc_files_read(struct proc_facts *pf);
/* vma->residue of pf->vmas (src/proc_residue.c). */
void proc_residue_find(struct proc_facts *pf);

#endif
