/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one table of exit statuses (enum pvmmap_outcome in include/pvmmap.h,
 * the pvmmap command's exit statuses): what a plan, or an error of the whole
 * operation, comes to.  The library's results and the command line read it
 * alike, so that a status cannot mean one thing in one place only.
 */
#ifndef PVMMAP_OUTCOME_H
#define PVMMAP_OUTCOME_H

#include "plan.h"

/* What @p comes to: PROCESS for the plan's per-process refusal, else
 * ROLLED_BACK, REFUSED, DEFERRED (a dry run only) or DONE. */
int outcome_of_plan(const struct request *req, const struct plan *p);

/* What an error of the whole operation comes to, by its code (the JSON's
 * error.code): a per-process reason's PROCESS, or the operation's own. */
int outcome_of_error(const char *code);

#endif
