/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A live transfer (issue 10; see src/transfer_priv.h).  The plan marks the
 * pieces that go live (private anonymous memory copied, see live_or_note
 * in src/plan.c); the order of work:
 *   first freeze (both held; the plan made again): create the destination
 *   in the target, shape it, start tracking the source's writes to the
 *   live pieces (src/track.h: a userfaultfd of pvmmap's alone), let the
 *   source go (nothing of pvmmap is left in it: its journal is empty) ->
 *   rounds while it runs, the target held: copy what it wrote since the
 *   last round (the first: everything) until what it writes in a round
 *   is small, or a bound is reached ->
 *   final freeze: check the range is still what was planned (else roll
 *   back), copy what it wrote last, drop in the target what it dropped,
 *   copy the pieces that do not go live, protect, commit as a frozen
 *   transfer does -> resume -> stop tracking.
 * The consistent instant is the final freeze: every byte of the target
 * is the source's byte then.  While the source runs, the target's journal
 * holds everything made in it (as in a frozen transfer), and the source
 * holds nothing of pvmmap's: a pvmmap that dies then leaves the source
 * untouched (the kernel drops the tracking with pvmmap's descriptor) and
 * the target rolls itself back.
 */
#include "transfer_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "clock.h"
#include "compat.h"
#include "testpoint.h"

/* Rounds while the source runs, the first one included: a source that
 * writes faster than pvmmap copies still ends in one final frozen copy. */
#define LIVE_MAX_ROUNDS 8

bool xfer_live_wanted(const struct xfer *x)
{
	for (size_t i = 0; i < x->plan->n; i++)
		if (x->plan->e[i].status == STATUS_OK && x->plan->e[i].live)
			return true;
	return false;
}

static bool is_live(const struct plan_entry *e)
{
	return e->status == STATUS_OK && e->live;
}

/* The ranges to track: the live pieces, adjacent ones merged (one
 * registration, and no split of the source's VMAs between them). */
static int live_ranges(const struct plan *p, struct track_range **out, size_t *n)
{
	struct track_range *r = calloc(p->n ? p->n : 1, sizeof(*r));

	*n = 0;
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];
		if (!is_live(e))
			continue;
		if (*n && r[*n - 1].end == e->start)
			r[*n - 1].end = e->end;
		else
			r[(*n)++] = (struct track_range){ e->start, e->end };
	}
	*out = r;
	return 0;
}

struct runs {
	struct xfer *x;
	size_t at;              /* entry to look from: runs come in address order */
	uint64_t bytes;         /* copied */
	struct pagescan *tps;   /* the target's page map (absent pages) */
};

/* The live entry holding @addr, or NULL. */
static struct plan_entry *entry_at(struct runs *c, uint64_t addr)
{
	struct plan *p = c->x->plan;

	if (c->at >= p->n || p->e[c->at].start > addr)
		c->at = 0;
	for (; c->at < p->n; c->at++) {
		struct plan_entry *e = &p->e[c->at];
		if (is_live(e) && e->start <= addr && addr < e->end)
			return e;
	}
	return NULL;
}

/* Drop [@d, @d + @len) of the target where it holds data: the source
 * dropped those pages since they were copied (private anonymous: zeros). */
static int zap_target(struct runs *c, uint64_t d, uint64_t len)
{
	uint64_t cursor = d;
	struct ps_run run;
	int r;

	while ((r = pagescan_next(c->tps, &cursor, d + len, &run)) == 1) {
		if (!(run.what & PS_DATA))
			continue;
		r = xfer_call_ok(c->x, c->x->tp, "madvise(MADV_DONTNEED)", run.start, ARCH_SYS_MADVISE,
				 run.start, run.end - run.start, MADV_DONTNEED, 0);
		if (r)
			return r;
	}
	return r;
}

/* track_fn: a run of the tracked ranges, piece by piece: written (or
 * swapped, read again) pages are copied, holes dropped in the target,
 * guard regions installed there. */
static int on_run(uint64_t start, uint64_t end, enum track_what what, void *arg)
{
	struct runs *c = arg;

	while (start < end) {
		struct plan_entry *e = entry_at(c, start);
		uint64_t to, d;
		int r;

		if (!e)
			return -EIO;    /* cannot happen: runs lie in the ranges */
		to = end < e->end ? end : e->end;
		d = e->dest_start + (start - e->start);
		switch (what) {
		case TRACK_WRITTEN:
		case TRACK_SWAPPED:
			r = xfer_copy_run(c->x, e, start, to, what == TRACK_SWAPPED);
			c->bytes += to - start;
			break;
		case TRACK_HOLE:
			r = zap_target(c, d, to - start);
			break;
		case TRACK_GUARD:
			r = xfer_call_ok(c->x, c->x->tp, "madvise(MADV_GUARD_INSTALL)", d, ARCH_SYS_MADVISE,
					 d, to - start, MADV_GUARD_INSTALL, 0);
			break;
		default:
			r = -EIO;
		}
		if (r)
			return r;
		start = to;
	}
	return 0;
}

static int lost(struct xfer *x, int r, const char *when)
{
	if (r == -ESTALE)
		return xfer_fail(x->st, r,
				 "the source remapped part of the range %s, so its writes could no longer "
				 "be tracked; use --frozen", when);
	if (!x->st->message[0])
		xfer_fail(x->st, r, "tracking the source's writes failed %s: %s", when,
			  xfer_strerror(-r));
	return r;
}

/* Rounds while the source runs.  Each one copies what the source wrote
 * since the last (the first: every present page, since the tracking is
 * not armed until then) and protects it again in the same scan, then
 * looks how much it wrote meanwhile, to decide whether to go on. */
static int rounds(struct xfer *x)
{
	struct runs c = { .x = x };
	uint64_t first = 0, pages = 0;
	int r;

	for (unsigned round = 1;; round++) {
		c.bytes = 0;
		r = track_scan(x->track, TRACK_RESET, 0, on_run, &c, NULL);
		if (r > 0)
			r = -EIO;
		if (r)
			return r == -ESTALE ? lost(x, r, "while it ran") : r;
		r = xfer_copy_finish(x);
		if (r)
			return r;
		testpoint_named("round");
		x->st->rounds = round;
		if (round == 1)
			first = c.bytes;
		else
			x->st->bytes_recopied += c.bytes;
		r = xfer_boundary(x, "round");
		if (r)
			return r;
		/* a look, no reset: cheap, and the source runs on */
		r = track_scan(x->track, 0, 0, NULL, NULL, &pages);
		if (r)
			return lost(x, r, "while it ran");
		if (x->hooks && x->hooks->round)
			x->hooks->round(round + 1, pages * x->page, x->hooks->arg);
		if (pages * x->page <= PLAN_LIVE_FINAL_BYTES || round >= LIVE_MAX_ROUNDS ||
		    pages * x->page >= first)
			return 0;
	}
}

/* The tracking's own marks on the source's VMAs are not the source's:
 * registering sets VmFlags uw, and a range has one userfaultfd at a time,
 * so any uffd flag inside a tracked range is pvmmap's. */
static void forget_own_flags(struct proc_facts *pf, const struct track_range *r, size_t n)
{
	for (size_t i = 0; i < pf->vmas.n; i++) {
		struct vma *v = &pf->vmas.v[i];
		for (size_t k = 0; k < n; k++)
			if (v->start >= r[k].start && v->end <= r[k].end)
				v->vmflags &= ~(uint64_t)VMF_UFFD;
	}
}

/* Whether @a and @b plan the same pieces the same way (what changes
 * nothing: the residency, where --at any puts the destination, and
 * whether a piece could go live now). */
bool xfer_same_plan(const struct plan *a, const struct plan *b, bool at_any, size_t *diff)
{
	for (*diff = 0; *diff < a->n && *diff < b->n; (*diff)++) {
		const struct plan_entry *x = &a->e[*diff], *y = &b->e[*diff];
		if (x->start != y->start || x->end != y->end || x->kind != y->kind ||
		    x->method != y->method || x->status != y->status ||
		    (!at_any && x->dest_start != y->dest_start))
			return false;
	}
	return a->n == b->n;
}

/* VmFlags that say nothing the destination was given: the tracking's
 * own (forget_own_flags) and soft-dirty, which the kernel sets itself. */
#define FLAGS_NOT_SHAPED (VMF_UFFD | VMF(SD))

/*
 * Whether each piece of @p lies in a VMA of @now that is what its VMA was
 * when the destination was shaped from it (its protection, madvise flags,
 * mlock, name): the same perms, object and offset, and the same VmFlags.
 * A change of the flags or of the protection of a whole VMA splits
 * nothing, so the plan's pieces stay the same; without this the target
 * would keep the old ones.  Piece by piece, not VMA by VMA: registering a
 * range that cuts a VMA splits it at the range's edges.  *@at: the first
 * piece that differs.
 */
bool xfer_same_vmas(const struct plan *p, const struct proc_facts *now, uint64_t *at)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];
		const struct vma *a = e->vma, *b;

		if (e->status != STATUS_OK || !a)
			continue;
		*at = e->start;
		b = vma_find(&now->vmas, e->start);
		if (!b || b->end < e->end || strcmp(a->perms, b->perms) || strcmp(a->name, b->name) ||
		    a->dev_major != b->dev_major || a->dev_minor != b->dev_minor ||
		    a->inode != b->inode ||
		    (a->inode && a->offset - a->start != b->offset - b->start) ||
		    a->pkey != b->pkey || a->kernel_page_size != b->kernel_page_size ||
		    ((a->vmflags ^ b->vmflags) & ~FLAGS_NOT_SHAPED))
			return false;
	}
	return true;
}

/*
 * Under the final freeze: the source's range must be what the plan was
 * made for (its pieces, their kinds, no thread's stack or code in a piece
 * a move takes), and its VMAs what the destination was shaped from.  The
 * target was held throughout: its facts are the first freeze's, which do
 * not show the destination made since.
 *
 * What is read again (proc_facts_recheck), and why each can change the
 * plan of a source that ran since the first freeze:
 *   stat, status, comm: exited or a zombie; another program (execve,
 *     with auxv's vdso and stat's startstack); a seccomp filter installed
 *     (injected syscalls); its credentials (the access rules);
 *   its threads: one made since, or one whose stack or code moved into a
 *     piece a move takes;
 *   the range's VMAs from smaps: their headers (mapped, unmapped, split,
 *     protected), their VmFlags (madvise, mlock, a userfaultfd of its
 *     own): VmFlags exist in smaps alone, and smaps walks every page
 *     table of the range (~8.5 ms a GiB of 4 KiB pages).  That walk stays:
 *     a read before the freeze and a cheap check under it would miss a
 *     madvise or mlock of a whole VMA between the two, which changes no
 *     header that PROCMAP_QUERY shows;
 *   the files behind them, the rescue code of a killed pvmmap in them.
 * Not read again: its limits, memory cgroup and mountinfo (the plan's
 * rules read only the target's, held throughout), its ELF header (only
 * an execve changes it, told above).  Nor numa_maps: a policy set with
 * mbind on a whole VMA since the policies were read changes none of the
 * above, so the target keeps the policy read before the first freeze
 * (docs/kernel-facts.md, "A live source's NUMA policy").
 */
static int recheck(struct xfer *x, const struct proc_facts *src, const struct proc_facts *tgt,
		   const struct track_range *tr, size_t ntr)
{
	struct proc_facts ns = { .procfd = -1 };
	struct plan np = { 0 };
	size_t diff = 0;
	uint64_t at = x->req->addr;
	int r;

	r = proc_facts_recheck(src, &ns);
	if (r) {
		proc_facts_free(&ns);
		return xfer_fail(x->st, r, "cannot re-read the source: %s", xfer_strerror(-r));
	}
	if (xfer_execd(src, &ns)) {
		x->st->exited_pid = src->pid;
		r = xfer_fail(x->st, -ESRCH,
			      "process %d ran execve during the live copy (it is now %s): the memory pvmmap "
			      "examined is gone; the target is as it was", src->pid, ns.comm);
		proc_facts_free(&ns);
		return r;
	}
	xfer_frozen_threads(&ns, x->sp);
	forget_own_flags(&ns, tr, ntr);
	r = plan_make(x->sf, &ns, tgt, x->req, &np);
	if (r) {
		xfer_fail(x->st, r, "cannot plan again: %s", xfer_strerror(-r));
	} else if (!np.error.reason && xfer_same_plan(x->plan, &np, x->req->at_any, &diff) &&
		   !xfer_same_vmas(x->plan, &ns, &at)) {
		r = xfer_fail(x->st, -EAGAIN,
			      "the source changed its range while it ran (the protection or VmFlags "
			      "of 0x%" PRIx64 "); try again, or use --frozen", at);
	} else if (np.error.reason || !xfer_same_plan(x->plan, &np, x->req->at_any, &diff)) {
		const struct plan_entry *e = diff < np.n ? &np.e[diff] : NULL;
		const char *why = np.error.reason ? reason_code(np.error.reason)
				  : e && e->reason ? reason_code(e->reason) : "its mappings differ";
		r = xfer_fail(x->st, -EAGAIN,
			      "the source changed its range while it ran (%s%s0x%" PRIx64 "); "
			      "try again, or use --frozen", why, e ? " at " : " near ",
			      e ? e->start : x->req->addr);
	}
	plan_free(&np);
	proc_facts_free(&ns);
	return r;
}

/* Under the final freeze: what the source wrote since the last round, and
 * what it dropped or swapped out since, then the pieces that are not live. */
static int final_copy(struct xfer *x, const struct track_range *tr, size_t ntr)
{
	struct pagescan tps;
	struct runs c = { .x = x, .tps = &tps };
	int r;

	/* frozen: a look is enough, nothing is written after it */
	r = track_scan(x->track, 0, 0, on_run, &c, NULL);
	if (r)
		return r > 0 ? -EIO : lost(x, r, "while it ran");
	x->st->bytes_recopied += c.bytes;
	r = pagescan_open(inject_procfd(x->tp), x->page, &tps);
	if (r)
		return xfer_fail(x->st, r, "cannot open the target's page map: %s", xfer_strerror(-r));
	for (size_t k = 0; k < ntr && !r; k++) {
		c.bytes = 0;
		r = track_absent(x->track, tr[k].start, tr[k].end, on_run, &c);
		x->st->bytes_recopied += c.bytes;
	}
	pagescan_close(&tps);
	if (r)
		return r > 0 ? -EIO : lost(x, r, "while it ran");
	r = xfer_copy_finish(x);
	if (!r) {
		x->skip_live = true;
		r = xfer_copy_all(x);
	}
	return r;
}

/*
 * Where the tracking cannot start in this source, though the kernel can
 * track (track_probe ran in pvmmap): the live pieces go frozen, and their
 * note says why.  1, or @r when it is the source failing (gone, not
 * answering): that is no reason to go on.
 */
static int frozen_after_all(struct xfer *x, int r)
{
	const char *why;
	enum note n = N_FROZEN_NO_TRACKING;

	switch (r) {
	case -EBUSY:
		/* it registered the range since the plan was made */
		n = N_FROZEN_UFFD;
		why = NULL;
		break;
	case -EPERM:
	case -EACCES:
		why = "userfaultfd() is refused inside the source (a seccomp filter or an LSM)";
		break;
	case -ENOMEM:
		why = "registering the range would pass vm.max_map_count, or no memory";
		break;
	case -EMFILE:
		why = "the source's or pvmmap's descriptor table is full";
		break;
	case -EINVAL:
	case -EOPNOTSUPP:
	case -ENOSYS:
		why = "the kernel refused to track this memory";
		break;
	default:
		return r;
	}
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (!is_live(e))
			continue;
		e->live = false;
		e->note = n;
		e->note_detail = why;
	}
	x->st->message[0] = '\0';
	return 1;
}

/* Set the tracking up under the first freeze, then let the source go
 * (*released: it was, even if not cleanly).  1: the tracking cannot start
 * here, the transfer goes on frozen (frozen_after_all). */
static int start(struct xfer *x, const struct track_range *tr, size_t ntr, bool *released)
{
	int r;

	/* the userfaultfd is in the source's journal for a moment */
	inject_journal_reserve(x->sp, 2);
	/* Not armed: arming is a reset scan of every present page, a pause
	 * if made now; the first round's scan arms instead. */
	r = track_start(x->sp, tr, ntr, TRACK_START_NO_ARM, &x->track);
	if (r && frozen_after_all(x, r) == 1)
		return 1;
	if (r)
		return xfer_fail(x->st, r, "cannot track the source's writes: %s", xfer_strerror(-r));
	testpoint();
	r = xfer_boundary(x, "before-release");
	if (r)
		return r;
	x->st->paused_s += clock_now_s() - x->t0;
	*released = true;
	r = inject_release(x->sp);
	if (r)
		return xfer_fail(x->st, r, "cannot let the source go: %s", xfer_strerror(-r));
	return 0;
}

int xfer_live_run(struct xfer *x, const struct proc_facts *src, const struct proc_facts *tgt)
{
	struct track_range *tr = NULL;
	bool released = false;
	size_t ntr = 0;
	int r = live_ranges(x->plan, &tr, &ntr);

	/* the destination first, as a frozen transfer makes it */
	if (!r)
		r = xfer_execute_create(x);
	if (!r)
		r = start(x, tr, ntr, &released);
	if (r == 1) {
		/* frozen after all: the rest as xfer_execute does it, once
		 * the range is checked (the first freeze read its headers
		 * alone: src/transfer.c, replan); nothing of pvmmap's is
		 * registered in it */
		free(tr);
		r = recheck(x, src, tgt, NULL, 0);
		if (!r)
			r = xfer_copy_all(x);
		if (!r)
			r = xfer_execute_finish(x);
		return xfer_cure(x, r);
	}
	if (!r) {
		/* progress: the live pieces' pages */
		x->total = 0;
		for (size_t i = 0; i < x->plan->n; i++)
			if (is_live(&x->plan->e[i]))
				x->total += x->plan->e[i].rss + x->plan->e[i].swap;
		xfer_copy_open(x);
		r = rounds(x);
	}
	if (released) {
		/* the final freeze, also to roll back: the source must be
		 * held for nothing but its re-read, but the lifecycle ends
		 * with both held */
		int f = inject_refreeze(x->sp);
		x->t0 = clock_now_s();
		if (f && !r)
			r = xfer_fail(x->st, f, "cannot stop the source again: %s", xfer_strerror(-f));
	}
	if (!r)
		r = xfer_boundary(x, "final");
	if (!r)
		r = recheck(x, src, tgt, tr, ntr);
	if (!r)
		r = final_copy(x, tr, ntr);
	if (!r)
		r = xfer_execute_finish(x);
	if (r) {
		free(x->buf);
		x->buf = NULL;
	}
	x->st->rounds++;        /* the final one */
	free(tr);
	return xfer_cure(x, r);
}

void xfer_live_end(struct xfer *x)
{
	/* a move's commit unmapped the pieces it completed */
	for (size_t i = 0; x->track && x->req->op == OP_MOVE && i < x->plan->n; i++) {
		const struct plan_entry *e = &x->plan->e[i];
		if (e->live && e->status == STATUS_DONE)
			track_gone(x->track, e->start, e->end);
	}
	track_stop(x->track);
	x->track = NULL;
}
