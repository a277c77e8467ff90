/* Probe: what src/track.c's registering and unregistering meet besides its
 * own ranges.  Does UFFDIO_UNREGISTER through one uffd touch a range another
 * uffd registered?  Does a plain scan (no WP_MATCHING) take
 * PM_SCAN_CHECK_WPASYNC?  What does UFFDIO_REGISTER say to a range that is
 * not mapped, or has a gap, and UFFDIO_UNREGISTER to a gap? */
#include "probe.h"

int main(void)
{
	char *m = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *g = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pm = open("/proc/self/pagemap", O_RDONLY);
	CHECK(m != MAP_FAILED && g != MAP_FAILED && pm >= 0);
	for (int i = 0; i < 16; i++)
		m[i * PG] = 1;
	int a = uffd_new(UFFD_USER_MODE_ONLY, F_WP_ASYNC, NULL);
	int b = uffd_new(UFFD_USER_MODE_ONLY, F_WP_ASYNC, NULL);
	CHECK(a >= 0 && b >= 0 && !uffd_reg_wp(a, m, 8 * PG));

	struct uffdio_range r = { (uintptr_t)m, 16 * PG };
	int rc = ioctl(b, UFFDIO_UNREGISTER, &r) ? -errno : 0;
	char vf[256];
	vmflags(getpid(), m, vf, sizeof vf);
	printf("unregister through b over a's range: %s; VmFlags there: %s\n",
	       rc ? strerror(-rc) : "ok", vf);

	struct page_region v[16];
	struct pm_scan_arg s = { .size = sizeof s, .flags = PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)m + 8 * PG, .end = (uintptr_t)m + 16 * PG,
		.vec = (uintptr_t)v, .vec_len = 16,
		.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN };
	long n = ioctl(pm, PAGEMAP_SCAN, &s);
	printf("plain scan with CHECK_WPASYNC, unregistered VMA: %s\n", n < 0 ? strerror(errno) : "ok");
	s.start = (uintptr_t)m;
	s.end = (uintptr_t)m + 8 * PG;
	n = ioctl(pm, PAGEMAP_SCAN, &s);
	printf("  registered VMA: %s\n", n < 0 ? strerror(errno) : "ok");

	munmap(g + 4 * PG, 4 * PG);                          /* a gap at 4-7 */
	int r1 = uffd_reg_wp(a, g + 4 * PG, 4 * PG);
	int r2 = uffd_reg_wp(a, g, 16 * PG);
	vmflags(getpid(), g, vf, sizeof vf);
	printf("register: nothing mapped: %s; over a gap: %s (VmFlags: %s)\n",
	       r1 ? strerror(-r1) : "ok", r2 ? strerror(-r2) : "ok", vf);
	struct uffdio_range u = { (uintptr_t)g, 16 * PG };
	rc = ioctl(a, UFFDIO_UNREGISTER, &u) ? -errno : 0;
	printf("unregister over the gap: %s\n", rc ? strerror(-rc) : "ok");
	return 0;
}
