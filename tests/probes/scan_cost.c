/* Probe: costs of write tracking.  ./scan_cost MiB [touched-MiB [present [chunked|unreg]]]
 * Dense (4 KiB pages, THP off): register, first reset scan (protects all),
 * a scan with nothing written, the source's write fault per page, a reset
 * scan after every page was written and after 1 % were, max_pages.
 * Sparse: only the first touched MiB populated; "present" asks for PRESENT
 * too (protects no hole); VmPTE shows the page tables grown.  Last, the
 * cost of the release (close of the only uffd) with everything protected. */
#include "probe.h"

static long vmpte_kb(void)
{
	char l[256]; long v = -1;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(l, sizeof l, f))
		if (!strncmp(l, "VmPTE:", 6)) v = atol(l + 6);
	if (f) fclose(f);
	return v;
}

/* One PAGEMAP_SCAN call with WP_MATCHING; returns pages or -errno. */
static long scan1(int pm, char *p, size_t len, uint64_t mask, uint64_t max, uint64_t *we)
{
	static struct page_region v[65536];
	long pages = 0;
	uint64_t cur = (uintptr_t)p, end = cur + len;
	do {
		struct pm_scan_arg a = { .size = sizeof a, .start = cur, .end = end,
			.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
			.vec = (uintptr_t)v, .vec_len = 65536, .max_pages = max,
			.category_mask = mask, .return_mask = mask };
		long n = ioctl(pm, PAGEMAP_SCAN, &a);
		if (n < 0) return -errno;
		for (long i = 0; i < n; i++) pages += (v[i].end - v[i].start) / PG;
		cur = a.walk_end;
		if (we) *we = a.walk_end;
	} while (!max && cur < end);
	return pages;
}

int main(int argc, char **argv)
{
	size_t len = (size_t)atol(argv[1]) << 20, touched = argc > 2 ? (size_t)atol(argv[2]) << 20 : len;
	int pm = open("/proc/self/pagemap", O_RDONLY);
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(pm >= 0 && m != MAP_FAILED && !madvise(m, len, MADV_NOHUGEPAGE));
	for (size_t i = 0; i < touched; i += PG) m[i] = 1;
	/* "present": ask for WRITTEN and PRESENT, so that holes are neither
	 * reported nor protected (with WRITTEN alone a hole counts as written
	 * and the reset puts a marker in it, allocating its page table). */
	uint64_t mask = PAGE_IS_WRITTEN | (argc > 3 ? PAGE_IS_PRESENT : 0);
	int u = uffd_new(0, F_WP_ASYNC, NULL);
	double t = now();
	CHECK(u >= 0 && !uffd_reg_wp(u, m, len));
	printf("%zu MiB (%zu MiB touched): register %.3f ms, VmPTE %ld kB\n", len >> 20,
	       touched >> 20, (now() - t) * 1e3, vmpte_kb());
	t = now();
	long n = scan1(pm, m, len, mask, 0, NULL);
	printf("  first reset scan %s:", argc > 3 ? "WRITTEN&PRESENT" : "WRITTEN");
	printf("      %ld pages %.3f ms, VmPTE %ld kB\n", n,
	       (now() - t) * 1e3, vmpte_kb());
	t = now();
	n = scan1(pm, m, len, mask, 0, NULL);
	printf("  again (nothing written):    %ld pages %.3f ms\n", n, (now() - t) * 1e3);
	t = now();
	for (size_t i = 0; i < touched; i += PG) m[i] = 2;
	double wf = now() - t;
	t = now();
	for (size_t i = 0; i < touched; i += PG) m[i] = 3;
	printf("  source writes every touched page: %.3f us/page protected, %.3f us/page not\n",
	       wf * 1e6 / (touched / PG), (now() - t) * 1e6 / (touched / PG));
	t = now();
	n = scan1(pm, m, len, mask, 0, NULL);
	printf("  reset scan, all written:    %ld pages %.3f ms\n", n, (now() - t) * 1e3);
	srand(1);
	for (size_t i = 0; i < touched / PG / 100; i++) m[(rand() % (touched / PG)) * PG] = 4;
	t = now();
	n = scan1(pm, m, len, mask, 0, NULL);
	printf("  reset scan, 1%% random:      %ld pages %.3f ms\n", n, (now() - t) * 1e3);
	for (size_t i = 0; i < touched / PG / 100; i++) m[(rand() % (touched / PG)) * PG] = 4;
	struct page_region *v = malloc(65536 * sizeof *v);
	struct pm_scan_arg a = { .size = sizeof a, .start = (uintptr_t)m, .end = (uintptr_t)m + len,
		.vec = (uintptr_t)v, .vec_len = 65536, .category_mask = mask, .return_mask = mask };
	t = now();
	n = ioctl(pm, PAGEMAP_SCAN, &a);
	printf("  scan without reset, 1%% random: %ld regions %.3f ms\n", n, (now() - t) * 1e3);
	scan1(pm, m, len, mask, 0, NULL);
	for (size_t i = 0; i < touched / 100; i += PG) m[i] = 4;
	t = now();
	n = scan1(pm, m, len, mask, 0, NULL);
	printf("  reset scan, 1%% contiguous:  %ld pages %.3f ms\n", n, (now() - t) * 1e3);
	for (size_t i = 0; i < 1000 * PG && i < touched; i += PG) m[i] = 5;
	uint64_t we = 0;
	n = scan1(pm, m, len, mask, 100, &we);
	long rest = scan1(pm, m, len, mask, 0, NULL);
	printf("  max_pages 100 of 1000 written: %ld, walk_end +%lu pages, left %ld\n", n,
	       (unsigned long)(we - (uintptr_t)m) / PG, rest);
	struct uffdio_writeprotect w = { { (uintptr_t)m, len }, UFFDIO_WRITEPROTECT_MODE_WP };
	for (size_t i = 0; i < touched; i += PG) m[i] = 6;
	t = now();
	CHECK(!ioctl(u, UFFDIO_WRITEPROTECT, &w));
	printf("  UFFDIO_WRITEPROTECT of the range, all written: %.3f ms, VmPTE %ld kB\n",
	       (now() - t) * 1e3, vmpte_kb());
	if (argc > 4 && !strcmp(argv[4], "unreg")) { /* unregister 64 MiB at a time */
		double worst = 0, t0 = now();
		for (size_t off = 0; off < len; off += 64 << 20) {
			struct uffdio_range r = { (uintptr_t)m + off,
				len - off < (64 << 20) ? len - off : 64 << 20 };
			t = now();
			CHECK(!ioctl(u, UFFDIO_UNREGISTER, &r));
			if (now() - t > worst) worst = now() - t;
		}
		printf("  unregister in 64 MiB chunks: %.3f ms, worst chunk %.3f ms\n",
		       (now() - t0) * 1e3, worst * 1e3);
	} else if (argc > 4) { /* "chunked": un-protect 64 MiB at a time first */
		double worst = 0, t0 = now();
		for (size_t off = 0; off < len; off += 64 << 20) {
			struct uffdio_writeprotect w0 = { { (uintptr_t)m + off,
				len - off < (64 << 20) ? len - off : 64 << 20 }, 0 };
			t = now();
			CHECK(!ioctl(u, UFFDIO_WRITEPROTECT, &w0));
			if (now() - t > worst) worst = now() - t;
		}
		printf("  un-protect in 64 MiB chunks: %.3f ms, worst chunk %.3f ms\n",
		       (now() - t0) * 1e3, worst * 1e3);
	}
	t = now();
	close(u);             /* the release clears every wp bit and marker */
	printf("  close(uffd): %.3f ms, VmPTE %ld kB\n", (now() - t) * 1e3,
	       vmpte_kb());
	return 0;
}
