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
};

/*
 * --progress: on a terminal one line, redrawn in place (carriage return and
 * erase to the end of the line) at most ten times a second and erased when
 * done; elsewhere, with an explicit --progress, a plain line a second.
 * Auto (@mode -1) shows it only on a terminal, for 64 MiB or more.
 */
struct progress {
	FILE *f;
	int mode;                /* 1 on, 0 off, -1 auto */
	bool tty, shown;
	double start, last;
};
void progress_start(struct progress *p, FILE *f, int mode, double now);
void report_progress(struct progress *p, uint64_t done, uint64_t total, double now);
void progress_end(struct progress *p);

/* One JSON document (schema version 1 of the contract) and a newline. */
void report_json(FILE *out, const struct report *r);

/* The table for people on @out (with -q: only the refused VMAs, on @err);
 * an error on @err. */
void report_text(FILE *out, FILE *err, const struct report *r);

/* After the table, once stdout is flushed: a refusal's (or a dry run's
 * deferred checks') one line on @err, which a caller sees even when stdout
 * goes elsewhere. */
void report_text_verdict(FILE *err, const struct report *r);

/* JSON string escaping, exported for the unit tests: every byte that is not
 * part of valid UTF-8 becomes \udcXX (Python's surrogateescape). */
void json_write_string(FILE *out, const char *s);

/* Text for a terminal, on one line: newline and tab as \n and \t, other
 * control bytes and invalid UTF-8 as \xNN (text_escape: into @buf,
 * truncated to fit). */
void text_write_name(FILE *out, const char *s);
void text_escape(char *buf, size_t len, const char *s);

/* Sizes as people read them: "4K", "1.5M", "64M". */
void format_size(char *buf, size_t len, uint64_t bytes);

#endif
