/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the pieces of the transfer share, and nobody else uses:
 *   src/transfer.c       the entry points, and the lifecycle that calls the
 *                        transaction: stop -> prepare (plan again under the
 *                        freeze) -> run -> cure -> resume
 *   src/transfer_txn.c   the transaction: freeze, execute the steps, roll
 *                        back or commit, release; the steps' discipline
 *                        (boundaries, the one way to fail)
 *   src/transfer_dest.c  the destination mappings in the target and their
 *                        attributes; the scratch page
 *   src/transfer_copy.c  the page-copy engine: which pages, and how they
 *                        travel (batch, bounce, pull, populate, flush)
 *   src/transfer_live.c  a live transfer (issue 10): copy while the source
 *                        runs, its writes tracked, in rounds; then one
 *                        short final freeze
 */
#ifndef PVMMAP_TRANSFER_PRIV_H
#define PVMMAP_TRANSFER_PRIV_H

#include <sys/uio.h>

#include "arch.h"
#include "fdpass.h"
#include "inject.h"
#include "pagescan.h"
#include "track.h"
#include "transfer.h"

#define CAP_BIT_ADMIN 21           /* CAP_SYS_ADMIN in sys_facts.self_cap_eff */
#define IOV_BATCH     128          /* iovec pairs per call: one 4 KiB page */
#define SCRATCH_LEN   8192         /* in the target: iovecs, then fdpass's */
#define SCRATCH_FD    4096         /* fdpass's part of the scratch */
#define SCRATCH_NAME  6144         /* a VMA name's part (at most 80 bytes) */
#define SCRATCH_NODES 6400         /* a NUMA node mask's part (8 bytes) */
_Static_assert(2 * 128 * 16 <= SCRATCH_FD && SCRATCH_FD + FDPASS_SCRATCH <= SCRATCH_NAME &&
	       SCRATCH_NAME + 96 <= SCRATCH_NODES && SCRATCH_NODES + 8 <= SCRATCH_LEN,
	       "the parts of the scratch page overlap");

struct batch {
	struct iovec loc[IOV_BATCH], rem[IOV_BATCH];
	bool swapped[IOV_BATCH];
	size_t n;
	uint64_t bytes;
	struct plan_entry *e;
};

/*
 * How the pages travel.  PULL: process_vm_readv run in the target reads the
 * source (the pid is the same number there: see same_pidns), one copy.
 * BOUNCE: through pvmmap's own bounded buffer, two copies.
 *
 * Which is faster depends on the page size, measured (docs/benchmarks.md):
 * a PULL writes the target's pages through the target's own user
 * addresses, one TLB fill per 4 KiB page, while the BOUNCE writes them
 * through the kernel's direct map and reads its buffer hot.  On the
 * development VM (shadow paging) the fills cost more than the second copy:
 * 64 MiB of 4 KiB pages moved in 0.083 s by BOUNCE against 0.140 s by PULL,
 * a 16 GiB reservation with 16 MiB touched 0.137 s against 0.230 s.  With
 * huge pages the fills vanish and the single copy wins.  So: PULL for
 * huge pages, BOUNCE for 4 KiB ones (PVMMAP_COPY=pull|bounce forces one).
 */
enum copy_mode { COPY_BOUNCE, COPY_PULL };

struct xfer {
	const struct sys_facts *sf;
	const struct request *req;
	struct plan *plan;
	struct transfer_stats *st;
	const struct transfer_hooks *hooks;
	struct inject_proc *sp, *tp;    /* the same when the pids are */
	const struct proc_facts *src;   /* as re-read under the freeze */
	const char *fail_at;            /* PVMMAP_FAIL_AT: points, comma-separated */
	double t0;                      /* when the freeze began */
	char oom_old[16];               /* pvmmap's oom_score_adj, to put back */
	unsigned char *buf;             /* bounce path only */
	size_t buf_len;                 /* its size: the largest batch yet, up
					   to COPY_BUF (src/transfer_copy.c) */
	uint64_t page;
	uint64_t scratch;               /* in the target, 0 if none */
	int scratch_id;                 /* its journal entry */
	enum copy_mode mode;            /* for huge pages; 4 KiB ones bounce */
	bool forced;                    /* PVMMAP_COPY chose the mode for all */
	struct pagescan ps;             /* of the source */
	uint64_t total;                 /* for progress: the plan's estimate */
	int self_pidfd;                 /* the target's pidfd of itself, in the
					   target (process_madvise); -1 none yet,
					   -2 not usable */
	int self_pidfd_id;              /* its journal entry */
	struct batch b;
	bool skip_live;                 /* xfer_copy_all leaves the live entries
					   to src/transfer_live.c */
	bool created;                   /* the destination was made before the
					   source stopped (xfer_execute_create
					   shapes it only) */
	struct track *track;            /* live: the source's writes */
};

/* ---- src/transfer_txn.c ---------------------------------------------------- */

/*
 * strerror, but for ETIMEDOUT ("Connection timed out"), which in pvmmap
 * means that a process did not come back from an injected syscall within
 * --timeout: say that.
 */
const char *xfer_strerror(int err);

/* The one way to fail: say what failed into @msg, and give @err back. */
int xfer_fail_msg(char *msg, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* xfer_fail_msg into the report's message. */
#define xfer_fail(st, err, ...) \
	xfer_fail_msg((st)->message, sizeof((st)->message), (err), __VA_ARGS__)

/* A step boundary: the test failure point, or a signal that arrived. */
int xfer_boundary(struct xfer *x, const char *name);

/* A syscall whose failure fails the step: st->message says which. */
int xfer_call_ok(struct xfer *x, struct inject_proc *p, const char *what, uint64_t addr,
		 enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* Stop: seize the target (x->tp; nothing when @tgt is @src), then the
 * source (x->sp, and x->tp too for one process): the target's own work
 * between the two does not pause the source, and the source's pause
 * (x->t0) begins at its seize.  st->attach_err and st->attach_pid say
 * which attach failed.  When the target's fails nothing is held; when
 * the source's does, the target still is: the caller undoes what it made
 * there and lets it go (xfer_resume). */
int xfer_stop_target(struct xfer *x, const struct proc_facts *src, const struct proc_facts *tgt);
int xfer_stop_source(struct xfer *x, const struct proc_facts *src);

/* Run: every step, from the scratch page to the protections.  In two
 * halves around the copy, for a live transfer: up to the attributes that
 * shape the pages; from the protections on. */
int xfer_execute(struct xfer *x);
int xfer_execute_create(struct xfer *x);

/* The destination alone (scratch page, mappings; nothing that shapes its
 * pages), made while only the target is held: x->plan is a plan of the
 * source's facts read before its seize. */
int xfer_execute_early(struct xfer *x);

/* Undo what xfer_execute_early made (the target's journal): 0, or
 * -ENOTRECOVERABLE (st->message says what is where). */
int xfer_discard_early(struct xfer *x);
int xfer_execute_finish(struct xfer *x);

/* Cure: commit after a run that succeeded (@r 0), else roll back; then
 * say so if a process exited under pvmmap.  Returns what transfer_run
 * does. */
int xfer_cure(struct xfer *x, int r);

/* Resume: let both processes go, and pvmmap's OOM score back. */
void xfer_resume(struct xfer *x);

/* After a failure @r: -ESRCH with st->exited_pid and st->message when a
 * process exited under pvmmap, else @r. */
int xfer_peer_exited(struct xfer *x, int r);

/* ---- src/transfer_dest.c ----------------------------------------------------- */

/* The scratch page in the target, made once; and removed. */
int xfer_scratch_get(struct xfer *x);
void xfer_scratch_put(struct xfer *x);

/* Create every destination mapping (remap: mremap it there); with --at
 * any, choose the place first. */
int xfer_create_all(struct xfer *x);

/* What shapes the pages, before the copy: names, NUMA policy, madvise. */
int xfer_advise_all(struct xfer *x);

/* Protections and mlock, after the copy. */
int xfer_protect_all(struct xfer *x);

/* ---- src/transfer_copy.c ----------------------------------------------------- */

/* Copy the pages of every entry that copies (file-cow: the changed ones). */
int xfer_copy_all(struct xfer *x);

/* Close what the copy keeps in the target (its pidfd of itself). */
void xfer_copy_close(struct xfer *x);

/* For a caller that finds the runs itself (src/transfer_live.c): choose
 * how pages travel as xfer_copy_all does; queue [@start, @end) of @e's
 * source (copied in batches, counted in e->bytes_copied; @swapped: the
 * source had them swapped out, and the target's copy goes out again);
 * flush what is queued and free the buffer. */
void xfer_copy_open(struct xfer *x);
int xfer_copy_run(struct xfer *x, struct plan_entry *e, uint64_t start, uint64_t end, bool swapped);
int xfer_copy_finish(struct xfer *x);

/* ---- src/transfer_live.c ----------------------------------------------------- */

/* Whether the plan has a live entry to carry out. */
bool xfer_live_wanted(const struct xfer *x);

/*
 * The live transaction, in place of xfer_cure(x, xfer_execute(x)) once
 * prepared: create in the target, track the source's writes and let it go,
 * copy in rounds while it runs, freeze it again, check its range is what
 * it was, copy what it wrote last, commit.  @src and @tgt are the facts
 * the plan was made from under the first freeze.  Returns what xfer_cure
 * does; the tracking, if any is left, is for xfer_live_end.
 */
int xfer_live_run(struct xfer *x, const struct proc_facts *src, const struct proc_facts *tgt);

/* After xfer_resume: stop the tracking (unregistering in chunks is short
 * enough for a running source, see track_stop). */
void xfer_live_end(struct xfer *x);

/* Whether @a and @b plan the same pieces the same way (*@diff: the first
 * that differs), and whether each piece of @p lies in a VMA of @now that
 * is what its VMA was when the destination was shaped from it (*@at).
 * The final freeze of a live transfer checks both; so does a frozen one
 * whose destination was made before the source stopped. */
bool xfer_same_plan(const struct plan *a, const struct plan *b, bool at_any, size_t *diff);
bool xfer_same_vmas(const struct plan *p, const struct proc_facts *now, uint64_t *at);

/* Tests and src/transfer_live.c: the lifecycle's helpers of src/transfer.c. */
void xfer_frozen_threads(struct proc_facts *pf, const struct inject_proc *p);
bool xfer_execd(const struct proc_facts *before, const struct proc_facts *now);

#endif
