/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transfer's entry points (see transfer.h), and the lifecycle that
 * drives the transaction (src/transfer_txn.c), as compel drives a
 * parasite: stop (seize the target, read it and make the destination of
 * a frozen transfer, then seize the source) -> prepare (re-read the facts
 * and plan again under the freeze, with the frozen registers: what was
 * checked is what is done) -> run (the steps) -> cure (commit, or roll
 * back) -> resume (detach, the source first).  Planning is the caller's business, never the
 * executor's: the transaction carries out the plan it is given.
 */
#include "transfer_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rescue_layout.h"
#include "testpoint.h"

bool transfer_supports(const struct plan_entry *e, const struct request *req)
{
	switch (e->method) {
	case METHOD_REMAP:
		return req->pid == req->pid2;
	case METHOD_COPY:
		return e->kind == KIND_ANON || e->kind == KIND_HEAP || e->kind == KIND_STACK ||
		       e->kind == KIND_HUGETLB;
	case METHOD_SHARE:
		return e->kind == KIND_FILE || e->kind == KIND_SHMEM || e->kind == KIND_SYSV ||
		       e->kind == KIND_HUGETLB;
	case METHOD_FILE_COW:
		return e->kind == KIND_FILE || e->kind == KIND_SHMEM;
	case METHOD_NONE:
		break;
	}
	return false;
}

void transfer_term_signals(sigset_t *set)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGVTALRM,
				    SIGPROF, SIGXCPU, SIGXFSZ, SIGUSR1, SIGUSR2 };

	sigemptyset(set);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(set, sigs[i]);
}

/* ---- plan again, under the freeze ------------------------------------------ */

/* The frozen threads' registers are better facts than /proc's: they exist
 * for running threads too, and they carry the thread pointer. */
static void frozen_threads(struct proc_facts *pf, const struct inject_proc *p)
{
	for (size_t i = 0; i < pf->nthreads; i++) {
		struct thread_fact *t = &pf->threads[i];
		struct inject_frozen f;
		if (inject_thread_frozen(p, t->tid, &f))
			continue;
		t->blocked = true;
		t->sp = f.sp;
		t->ip = f.ip;
		t->tls = f.tls;
	}
	/* Frozen, every thread reads 't' in /proc; whether the process was
	 * stopped (SIGSTOP) the engine saw at the seize, and that is the
	 * state it goes back to (the plan's live rule asks). */
	if (pf->state == 't' || pf->state == 'T')
		pf->state = inject_group_stopped(p) ? 'T' : 'S';
}

/*
 * Whether @now is another program than @before in the same process: it ran
 * execve between the two readings.  The pid and the start time stay; the
 * name, the vdso and the main stack of a new mm do not (the kernel places
 * them afresh, at random unless randomisation is off).  Read from auxv and
 * stat, which a scope of one range reads too.
 */
static bool execd(const struct proc_facts *before, const struct proc_facts *now)
{
	/* a process being killed loses its mm first: no mm is no new program.
	 * It can go between the reads of one re-read (the soak saw a target
	 * killed while it was held read as exec'd: its VMAs and stat read,
	 * auxv's vdso then 0), and a new program has both marks again. */
	if (strchr("ZXx", now->state) || (!now->vdso && !now->start_stack && !now->vmas.n) ||
	    (before->vdso && !now->vdso) || (before->start_stack && !now->start_stack))
		return false;
	return strcmp(before->comm, now->comm) != 0 || before->vdso != now->vdso ||
	       before->start_stack != now->start_stack;
}

/* After an attach that failed as if the process had gone: whether it is
 * there still, another program.  Then st says so. */
static bool attach_saw_exec(const struct proc_facts *pf, struct transfer_stats *st)
{
	struct proc_facts now = { .procfd = -1 };
	bool r = proc_facts_reread(pf, &now) == 0 && now.start_time == pf->start_time &&
		 execd(pf, &now);

	if (r) {
		st->exited_pid = pf->pid;
		xfer_fail(st, -ESRCH,
			  "process %d ran execve during the attach (it is now %s): the memory pvmmap "
			  "examined is gone; nothing was changed", pf->pid, now.comm);
	}
	proc_facts_free(&now);
	return r;
}

/* The target's facts, re-read while it alone is held (r: how that went). */
struct tgt_read {
	struct proc_facts facts;
	int r;
	bool have;
};

/* Re-read both processes under the freeze (the VMAs the first reading
 * read: the range's alone, for a transfer between two processes) and plan
 * again.  @src and @tgt are the same facts for a transfer within one
 * process.  numa_maps only when a policy is to be replayed: the kernel
 * walks the page tables of every VMA it prints up to the range's end.
 *
 * @live (the plan goes live, its policies read before the freeze): this
 * is a live transfer's first freeze, which walks no page table (issue 10):
 * the source's range from PROCMAP_QUERY, its smaps fields and policies
 * those read before the freeze while the headers are the same, its edges
 * as measured then.  That is enough to make the destination and start
 * the tracking, and the final freeze checks the range again (what it
 * finds changed rolls back).  A plan that no longer goes live, or headers
 * that changed, read it in full. */
static int replan(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		  const struct request *req, struct plan *plan, const struct inject_proc *sp, bool live,
		  struct tgt_read *pre, const struct plan *shaped, bool *kept)
{
	struct proc_facts ns = { .procfd = -1 }, nt = { .procfd = -1 };
	bool same = src == tgt, cheap = live && !same;
	struct plan np;
	int r;

again:
	r = cheap ? proc_facts_reread_headers(src, &ns) : -EAGAIN;
	if (r && r != -ESRCH && r != -ENOMEM) {
		cheap = false;
		/* another process's limits, memory cgroup and mountinfo
		 * are not re-read under the freeze: the plan's rules read the
		 * target's alone (~2-5 ms of a frozen share's pause) */
		r = same ? proc_facts_reread(src, &ns) : proc_facts_recheck(src, &ns);
	}
	if (!r && !same && pre && pre->have) {
		/* read under the target's freeze, before the source's */
		r = pre->r;
		nt = pre->facts;
		pre->have = false;
		pre->facts = (struct proc_facts){ .procfd = -1 };
	} else if (!r && !same) {
		r = proc_facts_reread(tgt, &nt);
	}
	if (!r && (execd(src, &ns) || (!same && execd(tgt, &nt))))
		r = -ECHILD;    /* the caller says which one exec'd */
	if (r) {
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		return r;
	}
	frozen_threads(&ns, sp);
	for (int i = 0; i < 2; i++) {
		ns.edges[i] = src->edges[i];
		if (ns.edges[i].known && !cheap)
			ns.edges[i].known = proc_range_residency(&ns, ns.edges[i].start, ns.edges[i].end,
								 &ns.edges[i].rss, &ns.edges[i].swap) == 0;
	}
	r = plan_make(sf, &ns, same ? &ns : &nt, req, &np);
	if (!r && cheap && !plan_goes_live(&np)) {
		/* it goes frozen after all (stopped meanwhile): in full */
		plan_free(&np);
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		cheap = false;
		goto again;
	}
	/* cheap: read before the freeze, unless the plan needed none then
	 * (with --partial, a piece refused then may go now) */
	if (!r && plan_needs_policies(&np) && !(cheap && src->policies)) {
		r = proc_policies_read(&ns);
		if (r)
			plan_free(&np);
	}
	if (r) {
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		return r;
	}
	/* before @src goes: @shaped's pieces point into it */
	if (shaped) {
		size_t diff;
		uint64_t at;
		*kept = !np.error.reason && xfer_same_plan(shaped, &np, req->at_any, &diff) &&
			xfer_same_vmas(shaped, &ns, &at);
	}
	plan_free(plan);
	proc_facts_free(src);
	*src = ns;
	if (!same) {
		proc_facts_free(tgt);
		*tgt = nt;
	}
	*plan = np;
	return 0;
}

static bool plan_refuses(const struct plan *p)
{
	if (p->error.reason)
		return true;
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].status == STATUS_REFUSED)
			return true;
	return false;
}

/* -EOPNOTSUPP, with the reason in st->message, when an OK entry is one this
 * version cannot carry out. */
static int check_supported(const struct plan *plan, const struct request *req,
			   struct transfer_stats *st)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->e[i];
		if (e->status == STATUS_OK && !transfer_supports(e, req))
			return xfer_fail(st, -EOPNOTSUPP,
					 "this version cannot carry out %s of %s memory, which the plan approved",
					 plan_method_name(e->method) ? plan_method_name(e->method) : "?",
					 plan_kind_name(e->kind) ? plan_kind_name(e->kind) : "?");
	}
	return 0;
}

/*
 * Prepare, under the freeze: the plan again, and whether to go on.  0 to
 * run, 1 when nothing is to be done (the new plan refuses: it says why),
 * or -errno (st->message says why).
 */
static int prepare(struct xfer *x, struct proc_facts *src, struct proc_facts *tgt, bool live,
		   struct tgt_read *pre, const struct plan *shaped)
{
	struct transfer_stats *st = x->st;
	struct plan *plan = x->plan;
	bool kept = false;
	int r;

	/* What was checked is what is done. */
	r = replan(x->sf, src, tgt, x->req, plan, x->sp, live, pre, shaped, &kept);
	if (r == -ECHILD) {
		/* @src and @tgt are still the facts from before */
		if (!attach_saw_exec(src, st))
			attach_saw_exec(tgt, st);
		return -ESRCH;
	}
	if (r)
		return xfer_fail(st, r, "cannot re-read the processes: %s", xfer_strerror(-r));
	if (plan->error.reason && xfer_peer_exited(x, -ESRCH) == -ESRCH)
		/* the re-read saw a process being killed (a zombie leader,
		 * threads going): say that it exited, not what it looked like */
		return -ESRCH;
	if (plan->error.reason || (plan_refuses(plan) && !x->req->partial))
		return 1;       /* nothing changed; the plan says why */
	r = check_supported(plan, x->req, st);
	if (r)
		return r;
	if (kept) {
		/* the destination made from @shaped stands: where --at any
		 * put it too */
		plan->dest_start = shaped->dest_start;
		plan->dest_end = shaped->dest_end;
		for (size_t i = 0; i < plan->n; i++)
			plan->e[i].dest_start = shaped->e[i].dest_start;
		x->created = true;
	}
	x->src = src;
	/* an entry a piece, the scratch page, a pidfd, fdpass's two */
	inject_journal_reserve(x->tp, plan->n + 6);
	return 0;
}

/*
 * A frozen transfer between two processes, the target held and re-read
 * (@nt), the source not yet: make the destination now from a plan of the
 * source's facts read before (@src), so that its syscalls in the target
 * are no part of the source's pause (issue 10).  Only the mappings: what
 * shapes them (names, NUMA policy, madvise flags), the copy, the
 * protections and the commit wait for the source's freeze, and so does
 * everything read of the source.  Under it, replan plans again from the
 * source's facts read then; the destination stands only when that plan
 * and the VMAs its pieces lie in are what it was made from (the same
 * check as a live transfer's final freeze), else it is rolled back and
 * made again, as if this had never run.  The target's journal holds it
 * meanwhile: a pvmmap that dies leaves the source untouched, and the
 * target undoes it.  1 when made (@early is then its plan), 0 when
 * nothing is left in the target, -ENOTRECOVERABLE when what was made
 * could not be undone (st->message says what is where).
 */
static int make_early(struct xfer *x, struct proc_facts *src, const struct proc_facts *nt,
		      struct plan *early)
{
	struct plan *plan = x->plan;
	bool any = false;
	int r;

	/* --replace: a mapping of the target's replaced early could not be
	 * given back, should the plan under the freeze refuse */
	if (x->req->replace || plan_make(x->sf, src, nt, x->req, early))
		return 0;
	for (size_t i = 0; i < early->n; i++)
		any |= early->e[i].status == STATUS_OK;
	for (size_t i = 0; any && i < early->n; i++)
		any = early->e[i].status != STATUS_OK || transfer_supports(&early->e[i], x->req);
	if (!any || early->error.reason || plan_refuses(early) || plan_goes_live(early)) {
		plan_free(early);
		return 0;
	}
	inject_journal_reserve(x->tp, early->n + 6);
	x->plan = early;
	x->src = src;
	r = xfer_execute_early(x);
	x->plan = plan;
	x->src = NULL;
	if (r) {
		/* undone now, and tried again under the freeze, where the
		 * same failure is told as it always was */
		plan_free(early);
		r = xfer_discard_early(x);
		if (!r)
			x->st->message[0] = '\0';
		return r;
	}
	return 1;
}

static int run(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
	       const struct request *req, struct plan *plan, const struct transfer_hooks *hooks,
	       struct transfer_stats *st)
{
	struct xfer x = { .sf = sf, .req = req, .plan = plan, .st = st, .hooks = hooks,
			  .self_pidfd = -1, .scratch_id = -1, .self_pidfd_id = -1 };
	struct tgt_read pre = { .facts = { .procfd = -1 } };
	struct plan early = { 0 };
	bool any = false, live;
	int made = 0;
	int r;

	memset(st, 0, sizeof(*st));
	x.page = sf->page_size ? sf->page_size : 4096;
	x.fail_at = getenv("PVMMAP_FAIL_AT");
	if (x.fail_at && !*x.fail_at)
		x.fail_at = NULL;

	/* Refuse what this version cannot do before stopping anything. */
	for (size_t i = 0; i < plan->n; i++)
		any |= plan->e[i].status == STATUS_OK;
	if (!any)
		return 0;       /* nothing to do (--partial, all refused) */
	r = check_supported(plan, req, st);
	if (r)
		return r;

	/* A live transfer's first freeze reads no numa_maps (replan): the
	 * policies are read now, while the source runs.  One the source
	 * sets after this is not seen (docs/kernel-facts.md, "A live
	 * source's NUMA policy"). */
	live = src != tgt && plan_goes_live(plan);
	if (live && plan_needs_policies(plan))
		live = proc_policies_read(src) == 0;
	/* A frozen transfer between two processes: cursors before the range
	 * in the source's smaps and numa_maps, which its re-read under the
	 * freeze goes on from (best effort: without one it opens them
	 * afresh).  A live transfer's first freeze reads no smaps, and its
	 * final one re-reads the facts of the first. */
	if (src != tgt && !live)
		(void)proc_cursors_place(src, plan_needs_policies(plan));
	/* The target first: it is held throughout, so what is read of it
	 * now is what it is when the source stops, and reading it (~0.4 ms,
	 * issue 10) is no part of the source's pause.  A failure to read
	 * it is told once both are held, as before. */
	r = xfer_stop_target(&x, src, tgt);
	if (!r && src != tgt) {
		pre.r = proc_facts_reread(tgt, &pre.facts);
		pre.have = true;
		if (!pre.r && !live)
			made = make_early(&x, src, &pre.facts, &early);
	}
	if (made < 0) {
		proc_facts_free(&pre.facts);
		xfer_resume(&x);
		return made;
	}
	if (made)
		testpoint_mark("early");
	if (!r) {
		r = xfer_stop_source(&x, src);
		if (r) {
			/* the target alone is held */
			int d = made ? xfer_discard_early(&x) : 0;

			plan_free(&early);
			xfer_resume(&x);
			if (d) {
				/* what is left in the target is the news */
				proc_facts_free(&pre.facts);
				st->attach_err = 0;
				return d;
			}
		}
	}
	if (r) {
		proc_facts_free(&pre.facts);
		const struct proc_facts *pf = st->attach_pid == src->pid ? src : tgt;
		if ((r == -ESRCH || r == -EOWNERDEAD) && attach_saw_exec(pf, st)) {
			st->attach_err = 0;
			return -ESRCH;
		}
		return r;
	}
	testpoint_mark("held");
	r = prepare(&x, src, tgt, live, &pre, made ? &early : NULL);
	proc_facts_free(&pre.facts);
	if (made && !x.created) {
		/* planned otherwise under the freeze, or not to be done:
		 * made again from the new plan, if at all */
		int d = xfer_discard_early(&x);
		if (d)
			r = d;
	}
	plan_free(&early);
	if (r == 0 && xfer_live_wanted(&x))
		r = xfer_live_run(&x, src, tgt);
	else if (r == 0)
		r = xfer_cure(&x, xfer_execute(&x));
	else if (r == 1)
		r = 0;
	xfer_resume(&x);
	xfer_live_end(&x);
	if (!st->rounds)
		st->rounds = 1;
	return r;
}

int transfer_run(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		 const struct request *req, struct plan *plan, const struct transfer_hooks *hooks,
		 struct transfer_stats *st)
{
	int r = run(sf, src, tgt, req, plan, hooks, st);

	/* Not fully rolled back: no piece was done, and none may still read
	 * "ok", a dry run's word for "would be done" (st->message says what
	 * is left where). */
	if (r == -ENOTRECOVERABLE)
		for (size_t i = 0; i < plan->n; i++)
			if (plan->e[i].status == STATUS_OK) {
				plan->e[i].status = STATUS_FAILED;
				plan->e[i].bytes_copied = 0;
			}
	return r;
}

void xfer_frozen_threads(struct proc_facts *pf, const struct inject_proc *p)
{
	frozen_threads(pf, p);
}

bool xfer_execd(const struct proc_facts *before, const struct proc_facts *now)
{
	return execd(before, now);
}

/* ---- clean ------------------------------------------------------------------- */

/* Remove one rescue area at @at in VMA @v of the frozen process @p. */
static int clean_one(struct inject_proc *p, const struct vma *v, uint64_t at, char *msg, size_t len)
{
	pid_t tid = inject_thread_resting_in(p, at, v->end);
	uint64_t size;
	int64_t ret;
	int r;

	if (tid)
		return xfer_fail_msg(msg, len, -EBUSY,
				     "thread %d of process %d still rests in the rescue code at "
				     "0x%llx: it is stopped; it runs that code and goes on once "
				     "continued (SIGCONT)", tid, inject_pid(p), (unsigned long long)at);
	if (strcmp(v->name, "[vdso]") != 0) {
		r = inject_call(p, ARCH_SYS_MUNMAP, v->start, v->end - v->start, 0, 0, 0, 0, &ret);
		if (!r && ret < 0)
			r = (int)ret;
		if (r)
			return xfer_fail_msg(msg, len, r, "munmap of 0x%llx in process %d failed: %s",
					     (unsigned long long)v->start, inject_pid(p),
					     xfer_strerror(-r));
		return 0;
	}
	/* in the vdso: zero what the head says it holds, to the vdso's end */
	r = inject_read(p, at + HEAD_SIZE, &size, sizeof size);
	if (!r) {
		unsigned char *zero;
		if (size > v->end - at)
			size = v->end - at;
		zero = calloc(1, size);
		r = zero ? inject_write(p, at, zero, size) : -ENOMEM;
		free(zero);
	}
	if (r)
		return xfer_fail_msg(msg, len, r, "cannot write the vdso of process %d: %s",
				     inject_pid(p), xfer_strerror(-r));
	return 0;
}

int transfer_clean(const struct sys_facts *sf, struct proc_facts *pf, double timeout_s,
		   uint64_t *at, size_t max, size_t *n, char *msg, size_t len)
{
	unsigned flags = (sf->self_cap_eff >> CAP_BIT_ADMIN) & 1 ? INJECT_SUSPEND_SECCOMP : 0;
	struct proc_facts now = { .procfd = -1 };
	struct inject_proc *p;
	int r;

	*n = 0;
	msg[0] = '\0';
	r = inject_seize(pf->pid, pf->start_time, flags, (int)(timeout_s * 1000), &p);
	if (r)
		return r;
	/* What is there under the freeze.  The vdso's first: removing a
	 * mapping runs a syscall, whose rescue area then takes the vdso's
	 * tail (and would cover what is read here). */
	r = proc_facts_read(pf->pid, true, &now);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; !r && i < now.vmas.n; i++) {
			const struct vma *v = &now.vmas.v[i];
			if (!v->residue || (strcmp(v->name, "[vdso]") == 0) != (pass == 0))
				continue;
			r = clean_one(p, v, v->residue, msg, len);
			if (!r && *n < max)
				at[(*n)++] = v->residue;
		}
	proc_facts_free(&now);
	inject_detach(p);
	return r;
}
