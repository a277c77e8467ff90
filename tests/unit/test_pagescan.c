/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pagescan.c against live memory: this process and a forked child, each
 * test run both ways (PAGEMAP_SCAN, and the /proc/PID/pagemap fallback that
 * PVMMAP_NO_PAGEMAP_SCAN=1 forces).  Expected runs come from a model: what
 * the test did to each page.
 *
 * Zero pages are made with UFFDIO_ZEROPAGE: some kernels never map the zero
 * page on a read fault (this one boots with pvm_no_zero_page=1), and
 * userfaultfd maps it regardless.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fdcount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "pagescan.h"

#define PM_GUARD (UINT64_C(1) << 58) /* 6.15 */

static uint64_t pg;

/* ---- ways of reading -------------------------------------------------- */

enum mode { M_SCAN, M_PAGEMAP, M_N };
static const char *const mode_name[] = { "PAGEMAP_SCAN", "pagemap" };

static void force_mode(enum mode m)
{
	if (m == M_PAGEMAP)
		assert_int_equal(setenv("PVMMAP_NO_PAGEMAP_SCAN", "1", 1), 0);
	else
		assert_int_equal(unsetenv("PVMMAP_NO_PAGEMAP_SCAN"), 0);
	pagescan_reset_probe();
}

/* Open @procfd's pagemap read mode @m; false when the kernel lacks PAGEMAP_SCAN. */
static bool open_mode(int procfd, enum mode m, struct pagescan *ps)
{
	force_mode(m);
	assert_int_equal(pagescan_open(procfd, pg, ps), 0);
	if (m == M_SCAN && !ps->scan) {
		pagescan_close(ps);
		return false;
	}
	assert_true(ps->scan == (m == M_SCAN));
	assert_true(ps->pmfd >= 0);
	return true;
}

static int self_dir(void)
{
	int fd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* ---- runs --------------------------------------------------------------- */

struct runs {
	size_t n, cap;
	struct ps_run *r;
};

static void runs_add(struct runs *rs, uint64_t start, uint64_t end, unsigned what)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		assert_non_null(rs->r);
	}
	rs->r[rs->n++] = (struct ps_run){ start, end, what };
}

static void runs_free(struct runs *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* Every run of [start, end), checking what the interface promises of each. */
static void collect(struct pagescan *ps, uint64_t start, uint64_t end, struct runs *out)
{
	uint64_t c = start;
	struct ps_run run;
	int r;

	out->n = 0;
	while ((r = pagescan_next(ps, &c, end, &run)) == 1) {
		assert_true(run.start < run.end);
		assert_true(run.start >= start && run.end <= end);
		assert_int_equal(run.start % pg, 0);
		assert_int_equal(run.end % pg, 0);
		assert_true(c == run.end);
		assert_true(run.what == PS_DATA || run.what == (PS_DATA | PS_SWAPPED) ||
			    run.what == PS_GUARD);
		if (out->n) {
			const struct ps_run *p = &out->r[out->n - 1];
			assert_true(run.start >= p->end);
			/* maximal: touching runs differ in kind */
			assert_true(run.start > p->end || run.what != p->what);
		}
		runs_add(out, run.start, run.end, run.what);
	}
	assert_int_equal(r, 0);
	assert_true(c <= end);
}

static void runs_print(const char *what, const struct runs *rs, uint64_t base)
{
	print_message("%s: %zu runs\n", what, rs->n);
	for (size_t i = 0; i < rs->n && i < 40; i++)
		print_message("  [%" PRIu64 ", %" PRIu64 ") pages, what %u\n",
			      (rs->r[i].start - base) / pg, (rs->r[i].end - base) / pg, rs->r[i].what);
}

static void assert_runs_equal(const struct runs *got, const struct runs *want, uint64_t base,
			      const char *label)
{
	bool same = got->n == want->n;

	for (size_t i = 0; same && i < got->n; i++)
		same = got->r[i].start == want->r[i].start && got->r[i].end == want->r[i].end &&
		       got->r[i].what == want->r[i].what;
	if (!same) {
		print_message("%s differs\n", label);
		runs_print("got", got, base);
		runs_print("want", want, base);
	}
	assert_true(same);
}

/* ---- the model: what a test did to each page -------------------------- */

enum kind {
	K_NONE,      /* never touched */
	K_DATA,      /* written, or read into a page of its own */
	K_ZERO,      /* the shared zero page */
	K_GUARD,     /* a guard region the kernel names (6.15) */
	K_OLDGUARD,  /* a guard region shown as swapped (6.13, 6.14) */
};

static unsigned what_of(unsigned char k, enum mode m)
{
	switch (k) {
	case K_DATA:
		return PS_DATA;
	case K_ZERO:
		return m == M_SCAN ? 0 : PS_DATA; /* the fallback cannot tell */
	case K_GUARD:
		return PS_GUARD;
	case K_OLDGUARD:
		return PS_DATA | PS_SWAPPED;
	default:
		return 0;
	}
}

/* The runs the model predicts for pages [s, e) of a region at base. */
static void model_runs(const unsigned char *kind, uint64_t base, size_t s, size_t e, enum mode m,
		       struct runs *out)
{
	out->n = 0;
	for (size_t i = s; i < e;) {
		unsigned w = what_of(kind[i], m);
		size_t j = i + 1;

		while (j < e && what_of(kind[j], m) == w)
			j++;
		if (w)
			runs_add(out, base + i * pg, base + j * pg, w);
		i = j;
	}
}

/* Both ways over [s, e) pages of a region of @procfd must give what the model says. */
static void check_model(int procfd, const unsigned char *kind, uint64_t base, size_t s, size_t e)
{
	struct runs got = { 0 }, want = { 0 };
	struct pagescan ps;
	char label[64];

	for (int m = 0; m < M_N; m++) {
		if (!open_mode(procfd, (enum mode)m, &ps))
			continue;
		collect(&ps, base + s * pg, base + e * pg, &got);
		model_runs(kind, base, s, e, (enum mode)m, &want);
		snprintf(label, sizeof label, "%s, pages [%zu, %zu)", mode_name[m], s, e);
		assert_runs_equal(&got, &want, base, label);
		pagescan_close(&ps);
	}
	runs_free(&got);
	runs_free(&want);
}

/* ---- making pages of each kind ---------------------------------------- */

/* Ask the kernel itself whether the page at @addr of @pmfd's process is the zero page. */
static bool raw_pfnzero(int pmfd, uint64_t addr)
{
	struct page_region v[1];
	struct pm_scan_arg a = {
		.size = sizeof a, .start = addr, .end = addr + pg,
		.vec = (uint64_t)(uintptr_t)v, .vec_len = 1,
		.category_mask = PAGE_IS_PFNZERO, .return_mask = PAGE_IS_PFNZERO,
	};

	return ioctl(pmfd, PAGEMAP_SCAN, &a) == 1;
}

static uint64_t raw_entry(int pmfd, uint64_t addr)
{
	uint64_t e = 0;

	if (pread(pmfd, &e, sizeof e, (off_t)(addr / pg * 8)) != (ssize_t)sizeof e)
		return 0;
	return e;
}

/* A page just mapped: the zero page, a page of its own, or none. */
static enum kind page_kind(int pmfd, uint64_t addr)
{
	if (raw_pfnzero(pmfd, addr))
		return K_ZERO;
	return raw_entry(pmfd, addr) & (UINT64_C(1) << 63) ? K_DATA : K_NONE;
}

/* Map the zero page at [addr, addr + len) with userfaultfd; false where it is not allowed. */
static bool uffd_zero(uint64_t addr, uint64_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .range = { addr, len }, .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_zeropage zp = { .range = { addr, len } };
	struct uffdio_range ur = { addr, len };
	bool ok;
	int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (u < 0)
		return false;
	ok = ioctl(u, UFFDIO_API, &api) == 0 && ioctl(u, UFFDIO_REGISTER, &reg) == 0;
	/*
	 * zp.zeropage should say len; this kernel (6.18, pvm_no_zero_page=1)
	 * leaves 0 there though it maps the zero page: callers look at the pages.
	 */
	ok = ok && ioctl(u, UFFDIO_ZEROPAGE, &zp) == 0;
	ioctl(u, UFFDIO_UNREGISTER, &ur);
	close(u);
	return ok;
}

/* Guard pages at [addr, addr + n pages): their kind, or K_NONE where the kernel has none (EINVAL). */
static enum kind guard(int pmfd, char *addr, size_t n)
{
	if (madvise(addr, n * pg, MADV_GUARD_INSTALL) != 0)
		return K_NONE;
	return raw_entry(pmfd, (uint64_t)(uintptr_t)addr) & PM_GUARD ? K_GUARD : K_OLDGUARD;
}

static char *map_anon(size_t len, int extra)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE); /* 4 KiB pages whatever the THP mode */
	return p;
}

/* map_anon() for a test: fails the test rather than return NULL. */
static char *must_map(size_t len, int extra)
{
	char *p = map_anon(len, extra);

	if (!p) {
		fail_msg("mmap of %zu bytes: %s", len, strerror(errno));
		abort(); /* not reached: fail_msg() leaves the test */
	}
	return p;
}

/*
 * A 64-page region with every kind of page, next to one another:
 *   2-4 written | 6 written | 8-9 zero | 10-11 written (touch the zero pages)
 *   13 written | 14-15 guard | 16-17 written | 20-21 read | 30 zero | 31 written
 *   40-47 written with a guard at 44 | 63 written
 * No cmocka asserts: a forked child builds it too.
 */
#define PAT_PAGES 64
struct pattern {
	uint64_t base;
	bool zero, guard;
	unsigned char kind[PAT_PAGES];
};

static bool make_pattern(struct pattern *p)
{
	static const int written[] = { 2, 3, 4, 6, 10, 11, 13, 16, 17, 31, 40, 41, 42, 43, 44,
				       45, 46, 47, 63 };
	volatile char *b;
	enum kind g;
	int pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	char *m = map_anon(PAT_PAGES * pg, 0);

	memset(p, 0, sizeof(*p));
	if (pmfd < 0 || !m) {
		if (pmfd >= 0)
			close(pmfd);
		return false;
	}
	b = m;
	p->base = (uint64_t)(uintptr_t)m;
	/* zero pages first: UFFDIO_ZEROPAGE fills only missing pages */
	if (uffd_zero(p->base + 8 * pg, 2 * pg) && uffd_zero(p->base + 30 * pg, pg))
		p->kind[8] = p->kind[9] = p->kind[30] = (unsigned char)page_kind(pmfd, p->base + 8 * pg);
	p->zero = p->kind[8] == K_ZERO;
	for (size_t i = 0; i < sizeof(written) / sizeof(written[0]); i++) {
		b[written[i] * pg] = 1;
		p->kind[written[i]] = K_DATA;
	}
	for (size_t i = 20; i <= 21; i++) {
		(void)b[i * pg];
		/* the zero page, or a page of its own where the kernel never maps it on reads */
		p->kind[i] = (unsigned char)page_kind(pmfd, p->base + i * pg);
	}
	g = guard(pmfd, m + 14 * pg, 2);
	p->guard = g != K_NONE;
	p->kind[14] = p->kind[15] = (unsigned char)g;
	if (p->guard)
		p->kind[44] = (unsigned char)guard(pmfd, m + 44 * pg, 1);
	close(pmfd);
	return true;
}

/* ---- tests ---------------------------------------------------------------- */

static bool raw_scan_works(void)
{
	struct pm_scan_arg a = { .size = sizeof a, .category_anyof_mask = PAGE_IS_PRESENT,
				 .return_mask = PAGE_IS_PRESENT };
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	bool ok;

	assert_true(fd >= 0);
	ok = ioctl(fd, PAGEMAP_SCAN, &a) == 0;
	close(fd);
	return ok;
}

static void test_probe(void **state)
{
	struct pagescan ps;
	bool have = raw_scan_works();
	int procfd = self_dir();

	(void)state;
	force_mode(M_PAGEMAP);
	assert_false(pagescan_have_scan());
	/* cached: the environment is read once */
	assert_int_equal(unsetenv("PVMMAP_NO_PAGEMAP_SCAN"), 0);
	assert_false(pagescan_have_scan());
	assert_int_equal(pagescan_open(procfd, pg, &ps), 0);
	assert_false(ps.scan);
	pagescan_close(&ps);

	pagescan_reset_probe();
	assert_true(pagescan_have_scan() == have);
	assert_int_equal(setenv("PVMMAP_NO_PAGEMAP_SCAN", "1", 1), 0);
	assert_true(pagescan_have_scan() == have);
	pagescan_reset_probe();
	assert_false(pagescan_have_scan());
	assert_int_equal(setenv("PVMMAP_NO_PAGEMAP_SCAN", "0", 1), 0);
	pagescan_reset_probe();
	assert_true(pagescan_have_scan() == have);
	assert_int_equal(pagescan_open(procfd, pg, &ps), 0);
	assert_true(ps.scan == have);
	pagescan_close(&ps);
	close(procfd);
	if (!have)
		skip(); /* a kernel before 6.7: only the fallback was seen */
}

static void test_arguments(void **state)
{
	struct pagescan ps;
	struct ps_run run;
	uint64_t c;
	int procfd = self_dir(), tmp = open("/tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *m = must_map(4 * pg, 0);
	char *top = mmap((void *)(uintptr_t)(UINT64_C(0x7ffffffff000) - 2 * pg), 2 * pg,
			 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	(void)state;
	assert_non_null(m);
	assert_true(tmp >= 0);
	m[0] = 1;
	if (top == MAP_FAILED || (uint64_t)(uintptr_t)top != UINT64_C(0x7ffffffff000) - 2 * pg) {
		if (top != MAP_FAILED)
			munmap(top, 2 * pg); /* MAP_FIXED_NOREPLACE ignored: before 4.17 */
		top = NULL; /* something lives there already */
	} else {
		top[0] = 1;
	}
	assert_int_equal(pagescan_open(-1, pg, &ps), -EBADF);
	pagescan_close(&ps); /* safe after a failed open */
	assert_int_equal(pagescan_open(tmp, pg, &ps), -ENOENT);
	pagescan_close(&ps);
	assert_int_equal(pagescan_open(procfd, 3000, &ps), -EINVAL);
	pagescan_close(&ps);
	assert_int_equal(pagescan_open(procfd, 0, &ps), -EINVAL);
	pagescan_close(&ps);

	for (int md = 0; md < M_N; md++) {
		uint64_t b = (uint64_t)(uintptr_t)m;

		if (!open_mode(procfd, (enum mode)md, &ps))
			continue;
		c = b + 1;
		assert_int_equal(pagescan_next(&ps, &c, b + 4 * pg, &run), -EINVAL);
		c = b;
		assert_int_equal(pagescan_next(&ps, &c, b + 4 * pg - 1, &run), -EINVAL);
		assert_int_equal(pagescan_next(&ps, &c, b, &run), 0); /* empty */
		c = b + pg;
		assert_int_equal(pagescan_next(&ps, &c, b, &run), 0); /* backwards */
		assert_true(c == b + pg);
		c = b;
		assert_int_equal(pagescan_next(&ps, &c, b + 4 * pg, &run), 1);
		assert_true(run.start == b && run.end == b + pg && run.what == PS_DATA);
		assert_true(c == b + pg);
		assert_int_equal(pagescan_next(&ps, &c, b + 4 * pg, &run), 0);
		assert_true(c == b + pg); /* untouched when nothing is left */
		/* [vsyscall] lies above the user address space: PAGEMAP_SCAN refuses it (EFAULT) */
		c = UINT64_C(0xffffffffff600000);
		assert_int_equal(pagescan_next(&ps, &c, c + pg, &run), 0);
		/*
		 * A range crossing the top of the user address space (x86-64 with
		 * 4-level page tables: 0x7ffffffff000), with a page just below it.
		 */
		if (top) {
			uint64_t t = (uint64_t)(uintptr_t)top;

			c = t - 4 * pg;
			assert_int_equal(pagescan_next(&ps, &c, UINT64_C(0x800000100000), &run), 1);
			assert_true(run.start == t && run.end == t + pg && run.what == PS_DATA);
			assert_int_equal(pagescan_next(&ps, &c, UINT64_C(0x800000100000), &run), 0);
		}
		pagescan_close(&ps);
		pagescan_close(&ps); /* twice is harmless */
		c = b;
		assert_int_equal(pagescan_next(&ps, &c, b + 4 * pg, &run), -EBADF);
	}
	munmap(m, 4 * pg);
	if (top)
		munmap(top, 2 * pg);
	close(tmp);
	close(procfd);
}

static void test_untouched(void **state)
{
	size_t len = (size_t)1 << 30;
	unsigned char *kind = calloc(len / pg, 1);
	char *m = must_map(len, MAP_NORESERVE);
	int procfd = self_dir();

	(void)state;
	assert_non_null(m);
	assert_non_null(kind);
	check_model(procfd, kind, (uint64_t)(uintptr_t)m, 0, len / pg);
	/* nothing mapped at all: a hole left by munmap */
	munmap(m + len / 2, len / 2);
	check_model(procfd, kind, (uint64_t)(uintptr_t)m, len / 2 / pg, len / pg);
	munmap(m, len / 2);
	free(kind);
	close(procfd);
}

static void test_scattered(void **state)
{
	static const size_t touched[] = { 0, 1, 2, 5, 7, 8, 9, 10, 100, 511, 512, 513, 1000, 1023 };
	unsigned char kind[1024] = { 0 };
	char *m = must_map(1024 * pg, 0);
	int procfd = self_dir();

	(void)state;
	assert_non_null(m);
	for (size_t i = 0; i < sizeof(touched) / sizeof(touched[0]); i++) {
		m[touched[i] * pg + 17] = 1;
		kind[touched[i]] = K_DATA;
	}
	check_model(procfd, kind, (uint64_t)(uintptr_t)m, 0, 1024);
	check_model(procfd, kind, (uint64_t)(uintptr_t)m, 1, 1023); /* runs cut at the range */
	check_model(procfd, kind, (uint64_t)(uintptr_t)m, 8, 9);
	munmap(m, 1024 * pg);
	close(procfd);
}

/* Every kind of page side by side, and every sub-range of it (cursors going back too). */
static void test_pattern(void **state)
{
	struct pattern p;
	struct runs got = { 0 }, want = { 0 };
	struct pagescan ps;
	int procfd = self_dir();

	(void)state;
	assert_true(make_pattern(&p));
	check_model(procfd, p.kind, p.base, 0, PAT_PAGES);
	for (int m = 0; m < M_N; m++) {
		if (!open_mode(procfd, (enum mode)m, &ps))
			continue;
		/* one struct pagescan for all: what it buffered must not leak into the next range */
		for (size_t s = 0; s < PAT_PAGES; s++)
			for (size_t e = s + 1; e <= PAT_PAGES; e++) {
				char label[64];

				collect(&ps, p.base + s * pg, p.base + e * pg, &got);
				model_runs(p.kind, p.base, s, e, (enum mode)m, &want);
				snprintf(label, sizeof label, "%s, pages [%zu, %zu)", mode_name[m], s, e);
				assert_runs_equal(&got, &want, p.base, label);
			}
		pagescan_close(&ps);
	}
	runs_free(&got);
	runs_free(&want);
	munmap((void *)(uintptr_t)p.base, PAT_PAGES * pg);
	close(procfd);
}

static void test_zero_page(void **state)
{
	unsigned char kind[16] = { 0 };
	int pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	char *m = must_map(16 * pg, 0);
	uint64_t b = (uint64_t)(uintptr_t)m;
	int procfd = self_dir();
	bool seen = false;

	(void)state;
	assert_non_null(m);
	assert_true(pmfd >= 0);
	if (uffd_zero(b + 2 * pg, 3 * pg)) {
		for (int i = 2; i < 5; i++) {
			kind[i] = (unsigned char)page_kind(pmfd, b + i * pg);
			seen |= kind[i] == K_ZERO;
		}
	}
	/* read faults: the zero page, unless the kernel gives each its own page */
	for (int i = 8; i < 11; i++) {
		(void)((volatile char *)m)[i * pg];
		kind[i] = raw_pfnzero(pmfd, b + i * pg) ? K_ZERO : K_DATA;
		seen |= kind[i] == K_ZERO;
	}
	m[5 * pg] = m[12 * pg] = 1;
	kind[5] = kind[12] = K_DATA;
	check_model(procfd, kind, b, 0, 16);
	munmap(m, 16 * pg);
	close(pmfd);
	close(procfd);
	if (!seen || !raw_scan_works())
		skip(); /* no zero page could be made, or no PAGEMAP_SCAN to skip it */
}

static void test_guard(void **state)
{
	unsigned char kind[16];
	int pmfd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	char *m = must_map(16 * pg, 0);
	int procfd = self_dir();
	enum kind g;

	(void)state;
	assert_non_null(m);
	assert_true(pmfd >= 0);
	memset(m, 1, 16 * pg);
	memset(kind, K_DATA, sizeof kind);
	errno = 0;
	g = guard(pmfd, m + 4 * pg, 2);
	if (g == K_NONE) {
		assert_int_equal(errno, EINVAL); /* before 6.13 */
		munmap(m, 16 * pg);
		close(pmfd);
		close(procfd);
		skip();
		return;
	}
	kind[4] = kind[5] = (unsigned char)g;
	assert_int_equal(guard(pmfd, m + 15 * pg, 1), g);
	kind[15] = (unsigned char)g;
	check_model(procfd, kind, (uint64_t)(uintptr_t)m, 0, 16);
	check_model(procfd, kind, (uint64_t)(uintptr_t)m, 5, 15);
	munmap(m, 16 * pg);
	close(pmfd);
	close(procfd);
	if (g != K_GUARD)
		skip(); /* 6.13, 6.14: guard pages look swapped, as documented */
}

static bool raw_huge(uint64_t addr, uint64_t len)
{
	struct page_region v[1];
	struct pm_scan_arg a = {
		.size = sizeof a, .start = addr, .end = addr + len,
		.vec = (uint64_t)(uintptr_t)v, .vec_len = 1,
		.category_mask = PAGE_IS_HUGE | PAGE_IS_PRESENT, .return_mask = PAGE_IS_HUGE,
	};
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	bool huge;

	assert_true(fd >= 0);
	huge = ioctl(fd, PAGEMAP_SCAN, &a) == 1 && v[0].start == addr && v[0].end == addr + len;
	close(fd);
	return huge;
}

static void test_thp(void **state)
{
	const uint64_t huge = 2u << 20;
	char *m = mmap(NULL, 3 * huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t a = ((uint64_t)(uintptr_t)m + huge - 1) & ~(huge - 1);
	char *h = (char *)(uintptr_t)a;
	unsigned char *kind = calloc(2 * huge / pg, 1);
	int procfd = self_dir();
	bool is_huge;

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_non_null(kind);
	if (madvise(h, 2 * huge, MADV_HUGEPAGE) != 0) {
		/* a kernel without THP */
		munmap(m, 3 * huge);
		free(kind);
		close(procfd);
		skip();
		return;
	}
	/* one byte: a THP fault fills the whole 2 MiB */
	h[100] = 1;
	is_huge = raw_huge(a, huge);
	if (!is_huge)
		memset(h, 1, huge); /* no huge page to be had: every small page then */
	memset(kind, K_DATA, huge / pg);
	check_model(procfd, kind, a, 0, 2 * huge / pg);
	check_model(procfd, kind, a, 1, huge / pg - 1); /* cut inside the huge page */
	check_model(procfd, kind, a, 300, 2 * huge / pg);

	/* two huge pages side by side are one run */
	h[huge + 5] = 1;
	if (!raw_huge(a + huge, huge))
		memset(h + huge, 1, huge);
	memset(kind, K_DATA, 2 * huge / pg);
	check_model(procfd, kind, a, 0, 2 * huge / pg);
	munmap(m, 3 * huge);
	free(kind);
	close(procfd);
	if (!is_huge)
		skip(); /* the kernel gave no huge page: the run was made of small pages */
}

/*
 * Runs across the edges of what one read holds: with PAGEMAP_SCAN, ranges of
 * cap - 1, cap and cap + 1 regions (cap exactly is where walk_end goes
 * stale); with the pagemap file, a run over the end of the first chunk.
 */
static void test_chunks(void **state)
{
	const size_t scan_cap = PAGESCAN_BUF_BYTES / sizeof(struct page_region);
	const size_t pm_cap = PAGESCAN_BUF_BYTES / sizeof(uint64_t);
	const size_t npages = 3 * pm_cap;
	unsigned char *kind = calloc(npages, 1);
	char *m = must_map(npages * pg, MAP_NORESERVE);
	uint64_t b = (uint64_t)(uintptr_t)m;
	int procfd = self_dir();
	struct pagescan ps;

	(void)state;
	assert_non_null(m);
	assert_non_null(kind);
	assert_true(2 * scan_cap + 2 < pm_cap - 100);
	if (open_mode(procfd, M_SCAN, &ps)) {
		assert_int_equal(ps.cap, scan_cap);
		pagescan_close(&ps);
	}
	assert_true(open_mode(procfd, M_PAGEMAP, &ps));
	assert_int_equal(ps.cap, pm_cap);
	pagescan_close(&ps);

	for (size_t singles = scan_cap - 2; singles <= scan_cap + 1; singles++) {
		/* singles + 1 regions: single pages, then one long run over page pm_cap */
		assert_int_equal(madvise(m, npages * pg, MADV_DONTNEED), 0);
		memset(kind, K_NONE, npages);
		for (size_t i = 0; i < singles; i++) {
			m[2 * i * pg] = 1;
			kind[2 * i] = K_DATA;
		}
		for (size_t i = pm_cap - 100; i < pm_cap + 100; i++) {
			m[i * pg] = 1;
			kind[i] = K_DATA;
		}
		check_model(procfd, kind, b, 0, npages);
		check_model(procfd, kind, b, 1, npages - 1);
		check_model(procfd, kind, b, pm_cap - 10, pm_cap + 10);
	}
	/* a run filling more than two chunks */
	assert_int_equal(madvise(m, npages * pg, MADV_DONTNEED), 0);
	memset(m + pg, 1, (npages - 2) * pg);
	memset(kind, K_DATA, npages);
	kind[0] = kind[npages - 1] = K_NONE;
	check_model(procfd, kind, b, 0, npages);
	munmap(m, npages * pg);
	free(kind);
	close(procfd);
}

/* anon_only: in a private file mapping, only the pages written (COW) */
static void test_anon_only(void **state)
{
	(void)state;
	char path[] = "/tmp/pvmmap-pagescan-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ftruncate(fd, (off_t)(16 * pg)), 0);
	char *m = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(m != MAP_FAILED);
	volatile char sink = 0;
	for (int i = 0; i < 16; i++)
		sink += m[i * pg];           /* every page: page cache */
	(void)sink;
	m[3 * pg] = 1;                       /* pages 3, 4 and 9: changed */
	m[4 * pg] = 1;
	m[9 * pg] = 1;
	int procfd = self_dir();
	for (enum mode md = 0; md < M_N; md++) {
		struct pagescan ps;
		struct runs rs = { 0 };
		if (!open_mode(procfd, md, &ps))
			continue;
		uint64_t a = (uint64_t)(uintptr_t)m;
		collect(&ps, a, a + 16 * pg, &rs);
		assert_int_equal(rs.n, 1);   /* all 16 present */
		pagescan_set_anon_only(&ps, true);
		collect(&ps, a, a + 16 * pg, &rs);
		if (rs.n != 2)
			runs_print(mode_name[md], &rs, a);
		assert_int_equal(rs.n, 2);
		assert_true(rs.r[0].start == a + 3 * pg && rs.r[0].end == a + 5 * pg);
		assert_true(rs.r[1].start == a + 9 * pg && rs.r[1].end == a + 10 * pg);
		pagescan_set_anon_only(&ps, false);
		collect(&ps, a, a + 16 * pg, &rs);
		assert_int_equal(rs.n, 1);
		runs_free(&rs);
		pagescan_close(&ps);
	}
	close(procfd);
	munmap(m, 16 * pg);
	close(fd);
}

static void test_16g_sparse(void **state)
{
	const uint64_t len = UINT64_C(16) << 30;
	struct runs got = { 0 }, want = { 0 };
	struct pagescan ps;
	char *m = must_map(len, MAP_NORESERVE);
	uint64_t b = (uint64_t)(uintptr_t)m;
	int procfd = self_dir();

	(void)state;
	assert_non_null(m);
	for (uint64_t i = 0; i < 16; i++) {
		uint64_t at = i * (len / 16) + (i * 7919 % 1000) * pg;

		m[at] = 1;
		runs_add(&want, b + at, b + at + pg, PS_DATA);
	}
	for (int md = 0; md < M_N; md++) {
		if (!open_mode(procfd, (enum mode)md, &ps))
			continue;
		collect(&ps, b, b + len, &got);
		assert_runs_equal(&got, &want, b, mode_name[md]);
		pagescan_close(&ps);
	}
	runs_free(&got);
	runs_free(&want);
	munmap(m, len);
	close(procfd);
}

/* ---- another process ------------------------------------------------------ */

struct child {
	pid_t pid;
	int go; /* closing it lets the child exit */
	int procfd;
	struct pattern p;
};

static void child_start(struct child *c)
{
	int up[2], down[2];

	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		struct pattern p;
		char x;

		close(up[0]);
		close(down[1]);
		if (!make_pattern(&p))
			_exit(1);
		if (write(up[1], &p, sizeof p) != (ssize_t)sizeof p)
			_exit(1);
		while (read(down[0], &x, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	assert_int_equal(read(up[0], &c->p, sizeof c->p), sizeof c->p);
	close(up[0]);
	c->go = down[1];
	{
		char path[64];

		snprintf(path, sizeof path, "/proc/%d", (int)c->pid);
		c->procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		assert_true(c->procfd >= 0);
	}
}

static void child_end(struct child *c)
{
	int st;

	close(c->procfd);
	close(c->go);
	assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_child_pattern(void **state)
{
	struct child c;

	(void)state;
	child_start(&c);
	check_model(c.procfd, c.p.kind, c.p.base, 0, PAT_PAGES);
	check_model(c.procfd, c.p.kind, c.p.base, 9, 45);
	child_end(&c);
}

/* Runs of [s, e) spread over pages: what[i] for page s + i. */
static void runs_to_pages(const struct runs *rs, uint64_t s, unsigned char *what)
{
	for (size_t i = 0; i < rs->n; i++)
		for (uint64_t a = rs->r[i].start; a < rs->r[i].end; a += pg)
			what[(a - s) / pg] = (unsigned char)rs->r[i].what;
}

/*
 * Every mapping of a waiting child (but the sanitizer's reservations of many
 * GiB) read both ways: the runs must agree page for page, except pages the
 * kernel calls the zero page, which only the fallback reports.
 */
static void test_child_both_ways_agree(void **state)
{
	const uint64_t limit = UINT64_C(1) << 30;
	struct runs sr = { 0 }, pr = { 0 };
	struct pagescan scan, pm;
	struct child c;
	char path[64], line[512], vma[512] = "";
	size_t zero_diff = 0, data_pages = 0, vmas = 0;
	uint64_t s = 0, e = 0;
	FILE *maps;
	int pmfd;

	(void)state;
	child_start(&c);
	if (!open_mode(c.procfd, M_SCAN, &scan)) {
		child_end(&c);
		skip(); /* no PAGEMAP_SCAN to compare with */
		return;
	}
	assert_true(open_mode(c.procfd, M_PAGEMAP, &pm));
	pmfd = openat(c.procfd, "pagemap", O_RDONLY | O_CLOEXEC);
	assert_true(pmfd >= 0);
	snprintf(path, sizeof path, "/proc/%d/smaps", (int)c.pid);
	maps = fopen(path, "re");
	assert_non_null(maps);
	while (fgets(line, sizeof line, maps)) {
		unsigned char *ws, *wp;

		uint64_t hs, he;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &hs, &he) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			s = hs;
			e = he;
			snprintf(vma, sizeof vma, "%s", line);
			continue;
		}
		if (strncmp(line, "VmFlags:", 8) != 0)
			continue;
		/* PAGEMAP_SCAN skips VM_PFNMAP mappings ([vvar]), as documented */
		if (e - s > limit || strstr(line, " pf"))
			continue;
		vmas++;
		collect(&scan, s, e, &sr);
		collect(&pm, s, e, &pr);
		ws = calloc((e - s) / pg, 1);
		wp = calloc((e - s) / pg, 1);
		assert_non_null(ws);
		assert_non_null(wp);
		runs_to_pages(&sr, s, ws);
		runs_to_pages(&pr, s, wp);
		for (uint64_t i = 0; i < (e - s) / pg; i++) {
			data_pages += ws[i] == PS_DATA;
			if (ws[i] == wp[i])
				continue;
			if (!(ws[i] == 0 && wp[i] == PS_DATA && raw_pfnzero(pmfd, s + i * pg))) {
				print_message("%s page 0x%" PRIx64 ": PAGEMAP_SCAN %u, pagemap %u\n",
					      vma, s + i * pg, ws[i], wp[i]);
				fail();
			}
			zero_diff++;
		}
		free(ws);
		free(wp);
	}
	fclose(maps);
	close(pmfd);
	pagescan_close(&scan);
	pagescan_close(&pm);
	runs_free(&sr);
	runs_free(&pr);
	assert_true(vmas > 5);
	assert_true(data_pages > 20);
	if (c.p.zero)
		assert_true(zero_diff >= 3); /* the pattern's zero pages at least */
	child_end(&c);
}

/* ---- runner --------------------------------------------------------------- */

#define T(f) cmocka_unit_test_setup_teardown(f, fds_before, fds_after)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe),
		T(test_arguments),
		T(test_untouched),
		T(test_scattered),
		T(test_pattern),
		T(test_zero_page),
		T(test_guard),
		T(test_thp),
		T(test_chunks),
		T(test_16g_sparse),
		T(test_child_pattern),
		T(test_child_both_ways_agree),
		T(test_anon_only),
	};

	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
