/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpvmmap: move or copy memory mappings between live processes.
 *
 * The engine of the pvmmap command, as a C library (pvmmap(3)).  Link with
 * `pkg-config --cflags --libs pvmmap`.
 *
 * Conventions
 *   - Functions that can fail return 0 or a negative errno value (-EINVAL,
 *     -ENOMEM, ...); errno is not used, except by process_vm_mmap(), which
 *     has the shape of a system call (MAP_FAILED and errno).
 *   - A refusal is not an error: pvmmap_plan() and pvmmap_transfer() return 0
 *     with a result that says what was refused and why, with the same stable
 *     reason codes as the command line's JSON ("target-occupied", ...; see
 *     pvmmap(1), REASONS).  Codes may be added, none is renamed.
 *   - Handles (pvmmap, pvmmap_result) are opaque; what comes out of them is
 *     plain data, valid until the result is freed.
 *
 * Threads
 *   ptrace ties a traced process to the thread that attached it.  A pvmmap
 *   handle runs one operation at a time, and all of it on the thread that
 *   called; use one handle per thread for operations in parallel.
 *   pvmmap_cancel() may be called from any thread and from a signal handler.
 *   Results are read-only and may be read from any thread.
 *
 * Signals
 *   The library installs no signal handler and changes no signal mask.
 *   pvmmap_cancel() rolls a transfer back at its next step boundary.  With
 *   PVMMAP_WATCH_SIGNALS, a signal of pvmmap_term_signals() that is pending
 *   while the caller blocks it does the same (the pvmmap command blocks them
 *   from its first instruction and maps them so); the library leaves it
 *   pending, for the caller to take.
 */
#ifndef PVMMAP_H
#define PVMMAP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; these names alone are its
 * interface (src/libpvmmap.map lists them too). */
#pragma GCC visibility push(default)

#define PVMMAP_API_VERSION 1

typedef struct pvmmap pvmmap;               /* one operation at a time */
typedef struct pvmmap_result pvmmap_result; /* what an operation found or did */

enum pvmmap_op {
	PVMMAP_OP_MAPS = 0,  /* list the VMAs with a verdict each (pvmmap_plan only) */
	PVMMAP_OP_MOVE = 1,
	PVMMAP_OP_COPY = 2,
	PVMMAP_OP_CLEAN = 3, /* only in pvmmap_result_from_error(); see pvmmap_clean() */
};

/* pvmmap_request.flags */
#define PVMMAP_REPLACE          0x01u /* replace what the target maps there (MAP_FIXED) */
#define PVMMAP_PARTIAL          0x02u /* do what can be done, report the rest */
#define PVMMAP_ALLOW_CROSS_USER 0x04u /* source and target may belong to different users */
#define PVMMAP_FORCE            0x08u /* move [heap] although malloc may still use it */
/* By default (neither flag, or PVMMAP_LIVE) a transfer is live where it can
 * be: private anonymous memory is copied while the source runs, its writes
 * tracked, and the source is frozen once, briefly, at the end (each piece
 * that cannot go live says why in a note, pvmmap_result_note).
 * PVMMAP_FROZEN: the source is stopped for the whole transfer.  Before API
 * 1.1 PVMMAP_FROZEN was 0x00 and every transfer was frozen: a program
 * built then gets the default.  Both together: -EINVAL. */
#define PVMMAP_FROZEN           0x80u /* the source is stopped while it is transferred */
#define PVMMAP_LIVE             0x10u /* live where possible (the default) */
#define PVMMAP_WATCH_SIGNALS    0x20u /* a pending blocked terminating signal rolls back */
#define PVMMAP_FOR_COPY         0x40u /* PVMMAP_OP_MAPS: verdicts for copy, not move */

/* pvmmap_request.at */
#define PVMMAP_AT_SAME UINT64_MAX         /* the source's address (default) */
#define PVMMAP_AT_ANY  (UINT64_MAX - 1)   /* where the target's kernel chooses */

/* An address that is not known (pvmmap_vma.dest_start, pvmmap_summary.dest_*). */
#define PVMMAP_ADDR_NONE UINT64_MAX

struct pvmmap_request {
	int op;               /* enum pvmmap_op */
	pid_t pid;            /* the source */
	pid_t pid2;           /* the target; 0: none (maps only); pid: within one process */
	uint64_t addr, len;   /* page aligned; len rounded up to pages; maps: len 0 lists all */
	uint64_t at;          /* PVMMAP_AT_SAME, PVMMAP_AT_ANY, or a page-aligned address */
	unsigned flags;       /* PVMMAP_REPLACE | ... */
	double timeout_s;     /* longest wait for a process to stop; 0: 10 seconds */
	uint64_t reserved[4]; /* zero */
};

/* What an operation came to; the values are the pvmmap command's exit statuses,
 * all of them: USAGE and WRITE_ERROR are the command's own, never an outcome. */
enum pvmmap_outcome {
	PVMMAP_DONE = 0,        /* everything asked was done (or would be) */
	PVMMAP_REFUSED = 1,     /* one or more VMAs refused (see PVMMAP_PARTIAL) */
	PVMMAP_USAGE = 2,       /* the command line was refused before anything was asked */
	PVMMAP_PROCESS = 3,     /* a process could not be used (per-process reason) */
	PVMMAP_ROLLED_BACK = 4, /* a failure during the transfer; all was rolled back */
	PVMMAP_LEFT_OVER = 5,   /* a failure not fully rolled back: the message says what is where */
	PVMMAP_DEFERRED = 6,    /* dry run: nothing refused, the move itself must check some */
	PVMMAP_WRITE_ERROR = 7, /* done as 0 (or 6) says, but the report did not reach stdout */
};

/* An error of the whole operation: a per-process reason code ("ptrace-denied",
 * "timeout", ...), or "interrupted", "rolled-back", "left-over", "unsupported",
 * "busy", "error" (another), "usage" (pvmmap_result_from_error). */
struct pvmmap_error {
	const char *code;
	const char *message;  /* one sentence */
	const char *hint;     /* what to do, or NULL */
};

/* One piece of the range, as the JSON's "vmas" entries.  Strings are NULL
 * where the JSON has null. */
struct pvmmap_vma {
	uint64_t start, end;
	uint64_t dest_start;  /* PVMMAP_ADDR_NONE: not known */
	const char *perms;    /* "rw-p"; NULL for a gap (nothing mapped) */
	uint64_t offset;
	unsigned dev_major, dev_minor;
	uint64_t inode;
	const char *name;
	const char *kind;     /* "anon", "heap", ...; NULL for a gap */
	uint64_t size, rss, swap;
	const char *method;   /* "copy", "share", "file-cow", "remap" or NULL */
	const char *status;   /* "ok", "refused", "done", "failed", "rolled-back",
				 "deferred", "skipped" */
	const char *reason;   /* a stable reason code, or NULL */
	char message[576];    /* the reason's sentence and what made it true; "" */
	const char *hint;
	uint64_t bytes_copied;
	uint64_t residue;     /* rescue code a killed pvmmap left here, or 0 */
};

struct pvmmap_summary {
	size_t vmas, done, refused, failed, deferred, skipped;
	uint64_t bytes_copied, bytes_shared;
	double elapsed_s, source_paused_s;  /* < 0: not measured */
	uint64_t dest_start, dest_end;      /* PVMMAP_ADDR_NONE: not known */
};

/* Progress of a transfer, after each batch of pages: @done of about @total
 * bytes (an estimate: done may pass it).  Called on the operation's thread. */
typedef void pvmmap_progress_fn(uint64_t done, uint64_t total, void *arg);

/* A live transfer, after each round of copying while the source runs: it
 * wrote @written bytes meanwhile, which round @round (2, 3, ...; the last
 * is the final freeze's) copies again.  Called on the operation's thread. */
typedef void pvmmap_round_fn(unsigned round, uint64_t written, void *arg);

const char *pvmmap_version(void);

int pvmmap_open(pvmmap **out);
void pvmmap_close(pvmmap *h);
int pvmmap_set_progress(pvmmap *h, pvmmap_progress_fn *fn, void *arg);
int pvmmap_set_rounds(pvmmap *h, pvmmap_round_fn *fn, void *arg);  /* 1.1 */
int pvmmap_cancel(pvmmap *h);
#ifdef _POSIX_C_SOURCE /* sigset_t: not in strict ISO C (-std=c99) */
void pvmmap_term_signals(sigset_t *set);
#endif

int pvmmap_plan(pvmmap *h, const struct pvmmap_request *req, pvmmap_result **out);
int pvmmap_transfer(pvmmap *h, const struct pvmmap_request *req, pvmmap_result **out);
int pvmmap_clean(pvmmap *h, pid_t pid, double timeout_s, pvmmap_result **out);

int pvmmap_result_from_error(int op, const char *code, const char *message, const char *hint,
			     pvmmap_result **out);
void pvmmap_result_free(pvmmap_result *r);
int pvmmap_result_outcome(const pvmmap_result *r);
int pvmmap_result_error(const pvmmap_result *r, struct pvmmap_error *out);
void pvmmap_result_summary(const pvmmap_result *r, struct pvmmap_summary *out);
size_t pvmmap_result_count(const pvmmap_result *r);
int pvmmap_result_vma(const pvmmap_result *r, size_t i, struct pvmmap_vma *out);
/* 1.1: the copy rounds of a transfer (JSON summary.rounds: 0 nothing
 * copied, 1 frozen, more: live) and the bytes copied again after the
 * first (summary.bytes_recopied); either pointer may be NULL. */
void pvmmap_result_rounds(const pvmmap_result *r, unsigned *rounds, uint64_t *bytes_recopied);
/* 1.1: piece @i's note (why it was not live: "frozen-stopped", ...) and its
 * message, or 0 with *code NULL when it has none; -ERANGE out of range. */
int pvmmap_result_note(const pvmmap_result *r, size_t i, const char **code, char *msg, size_t len);

#define PVMMAP_TEXT_QUIET 0x01u /* nothing on @out; refusals as diagnostics on @err */
int pvmmap_result_write_json(const pvmmap_result *r, FILE *out);
int pvmmap_result_write_text(const pvmmap_result *r, FILE *out, FILE *err, unsigned flags);

/*
 * The proposed system call (Linux RFC, 2019): clone [src_addr, src_addr+len)
 * of process @pid into the calling process.  Returns where it now starts,
 * or MAP_FAILED with errno set (process_vm_mmap(3)).
 */
#define PVMMAP_FIXED           0x01ul /* at dst_addr, replacing what is there */
#define PVMMAP_FIXED_NOREPLACE 0x02ul /* at dst_addr; EEXIST when something is there */
#define PVMMAP_MOVE            0x04ul /* pvmmap's addition: the source loses it (frozen meanwhile) */
void *process_vm_mmap(pid_t pid, uintptr_t src_addr, size_t len, uintptr_t dst_addr,
		      unsigned long flags);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
