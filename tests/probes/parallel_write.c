/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * parallel_write: whether a copy into another process gets faster with more
 * threads (issue 10's speed goals: the frozen 1 GiB copy against the raw
 * methods, THP against an in-process memcpy).
 *
 *   parallel_write [MIB [THREADS [thp]]]   (default 1024 2)
 *
 * A child maps MIB MiB of private anonymous memory, unpopulated (thp:
 * MADV_HUGEPAGE), and waits; this process fills as much of its own and
 * copies it into the child the way src/transfer_copy.c's bounce does
 * (process_vm_readv into an 8 MiB buffer, process_vm_writev out of it),
 * with THREADS threads each taking an equal part.  Four rounds, a new child
 * each; prints each round's time.  Run it with 1 and with N threads: the
 * copy's cost is mostly the child's page faults (allocation and zeroing,
 * clear_page_erms), so more threads help only where faults scale.
 */
#include "probe.h"

#include <pthread.h>
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>

#define DST ((char *)0x500000000000UL)
#define BUF (8UL << 20)

static char *src;
static pid_t child;

struct part {
	size_t off, len;
};

static void *copy_part(void *arg)
{
	const struct part *p = arg;
	char *buf = malloc(BUF);

	CHECK(buf);
	for (size_t o = p->off; o < p->off + p->len; o += BUF) {
		struct iovec l = { buf, BUF }, r = { src + o, BUF }, d = { DST + o, BUF };
		CHECK(process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)BUF);
		CHECK(process_vm_writev(child, &l, 1, &d, 1, 0) == (ssize_t)BUF);
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1024) << 20;
	int nth = argc > 2 ? atoi(argv[2]) : 2;
	int thp = argc > 3 && strcmp(argv[3], "thp") == 0;
	pthread_t th[64];
	struct part parts[64];

	CHECK(nth >= 1 && nth <= 64 && len % ((size_t)nth * BUF) == 0);
	src = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(src != MAP_FAILED);
	if (thp)
		madvise(src, len, MADV_HUGEPAGE);
	memset(src, 7, len);
	for (int round = 0; round < 4; round++) {
		int ready[2];
		char c;
		double t0;

		CHECK(pipe(ready) == 0);
		child = fork();
		CHECK(child >= 0);
		if (child == 0) {
			char *d = mmap(DST, len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (d != DST)
				_exit(1);
			if (thp)
				madvise(d, len, MADV_HUGEPAGE);
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		CHECK(read(ready[0], &c, 1) == 1);
		t0 = now();
		for (int i = 0; i < nth; i++) {
			parts[i] = (struct part){ len / nth * i, len / nth };
			CHECK(pthread_create(&th[i], NULL, copy_part, &parts[i]) == 0);
		}
		for (int i = 0; i < nth; i++)
			pthread_join(th[i], NULL);
		printf("%zu MiB, %d thread%s%s: %.3f s\n", len >> 20, nth, nth > 1 ? "s" : "",
		       thp ? ", thp" : "", now() - t0);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		close(ready[0]);
		close(ready[1]);
	}
	return 0;
}
