/* Probe: what a WRITTEN&PRESENT reset scan (the one that leaves holes alone)
 * misses or adds, on private anon (or "file": MAP_PRIVATE of a file, pages
 * 0-7 COWed): MADV_DONTNEED of a copied page, a read fault into a hole, a
 * fork() by the source, a mremap() of the range. */
#include "probe.h"
#include <sys/wait.h>
#define NP 16

static char *m;
static int pm;
static void show(const char *what, uint64_t mask)
{
	printf("  %-40s", what);
	for (int i = 0; i < NP; i++) {
		struct page_region v[1];
		struct pm_scan_arg a = { .size = sizeof a, .start = (uintptr_t)m + i * PG,
			.end = (uintptr_t)m + (i + 1) * PG, .vec = (uintptr_t)v, .vec_len = 1,
			.category_mask = mask, .return_mask = mask };
		if (ioctl(pm, PAGEMAP_SCAN, &a) == 1)
			printf(" %d", i);
	}
	printf("\n");
}

/* A reset that protects only present written pages; returns regions. */
static long reset_present(void)
{
	struct page_region v[NP];
	uint64_t wp = PAGE_IS_WRITTEN | PAGE_IS_PRESENT;
	struct pm_scan_arg a = { .size = sizeof a, .start = (uintptr_t)m,
		.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
		.end = (uintptr_t)m + NP * PG, .vec = (uintptr_t)v, .vec_len = NP,
		.category_mask = wp, .return_mask = wp };
	return ioctl(pm, PAGEMAP_SCAN, &a);
}

int main(int argc, char **argv)
{
	int fd = -1;
	(void)argv;
	if (argc > 1) {
		char t[] = "/var/tmp/holesXXXXXX";
		fd = mkstemp(t); unlink(t);
		CHECK(fd >= 0 && !ftruncate(fd, NP * PG));
	}
	pm = open("/proc/self/pagemap", O_RDONLY);
	m = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);
	CHECK(pm >= 0 && m != MAP_FAILED);
	for (int i = 0; i < 8; i++) m[i * PG] = 1;           /* 8-15: holes */
	int u = uffd_new(0, F_WP_ASYNC, NULL);
	CHECK(u >= 0 && !uffd_reg_wp(u, m, NP * PG));
	uint64_t wp = PAGE_IS_WRITTEN | PAGE_IS_PRESENT;
	printf("reset WRITTEN&PRESENT: %ld regions\n", reset_present());
	show("WRITTEN&PRESENT after reset:", wp);
	show("WRITTEN (holes count):", PAGE_IS_WRITTEN);
	madvise(m + 3 * PG, PG, MADV_DONTNEED);               /* source drops page 3 */
	volatile char c = m[9 * PG]; (void)c;                 /* reads hole 9 */
	show("DONTNEED 3, read 9: WRITTEN&PRESENT:", wp);
	show("  WRITTEN:", PAGE_IS_WRITTEN);
	show("  PRESENT:", PAGE_IS_PRESENT);
	uint64_t e = 0;
	CHECK(pread(pm, &e, 8, (uintptr_t)m / PG * 8 + 3 * 8) == 8);
	struct page_region v1[1];
	struct pm_scan_arg a1 = { .size = sizeof a1, .start = (uintptr_t)m + 3 * PG,
		.end = (uintptr_t)m + 4 * PG, .vec = (uintptr_t)v1, .vec_len = 1,
		.category_anyof_mask = 0x1ff, .return_mask = 0x1ff };
	long k = ioctl(pm, PAGEMAP_SCAN, &a1);
	printf("  page 3: categories %#llx, pagemap present %d swapped %d uffd-wp %d\n",
	       k == 1 ? (unsigned long long)v1[0].categories : 0ULL, (int)(e >> 63),
	       (int)(e >> 62 & 1), (int)(e >> 57 & 1));
	printf("  page 3 reads %d (was 1)\n", m[3 * PG]);
	show("  after reading 3, WRITTEN&PRESENT:", wp);
	reset_present();
	pid_t ch = fork();
	if (!ch) { m[6 * PG] = 9; _exit(0); }
	waitpid(ch, NULL, 0);
	m[5 * PG] = 2;
	show("after fork (child wrote 6), wrote 5:", wp);
	char *n = mmap(NULL, NP * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *r = mremap(m, NP * PG, NP * PG, MREMAP_MAYMOVE | MREMAP_FIXED, n);
	char vf[256];
	vmflags(getpid(), r, vf, sizeof vf);
	printf("mremap'd range: VmFlags %s; reset scan there: %ld\n", vf,
	       scan_written(pm, r, NP * PG, 1, 0, NULL));
	return 0;
}
