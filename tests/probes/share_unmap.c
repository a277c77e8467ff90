/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * share_unmap: what a share's freeze pays in the source (issue 10's fixed
 * costs, docs/kernel-facts.md "A share's freeze").
 *
 *   share_unmap [GIB [WRITTEN_MIB [REPS]]]   (default 16 64 5)
 *
 * In one process, REPS times, a MAP_SHARED mapping of a memfd of GIB GiB
 * (MAP_NORESERVE, 1 GiB aligned) whose first WRITTEN_MIB MiB are written
 * (mapped in this process's page tables, as in tests/bench/peer memfd):
 *   - the whole of /proc/self/smaps read (a few VMAs beside this one: the
 *     cost is its Rss walk), then with nothing of it mapped;
 *   - munmap of the mapping, then of the same mapping with nothing mapped
 *     (the page-table walk of an empty range), and madvise(MADV_DONTNEED)
 *     of the written part followed by munmap (the zap on its own).
 * Prints each median in ms.
 */
#include "probe.h"

#define GB (1UL << 30)

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The mapping at a 1 GiB aligned address, its first @written bytes written. */
static char *share(int fd, size_t len, size_t written)
{
	char *m = mmap(NULL, len + GB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	CHECK(m != MAP_FAILED);
	a = (char *)(((uintptr_t)m + GB - 1) & ~(GB - 1));
	munmap(m, len + GB);
	a = mmap(a, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED, fd, 0);
	CHECK(a != MAP_FAILED);
	for (size_t o = 0; o < written; o += PG)
		a[o] = 1;
	return a;
}

static double smaps_ms(void)
{
	static char buf[1 << 16];
	double t = now();
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
	return (now() - t) * 1e3;
}

int main(int argc, char **argv)
{
	size_t len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 16) * GB;
	size_t written = (argc > 2 ? strtoul(argv[2], NULL, 0) : 64) << 20;
	int reps = argc > 3 ? atoi(argv[3]) : 5;
	double sm[64], se[64], un[64], ue[64], dn[64], du[64];
	int fd = memfd_create("share_unmap", MFD_CLOEXEC);

	CHECK(fd >= 0 && reps > 0 && reps <= 64);
	CHECK(ftruncate(fd, (off_t)len) == 0);
	for (int i = 0; i < reps; i++) {
		char *a = share(fd, len, written);
		double t;

		sm[i] = smaps_ms();
		t = now();
		CHECK(munmap(a, len) == 0);
		un[i] = (now() - t) * 1e3;

		a = share(fd, len, 0);
		se[i] = smaps_ms();
		t = now();
		CHECK(munmap(a, len) == 0);
		ue[i] = (now() - t) * 1e3;

		a = share(fd, len, written);
		t = now();
		CHECK(madvise(a, written, MADV_DONTNEED) == 0);
		dn[i] = (now() - t) * 1e3;
		t = now();
		CHECK(munmap(a, len) == 0);
		du[i] = (now() - t) * 1e3;
	}
	printf("%zu GiB shared memfd, %zu MiB written, median of %d (ms):\n", len / GB, written >> 20,
	       reps);
	printf("  smaps read: %.3f (nothing mapped: %.3f)\n", median(sm, reps), median(se, reps));
	printf("  munmap: %.3f (nothing mapped: %.3f)\n", median(un, reps), median(ue, reps));
	printf("  MADV_DONTNEED of the written part: %.3f, then munmap: %.3f\n", median(dn, reps),
	       median(du, reps));
	return 0;
}
