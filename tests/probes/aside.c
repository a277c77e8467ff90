/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aside: what it would take to get a live move's munmap of the source's
 * range out of its final freeze (issue 10, docs/kernel-facts.md "The
 * source's munmap").
 *
 *   aside [MIB]     (default 1024)
 *
 * In one process, for MIB of populated private anonymous 4 KiB pages
 * (MADV_NOHUGEPAGE) at a 2 MiB aligned address:
 *   - munmap of the range as it is;
 *   - mremap of the range aside (MREMAP_MAYMOVE | MREMAP_FIXED to a
 *     2 MiB aligned hole: the page tables move, no page is touched), then
 *     munmap of the region set aside (what freeing it later costs);
 *   - madvise(MADV_DONTNEED) of a region, then munmap of the empty VMA.
 * And from another process: whether process_madvise(MADV_DONTNEED), which
 * would free a region set aside without running anything in the source,
 * is allowed on a process that is not the caller (it was not before 6.13;
 * 6.13 allowed every advice only for the caller itself).
 */
#include "probe.h"

#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef __NR_process_madvise
#define __NR_process_madvise 440
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif

/* A populated region of @len at a 2 MiB aligned address. */
static char *region(size_t len)
{
	size_t al = 2u << 20;
	char *m = mmap(NULL, len + al, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	a = (char *)(((uintptr_t)m + al - 1) & ~(uintptr_t)(al - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	munmap(a + len, (size_t)(m + al - a) - al);
	madvise(a, len, MADV_NOHUGEPAGE);
	for (size_t o = 0; o < len; o += 4096)
		a[o] = 1;
	return a;
}

/* A 2 MiB aligned hole of @len. */
static char *hole(size_t len)
{
	char *h = mmap(NULL, len + (2u << 20), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (h == MAP_FAILED) {
		perror("mmap hole");
		exit(1);
	}
	munmap(h, len + (2u << 20));
	return (char *)(((uintptr_t)h + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024, len = mib << 20;
	double t0, t1, t2;
	char *a, *to;

	a = region(len);
	t0 = now();
	munmap(a, len);
	printf("munmap %zu MiB populated:          %8.3f ms\n", mib, (now() - t0) * 1e3);

	a = region(len);
	to = hole(len);
	t0 = now();
	if (mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to) {
		perror("mremap");
		return 1;
	}
	t1 = now();
	munmap(to, len);
	t2 = now();
	printf("mremap aside:                       %8.3f ms\n", (t1 - t0) * 1e3);
	printf("munmap of the region set aside:     %8.3f ms\n", (t2 - t1) * 1e3);

	a = region(len);
	t0 = now();
	madvise(a, len, MADV_DONTNEED);
	t1 = now();
	munmap(a, len);
	t2 = now();
	printf("MADV_DONTNEED:                      %8.3f ms\n", (t1 - t0) * 1e3);
	printf("munmap of the emptied VMA:          %8.3f ms\n", (t2 - t1) * 1e3);

	{
		int p[2], pidfd;
		pid_t child;
		struct iovec iov;
		long r;

		if (pipe(p))
			return 1;
		child = fork();
		if (child == 0) {
			char *m = region(4u << 20);
			if (write(p[1], &m, sizeof m) != sizeof m)
				_exit(1);
			pause();
			_exit(0);
		}
		if (read(p[0], &iov.iov_base, sizeof iov.iov_base) != sizeof iov.iov_base)
			return 1;
		iov.iov_len = 4u << 20;
		pidfd = (int)syscall(__NR_pidfd_open, child, 0);
		r = syscall(__NR_process_madvise, pidfd, &iov, 1, MADV_DONTNEED, 0);
		printf("process_madvise(MADV_DONTNEED) on another process: %s\n",
		       r < 0 ? strerror(errno) : "allowed");
		r = syscall(__NR_process_madvise, pidfd, &iov, 1, MADV_PAGEOUT, 0);
		printf("process_madvise(MADV_PAGEOUT) on another process: %s\n",
		       r < 0 ? strerror(errno) : "allowed");
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return 0;
}
