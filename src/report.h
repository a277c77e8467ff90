/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The report: the plan (or what became of it) as a table for people or one
 * JSON document for scripts.  Reporting only formats; it decides nothing.
 */
#ifndef PVMMAP_REPORT_H
#define PVMMAP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plan.h"
#include "text.h"

/* An error that is not a per-process reason of the plan (usage, I/O). */
struct report_error {
	const char *code;        /* "usage", or a reason code */
	char message[512];
	const char *hint;        /* or NULL */
};

struct report {
	const struct request *req;
	const struct proc_facts *src, *tgt; /* NULL when unknown */
	const struct plan *plan;            /* NULL when no plan was made */
	const struct report_error *error;   /* NULL: the plan's error, if any */
	double elapsed_s, paused_s;         /* < 0: not measured */
	unsigned rounds;                    /* copy rounds (issue 10): 0 none,
					       1 frozen, more: live */
	uint64_t bytes_recopied;
};

/* One JSON document (schema version 1 of the contract) and a newline. */
void report_json(FILE *out, const struct report *r);

/* The table for people on @out (with -q: only the refused VMAs, on @err);
 * an error on @err. */
void report_text(FILE *out, FILE *err, const struct report *r);

/* After the table, once stdout is flushed: a refusal's (or a dry run's
 * deferred checks') one line on @err, which a caller sees even when stdout
 * goes elsewhere. */
void report_text_verdict(FILE *err, const struct report *r);

/* The error a report gives: an explicit one, or the plan's per-process
 * refusal (*code NULL: none). */
void report_error_of(const struct report *r, const char **code, char *msg, size_t mlen,
		     const char **hint);

/* The sentence of a plan entry's note (and its detail), or "" without one. */
void report_note_message(const struct plan_entry *e, char *buf, size_t len);

/* The message of a plan entry with a reason: its sentence and detail. */
void report_entry_message(const struct plan_entry *e, char *buf, size_t len);

/*
 * The clean command's document: {"pvmmap": 1, "operation": "clean",
 * "source": {"pid", "comm"} | null, "removed": ["0x..."], "error": null |
 * {"code", "message"}}, and its text (@err: the error's diagnostic).
 */
void report_clean_json(FILE *out, const struct proc_facts *pf, const uint64_t *removed, size_t n,
		       const struct report_error *e);
void report_clean_text(FILE *out, FILE *err, const struct proc_facts *pf, const uint64_t *removed,
		       size_t n, const struct report_error *e, bool quiet);

#endif
