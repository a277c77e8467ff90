/* Probe: the route of issue 10.  S (the source) makes two uffds (WP_ASYNC,
 * USER_MODE_ONLY); H (the holder, standing for pvmmap) takes both with
 * pidfd_getfd, S closes its copies, H registers part of S's range with the
 * first and tries the second (a source already registered).  The observer
 * scans S's pagemap with reset, S writes, then H is SIGKILLed: does the
 * registration go, is S's write protection cleared, does S run on? */
#include "probe.h"
#include <signal.h>
#include <sys/wait.h>
#define NP 64
static int cmd[2], ack[2];
static char *buf;                                  /* same address in all three */
static void say(int fd, int v) { CHECK(write(fd, &v, sizeof v) == sizeof v); }
static int hear(int fd) { int v = -1; CHECK(read(fd, &v, sizeof v) == sizeof v); return v; }

int main(void)
{
	buf = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED && !pipe(cmd) && !pipe(ack));
	pid_t s = fork();
	if (!s) {                                  /* S: make, close, write on demand */
		for (int i = 0; i < NP / 2; i++) buf[i * PG] = 1;
		int u1 = uffd_new(UFFD_USER_MODE_ONLY, F_WP_ASYNC, NULL);
		int u2 = uffd_new(UFFD_USER_MODE_ONLY, F_WP_ASYNC, NULL);
		say(ack[1], u1); say(ack[1], u2);
		for (int c; (c = hear(cmd[0])) != 'q';) {
			if (c == 'c') { close(u1); close(u2); }
			else buf[(c - 1000) * PG] = 5;  /* write page c-1000 */
			say(ack[1], 0);
		}
		_exit(0);
	}
	int u1 = hear(ack[0]), u2 = hear(ack[0]);
	int vmas0 = count_vmas(s);
	pid_t h = fork();
	if (!h) {                                  /* H: take, register, hold */
		int pfd = syscall(SYS_pidfd_open, s, 0);
		int f1 = syscall(SYS_pidfd_getfd, pfd, u1, 0);
		int f2 = syscall(SYS_pidfd_getfd, pfd, u2, 0);
		CHECK(f1 >= 0 && f2 >= 0);
		int r1 = uffd_reg_wp(f1, buf + 16 * PG, 32 * PG);
		int r2 = uffd_reg_wp(f2, buf + 16 * PG, 32 * PG);
		int r3 = uffd_reg_wp(f2, buf + 48 * PG, 8 * PG);
		struct uffdio_register rm = { .range = { (uintptr_t)buf + 56 * PG, 8 * PG },
					      .mode = UFFDIO_REGISTER_MODE_MISSING };
		CHECK(!ioctl(f2, UFFDIO_REGISTER, &rm));
		char vf[256], vm[256];
		vmflags(s, buf + 56 * PG, vm, sizeof vm);
		printf("H: S's VmFlags where the second uffd registered MISSING: %s\n", vm);
		vmflags(getpid(), buf + 16 * PG, vf, sizeof vf);
		printf("H: register via taken fd: %s; second uffd, same range: %s; "
		       "second uffd, next range: %s\nH: own VmFlags (its copy of the range): %s\n",
		       r1 ? strerror(-r1) : "ok", r2 ? strerror(-r2) : "ok",
		       r3 ? strerror(-r3) : "ok", vf);
		fflush(stdout);
		say(ack[1], 0);
		pause();
		_exit(0);
	}
	CHECK(hear(ack[0]) == 0);
	char vf[256], path[64];
	vmflags(s, buf + 16 * PG, vf, sizeof vf);
	printf("S: VmFlags %s; VMAs %d -> %d\n", vf, vmas0, count_vmas(s));
	say(cmd[1], 'c'); hear(ack[0]);          /* S closes its copies */
	snprintf(path, sizeof path, "/proc/%d/pagemap", s);
	int pm = open(path, O_RDONLY);
	CHECK(pm >= 0);
	printf("S closed its fds; reset scan of S from the observer: %ld written pages\n",
	       scan_written(pm, buf + 16 * PG, 32 * PG, 1, 0, NULL));
	printf("reset scan over a range with an unregistered VMA: %ld\n",
	       scan_written(pm, buf, NP * PG, 1, 0, NULL));
	say(cmd[1], 1000 + 20); hear(ack[0]);
	say(cmd[1], 1000 + 40); hear(ack[0]);     /* 40: never touched before */
	printf("S wrote pages 20, 40: scan says %ld written (no reset)\n",
	       scan_written(pm, buf + 16 * PG, 32 * PG, 0, 0, NULL));
	long a = scan_written(pm, buf + 16 * PG, 32 * PG, 1, 0, NULL);
	printf("reset again: %ld; then: %ld\n", a,
	       scan_written(pm, buf + 16 * PG, 32 * PG, 0, 0, NULL));
	kill(h, SIGKILL);
	waitpid(h, NULL, 0);
	vmflags(s, buf + 16 * PG, vf, sizeof vf);
	printf("H killed and reaped: S VmFlags %s; VMAs %d\n", vf, count_vmas(s));
	a = scan_written(pm, buf + 16 * PG, 32 * PG, 0, 0, NULL);
	printf("  S's pages unprotected? written %ld of 32 (present or not); reset scan: %ld\n",
	       a, scan_written(pm, buf + 16 * PG, 32 * PG, 1, 0, NULL));
	say(cmd[1], 1000 + 21); hear(ack[0]);
	say(cmd[1], 1000 + 41); hear(ack[0]);
	say(cmd[1], 'q');
	int st;
	waitpid(s, &st, 0);
	printf("  S wrote on and exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	return 0;
}
