/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "testpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long die_at = -1, steps;

void testpoint(void)
{
	if (die_at < 0) {
		const char *e = getenv("PVMMAP_DIE_AT");
		char *end;
		long k = e ? strtol(e, &end, 10) : 0;
		die_at = e && *e && !*end && k > 0 ? k : 0;
	}
	if (die_at && ++steps == die_at)
		kill(getpid(), SIGKILL);
}

void testpoint_named(const char *name)
{
	const char *e = getenv("PVMMAP_DIE_AT");
	const char *s = getenv("PVMMAP_STOP_AT");

	testpoint();
	if (e && name && strcmp(e, name) == 0)
		kill(getpid(), SIGKILL);
	/* a test changes a process meanwhile, then continues pvmmap */
	if (s && name && strcmp(s, name) == 0)
		kill(getpid(), SIGSTOP);
}

void testpoint_die_after(long k)
{
	die_at = steps + k;
}
