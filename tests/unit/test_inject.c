/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inject.c against live processes: build/fixtures/victim (run `make
 * fixtures` first) with threads blocked in read, nanosleep, futex,
 * epoll_wait, poll, rt_sigtimedwait and pause, and optionally one spinning.
 * Each test freezes it, runs syscalls inside, lets it go, and checks that
 * the victim saw nothing: no EINTR, no short sleep, no lost wake-up or
 * signal, the same registers, the same stop state.  No test asserts an
 * upper bound on time.
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
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pwd.h>

#include "arch.h"
#include "../fixtures/fixture_sys.h"
#include "inject.h"
#include "inject_priv.h"
#include "testpoint.h"

#define VICTIM PVMMAP_FIXTURES "/victim"
#define TIMEOUT_MS 5000
#define PAGE 4096

/* ---- the victim ------------------------------------------------------- */


static void start_victim(struct victim *v, const char *opt1, const char *opt2)
{
	char a0[] = VICTIM, a1[32] = "", a2[32] = "";
	char *argv[] = { a0, opt1 ? a1 : NULL, opt2 ? a2 : NULL, NULL };

	snprintf(a1, sizeof a1, "%s", opt1 ? opt1 : "");
	snprintf(a2, sizeof a2, "%s", opt2 ? opt2 : "");
	victim_start(v, argv, NULL, NULL);
}

/* ---- /proc ------------------------------------------------------------ */

static bool read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0;
}

static char state_of(pid_t pid, pid_t tid)
{
	char path[64], text[1024], *s;

	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	if (!read_text(path, text, sizeof text) || !(s = strrchr(text, ')')))
		return '?';
	return s[2];
}

static unsigned long long start_time_of(pid_t pid)
{
	char path[64], text[1024], *s;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	assert_true(read_text(path, text, sizeof text));
	s = strrchr(text, ')') + 2;
	for (int f = 3; f < 22; f++)
		s = strchr(s, ' ') + 1;
	return strtoull(s, NULL, 10);
}

static const char *status_field(pid_t pid, pid_t tid, const char *key, char *text, size_t len)
{
	char path[64];
	size_t k = strlen(key);

	snprintf(path, sizeof path, "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (!read_text(path, text, len))
		return NULL;
	for (char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (strncmp(l, key, k) == 0 && l[k] == ':')
			return l + k + 1 + strspn(l + k + 1, " \t");
	return NULL;
}

static long tracer_of(pid_t pid, pid_t tid)
{
	char text[4096];
	const char *v = status_field(pid, tid, "TracerPid", text, sizeof text);

	return v ? strtol(v, NULL, 10) : -1;
}

static uint64_t sig_ign(pid_t pid)
{
	char text[4096];
	const char *v = status_field(pid, pid, "SigIgn", text, sizeof text);

	assert_non_null(v);
	return strtoull(v, NULL, 16);
}

/* /proc/PID/task/TID/syscall: "NR args... SP PC" of a blocked thread. */
static void syscall_text(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	assert_true(read_text(path, buf, len));
}

/* Wait (up to 2 s) until the thread shows @want in /proc/.../syscall. */
static bool syscall_text_becomes(pid_t pid, pid_t tid, const char *want)
{
	char now[256];

	for (int i = 0; i < 200 * test_wait_scale(); i++) {
		syscall_text(pid, tid, now, sizeof now);
		if (strcmp(now, want) == 0)
			return true;
		test_sleep_ms(10);
	}
	print_message("syscall of %d: now %s was %s", (int)tid, now, want);
	return false;
}

/* The line of /proc/PID/maps whose range holds @addr, or "" (a new
 * mapping may have merged with a neighbour of the same kind). */
static void maps_line(pid_t pid, uint64_t addr, char *line, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, (int)len, f)) {
		uint64_t s, e;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &s, &e) == 2 && s <= addr && addr < e) {
			fclose(f);
			return;
		}
	}
	line[0] = '\0';
	fclose(f);
}

/* [addr, addr + len) is mapped with @perms, in one VMA. */
static void assert_mapped(pid_t pid, uint64_t addr, uint64_t len, const char *perms)
{
	char line[512], p[8];
	uint64_t s, e;

	maps_line(pid, addr, line, sizeof line);
	assert_int_equal(sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s", &s, &e, p), 3);
	assert_true(s <= addr && addr + len <= e);
	assert_string_equal(p, perms);
}

static bool vdso_range(pid_t pid, uint64_t *start, uint64_t *end)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, "[vdso]") && sscanf(line, "%" SCNx64 "-%" SCNx64, start, end) == 2;
	fclose(f);
	return found;
}

/* Wait (up to 5 s) until thread @tid is inside syscall @nr. */
static void wait_in_syscall(pid_t pid, pid_t tid, long nr)
{
	char text[256];

	for (int i = 0; i < 500 * test_wait_scale(); i++) {
		syscall_text(pid, tid, text, sizeof text);
		if (text[0] >= '0' && text[0] <= '9' && strtol(text, NULL, 10) == nr)
			return;
		test_sleep_ms(10);
	}
	fail_msg("thread %d not in syscall %ld: %s", (int)tid, nr, text);
}

/* ---- injection helpers ------------------------------------------------ */

static int64_t sys(struct inject_proc *p, int idx, enum arch_sys s, uint64_t a0, uint64_t a1,
		   uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	int64_t ret = INT64_MIN;

	assert_true(idx >= 0);
	assert_int_equal(inject_syscall(p, (size_t)idx, arch_sysno(s), args, &ret), 0);
	return ret;
}

static int idx_of(struct inject_proc *p, pid_t tid)
{
	int i = inject_thread_index(p, tid);

	assert_true(i >= 0);
	assert_true(p->threads[i].state & INJECT_T_STOPPED);
	return i;
}

static bool insn_at(struct inject_proc *p, uint64_t addr)
{
	unsigned char b[16];

	return addr && inject_read(p, addr, b, arch_syscall_insn_len) == 0 &&
	       memcmp(b, arch_syscall_insn, arch_syscall_insn_len) == 0;
}

/*
 * Thread @idx runs its interrupted syscall again when it resumes as it is:
 * x86_64 shows the restart code (the kernel rewinds at the resume); arm64
 * has already put pc back on the svc and x0 back (docs/kernel-facts.md,
 * arm64).
 */
static bool will_rerun(struct inject_proc *p, int idx)
{
	const struct arch_regs *r = &p->threads[idx].regs;

	return arch_regs_will_restart(r) || insn_at(p, arch_regs_ip(r));
}

/* Thread @idx stopped in user code, in no syscall. */
static bool in_user_code(struct inject_proc *p, int idx)
{
	const struct arch_regs *r = &p->threads[idx].regs;

	return !will_rerun(p, idx) && !insn_at(p, arch_syscall_site(r));
}

static struct inject_proc *seize(struct victim *v, unsigned flags)
{
	struct inject_proc *p = NULL;

	assert_int_equal(inject_seize(v->pid, start_time_of(v->pid), flags, TIMEOUT_MS, &p), 0);
	assert_non_null(p);
	return p;
}

/* getpid, then a mapping made, written, read back and removed, in thread
 * @idx; returns where the mapping was. */
static uint64_t exercise(struct victim *v, struct inject_proc *p, int idx)
{
	unsigned char out[2 * PAGE], in[2 * PAGE];
	char line[512];
	int64_t addr;

	assert_int_equal(sys(p, idx, ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0), v->pid);
	addr = sys(p, idx, ARCH_SYS_MMAP, 0, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
	assert_true(addr > 0 && addr % PAGE == 0);
	assert_mapped(v->pid, (uint64_t)addr, 2 * PAGE, "rw-p");

	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(inject_write(p, (uint64_t)addr, out, sizeof out), 0);
	memset(in, 0, sizeof in);
	assert_int_equal(inject_read(p, (uint64_t)addr, in, sizeof in), 0);
	assert_memory_equal(in, out, sizeof out);

	assert_int_equal(sys(p, idx, ARCH_SYS_MUNMAP, (uint64_t)addr, 2 * PAGE, 0, 0, 0, 0), 0);
	maps_line(v->pid, (uint64_t)addr, line, sizeof line);
	assert_string_equal(line, "");
	return (uint64_t)addr;
}

/* Every nanosleep-ok line says at least @ms. */
static void assert_full_sleeps(struct victim *v, long ms)
{
	size_t k = strlen("nanosleep-ok elapsed_ms=");

	for (const char *l = strstr(v->log, "nanosleep-ok"); l; l = strstr(l + 1, "nanosleep-ok"))
		if (strtol(l + k, NULL, 10) < ms)
			fail_msg("short sleep: %.40s (want >= %ld)", l, ms);
}

/* The busy thread (-b) keeps counting: it runs on from where it was
 * stopped.  Asked again until it has counted on, since on a busy machine
 * it may not have run at all within a fixed time (a 50 ms wait failed
 * under load); a thread that stays stopped never counts on. */
static void assert_still_counting(struct victim *v)
{
	unsigned long n0, n = 0;
	const char *l;
	int asked = victim_count(v, "count ", NULL) + 1;

	victim_send(v, "count");
	assert_true(victim_wait(v, "count ", asked, 5000));
	victim_count(v, "count ", &l);
	n0 = strtoul(l + 6, NULL, 10);
	for (int i = 0; i < 100 * test_wait_scale(); i++) {
		test_sleep_ms(50);
		victim_send(v, "count");
		assert_true(victim_wait(v, "count ", ++asked, 5000));
		victim_count(v, "count ", &l);
		n = strtoul(l + 6, NULL, 10);
		if (n > n0)
			return;
	}
	fail_msg("the busy thread stayed at %lu (was %lu)", n, n0);
}

/* The main thread is back asleep in its blocking call: 'S', once the
 * moment it ran ('R') has passed; a thread left stopped stays 't'. */
static void assert_asleep(pid_t pid)
{
	char st = 0;

	for (int i = 0; i < 200 * test_wait_scale(); i++) {
		st = state_of(pid, pid);
		if (st == 'S')
			return;
		test_sleep_ms(10);
	}
	fail_msg("thread %d is in state %c, not asleep (S)", (int)pid, st);
}

static const char *const blocked_names[] = { "read", "futex", "epoll", "poll", "sigwait", "pause" };
#define NBLOCKED (sizeof blocked_names / sizeof blocked_names[0])

/* ---- tests ------------------------------------------------------------ */

/* Freeze and release: every thread carries on as if nothing happened. */
static void test_seize_detach(void **state)
{
	char before[NBLOCKED][256];
	struct inject_proc *p;
	struct victim v;
	unsigned long n0;
	const char *l;

	(void)state;
	start_victim(&v, "-b", "-s1500");
	for (size_t i = 0; i < NBLOCKED; i++)
		syscall_text(v.pid, victim_tid(&v, blocked_names[i]), before[i], sizeof before[i]);
	victim_send(&v, "count");
	assert_true(victim_wait(&v, "count ", 1, 5000));
	victim_count(&v, "count ", &l);
	n0 = strtoul(l + 6, NULL, 10);

	p = seize(&v, 0);
	assert_int_equal(p->nthreads, 9);       /* main + 8 */
	assert_int_equal(p->group_stop, 0);
	for (size_t i = 0; i < p->nthreads; i++) {
		assert_int_equal(p->threads[i].state & (INJECT_T_STOPPED | INJECT_T_GONE),
				 INJECT_T_STOPPED);
		assert_int_equal(state_of(v.pid, p->threads[i].tid), 't');
		assert_int_equal(tracer_of(v.pid, p->threads[i].tid), getpid());
	}
	/* the blocked threads are inside their syscalls, to be restarted */
	assert_true(will_rerun(p, idx_of(p, victim_tid(&v, "read"))));
	assert_true(will_rerun(p, idx_of(p, victim_tid(&v, "nanosleep"))));
	assert_true(in_user_code(p, idx_of(p, victim_tid(&v, "busy"))));
	test_sleep_ms(300);
	assert_int_equal(inject_detach(p), 0);

	for (size_t i = 0; i < NBLOCKED; i++) {
		pid_t tid = victim_tid(&v, blocked_names[i]);
		assert_int_equal(tracer_of(v.pid, tid), 0);
		/* poll with a timeout goes on through restart_block: the
		 * kernel shows restart_syscall, with the same registers.
		 * ppoll (the generic table's poll) runs again as itself. */
		if (FX_POLL_RESTARTS_BLOCK && strcmp(blocked_names[i], "poll") == 0) {
			char *rest = strchr(before[i], ' ');
			char want[300];
			snprintf(want, sizeof want, "%d%s", SYS_restart_syscall, rest);
			assert_true(syscall_text_becomes(v.pid, tid, want));
			continue;
		}
		assert_true(syscall_text_becomes(v.pid, tid, before[i]));
	}
	victim_wake_all(&v);
	assert_true(victim_wait(&v, "nanosleep-ok", 3, 10000));
	assert_full_sleeps(&v, 1500);
	victim_send(&v, "count");
	assert_true(victim_wait(&v, "count ", 2, 5000));
	victim_count(&v, "count ", &l);
	assert_true(strtoul(l + 6, NULL, 10) > n0);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A thread blocked in read: its own syscall instruction serves. */
static void test_inject_read_thread(void **state)
{
	struct inject_proc *p;
	struct victim v;
	char before[256];
	pid_t tid;
	int idx;

	(void)state;
	start_victim(&v, "-s2000", NULL);
	tid = victim_tid(&v, "read");
	syscall_text(v.pid, tid, before, sizeof before);
	p = seize(&v, 0);
	idx = idx_of(p, tid);
	exercise(&v, p, idx);
	assert_int_equal(p->threads[idx].last_site, INJECT_SITE_RESCUE);
	assert_int_equal(inject_detach(p), 0);

	assert_true(syscall_text_becomes(v.pid, tid, before));
	victim_send(&v, "wake read");
	assert_true(victim_wait(&v, "read-ok 5 bytes", 1, 5000));
	assert_int_equal(victim_count(&v, "read-ok", NULL), 1);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* nanosleep: restarted through restart_block, still sleeps its full time. */
static void test_inject_nanosleep_thread(void **state)
{
	struct inject_proc *p;
	struct victim v;
	int idx, done;

	(void)state;
	start_victim(&v, "-s2000", NULL);
	p = seize(&v, 0);
	idx = idx_of(p, victim_tid(&v, "nanosleep"));
	assert_int_equal(arch_regs_syscall_nr(&p->threads[idx].regs), SYS_nanosleep);
	assert_true(will_rerun(p, idx));
	exercise(&v, p, idx);
	exercise(&v, p, idx);
	assert_int_equal(p->threads[idx].last_site, INJECT_SITE_RESCUE);
	test_sleep_ms(200);
	done = victim_count(&v, "nanosleep-ok", NULL);
	assert_int_equal(inject_detach(p), 0);

	assert_true(victim_wait(&v, "nanosleep-ok", done + 2, 10000));
	assert_full_sleeps(&v, 2000);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* The vdso's bytes, read through /proc/PID/mem. */
static size_t vdso_bytes(pid_t pid, unsigned char *buf, size_t len)
{
	uint64_t start, end;
	char path[64];
	ssize_t n;
	int fd;

	assert_true(vdso_range(pid, &start, &end));
	assert_true(end - start <= len);
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = pread(fd, buf, end - start, (off_t)start);
	close(fd);
	assert_int_equal(n, (ssize_t)(end - start));
	return (size_t)n;
}

/* A thread spinning in user space, stopped between two instructions: the
 * syscalls run from the rescue code in the vdso's tail, whose bytes are put
 * back at the detach; the thread goes on counting. */
static void test_inject_busy_thread(void **state)
{
	static unsigned char before[1 << 16], after[1 << 16];
	struct inject_proc *p;
	struct victim v;
	size_t len;
	int idx;

	(void)state;
	start_victim(&v, "-b", NULL);
	len = vdso_bytes(v.pid, before, sizeof before);
	p = seize(&v, 0);
	idx = idx_of(p, victim_tid(&v, "busy"));
	assert_true(in_user_code(p, idx));
	exercise(&v, p, idx);
	assert_int_equal(p->threads[idx].last_site, INJECT_SITE_RESCUE);
	assert_non_null(p->rescue);
	assert_int_equal(vdso_bytes(v.pid, after, sizeof after), len);
	assert_memory_not_equal(after, before, len);    /* the rescue code is there */
	assert_int_equal(inject_detach(p), 0);
	assert_int_equal(vdso_bytes(v.pid, after, sizeof after), len);
	assert_memory_equal(after, before, len);

	assert_still_counting(&v);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/*
 * The rescue area in a mapping of its own (PVMMAP_RESCUE=mapped, as where
 * the vdso has no room), made by a plain syscall in a thread with no
 * instruction to borrow: one is written at its ip and the code restored.
 */
static void test_inject_written(void **state)
{
	unsigned char code[16], after[16];
	struct inject_proc *p;
	struct victim v;
	uint64_t ip;
	int idx, ridx;

	(void)state;
	start_victim(&v, "-b", NULL);
	setenv("PVMMAP_RESCUE", "mapped", 1);
	p = seize(&v, INJECT_FORCE_WRITE);
	idx = idx_of(p, victim_tid(&v, "busy"));
	ip = arch_regs_ip(&p->threads[idx].regs);
	assert_int_equal(inject_read(p, ip, code, sizeof code), 0);
	assert_int_equal(sys(p, idx, ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0), v.pid);
	assert_non_null(p->rescue);
	assert_true(p->unguarded_ns > 0);       /* the area's own mmap */
	print_message("the rescue area's own mmap, unguarded: %.1f us\n", (double)p->unguarded_ns / 1e3);
	assert_int_equal(p->written_len, 0);
	assert_int_equal(inject_read(p, ip, after, sizeof after), 0);
	assert_memory_equal(after, code, sizeof code);
	exercise(&v, p, idx);
	assert_int_equal(p->threads[idx].last_site, INJECT_SITE_RESCUE);
	/* another thread runs from the same rescue code */
	ridx = idx_of(p, victim_tid(&v, "read"));
	assert_int_equal(sys(p, ridx, ARCH_SYS_GETTID, 0, 0, 0, 0, 0, 0), victim_tid(&v, "read"));
	assert_int_equal(p->threads[ridx].last_site, INJECT_SITE_RESCUE);
	assert_int_equal(inject_detach(p), 0);
	unsetenv("PVMMAP_RESCUE");

	assert_still_counting(&v);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* Seized again after syscalls ran in every thread: the very same
 * registers, word for word, in every thread blocked in a plain syscall. */
static void test_registers_restored(void **state)
{
	const char *names[] = { "read", "futex", "epoll", "sigwait", "pause" };
	struct arch_regs before[6];
	pid_t tids[6];
	struct inject_proc *p;
	struct victim v;

	(void)state;
	start_victim(&v, NULL, NULL);
	for (size_t i = 0; i < 5; i++)
		tids[i] = victim_tid(&v, names[i]);
	tids[5] = v.pid;                                /* main: read(0) */
	wait_in_syscall(v.pid, v.pid, SYS_read);
	p = seize(&v, 0);
	for (size_t i = 0; i < 6; i++) {
		int idx = idx_of(p, tids[i]);
		before[i] = p->threads[idx].regs;
		exercise(&v, p, idx);
	}
	assert_int_equal(inject_detach(p), 0);
	test_sleep_ms(200);

	p = seize(&v, 0);
	for (size_t i = 0; i < 6; i++) {
		const struct arch_regs *now = &p->threads[idx_of(p, tids[i])].regs;
		const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)&before[i];
		for (size_t w = 0; w < sizeof *now / 8; w++)
			if (a[w] != b[w])
				fail_msg("registers of %s differ: word %zu %#" PRIx64 " was %#" PRIx64,
					 i < 5 ? names[i] : "main", w, a[w], b[w]);
	}
	assert_int_equal(inject_detach(p), 0);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A stopped process is still stopped after the detach, then continues. */
static void test_group_stopped(void **state)
{
	struct inject_proc *p;
	struct victim v;
	pid_t tids[16];
	size_t n;

	(void)state;
	start_victim(&v, "-s1000", NULL);
	assert_int_equal(kill(v.pid, SIGSTOP), 0);
	for (int i = 0; i < 100 * test_wait_scale() && state_of(v.pid, v.pid) != 'T'; i++)
		test_sleep_ms(10);
	assert_int_equal(state_of(v.pid, v.pid), 'T');

	p = seize(&v, 0);
	assert_int_equal(p->group_stop, SIGSTOP);
	exercise(&v, p, idx_of(p, victim_tid(&v, "read")));
	exercise(&v, p, idx_of(p, victim_tid(&v, "nanosleep")));
	n = p->nthreads;
	for (size_t i = 0; i < n; i++)
		tids[i] = p->threads[i].tid;
	assert_int_equal(inject_detach(p), 0);

	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 100 && state_of(v.pid, tids[i]) != 'T'; k++)
			test_sleep_ms(10);
		assert_int_equal(state_of(v.pid, tids[i]), 'T');
		assert_int_equal(tracer_of(v.pid, tids[i]), 0);
	}
	test_sleep_ms(300);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(state_of(v.pid, tids[i]), 'T');
	victim_pump(&v, 0);
	assert_int_equal(victim_count(&v, "read-ok", NULL), 0);

	assert_int_equal(kill(v.pid, SIGCONT), 0);
	victim_wake_all(&v);
	assert_true(victim_wait(&v, "nanosleep-ok", 1, 5000));
	assert_full_sleeps(&v, 1000);
	victim_assert_no_eintr_stopped(&v, true);
	victim_stop(&v);
}

/* Released (a live transfer's source while it is copied): every thread
 * runs on untraced, the handle still reads the process; frozen again, it
 * runs syscalls as before.  Only with an empty journal. */
static void test_release_refreeze(void **state)
{
	const struct inject_undo undo = { .sys = ARCH_SYS_CLOSE, .flags = INJECT_UNDO_RESULT };
	uint64_t vs, ve, a, b;
	struct inject_proc *p;
	struct victim v;
	int64_t ret;
	int id = -1;

	(void)state;
	start_victim(&v, "-s1000", NULL);
	p = seize(&v, 0);
	assert_int_equal(inject_vdso_range(p, &vs, &ve), 0);
	assert_int_equal(inject_call_undo(p, ARCH_SYS_PIDFD_OPEN, (uint64_t[6]){ (uint64_t)v.pid },
					  &undo, -1, &ret, &id), 0);
	assert_true(ret >= 0);
	assert_int_equal(inject_release(p), -EBUSY);   /* a descriptor of ours is in it */
	assert_int_equal(p->nthreads > 0, 1);
	assert_int_equal(inject_journal_undo(p, id), 0);
	assert_int_equal(inject_release(p), 0);

	assert_int_equal(p->nthreads, 0);
	for (int i = 0; i < 100 * test_wait_scale() && tracer_of(v.pid, v.pid) != 0; i++)
		test_sleep_ms(10);
	assert_int_equal(tracer_of(v.pid, v.pid), 0);
	assert_true(inject_alive(p));
	assert_int_equal(inject_pid(p), v.pid);
	assert_int_equal(inject_read(p, vs, &a, sizeof a), 0);
	/* it runs: its main thread answers a command (not one of the blocked
	 * calls, which victim_wake_all below wakes exactly once) */
	victim_send(&v, "map 1");
	assert_true(victim_wait(&v, "map-ok ", 1, 5000));

	assert_int_equal(inject_refreeze(p), 0);
	assert_int_equal(inject_refreeze(p), -EINVAL);  /* frozen already */
	assert_true(p->nthreads > 0);
	assert_int_equal(tracer_of(v.pid, v.pid), getpid());
	assert_int_equal(inject_read(p, vs, &b, sizeof b), 0);
	assert_true(a == b);
	exercise(&v, p, idx_of(p, victim_tid(&v, "nanosleep")));
	assert_false(inject_group_stopped(p));
	assert_int_equal(inject_detach(p), 0);
	victim_wake_all(&v);
	assert_true(victim_wait(&v, "nanosleep-ok", 1, 5000));
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A signal sent while frozen is delivered after, with its own siginfo. */
static void test_signal_while_frozen(void **state)
{
	struct inject_proc *p;
	struct victim v;
	char want[64];
	unsigned passed = 0;
	int sent = 0;

	(void)state;
	start_victim(&v, NULL, NULL);
	p = seize(&v, 0);
	assert_int_equal(sigqueue(v.pid, SIGUSR1, (union sigval){ .sival_int = 7 }), 0);
	exercise(&v, p, idx_of(p, v.pid));
	test_sleep_ms(100);
	victim_pump(&v, 0);
	assert_int_equal(victim_count(&v, "sigusr1", NULL), 0);
	assert_int_equal(inject_detach(p), 0);
	snprintf(want, sizeof want, "sigusr1 code=%d pid=%d", SI_QUEUE, (int)getpid());
	assert_true(victim_wait(&v, want, 1, 5000));
	sent++;

	/* Signals racing the attach: some reach a thread first (a
	 * signal-delivery-stop, delivered there), none may be lost. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(kill(v.pid, SIGUSR1), 0);
		sent++;
		p = seize(&v, 0);
		passed += p->passed_signals;
		assert_int_equal(sys(p, idx_of(p, v.pid), ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0), v.pid);
		assert_int_equal(inject_detach(p), 0);
		assert_true(victim_wait(&v, "sigusr1", sent, 5000));
	}
	assert_int_equal(victim_count(&v, "sigusr1", NULL), sent);
	print_message("signals taken in a signal-delivery-stop while attaching: %u of 20\n", passed);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A SIGSTOP sent while frozen is taken by the thread running a syscall
 * (it cannot be blocked): the process stops then, and stays stopped after
 * the detach (and should pvmmap die, as it would have). */
static void test_sigstop_while_injecting(void **state)
{
	struct inject_proc *p;
	struct victim v;
	pid_t tids[16];
	size_t n;

	(void)state;
	start_victim(&v, "-s1000", NULL);
	p = seize(&v, 0);
	assert_int_equal(kill(v.pid, SIGSTOP), 0);
	exercise(&v, p, idx_of(p, victim_tid(&v, "read")));
	assert_int_equal(p->passed_signals, 1);
	n = p->nthreads;
	for (size_t i = 0; i < n; i++)
		tids[i] = p->threads[i].tid;
	assert_int_equal(inject_detach(p), 0);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 100 && state_of(v.pid, tids[i]) != 'T'; k++)
			test_sleep_ms(10);
		assert_int_equal(state_of(v.pid, tids[i]), 'T');
	}
	assert_int_equal(kill(v.pid, SIGCONT), 0);
	victim_wake_all(&v);
	assert_true(victim_wait(&v, "nanosleep-ok", 1, 5000));
	assert_full_sleeps(&v, 1000);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* ---- pvmmap's own death ------------------------------------------------ */

/* What a process shows of itself that the rescue must keep: every
 * thread's SigBlk and the state of its syscall, its maps, its fds. */
struct outside {
	char blk[4096], maps[32768], fds[4096];
};

static void outside_read(pid_t pid, struct outside *o)
{
	char path[96], text[4096];
	struct dirent *e;
	DIR *d;

	o->blk[0] = o->fds[0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d))) {
		const char *b;
		if (e->d_name[0] == '.')
			continue;
		b = status_field(pid, (pid_t)atoi(e->d_name), "SigBlk", text, sizeof text);
		if (b)
			snprintf(o->blk + strlen(o->blk), sizeof o->blk - strlen(o->blk), "%s=%.16s ",
				 e->d_name, b);
	}
	closedir(d);
	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	assert_true(read_text(path, o->maps, sizeof o->maps));
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		snprintf(o->fds + strlen(o->fds), sizeof o->fds - strlen(o->fds), "%s ", e->d_name);
	closedir(d);
}

/*
 * In a child (the tracer): seize the victim, run syscalls in several
 * threads, leave a journaled descriptor and mapping in it, then die
 * without letting go: at rest (@steps 0), or @steps steps into the mmap
 * (arming its journal change takes 3, its registers 1, the resume 1, the
 * entry stop 1, the resume 1, the exit stop 1: 4 is before it runs, 8 on
 * its way out with the result).
 */
static void die_holding(struct victim *v, int steps)
{
	pid_t child = fork();
	int st;

	assert_true(child >= 0);
	if (child == 0) {
		struct inject_proc *p = NULL;
		const struct inject_undo unmap = { .sys = ARCH_SYS_MUNMAP, .a1 = 4 * PAGE,
						   .flags = INJECT_UNDO_RESULT };
		const struct inject_undo close_it = { .sys = ARCH_SYS_CLOSE,
						      .flags = INJECT_UNDO_RESULT };
		int64_t ret;
		int id;

		if (inject_seize(v->pid, 0, 0, TIMEOUT_MS, &p))
			_exit(1);
		for (size_t i = 0; i < p->nthreads; i++)
			if (inject_syscall(p, i, arch_sysno(ARCH_SYS_GETPID), (uint64_t[6]){ 0 }, &ret) ||
			    ret != v->pid)
				_exit(2);
		if (inject_call_undo(p, ARCH_SYS_PIDFD_OPEN, (uint64_t[6]){ (uint64_t)v->pid },
				     &close_it, -1, &ret, &id) || ret < 0)
			_exit(3);
		if (steps)
			testpoint_die_after(steps);
		inject_call_undo(p, ARCH_SYS_MMAP,
				 (uint64_t[6]){ 0, 4 * PAGE, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1 },
				 &unmap, -1, &ret, &id);
		_exit(ret > 0 && inject_journal_count(p) == 2 ? 0 : 4);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	if (steps) {
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			fail_msg("the tracer was to die after %d steps: status %#x", steps, st);
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fail_msg("the tracer failed: status %#x", st);
	}
}

/* Every thread as if never touched: the same masks, maps and descriptors
 * (but for @extra_maps lines), every blocked syscall completes exactly. */
static void assert_untouched(struct victim *v, const struct outside *before, int extra_maps)
{
	struct outside now;
	int lines_before = 0, lines_now = 0;

	for (int i = 0; i < 100 * test_wait_scale(); i++) {
		outside_read(v->pid, &now);
		if (strcmp(now.blk, before->blk) == 0)
			break;
		test_sleep_ms(10);
	}
	assert_string_equal(now.blk, before->blk);
	assert_string_equal(now.fds, before->fds);
	for (const char *c = before->maps; *c; c++)
		lines_before += *c == '\n';
	for (const char *c = now.maps; *c; c++)
		lines_now += *c == '\n';
	assert_int_equal(lines_now, lines_before + extra_maps);
	if (!extra_maps)
		assert_string_equal(now.maps, before->maps);
	victim_wake_all(v);
	assert_true(victim_wait(v, "nanosleep-ok", 1, 5000));
	assert_full_sleeps(v, 1000);
	victim_assert_no_eintr(v);
}

/* The tracer dies at rest and right after a journaled syscall: the held
 * thread undoes the journal, puts its mask and registers back; nothing is
 * left but the vdso's tail (same maps); the others never ran for it. */
/* The registers of every thread blocked in a syscall, as a seize sees them
 * (a thread let go by the rescue code re-entered its syscall: the kernel
 * shows it exactly as one let go by a detach). */
static void blocked_regs(struct victim *v, pid_t *tids, struct arch_regs *regs, size_t n)
{
	struct inject_proc *p = seize(v, 0);

	for (size_t i = 0; i < n; i++)
		regs[i] = p->threads[idx_of(p, tids[i])].regs;
	assert_int_equal(inject_detach(p), 0);
}

static void test_tracer_dies(void **state)
{
	static const int at[] = { 0, 3, 4, 6, 8 };
	const char *names[] = { "read", "futex", "epoll", "sigwait", "pause" };
	enum { N = sizeof names / sizeof names[0] };

	for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
		struct arch_regs regs0[N], regs1[N];
		struct outside before;
		struct victim v;
		pid_t tids[N];

		(void)state;
		start_victim(&v, "-s1000", "-b");
		for (size_t i = 0; i < N; i++)
			tids[i] = victim_tid(&v, names[i]);
		/* first, while every thread sits in its syscall (rt_sigtimedwait
		 * shows its mask without the signals it waits for) */
		outside_read(v.pid, &before);
		blocked_regs(&v, tids, regs0, N);
		die_holding(&v, at[k]);
		test_sleep_ms(100);
		blocked_regs(&v, tids, regs1, N);
		for (size_t i = 0; i < N; i++) {
			if (memcmp(&regs0[i], &regs1[i], sizeof regs0[i]) != 0)
				fail_msg("registers of %s differ after the rescue (stage %d)", names[i], at[k]);
		}
		assert_untouched(&v, &before, 0);
		assert_still_counting(&v);
		victim_stop(&v);
	}
}

/* The same with the area in a mapping of its own: it is what is left
 * (the thread cannot unmap the code it runs), marked for pvmmap. */
static void test_tracer_dies_mapped(void **state)
{
	struct outside before, now;
	struct victim v;
	char magic[16], *nl, path[64];
	uint64_t at;
	int fd;

	(void)state;
	setenv("PVMMAP_RESCUE", "mapped", 1);
	start_victim(&v, "-s1000", NULL);
	outside_read(v.pid, &before);
	die_holding(&v, 8);
	unsetenv("PVMMAP_RESCUE");
	assert_untouched(&v, &before, 1);
	/* the one new line: r-xp, private, anonymous, starting with the mark */
	outside_read(v.pid, &now);
	for (char *line = now.maps; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strstr(before.maps, line))
			continue;
		assert_non_null(strstr(line, " r-xp 00000000 00:00 0"));
		assert_int_equal(sscanf(line, "%" SCNx64, &at), 1);
	}
	snprintf(path, sizeof path, "/proc/%d/mem", (int)v.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, magic, sizeof magic, (off_t)at), (ssize_t)sizeof magic);
	close(fd);
	assert_string_equal(magic, "pvmmap rescue 1");
	victim_stop(&v);
}

/* Drop CAP_SYS_ADMIN (and, with @uid, become that user). */
static bool drop_privileges(uid_t uid)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (uid != 0 && (setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0))
		return false;
	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &h, d) == 0;
}

/* inject_seize in a child with fewer privileges; its result. */
static int seize_as(struct victim *v, uid_t uid, unsigned flags)
{
	int fds[2], r = 0, st;
	pid_t child;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct inject_proc *p = NULL;
		int rc = drop_privileges(uid) ? inject_seize(v->pid, 0, flags, TIMEOUT_MS, &p) : 1;
		if (rc == 0)
			rc = inject_detach(p);
		_exit(write(fds[1], &rc, sizeof rc) == sizeof rc ? 0 : 1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &r, sizeof r), (ssize_t)sizeof r);
	close(fds[0]);
	assert_int_equal(waitpid(child, &st, 0), child);
	return r;
}

/* Denied: another user; suspending seccomp without CAP_SYS_ADMIN. */
static void test_denied(void **state)
{
	struct passwd *nobody = getpwnam("nobody");
	struct victim v;

	(void)state;
	start_victim(&v, NULL, NULL);
	assert_int_equal(seize_as(&v, 0, 0), 0);
	assert_int_equal(seize_as(&v, 0, INJECT_SUSPEND_SECCOMP), -EACCES);
	assert_non_null(nobody);
	assert_int_equal(seize_as(&v, nobody->pw_uid, 0), -EPERM);
	for (size_t i = 0; i < NBLOCKED; i++)
		assert_int_equal(tracer_of(v.pid, victim_tid(&v, blocked_names[i])), 0);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* SIGTRAP: one queued for a thread we run syscalls in is not taken by our
 * stops, and an ignored SIGTRAP stays ignored (a single step would not). */
static void test_sigtrap(void **state)
{
	struct inject_proc *p;
	struct victim v;
	char want[80];
	pid_t tid;
	int idx;

	(void)state;
	start_victim(&v, NULL, NULL);
	tid = victim_tid(&v, "read");
	p = seize(&v, 0);
	idx = idx_of(p, tid);
	assert_int_equal(syscall(SYS_tgkill, v.pid, tid, SIGTRAP), 0);
	exercise(&v, p, idx);
	assert_int_equal(inject_detach(p), 0);
	snprintf(want, sizeof want, "sigtrap tid=%d code=%d pid=%d", (int)tid, SI_TKILL, (int)getpid());
	assert_true(victim_wait(&v, want, 1, 5000));
	assert_int_equal(victim_count(&v, "sigtrap", NULL), 1);

	victim_send(&v, "trap-ignore");
	assert_true(victim_wait(&v, "trap-ignore-ok", 1, 5000));
	assert_true(sig_ign(v.pid) & (UINT64_C(1) << (SIGTRAP - 1)));
	p = seize(&v, 0);
	exercise(&v, p, idx_of(p, tid));
	exercise(&v, p, idx_of(p, v.pid));
	assert_int_equal(inject_detach(p), 0);
	assert_true(sig_ign(v.pid) & (UINT64_C(1) << (SIGTRAP - 1)));
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* Another tracer holds it: -EBUSY, and nothing changes. */
static void test_already_traced(void **state)
{
	struct inject_proc *p = NULL;
	struct victim v;
	pid_t tracer;
	int st;

	(void)state;
	start_victim(&v, NULL, NULL);
	tracer = fork();
	assert_true(tracer >= 0);
	if (tracer == 0) {
		if (ptrace(PTRACE_SEIZE, v.pid, NULL, NULL) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	for (int i = 0; i < 500 && tracer_of(v.pid, v.pid) != tracer; i++)
		test_sleep_ms(10);
	assert_int_equal(tracer_of(v.pid, v.pid), tracer);
	assert_int_equal(inject_seize(v.pid, 0, 0, TIMEOUT_MS, &p), -EBUSY);
	assert_null(p);
	kill(tracer, SIGKILL);
	waitpid(tracer, &st, 0);

	p = seize(&v, 0);
	assert_int_equal(inject_detach(p), 0);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* Zombie, gone, reused, not a process. */
static void test_attach_errors(void **state)
{
	struct inject_proc *p = NULL;
	struct victim v;
	char text[32];
	pid_t child;
	int st;

	(void)state;
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	for (int i = 0; i < 500 && state_of(child, child) != 'Z'; i++)
		test_sleep_ms(10);
	assert_int_equal(state_of(child, child), 'Z');
	assert_int_equal(inject_seize(child, 0, 0, TIMEOUT_MS, &p), -EOWNERDEAD);
	assert_null(p);
	assert_int_equal(waitpid(child, &st, 0), child);

	assert_true(read_text("/proc/sys/kernel/pid_max", text, sizeof text));
	assert_int_equal(inject_seize((pid_t)strtol(text, NULL, 10) + 1, 0, 0, TIMEOUT_MS, &p), -ESRCH);
	assert_int_equal(inject_seize(getpid(), 0, 0, TIMEOUT_MS, &p), -EINVAL);
	assert_int_equal(inject_seize(0, 0, 0, TIMEOUT_MS, &p), -EINVAL);

	start_victim(&v, NULL, NULL);
	/* the start time pins the pid: another one means another process */
	assert_int_equal(inject_seize(v.pid, start_time_of(v.pid) + 1, 0, TIMEOUT_MS, &p), -ESRCH);
	assert_int_equal(inject_seize(victim_tid(&v, "read"), 0, 0, TIMEOUT_MS, &p), -EINVAL);
	assert_null(p);
	assert_int_equal(tracer_of(v.pid, v.pid), 0);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A vfork parent cannot stop: the attach times out, lets the rest go. */
static void test_timeout(void **state)
{
	struct victim v;
	pid_t helper, vchild, vtid = 0;
	const char *l;
	char path[64], comm[32];
	int fds[2], r = 0, st;
	struct dirent *e;
	DIR *d;

	(void)state;
	start_victim(&v, NULL, NULL);
	victim_send(&v, "vfork");
	assert_true(victim_wait(&v, "vfork-child ", 1, 5000));
	victim_count(&v, "vfork-child ", &l);
	vchild = (pid_t)strtol(l + 12, NULL, 10);
	snprintf(path, sizeof path, "/proc/%d/task", (int)v.pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char p2[sizeof path + sizeof e->d_name + 8];
		snprintf(p2, sizeof p2, "%s/%s/comm", path, e->d_name);
		if (e->d_name[0] != '.' && read_text(p2, comm, sizeof comm) && strcmp(comm, "v-vfork\n") == 0)
			vtid = (pid_t)strtol(e->d_name, NULL, 10);
	}
	closedir(d);
	assert_true(vtid > 0);
	for (int i = 0; i < 100 * test_wait_scale() && state_of(v.pid, vtid) != 'D'; i++)
		test_sleep_ms(10);
	assert_int_equal(state_of(v.pid, vtid), 'D');

	/* In a process of its own: the thread that never stopped stays
	 * attached to the tracer until the tracer exits. */
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		struct inject_proc *p = NULL;
		int rc = inject_seize(v.pid, 0, 0, 300, &p);
		if (write(fds[1], &rc, sizeof rc) != sizeof rc)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &r, sizeof r), (ssize_t)sizeof r);
	close(fds[0]);
	assert_int_equal(waitpid(helper, &st, 0), helper);
	assert_int_equal(r, -ETIMEDOUT);

	assert_int_equal(tracer_of(v.pid, v.pid), 0);
	assert_int_equal(tracer_of(v.pid, victim_tid(&v, "read")), 0);
	assert_int_equal(tracer_of(v.pid, vtid), 0);
	victim_wake_all(&v);
	assert_int_equal(kill(vchild, SIGKILL), 0);
	assert_true(victim_wait(&v, "vfork-ok", 1, 5000));
	assert_asleep(v.pid);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* Threads come and go during the attach: they are tolerated. */
static void test_thread_churn(void **state)
{
	struct victim v;

	(void)state;
	start_victim(&v, NULL, NULL);
	victim_send(&v, "churn");
	assert_true(victim_wait(&v, "churn-started", 1, 5000));
	for (int i = 0; i < 20; i++) {
		struct inject_proc *p = seize(&v, 0);
		size_t live = 0;
		for (size_t k = 0; k < p->nthreads; k++)
			live += (p->threads[k].state & INJECT_T_STOPPED) != 0;
		assert_true(live >= 9);         /* main, 7 blocked, the churner */
		assert_int_equal(sys(p, idx_of(p, victim_tid(&v, "read")), ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0),
				 v.pid);
		assert_int_equal(inject_detach(p), 0);
	}
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* A seccomp filter that kills on getppid: refused unless suspended. */
static void test_seccomp(void **state)
{
	uint64_t args[6] = { 0 };
	struct inject_proc *p;
	struct victim v;
	int64_t ret = 0;
	int idx;

	(void)state;
	start_victim(&v, NULL, NULL);
	victim_send(&v, "seccomp");
	assert_true(victim_wait(&v, "seccomp-ok", 1, 5000));
	p = seize(&v, 0);
	idx = idx_of(p, victim_tid(&v, "read"));
	assert_true(p->threads[idx].state & INJECT_T_SECCOMP);
	assert_int_equal(inject_syscall(p, (size_t)idx, arch_sysno(ARCH_SYS_GETPPID), args, &ret), -EACCES);
	assert_int_equal(inject_detach(p), 0);

	p = seize(&v, INJECT_SUSPEND_SECCOMP);
	idx = idx_of(p, victim_tid(&v, "read"));
	assert_false(p->threads[idx].state & INJECT_T_SECCOMP);
	assert_int_equal(sys(p, idx, ARCH_SYS_GETPPID, 0, 0, 0, 0, 0, 0), getpid());
	exercise(&v, p, idx);
	assert_int_equal(inject_detach(p), 0);
	test_sleep_ms(100);
	assert_asleep(v.pid);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* Memory the process cannot touch itself: through /proc/PID/mem. */
static void test_memory_fallback(void **state)
{
	unsigned char out[PAGE], in[PAGE];
	struct inject_proc *p;
	struct victim v;
	int64_t addr;
	int idx;

	(void)state;
	start_victim(&v, NULL, NULL);
	p = seize(&v, 0);
	idx = idx_of(p, victim_tid(&v, "read"));
	addr = sys(p, idx, ARCH_SYS_MMAP, 0, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   (uint64_t)-1, 0);
	assert_true(addr > 0);
	{
		struct iovec l = { in, PAGE }, r = { (void *)(uintptr_t)addr, PAGE };
		assert_int_equal(process_vm_readv(v.pid, &l, 1, &r, 1, 0), -1);
		assert_int_equal(errno, EFAULT);
	}
	for (size_t i = 0; i < PAGE; i++)
		out[i] = (unsigned char)(i ^ 0x5a);
	assert_int_equal(inject_write(p, (uint64_t)addr, out, PAGE), 0);
	assert_int_equal(inject_read(p, (uint64_t)addr, in, PAGE), 0);
	assert_memory_equal(in, out, PAGE);
	assert_int_equal(inject_read(p, 0, in, 16), -EFAULT);
	assert_int_equal(sys(p, idx, ARCH_SYS_MUNMAP, (uint64_t)addr, PAGE, 0, 0, 0, 0), 0);
	assert_int_equal(inject_read(p, (uint64_t)addr, in, 16), -EFAULT);
	assert_int_equal(inject_detach(p), 0);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* An injected syscall that blocks is interrupted after the timeout; the
 * thread stays usable. */
static void test_blocking_injection(void **state)
{
	uint64_t args[6] = { 0 };
	struct inject_proc *p = NULL;
	struct victim v;
	int64_t buf, ret = 0;
	int idx;

	(void)state;
	start_victim(&v, NULL, NULL);
	assert_int_equal(inject_seize(v.pid, 0, 0, 300, &p), 0);
	idx = idx_of(p, victim_tid(&v, "futex"));
	buf = sys(p, idx, ARCH_SYS_MMAP, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  (uint64_t)-1, 0);
	assert_true(buf > 0);
	args[0] = 0;                    /* the victim's stdin: nothing comes */
	args[1] = (uint64_t)buf;
	args[2] = 1;
	assert_int_equal(inject_syscall(p, (size_t)idx, arch_sysno(ARCH_SYS_READ), args, &ret), -ETIMEDOUT);
	assert_int_equal(sys(p, idx, ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0), v.pid);
	assert_int_equal(sys(p, idx, ARCH_SYS_MUNMAP, (uint64_t)buf, PAGE, 0, 0, 0, 0), 0);
	assert_int_equal(inject_detach(p), 0);
	victim_wake_all(&v);
	victim_send(&v, "count");          /* stdin still reaches the main thread */
	assert_true(victim_wait(&v, "count 0", 1, 5000));
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* ---- the caller's signals --------------------------------------------- */

/* A page in the process holding a struct timespec of @ms, for nanosleep. */
static uint64_t timespec_inside(struct inject_proc *p, int idx, long ms)
{
	struct timespec req = { ms / 1000, (ms % 1000) * 1000000L };
	int64_t addr = sys(p, idx, ARCH_SYS_MMAP, 0, PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);

	assert_true(addr > 0);
	assert_int_equal(inject_write(p, (uint64_t)addr, &req, sizeof req), 0);
	return (uint64_t)addr;
}

/* nanosleep(@at) injected in thread @idx: its result. */
static int64_t nanosleep_inside(struct inject_proc *p, int idx, uint64_t at)
{
	int64_t ret = INT64_MIN;

	assert_int_equal(inject_syscall(p, (size_t)idx, SYS_nanosleep, (uint64_t[6]){ at }, &ret), 0);
	return ret;
}

/*
 * An injected nanosleep of @ms in thread @idx: its stops come while the
 * wait sleeps, and the syscall must end with its own result, not a
 * timeout (the seize's timeout is TIMEOUT_MS, far beyond @ms).
 */
static void sleep_inside(struct inject_proc *p, int idx, long ms)
{
	uint64_t at = timespec_inside(p, idx, ms);

	assert_int_equal(nanosleep_inside(p, idx, at), 0);
	assert_int_equal(sys(p, idx, ARCH_SYS_MUNMAP, at, PAGE, 0, 0, 0, 0), 0);
}

static void *sit(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/*
 * A wait that sleeps sees the stop it waits for: an injected syscall that
 * takes a while ends with its result.  Alone, and with a second thread of
 * the caller that has SIGCHLD unblocked (SIG_DFL): that thread takes every
 * SIGCHLD sent while the waiting thread is not asleep in sigtimedwait.
 */
static void test_wait_sees_stop(void **state)
{
	struct inject_proc *p;
	struct victim v;
	pthread_t other;

	(void)state;
	start_victim(&v, NULL, NULL);
	p = seize(&v, 0);
	sleep_inside(p, idx_of(p, victim_tid(&v, "read")), 300);
	exercise(&v, p, idx_of(p, victim_tid(&v, "futex")));
	assert_int_equal(inject_detach(p), 0);

	assert_int_equal(pthread_create(&other, NULL, sit, NULL), 0);
	p = seize(&v, 0);
	sleep_inside(p, idx_of(p, victim_tid(&v, "read")), 300);
	for (int i = 0; i < 20; i++)
		exercise(&v, p, idx_of(p, victim_tid(&v, "futex")));
	assert_int_equal(inject_detach(p), 0);
	assert_int_equal(pthread_cancel(other), 0);
	assert_int_equal(pthread_join(other, NULL), 0);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/*
 * The victim is killed while an injected syscall sleeps in thread @tid:
 * the wait ends with the thread lost, as the death of the process, not at
 * the timeout.  The leader reports its exit only once every other thread
 * is reaped, so it takes the reap of the exited threads too.
 */
static void killed_while_waiting(bool leader)
{
	struct inject_proc *p = NULL;
	struct victim v;
	int64_t ret = 0;
	uint64_t addr;
	pid_t killer;
	int idx, st;

	start_victim(&v, NULL, NULL);
	assert_int_equal(inject_seize(v.pid, 0, 0, 30000, &p), 0);
	idx = idx_of(p, leader ? v.pid : victim_tid(&v, "read"));
	addr = timespec_inside(p, idx, 20000);
	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		usleep(200000);
		kill(v.pid, SIGKILL);
		_exit(0);
	}
	assert_int_equal(inject_syscall(p, (size_t)idx, SYS_nanosleep, (uint64_t[6]){ addr }, &ret),
			 -ESRCH);
	assert_true(inject_exited(p, TIMEOUT_MS));
	/* Every thread dead before the detach reaps them: one still on its
	 * way out would be left to a tracer's wait, and victim_stop's
	 * waitpid would wait for the leader for ever. */
	for (size_t i = 0; i < p->nthreads; i++)
		for (int k = 0; k < 500 && !strchr("ZX?", state_of(v.pid, p->threads[i].tid)); k++)
			test_sleep_ms(10);
	inject_detach(p);
	assert_int_equal(waitpid(killer, &st, 0), killer);
	victim_stop(&v);
}

static void test_killed_while_waiting(void **state)
{
	(void)state;
	killed_while_waiting(false);
	killed_while_waiting(true);
}

static int sigchlds;

static void count_sigchld(int sig)
{
	(void)sig;
	sigchlds++;
}

/* The caller's mask and SIGCHLD disposition are what they were. */
static void assert_signals_kept(const sigset_t *mask, const struct sigaction *sa)
{
	struct sigaction now_sa;
	sigset_t now;

	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &now), 0);
	for (int sig = 1; sig < NSIG; sig++)
		assert_int_equal(sigismember(&now, sig), sigismember(mask, sig));
	assert_int_equal(sigaction(SIGCHLD, NULL, &now_sa), 0);
	assert_ptr_equal(now_sa.sa_handler, sa->sa_handler);
	assert_int_equal(now_sa.sa_flags & SA_NOCLDSTOP, sa->sa_flags & SA_NOCLDSTOP);
}

/* Seize, a few syscalls and a sleep inside, detach; the caller's signals
 * are as they were after it. */
static void inject_under(struct victim *v)
{
	struct sigaction sa;
	struct inject_proc *p;
	sigset_t mask;

	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &mask), 0);
	assert_int_equal(sigaction(SIGCHLD, NULL, &sa), 0);
	p = seize(v, 0);
	exercise(v, p, idx_of(p, victim_tid(v, "read")));
	sleep_inside(p, idx_of(p, victim_tid(v, "read")), 50);
	assert_int_equal(inject_detach(p), 0);
	assert_signals_kept(&mask, &sa);
}

/*
 * The caller's SIGCHLD stays its own: with SIGCHLD blocked in its mask
 * (a caller that takes it by sigwait or signalfd), a SIGCHLD of its own
 * child is still pending after the injection it came during, and the
 * child is still there to reap; with none of its own, ignored, or with SA_NOCLDSTOP (no SIGCHLD for a stop),
 * injections still see every stop; with a handler, the handler still
 * hears of them; mask and disposition come back unchanged.
 */
static void test_caller_sigchld(void **state)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
	struct sigaction nostop = { .sa_handler = count_sigchld, .sa_flags = SA_NOCLDSTOP };
	struct sigaction handler = { .sa_handler = count_sigchld };
	sigset_t chld, pending, old;
	struct inject_proc *p;
	struct victim v;
	pid_t child;
	uint64_t at;
	int idx, st;

	(void)state;
	start_victim(&v, NULL, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);

	/* A child of the caller exits while an injected syscall sleeps,
	 * and nothing else is pending when it starts: the SIGCHLD is
	 * pending when it returns (whatever siginfo it carries, as SIGCHLDs
	 * merge), and the child is the caller's to reap. */
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &chld, &old), 0);
	p = seize(&v, 0);
	idx = idx_of(p, victim_tid(&v, "read"));
	at = timespec_inside(p, idx, 300);
	while (sigtimedwait(&chld, NULL, &(struct timespec){ 0, 0 }) == SIGCHLD)
		;
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		usleep(50000);
		_exit(0);
	}
	assert_int_equal(nanosleep_inside(p, idx, at), 0);
	assert_int_equal(sigpending(&pending), 0);
	assert_true(sigismember(&pending, SIGCHLD));
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	assert_int_equal(sys(p, idx, ARCH_SYS_MUNMAP, at, PAGE, 0, 0, 0, 0), 0);
	assert_int_equal(inject_detach(p), 0);
	while (sigtimedwait(&chld, NULL, &(struct timespec){ 0, 0 }) == SIGCHLD)
		;
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	inject_under(&v);

	assert_int_equal(sigaction(SIGCHLD, &ign, NULL), 0);
	inject_under(&v);
	assert_int_equal(sigaction(SIGCHLD, &nostop, NULL), 0);
	sigchlds = 0;
	inject_under(&v);
	assert_int_equal(sigchlds, 0);          /* no stop raises one */
	assert_int_equal(sigaction(SIGCHLD, &handler, NULL), 0);
	inject_under(&v);
	assert_true(sigchlds > 0);
	assert_int_equal(sigaction(SIGCHLD, &dfl, NULL), 0);

	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* Measured, not asserted: the time of one injected syscall. */
static void test_timing(void **state)
{
	struct inject_proc *p;
	struct victim v;
	const int n = 2000;
	long long t0;
	int idx;

	(void)state;
	start_victim(&v, "-b", NULL);
	t0 = test_now_ms();
	p = seize(&v, 0);
	print_message("attach of %zu threads: %lld ms\n", p->nthreads, test_now_ms() - t0);
	idx = idx_of(p, victim_tid(&v, "read"));
	for (int i = 0; i < n; i++)
		assert_int_equal(sys(p, idx, ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0), v.pid);
	print_message("injected getpid in the held thread (rescue code): %.1f us each (%d)\n",
		      (double)p->syscall_ns / (double)p->nsyscalls / 1000.0, n);
	p->syscall_ns = p->nsyscalls = 0;
	idx = idx_of(p, victim_tid(&v, "busy"));
	for (int i = 0; i < n; i++)
		assert_int_equal(sys(p, idx, ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0), v.pid);
	print_message("injected getpid in another thread, held and let go each time: %.1f us each (%d)\n",
		      (double)p->syscall_ns / (double)p->nsyscalls / 1000.0, n);
	/* what a rescue area in a mapping of its own leaves unguarded: one
	 * plain syscall to make it, one to remove it */
	p->unguarded_ns = 0;
	idx = idx_of(p, victim_tid(&v, "futex"));
	for (int i = 0; i < n; i++) {
		int64_t ret;
		assert_int_equal(inject_plain_syscall(p, (size_t)idx, arch_sysno(ARCH_SYS_GETPID),
						      (uint64_t[6]){ 0 }, &ret), 0);
		assert_int_equal(ret, v.pid);
	}
	print_message("a plain injected syscall (an unguarded instant): %.1f us each (%d)\n",
		      (double)p->unguarded_ns / n / 1000.0, n);
	t0 = test_now_ms();
	assert_int_equal(inject_detach(p), 0);
	print_message("detach: %lld ms\n", test_now_ms() - t0);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

/* ---- SVE (arm64) ------------------------------------------------------- */

/* SVE, or with @streaming SME (HWCAP2_SME, asm/hwcap.h: 1 << 23). */
static bool sve_usable(const char *opt)
{
#if defined(__aarch64__)
	return strcmp(opt, "-S") == 0 ? getauxval(AT_HWCAP2) & (1UL << 23)
				      : getauxval(AT_HWCAP) & HWCAP_SVE;
#else
	(void)opt;
	return false;
#endif
}

/* The test skips, saying why, where the CPU has not what @opt asks. */
static void sve_require(const char *opt)
{
	if (!sve_usable(opt)) {
		print_message("skipped: no %s (AT_HWCAP%s)\n", strcmp(opt, "-S") ? "SVE" : "SME",
			      strcmp(opt, "-S") ? "" : "2");
		skip();
	}
}

/* The victim's sve thread (-v, -V, -S) turns on, and never found a register of
 * its SVE state changed (it names the first it finds: sve-bad REG). */
static void assert_sve_intact(struct victim *v)
{
	unsigned long n0 = 0, n = 0;
	const char *l;
	int asked = victim_count(v, "sve ", NULL);

	for (int i = 0; i < 100 * test_wait_scale() && n <= n0; i++) {
		if (i)
			test_sleep_ms(50);
		victim_send(v, "sve");
		assert_true(victim_wait(v, "sve ", ++asked, 5000));
		victim_count(v, "sve ", &l);
		n = strtoul(l + 4, NULL, 10);
		if (i == 0)
			n0 = n;
	}
	if (n <= n0)
		fail_msg("the sve thread stayed at %lu turns", n);
	l = strstr(v->log, "sve-bad");
	if (l)
		fail_msg("%.40s", l);
	victim_count(v, "sve ", &l);
	print_message("the sve thread: %.40s\n", l);
}

/*
 * A thread stopped in user code with live SVE state (z upper bits, p,
 * ffr), syscalls run in it from the rescue code, let go: its SVE state is
 * what it was (every svc discards it; arch_xstate_get/set keep it).  -V:
 * at the CPU's largest vector length; -S: in streaming mode (NT_ARM_SSVE,
 * which a syscall leaves).
 */
static void sve_kept(const char *opt)
{
	struct inject_proc *p;
	struct victim v;
	int idx;

	sve_require(opt);
	start_victim(&v, opt, NULL);
	p = seize(&v, 0);
	idx = idx_of(p, victim_tid(&v, "sve"));
	assert_true(in_user_code(p, idx));
	assert_non_null(p->threads[idx].xstate);        /* seen live */
	exercise(&v, p, idx);
	assert_int_equal(p->threads[idx].last_site, INJECT_SITE_RESCUE);
	assert_int_equal(inject_detach(p), 0);
	assert_sve_intact(&v);
	victim_wake_all(&v);
	victim_assert_no_eintr(&v);
	victim_stop(&v);
}

static void test_sve_kept(void **state)
{
	(void)state;
	sve_kept("-v");
}

static void test_sve_kept_max_vl(void **state)
{
	(void)state;
	sve_kept("-V");
}

static void test_sve_kept_streaming(void **state)
{
	(void)state;
	sve_kept("-S");
}

/*
 * The tracer dies while the sve thread is held (the anchor: the first to
 * run a syscall from the rescue code), at rest (@steps 0) or @steps steps
 * into a second syscall: the thread leaves the rescue code through
 * rt_sigreturn on the frame made at the hold, whose SVE record puts its
 * SVE state back (arch_rescue_frame).
 */
static void sve_tracer_dies(const char *opt)
{
	static const int at[] = { 0, 2, 4 };

	sve_require(opt);
	for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
		struct victim v;
		pid_t child, tid;
		int st;

		start_victim(&v, opt, NULL);
		tid = victim_tid(&v, "sve");
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			struct inject_proc *p = NULL;
			int64_t ret;
			size_t i;

			if (inject_seize(v.pid, 0, 0, TIMEOUT_MS, &p))
				_exit(1);
			for (i = 0; i < p->nthreads && p->threads[i].tid != tid; i++)
				;
			if (i == p->nthreads || !p->threads[i].xstate)
				_exit(2);
			if (inject_syscall(p, i, arch_sysno(ARCH_SYS_GETPID), (uint64_t[6]){ 0 }, &ret) ||
			    ret != v.pid || p->anchor != (int)i)
				_exit(3);
			if (at[k])
				testpoint_die_after(at[k]);
			inject_syscall(p, i, arch_sysno(ARCH_SYS_GETPID), (uint64_t[6]){ 0 }, &ret);
			_exit(ret == v.pid ? 0 : 4);
		}
		assert_int_equal(waitpid(child, &st, 0), child);
		if (at[k] ? !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL
			  : !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fail_msg("the tracer (to die after %d steps): status %#x", at[k], st);
		assert_sve_intact(&v);
		victim_stop(&v);
	}
}

static void test_sve_tracer_dies(void **state)
{
	(void)state;
	sve_tracer_dies("-v");
}

static void test_sve_tracer_dies_max_vl(void **state)
{
	(void)state;
	sve_tracer_dies("-V");
}

static void test_sve_tracer_dies_streaming(void **state)
{
	(void)state;
	sve_tracer_dies("-S");
}

#define T(f) cmocka_unit_test_setup_teardown(f, fds_before, fds_after)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seize_detach),
		T(test_inject_read_thread),
		T(test_inject_nanosleep_thread),
		T(test_inject_busy_thread),
		T(test_inject_written),
		T(test_registers_restored),
		T(test_group_stopped),
		T(test_release_refreeze),
		T(test_signal_while_frozen),
		T(test_sigstop_while_injecting),
		T(test_sigtrap),
		T(test_already_traced),
		T(test_attach_errors),
		T(test_denied),
		T(test_timeout),
		T(test_thread_churn),
		T(test_seccomp),
		T(test_memory_fallback),
		T(test_blocking_injection),
		T(test_wait_sees_stop),
		T(test_killed_while_waiting),
		T(test_caller_sigchld),
		T(test_timing),
		T(test_tracer_dies),
		T(test_tracer_dies_mapped),
		T(test_sve_kept),
		T(test_sve_kept_max_vl),
		T(test_sve_tracer_dies),
		T(test_sve_tracer_dies_max_vl),
		T(test_sve_kept_streaming),
		T(test_sve_tracer_dies_streaming),
	};

	signal(SIGPIPE, SIG_IGN);
	/* One test or a few by name (a glob), as where a run is slow (arm64
	 * under emulation). */
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
