/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * peer: one end of a benchmarked transfer (tests/bench/run).
 *
 *   peer wait                               the target: holds nothing, waits
 *   peer anon  ADDR LEN STRIDE SEED [noreserve]
 *                                           private anonymous memory, 4 KiB pages;
 *                                           one page in every STRIDE filled
 *   peer thp   ADDR LEN SEED                private anonymous, MADV_HUGEPAGE,
 *                                           ADDR 2 MiB aligned, every page filled
 *   peer memfd ADDR LEN WRITTEN SEED        MAP_SHARED of a memfd of LEN bytes
 *                                           (MAP_NORESERVE); the first WRITTEN
 *                                           bytes filled
 *   peer file  ADDR PATH LEN STRIDE SEED    MAP_PRIVATE of PATH, read-populated;
 *                                           one page in every STRIDE written
 *                                           (copy-on-write) with SEED
 *   peer many  ADDR N low|high SEED         a private anonymous 4 KiB VMA at ADDR
 *                                           filled with SEED, and 2*N other VMAs
 *                                           (one reservation, every other page
 *                                           written and read-only) 1 GiB above it
 *                                           (low: smaps lists it before them) or
 *                                           below it (high: after them)
 *   peer mkfile PATH LEN SEED               create PATH filled with SEED (kept if
 *                                           it is already right), read it once so
 *                                           it is in the page cache, exit
 *
 * The mapping is made at exactly ADDR (MAP_FIXED_NOREPLACE).  Then peer prints
 *     ready PID perms=rw-p rss_kb=N thp_kb=N
 * and reads commands on stdin, one a line, replying with one line on stdout:
 *     verify ADDR LEN STRIDE SEED OTHER  -> ok | bad MESSAGE
 *         ADDR is the start of the mapping (offsets count from it).  Page 0,
 *         STRIDE, 2*STRIDE, ... of [ADDR, ADDR+LEN) must hold SEED's pattern;
 *         OTHER says what the other pages hold: `-` (not checked), `zero`
 *         (every page present in /proc/self/pagemap must be zero; absent ones
 *         are not read, so checking does not populate them), or a seed (every
 *         other page holds that seed's pattern)
 *     mapped ADDR LEN                    -> mapped BYTES   (of the range)
 *     copy ADDR LEN 4k|thp               -> copy SECONDS dst_thp_kb=N
 *         the in-process baseline: times a fresh private anonymous mmap of
 *         LEN bytes (thp: 2 MiB aligned, MADV_HUGEPAGE) + memcpy from ADDR,
 *         then checks the copy (memcmp) and unmaps it
 *     info ADDR LEN                      -> info perms=rw-p rss_kb=N thp_kb=N
 *         perms of the VMA at ADDR; the sizes summed over the range
 *     populate ADDR LEN                  -> populated
 *         MADV_POPULATE_READ: every page of the range mapped in this
 *         process's page tables, as in one that wrote them itself
 *     write ADDR LEN RATE SEED           -> writing
 *         starts a writer thread (issue 10, live moves): RATE bytes a second
 *         of whole 4 KiB pages at random in [ADDR, ADDR+LEN), each written
 *         with the pattern it already holds (SEED, offsets from ADDR), so
 *         the page is dirtied but `verify` still holds; it writes through
 *         process_vm_writev on itself, so once a move has taken the range
 *         the write fails (EFAULT) and the thread ends instead of the
 *         process dying
 *     wstop                              -> wrote PAGES SECONDS gone=0|1
 *         stops the writer (if the range is still there) and says how many
 *         pages it wrote in how long, and whether the range is gone (its
 *         write or a read of the range's first page failed)
 *     quit                               -> exits 0 (so does end of file)
 * A failure replies `error MESSAGE`.  The pattern of a 64-bit word depends
 * only on the seed and its offset from the start of the mapping, so a second
 * process can check what pvmmap (or gdb) put into it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define PAGE 4096u
#define WORDS (PAGE / 8)
#define HUGE (2u << 20)

static inline uint64_t pat(uint64_t seed, uint64_t off)
{
	uint64_t x = (off >> 3) + seed * UINT64_C(0x100000001b3);
	x *= UINT64_C(0x9e3779b97f4a7c15);
	return (x ^ (x >> 29)) | 1;      /* never zero */
}

static void fill_page(uint64_t *p, uint64_t off, uint64_t seed)
{
	for (unsigned i = 0; i < WORDS; i++)
		p[i] = pat(seed, off + 8u * i);
}

/* 0 when the page holds seed's pattern, else 1 + index of the first bad word. */
static unsigned check_page(const uint64_t *p, uint64_t off, uint64_t seed)
{
	for (unsigned i = 0; i < WORDS; i++)
		if (p[i] != pat(seed, off + 8u * i))
			return i + 1;
	return 0;
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "peer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "peer: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void *map_at(uint64_t addr, uint64_t len, int flags, int fd)
{
	void *m = mmap((void *)addr, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED_NOREPLACE, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	if ((uint64_t)m != addr) {
		fprintf(stderr, "peer: mmap put the mapping at %p, not 0x%" PRIx64 "\n", m, addr);
		exit(1);
	}
	return m;
}

/* Sum the kB field `key` over the VMAs meeting [start, end) in /proc/self/smaps. */
static uint64_t smaps_kb(uint64_t start, uint64_t end, const char *key)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	uint64_t total = 0;
	size_t klen = strlen(key);

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long a, b;
		if (sscanf(line, "%llx-%llx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a < end && b > start;
			continue;
		}
		if (in && strncmp(line, key, klen) == 0)
			total += strtoull(line + klen, NULL, 10);
	}
	fclose(f);
	return total;
}

/* Bytes of [start, end) that are mapped, from /proc/self/maps. */
static uint64_t mapped_bytes(uint64_t start, uint64_t end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	uint64_t total = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long a, b;
		if (sscanf(line, "%llx-%llx", &a, &b) != 2)
			continue;
		uint64_t lo = a > start ? a : start, hi = b < end ? b : end;
		if (lo < hi)
			total += hi - lo;
	}
	fclose(f);
	return total;
}

/* The permissions ("rw-p") of the VMA at addr, from /proc/self/maps. */
static const char *perms_at(uint64_t addr)
{
	static char perms[8];
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	strcpy(perms, "none");
	if (!f)
		return perms;
	while (fgets(line, sizeof line, f)) {
		unsigned long long a, b;
		char p[8];
		if (sscanf(line, "%llx-%llx %7s", &a, &b, p) == 3 && a <= addr && addr < b) {
			snprintf(perms, sizeof perms, "%s", p);
			break;
		}
	}
	fclose(f);
	return perms;
}

static void reply_info(uint64_t start, uint64_t len)
{
	printf("perms=%s rss_kb=%" PRIu64 " thp_kb=%" PRIu64 "\n", perms_at(start),
	       smaps_kb(start, start + len, "Rss:"),
	       smaps_kb(start, start + len, "AnonHugePages:") +
	       smaps_kb(start, start + len, "ShmemPmdMapped:") +
	       smaps_kb(start, start + len, "FilePmdMapped:"));
}

/* /proc/self/pagemap, read in chunks; valid for one verify only. */
static struct pagemap {
	int fd;
	uint64_t first, n;       /* page number of ents[0]; entries held */
	uint64_t ents[4096];
} pm = { .fd = -1 };

/* Whether the page at addr is present or swapped (-1 on error). */
static int page_present(uint64_t addr)
{
	uint64_t pn = addr / PAGE;

	if (pm.fd < 0 && (pm.fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (!pm.n || pn < pm.first || pn >= pm.first + pm.n) {
		ssize_t r = pread(pm.fd, pm.ents, sizeof pm.ents, (off_t)(pn * 8));
		if (r < 8)
			return -1;
		pm.first = pn;
		pm.n = (uint64_t)r / 8;
	}
	return (pm.ents[pn - pm.first] >> 62) != 0;
}

static void verify(uint64_t addr, uint64_t len, uint64_t stride, uint64_t seed, const char *other)
{
	bool zero = strcmp(other, "zero") == 0, skip = strcmp(other, "-") == 0;
	uint64_t oseed = (zero || skip) ? 0 : num(other);
	static const uint64_t zpage[WORDS];

	if (!addr || len % PAGE || addr % PAGE || !stride) {
		printf("error bad verify arguments\n");
		return;
	}
	pm.n = 0;   /* the pages may have changed since the last verify */
	if (mapped_bytes(addr, addr + len) != len) {
		printf("bad only %" PRIu64 " of %" PRIu64 " bytes mapped\n",
		       mapped_bytes(addr, addr + len), len);
		return;
	}
	for (uint64_t pg = 0; pg < len / PAGE; pg++) {
		const uint64_t *p = (const uint64_t *)(addr + pg * PAGE);
		uint64_t off = pg * PAGE;   /* offsets are from ADDR */
		unsigned w;

		if (pg % stride == 0) {
			if ((w = check_page(p, off, seed))) {
				printf("bad filled page at 0x%" PRIx64 " word %u: 0x%" PRIx64 "\n",
				       (uint64_t)p, w - 1, p[w - 1]);
				return;
			}
		} else if (zero) {
			int present = page_present((uint64_t)p);
			if (present < 0) {
				printf("error reading /proc/self/pagemap\n");
				return;
			}
			if (present && memcmp(p, zpage, PAGE) != 0) {
				printf("bad page at 0x%" PRIx64 " should be zero\n", (uint64_t)p);
				return;
			}
		} else if (!skip) {
			if ((w = check_page(p, off, oseed))) {
				printf("bad other page at 0x%" PRIx64 " word %u: 0x%" PRIx64 "\n",
				       (uint64_t)p, w - 1, p[w - 1]);
				return;
			}
		}
	}
	printf("ok\n");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool thp_always(void);

/* A fresh private anonymous mapping; thp: 2 MiB aligned, MADV_HUGEPAGE. */
static char *fresh(uint64_t len, bool thp)
{
	if (!thp) {
		char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED && thp_always())
			madvise(m, len, MADV_NOHUGEPAGE);
		return m == MAP_FAILED ? NULL : m;
	}
	char *r = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	char *m = (char *)(((uintptr_t)r + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (m > r)
		munmap(r, (size_t)(m - r));
	if (m + len < r + len + HUGE)
		munmap(m + len, (size_t)(r + len + HUGE - (m + len)));
	madvise(m, len, MADV_HUGEPAGE);
	return m;
}

/* The baseline: fresh mmap + memcpy from [addr, addr+len), timed. */
static void copy(uint64_t addr, uint64_t len, const char *kind)
{
	bool thp = strcmp(kind, "thp") == 0;

	if (mapped_bytes(addr, addr + len) != len) {
		printf("error the source range is not all mapped\n");
		return;
	}
	double t0 = now();
	char *dst = fresh(len, thp);
	if (!dst) {
		printf("error mmap: %s\n", strerror(errno));
		return;
	}
	memcpy(dst, (const void *)addr, len);
	double t1 = now();
	if (memcmp(dst, (const void *)addr, len) != 0)
		printf("bad the copy differs from the source\n");
	else
		printf("copy %.6f dst_thp_kb=%" PRIu64 "\n", t1 - t0,
		       smaps_kb((uint64_t)dst, (uint64_t)dst + len, "AnonHugePages:"));
	munmap(dst, len);
}

/* The writer thread of `write`: whole pages at random, paced in 1 ms steps. */
static struct writer {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	uint64_t addr, len, rate, seed;
	uint64_t pages;          /* written */
	double secs;             /* from start to its end */
	bool gone;               /* ended on EFAULT: the range was moved away */
} wr;

static void *writer_main(void *arg)
{
	static uint64_t buf[WORDS];
	uint64_t rs = wr.seed * UINT64_C(0x9e3779b97f4a7c15) + 1, npages = wr.len / PAGE;
	double t0 = now(), t;
	(void)arg;

	while (!atomic_load(&wr.stop)) {
		uint64_t due = (uint64_t)((now() - t0) * (double)wr.rate / PAGE);
		while (wr.pages < due && !atomic_load(&wr.stop)) {
			rs ^= rs << 13;
			rs ^= rs >> 7;
			rs ^= rs << 17;
			uint64_t off = rs % npages * PAGE;
			fill_page(buf, off, wr.seed);
			struct iovec l = { buf, PAGE }, r = { (void *)(wr.addr + off), PAGE };
			if (process_vm_writev(getpid(), &l, 1, &r, 1, 0) != PAGE) {
				wr.gone = true;
				goto out;
			}
			wr.pages++;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
out:
	t = now();
	wr.secs = t - t0;
	return NULL;
}

static void writer_start(uint64_t addr, uint64_t len, uint64_t rate, uint64_t seed)
{
	if (wr.running || !rate || len < PAGE || addr % PAGE) {
		printf("error bad write arguments, or a writer runs already\n");
		return;
	}
	wr = (struct writer){ .addr = addr, .len = len, .rate = rate, .seed = seed };
	int e = pthread_create(&wr.thread, NULL, writer_main, NULL);
	if (e) {
		printf("error pthread_create: %s\n", strerror(e));
		return;
	}
	wr.running = true;
	printf("writing\n");
}

static void writer_stop(void)
{
	if (!wr.running) {
		printf("error no writer\n");
		return;
	}
	atomic_store(&wr.stop, true);
	pthread_join(wr.thread, NULL);
	wr.running = false;
	if (!wr.gone) {
		/* stopped between two writes: whether the range is gone is
		 * what a read of it says */
		static uint64_t buf[WORDS];
		struct iovec l = { buf, PAGE }, r = { (void *)wr.addr, PAGE };
		wr.gone = process_vm_readv(getpid(), &l, 1, &r, 1, 0) != PAGE;
	}
	printf("wrote %" PRIu64 " %.6f gone=%d\n", wr.pages, wr.secs, wr.gone);
}

static int serve(void)
{
	char line[512];

	while (fgets(line, sizeof line, stdin)) {
		char cmd[32] = "", a[64] = "", b[64] = "", c[64] = "", d[64] = "", e[64] = "";
		int n = sscanf(line, "%31s %63s %63s %63s %63s %63s", cmd, a, b, c, d, e);

		if (n < 1)
			continue;
		if (strcmp(cmd, "quit") == 0)
			return 0;
		if (strcmp(cmd, "verify") == 0 && n == 6) {
			verify(num(a), num(b), num(c), num(d), e);
		} else if (strcmp(cmd, "mapped") == 0 && n == 3) {
			printf("mapped %" PRIu64 "\n", mapped_bytes(num(a), num(a) + num(b)));
		} else if (strcmp(cmd, "copy") == 0 && n == 4) {
			copy(num(a), num(b), c);
		} else if (strcmp(cmd, "populate") == 0 && n == 3) {
			if (madvise((void *)num(a), num(b), MADV_POPULATE_READ))
				printf("error madvise(MADV_POPULATE_READ): %s\n", strerror(errno));
			else
				printf("populated\n");
		} else if (strcmp(cmd, "write") == 0 && n == 5) {
			writer_start(num(a), num(b), num(c), num(d));
		} else if (strcmp(cmd, "wstop") == 0 && n == 1) {
			writer_stop();
		} else if (strcmp(cmd, "info") == 0 && n == 3) {
			printf("info ");
			reply_info(num(a), num(b));
		} else {
			printf("error unknown command\n");
		}
	}
	return 0;
}

static bool thp_always(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = 0;
		fclose(f);
	}
	return strstr(buf, "[always]") != NULL;
}

static int mkfile(const char *path, uint64_t len, uint64_t seed)
{
	static uint64_t buf[(1u << 20) / 8];
	struct stat st;
	int fd;
	bool good = false;

	if (stat(path, &st) == 0 && (uint64_t)st.st_size == len) {
		/* check the first and the last page */
		fd = open(path, O_RDONLY);
		if (fd >= 0 && pread(fd, buf, PAGE, 0) == PAGE && !check_page(buf, 0, seed) &&
		    pread(fd, buf, PAGE, (off_t)(len - PAGE)) == PAGE &&
		    !check_page(buf, len - PAGE, seed))
			good = true;
		if (fd >= 0)
			close(fd);
	}
	if (!good) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die(tmp);
		for (uint64_t off = 0; off < len; off += sizeof buf) {
			size_t n = len - off < sizeof buf ? len - off : sizeof buf;
			for (size_t pg = 0; pg < n / PAGE; pg++)
				fill_page(buf + pg * WORDS, off + pg * PAGE, seed);
			if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
				die("write");
		}
		if (fsync(fd) || close(fd) || rename(tmp, path))
			die(path);
	}
	/* warm the page cache */
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	while (read(fd, buf, sizeof buf) > 0)
		;
	close(fd);
	printf("%s %s\n", good ? "kept" : "created", path);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t addr = 0, len = 0;
	const char *kind = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(kind, "wait") == 0 && argc == 2) {
		printf("ready %d\n", (int)getpid());
		return serve();
	}
	if (strcmp(kind, "mkfile") == 0 && argc == 5)
		return mkfile(argv[2], num(argv[3]), num(argv[4]));

	if (strcmp(kind, "anon") == 0 && (argc == 6 || (argc == 7 && !strcmp(argv[6], "noreserve")))) {
		uint64_t stride = num(argv[4]), seed = num(argv[5]);
		addr = num(argv[2]);
		len = num(argv[3]);
		char *m = map_at(addr, len, MAP_PRIVATE | MAP_ANONYMOUS | (argc == 7 ? MAP_NORESERVE : 0), -1);
		/* "4 KiB pages": only where THP would otherwise be used anyway */
		if (thp_always() && madvise(m, len, MADV_NOHUGEPAGE))
			die("madvise(MADV_NOHUGEPAGE)");
		for (uint64_t off = 0; off < len; off += stride * PAGE)
			fill_page((uint64_t *)(m + off), off, seed);
	} else if (strcmp(kind, "thp") == 0 && argc == 5) {
		uint64_t seed = num(argv[4]);
		addr = num(argv[2]);
		len = num(argv[3]);
		if (addr % HUGE || len % HUGE) {
			fprintf(stderr, "peer: thp needs 2 MiB alignment\n");
			return 2;
		}
		char *m = map_at(addr, len, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		if (madvise(m, len, MADV_HUGEPAGE))
			die("madvise(MADV_HUGEPAGE)");
		for (uint64_t off = 0; off < len; off += PAGE)
			fill_page((uint64_t *)(m + off), off, seed);
	} else if (strcmp(kind, "memfd") == 0 && argc == 6) {
		uint64_t written = num(argv[4]), seed = num(argv[5]);
		addr = num(argv[2]);
		len = num(argv[3]);
		int fd = memfd_create("pvmmap-bench", MFD_CLOEXEC);
		if (fd < 0)
			die("memfd_create");
		if (ftruncate(fd, (off_t)len))
			die("ftruncate");
		char *m = map_at(addr, len, MAP_SHARED | MAP_NORESERVE, fd);
		for (uint64_t off = 0; off < written && off < len; off += PAGE)
			fill_page((uint64_t *)(m + off), off, seed);
		/* the fd stays open, as in a program that made the memfd */
	} else if (strcmp(kind, "many") == 0 && argc == 6 &&
		   (!strcmp(argv[4], "low") || !strcmp(argv[4], "high"))) {
		uint64_t n = num(argv[3]), seed = num(argv[5]);
		uint64_t span = 2 * n * PAGE, gap = UINT64_C(1) << 30, at;
		addr = num(argv[2]);
		len = PAGE;
		at = !strcmp(argv[4], "low") ? addr + gap : addr - gap - span;
		char *r = map_at(at, span, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		for (uint64_t i = 0; i < n; i++) {
			r[2 * i * PAGE] = 1;
			if (mprotect(r + (2 * i + 1) * PAGE, PAGE, PROT_READ))
				die("mprotect");
		}
		char *m = map_at(addr, len, MAP_PRIVATE | MAP_ANONYMOUS, -1);
		fill_page((uint64_t *)m, 0, seed);
	} else if (strcmp(kind, "file") == 0 && argc == 7) {
		uint64_t stride = num(argv[5]), seed = num(argv[6]);
		addr = num(argv[2]);
		len = num(argv[4]);
		int fd = open(argv[3], O_RDONLY);
		if (fd < 0)
			die(argv[3]);
		char *m = map_at(addr, len, MAP_PRIVATE, fd);
		close(fd);
		if (madvise(m, len, MADV_POPULATE_READ))
			die("madvise(MADV_POPULATE_READ)");
		for (uint64_t off = 0; off < len; off += stride * PAGE)
			fill_page((uint64_t *)(m + off), off, seed);
	} else {
		fprintf(stderr, "usage: see the comment at the top of tests/bench/peer.c\n");
		return 2;
	}
	printf("ready %d ", (int)getpid());
	reply_info(addr, len);
	return serve();
}
