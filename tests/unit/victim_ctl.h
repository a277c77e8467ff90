/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Driving build/fixtures/victim from a unit test: its stdin takes commands,
 * its stdout (read without blocking into @log) reports what happens to its
 * threads, one line each.  Include after <cmocka.h>.
 */
#ifndef PVMMAP_TEST_VICTIM_CTL_H
#define PVMMAP_TEST_VICTIM_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct victim {
	pid_t pid;
	int in, out;             /* its stdin (ours to write), its stdout */
	char *log;               /* everything it printed, NUL terminated */
	size_t len, cap;
};

long long test_now_ms(void);             /* CLOCK_MONOTONIC */
void test_sleep_ms(long ms);

/* Take what the victim printed, waiting up to @ms for something. */
void victim_pump(struct victim *v, int ms);
/* Complete lines starting with @prefix; *last (if given): the last one. */
int victim_count(struct victim *v, const char *prefix, const char **last);
/* Wait up to @ms for @n such lines. */
bool victim_wait(struct victim *v, const char *prefix, int n, int ms);
/* One command line to its stdin. */
void victim_send(struct victim *v, const char *cmd);
/* The tid of its thread @name (from its "thread NAME tid=" line). */
pid_t victim_tid(struct victim *v, const char *name);

#endif
