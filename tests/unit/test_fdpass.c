/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fdpass.c against live processes: build/fixtures/victim (run `make
 * fixtures` first), frozen with inject_seize, is given descriptors this
 * process holds, maps them, and must end with exactly the descriptor table
 * it had.  Also in another mount and network namespace, as another user,
 * and with its descriptor table (RLIMIT_NOFILE) full.  Needs root.
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
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#include "arch.h"
#include "fdpass.h"
#include "inject.h"
#include "inject_priv.h"  /* white-box: the engine's syscall counts */

#define VICTIM PVMMAP_FIXTURES "/victim"
#define TIMEOUT_MS 5000
#define PAGE 4096

/* ---- the victim (as in test_inject.c) --------------------------------- */

enum how { PLAIN, NAMESPACES, NOBODY };


/* In the child, before exec: the victim's surroundings. */
static bool prepare_child(enum how how)
{
	struct passwd *nobody;

	switch (how) {
	case PLAIN:
		return true;
	case NAMESPACES:
		/* Another mount namespace with another /tmp, and another
		 * network namespace (so another abstract socket space): no
		 * path or address of ours means anything there. */
		return unshare(CLONE_NEWNS | CLONE_NEWNET) == 0 &&
		       mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		       mount("fdpass-test", "/tmp", "tmpfs", 0, NULL) == 0;
	case NOBODY:
		nobody = getpwnam("nobody");
		return nobody && setgroups(0, NULL) == 0 &&
		       setresgid(nobody->pw_gid, nobody->pw_gid, nobody->pw_gid) == 0 &&
		       setresuid(nobody->pw_uid, nobody->pw_uid, nobody->pw_uid) == 0;
	}
	return false;
}

static bool prepare(void *how)
{
	return prepare_child(*(enum how *)how);
}

static void start_victim(struct victim *v, enum how how)
{
	char a0[] = VICTIM;
	char *argv[] = { a0, NULL };

	victim_start(v, argv, prepare, &how);
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

/* A process's descriptor table as /proc/PID/fd shows it, by number. */
#define MAXFD 64
struct fdtab {
	size_t n;
	struct {
		int fd;
		char link[128];
	} e[MAXFD];
};

static int by_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void fdtab_read(pid_t pid, struct fdtab *t)
{
	char dir[64], path[64 + 256 + 2];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	t->n = 0;
	while ((de = readdir(d))) {
		ssize_t k;
		if (de->d_name[0] == '.')
			continue;
		assert_true(t->n < MAXFD);
		t->e[t->n].fd = (int)strtol(de->d_name, NULL, 10);
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		k = readlink(path, t->e[t->n].link, sizeof t->e[t->n].link - 1);
		assert_true(k > 0);
		t->e[t->n].link[k] = '\0';
		t->n++;
	}
	closedir(d);
	qsort(t->e, t->n, sizeof t->e[0], by_fd);
}

static void fdtab_print(const char *what, const struct fdtab *t)
{
	print_message("%s:\n", what);
	for (size_t i = 0; i < t->n; i++)
		print_message("  %d -> %s\n", t->e[i].fd, t->e[i].link);
}

static bool fdtab_has(const struct fdtab *t, int fd, const char *link)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].fd == fd)
			return !link || strcmp(t->e[i].link, link) == 0;
	return false;
}

/* @now is @was, plus @extra when that is >= 0. */
static void assert_fdtab(pid_t pid, const struct fdtab *was, int extra)
{
	struct fdtab now;
	bool same = true;

	fdtab_read(pid, &now);
	same = now.n == was->n + (extra >= 0);
	for (size_t i = 0; same && i < was->n; i++)
		same = fdtab_has(&now, was->e[i].fd, was->e[i].link);
	if (same && extra >= 0)
		same = fdtab_has(&now, extra, NULL) && !fdtab_has(was, extra, NULL);
	if (!same) {
		fdtab_print("before", was);
		fdtab_print("now", &now);
		fail_msg("descriptor table of %d changed (extra %d)", (int)pid, extra);
	}
}

/* The @k-th (from 0) number that is not an open descriptor. */
static int free_slot(const struct fdtab *t, int k)
{
	for (int fd = 0;; fd++)
		if (!fdtab_has(t, fd, NULL) && k-- == 0)
			return fd;
}

static void fdinfo_flags(pid_t pid, int fd, unsigned *flags)
{
	char path[64], text[512], *f;

	snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)pid, fd);
	assert_true(read_text(path, text, sizeof text));
	f = strstr(text, "flags:");
	assert_non_null(f);
	*flags = (unsigned)strtoul(f + 6, NULL, 8);
}

/* /proc/PID/fd/FD is the object @fd is. */
static void assert_same_object(pid_t pid, int remote, int fd)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)pid, remote);
	assert_int_equal(stat(path, &a), 0);
	assert_int_equal(fstat(fd, &b), 0);
	assert_int_equal(a.st_dev, b.st_dev);
	assert_int_equal(a.st_ino, b.st_ino);
}

static void assert_maps_perms(pid_t pid, uint64_t addr, const char *perms)
{
	char path[64], line[512], p[8] = "";
	uint64_t s, e;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	while (!found && fgets(line, sizeof line, f))
		found = sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s", &s, &e, p) == 3 && s <= addr && addr < e;
	fclose(f);
	assert_true(found);
	assert_string_equal(p, perms);
}

static bool same_ns(pid_t pid, const char *ns)
{
	char a[64], b[64], la[64] = "", lb[64] = "";

	snprintf(a, sizeof a, "/proc/%d/ns/%s", (int)pid, ns);
	snprintf(b, sizeof b, "/proc/self/ns/%s", ns);
	assert_true(readlink(a, la, sizeof la - 1) > 0);
	assert_true(readlink(b, lb, sizeof lb - 1) > 0);
	return strcmp(la, lb) == 0;
}

/* ---- injection helpers ------------------------------------------------ */

static struct inject_proc *seize(struct victim *v)
{
	struct inject_proc *p = NULL;

	assert_int_equal(inject_seize(v->pid, start_time_of(v->pid), 0, TIMEOUT_MS, &p), 0);
	assert_non_null(p);
	return p;
}

static int64_t call(struct inject_proc *p, enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2,
		    uint64_t a3, uint64_t a4, uint64_t a5)
{
	int64_t ret = INT64_MIN;

	assert_int_equal(inject_call(p, s, a0, a1, a2, a3, a4, a5, &ret), 0);
	return ret;
}

static uint64_t map_in(struct inject_proc *p, int prot)
{
	int64_t addr = call(p, ARCH_SYS_MMAP, 0, PAGE, (uint64_t)prot, MAP_PRIVATE | MAP_ANONYMOUS,
			    (uint64_t)-1, 0);

	assert_true(addr > 0 && addr % PAGE == 0);
	return (uint64_t)addr;
}

static void unmap_in(struct inject_proc *p, uint64_t addr, uint64_t len)
{
	assert_int_equal(call(p, ARCH_SYS_MUNMAP, addr, len, 0, 0, 0, 0), 0);
}

/* A memfd of two pages, filled with a pattern, mapped here at *mine. */
static int make_memfd(unsigned char **mine, unsigned seed)
{
	int fd = memfd_create("fdpass-test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 * PAGE), 0);
	*mine = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(*mine != MAP_FAILED);
	for (size_t i = 0; i < 2 * PAGE; i++)
		(*mine)[i] = (unsigned char)(i * 13 + seed);
	return fd;
}

/*
 * The whole round: give the frozen victim a memfd, map it there
 * (MAP_SHARED), check the bytes both ways (one object, not a copy), unmap,
 * close; the victim's descriptor table is @before again.
 */
static void roundtrip(struct victim *v, struct inject_proc *p, uint64_t scratch,
		      const struct fdtab *before)
{
	unsigned char buf[2 * PAGE], *mine;
	const char msg[] = "written in the victim";
	int mfd = make_memfd(&mine, 7), remote = -1, undo = -1;
	unsigned flags = 0;
	int64_t addr;

	assert_int_equal(fdpass_send(p, mfd, scratch, &remote, &undo), 0);
	assert_true(remote >= 0);
	/* exactly one descriptor more: both socket ends are gone again */
	assert_fdtab(v->pid, before, remote);
	assert_same_object(v->pid, remote, mfd);
	fdinfo_flags(v->pid, remote, &flags);
	assert_true(flags & O_CLOEXEC);
	assert_int_equal(flags & O_ACCMODE, O_RDWR);

	addr = call(p, ARCH_SYS_MMAP, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, (uint64_t)remote, 0);
	assert_true(addr > 0 && addr % PAGE == 0);
	assert_maps_perms(v->pid, (uint64_t)addr, "rw-s");
	assert_int_equal(inject_read(p, (uint64_t)addr, buf, sizeof buf), 0);
	assert_memory_equal(buf, mine, sizeof buf);

	/* written here, seen there */
	memset(mine + 100, 0xa5, 300);
	assert_int_equal(inject_read(p, (uint64_t)addr, buf, sizeof buf), 0);
	assert_memory_equal(buf, mine, sizeof buf);
	/* written there, seen here */
	assert_int_equal(inject_write(p, (uint64_t)addr + PAGE + 5, msg, sizeof msg), 0);
	assert_memory_equal(mine + PAGE + 5, msg, sizeof msg);

	/* the mapping outlives the descriptor, as any mmap does */
	assert_int_equal(fdpass_close(p, remote, undo), 0);
	assert_fdtab(v->pid, before, -1);
	mine[0] = 0x42;
	assert_int_equal(inject_read(p, (uint64_t)addr, buf, 1), 0);
	assert_int_equal(buf[0], 0x42);
	unmap_in(p, (uint64_t)addr, 2 * PAGE);
	assert_int_equal(fdpass_close(p, remote, undo), -EBADF);

	assert_int_equal(munmap(mine, 2 * PAGE), 0);
	close(mfd);
}

/* Start, freeze, round trip, let go, check the victim is unharmed. */
static void run_roundtrip(enum how how)
{
	struct inject_proc *p;
	struct fdtab before;
	struct victim v;
	uint64_t scratch;

	start_victim(&v, how);
	fdtab_read(v.pid, &before);
	p = seize(&v);
	scratch = map_in(p, PROT_READ | PROT_WRITE);
	roundtrip(&v, p, scratch, &before);
	unmap_in(p, scratch, PAGE);
	assert_int_equal(inject_detach(p), 0);
	assert_fdtab(v.pid, &before, -1);
	victim_assert_fine(&v);
	assert_fdtab(v.pid, &before, -1);
	victim_stop(&v);
}

/* ---- tests ------------------------------------------------------------ */

/* A memfd, mapped MAP_SHARED in the victim: the same object both ways. */
static void test_memfd(void **state)
{
	(void)state;
	run_roundtrip(PLAIN);
}

/* Another mount namespace (another /tmp) and another network namespace. */
static void test_namespaces(void **state)
{
	struct victim v;

	(void)state;
	start_victim(&v, NAMESPACES);
	assert_false(same_ns(v.pid, "mnt"));
	assert_false(same_ns(v.pid, "net"));
	victim_stop(&v);
	run_roundtrip(NAMESPACES);
}

/* A victim running as nobody: the descriptor works for it all the same. */
static void test_other_user(void **state)
{
	char path[64], text[4096];
	struct victim v;

	(void)state;
	start_victim(&v, NOBODY);
	snprintf(path, sizeof path, "/proc/%d/status", (int)v.pid);
	assert_true(read_text(path, text, sizeof text));
	assert_non_null(strstr(text, "\nUid:\t65534\t65534\t65534\t65534\n"));
	victim_stop(&v);
	run_roundtrip(NOBODY);
}

/* A file opened read-only here stays read-only there: one open file
 * description, its mode and offset shared. */
static void test_readonly_file(void **state)
{
	char tmpl[] = "/tmp/fdpass-test-XXXXXX", buf[16];
	struct inject_proc *p;
	struct fdtab before;
	struct victim v;
	uint64_t scratch;
	unsigned flags;
	int fd, wfd, remote = -1, undo = -1;
	int64_t addr;

	(void)state;
	wfd = mkostemp(tmpl, O_CLOEXEC);
	assert_true(wfd >= 0);
	assert_int_equal(write(wfd, "file contents\n", 14), 14);
	assert_int_equal(ftruncate(wfd, PAGE), 0);
	fd = open(tmpl, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(unlink(tmpl), 0);
	close(wfd);

	start_victim(&v, PLAIN);
	fdtab_read(v.pid, &before);
	p = seize(&v);
	scratch = map_in(p, PROT_READ | PROT_WRITE);
	assert_int_equal(fdpass_send(p, fd, scratch, &remote, &undo), 0);
	assert_fdtab(v.pid, &before, remote);
	assert_same_object(v.pid, remote, fd);
	fdinfo_flags(v.pid, remote, &flags);
	assert_int_equal(flags & O_ACCMODE, O_RDONLY);
	assert_true(flags & O_CLOEXEC);

	addr = call(p, ARCH_SYS_MMAP, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, (uint64_t)remote, 0);
	assert_int_equal(addr, -EACCES);
	addr = call(p, ARCH_SYS_MMAP, 0, PAGE, PROT_READ, MAP_SHARED, (uint64_t)remote, 0);
	assert_true(addr > 0);
	assert_int_equal(inject_read(p, (uint64_t)addr, buf, 14), 0);
	assert_memory_equal(buf, "file contents\n", 14);
	unmap_in(p, (uint64_t)addr, PAGE);
	/* the offset is shared: a read there moves ours */
	assert_int_equal(call(p, ARCH_SYS_READ, (uint64_t)remote, scratch, 5, 0, 0, 0), 5);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);

	assert_int_equal(fdpass_close(p, remote, undo), 0);
	unmap_in(p, scratch, PAGE);
	assert_int_equal(inject_detach(p), 0);
	assert_fdtab(v.pid, &before, -1);
	victim_assert_fine(&v);
	victim_stop(&v);
	close(fd);
}

/* RLIMIT_NOFILE down to the table: a clean -EMFILE, nothing left behind.
 * Two free slots are needed (the socketpair), one is kept. */
static void test_table_full(void **state)
{
	struct rlimit was, lim;
	struct inject_proc *p;
	struct fdtab before;
	struct victim v;
	uint64_t scratch;
	unsigned char *mine;
	int mfd, remote = 0, undo = -1;

	(void)state;
	start_victim(&v, PLAIN);
	mfd = make_memfd(&mine, 3);
	fdtab_read(v.pid, &before);
	assert_int_equal(prlimit(v.pid, RLIMIT_NOFILE, NULL, &was), 0);
	p = seize(&v);
	scratch = map_in(p, PROT_READ | PROT_WRITE);

	for (int free_slots = 0; free_slots <= 1; free_slots++) {
		/* the soft limit at the (free_slots)-th unused number: that
		 * many free slots below it */
		lim = (struct rlimit){ .rlim_cur = (rlim_t)free_slot(&before, free_slots),
				       .rlim_max = was.rlim_max };
		assert_int_equal(prlimit(v.pid, RLIMIT_NOFILE, &lim, NULL), 0);
		remote = 0;
		assert_int_equal(fdpass_send(p, mfd, scratch, &remote, &undo), -EMFILE);
		assert_int_equal(remote, -1);
		assert_fdtab(v.pid, &before, -1);
	}
	/* two free: it fits, in the higher of the two (sv[0] holds the
	 * lower one while the descriptor arrives) */
	lim.rlim_cur = (rlim_t)free_slot(&before, 2);
	assert_int_equal(prlimit(v.pid, RLIMIT_NOFILE, &lim, NULL), 0);
	assert_int_equal(fdpass_send(p, mfd, scratch, &remote, &undo), 0);
	assert_int_equal(remote, free_slot(&before, 1));
	assert_fdtab(v.pid, &before, remote);
	assert_same_object(v.pid, remote, mfd);
	assert_int_equal(fdpass_close(p, remote, undo), 0);
	assert_fdtab(v.pid, &before, -1);

	assert_int_equal(prlimit(v.pid, RLIMIT_NOFILE, &was, NULL), 0);
	unmap_in(p, scratch, PAGE);
	assert_int_equal(inject_detach(p), 0);
	assert_fdtab(v.pid, &before, -1);
	victim_assert_fine(&v);
	victim_stop(&v);
	assert_int_equal(munmap(mine, 2 * PAGE), 0);
	close(mfd);
}

/* Failures at each step leave the victim's table as it was. */
static void test_errors(void **state)
{
	struct inject_proc *p;
	struct fdtab before;
	struct victim v;
	uint64_t scratch, ro;
	unsigned char *mine;
	int mfd, remote = 0, undo = -1, closed;

	(void)state;
	start_victim(&v, PLAIN);
	mfd = make_memfd(&mine, 5);
	fdtab_read(v.pid, &before);
	p = seize(&v);
	scratch = map_in(p, PROT_READ | PROT_WRITE);

	/* no descriptor at all */
	assert_int_equal(fdpass_send(p, -1, scratch, &remote, &undo), -EBADF);
	assert_int_equal(remote, -1);
	/* a closed one: sendmsg fails after both sockets exist.  A high
	 * number: a low one would be taken again by pidfd_getfd's copy of
	 * the socket, and the socket sent. */
	closed = fcntl(mfd, F_DUPFD_CLOEXEC, 900);
	assert_true(closed >= 900);
	close(closed);
	remote = 0;
	assert_int_equal(fdpass_send(p, closed, scratch, &remote, &undo), -EBADF);
	assert_int_equal(remote, -1);
	assert_fdtab(v.pid, &before, -1);

	/* our own table full: pidfd_getfd fails, after the socketpair */
	{
		struct rlimit was, lim;
		int lowest = dup(0), rc;

		assert_true(lowest >= 0);
		close(lowest);
		assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
		lim = (struct rlimit){ .rlim_cur = (rlim_t)lowest, .rlim_max = was.rlim_max };
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
		remote = 0;
		rc = fdpass_send(p, mfd, scratch, &remote, &undo);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
		assert_int_equal(rc, -EMFILE);
		assert_int_equal(remote, -1);
		assert_fdtab(v.pid, &before, -1);
	}

	/* scratch that is no memory of the victim's */
	assert_int_equal(fdpass_send(p, mfd, 0, &remote, &undo), -EFAULT);
	unmap_in(p, scratch, PAGE);
	assert_int_equal(fdpass_send(p, mfd, scratch, &remote, &undo), -EFAULT);
	assert_fdtab(v.pid, &before, -1);
	/* read-only scratch: inject_write gets through /proc/PID/mem, the
	 * victim's own kernel calls do not */
	ro = map_in(p, PROT_READ);
	assert_int_equal(fdpass_send(p, mfd, ro, &remote, &undo), -EFAULT);
	assert_int_equal(remote, -1);
	assert_fdtab(v.pid, &before, -1);
	unmap_in(p, ro, PAGE);

	assert_int_equal(fdpass_close(p, -1, -1), -EBADF);
	assert_int_equal(fdpass_close(p, free_slot(&before, 0), 99), -EBADF);
	assert_int_equal(inject_detach(p), 0);
	assert_fdtab(v.pid, &before, -1);
	victim_assert_fine(&v);
	victim_stop(&v);
	assert_int_equal(munmap(mine, 2 * PAGE), 0);
	close(mfd);
}

/* Many in one freeze, several held at once: distinct numbers, nothing
 * leaks on either side (the teardown counts our own descriptors). */
static void test_many(void **state)
{
	enum { HELD = 5, ROUNDS = 50 };
	int mfd[HELD], remote[HELD], undo[HELD];
	unsigned char *mine[HELD], byte;
	struct inject_proc *p;
	struct fdtab before;
	struct victim v;
	uint64_t scratch;

	(void)state;
	start_victim(&v, PLAIN);
	fdtab_read(v.pid, &before);
	p = seize(&v);
	scratch = map_in(p, PROT_READ | PROT_WRITE);
	for (int r = 0; r < ROUNDS; r++)
		roundtrip(&v, p, scratch, &before);

	for (int i = 0; i < HELD; i++) {
		mfd[i] = make_memfd(&mine[i], (unsigned)i);
		assert_int_equal(fdpass_send(p, mfd[i], scratch, &remote[i], &undo[i]), 0);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(remote[i], remote[k]);
		assert_same_object(v.pid, remote[i], mfd[i]);
	}
	for (int i = 0; i < HELD; i++) {
		int64_t addr = call(p, ARCH_SYS_MMAP, 0, PAGE, PROT_READ, MAP_SHARED, (uint64_t)remote[i], PAGE);
		assert_true(addr > 0);
		assert_int_equal(inject_read(p, (uint64_t)addr, &byte, 1), 0);
		assert_int_equal(byte, mine[i][PAGE]);
		unmap_in(p, (uint64_t)addr, PAGE);
		assert_int_equal(fdpass_close(p, remote[i], undo[i]), 0);
		assert_int_equal(munmap(mine[i], 2 * PAGE), 0);
		close(mfd[i]);
	}
	assert_fdtab(v.pid, &before, -1);
	unmap_in(p, scratch, PAGE);
	print_message("%" PRIu64 " injected syscalls, %.1f us each\n", p->nsyscalls,
		      (double)p->syscall_ns / (double)p->nsyscalls / 1000.0);
	assert_int_equal(inject_detach(p), 0);
	victim_assert_fine(&v);
	victim_stop(&v);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fds_before, fds_after)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_memfd),
		T(test_namespaces),
		T(test_other_user),
		T(test_readonly_file),
		T(test_table_full),
		T(test_errors),
		T(test_many),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
