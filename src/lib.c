/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpvmmap's entry points (include/pvmmap.h): a request in, the facts read,
 * the plan made and (for a transfer) carried out, a result out.  The layers
 * below know nothing of this file; the command line (src/main.c) is its
 * first caller and reaches the engine through it alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvmmap.h"

#include "clock.h"
#include "outcome.h"
#include "plan.h"
#include "proc.h"
#include "report.h"
#include "track.h"
#include "transfer.h"

struct pvmmap {
	pvmmap_progress_fn *progress;
	void *progress_arg;
	pvmmap_round_fn *round;
	void *round_arg;
	volatile sig_atomic_t cancel;
};

struct pvmmap_result {
	struct request req;
	struct proc_facts src, tgt;
	bool have_src, have_tgt, tgt_is_src;
	struct plan plan;
	bool have_plan;
	struct report_error err;     /* code NULL: none of its own */
	double elapsed_s, paused_s;
	unsigned rounds;
	uint64_t bytes_recopied;
	int outcome;
	bool clean;                  /* pvmmap_clean's result */
	uint64_t removed[8];
	size_t nremoved;
	/* the error the result gives (its own, or the plan's refusal) */
	const char *ecode, *ehint;
	char emsg[768];
	char ehint_buf[512];     /* err.hint's own copy (result_seal) */
};

const char *pvmmap_version(void)
{
	return PVMMAP_VERSION;
}

int pvmmap_open(pvmmap **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void pvmmap_close(pvmmap *h)
{
	free(h);
}

int pvmmap_set_progress(pvmmap *h, pvmmap_progress_fn *fn, void *arg)
{
	if (!h)
		return -EINVAL;
	h->progress = fn;
	h->progress_arg = arg;
	return 0;
}

int pvmmap_set_rounds(pvmmap *h, pvmmap_round_fn *fn, void *arg)
{
	if (!h)
		return -EINVAL;
	h->round = fn;
	h->round_arg = arg;
	return 0;
}

/* Async-signal-safe: one store to a sig_atomic_t. */
int pvmmap_cancel(pvmmap *h)
{
	if (!h)
		return -EINVAL;
	h->cancel = 1;
	return 0;
}

void pvmmap_term_signals(sigset_t *set)
{
	transfer_term_signals(set);
}

static struct pvmmap_result *result_new(void)
{
	struct pvmmap_result *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->src.procfd = r->tgt.procfd = -1;
	r->elapsed_s = r->paused_s = -1;
	r->outcome = PVMMAP_PROCESS;
	return r;
}

void pvmmap_result_free(pvmmap_result *r)
{
	if (!r)
		return;
	plan_free(&r->plan);
	proc_facts_free(&r->tgt);
	proc_facts_free(&r->src);
	free(r);
}

static const struct proc_facts *result_tgt(const struct pvmmap_result *r)
{
	return r->tgt_is_src ? &r->src : r->have_tgt ? &r->tgt : NULL;
}

static void result_report(const struct pvmmap_result *r, struct report *rep)
{
	*rep = (struct report){
		.req = &r->req,
		.src = r->have_src ? &r->src : NULL,
		.tgt = result_tgt(r),
		.plan = r->have_plan ? &r->plan : NULL,
		.error = r->err.code ? &r->err : NULL,
		.elapsed_s = r->elapsed_s,
		.paused_s = r->paused_s,
		.rounds = r->rounds,
		.bytes_recopied = r->bytes_recopied,
	};
}

/* Once the result is complete: the error it gives, kept for the accessors. */
static void result_seal(struct pvmmap_result *r)
{
	struct report rep;

	/* An error's hint may point into a per-thread buffer (the access
	 * rules' explanation) that the thread's next failing call rewrites:
	 * the result keeps its own copy. */
	if (r->err.hint) {
		snprintf(r->ehint_buf, sizeof(r->ehint_buf), "%s", r->err.hint);
		r->err.hint = r->ehint_buf;
	}
	if (r->clean) {
		r->ecode = r->err.code;
		r->ehint = r->err.hint;
		snprintf(r->emsg, sizeof(r->emsg), "%s", r->err.message);
		return;
	}
	result_report(r, &rep);
	report_error_of(&rep, &r->ecode, r->emsg, sizeof(r->emsg), &r->ehint);
}

/* ---- the request ---------------------------------------------------------- */

#define KNOWN_FLAGS (PVMMAP_REPLACE | PVMMAP_PARTIAL | PVMMAP_ALLOW_CROSS_USER | PVMMAP_FORCE | \
		     PVMMAP_LIVE | PVMMAP_WATCH_SIGNALS | PVMMAP_FOR_COPY | PVMMAP_FROZEN)

static int request_from(const struct pvmmap_request *in, struct request *req)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!in || in->pid <= 0 || in->pid2 < 0 || (in->flags & ~KNOWN_FLAGS) || in->timeout_s < 0)
		return -EINVAL;
	if ((in->flags & PVMMAP_LIVE) && (in->flags & PVMMAP_FROZEN))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(in->reserved) / sizeof(in->reserved[0]); i++)
		if (in->reserved[i])
			return -EINVAL;
	if (in->op != PVMMAP_OP_MAPS && in->op != PVMMAP_OP_MOVE && in->op != PVMMAP_OP_COPY)
		return -EINVAL;
	if (in->op != PVMMAP_OP_MAPS && (!in->pid2 || !in->len))
		return -EINVAL;
	*req = (struct request){
		.op = in->op == PVMMAP_OP_MAPS ? OP_MAPS : in->op == PVMMAP_OP_MOVE ? OP_MOVE : OP_COPY,
		.pid = in->pid,
		.pid2 = in->pid2,
		.for_op = in->flags & PVMMAP_FOR_COPY ? OP_COPY : OP_MOVE,
		.at = ADDR_NONE,
		.replace = in->flags & PVMMAP_REPLACE,
		.partial = in->flags & PVMMAP_PARTIAL,
		.allow_cross_user = in->flags & PVMMAP_ALLOW_CROSS_USER,
		.force = in->flags & PVMMAP_FORCE,
		.frozen = in->flags & PVMMAP_FROZEN,
		.progress = -1,
		.timeout_s = in->timeout_s > 0 ? in->timeout_s : 10,
	};
	if (in->len) {
		/* mmap rounds a length up to whole pages; so does pvmmap. */
		if (in->addr & (page - 1) || in->len > UINT64_MAX - (page - 1))
			return -EINVAL;
		req->has_range = true;
		req->addr = in->addr;
		req->len = (in->len + page - 1) & ~(page - 1);
		if (req->addr > UINT64_MAX - req->len)
			return -EINVAL;
		req->range_end = req->addr + req->len;
	}
	if (in->at == PVMMAP_AT_ANY) {
		req->at_any = true;
	} else if (in->at != PVMMAP_AT_SAME) {
		if (in->at & (page - 1) || (req->has_range && in->at > UINT64_MAX - req->len))
			return -EINVAL;
		req->at = in->at;
	}
	return 0;
}

/* ---- errors as the contract names them ------------------------------------ */

/* A fact-gathering failure as the contract's per-process reason.  @sf is
 * NULL when the system's own facts could not be read. */
static void facts_error(struct report_error *e, const struct sys_facts *sf, pid_t pid, int err,
			const struct proc_facts *failed)
{
	static __thread struct proc_refusal why; /* e->hint may point into it */
	const struct reason_info *ri;

	if (err == -ESRCH)
		ri = reason_info(R_NO_SUCH_PROCESS);
	else if (err == -EACCES || err == -EPERM)
		ri = reason_info(R_PTRACE_DENIED);
	else
		ri = NULL;
	if (ri && err != -ESRCH && sf) {
		/* Reading /proc needs the ptrace access check's read mode:
		 * say which file, and which rule refused it, from the facts
		 * anyone may read (status). */
		struct proc_facts lite = { .procfd = -1 };
		char what[96];
		snprintf(what, sizeof(what), "reading /proc/%d/%s", pid, failed->denied ? failed->denied : "smaps");
		if (proc_facts_read(pid, false, &lite) == 0) {
			plan_access_denied(sf, &lite, false, what, &why);
			e->code = ri->code;
			e->hint = why.hint[0] ? why.hint : ri->hint;
			snprintf(e->message, sizeof(e->message), "%s (%s)", ri->sentence, why.detail);
			proc_facts_free(&lite);
			return;
		}
		proc_facts_free(&lite);
	}
	if (ri) {
		e->code = ri->code;
		e->hint = ri->hint;
		snprintf(e->message, sizeof(e->message), "%s (process %d%s%s)", ri->sentence, pid,
			 err == -ESRCH ? "" : ": ", err == -ESRCH ? "" : strerror(-err));
	} else {
		e->code = "error";
		e->hint = NULL;
		snprintf(e->message, sizeof(e->message), "cannot read the facts of process %d: %s", pid,
			 strerror(-err));
	}
}

/* An attach error as the contract's per-process reason. */
static void attach_error(struct report_error *e, const struct sys_facts *sf, const struct proc_facts *pf,
			 double timeout_s, int err)
{
	static __thread struct proc_refusal why; /* e->hint may point into it */
	enum reason r;

	switch (err) {
	case -EBUSY: r = R_ALREADY_TRACED; break;
	case -EPERM: r = R_PTRACE_DENIED; break;
	case -EACCES: r = pf->seccomp_mode ? R_SECCOMP_BLOCKS : R_PTRACE_DENIED; break;
	case -ETIMEDOUT: r = R_TIMEOUT; break;
	case -ESRCH: r = R_NO_SUCH_PROCESS; break;
	case -EOWNERDEAD: r = R_ZOMBIE; break;
	case -ENOEXEC: r = R_ARCH_MISMATCH; break;
	default: r = R_NONE; break;
	}
	if (r == R_NONE) {
		e->code = "error";
		e->hint = NULL;
		snprintf(e->message, sizeof(e->message), "cannot attach to process %d: %s",
			 pf->pid, strerror(-err));
		return;
	}
	const struct reason_info *ri = reason_info(r);
	e->code = ri->code;
	e->hint = ri->hint;
	if (r == R_ALREADY_TRACED) {
		char comm[64];
		pid_t tp = pf->tracer_pid;
		if (tp)
			proc_comm(tp, comm, sizeof(comm));
		if (tp)
			snprintf(e->message, sizeof(e->message), "%s (process %d, traced by %d %s)",
				 ri->sentence, pf->pid, tp, comm);
		else
			snprintf(e->message, sizeof(e->message), "%s (process %d)", ri->sentence, pf->pid);
	} else if (r == R_PTRACE_DENIED) {
		plan_access_denied(sf, pf, true, "attaching with PTRACE_SEIZE", &why);
		if (why.hint[0])
			e->hint = why.hint;
		snprintf(e->message, sizeof(e->message), "%s (process %d: %s)", ri->sentence, pf->pid, why.detail);
	} else if (r == R_TIMEOUT) {
		snprintf(e->message, sizeof(e->message), "%s (process %d did not stop within %g seconds)",
			 ri->sentence, pf->pid, timeout_s);
	} else if (r == R_NO_SUCH_PROCESS) {
		snprintf(e->message, sizeof(e->message), "%s (process %d exited)", ri->sentence, pf->pid);
	} else if (r == R_ZOMBIE) {
		snprintf(e->message, sizeof(e->message), "%s (process %d became a zombie)", ri->sentence, pf->pid);
	} else if (r == R_ARCH_MISMATCH) {
		snprintf(e->message, sizeof(e->message), "%s (process %d)", ri->sentence, pf->pid);
	} else {
		snprintf(e->message, sizeof(e->message), "%s (process %d: %s)", ri->sentence, pf->pid,
			 strerror(-err));
	}
}

/* Measure the pages of VMAs cut by the range edges, for exact rss figures. */
static void measure_edges(struct proc_facts *pf, const struct request *req)
{
	uint64_t cut[2] = { req->addr, req->range_end };

	for (int i = 0; i < 2; i++) {
		const struct vma *v = vma_find(&pf->vmas, cut[i] - (uint64_t)i);
		struct residency *r = &pf->edges[i];
		if (!v || v->start >= req->range_end || v->end <= req->addr)
			continue;
		r->start = v->start < req->addr ? req->addr : v->start;
		r->end = v->end > req->range_end ? req->range_end : v->end;
		if (r->start == v->start && r->end == v->end)
			continue;
		r->known = proc_range_residency(pf, r->start, r->end, &r->rss, &r->swap) == 0;
	}
}

/*
 * Which VMAs of each process a request needs: a listing every one; a move
 * or a copy to another process the source's range alone, and the target's
 * headers with the destination's VMAs in full (the plan checks its holes,
 * its VMA count and its highest mapping).  Within one process, everything.
 * PVMMAP_WHOLE_SMAPS=1 (a test knob) reads everything as before issue 10.
 */
static void facts_scopes(const struct request *req, struct proc_scope *src, struct proc_scope *tgt)
{
	const char *whole = getenv("PVMMAP_WHOLE_SMAPS");
	uint64_t len = req->range_end - req->addr, dest;

	*src = *tgt = (struct proc_scope){ .vmas = PROC_VMAS_ALL };
	if (req->op == OP_MAPS || !req->has_range || req->pid2 == req->pid ||
	    (whole && strcmp(whole, "1") == 0))
		return;
	*src = (struct proc_scope){ .vmas = PROC_VMAS_RANGE, .start = req->addr, .end = req->range_end };
	*tgt = (struct proc_scope){ .vmas = PROC_VMAS_HEADERS };
	if (req->at_any)
		return;         /* the kernel picks a hole: no VMA is there */
	dest = req->at != ADDR_NONE ? req->at : req->addr;
	tgt->start = dest;
	tgt->end = dest + len < dest ? UINT64_MAX : dest + len;
}

/* ---- the operations ------------------------------------------------------- */

static void progress_hook(uint64_t done, uint64_t total, void *arg)
{
	const struct pvmmap *h = arg;

	if (h->progress)
		h->progress(done, total, h->progress_arg);
}

static void round_hook(unsigned round, uint64_t written, void *arg)
{
	const struct pvmmap *h = arg;

	if (h->round)
		h->round(round, written, h->round_arg);
}

/* Carry out the plan; cancellation (and with PVMMAP_WATCH_SIGNALS a pending
 * terminating signal) rolls it back. */
static int do_transfer(struct pvmmap *h, const struct sys_facts *sf, struct pvmmap_result *res,
		       bool watch_signals)
{
	const struct request *req = &res->req;
	struct proc_facts *src = &res->src, *tgt = res->tgt_is_src ? &res->src : &res->tgt;
	struct report_error *err = &res->err;
	struct transfer_stats st;
	struct transfer_hooks hooks = {
		.progress = h->progress ? progress_hook : NULL, .arg = h,
		.round = h->round ? round_hook : NULL,
		.cancel = &h->cancel, .ignore_signals = !watch_signals,
	};
	int r;

	r = transfer_run(sf, src, tgt, req, &res->plan, &hooks, &st);
	res->paused_s = st.paused_s;
	res->rounds = st.rounds;
	res->bytes_recopied = st.bytes_recopied;

	if (st.attach_err) {
		attach_error(err, sf, st.attach_pid == src->pid ? src : tgt, req->timeout_s, st.attach_err);
		return outcome_of_error(err->code);
	}
	if (r == -ESRCH && st.exited_pid) {
		/* the contract's per-process code: "or exited during the operation" */
		err->code = reason_info(R_NO_SUCH_PROCESS)->code;
		err->hint = NULL;
		snprintf(err->message, sizeof(err->message), "%s", st.message);
		return outcome_of_error(err->code);
	}
	if (r == -EOPNOTSUPP || r == -ENOTRECOVERABLE) {
		err->code = r == -EOPNOTSUPP ? "unsupported" : "left-over";
		err->hint = NULL;
		snprintf(err->message, sizeof(err->message), "%s", st.message);
		return outcome_of_error(err->code);
	}
	if (r) {
		err->code = r == -EINTR ? "interrupted" : "rolled-back";
		err->hint = NULL;
		snprintf(err->message, sizeof(err->message), "%s; everything was rolled back",
			 st.message[0] ? st.message : strerror(-r));
		return outcome_of_error(err->code);
	}
	return outcome_of_plan(req, &res->plan);
}

/* Facts, plan and (@transfer) the transfer: the pvmmap command's run. */
static int run(struct pvmmap *h, const struct pvmmap_request *in, bool transfer, pvmmap_result **out)
{
	struct pvmmap_result *res;
	struct request *req;
	struct sys_facts sf;
	struct proc_scope src_scope, tgt_scope;
	double t0 = clock_now_s();
	int r;

	*out = NULL;
	if (!h)
		return -EINVAL;
	res = result_new();
	if (!res)
		return -ENOMEM;
	req = &res->req;
	r = request_from(in, req);
	if (r || (transfer && req->op == OP_MAPS)) {
		free(res);
		return r ? r : -EINVAL;
	}
	req->dry_run = !transfer && req->op != OP_MAPS;

	r = proc_sys_read(&sf);
	if (r) {
		facts_error(&res->err, NULL, getpid(), r, &res->src);
		goto done;
	}
	sf.track_ok = track_probe(&sf.track_why) == 0;
	facts_scopes(req, &src_scope, &tgt_scope);
	r = proc_facts_read_scope(req->pid, &src_scope, &res->src);
	if (r) {
		facts_error(&res->err, &sf, req->pid, r, &res->src);
		goto done;
	}
	res->have_src = true;
	if (req->pid2 && req->pid2 != req->pid) {
		r = proc_facts_read_scope(req->pid2, &tgt_scope, &res->tgt);
		if (r) {
			facts_error(&res->err, &sf, req->pid2, r, &res->tgt);
			goto done;
		}
		res->have_tgt = true;
	} else if (req->pid2) {
		res->tgt_is_src = true;
	}
	if (req->has_range && req->op != OP_MAPS)
		measure_edges(&res->src, req);

	r = plan_make(&sf, &res->src, result_tgt(res), req, &res->plan);
	if (r) {
		snprintf(res->err.message, sizeof(res->err.message), "cannot make the plan: %s", strerror(-r));
		res->err.code = "error";
		goto done;
	}
	res->have_plan = true;
	res->outcome = outcome_of_plan(req, &res->plan);
	res->paused_s = 0; /* a listing or a dry run stops nothing */
	if (transfer && !res->plan.error.reason && (res->outcome == PVMMAP_DONE || req->partial))
		res->outcome = do_transfer(h, &sf, res, in->flags & PVMMAP_WATCH_SIGNALS);
done:
	h->cancel = 0;
	res->elapsed_s = clock_now_s() - t0;
	result_seal(res);
	*out = res;
	return 0;
}

int pvmmap_plan(pvmmap *h, const struct pvmmap_request *req, pvmmap_result **out)
{
	return run(h, req, false, out);
}

int pvmmap_transfer(pvmmap *h, const struct pvmmap_request *req, pvmmap_result **out)
{
	return run(h, req, true, out);
}

/* Remove a killed pvmmap's rescue code from @pid: outcome DONE (removed,
 * or nothing to remove), PROCESS (the process cannot be used), ROLLED_BACK
 * (it could not be removed: nothing changed). */
int pvmmap_clean(pvmmap *h, pid_t pid, double timeout_s, pvmmap_result **out)
{
	struct pvmmap_result *res;
	struct sys_facts sf;
	char msg[256] = "";
	int r;

	*out = NULL;
	if (!h || pid <= 0 || timeout_s < 0)
		return -EINVAL;
	res = result_new();
	if (!res)
		return -ENOMEM;
	res->clean = true;
	res->req = (struct request){ .op = OP_MAPS, .pid = pid, .timeout_s = timeout_s > 0 ? timeout_s : 10 };
	res->outcome = PVMMAP_DONE;
	r = proc_sys_read(&sf);
	bool sf_ok = r == 0;
	if (!r)
		r = proc_facts_read(pid, true, &res->src);
	if (r) {
		facts_error(&res->err, sf_ok ? &sf : NULL, pid, r, &res->src);
		res->outcome = outcome_of_error(res->err.code);
	} else {
		bool any = false;
		res->have_src = true;
		for (size_t i = 0; i < res->src.vmas.n; i++)
			any |= res->src.vmas.v[i].residue != 0;
		r = any ? transfer_clean(&sf, &res->src, res->req.timeout_s, res->removed, 8, &res->nremoved,
					 msg, sizeof msg) : 0;
		if (r == -EBUSY || (r && msg[0])) {
			res->err.code = r == -EBUSY ? "busy" : "rolled-back";
			snprintf(res->err.message, sizeof res->err.message, "%s", msg);
			res->outcome = outcome_of_error(res->err.code);
		} else if (r) {
			attach_error(&res->err, &sf, &res->src, res->req.timeout_s, r);
			res->outcome = outcome_of_error(res->err.code);
		}
	}
	/* The clean document names the process whenever its facts were read. */
	res->have_src = res->src.procfd >= 0;
	result_seal(res);
	*out = res;
	return 0;
}

int pvmmap_result_from_error(int op, const char *code, const char *message, const char *hint,
			     pvmmap_result **out)
{
	struct pvmmap_result *res;

	*out = NULL;
	if (!code || !message)
		return -EINVAL;
	res = result_new();
	if (!res)
		return -ENOMEM;
	res->clean = op == PVMMAP_OP_CLEAN;
	res->req.op = op == PVMMAP_OP_MAPS ? OP_MAPS : op == PVMMAP_OP_MOVE ? OP_MOVE :
		      op == PVMMAP_OP_COPY ? OP_COPY : OP_NONE;
	res->err.code = code;
	res->err.hint = hint;
	snprintf(res->err.message, sizeof(res->err.message), "%s", message);
	/* "usage" is 2 as the CLI's refused command line; a process's reason 3 */
	res->outcome = outcome_of_error(code);
	result_seal(res);
	*out = res;
	return 0;
}

/* ---- reading a result ------------------------------------------------------ */

int pvmmap_result_outcome(const pvmmap_result *r)
{
	return r->outcome;
}

int pvmmap_result_error(const pvmmap_result *r, struct pvmmap_error *out)
{
	*out = (struct pvmmap_error){ .code = r->ecode, .message = r->ecode ? r->emsg : NULL,
				      .hint = r->ecode ? r->ehint : NULL };
	return 0;
}

void pvmmap_result_summary(const pvmmap_result *r, struct pvmmap_summary *out)
{
	struct plan_summary s = { 0 };

	if (r->have_plan)
		plan_summarise(&r->plan, &s);
	*out = (struct pvmmap_summary){
		.vmas = s.vmas, .done = s.done, .refused = s.refused, .failed = s.failed + s.rolled_back,
		.deferred = s.deferred, .skipped = s.skipped,
		.bytes_copied = s.bytes_copied, .bytes_shared = s.bytes_shared,
		.elapsed_s = r->elapsed_s, .source_paused_s = r->paused_s,
		.dest_start = r->have_plan ? r->plan.dest_start : PVMMAP_ADDR_NONE,
		.dest_end = r->have_plan ? r->plan.dest_end : PVMMAP_ADDR_NONE,
	};
}

size_t pvmmap_result_count(const pvmmap_result *r)
{
	return r->have_plan ? r->plan.n : 0;
}

void pvmmap_result_rounds(const pvmmap_result *r, unsigned *rounds, uint64_t *bytes_recopied)
{
	if (rounds)
		*rounds = r ? r->rounds : 0;
	if (bytes_recopied)
		*bytes_recopied = r ? r->bytes_recopied : 0;
}

int pvmmap_result_note(const pvmmap_result *r, size_t i, const char **code, char *msg, size_t len)
{
	const struct plan_entry *e;

	if (i >= pvmmap_result_count(r))
		return -ERANGE;
	e = &r->plan.e[i];
	*code = note_info(e->note)->code;
	if (msg && len)
		report_note_message(e, msg, len);
	return 0;
}

int pvmmap_result_vma(const pvmmap_result *r, size_t i, struct pvmmap_vma *out)
{
	const struct plan_entry *e;
	const struct vma *v;

	if (i >= pvmmap_result_count(r))
		return -ERANGE;
	e = &r->plan.e[i];
	v = e->vma;
	*out = (struct pvmmap_vma){
		.start = e->start, .end = e->end, .dest_start = e->dest_start,
		.kind = plan_kind_name(e->kind), .size = e->end - e->start, .rss = e->rss, .swap = e->swap,
		.method = plan_method_name(e->method), .status = plan_status_name(e->status),
		.reason = reason_info(e->reason)->code, .hint = reason_info(e->reason)->hint,
		.bytes_copied = e->bytes_copied,
	};
	if (v) {
		out->perms = v->perms;
		/* the offset the kernel would show for this piece */
		out->offset = v->inode ? v->offset + (e->start - v->start) : v->offset;
		out->dev_major = v->dev_major;
		out->dev_minor = v->dev_minor;
		out->inode = v->inode;
		out->name = v->name;
		out->residue = v->residue;
	}
	if (e->reason)
		report_entry_message(e, out->message, sizeof(out->message));
	return 0;
}

int pvmmap_result_write_json(const pvmmap_result *r, FILE *out)
{
	struct report rep;

	if (r->clean) {
		report_clean_json(out, r->have_src ? &r->src : NULL, r->removed, r->nremoved,
				  r->err.code ? &r->err : NULL);
	} else {
		result_report(r, &rep);
		report_json(out, &rep);
	}
	return ferror(out) ? -EIO : 0;
}

int pvmmap_result_write_text(const pvmmap_result *r, FILE *out, FILE *err, unsigned flags)
{
	struct request req = r->req;
	struct report rep;
	int ret = 0;

	if (flags & ~PVMMAP_TEXT_QUIET)
		return -EINVAL;
	req.quiet = flags & PVMMAP_TEXT_QUIET;
	if (r->clean) {
		report_clean_text(out, err, r->have_src ? &r->src : NULL, r->removed, r->nremoved,
				  r->err.code ? &r->err : NULL, req.quiet);
	} else {
		result_report(r, &rep);
		rep.req = &req;
		report_text(out, err, &rep);
		/* The table before its verdict, on a shared terminal or file;
		 * a failed flush keeps its errno for the caller. */
		if (fflush(out) != 0)
			ret = -errno;
		report_text_verdict(err, &rep);
	}
	return ret ? ret : ferror(out) || ferror(err) ? -EIO : 0;
}
