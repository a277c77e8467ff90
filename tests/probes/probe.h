/* Shared definitions of the issue-10 probes (tests/probes/README.md).  The
 * build host's headers predate 6.7, so the uffd-wp-async and PAGEMAP_SCAN
 * definitions are spelled here, from include/uapi/linux/{userfaultfd,fs}.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1                      /* 5.11 */
#endif
#define F_WP_HUGETLBFS_SHMEM (1ULL << 12)          /* 5.19 */
#define F_WP_UNPOPULATED     (1ULL << 13)          /* 6.4 */
#define F_WP_ASYNC           (1ULL << 15)          /* 6.7 */

#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN   (1 << 1)
#define PAGE_IS_FILE      (1 << 2)
#define PAGE_IS_PRESENT   (1 << 3)
#define PAGE_IS_SWAPPED   (1 << 4)
#define PAGE_IS_HUGE      (1 << 6)
#define PM_SCAN_WP_MATCHING   (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
struct page_region { uint64_t start, end, categories; };
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)

#define PG 4096UL
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s: %s\n", \
	__FILE__, __LINE__, #c, strerror(errno)); exit(1); } } while (0)

static inline double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* A uffd of the calling process with the features asked; returns the fd, the
 * features granted in *got, or -errno. */
static inline int uffd_new(int flags, uint64_t want, uint64_t *got)
{
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | flags);
	if (fd < 0)
		return -errno;
	struct uffdio_api api = { .api = UFFD_API, .features = want };
	if (ioctl(fd, UFFDIO_API, &api)) {
		int e = -errno;
		close(fd);
		return e;
	}
	if (got)
		*got = api.features;
	return fd;
}

static inline int uffd_reg_wp(int fd, void *p, size_t len)
{
	struct uffdio_register r = { .range = { (uintptr_t)p, len },
				     .mode = UFFDIO_REGISTER_MODE_WP };
	return ioctl(fd, UFFDIO_REGISTER, &r) ? -errno : 0;
}

/* PAGEMAP_SCAN for PAGE_IS_WRITTEN; with reset, re-protects what it reports
 * (WP_MATCHING) and fails on a VMA without async wp (CHECK_WPASYNC).
 * Returns the number of written pages, or -errno; *walk_end if asked. */
static inline long scan_written(int pm, void *p, size_t len, int reset,
				uint64_t max_pages, uint64_t *walk_end)
{
	static struct page_region v[4096];
	long pages = 0;
	uint64_t cur = (uintptr_t)p, end = cur + len;
	while (cur < end) {
		struct pm_scan_arg a = {
			.size = sizeof a, .start = cur, .end = end,
			.flags = reset ? PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC : 0,
			.vec = (uintptr_t)v, .vec_len = 4096, .max_pages = max_pages,
			.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
		};
		long n = ioctl(pm, PAGEMAP_SCAN, &a);
		if (n < 0)
			return -errno;
		for (long i = 0; i < n; i++)
			pages += (v[i].end - v[i].start) / PG;
		if (walk_end)
			*walk_end = a.walk_end;
		if (max_pages || a.walk_end >= end)
			break;
		cur = a.walk_end;
	}
	return pages;
}

/* The VmFlags line of the smaps entry holding addr. */
static inline void vmflags(pid_t pid, void *addr, char *out, size_t n)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/smaps", pid);
	FILE *f = fopen(path, "r");
	int in = 0;
	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2)
			in = (uintptr_t)addr >= s && (uintptr_t)addr < e;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, n, "%.*s", (int)n - 1, line + 9);
			out[strcspn(out, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

static inline int count_vmas(pid_t pid)
{
	char path[64], line[512];
	int n = 0;
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	return n;
}
