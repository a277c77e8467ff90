/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transaction (see src/transfer_priv.h).  Order of work, each step a
 * boundary where a failure or a pending SIGINT/SIGTERM/SIGHUP rolls
 * everything back:
 *   seize the target -> (the caller: re-read it) -> seize the source ->
 *   (the caller: re-read it, re-plan with the frozen registers) -> create the destination VMAs in the target (remap:
 *   mremap them there) -> attributes that shape the pages (THP advice,
 *   fork and dump flags) -> copy the populated pages -> protections and
 *   mlock -> commit (move: munmap in the source) -> detach.
 * Before the commit, the source is never changed (a remap is undone by
 * remapping back); the rollback removes only what was made in the target.
 * What is made in the target is in the engine's journal (inject.h) from
 * the syscall that makes it: the rollback runs that journal, and so does
 * the target itself, should pvmmap die before the commit.  The commit
 * forgets the journal before the source loses anything: a pvmmap killed in
 * the commit leaves at worst a move done as a copy, never data lost.
 */
#include "transfer_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

const char *xfer_strerror(int err)
{
	return err == ETIMEDOUT ? "the process did not answer within --timeout" : strerror(err);
}

int xfer_fail_msg(char *msg, size_t len, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return err;
}

int xfer_call_ok(struct xfer *x, struct inject_proc *p, const char *what, uint64_t addr,
		 enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	int64_t ret;
	int r = inject_call(p, s, a0, a1, a2, a3, 0, 0, &ret);

	if (!r && ret < 0)
		r = (int)ret;
	if (r)
		return xfer_fail(x->st, r, "%s at 0x%llx in the %s failed: %s", what,
				 (unsigned long long)addr, p == x->tp ? "target" : "source",
				 xfer_strerror(-r));
	return 0;
}

/* PVMMAP_FAIL_AT names one point or several, separated by commas: a
 * failure, then "undo" to make its rollback fail too. */
static bool fail_at(const struct xfer *x, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = x->fail_at; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

int xfer_boundary(struct xfer *x, const char *name)
{
	sigset_t pend, term;

	if (fail_at(x, name))
		return xfer_fail(x->st, -EIO, "PVMMAP_FAIL_AT=%s: failing on purpose", name);
	if (x->hooks && x->hooks->cancel && *x->hooks->cancel)
		return xfer_fail(x->st, -EINTR, "cancelled (%s)", name);
	if (x->hooks && x->hooks->ignore_signals)
		return 0;
	transfer_term_signals(&term);
	if (sigpending(&pend) == 0)
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(&term, sig) == 1 && sigismember(&pend, sig) == 1)
				return xfer_fail(x->st, -EINTR, "interrupted by %s (%s)",
						 sigabbrev_np(sig), name);
	return 0;
}

/*
 * While pvmmap holds processes, the OOM killer takes anything but pvmmap
 * (-1000: never; lowering it needs CAP_SYS_RESOURCE, else it stays as it
 * is).  Its death would be harmless to them (src/rescue.c), but would make
 * a move that was nearly done undo itself.  @old: the value to put back.
 */
static void oom_protect(char *old, size_t len)
{
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	ssize_t n;

	old[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, old, len - 1);
	old[n > 0 ? n : 0] = '\0';
	if (n > 0 && pwrite(fd, "-1000", 5, 0) != 5)
		old[0] = '\0';
	close(fd);
}

static void oom_restore(const char *old)
{
	int fd;

	if (!old[0] || (fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) < 0)
		return;
	if (write(fd, old, strlen(old)) < 0) {
		/* nothing to be done: pvmmap exits soon anyway */
	}
	close(fd);
}

static void scratch_free(struct xfer *x)
{
	xfer_copy_close(x);
	xfer_scratch_put(x);
}

/* ---- finish ------------------------------------------------------------------ */

/* The target's journal undone, last first: 0, or the first undo's error
 * (@what says which).  PVMMAP_FAIL_AT=undo (tests) undoes nothing, as an
 * undo that fails leaves what it could not remove: what the report then
 * says must be true. */
static int journal_undo(struct xfer *x, char *what, size_t len)
{
	if (fail_at(x, "undo")) {
		snprintf(what, len, "PVMMAP_FAIL_AT=undo: nothing was undone, on purpose");
		return -EIO;
	}
	return inject_journal_rollback(x->tp, what, len);
}

/* Undo what was done in the target, last first: its journal.  0, or
 * -ENOTRECOVERABLE when some of it could not be undone (st->message says
 * what is where; the pieces stay "ok" for transfer_run to fail). */
static int rollback(struct xfer *x)
{
	char what[200];
	int err = 0;

	/* A target that exited has nothing left to undo; one being killed
	 * fails the undoing a moment before it shows that it exited. */
	if (inject_alive(x->tp))
		scratch_free(x);
	if (inject_alive(x->tp) && journal_undo(x, what, sizeof what) && !inject_exited(x->tp, 100))
		err = xfer_fail(x->st, -ENOTRECOVERABLE,
				"rolling back failed: %s; the source is unchanged", what);
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (e->status == STATUS_OK) {
			if (!err)
				e->status = STATUS_ROLLED_BACK;
			e->bytes_copied = 0;
		}
	}
	if (x->req->at_any)
		x->plan->dest_start = x->plan->dest_end = ADDR_NONE;
	x->st->bytes_copied = 0;
	return err;
}

/* The commit point: the target keeps what it got (its journal is
 * forgotten), then the source lets go of the range (move). */
static int commit(struct xfer *x)
{
	int err = 0;

	scratch_free(x);
	err = inject_journal_commit(x->tp);
	if (err) {
		xfer_fail(x->st, err, "cannot commit in the target: %s", xfer_strerror(-err));
		return rollback(x) ? -ENOTRECOVERABLE : err;
	}
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (e->status != STATUS_OK)
			continue;
		/* a remap has already left the source */
		if (x->req->op == OP_MOVE && e->method != METHOD_REMAP) {
			int64_t ret;
			int r = inject_call(x->sp, ARCH_SYS_MUNMAP, e->start, e->end - e->start, 0, 0, 0, 0, &ret);
			if (!r && ret < 0)
				r = (int)ret;
			if (r && inject_exited(x->sp, 100)) {
				/* killed by someone else in the commit: what it
				 * still mapped is gone with it, and the target
				 * holds the whole range */
				x->st->exited_pid = inject_pid(x->sp);
				err = xfer_fail(x->st, -ESRCH,
						"the source %d exited during the commit; the target %d holds the whole range",
						inject_pid(x->sp), inject_pid(x->tp));
				r = 0;
			}
			if (r) {
				e->status = STATUS_FAILED;
				xfer_fail_msg(e->detail, sizeof(e->detail), r,
					      "copied to the target at 0x%llx, but munmap in the source failed: %s",
					      (unsigned long long)e->dest_start, xfer_strerror(-r));
				if (!err)
					err = xfer_fail(x->st, r,
							"the target holds the whole range, but the source still maps 0x%llx-0x%llx: %s",
							(unsigned long long)e->start, (unsigned long long)e->end,
							xfer_strerror(-r));
				continue;
			}
		}
		e->status = STATUS_DONE;
	}
	return err == -ESRCH ? err : err ? -ENOTRECOVERABLE : 0;
}

/*
 * When a failure was a process exiting under pvmmap (killed by someone
 * else), say so, not what the failed syscall said.  The survivor
 * is as it was: the rollback left the target so, and the source is never
 * changed before the commit.
 */
int xfer_peer_exited(struct xfer *x, int r)
{
	/* a process being killed fails our syscalls a moment before it is
	 * a zombie: give it that moment when the error looks like it */
	int grace = r == -ESRCH || r == -EFAULT || r == -EIO || r == -ENOTRECOVERABLE ? 100 : 0;
	bool tgt, src;

	if (x->st->exited_pid)
		return r;       /* said already (the commit) */
	tgt = inject_exited(x->tp, grace);
	src = x->sp != x->tp && inject_exited(x->sp, grace);
	if (!tgt && !src)
		return r;
	x->st->exited_pid = tgt ? inject_pid(x->tp) : inject_pid(x->sp);
	if (tgt && src)
		return xfer_fail(x->st, -ESRCH,
				 "the source %d and the target %d exited during the transfer",
				 inject_pid(x->sp), inject_pid(x->tp));
	if (tgt)
		return xfer_fail(x->st, -ESRCH,
				 "the target %d exited during the transfer; the source %d is unchanged",
				 inject_pid(x->tp), inject_pid(x->sp));
	if (r == -ENOTRECOVERABLE)
		return r;       /* the rollback in the target failed: say that */
	return xfer_fail(x->st, -ESRCH,
			 "the source %d exited during the transfer; the target %d is as it was",
			 inject_pid(x->sp), inject_pid(x->tp));
}

/* Whether anything but a remap is to be done: then the target needs the
 * scratch page, made before anything else, while every source range is
 * still mapped and so cannot be where the kernel puts it (a remapped piece
 * must be able to go back, also when the target's own journal undoes it). */
static bool needs_scratch(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].status == STATUS_OK && p->e[i].method != METHOD_REMAP)
			return true;
	return false;
}

int xfer_execute_early(struct xfer *x)
{
	/* no remap between two processes: the scratch page, if a piece
	 * needs one (fdpass), can be made once the others are mapped */
	int r = xfer_create_all(x);

	/* what is left needs none unless it names, binds to nodes or
	 * pulls (made again then): one munmap less under the source's
	 * freeze */
	if (!r)
		xfer_scratch_put(x);
	return r;
}

int xfer_discard_early(struct xfer *x)
{
	char what[200];

	x->created = false;
	xfer_scratch_put(x);
	if (journal_undo(x, what, sizeof what) && !inject_exited(x->tp, 100))
		return xfer_fail(x->st, -ENOTRECOVERABLE,
				 "rolling back failed: %s; the source is unchanged", what);
	/* the rescue area goes too, so that the plan made under the freeze
	 * sizes the journal again (it may have more pieces); kept, if it
	 * cannot go, until the detach: then a larger plan may find the
	 * journal full and fail, rolled back */
	inject_journal_end(x->tp);
	return 0;
}

int xfer_execute_create(struct xfer *x)
{
	int r = xfer_boundary(x, "start");

	if (!r && !x->created && needs_scratch(x->plan))
		r = xfer_scratch_get(x);
	if (!r && !x->created)
		r = xfer_create_all(x);
	if (!r)
		r = xfer_boundary(x, "after-create");
	if (!r)
		r = xfer_advise_all(x);
	return r;
}

int xfer_execute_finish(struct xfer *x)
{
	int r = xfer_boundary(x, "after-copy");

	if (!r)
		r = xfer_protect_all(x);
	if (!r)
		r = xfer_boundary(x, "after-protect");
	return r;
}

int xfer_execute(struct xfer *x)
{
	int r = xfer_execute_create(x);

	if (!r)
		r = xfer_copy_all(x);
	if (!r)
		r = xfer_execute_finish(x);
	return r;
}

/* ---- the lifecycle's steps ----------------------------------------------------- */

static int seize(struct xfer *x, const struct proc_facts *pf, struct inject_proc **out)
{
	const struct sys_facts *sf = x->sf;
	unsigned flags = (sf->self_cap_eff >> CAP_BIT_ADMIN) & 1 ? INJECT_SUSPEND_SECCOMP : 0;
	int r = inject_seize(pf->pid, pf->start_time, flags, (int)(x->req->timeout_s * 1000), out);

	if (r) {
		x->st->attach_err = r;
		x->st->attach_pid = pf->pid;
	}
	return r;
}

int xfer_stop_target(struct xfer *x, const struct proc_facts *src, const struct proc_facts *tgt)
{
	int r;

	oom_protect(x->oom_old, sizeof x->oom_old);
	if (tgt == src)
		return 0;
	r = seize(x, tgt, &x->tp);
	if (r)
		oom_restore(x->oom_old);
	return r;
}

int xfer_stop_source(struct xfer *x, const struct proc_facts *src)
{
	int r;

	x->t0 = clock_now_s();
	r = seize(x, src, &x->sp);
	if (r)
		return r;
	if (!x->tp)
		x->tp = x->sp;
	return 0;
}

int xfer_cure(struct xfer *x, int r)
{
	if (r) {
		if (!x->st->message[0])
			xfer_fail(x->st, r, "the transfer failed: %s", xfer_strerror(-r));
		int rb = rollback(x);
		if (rb)
			r = rb;
	} else {
		r = commit(x);
	}
	if (r)
		r = xfer_peer_exited(x, r);
	return r;
}

void xfer_resume(struct xfer *x)
{
	/* the source first: its pause ends here, and nothing of the
	 * target's release (its registers, its rescue area) is part of it */
	if (x->sp) {
		inject_detach(x->sp);
		/* live: the first freeze is counted already */
		x->st->paused_s += clock_now_s() - x->t0;
	}
	if (x->tp != x->sp)
		inject_detach(x->tp);
	x->sp = x->tp = NULL;
	oom_restore(x->oom_old);
}
