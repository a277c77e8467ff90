/* Probe: process_vm_readv copy rate from a live child into an 8 MiB buffer
 * (the rate at which a round copies), for 64 MiB and 1 GiB, 4 KiB pages and
 * THP; then 1 % of the pages at random, one iovec each.  ./pvr_rate MiB [thp] */
#include "probe.h"
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	size_t len = (size_t)atol(argv[1]) << 20, bl = 8 << 20;
	int thp = argc > 2, p[2];
	char *m = mmap(NULL, len + (2 << 20), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED && !pipe(p));
	m = (char *)(((uintptr_t)m + (2 << 20) - 1) & ~((2UL << 20) - 1));
	pid_t c = fork();
	if (!c) {
		madvise(m, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		for (size_t i = 0; i < len; i += PG) m[i] = 1;
		CHECK(write(p[1], "r", 1) == 1);
		pause();
		_exit(0);
	}
	char r, *b = malloc(bl);
	CHECK(read(p[0], &r, 1) == 1);
	memset(b, 0, bl);
	for (int pass = 0; pass < 3; pass++) {
		double t = now();
		for (size_t off = 0; off < len; off += bl) {
			struct iovec l = { b, bl }, rv = { m + off, bl };
			CHECK(process_vm_readv(c, &l, 1, &rv, 1, 0) == (ssize_t)bl);
		}
		double s = now() - t;
		printf("%zu MiB %s: pass %d %.1f ms, %.2f GiB/s\n", len >> 20,
		       thp ? "THP" : "4 KiB", pass, s * 1e3, (double)len / (1 << 30) / s);
	}
	/* scattered: 1 % of the pages at random, one iovec each (a round's recopy) */
	static struct iovec l[1024], rv[1024];
	size_t np = len / PG / 100, done = 0;
	srand(1);
	double t = now();
	while (done < np) {
		size_t k = np - done < 1024 ? np - done : 1024;
		for (size_t i = 0; i < k; i++) {
			l[i] = (struct iovec){ b + (i % (bl / PG)) * PG, PG };
			rv[i] = (struct iovec){ m + (rand() % (len / PG)) * PG, PG };
		}
		CHECK(process_vm_readv(c, l, k, rv, k, 0) == (ssize_t)(k * PG));
		done += k;
	}
	printf("%zu random pages, 1024 iovecs a call: %.2f ms, %.2f us/page\n", np,
	       (now() - t) * 1e3, (now() - t) * 1e6 / np);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return 0;
}
