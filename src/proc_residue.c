/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Rescue code a killed pvmmap left in a process
 * (part of the facts layer: see src/proc.c for its invariant).
 */
#include "proc.h"
#include "proc_priv.h"
#include "rescue_layout.h"

#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- residue of a killed pvmmap ------------------------------------------ */

/* The rescue area (src/rescue_layout.h) whose head is at @at, if it is one
 * a pvmmap other than this one wrote (ours is alive, not residue). */
static bool rescue_head_at(pid_t pid, uint64_t at)
{
	uint64_t head[2 + 1];
	struct iovec l = { head, sizeof head }, r = { (void *)(uintptr_t)at, sizeof head };

	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)sizeof head &&
	       memcmp(head, RESCUE_MAGIC, sizeof RESCUE_MAGIC) == 0 &&
	       head[HEAD_PID / 8] != (uint64_t)getpid();
}

/*
 * Rescue code a killed pvmmap left (src/rescue.c): in the tail of the
 * [vdso], or at the start of a small private anonymous r-x mapping of its
 * own.  Read with process_vm_readv, which needs the right to attach but
 * stops nothing; when it is not allowed, nothing is found.
 */
void proc_residue_find(struct proc_facts *pf)
{
	enum { TAIL = 4096, OWN_MAX = 65536 };
	unsigned char tail[TAIL];

	for (size_t i = 0; i < pf->vmas.n; i++) {
		struct vma *v = &pf->vmas.v[i];
		uint64_t size = v->end - v->start;

		if (strcmp(v->name, "[vdso]") == 0 && size >= TAIL) {
			struct iovec l = { tail, TAIL }, r = { (void *)(uintptr_t)(v->end - TAIL), TAIL };
			if (process_vm_readv(pf->pid, &l, 1, &r, 1, 0) != TAIL)
				continue;
			for (size_t off = 0; off + sizeof RESCUE_MAGIC <= TAIL; off += 16)
				if (memcmp(tail + off, RESCUE_MAGIC, sizeof RESCUE_MAGIC) == 0 &&
				    rescue_head_at(pf->pid, v->end - TAIL + off)) {
					v->residue = v->end - TAIL + off;
					break;
				}
		} else if (!v->name[0] && strcmp(v->perms, "r-xp") == 0 && !v->inode &&
			   size <= OWN_MAX && rescue_head_at(pf->pid, v->start)) {
			v->residue = v->start;
		}
	}
}
