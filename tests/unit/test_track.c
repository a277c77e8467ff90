/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * src/track.c against a live process: build/fixtures/victim (run `make
 * fixtures` first) maps private anonymous pages and writes or drops single
 * pages on command while pvmmap tracks them.  Each test checks exactly
 * which pages are reported, that the victim keeps no descriptor of the
 * tracking, and that its VmFlags lose `uw` once the tracking ends, by
 * track_stop or by the death of the process holding it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "fdcount.h"
#include "victim_ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "inject.h"
#include "testpoint.h"
#include "track.h"
#include "vma.h"

#define VICTIM PVMMAP_FIXTURES "/victim"
#define TIMEOUT_MS 5000
#define NPAGES 64

static uint64_t page;

/* Whether this kernel tracks at all; the tests are skipped otherwise. */
static void need_tracking(void)
{
	const char *why = NULL;

	if (track_probe(&why) < 0) {
		print_message("write tracking unavailable: %s\n", why ? why : "?");
		skip();
	}
}

static void start_n(struct victim *v, uint64_t *addr, int pages)
{
	char a0[] = VICTIM, *argv[] = { a0, NULL };
	const char *l = NULL;
	char cmd[32];

	victim_start(v, argv, NULL, NULL);
	snprintf(cmd, sizeof cmd, "map %d", pages);
	victim_send(v, cmd);
	assert_true(victim_wait(v, "map-ok ", 1, TIMEOUT_MS));
	assert_int_equal(victim_count(v, "map-ok ", &l), 1);
	*addr = strtoull(l + 7, NULL, 16);
	assert_true(*addr && *addr % page == 0);
}

static void start(struct victim *v, uint64_t *addr)
{
	start_n(v, addr, NPAGES);
}

/* The victim writes (poke) or drops page @i of the range, and says so. */
static void victim_page(struct victim *v, const char *cmd, uint64_t addr, int i)
{
	char line[64], ok[32];
	int n;

	snprintf(ok, sizeof ok, "%s-ok", cmd);
	n = victim_count(v, ok, NULL);
	snprintf(line, sizeof line, "%s %lx", cmd, (unsigned long)(addr + (uint64_t)i * page));
	victim_send(v, line);
	assert_true(victim_wait(v, ok, n + 1, TIMEOUT_MS));
}

static struct inject_proc *seize(struct victim *v)
{
	struct inject_proc *p = NULL;

	assert_int_equal(inject_seize(v->pid, 0, 0, TIMEOUT_MS, &p), 0);
	return p;
}

static int victim_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* VmFlags (through the facts' own reader) of every VMA in [lo, hi):
 * whether any is registered with a userfaultfd. */
static bool uffd_flag(pid_t pid, uint64_t lo, uint64_t hi)
{
	struct vma_list l = { 0 };
	char path[64];
	bool any = false;
	int dir;

	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	assert_int_equal(vma_smaps_read(dir, &l), 0);
	close(dir);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].end > lo && l.v[i].start < hi && vma_uffd_registered(&l.v[i]))
			any = true;
	vma_list_free(&l);
	return any;
}

/* What a scan reported, as one bit a page of the range. */
struct seen {
	uint64_t base, bits, calls;
	enum track_what what[NPAGES];
};

static int note(uint64_t start, uint64_t end, enum track_what what, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	for (uint64_t a = start; a < end; a += page) {
		uint64_t i = (a - s->base) / page;

		if (a < s->base || i >= NPAGES)
			return -ERANGE;
		if (s->bits & (UINT64_C(1) << i))
			return -EEXIST;        /* a page reported twice in one scan */
		s->bits |= UINT64_C(1) << i;
		s->what[i] = what;
	}
	return 0;
}

static uint64_t scan(struct track *t, uint64_t base, unsigned flags, uint64_t max_pages)
{
	struct seen s = { .base = base };
	uint64_t pages = 0;

	assert_int_equal(track_scan(t, flags, max_pages, note, &s, &pages), 0);
	assert_int_equal(pages, (uint64_t)__builtin_popcountll(s.bits));
	return s.bits;
}

#define BIT(i) (UINT64_C(1) << (i))

static int stop_at_first(uint64_t start, uint64_t end, enum track_what what, void *arg)
{
	(void)start;
	(void)end;
	(void)what;
	(void)arg;
	return -ECANCELED;
}

/* Exactly the pages the victim writes are reported, once per reset; holes
 * it fills are caught; a dropped page is not written but absent. */
static void test_written(void **state)
{
	struct victim v;
	struct inject_proc *p;
	struct track *t = NULL;
	struct track_range r;
	struct seen s;
	uint64_t addr;
	int fds;

	(void)state;
	need_tracking();
	start(&v, &addr);
	for (int i = 0; i < 32; i++)            /* 32-63 stay holes */
		victim_page(&v, "poke", addr, i);
	r = (struct track_range){ addr, addr + NPAGES * page };
	fds = victim_fds(v.pid);
	p = seize(&v);
	assert_int_equal(track_start(p, &r, 1, 0, &t), 0);
	assert_non_null(t);
	assert_int_equal(inject_journal_count(p), 0);
	assert_int_equal(inject_detach(p), 0);
	assert_int_equal(victim_fds(v.pid), fds);  /* its copy of the uffd is closed */
	assert_true(uffd_flag(v.pid, r.start, r.end));

	/* armed: nothing written yet */
	assert_int_equal(scan(t, addr, TRACK_RESET, 0), 0);

	victim_page(&v, "poke", addr, 3);
	victim_page(&v, "poke", addr, 4);
	victim_page(&v, "poke", addr, 10);
	victim_page(&v, "poke", addr, 40);      /* a hole filled */
	/* a look does not reset */
	assert_int_equal(scan(t, addr, 0, 0), BIT(3) | BIT(4) | BIT(10) | BIT(40));
	assert_int_equal(scan(t, addr, 0, 0), BIT(3) | BIT(4) | BIT(10) | BIT(40));
	assert_int_equal(scan(t, addr, TRACK_RESET, 0), BIT(3) | BIT(4) | BIT(10) | BIT(40));
	assert_int_equal(scan(t, addr, TRACK_RESET, 0), 0);

	/* max_pages: several calls, every page once */
	for (int i = 20; i < 24; i++)
		victim_page(&v, "poke", addr, i);
	victim_page(&v, "poke", addr, 25);
	victim_page(&v, "poke", addr, 4);
	assert_int_equal(scan(t, addr, TRACK_RESET, 2),
			 BIT(4) | BIT(20) | BIT(21) | BIT(22) | BIT(23) | BIT(25));
	assert_int_equal(scan(t, addr, TRACK_RESET, 1), 0);

	/* a dropped page is no write; it shows as a hole */
	victim_page(&v, "drop", addr, 3);
	assert_int_equal(scan(t, addr, TRACK_RESET, 0), 0);
	s = (struct seen){ .base = addr };
	assert_int_equal(track_absent(t, addr, addr + 32 * page, note, &s), 0);
	assert_int_equal(s.bits, BIT(3));
	assert_int_equal(s.what[3], TRACK_HOLE);
	s = (struct seen){ .base = addr };
	assert_int_equal(track_absent(t, addr, r.end, note, &s), 0);
	assert_int_equal(s.bits, BIT(3) | (~UINT64_C(0) << 32 & ~BIT(40)));

	/* a stop by the callback during a reset loses the tracking */
	victim_page(&v, "poke", addr, 6);
	assert_int_equal(track_scan(t, TRACK_RESET, 0, stop_at_first, NULL, NULL), -ECANCELED);
	assert_int_equal(track_scan(t, 0, 0, NULL, NULL, NULL), -ESTALE);

	assert_int_equal(track_stop(t), 0);
	assert_false(uffd_flag(v.pid, r.start, r.end));
	victim_page(&v, "poke", addr, 5);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* Not armed at the start: every present page reads as written until the
 * first reset, and holes stay out. */
static void test_no_arm(void **state)
{
	struct victim v;
	struct inject_proc *p;
	struct track *t = NULL;
	struct track_range r;
	uint64_t addr;

	(void)state;
	need_tracking();
	start(&v, &addr);
	for (int i = 8; i < 16; i++)
		victim_page(&v, "poke", addr, i);
	r = (struct track_range){ addr, addr + NPAGES * page };
	p = seize(&v);
	assert_int_equal(track_start(p, &r, 1, TRACK_START_NO_ARM, &t), 0);
	assert_int_equal(inject_detach(p), 0);
	assert_int_equal(scan(t, addr, 0, 0), 0xff00);
	assert_int_equal(scan(t, addr, TRACK_RESET, 3), 0xff00);
	assert_int_equal(scan(t, addr, TRACK_RESET, 0), 0);
	victim_page(&v, "poke", addr, 9);
	assert_int_equal(scan(t, addr, TRACK_RESET, 0), BIT(9));
	assert_int_equal(track_stop(t), 0);
	assert_false(uffd_flag(v.pid, r.start, r.end));
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A range of several unregister chunks (and a piece): all of it released,
 * its pages written on the chunks' edges all reported. */
static void test_large(void **state)
{
	struct victim v;
	struct inject_proc *p;
	struct track *t = NULL;
	struct track_range r;
	uint64_t addr, pages;
	const int n = (int)(2 * TRACK_UNREG_CHUNK / page) + 100;
	int edge = (int)(TRACK_UNREG_CHUNK / page);

	(void)state;
	need_tracking();
	start_n(&v, &addr, n);
	r = (struct track_range){ addr, addr + (uint64_t)n * page };
	p = seize(&v);
	assert_int_equal(track_start(p, &r, 1, 0, &t), 0);
	assert_int_equal(inject_detach(p), 0);
	assert_true(uffd_flag(v.pid, r.start, r.end));
	victim_page(&v, "poke", addr, edge - 1);
	victim_page(&v, "poke", addr, edge);
	victim_page(&v, "poke", addr, n - 1);
	assert_int_equal(track_scan(t, TRACK_RESET, 0, NULL, NULL, &pages), 0);
	assert_int_equal(pages, 3);
	assert_int_equal(track_stop(t), 0);
	assert_false(uffd_flag(v.pid, r.start, r.end));
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A range some userfaultfd registered already: -EBUSY, and nothing left. */
static void test_busy(void **state)
{
	struct victim v;
	struct inject_proc *p;
	struct track *t = NULL, *t2 = (struct track *)&t;
	struct track_range r, part[2];
	uint64_t addr;
	int fds;

	(void)state;
	need_tracking();
	start(&v, &addr);
	r = (struct track_range){ addr + 8 * page, addr + 16 * page };
	/* the second: one range beside it (fine), one overlapping it */
	part[0] = (struct track_range){ addr, addr + 8 * page };
	part[1] = (struct track_range){ addr + 12 * page, addr + 20 * page };
	fds = victim_fds(v.pid);
	p = seize(&v);
	assert_int_equal(track_start(p, &r, 1, 0, &t), 0);
	assert_int_equal(track_start(p, part, 2, 0, &t2), -EBUSY);
	assert_null(t2);
	assert_int_equal(inject_journal_count(p), 0);
	/* the first range of the failed start was registered, then undone */
	assert_false(uffd_flag(v.pid, part[0].start, part[0].end));
	assert_true(uffd_flag(v.pid, r.start, r.end));
	/* bad ranges */
	part[1].start = part[0].start;
	assert_int_equal(track_start(p, part, 2, 0, &t2), -EINVAL);
	assert_int_equal(inject_detach(p), 0);
	assert_int_equal(victim_fds(v.pid), fds);
	assert_int_equal(track_stop(t), 0);
	assert_false(uffd_flag(v.pid, addr, addr + NPAGES * page));
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* The holder of the tracking is SIGKILLed: the kernel drops the
 * registration, and the victim writes on. */
static void test_holder_killed(void **state)
{
	struct victim v;
	struct track_range r;
	uint64_t addr;
	int go[2], st;
	pid_t h;
	char c = 0;

	(void)state;
	need_tracking();
	start(&v, &addr);
	for (int i = 0; i < NPAGES; i += 2)
		victim_page(&v, "poke", addr, i);
	r = (struct track_range){ addr, addr + NPAGES * page };
	assert_int_equal(pipe(go), 0);
	h = fork();
	assert_true(h >= 0);
	if (h == 0) {
		/* no cmocka here: the child only says how far it got */
		struct inject_proc *p = NULL;
		struct track *t = NULL;
		char ok = 'k';

		close(go[0]);
		if (inject_seize(v.pid, 0, 0, TIMEOUT_MS, &p) || track_start(p, &r, 1, 0, &t) ||
		    inject_detach(p))
			ok = 'f';
		if (write(go[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(go[1]);
	assert_int_equal(read(go[0], &c, 1), 1);
	close(go[0]);
	assert_int_equal(c, 'k');
	assert_true(uffd_flag(v.pid, r.start, r.end));
	victim_page(&v, "poke", addr, 1);
	kill(h, SIGKILL);
	assert_int_equal(waitpid(h, &st, 0), h);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_false(uffd_flag(v.pid, r.start, r.end));
	for (int i = 0; i < NPAGES; i++)
		victim_page(&v, "poke", addr, i);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A syscall in the held victim that must succeed: its result. */
static int64_t call(struct inject_proc *p, enum arch_sys sys, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3, uint64_t a4)
{
	int64_t ret = -1;

	assert_int_equal(inject_call(p, sys, a0, a1, a2, a3, a4, 0, &ret), 0);
	assert_true(ret >= 0);
	return ret;
}

/* A victim with 8 pages of its range poked, seized, the range tracked
 * (armed): the tracking in *@t, the seized victim returned. */
static struct inject_proc *tracked(struct victim *v, uint64_t *addr, struct track **t)
{
	struct track_range r;
	struct inject_proc *p;

	need_tracking();
	start(v, addr);
	for (int i = 0; i < 8; i++)
		victim_page(v, "poke", *addr, i);
	r = (struct track_range){ *addr, *addr + NPAGES * page };
	p = seize(v);
	assert_int_equal(track_start(p, &r, 1, 0, t), 0);
	return p;
}

/* The source remaps the range away, then maps something new there: the
 * tracking is lost (-ESTALE), for good, and track_stop still ends it. */
static void test_remapped(void **state)
{
	struct victim v;
	struct inject_proc *p;
	struct track *t = NULL;
	struct seen s;
	uint64_t addr, len = NPAGES * page, away;

	(void)state;
	p = tracked(&v, &addr, &t);
	away = (uint64_t)call(p, ARCH_SYS_MMAP, 0, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			      (uint64_t)-1);
	assert_int_equal(call(p, ARCH_SYS_MREMAP, addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, away),
			 away);
	/* nothing mapped there: nothing to report */
	assert_int_equal(scan(t, addr, TRACK_RESET, 0), 0);
	assert_false(uffd_flag(v.pid, away, away + len));    /* the move dropped it */
	assert_int_equal(call(p, ARCH_SYS_MMAP, addr, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1), addr);
	assert_int_equal(inject_detach(p), 0);
	victim_page(&v, "poke", addr, 1);
	assert_int_equal(track_scan(t, 0, 0, note, &s, NULL), -ESTALE);
	assert_int_equal(track_scan(t, TRACK_RESET, 0, NULL, NULL, NULL), -ESTALE);
	assert_int_equal(track_absent(t, addr, addr + len, note, &s), -ESTALE);
	assert_int_equal(track_stop(t), 0);
	assert_false(uffd_flag(v.pid, addr, addr + len));
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A move's commit unmaps the range: track_gone says so (the head, then
 * the rest, as two pieces of one tracked range), and track_stop then ends
 * the tracking with nothing to unregister; what the source maps there
 * since is not registered, and the source runs on. */
static void test_gone(void **state)
{
	struct victim v;
	struct inject_proc *p;
	struct track *t = NULL;
	uint64_t addr, len = NPAGES * page;

	(void)state;
	p = tracked(&v, &addr, &t);
	assert_true(uffd_flag(v.pid, addr, addr + len));
	assert_int_equal(call(p, ARCH_SYS_MUNMAP, addr, len, 0, 0, 0), 0);
	assert_int_equal(call(p, ARCH_SYS_MMAP, addr, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1), addr);
	assert_int_equal(inject_detach(p), 0);
	track_gone(t, addr, addr + len / 2);
	track_gone(t, addr + len / 2, addr + len);
	track_gone(NULL, addr, addr + len);
	assert_int_equal(track_stop(t), 0);
	assert_false(uffd_flag(v.pid, addr, addr + len));
	victim_page(&v, "poke", addr, 1);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* The holder dies after each step of track_start in turn: the victim
 * keeps no descriptor and no registration, and runs on. */
static void test_death_in_start(void **state)
{
	struct victim v;
	struct track_range r;
	uint64_t addr;
	int fds, st, k;

	(void)state;
	need_tracking();
	start(&v, &addr);
	for (int i = 0; i < NPAGES; i += 3)
		victim_page(&v, "poke", addr, i);
	r = (struct track_range){ addr, addr + NPAGES * page };
	fds = victim_fds(v.pid);
	for (k = 1; k < 100; k++) {
		pid_t h = fork();

		assert_true(h >= 0);
		if (h == 0) {
			struct inject_proc *p = NULL;
			struct track *t = NULL;

			if (inject_seize(v.pid, 0, 0, TIMEOUT_MS, &p))
				_exit(2);
			testpoint_die_after(k);
			if (track_start(p, &r, 1, 0, &t))
				_exit(3);
			testpoint_die_after(0);
			_exit(inject_detach(p) || track_stop(t) ? 4 : 0);
		}
		assert_int_equal(waitpid(h, &st, 0), h);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			break;
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			fail_msg("the holder was to die after %d steps: status %#x", k, st);
		/* the rescue code closes the victim's copy once it runs */
		for (int i = 0; i < 100 && victim_fds(v.pid) != fds; i++)
			test_sleep_ms(10);
		assert_int_equal(victim_fds(v.pid), fds);
		assert_false(uffd_flag(v.pid, r.start, r.end));
		victim_page(&v, "poke", addr, k % NPAGES);
	}
	print_message("track_start took %d steps\n", k - 1);
	assert_true(k > 3 && k < 100);  /* made, taken, closed, registered, armed */
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* The fallback switch: -EOPNOTSUPP with a reason, nothing touched. */
static void test_unsupported(void **state)
{
	struct victim v;
	struct inject_proc *p;
	struct track *t = NULL;
	struct track_range r;
	const char *why = NULL;
	uint64_t addr;

	(void)state;
	start(&v, &addr);
	r = (struct track_range){ addr, addr + page };
	assert_int_equal(setenv("PVMMAP_NO_TRACK", "1", 1), 0);
	track_reset_probe();
	assert_int_equal(track_probe(&why), -EOPNOTSUPP);
	assert_non_null(why);
	assert_non_null(strstr(why, "PVMMAP_NO_TRACK"));
	p = seize(&v);
	assert_int_equal(track_start(p, &r, 1, 0, &t), -EOPNOTSUPP);
	assert_null(t);
	assert_int_equal(inject_journal_count(p), 0);
	assert_int_equal(inject_detach(p), 0);
	assert_int_equal(unsetenv("PVMMAP_NO_TRACK"), 0);
	track_reset_probe();
	assert_false(uffd_flag(v.pid, r.start, r.end));
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fds_before, fds_after)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_written),
		T(test_no_arm),
		T(test_large),
		T(test_busy),
		T(test_holder_killed),
		T(test_remapped),
		T(test_gone),
		T(test_death_in_start),
		T(test_unsupported),
	};

	page = (uint64_t)getpagesize();
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
