/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "testpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long die_at = -1, stop_at = -1, steps;

/* The step number in @var, or 0 (none, or a name). */
static long step_of(const char *var)
{
	const char *e = getenv(var);
	char *end;
	long k = e ? strtol(e, &end, 10) : 0;

	return e && *e && !*end && k > 0 ? k : 0;
}

void testpoint(void)
{
	if (die_at < 0) {
		die_at = step_of("PVMMAP_DIE_AT");
		stop_at = step_of("PVMMAP_STOP_AT");
	}
	steps++;
	if (die_at && steps == die_at)
		kill(getpid(), SIGKILL);
	/* SIGSTOP: a test acts while pvmmap holds the processes, for as long
	 * as it needs, then sends SIGCONT; no race against the transfer */
	if (stop_at && steps == stop_at)
		kill(getpid(), SIGSTOP);
}

void testpoint_mark(const char *name)
{
	const char *e = getenv("PVMMAP_DIE_AT"), *s = getenv("PVMMAP_STOP_AT");

	if (e && name && strcmp(e, name) == 0)
		kill(getpid(), SIGKILL);
	if (s && name && strcmp(s, name) == 0)
		kill(getpid(), SIGSTOP);
}

void testpoint_named(const char *name)
{
	testpoint();
	testpoint_mark(name);
}

void testpoint_die_after(long k)
{
	die_at = steps + k;
}
