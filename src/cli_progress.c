/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The progress line of the command line.  The library reports progress as
 * numbers (pvmmap_set_progress); how a terminal shows them is the CLI's.
 */
#include "cli_progress.h"

#include <stdbool.h>
#include <unistd.h>

#include "text.h"

void cli_progress_start(struct progress *p, FILE *f, int mode, double now)
{
	*p = (struct progress){ .f = f, .mode = mode, .tty = isatty(fileno(f)) != 0, .start = now };
}

/* "2m05s", "7s" */
static void format_duration(char *buf, size_t len, double s)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (s < 1)
		snprintf(buf, len, "<1s");
	else if (t >= 3600)
		snprintf(buf, len, "%luh%02lum", t / 3600, t / 60 % 60);
	else if (t >= 60)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(buf, len, "%lus", t);
}

void cli_progress_show(struct progress *p, uint64_t done, uint64_t total, double now)
{
	char d[16], t[16], rate[32] = "", eta[48] = "";
	double elapsed = now - p->start;

	if (p->mode == 0 || (!p->tty && p->mode < 0) || (p->mode < 0 && total < (UINT64_C(64) << 20)))
		return;
	if (p->shown && now - p->last < (p->tty ? 0.1 : 1.0))
		return;
	if (!p->shown && !p->tty && done < total && elapsed < 1.0)
		return;
	p->last = now;
	p->shown = true;
	if (done > total)
		total = done;   /* the plan's count was an estimate */
	text_format_size(d, sizeof(d), done);
	text_format_size(t, sizeof(t), total);
	/* A rate from less than a fifth of a second of work says nothing. */
	if (elapsed >= 0.2 && done) {
		double bps = (double)done / elapsed;
		char r[16];
		text_format_size(r, sizeof(r), (uint64_t)bps);
		snprintf(rate, sizeof(rate), ", %s/s", r);
		if (done < total) {
			char left[24];
			format_duration(left, sizeof(left), (double)(total - done) / bps);
			snprintf(eta, sizeof(eta), ", %s left", left);
		}
	}
	fprintf(p->f, "%spvmmap: %s of %s copied (%u%%)%s%s%s", p->tty ? "\r\033[K" : "", d, t,
		total ? (unsigned)(done * 100 / total) : 100u, rate, eta, p->tty ? "" : "\n");
	fflush(p->f);
}

void cli_progress_round(struct progress *p, unsigned round, uint64_t written, double now)
{
	char w[16];

	/* a round with nothing to copy again says nothing */
	if (!written || p->mode == 0 || (!p->tty && p->mode < 0) || (p->mode < 0 && !p->shown))
		return;
	p->last = now;
	p->shown = true;
	text_format_size(w, sizeof(w), written);
	fprintf(p->f, "%spvmmap: round %u: %s written while copying%s", p->tty ? "\r\033[K" : "", round,
		w, p->tty ? "" : "\n");
	fflush(p->f);
}

void cli_progress_end(struct progress *p)
{
	if (p->shown && p->tty) {
		fputs("\r\033[K", p->f);
		fflush(p->f);
	}
}
