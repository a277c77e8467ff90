/* Probe: uffd-wp async (6.7) + PAGEMAP_SCAN PAGE_IS_WRITTEN on each kind of
 * memory.  Per kind: features granted, register with no page populated, what
 * the scan reports before/after a reset, and which writes it then catches:
 * own thread, another thread, the kernel (read(2) into the page), another
 * process (process_vm_writev), a read-only touch, MADV_DONTNEED of a clean
 * page.  Arg "user": the uffd is made with UFFD_USER_MODE_ONLY. */
#include "probe.h"
#include <pthread.h>
#include <sys/uio.h>
#include <sys/wait.h>

static char *base;
static size_t unit;     /* tracking unit: 4 KiB, or 2 MiB for hugetlb */
static void *writer(void *a) { base[(uintptr_t)a * unit] = 7; return NULL; }

static void list(int pm, const char *what)
{
	printf("    %-34s", what);
	for (size_t i = 0; i < 12; i++) {
		long n = scan_written(pm, base + i * unit, unit, 0, 0, NULL);
		if (n > 0)
			printf(" %zu", i);
		else if (n < 0)
			printf(" err%ld", n);
	}
	printf("\n");
}

static void anonhuge(void *m, char *out, size_t n)
{
	FILE *f; char cmd[96];
	snprintf(cmd, sizeof cmd, "grep -A20 '^%lx' /proc/%d/smaps | grep AnonHuge",
		 (unsigned long)m, getpid());
	out[0] = 0;
	if ((f = popen(cmd, "r"))) { if (!fgets(out, n, f)) out[0] = 0; pclose(f); }
	out[strcspn(out, "\n")] = 0;
}

int main(int argc, char **argv)
{
	int uflags = argc > 1 && !strcmp(argv[1], "user") ? UFFD_USER_MODE_ONLY : 0;
	const char *kinds[] = { "anon", "memfd-shared", "file-private", "file-shared",
				"thp-anon", "hugetlb" };
	int pm = open("/proc/self/pagemap", O_RDONLY);
	CHECK(pm >= 0);
	{       /* without WP_ASYNC a file mapping refuses; a read-only one always */
		char t[] = "/var/tmp/wpkXXXXXX";
		int fd = mkstemp(t), ro;
		CHECK(fd >= 0 && !ftruncate(fd, PG) && (ro = open(t, O_RDONLY)) >= 0);
		unlink(t);
		char *fp = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		char *rp = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
		CHECK(fp != MAP_FAILED && rp != MAP_FAILED);
		int u0 = uffd_new(uflags, 0, NULL), ua = uffd_new(uflags, F_WP_ASYNC, NULL);
		if (u0 >= 0 && ua >= 0) {
			int r0 = uffd_reg_wp(u0, fp, PG), r1 = uffd_reg_wp(ua, rp, PG);
			printf("file-private, sync WP: %s; read-only MAP_SHARED file, async: %s\n",
			       r0 ? strerror(-r0) : "ok", r1 ? strerror(-r1) : "ok");
		}
		if (u0 >= 0) close(u0);
		if (ua >= 0) close(ua);
		munmap(fp, PG); munmap(rp, PG); close(fd); close(ro);
	}
	for (int k = 0; k < 6; k++) {
		unit = k == 5 ? 2 << 20 : PG;
		size_t len = k == 4 ? 4 << 20 : 12 * unit, extra = k == 4 ? 2 << 20 : 0;
		int fd = -1;
		if (k == 1) { fd = memfd_create("p", 0); CHECK(!ftruncate(fd, len)); }
		if (k == 2 || k == 3) {
			char t[] = "/var/tmp/wpkXXXXXX";
			fd = mkstemp(t); unlink(t);
			CHECK(fd >= 0 && !ftruncate(fd, len));
		}
		int fl = k == 1 || k == 3 ? MAP_SHARED : MAP_PRIVATE;
		if (fd < 0) fl |= MAP_ANONYMOUS;
		if (k == 5) fl |= MAP_HUGETLB;
		char *m = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, fl, fd, 0);
		CHECK(m != MAP_FAILED);
		base = k == 4 ? (char *)(((uintptr_t)m + (2 << 20) - 1) & ~((2UL << 20) - 1)) : m;
		if (k == 4) CHECK(!madvise(base, len, MADV_HUGEPAGE));
		for (int i = 0; i < (k == 4 ? 4 << 20 : 3 * (int)unit); i += PG)
			base[i] = 1;                      /* units 0-2 written before */
		if (k == 4) {
			char out[128];
			anonhuge(m, out, sizeof out);
			printf("thp-anon before: %s\n", out);
		}
		uint64_t got = 0;
		int u = uffd_new(uflags, F_WP_ASYNC, &got);
		int r = u < 0 ? u : uffd_reg_wp(u, base, len);
		char vf[256];
		vmflags(getpid(), base, vf, sizeof vf);
		printf("%s: uffd %s, WP_UNPOPULATED %s, register %s; VmFlags: %s\n", kinds[k],
		       u < 0 ? strerror(-u) : "ok", got & F_WP_UNPOPULATED ? "granted" : "no",
		       r ? strerror(-r) : "ok", vf);
		if (u < 0 || r)
			goto next;
		list(pm, "written, just registered:");
		printf("    reset scan: %ld pages\n", scan_written(pm, base, len, 1, 0, NULL));
		list(pm, "written after reset:");
		pthread_t t;
		base[1 * unit] = 2;                       /* own thread */
		pthread_create(&t, NULL, writer, (void *)4); pthread_join(t, NULL);
		pthread_create(&t, NULL, writer, (void *)5); pthread_join(t, NULL);
		int p[2]; CHECK(!pipe(p)); CHECK(write(p[1], "x", 1) == 1);
		ssize_t rd = read(p[0], base + 6 * unit, 1); /* kernel write */
		volatile char c = base[7 * unit]; (void)c;   /* read of a fresh unit */
		c = base[0];                                 /* read of a written one */
		pid_t ch = fork();
		if (!ch) {
			char b = 9;
			struct iovec l = { &b, 1 }, rv = { base + 8 * unit, 1 };
			_exit(process_vm_writev(getppid(), &l, 1, &rv, 1, 0) == 1 ? 0 : 1);
		}
		int st; waitpid(ch, &st, 0);
		int dn = madvise(base + 2 * unit, unit, MADV_DONTNEED);
		struct pollfd pf = { u, POLLIN, 0 };
		printf("    read(2) %zd, pvwritev %s, DONTNEED(2) %d, uffd events: %d\n", rd,
		       WEXITSTATUS(st) ? "failed" : "ok", dn, poll(&pf, 1, 0));
		list(pm, "written (1,4,5,6,8 written):");
		printf("    unit 2 after DONTNEED reads %d\n", base[2 * unit]);
		if (k == 4) {
			char out[128];
			anonhuge(m, out, sizeof out);
			printf("    after the writes: %s\n", out);
		}
		close(p[0]); close(p[1]);
	next:
		if (u >= 0) close(u);
		vmflags(getpid(), base, vf, sizeof vf);
		printf("    after close(uffd) VmFlags: %s\n", vf);
		munmap(m, len + extra);
		if (fd >= 0) close(fd);
	}
	return 0;
}
