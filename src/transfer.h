/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transfer: carry out a plan between two live processes, all or nothing.
 * Shaped like the proposed process_vm_mmap() syscall.  It decides no policy:
 * it carries out the entries whose status is STATUS_OK, and leaves every
 * other entry as the plan said.
 *
 * This version carries out METHOD_COPY of private anonymous memory (kinds
 * anon and heap) between two different processes.  A plan with any other OK
 * entry is refused before anything is stopped (-EOPNOTSUPP).
 */
#ifndef PVMMAP_TRANSFER_H
#define PVMMAP_TRANSFER_H

#include "plan.h"
#include "proc.h"

struct transfer_stats {
	double paused_s;            /* the source was frozen this long */
	uint64_t bytes_copied;
	int attach_err;             /* -errno of inject_seize, or 0 */
	pid_t attach_pid;           /* which process it was about */
	int commit_err;             /* move: munmap in the source failed */
	char message[256];          /* what failed, for the report */
};

/* Whether this version carries out @e (an entry with STATUS_OK). */
bool transfer_supports(const struct plan_entry *e, const struct request *req);

/*
 * Freeze @src and @tgt, re-read their facts and re-plan (replacing *src,
 * *tgt and *plan: what was checked is what is done), then create, fill,
 * protect and (move) unmap in the source.  Entry statuses become
 * STATUS_DONE, or STATUS_ROLLED_BACK on a failure before the commit.
 * Returns 0 (done, or the new plan refused: see its entries and error),
 * -EOPNOTSUPP (unsupported entries: nothing touched), an attach error
 * (st->attach_err, st->attach_pid; nothing changed), -EINTR (a signal:
 * rolled back), another -errno (rolled back), or -ENOTRECOVERABLE (the
 * commit failed: the target has everything, the source kept some pieces;
 * or the rollback could not unmap all it had created in the target):
 * st->message says what is left where.  Same-process transfers are
 * -EOPNOTSUPP in this version.
 *
 * PVMMAP_FAIL_AT=after-create|after-copy|after-protect (tests) makes it fail
 * at that point with -EIO, so the rollback is exercised.
 */
int transfer_run(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		 const struct request *req, struct plan *plan, struct transfer_stats *st);

#endif
