/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpvmmap through its public header only (include/pvmmap.h): requests
 * checked, results read, a copy between two child processes, cancellation,
 * progress, and process_vm_mmap() with its errno values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pvmmap.h"

#define LEN (4u << 20)

/* A child with LEN of private memory filled with @seed, and a page of a
 * shared memfd; it tells where, then waits to be killed. */
struct kid {
	pid_t pid;
	uintptr_t priv, shared;
};

/* Children still alive when a test fails: its teardown kills them. */
static pid_t kids[4];
static int nkids;

static unsigned char fill(size_t i, int seed)
{
	return (unsigned char)(i * 13 + (size_t)seed + i / 4096);
}

static void kid_start(struct kid *k, int seed)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	k->pid = fork();
	assert_true(k->pid >= 0);
	if (k->pid == 0) {
		/* should the test die, its reader (tests/run) must not wait
		 * for this child's copy of stdout */
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		unsigned char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int fd = memfd_create("test_lib", 0);
		char *s;
		uintptr_t w[2];
		if (p == MAP_FAILED || fd < 0 || ftruncate(fd, 4096))
			_exit(1);
		s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (s == MAP_FAILED)
			_exit(1);
		for (size_t i = 0; i < LEN; i++)
			p[i] = fill(i, seed);
		strcpy(s, "shared");
		w[0] = (uintptr_t)p;
		w[1] = (uintptr_t)s;
		if (write(fds[1], w, sizeof w) != sizeof w)
			_exit(1);
		for (;;)
			pause();
	}
	uintptr_t w[2];
	kids[nkids++] = k->pid;
	assert_int_equal(read(fds[0], w, sizeof w), (ssize_t)sizeof w);
	k->priv = w[0];
	k->shared = w[1];
	close(fds[0]);
	close(fds[1]);
}

static void kid_stop(struct kid *k)
{
	kill(k->pid, SIGKILL);
	waitpid(k->pid, NULL, 0);
	for (int i = 0; i < nkids; i++)
		if (kids[i] == k->pid)
			kids[i--] = kids[--nkids];
}

static int kill_kids(void **state)
{
	(void)state;
	while (nkids) {
		struct kid k = { .pid = kids[nkids - 1] };
		kid_stop(&k);
	}
	return 0;
}

static bool remote_equals(pid_t pid, uintptr_t addr, int seed)
{
	/* mmap, not malloc: ASan poisons a large block's shadow when it is
	 * freed and unmapped, and the kernel may give the same addresses to
	 * a later mmap of the test, whose writes ASan would then report */
	unsigned char *buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec l = { buf, LEN }, r = { (void *)addr, LEN };
	bool ok = buf != MAP_FAILED && process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)LEN;

	for (size_t i = 0; ok && i < LEN; i++)
		ok = buf[i] == fill(i, seed);
	if (buf != MAP_FAILED)
		munmap(buf, LEN);
	return ok;
}

static char *json_of(const pvmmap_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(pvmmap_result_write_json(r, f), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* ---- requests and results -------------------------------------------------- */

static void test_bad_requests(void **state)
{
	struct pvmmap_request req = { .op = PVMMAP_OP_COPY, .pid = getpid(), .pid2 = 1, .addr = 0x1000,
				      .len = 4096, .at = PVMMAP_AT_SAME };
	pvmmap_result *res = (pvmmap_result *)1;
	pvmmap *h;

	(void)state;
	assert_int_equal(pvmmap_open(&h), 0);
	req.addr = 0x1001;
	assert_int_equal(pvmmap_plan(h, &req, &res), -EINVAL);
	assert_null(res);
	req.addr = 0x1000;
	req.flags = 0x8000;
	assert_int_equal(pvmmap_plan(h, &req, &res), -EINVAL);
	req.flags = PVMMAP_LIVE | PVMMAP_FROZEN;
	assert_int_equal(pvmmap_plan(h, &req, &res), -EINVAL);
	req.flags = 0;
	req.reserved[2] = 1;
	assert_int_equal(pvmmap_plan(h, &req, &res), -EINVAL);
	req.reserved[2] = 0;
	req.pid2 = 0;
	assert_int_equal(pvmmap_transfer(h, &req, &res), -EINVAL);
	req.pid2 = 1;
	req.op = PVMMAP_OP_MAPS;
	assert_int_equal(pvmmap_transfer(h, &req, &res), -EINVAL);
	req.op = PVMMAP_OP_COPY;
	req.at = 0x2001;
	assert_int_equal(pvmmap_plan(h, &req, &res), -EINVAL);
	req.at = PVMMAP_AT_SAME;
	req.addr = UINT64_MAX & ~UINT64_C(4095);
	req.len = 8192;
	assert_int_equal(pvmmap_plan(h, &req, &res), -EINVAL);
	assert_int_equal(pvmmap_plan(NULL, &req, &res), -EINVAL);
	assert_int_equal(pvmmap_cancel(NULL), -EINVAL);
	pvmmap_close(h);
}

static void test_usage_error_document(void **state)
{
	pvmmap_result *res;
	struct pvmmap_error e;
	struct pvmmap_summary s;
	char *j;

	(void)state;
	assert_int_equal(pvmmap_result_from_error(-1, "usage", "bad", "see pvmmap --help", &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_USAGE);     /* the CLI's 2 */
	assert_int_equal(pvmmap_result_error(res, &e), 0);
	assert_string_equal(e.code, "usage");
	assert_string_equal(e.message, "bad");
	assert_string_equal(e.hint, "see pvmmap --help");
	assert_int_equal(pvmmap_result_count(res), 0);
	pvmmap_result_summary(res, &s);
	assert_true(s.elapsed_s < 0);
	assert_true(s.dest_start == PVMMAP_ADDR_NONE);
	j = json_of(res);
	assert_non_null(strstr(j, "\"operation\": null"));
	assert_non_null(strstr(j, "\"error\": {\"code\": \"usage\", \"message\": \"bad\""));
	free(j);
	pvmmap_result_free(res);

	assert_int_equal(pvmmap_result_from_error(PVMMAP_OP_CLEAN, "usage", "bad", NULL, &res), 0);
	j = json_of(res);
	assert_string_equal(j, "{\"pvmmap\": 1, \"operation\": \"clean\", \"source\": null, \"removed\": [], "
			       "\"error\": {\"code\": \"usage\", \"message\": \"bad\"}}\n");
	free(j);
	pvmmap_result_free(res);

	/* any other code is a process's reason: 3 */
	assert_int_equal(pvmmap_result_from_error(PVMMAP_OP_MOVE, "no-such-process", "gone", NULL, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_PROCESS);
	pvmmap_result_free(res);
}

static void test_no_such_process(void **state)
{
	struct pvmmap_request req = { .op = PVMMAP_OP_MAPS, .pid = 0x3ffffff0, .at = PVMMAP_AT_SAME };
	pvmmap_result *res;
	struct pvmmap_error e;
	pvmmap *h;

	(void)state;
	assert_int_equal(pvmmap_open(&h), 0);
	assert_int_equal(pvmmap_plan(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_PROCESS);
	pvmmap_result_error(res, &e);
	assert_string_equal(e.code, "no-such-process");
	pvmmap_result_free(res);
	pvmmap_close(h);
}

/* maps of a child: every piece read back as plain data, as in the JSON. */
static void test_maps(void **state)
{
	struct kid k;
	struct pvmmap_request req = { .op = PVMMAP_OP_MAPS, .at = PVMMAP_AT_SAME, .flags = PVMMAP_FOR_COPY };
	struct pvmmap_vma v;
	struct pvmmap_summary s;
	pvmmap_result *res;
	bool found = false, vdso = false;
	pvmmap *h;

	(void)state;
	kid_start(&k, 1);
	req.pid = k.pid;
	assert_int_equal(pvmmap_open(&h), 0);
	assert_int_equal(pvmmap_plan(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_DONE);
	assert_true(pvmmap_result_count(res) > 3);
	for (size_t i = 0; i < pvmmap_result_count(res); i++) {
		assert_int_equal(pvmmap_result_vma(res, i, &v), 0);
		if (v.start == k.priv) {
			found = true;
			assert_string_equal(v.kind, "anon");
			assert_string_equal(v.method, "copy");
			assert_string_equal(v.status, "ok");
			assert_null(v.reason);
			assert_int_equal(v.size, LEN);
			assert_int_equal(v.rss, LEN);
		}
		if (v.name && strcmp(v.name, "[vdso]") == 0) {
			vdso = true;
			assert_string_equal(v.reason, "special-mapping");
			assert_string_equal(v.status, "refused");
			assert_true(v.message[0] != '\0');
		}
	}
	assert_true(found);
	assert_true(vdso);
	assert_int_equal(pvmmap_result_vma(res, pvmmap_result_count(res), &v), -ERANGE);
	pvmmap_result_summary(res, &s);
	assert_int_equal(s.vmas, pvmmap_result_count(res));
	assert_true(s.source_paused_s == 0);
	pvmmap_result_free(res);
	pvmmap_close(h);
	kid_stop(&k);
}

static uint64_t progress_done;
static int progress_calls;

static void on_progress(uint64_t done, uint64_t total, void *arg)
{
	(void)total;
	assert_ptr_equal(arg, &progress_done);
	progress_done = done;
	progress_calls++;
}

/* Two children, A (@seed) and B, the request for A's buffer into B, and a
 * handle. */
static struct pvmmap_request two_kids(struct kid *a, struct kid *b, int seed, int op, pvmmap **h)
{
	kid_start(a, seed);
	kid_start(b, seed + 1);
	assert_int_equal(pvmmap_open(h), 0);
	return (struct pvmmap_request){ .op = op, .pid = a->pid, .pid2 = b->pid, .addr = a->priv,
					.len = LEN, .at = PVMMAP_AT_ANY };
}

/* A dry run, then the copy: the target holds the bytes at the same address. */
static void test_copy(void **state)
{
	struct kid a, b;
	struct pvmmap_request req;
	struct pvmmap_summary s;
	struct pvmmap_vma v;
	pvmmap_result *res;
	pvmmap *h;

	(void)state;
	req = two_kids(&a, &b, 2, PVMMAP_OP_COPY, &h);
	assert_int_equal(pvmmap_plan(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_DONE);
	assert_int_equal(pvmmap_result_vma(res, 0, &v), 0);
	assert_string_equal(v.status, "ok");
	pvmmap_result_free(res);

	progress_calls = 0;
	assert_int_equal(pvmmap_set_progress(h, on_progress, &progress_done), 0);
	assert_int_equal(pvmmap_transfer(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_DONE);
	pvmmap_result_summary(res, &s);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.bytes_copied, LEN);
	assert_true(s.dest_start != PVMMAP_ADDR_NONE);
	assert_true(s.source_paused_s >= 0);
	assert_true(progress_calls > 0);
	assert_int_equal(progress_done, LEN);
	assert_int_equal(pvmmap_result_vma(res, 0, &v), 0);
	assert_string_equal(v.status, "done");
	assert_true(remote_equals(b.pid, (uintptr_t)s.dest_start, 2));
	assert_true(remote_equals(a.pid, a.priv, 2));
	/* live by default (the kernel permitting): two rounds or more */
	{
		unsigned rounds = 0;
		const char *code = "x";
		pvmmap_result_rounds(res, &rounds, NULL);
		assert_int_equal(pvmmap_result_note(res, 0, &code, NULL, 0), 0);
		assert_int_equal(pvmmap_result_note(res, 9, &code, NULL, 0), -ERANGE);
		if (code)
			assert_int_equal(rounds, 1);    /* frozen: it says why */
		else
			assert_true(rounds >= 2);
	}
	pvmmap_result_free(res);

	/* PVMMAP_FROZEN: one round */
	req.flags |= PVMMAP_FROZEN;
	req.at = PVMMAP_AT_ANY;
	assert_int_equal(pvmmap_transfer(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_DONE);
	{
		unsigned rounds = 0;
		uint64_t re = 1;
		pvmmap_result_rounds(res, &rounds, &re);
		assert_int_equal(rounds, 1);
		assert_int_equal(re, 0);
	}
	pvmmap_result_free(res);
	pvmmap_close(h);
	kid_stop(&a);
	kid_stop(&b);
}

/* A cancel before the transfer rolls it back at its first boundary. */
static void test_cancel(void **state)
{
	struct kid a, b;
	struct pvmmap_request req;
	struct pvmmap_error e;
	struct pvmmap_vma v;
	pvmmap_result *res;
	pvmmap *h;

	(void)state;
	req = two_kids(&a, &b, 4, PVMMAP_OP_MOVE, &h);
	assert_int_equal(pvmmap_cancel(h), 0);
	assert_int_equal(pvmmap_transfer(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_ROLLED_BACK);
	pvmmap_result_error(res, &e);
	assert_string_equal(e.code, "interrupted");
	assert_non_null(strstr(e.message, "cancelled"));
	assert_int_equal(pvmmap_result_vma(res, 0, &v), 0);
	assert_string_equal(v.status, "rolled-back");
	assert_true(remote_equals(a.pid, a.priv, 4));
	pvmmap_result_free(res);
	/* the flag is spent: the next transfer moves */
	assert_int_equal(pvmmap_transfer(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_DONE);
	pvmmap_result_free(res);
	pvmmap_close(h);
	kid_stop(&a);
	kid_stop(&b);
}

/* A pending blocked SIGTERM is the caller's: without PVMMAP_WATCH_SIGNALS
 * the transfer goes on and leaves it pending. */
static void test_signals_left_alone(void **state)
{
	struct kid a, b;
	struct pvmmap_request req;
	sigset_t term, old, pend;
	pvmmap_result *res;
	pvmmap *h;
	int sig;

	(void)state;
	req = two_kids(&a, &b, 6, PVMMAP_OP_COPY, &h);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	raise(SIGTERM);
	assert_int_equal(pvmmap_transfer(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_DONE);
	pvmmap_result_free(res);
	sigpending(&pend);
	assert_true(sigismember(&pend, SIGTERM));
	/* with the flag, the same signal rolls the next one back */
	req.flags = PVMMAP_WATCH_SIGNALS;
	assert_int_equal(pvmmap_transfer(h, &req, &res), 0);
	assert_int_equal(pvmmap_result_outcome(res), PVMMAP_ROLLED_BACK);
	pvmmap_result_free(res);
	assert_int_equal(sigwait(&term, &sig), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	pvmmap_close(h);
	kid_stop(&a);
	kid_stop(&b);
}

/* ---- process_vm_mmap --------------------------------------------------------- */

static void test_vm_mmap(void **state)
{
	struct kid k;
	unsigned char *p;
	char *s;
	void *fixed;
	bool same = true;

	(void)state;
	kid_start(&k, 8);
	p = process_vm_mmap(k.pid, k.priv, LEN, 0, 0);
	assert_true(p != MAP_FAILED);
	for (size_t i = 0; same && i < LEN; i++)
		same = p[i] == fill(i, 8);
	assert_true(same);
	s = process_vm_mmap(k.pid, k.shared, 4096, 0, 0);
	assert_true(s != MAP_FAILED);
	assert_string_equal(s, "shared");
	/* shared: the child sees the caller's write */
	strcpy(s, "written");
	char buf[8];
	struct iovec l = { buf, 8 }, r = { (void *)k.shared, 8 };
	assert_int_equal(process_vm_readv(k.pid, &l, 1, &r, 1, 0), 8);
	assert_string_equal(buf, "written");

	/* at a fixed address: there, or EEXIST where something is mapped */
	fixed = mmap(NULL, LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fixed != MAP_FAILED);
	errno = 0;
	assert_true(process_vm_mmap(k.pid, k.priv, LEN, (uintptr_t)fixed, PVMMAP_FIXED_NOREPLACE) == MAP_FAILED);
	assert_int_equal(errno, EEXIST);
	assert_ptr_equal(process_vm_mmap(k.pid, k.priv, LEN, (uintptr_t)fixed, PVMMAP_FIXED), fixed);
	assert_int_equal(((unsigned char *)fixed)[4097], fill(4097, 8));
	munmap(fixed, LEN);
	assert_ptr_equal(process_vm_mmap(k.pid, k.priv, 4096, (uintptr_t)fixed, PVMMAP_FIXED_NOREPLACE), fixed);
	munmap(fixed, 4096);

	munmap(p, LEN);
	munmap(s, 4096);
	kid_stop(&k);
}

/* A move: the caller holds the bytes, the source no longer maps them, and
 * is not left stopped or traced. */
static void test_vm_mmap_move(void **state)
{
	struct kid k;
	unsigned char *p, c;
	bool same = true;
	char path[64], line[256];
	FILE *f;

	(void)state;
	kid_start(&k, 10);
	p = process_vm_mmap(k.pid, k.priv, LEN, 0, PVMMAP_MOVE);
	assert_true(p != MAP_FAILED);
	for (size_t i = 0; same && i < LEN; i++)
		same = p[i] == fill(i, 10);
	assert_true(same);
	struct iovec l = { &c, 1 }, r = { (void *)k.priv, 1 };
	errno = 0;
	assert_int_equal(process_vm_readv(k.pid, &l, 1, &r, 1, 0), -1);
	assert_int_equal(errno, EFAULT);
	snprintf(path, sizeof path, "/proc/%d/status", k.pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "TracerPid:", 10) == 0)
			assert_int_equal(atoi(line + 10), 0);
		if (strncmp(line, "State:", 6) == 0)
			assert_non_null(strchr("SR", line[7]));
	}
	fclose(f);
	munmap(p, LEN);
	kid_stop(&k);
}

/* Part of a VMA, and a range with a hole: only the range is cloned, inside
 * its reservation, and the caller's memory around it stays as it was.  A
 * clone of the whole VMA, mapped MAP_FIXED where the range's piece goes,
 * once landed on whatever the caller had there. */
static void test_vm_mmap_part(void **state)
{
	struct kid k;
	unsigned char *area, *dst, *p;
	bool same = true;

	(void)state;
	kid_start(&k, 12);
	/* LEN of the caller's own bytes on each side of the destination: a
	 * clone of the whole VMA of the child, from any place in it, would
	 * land on them */
	area = mmap(NULL, 3 * LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(area != MAP_FAILED);
	memset(area, 0xa5, 3 * LEN);
	dst = area + LEN;
	assert_int_equal(munmap(dst, 4096), 0);
	p = process_vm_mmap(k.pid, k.priv + 4096, 4096, (uintptr_t)dst, PVMMAP_FIXED_NOREPLACE);
	assert_ptr_equal(p, dst);
	for (size_t i = 0; same && i < 4096; i++)
		same = p[i] == fill(4096 + i, 12);
	assert_true(same);
	for (size_t i = 0; same && i < 3 * LEN; i++)
		same = (area + i >= dst && area + i < dst + 4096) || area[i] == 0xa5;
	assert_true(same);
	assert_int_equal(munmap(area, 3 * LEN), 0);

	/* the child's first page moved out, a copy of the first two pages
	 * meets a hole: not-mapped */
	p = process_vm_mmap(k.pid, k.priv, 4096, 0, PVMMAP_MOVE);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[1], fill(1, 12));
	munmap(p, 4096);
	errno = 0;
	assert_true(process_vm_mmap(k.pid, k.priv, 8192, 0, 0) == MAP_FAILED);
	assert_int_equal(errno, EFAULT);
	kid_stop(&k);
}

static void test_vm_mmap_errors(void **state)
{
	struct kid k;
	FILE *f;
	char line[512];
	uintptr_t vdso = 0, stack = 0, stack_end = 0, lo, hi;

	(void)state;
	kid_start(&k, 9);
	errno = 0;
	assert_true(process_vm_mmap(k.pid, k.priv + 1, 4096, 0, 0) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	assert_true(process_vm_mmap(k.pid, k.priv, 4096, 0, PVMMAP_FIXED | PVMMAP_FIXED_NOREPLACE) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	/* not-mapped: EFAULT (nothing maps 1 MiB in a PIE program) */
	assert_true(process_vm_mmap(k.pid, 0x100000, 4096, 0, 0) == MAP_FAILED);
	assert_int_equal(errno, EFAULT);
	assert_true(process_vm_mmap(0x3ffffff0, 0x1000, 4096, 0, 0) == MAP_FAILED);
	assert_int_equal(errno, ESRCH);
	assert_true(process_vm_mmap(getpid(), k.priv, 4096, 0, 0) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	/* special-mapping: EINVAL */
	snprintf(line, sizeof line, "/proc/%d/maps", k.pid);
	f = fopen(line, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			vdso = lo;
		else if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			stack = lo, stack_end = hi;
	fclose(f);
	assert_true(vdso != 0);
	assert_true(process_vm_mmap(k.pid, vdso, 4096, 0, 0) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	/* in-use (a move of the stack its thread stands on): EBUSY, and the
	 * source carries on */
	assert_true(stack != 0);
	assert_true(process_vm_mmap(k.pid, stack, stack_end - stack, 0, PVMMAP_MOVE) == MAP_FAILED);
	assert_int_equal(errno, EBUSY);
	assert_true(remote_equals(k.pid, k.priv, 9));
	kid_stop(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bad_requests, kill_kids),
		cmocka_unit_test_teardown(test_usage_error_document, kill_kids),
		cmocka_unit_test_teardown(test_no_such_process, kill_kids),
		cmocka_unit_test_teardown(test_maps, kill_kids),
		cmocka_unit_test_teardown(test_copy, kill_kids),
		cmocka_unit_test_teardown(test_cancel, kill_kids),
		cmocka_unit_test_teardown(test_signals_left_alone, kill_kids),
		/* process_vm_mmap after transfers in one process, as a program
		 * may call them: its clone of a range once mapped the whole VMA
		 * around it MAP_FIXED, past its reservation, and under ASan
		 * (only in this order) over a chunk ASan's allocator had just
		 * placed in the hole test_vm_mmap makes for its last call (one
		 * page of a 4 MiB VMA): ASan failed a CHECK on the chunk's
		 * overwritten header.  test_vm_mmap_part checks it directly. */
		cmocka_unit_test_teardown(test_vm_mmap, kill_kids),
		cmocka_unit_test_teardown(test_vm_mmap_part, kill_kids),
		cmocka_unit_test_teardown(test_vm_mmap_move, kill_kids),
		cmocka_unit_test_teardown(test_vm_mmap_errors, kill_kids),
	};

	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
