/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan: one decision per piece of the range.  A plain data structure,
 * made from facts alone (plan_make never touches a process), carried out by
 * transfer.c and printed by report.c.
 */
#ifndef PVMMAP_PLAN_H
#define PVMMAP_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "proc.h"
#include "reasons.h"

/* OP_NONE: a command line that was not understood (a usage error). */
enum op { OP_MAPS, OP_MOVE, OP_COPY, OP_NONE };

enum kind {
	KIND_NONE = 0, /* a gap: nothing mapped */
	KIND_ANON, KIND_HEAP, KIND_STACK, KIND_FILE, KIND_SHMEM, KIND_SYSV,
	KIND_HUGETLB, KIND_SPECIAL, KIND_DEVICE,
};

enum method { METHOD_NONE = 0, METHOD_COPY, METHOD_SHARE, METHOD_FILE_COW, METHOD_REMAP };

/*
 * STATUS_DEFERRED (a dry run or maps, for move): nothing refuses the piece,
 * but whether a thread uses it (R_IN_USE_UNKNOWN) can only be seen under
 * the freeze, where the plan is made again.  STATUS_SKIPPED: the piece is
 * not carried out because another one is refused and the request is all or
 * nothing (R_ALL_OR_NOTHING); its method is what --partial would use.
 */
enum status { STATUS_OK, STATUS_REFUSED, STATUS_DONE, STATUS_FAILED, STATUS_ROLLED_BACK,
	      STATUS_DEFERRED, STATUS_SKIPPED };

const char *plan_kind_name(enum kind k);     /* NULL for KIND_NONE */
const char *plan_method_name(enum method m); /* NULL for METHOD_NONE */
const char *plan_status_name(enum status s);

#define ADDR_NONE UINT64_MAX

struct request {
	enum op op;
	pid_t pid, pid2;         /* pid2 0: no target (maps without --to) */
	bool has_range;
	uint64_t addr, len;      /* len already rounded to pages */
	uint64_t range_end;      /* addr + len, checked not to wrap */
	enum op for_op;          /* maps: which operation the verdicts are for */
	bool cut;                /* maps: pieces cut to the range and its holes
				    listed, as a transfer's (process_vm_mmap) */
	bool at_any;
	uint64_t at;             /* ADDR_NONE: the source address */
	bool replace, partial, dry_run, json, quiet, allow_cross_user;
	bool force;              /* move [heap] although malloc may still use it */
	bool frozen;             /* --frozen: never live (the source stopped
				    for the whole transfer) */
	int progress;            /* -1 auto, 0 off, 1 on */
	double timeout_s;
};

struct plan_entry {
	const struct vma *vma;   /* NULL for a gap */
	size_t vma_index;        /* index in the source's vmas (when vma) */
	uint64_t start, end;     /* the piece: the VMA cut to the range */
	uint64_t dest_start;     /* ADDR_NONE: not known (--at any, maps without --to) */
	enum kind kind;
	enum method method;
	enum status status;
	enum reason reason;
	char detail[192];        /* what made the reason true here, or "" */
	uint64_t rss, swap;      /* of the piece */
	uint64_t changed;        /* file-cow: the source's private (changed) bytes */
	uint64_t bytes_copied;
	/* Live (issue 10): copied while the source runs, then again what it
	 * wrote meanwhile under one short final freeze.  Else, where it could
	 * have been live, the note says why not (detail: what the kernel
	 * lacks, a static string, or NULL). */
	bool live;
	enum note note;
	const char *note_detail;
};

/* A per-process refusal: which process, which rule, what made it true. */
struct proc_refusal {
	enum reason reason;
	pid_t pid;
	char detail[384];
	char hint[192];          /* what to do in this case; "": the reason's hint */
};

struct plan {
	const struct request *req;
	struct plan_entry *e;
	size_t n, cap;
	struct proc_refusal error;      /* reason R_NONE: none; else nothing planned */
	struct proc_refusal blockers[3]; /* maps: what a move or copy would meet */
	int nblockers;
	uint64_t dest_start, dest_end; /* ADDR_NONE when unknown */
};

/*
 * Make the plan.  @tgt may be NULL (maps without --to).  The plan points into
 * @src's VMA list, which must outlive it.  A per-process refusal is data:
 * the plan comes back with ->error set and no entries (for maps, such rules
 * that would only stop a transfer are ->blockers and the listing is made).
 * Returns 0 or -ENOMEM.
 */
int plan_make(const struct sys_facts *sf, const struct proc_facts *src,
	      const struct proc_facts *tgt, const struct request *req, struct plan *out);
void plan_free(struct plan *p);

/*
 * Whether carrying out @p replays a NUMA policy that only the source's VMA
 * holds (the transfer then needs proc_policies_read): a piece it creates
 * whose kind keeps its policy per VMA.  shmem (memfd, MAP_SHARED|
 * MAP_ANONYMOUS, /dev/shm) and SysV segments keep theirs with the object
 * (a shared policy, mm/shmem.c shmem_get_policy), which every mapping of
 * it sees: nothing to replay (docs/kernel-facts.md, "NUMA policies").
 */
bool plan_needs_policies(const struct plan *p);

/* Whether an approved piece of @p goes live (copied while the source runs). */
bool plan_goes_live(const struct plan *p);

/*
 * Why the kernel's ptrace access check refuses pvmmap the process @pf, as
 * far as the facts show it: for reading its /proc files (@attach false:
 * PTRACE_MODE_READ_FSCREDS) or for attaching (PTRACE_MODE_ATTACH_REALCREDS,
 * which Yama also checks).  @what is what was refused ("reading
 * /proc/1/smaps"), or NULL for a prediction.  Returns R_PTRACE_DENIED with
 * the rule in @out->detail and its remedy in @out->hint, or R_NONE when no
 * rule pvmmap can see refuses; with @what it always explains (then an LSM,
 * or a user namespace, is what is left).
 */
enum reason plan_access_denied(const struct sys_facts *sf, const struct proc_facts *pf, bool attach,
			       const char *what, struct proc_refusal *out);

/*
 * A live transfer ends when a round wrote at most this much, copied in its
 * final freeze: about 1-3 ms of copying (docs/benchmarks.md).  Pieces that
 * total no more are copied frozen from the start (note frozen-small): one
 * freeze, not two.
 */
#define PLAN_LIVE_FINAL_BYTES (UINT64_C(2) << 20)

/* Counts for the summary. */
struct plan_summary {
	size_t vmas, ok, done, refused, failed, rolled_back, deferred, skipped;
	uint64_t bytes_copied, bytes_shared, size, rss;
};
void plan_summarise(const struct plan *p, struct plan_summary *s);

#endif
