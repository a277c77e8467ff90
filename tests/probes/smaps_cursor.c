/*
 * Can an smaps fd read up to the VMA before a range stand in for a fresh
 * open under the freeze (issue 10, the `high` case; docs/kernel-facts.md)?
 *
 *   smaps_cursor [N [drain]]   N VMAs (20 000): rw pages with PROT_NONE guards
 *
 * Reads /proc/self/smaps with 64 KiB reads while far from K (the VMA
 * before the last few), then 256-byte reads until K's header is read,
 * then: madvises K and the VMA after it, maps a page into the hole left
 * between them, and reads on.  Prints what the continuation holds, the
 * records each read made the kernel generate and the times.  drain: first
 * read the rest of K one byte at a time, through its VmFlags line: the
 * read that empties what seq_file kept prints N whole into its buffer, so
 * the continuation gives N as it was (its DONTFORK missing).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Headers (lines starting with a lower-case hex digit) in @s. */
static int headers(const char *s, size_t n, int *at_line_start)
{
	int k = 0;

	for (size_t i = 0; i < n; i++) {
		int bol = i ? s[i - 1] == '\n' : *at_line_start;

		if (bol && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			k++;
	}
	*at_line_start = n ? s[n - 1] == '\n' : *at_line_start;
	return k;
}

static void flags_of(const char *text, unsigned long start, char *out, size_t len)
{
	char key[32];
	const char *p, *q;

	snprintf(key, sizeof key, "%lx-", start);
	out[0] = '\0';
	for (p = text; (p = strstr(p, key)); p++)
		if (p == text || p[-1] == '\n')
			break;
	if (!p) {
		snprintf(out, len, "(not listed)");
		return;
	}
	q = strstr(p, "VmFlags:");
	if (q)
		sscanf(q, "VmFlags:%99[^\n]", out);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20000, bol = 1, recs = 0, maxper = 0, k;
	size_t pg = 4096, total = 0;
	char *base, *K, *N, *hole, *rest, buf[65536], fl[128], want[32];
	static char win[1 << 17];
	size_t wl = 0;
	double t0, t1, t2;
	int fd;

	base = mmap(NULL, (size_t)(n + 4) * 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < n; i++) {
		char *v = mmap(base + (size_t)i * 2 * pg, pg, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		v[0] = 1;
	}
	/* K, a hole (the guard after K unmapped), N */
	K = base + (size_t)(n - 3) * 2 * pg;
	hole = K + pg;
	N = K + 2 * pg;
	munmap(hole, pg);
	snprintf(want, sizeof want, "%lx-", (unsigned long)K);

	fd = open("/proc/self/smaps", O_RDONLY);
	t0 = now();
	for (;;) {
		/* big reads while more than 400 records remain before K */
		size_t sz = recs + 400 < 2 * n - 6 ? sizeof buf : 256;
		ssize_t r = read(fd, buf, sz);

		if (r <= 0) {
			printf("EOF before K\n");
			return 1;
		}
		total += r;
		k = headers(buf, r, &bol);
		recs += k;
		if (sz == sizeof buf && k > maxper)
			maxper = k;
		if (wl + r > sizeof win) {
			memmove(win, win + wl - 8192, 8192);
			wl = 8192;
		}
		memcpy(win + wl, buf, r);
		wl += r;
		win[wl] = '\0';
		if (sz == 256 && strstr(win + (wl > 4096 ? wl - 4096 : 0), want))
			break;
	}
	t1 = now();
	printf("positioned: %zu bytes, %d headers read (at most %d per 64 KiB read), %.1f ms, "
	       "ends %s\n", total, recs, maxper, (t1 - t0) * 1e3, bol ? "at a line end" : "mid-line");

	if (argc > 2 && !strcmp(argv[2], "drain")) {
		char line[256], ch;
		size_t ll = 0;

		while (read(fd, &ch, 1) == 1) {
			if (ch != '\n') {
				if (ll < sizeof line)
					line[ll++] = ch;
				continue;
			}
			if (ll >= 8 && !memcmp(line, "VmFlags:", 8))
				break;
			ll = 0;
		}
		printf("drained K byte by byte\n");
	}
	madvise(K, pg, MADV_DONTDUMP);
	madvise(N, pg, MADV_DONTFORK);
	mmap(hole, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	rest = malloc(1 << 20);
	total = 0;
	t2 = now();
	for (ssize_t r; (r = read(fd, rest + total, (1 << 20) - total - 1)) > 0;)
		total += r;
	rest[total] = '\0';
	printf("continuation: %zu bytes in %.3f ms, begins \"%.30s\"\n", total, (now() - t2) * 1e3, rest);
	flags_of(rest, (unsigned long)K, fl, sizeof fl);
	printf("K (madvised DONTDUMP after): %s\n", fl);
	flags_of(rest, (unsigned long)hole, fl, sizeof fl);
	printf("hole (mapped after): %s\n", fl);
	flags_of(rest, (unsigned long)N, fl, sizeof fl);
	printf("N (madvised DONTFORK after): %s\n", fl);
	close(fd);
	return 0;
}
