/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transfer (see transfer.h).  Order of work, each step a boundary where
 * a failure or a pending SIGINT/SIGTERM/SIGHUP rolls everything back:
 *   seize both -> re-read facts, re-plan -> create the destination VMAs in
 *   the target -> copy the populated pages -> protections and attributes ->
 *   commit (move: munmap in the source) -> detach.
 * Before the commit, the source is never changed; the rollback unmaps only
 * what was created in the target.
 */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "compat.h"
#include "inject.h"

#define CAP_BIT_ADMIN 21
#define COPY_BUF      (8u << 20)   /* bounded: pvmmap's memory does not grow */
#define PM_CHUNK      4096u        /* pagemap entries read at once */
#define PM_PRESENT    (UINT64_C(1) << 63)
#define PM_SWAPPED    (UINT64_C(1) << 62)
#define PM_GUARD      (UINT64_C(1) << 58)

struct region { uint64_t start, len; };

struct xfer {
	const struct sys_facts *sf;
	const struct request *req;
	struct plan *plan;
	struct transfer_stats *st;
	struct inject_proc *sp, *tp;
	struct region *made;        /* created in the target */
	size_t nmade, capmade;
	const char *fail_at;
	unsigned char *buf;
	uint64_t page;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool transfer_supports(const struct plan_entry *e, const struct request *req)
{
	return e->method == METHOD_COPY && (e->kind == KIND_ANON || e->kind == KIND_HEAP) &&
	       req->pid != req->pid2;
}

static int sys(struct inject_proc *p, enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2,
	       uint64_t a3, uint64_t a4, uint64_t a5, int64_t *ret)
{
	return inject_call(p, s, a0, a1, a2, a3, a4, a5, ret);
}

/* A step boundary: the test failure point, or a signal that arrived. */
static int boundary(struct xfer *x, const char *name)
{
	sigset_t pend;

	if (x->fail_at && strcmp(x->fail_at, name) == 0) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "PVMMAP_FAIL_AT=%s: failing on purpose", name);
		return -EIO;
	}
	if (sigpending(&pend) == 0 && (sigismember(&pend, SIGINT) == 1 ||
	    sigismember(&pend, SIGTERM) == 1 || sigismember(&pend, SIGHUP) == 1)) {
		snprintf(x->st->message, sizeof(x->st->message), "interrupted by a signal (%s)", name);
		return -EINTR;
	}
	return 0;
}

static int remember(struct xfer *x, uint64_t start, uint64_t len)
{
	if (x->nmade == x->capmade) {
		size_t cap = x->capmade ? x->capmade * 2 : 8;
		struct region *m = realloc(x->made, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		x->made = m;
		x->capmade = cap;
	}
	x->made[x->nmade++] = (struct region){ start, len };
	return 0;
}

/* fixed: 0 the kernel chooses, 1 at dest (MAP_FIXED_NOREPLACE, or MAP_FIXED
 * with --replace), 2 at dest inside a reservation of ours (MAP_FIXED). */
static int mmap_at(struct xfer *x, uint64_t dest, uint64_t len, bool noreserve, int fixed)
{
	int64_t ret;
	uint64_t flags = MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0);
	int r;

	if (fixed)
		flags |= x->req->replace || fixed == 2 ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	r = sys(x->tp, ARCH_SYS_MMAP, fixed ? dest : 0, len, PROT_READ | PROT_WRITE, flags,
		(uint64_t)-1, 0, &ret);
	if (r)
		return r;
	if (ret < 0 && ret > -4096) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "mmap of 0x%llx bytes at 0x%llx in the target failed: %s",
			 (unsigned long long)len, (unsigned long long)dest, strerror((int)-ret));
		return (int)ret;
	}
	if (fixed && (uint64_t)ret != dest) {
		/* An old kernel ignored MAP_FIXED_NOREPLACE: undo its choice. */
		int64_t ign;
		sys(x->tp, ARCH_SYS_MUNMAP, (uint64_t)ret, len, 0, 0, 0, 0, &ign);
		snprintf(x->st->message, sizeof(x->st->message),
			 "the target's 0x%llx is occupied", (unsigned long long)dest);
		return -EEXIST;
	}
	if (fixed == 2)
		return 0;       /* inside a region already remembered */
	r = remember(x, (uint64_t)ret, len);
	if (r) {
		int64_t ign;
		sys(x->tp, ARCH_SYS_MUNMAP, (uint64_t)ret, len, 0, 0, 0, 0, &ign);
		return r;
	}
	return 0;
}

static int create_all(struct xfer *x)
{
	struct plan *p = x->plan;
	const struct request *req = x->req;
	int r;

	if (req->at_any) {
		/* One mapping for the whole range, placed by the kernel; the
		 * pieces then live inside it, and holes (with --partial) are
		 * given back. */
		uint64_t len = req->range_end - req->addr, base;
		r = mmap_at(x, 0, len, true, 0);
		if (r)
			return r;
		base = x->made[x->nmade - 1].start;
		p->dest_start = base;
		p->dest_end = base + len;
		for (size_t i = 0; i < p->n; i++) {
			struct plan_entry *e = &p->e[i];
			e->dest_start = base + (e->start - req->addr);
			if (e->status != STATUS_OK) {
				int64_t ret;
				r = sys(x->tp, ARCH_SYS_MUNMAP, e->dest_start, e->end - e->start,
					0, 0, 0, 0, &ret);
				if (r)
					return r;
				if (ret)
					return (int)ret;
				e->dest_start = ADDR_NONE;
				continue;
			}
			r = mmap_at(x, e->dest_start, e->end - e->start,
				    e->vma && (e->vma->vmflags & VMF(NR)), 2);
			if (r)
				return r;
		}
		return 0;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct plan_entry *e = &p->e[i];
		if (e->status != STATUS_OK)
			continue;
		r = mmap_at(x, e->dest_start, e->end - e->start,
			    e->vma && (e->vma->vmflags & VMF(NR)), 1);
		if (r)
			return r;
	}
	return 0;
}

static int call_ok(struct xfer *x, const char *what, uint64_t addr, enum arch_sys s,
		   uint64_t a0, uint64_t a1, uint64_t a2)
{
	int64_t ret;
	int r = sys(x->tp, s, a0, a1, a2, 0, 0, 0, &ret);

	if (!r && ret < 0)
		r = (int)ret;
	if (r)
		snprintf(x->st->message, sizeof(x->st->message), "%s at 0x%llx in the target failed: %s",
			 what, (unsigned long long)addr, strerror(-r));
	return r;
}

/* Copy [start, end) of the source to dest, populated pages only. */
static int copy_piece(struct xfer *x, int pmfd, struct plan_entry *e)
{
	static uint64_t pm[PM_CHUNK];
	uint64_t pg = x->page;
	uint64_t a = e->start;

	while (a < e->end) {
		uint64_t n = (e->end - a) / pg, run = 0, run_start = 0;
		if (n > PM_CHUNK)
			n = PM_CHUNK;
		ssize_t got = pread(pmfd, pm, n * 8, (off_t)(a / pg * 8));
		if (got < 0)
			return -errno;
		if ((uint64_t)got != n * 8)
			return -EIO;
		for (uint64_t i = 0; i <= n; i++) {
			bool take = i < n && (pm[i] & (PM_PRESENT | PM_SWAPPED)) && !(pm[i] & PM_GUARD);
			uint64_t at = a + i * pg;
			if (i < n && (pm[i] & PM_GUARD)) {
				/* A guard region (6.13+): installed again, never read. */
				uint64_t dg = e->dest_start + (at - e->start);
				int r = call_ok(x, "madvise(MADV_GUARD_INSTALL)", dg, ARCH_SYS_MADVISE,
						dg, pg, MADV_GUARD_INSTALL);
				if (r)
					return r;
			}
			if (take && !run)
				run_start = at;
			if (take)
				run += pg;
			/* flush at the end of a run or when the buffer is full */
			if (run && (!take || run == COPY_BUF)) {
				uint64_t dst = e->dest_start + (run_start - e->start);
				int r = inject_read(x->sp, run_start, x->buf, run);
				if (!r)
					r = inject_write(x->tp, dst, x->buf, run);
				if (r) {
					snprintf(x->st->message, sizeof(x->st->message),
						 "copying 0x%llx bytes from 0x%llx failed: %s",
						 (unsigned long long)run,
						 (unsigned long long)run_start, strerror(-r));
					return r;
				}
				e->bytes_copied += run;
				x->st->bytes_copied += run;
				run = 0;
				r = boundary(x, "copy");
				if (r)
					return r;
			}
		}
		a += n * pg;
	}
	return 0;
}

static int copy_all(struct xfer *x)
{
	int pmfd = openat(x->sp->procfd, "pagemap", O_RDONLY | O_CLOEXEC);
	int r = 0;

	if (pmfd < 0)
		return -errno;
	for (size_t i = 0; i < x->plan->n && !r; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (e->status == STATUS_OK)
			r = copy_piece(x, pmfd, e);
		if (!r)
			r = boundary(x, "copy");
	}
	close(pmfd);
	return r;
}

static int protect_all(struct xfer *x)
{
	static const struct { int flag; int advice; const char *name; } adv[] = {
		{ VMF_DC, MADV_DONTFORK, "madvise(MADV_DONTFORK)" },
		{ VMF_WF, MADV_WIPEONFORK, "madvise(MADV_WIPEONFORK)" },
		{ VMF_DD, MADV_DONTDUMP, "madvise(MADV_DONTDUMP)" },
		{ VMF_HG, MADV_HUGEPAGE, "madvise(MADV_HUGEPAGE)" },
		{ VMF_NH, MADV_NOHUGEPAGE, "madvise(MADV_NOHUGEPAGE)" },
	};

	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		const struct vma *v = e->vma;
		uint64_t d = e->dest_start, len = e->end - e->start;
		int prot = 0, r;

		if (e->status != STATUS_OK || !v)
			continue;
		prot |= v->perms[0] == 'r' ? PROT_READ : 0;
		prot |= v->perms[1] == 'w' ? PROT_WRITE : 0;
		prot |= v->perms[2] == 'x' ? PROT_EXEC : 0;
		for (size_t k = 0; k < sizeof(adv) / sizeof(adv[0]); k++) {
			if (!(v->vmflags & (UINT64_C(1) << adv[k].flag)))
				continue;
			r = call_ok(x, adv[k].name, d, ARCH_SYS_MADVISE, d, len, (uint64_t)adv[k].advice);
			if (r)
				return r;
		}
		if (prot != (PROT_READ | PROT_WRITE)) {
			r = call_ok(x, "mprotect", d, ARCH_SYS_MPROTECT, d, len, (uint64_t)prot);
			if (r)
				return r;
		}
		if (v->vmflags & VMF(LO)) {
			if (v->vmflags & VMF(LF))
				r = call_ok(x, "mlock2", d, ARCH_SYS_MLOCK2, d, len, MLOCK_ONFAULT);
			else
				r = call_ok(x, "mlock", d, ARCH_SYS_MLOCK, d, len, 0);
			if (r)
				return r;
		}
		r = boundary(x, "protect");
		if (r)
			return r;
	}
	return 0;
}

/* Unmap what was created in the target.  0, or -ENOTRECOVERABLE when some
 * of it could not be removed (st->message then says what is left where). */
static int rollback(struct xfer *x)
{
	int err = 0;

	for (size_t i = x->nmade; i-- > 0;) {
		int64_t ret = 0;
		int r = sys(x->tp, ARCH_SYS_MUNMAP, x->made[i].start, x->made[i].len, 0, 0, 0, 0, &ret);
		if (!r && ret < 0)
			r = (int)ret;
		if (r && !err) {
			err = -ENOTRECOVERABLE;
			snprintf(x->st->message, sizeof(x->st->message),
				 "rolling back failed: the target %d still maps 0x%llx-0x%llx (%s); "
				 "the source is unchanged", x->tp->pid,
				 (unsigned long long)x->made[i].start,
				 (unsigned long long)(x->made[i].start + x->made[i].len), strerror(-r));
		}
	}
	x->nmade = 0;
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (e->status == STATUS_OK) {
			e->status = STATUS_ROLLED_BACK;
			e->bytes_copied = 0;
		}
	}
	if (x->req->at_any)
		x->plan->dest_start = x->plan->dest_end = ADDR_NONE;
	x->st->bytes_copied = 0;
	return err;
}

static int commit(struct xfer *x)
{
	int err = 0;

	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (e->status != STATUS_OK)
			continue;
		if (x->req->op == OP_MOVE) {
			int64_t ret;
			int r = sys(x->sp, ARCH_SYS_MUNMAP, e->start, e->end - e->start, 0, 0, 0, 0, &ret);
			if (!r && ret < 0)
				r = (int)ret;
			if (r) {
				e->status = STATUS_FAILED;
				snprintf(e->detail, sizeof(e->detail),
					 "copied to the target at 0x%llx, but munmap in the source failed: %s",
					 (unsigned long long)e->dest_start, strerror(-r));
				if (!err) {
					err = r;
					snprintf(x->st->message, sizeof(x->st->message),
						 "the target holds the whole range, but the source still maps 0x%llx-0x%llx: %s",
						 (unsigned long long)e->start, (unsigned long long)e->end,
						 strerror(-r));
				}
				continue;
			}
		}
		e->status = STATUS_DONE;
	}
	return err ? -ENOTRECOVERABLE : 0;
}

/* Re-read both processes under the freeze and plan again. */
static int replan(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		  const struct request *req, struct plan *plan)
{
	struct proc_facts ns = { .procfd = -1 }, nt = { .procfd = -1 };
	struct plan np;
	int r;

	r = proc_facts_read(src->pid, true, &ns);
	if (!r)
		r = proc_facts_read(tgt->pid, true, &nt);
	if (r) {
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		return r;
	}
	for (int i = 0; i < 2; i++) {
		ns.edges[i] = src->edges[i];
		if (ns.edges[i].known)
			ns.edges[i].known = proc_range_residency(&ns, ns.edges[i].start, ns.edges[i].end,
								 &ns.edges[i].rss, &ns.edges[i].swap) == 0;
	}
	r = plan_make(sf, &ns, &nt, req, &np);
	if (r) {
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		return r;
	}
	plan_free(plan);
	proc_facts_free(src);
	proc_facts_free(tgt);
	*src = ns;
	*tgt = nt;
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

int transfer_run(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		 const struct request *req, struct plan *plan, struct transfer_stats *st)
{
	struct xfer x = { .sf = sf, .req = req, .plan = plan, .st = st };
	unsigned flags = (sf->self_cap_eff >> CAP_BIT_ADMIN) & 1 ? INJECT_SUSPEND_SECCOMP : 0;
	int timeout_ms = (int)(req->timeout_s * 1000);
	double t0;
	int r, rd;

	memset(st, 0, sizeof(*st));
	x.page = sf->page_size ? sf->page_size : 4096;
	x.fail_at = getenv("PVMMAP_FAIL_AT");
	if (x.fail_at && !*x.fail_at)
		x.fail_at = NULL;

	/* Refuse what this version cannot do before stopping anything. */
	bool any = false;
	for (size_t i = 0; i < plan->n; i++)
		any |= plan->e[i].status == STATUS_OK;
	if (!any)
		return 0;       /* nothing to do (--partial, all refused) */
	if (req->pid == req->pid2) {
		snprintf(st->message, sizeof(st->message),
			 "this version moves only private anonymous memory between two processes; "
			 "a transfer within one process is planned but not implemented yet");
		return -EOPNOTSUPP;
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->e[i];
		if (e->status == STATUS_OK && !transfer_supports(e, req)) {
			snprintf(st->message, sizeof(st->message),
				 "this version moves only private anonymous memory; %s of %s is planned but not implemented yet",
				 method_name(e->method) ? method_name(e->method) : "?",
				 kind_name(e->kind) ? kind_name(e->kind) : "?");
			return -EOPNOTSUPP;
		}
	}

	t0 = now_s();
	r = inject_seize(src->pid, src->start_time, flags, timeout_ms, &x.sp);
	if (r) {
		st->attach_err = r;
		st->attach_pid = src->pid;
		return r;
	}
	r = inject_seize(tgt->pid, tgt->start_time, flags, timeout_ms, &x.tp);
	if (r) {
		st->attach_err = r;
		st->attach_pid = tgt->pid;
		inject_detach(x.sp);
		st->paused_s = now_s() - t0;
		return r;
	}

	/* What was checked is what is done. */
	r = replan(sf, src, tgt, req, plan);
	if (r) {
		snprintf(st->message, sizeof(st->message), "cannot re-read the processes: %s",
			 strerror(-r));
		goto out_plain;
	}
	if (plan->error.reason || (plan_refuses(plan) && !req->partial))
		goto out_plain;  /* nothing changed; the plan says why */
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->e[i];
		if (e->status == STATUS_OK && !transfer_supports(e, req)) {
			snprintf(st->message, sizeof(st->message),
				 "this version moves only private anonymous memory; %s of %s is planned but not implemented yet",
				 method_name(e->method), kind_name(e->kind));
			r = -EOPNOTSUPP;
			goto out_plain;
		}
	}

	x.buf = malloc(COPY_BUF);
	if (!x.buf) {
		r = -ENOMEM;
		goto out_plain;
	}
	r = boundary(&x, "start");
	if (!r)
		r = create_all(&x);
	if (!r)
		r = boundary(&x, "after-create");
	if (!r)
		r = copy_all(&x);
	if (!r)
		r = boundary(&x, "after-copy");
	if (!r)
		r = protect_all(&x);
	if (!r)
		r = boundary(&x, "after-protect");
	if (r) {
		if (!st->message[0])
			snprintf(st->message, sizeof(st->message), "the transfer failed: %s",
				 strerror(-r));
		int rb = rollback(&x);
		if (rb)
			r = rb;
	} else {
		r = commit(&x);
	}
	free(x.buf);
	free(x.made);
out_plain:
	rd = inject_detach(x.tp);
	rd = inject_detach(x.sp) ?: rd;
	st->paused_s = now_s() - t0;
	(void)rd;
	return r;
}
