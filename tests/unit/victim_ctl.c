/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See victim_ctl.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "victim_ctl.h"

long long test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void test_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void victim_pump(struct victim *v, int ms)
{
	struct pollfd pfd = { .fd = v->out, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return;
	for (;;) {
		if (v->cap - v->len < 4096) {
			v->cap = v->cap ? v->cap * 2 : 65536;
			v->log = realloc(v->log, v->cap);
			assert_non_null(v->log);
		}
		ssize_t n = read(v->out, v->log + v->len, v->cap - v->len - 1);
		if (n <= 0)
			break;
		v->len += (size_t)n;
		v->log[v->len] = '\0';
	}
}

int victim_count(struct victim *v, const char *prefix, const char **last)
{
	size_t k = strlen(prefix);
	int n = 0;

	victim_pump(v, 0);
	for (const char *l = v->log; l && l < v->log + v->len; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strchr(l, '\n'))
			break;
		if (strncmp(l, prefix, k) == 0) {
			n++;
			if (last)
				*last = l;
		}
	}
	return n;
}

/* PVMMAP_WAIT_SCALE (tests/run, helpers.bash: 4 under ASan, 8 in the
 * emulated arm64 guest), a whole number, 1 when unset. */
int test_wait_scale(void)
{
	const char *e = getenv("PVMMAP_WAIT_SCALE");
	long f = e ? strtol(e, NULL, 10) : 1;

	return f >= 1 && f <= 100 ? (int)f : 1;
}

bool victim_wait(struct victim *v, const char *prefix, int n, int ms)
{
	long long end = test_now_ms() + (long long)ms * test_wait_scale();

	while (victim_count(v, prefix, NULL) < n && test_now_ms() < end)
		victim_pump(v, 20);
	return victim_count(v, prefix, NULL) >= n;
}

void victim_send(struct victim *v, const char *cmd)
{
	size_t n = strlen(cmd);

	assert_int_equal(write(v->in, cmd, n), (ssize_t)n);
	assert_int_equal(write(v->in, "\n", 1), 1);
}

pid_t victim_tid(struct victim *v, const char *name)
{
	char prefix[64];
	const char *l = NULL;

	snprintf(prefix, sizeof prefix, "thread %s tid=", name);
	assert_int_equal(victim_count(v, prefix, &l), 1);
	return (pid_t)strtol(l + strlen(prefix), NULL, 10);
}

void victim_start(struct victim *v, char *const argv[], bool (*prepare)(void *), void *arg)
{
	int in[2], out[2], exe;

	if (access(argv[0], X_OK) != 0)
		fail_msg("%s missing: run `make fixtures` first", argv[0]);
	*v = (struct victim){ 0 };
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	exe = open(argv[0], O_RDONLY | O_CLOEXEC);
	assert_true(exe >= 0);
	v->pid = fork();
	assert_true(v->pid >= 0);
	if (v->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (prepare && !prepare(arg))
			_exit(126);
		fexecve(exe, argv, environ);
		_exit(127);
	}
	close(exe);
	close(in[0]);
	close(out[1]);
	v->in = in[1];
	v->out = out[0];
	fcntl(v->out, F_SETFL, O_NONBLOCK);
	if (!victim_wait(v, "ready ", 1, 10000))
		fail_msg("victim did not start: %s", v->log ? v->log : "");
}

void victim_stop(struct victim *v)
{
	int st;

	kill(v->pid, SIGKILL);
	waitpid(v->pid, &st, 0);
	close(v->in);
	close(v->out);
	free(v->log);
}

void victim_wake_all(struct victim *v)
{
	victim_send(v, "wake read");
	victim_send(v, "wake futex");
	victim_send(v, "wake epoll");
	victim_send(v, "wake poll");
	victim_send(v, "wake sigwait");
	assert_true(victim_wait(v, "read-ok 5 bytes", 1, 5000));
	assert_true(victim_wait(v, "futex-ok", 1, 5000));
	assert_true(victim_wait(v, "epoll-ok", 1, 5000));
	assert_true(victim_wait(v, "poll-ok ret=1", 1, 5000));
	assert_true(victim_wait(v, "sigwait-ok sig=12", 1, 5000));
	/* exactly once each: nothing woke them before */
	assert_int_equal(victim_count(v, "read-ok", NULL), 1);
	assert_int_equal(victim_count(v, "futex-ok", NULL), 1);
	assert_int_equal(victim_count(v, "epoll-ok", NULL), 1);
	assert_int_equal(victim_count(v, "poll-ok", NULL), 1);
	assert_int_equal(victim_count(v, "sigwait-ok", NULL), 1);
}

/* Every thread carried on through the seizes: no EINTR, not even in
 * epoll_pwait and rt_sigtimedwait, which end with one at any ptrace stop
 * and are run again (src/inject.c, fact 6).  @after_stop: the process was
 * in a group stop (SIGSTOP) when seized, and those two already ended with
 * the stop's own EINTR, as they do after a SIGSTOP and SIGCONT without any
 * tracer (signal(7), "Interruption of system calls by stop signals"):
 * x86_64 runs them again from its registers, but aarch64 saw them in no
 * syscall, so they keep that EINTR. */
void victim_assert_no_eintr_stopped(struct victim *v, bool after_stop)
{
	int eintr = victim_count(v, "eintr", NULL);

	if (after_stop && !arch_eintr_rewinds)
		eintr -= victim_count(v, "eintr epoll", NULL) + victim_count(v, "eintr sigwait", NULL);
	if (eintr != 0 || victim_count(v, "error", NULL) != 0)
		fail_msg("victim saw something:\n%s", v->log);
}

void victim_assert_no_eintr(struct victim *v)
{
	victim_assert_no_eintr_stopped(v, false);
}

void victim_assert_fine(struct victim *v)
{
	victim_wake_all(v);
	victim_send(v, "count");
	assert_true(victim_wait(v, "count ", 1, 5000));
	victim_assert_no_eintr(v);
}
