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

/*
 * Start @argv (argv[0] the program's path) with pipes on its stdin and
 * stdout, and wait for its "ready " line.  @prepare, if given, runs in the
 * child before the exec (a namespace, another user); false makes it exit
 * 126.  The program is opened first, so a @prepare that hides its path
 * (another /tmp) does not stop it.
 */
void victim_start(struct victim *v, char *const argv[], bool (*prepare)(void *), void *arg);
/* SIGKILL, reap, close, free. */
void victim_stop(struct victim *v);

long long test_now_ms(void);             /* CLOCK_MONOTONIC */
/* PVMMAP_WAIT_SCALE, the factor of every wait (victim_wait applies it). */
int test_wait_scale(void);
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

/* Wake every blocked thread (read, futex, epoll, poll, sigwait) and check
 * that each wakes exactly once, on its own trigger. */
void victim_wake_all(struct victim *v);
/* No thread saw EINTR or an error. */
void victim_assert_no_eintr_stopped(struct victim *v, bool after_stop);
void victim_assert_no_eintr(struct victim *v);
/* The victim is unharmed: every blocked thread wakes exactly once on its
 * own trigger, none saw EINTR, the main thread still reads commands. */
void victim_assert_fine(struct victim *v);

#endif
