/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "outcome.h"

#include <stddef.h>
#include <string.h>

#include "pvmmap.h"

/*
 * The operation's own error codes (include/pvmmap.h, struct pvmmap_error)
 * and their statuses; every other code is a per-process reason (reasons.c),
 * which the contract numbers 3.
 */
static const struct {
	const char *code;
	int outcome;
} op_errors[] = {
	{ "interrupted", PVMMAP_ROLLED_BACK },  /* a signal or pvmmap_cancel() rolled it back */
	{ "rolled-back", PVMMAP_ROLLED_BACK },
	{ "unsupported", PVMMAP_ROLLED_BACK },  /* nothing was touched */
	{ "busy", PVMMAP_ROLLED_BACK },         /* clean: a thread still rests in the rescue code */
	{ "left-over", PVMMAP_LEFT_OVER },
	{ "error", PVMMAP_PROCESS },
	{ "usage", PVMMAP_USAGE },              /* pvmmap_result_from_error(): refused before asking */
};

int outcome_of_error(const char *code)
{
	for (size_t i = 0; i < sizeof(op_errors) / sizeof(op_errors[0]); i++)
		if (strcmp(op_errors[i].code, code) == 0)
			return op_errors[i].outcome;
	return PVMMAP_PROCESS;
}

int outcome_of_plan(const struct request *req, const struct plan *p)
{
	struct plan_summary s;

	if (p->error.reason)
		return PVMMAP_PROCESS;
	if (req->op == OP_MAPS)
		return PVMMAP_DONE;
	plan_summarise(p, &s);
	if (s.failed || s.rolled_back)
		return PVMMAP_ROLLED_BACK;
	if (s.refused)
		return PVMMAP_REFUSED;
	/* A real move plans again under the freeze, where nothing is
	 * deferred; a dry run cannot promise what only the move can see. */
	return s.deferred && req->dry_run ? PVMMAP_DEFERRED : PVMMAP_DONE;
}
