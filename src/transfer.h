/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transfer: carry out a plan between two live processes, all or nothing.
 * Shaped like the proposed process_vm_mmap() syscall: source pid, range,
 * target pid, destination (fixed, noreplace or anywhere), move or copy,
 * partial; per-VMA results in the plan.  It decides no policy: it carries
 * out the entries whose status is STATUS_OK, and leaves every other entry
 * as the plan said.
 *
 * Methods: copy (private anonymous memory, [heap], stacks, private
 * hugetlb), share (the same object mapped in the target: files, memfd,
 * shmem, SysV shm, shared hugetlb), file-cow (the file mapped privately,
 * then the source's changed pages copied over it) and remap (mremap within
 * one process).  An OK entry of another kind or method is refused before
 * anything is stopped (-EOPNOTSUPP): the planner and this file disagree.
 */
#ifndef PVMMAP_TRANSFER_H
#define PVMMAP_TRANSFER_H

#include <signal.h>

#include "plan.h"
#include "proc.h"

struct transfer_stats {
	double paused_s;            /* the source was frozen this long (live:
				       both freezes together) */
	uint64_t bytes_copied;
	unsigned rounds;            /* copy rounds: 1 frozen; live: the rounds
				       while the source ran, and the final one */
	uint64_t bytes_recopied;    /* live: copied in the rounds after the first */
	int attach_err;             /* -errno of inject_seize, or 0 */
	pid_t attach_pid;           /* which process it was about */
	pid_t exited_pid;           /* a process that exited during the transfer */
	char message[256];          /* what failed, for the report */
};

/* Called after each batch of pages: @done of about @total bytes so far
 * (@total is the plan's estimate; done may pass it). */
struct transfer_hooks {
	void (*progress)(uint64_t done, uint64_t total, void *arg);
	/* Live: after each round of copying while the source runs, what it
	 * wrote meanwhile, to be copied next (@round from 2; NULL: none). */
	void (*round)(unsigned round, uint64_t written, void *arg);
	void *arg;
	/* Cancellation without signals, for a library caller: once *cancel
	 * is non-zero the transfer rolls back at its next step boundary, as
	 * for a signal (-EINTR).  NULL: none. */
	const volatile sig_atomic_t *cancel;
	/* A library must not take its caller's signals: true leaves pending
	 * signals alone (hooks NULL, or false: they roll back, the CLI's way). */
	bool ignore_signals;
};

/*
 * The signals that end pvmmap (SIGINT, SIGTERM, SIGHUP and every other
 * catchable one whose default is to terminate).  The caller blocks them
 * from its first instruction: one that arrives is then only pending, and
 * the transfer rolls back at its next step boundary (-EINTR) instead of
 * pvmmap dying with the processes held.
 */
void transfer_term_signals(sigset_t *set);

/* Whether this version carries out @e (an entry with STATUS_OK). */
bool transfer_supports(const struct plan_entry *e, const struct request *req);

/*
 * Freeze @src and @tgt (one process when they are the same), re-read their
 * facts and re-plan with the frozen threads' registers (replacing *src,
 * *tgt and *plan: what was checked is what is done), then create, fill,
 * protect and (move) unmap in the source.  Entry statuses become
 * STATUS_DONE, or STATUS_ROLLED_BACK on a failure before the commit.
 * Returns 0 (done, or the new plan refused: see its entries and error),
 * -EOPNOTSUPP (unsupported entries: nothing touched), an attach error
 * (st->attach_err, st->attach_pid; nothing changed), -EINTR (a signal:
 * rolled back), -ESRCH with st->exited_pid (the source or the target
 * exited; the other is as it was), another -errno (rolled back), or
 * -ENOTRECOVERABLE (the
 * commit failed: the target has everything, the source kept some pieces;
 * or the rollback could not undo all it had done): st->message says what
 * is left where.  @hooks may be NULL.  For a transfer within one process,
 * @tgt is @src (the same facts).
 *
 * Test-only environment:
 *   PVMMAP_FAIL_AT=after-create|after-copy|after-protect fails at that
 *     point with -EIO, so each rollback path is exercised;
 *   PVMMAP_COPY=bounce copies every page through pvmmap, PVMMAP_COPY=pull
 *     every page it can with process_vm_readv in the target (by default:
 *     huge pages pull, 4 KiB pages bounce; see copy_mode in
 *     src/transfer_priv.h).
 */
int transfer_run(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		 const struct request *req, struct plan *plan, const struct transfer_hooks *hooks,
		 struct transfer_stats *st);

/*
 * Remove the rescue code a killed pvmmap left in process @pf (see
 * src/rescue.c): the bytes in its [vdso]'s tail are zeroed again, a
 * mapping of its own is unmapped.  The process is frozen meanwhile.
 * @at receives the addresses removed (up to @max), *n their number.
 * Returns 0, an attach error (as inject_seize), -EBUSY when a thread
 * still rests in such code (a stopped process: it runs it once
 * continued), or another -errno; @msg says what failed.
 */
int transfer_clean(const struct sys_facts *sf, struct proc_facts *pf, double timeout_s,
		   uint64_t *at, size_t max, size_t *n, char *msg, size_t len);

#endif
