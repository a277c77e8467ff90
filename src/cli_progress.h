/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --progress: on a terminal one line, redrawn in place (carriage return and
 * erase to the end of the line) at most ten times a second and erased when
 * done; elsewhere, with an explicit --progress, a plain line a second.
 * Auto (@mode -1) shows it only on a terminal, for 64 MiB or more.
 */
#ifndef PVMMAP_CLI_PROGRESS_H
#define PVMMAP_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *f;
	int mode;                /* 1 on, 0 off, -1 auto */
	bool tty, shown;
	double start, last;
};
void cli_progress_start(struct progress *p, FILE *f, int mode, double now);
void cli_progress_show(struct progress *p, uint64_t done, uint64_t total, double now);
void cli_progress_end(struct progress *p);
/* A live transfer's round: "round 3: 12M written" (shown as the line is). */
void cli_progress_round(struct progress *p, unsigned round, uint64_t written, double now);

#endif
