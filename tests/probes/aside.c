/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aside: what it would take to get a live move's munmap of the source's
 * range out of its final freeze (issue 10, docs/kernel-facts.md "The
 * source's munmap").
 *
 *   aside [MIB [ALIGN_MIB]]     (default 1024 MiB, aligned to 2 MiB)
 *
 * In one process, for MIB of populated private anonymous 4 KiB pages
 * (MADV_NOHUGEPAGE) at an ALIGN_MIB aligned address:
 *   - munmap of the range as it is;
 *   - mremap of the range aside (MREMAP_MAYMOVE | MREMAP_FIXED to an
 *     ALIGN_MIB aligned hole: the page tables move, no page is touched),
 *     then munmap of the region set aside (what freeing it later costs);
 *     ALIGN_MIB 1024 lets whole PUD entries move (a page-table page of
 *     1 GiB per entry), 2 whole PMD entries (2 MiB each);
 *   - the same mremap of a range registered for asynchronous uffd
 *     write-protection, as a live transfer's range is in its final freeze
 *     (the kernel moves no whole page table of a VMA registered with a
 *     uffd lacking UFFD_FEATURE_EVENT_REMAP: PTE by PTE), and what
 *     unregistering it first costs (the uffd-wp bit cleared on every PTE);
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

static size_t al = 2u << 20;

/* A populated region of @len at an @al aligned address. */
static char *region(size_t len)
{
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

/* An @al aligned hole of @len. */
static char *hole(size_t len)
{
	char *h = mmap(NULL, len + al, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (h == MAP_FAILED) {
		perror("mmap hole");
		exit(1);
	}
	munmap(h, len + al);
	return (char *)(((uintptr_t)h + al - 1) & ~(uintptr_t)(al - 1));
}

/* mremap @a..+@len to @to; its milliseconds. */
static double aside(char *a, char *to, size_t len)
{
	double t0 = now();

	if (mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to) {
		perror("mremap");
		exit(1);
	}
	return (now() - t0) * 1e3;
}

/* @a..+@len registered and write-protected as src/track.c does. */
static int registered(char *a, size_t len)
{
	int u = uffd_new(UFFD_USER_MODE_ONLY, F_WP_ASYNC, NULL);
	struct uffdio_writeprotect w = { { (uintptr_t)a, len }, UFFDIO_WRITEPROTECT_MODE_WP };

	if (u < 0 || uffd_reg_wp(u, a, len) || ioctl(u, UFFDIO_WRITEPROTECT, &w)) {
		perror("uffd");
		exit(1);
	}
	return u;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024, len = mib << 20;
	double t0, t1, t2;
	char *a, *to;
	int u;

	if (argc > 2)
		al = strtoul(argv[2], NULL, 10) << 20;
	printf("%zu MiB at %zu MiB alignment\n", mib, al >> 20);

	a = region(len);
	t0 = now();
	munmap(a, len);
	printf("munmap %zu MiB populated:          %8.3f ms\n", mib, (now() - t0) * 1e3);

	a = region(len);
	to = hole(len);
	printf("mremap aside:                       %8.3f ms\n", aside(a, to, len));
	t1 = now();
	munmap(to, len);
	printf("munmap of the region set aside:     %8.3f ms\n", (now() - t1) * 1e3);

	a = region(len);
	to = hole(len);
	u = registered(a, len);
	printf("mremap aside, uffd-wp registered:   %8.3f ms\n", aside(a, to, len));
	munmap(to, len);
	close(u);

	a = region(len);
	to = hole(len);
	u = registered(a, len);
	t0 = now();
	if (ioctl(u, UFFDIO_UNREGISTER, &(struct uffdio_range){ (uintptr_t)a, len })) {
		perror("UFFDIO_UNREGISTER");
		return 1;
	}
	printf("UFFDIO_UNREGISTER:                  %8.3f ms\n", (now() - t0) * 1e3);
	printf("  then mremap aside:                %8.3f ms\n", aside(a, to, len));
	munmap(to, len);
	close(u);

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
