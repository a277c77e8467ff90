/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace engine (see inject.h for the contract).
 *
 * Kernel behaviour this file relies on, each checked by a probe on 6.18
 * (x86_64) unless a comment says otherwise:
 *
 *  1. PTRACE_SEIZE + PTRACE_INTERRUPT stops a thread with PTRACE_EVENT_STOP
 *     (status >> 8 == SIGTRAP | PTRACE_EVENT_STOP << 8).  If the process was
 *     group-stopped, the stop reports the stop signal instead of SIGTRAP,
 *     and the INTERRUPT stays pending: the next resume traps once more
 *     with PTRACE_EVENT_STOP before the thread runs a single instruction.
 *  2. Any ptrace stop clears a pending PTRACE_INTERRUPT (ptrace_stop: "any
 *     trap clears pending STOP trap").  A thread that stops for a signal
 *     first must be interrupted again.
 *  3. Resuming a signal-delivery-stop with the signal delivers it (sets up
 *     the handler's frame, or takes the default action); with a
 *     PTRACE_INTERRUPT pending the thread then stops again before running
 *     a single instruction of the handler.
 *  4. PTRACE_GETSIGMASK gives the thread's own mask even inside ppoll,
 *     pselect6, rt_sigsuspend or epoll_pwait, which run with a temporary
 *     one (kernel 5.1, backported to stable 4.14+).  PTRACE_SETSIGMASK drops
 *     the "restore the saved mask" mark; after the syscall restarts it
 *     installs its temporary mask again, and the thread's own mask is
 *     in force after it returns.  The rescue code restores that own mask
 *     with rt_sigprocmask before it re-enters the syscall: the same.
 *  5. A syscall interrupted by the stop shows orig_rax = its number and
 *     rax = -ERESTARTSYS, -ERESTARTNOHAND or -ERESTART_RESTARTBLOCK
 *     (read, futex, accept, wait4, recv: 512; pause, select, pselect6,
 *     ppoll, rt_sigsuspend, msgrcv, absolute clock_nanosleep: 514;
 *     nanosleep, relative clock_nanosleep, poll, futex with a timeout:
 *     516); ip is just after the syscall instruction.  Putting these
 *     registers back raw and resuming restarts the syscall; a sleep ends at
 *     its original deadline (restart_block), or when the thread is let go
 *     if that deadline passed while it was stopped.
 *  6. These return -EINTR (4) to the thread on a ptrace stop although no
 *     signal came: epoll_wait, epoll_pwait, rt_sigtimedwait (with or
 *     without a timeout), semop/semtimedop, and socket calls with
 *     SO_RCVTIMEO/SO_SNDTIMEO.  See restart_spurious_eintr().
 *  7. PTRACE_SINGLESTEP over the syscall instruction ends in a forced
 *     SIGTRAP: with SIGTRAP blocked or ignored the kernel resets the
 *     process's SIGTRAP disposition to SIG_DFL (SigIgn loses bit 5), and a
 *     SIGTRAP queued for the thread would be taken during the step.
 *     PTRACE_SYSCALL stops at syscall entry and exit with no signal at all,
 *     so every signal stays blocked: this file uses it.  Cost, measured
 *     by a probe: 23 us for the two stops against 16 us for a step; a
 *     whole inject_syscall takes 35-45 us in this VM (test_timing).
 *  8. A thread detached at its syscall-exit stop, registers put back,
 *     restarts its interrupted syscall like one detached at its
 *     PTRACE_EVENT_STOP: the detach sets TIF_SIGPENDING on a traced task
 *     (__ptrace_unlink), so the exit path goes through the restart logic.
 *  9. A detached thread of a process that is still group-stopped stops
 *     again by itself (__ptrace_unlink sets JOBCTL_STOP_PENDING while
 *     SIGNAL_STOP_STOPPED holds); no signal needs to be sent.
 * 10. A vfork parent waits in TASK_KILLABLE: PTRACE_INTERRUPT does not wake
 *     it, and PTRACE_DETACH fails with ESRCH on a thread that is not
 *     stopped, so it stays attached until the tracer thread exits.
 * 11. When the tracer dies, every tracee is let go (exit_ptrace) with the
 *     registers and mask it has at that instant: a thread stopped on the
 *     way out of an injected syscall returns to whatever ip says with that
 *     syscall's result.  Hence the rescue area (src/rescue.c).
 * 12. Writing the vdso through /proc/PID/mem works (it is mapped
 *     VM_MAYWRITE so that debuggers can set breakpoints): the process gets
 *     its own copy of the page, and code written into the page's unused
 *     tail runs (probed on 6.18: a thread resumed there after its tracer
 *     exited ran it, restored its mask and registers with iretq and
 *     finished its nanosleep on time through restart_syscall).
 * 13. Every ptrace stop sends the tracer's process a SIGCHLD (si_code
 *     CLD_STOPPED for PTRACE_EVENT_STOP, CLD_TRAPPED for a syscall stop),
 *     as does every exit of a traced thread -- unless its SIGCHLD is
 *     ignored or its handler has SA_NOCLDSTOP: then a stop only wakes
 *     wait4 (do_notify_parent_cldstop).  A pidfd, of the process or of the
 *     thread (PIDFD_THREAD), does not become readable at a ptrace stop:
 *     POLLIN means exit.  A SIGCHLD blocked in the tracer thread alone is
 *     taken by another thread that has it unblocked, or dropped at once
 *     when that thread has it at SIG_DFL.
 */
#include "inject.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "compat.h"
#include "inject_priv.h"
#include "procfs.h"
#include "rescue.h"
#include "testpoint.h"
#include "vma.h"

#define SEIZE_PASSES 8          /* re-reads of /proc/PID/task */
#define STOP_LIMIT   16         /* stops one wait or one syscall may go through */
#define SIGSET_BYTES 8          /* the kernel's sigset_t */
#define MAX_INSN     16
#define VDSO_MAX     ((size_t)1 << 20)
#define DETACH_GRACE_MS 100     /* for stops not collected by a failed attach */

/* ------------------------------------------------------------------ time */


static uint64_t deadline_after(int ms)
{
	return clock_now_ns() + (uint64_t)(ms > 0 ? ms : 0) * 1000000u;
}

static void mark_gone(struct inject_thread *t);

/*
 * Reap the threads of @p, other than @tid, that have exited: a traced
 * thread stays a zombie until its tracer waits for it, and the kernel
 * reports the leader's own exit only once every other thread of the group
 * is reaped (delay_group_leader).  A tracee's ptrace stops are reported
 * even to waitid(WEXITED) (wait_task_stopped), so look first (WNOWAIT) and
 * take only an exit: no stop of a live thread is consumed here.
 */
static void reap_exited(struct inject_proc *p, pid_t tid)
{
	for (size_t i = 0; p && i < p->nthreads; i++) {
		struct inject_thread *t = &p->threads[i];
		siginfo_t si = { 0 };
		if (t->tid == tid || !(t->state & INJECT_T_SEIZED))
			continue;
		if (waitid(P_PID, (id_t)t->tid, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0 ||
		    si.si_pid != t->tid ||
		    (si.si_code != CLD_EXITED && si.si_code != CLD_KILLED && si.si_code != CLD_DUMPED))
			continue;
		waitid(P_PID, (id_t)t->tid, &si, WEXITED | WNOHANG | __WALL);
		mark_gone(t);
	}
}

/*
 * How long one sleep of wait_tid may last before it looks again without
 * having been woken: a SIGCHLD can be lost to another thread of the caller
 * (see wait_tid), and a pending SIGCHLD absorbs the next ones, so the one
 * of a stop can hide an exit that needs a reap.  A caller with one thread
 * loses no wake-up: its longer bound is for that exit alone.
 */
#define WAIT_LONE_NS   10000000ull
#define WAIT_SHARED_NS 1000000ull
/*
 * Look again without sleeping for this long first: most stops of an
 * injected syscall come within it, and waking a sleeping tracer costs more
 * than that in a VM.  Without a yield: sched_yield hands the CPU to a busy
 * thread of the tracee for its whole slice.  Measured on a 2-CPU VM, load
 * 4 (median of 5): an injected getpid 40 us with the earlier yield loop,
 * 58 us sleeping at once, 48 us with this; a freeze, getpid and release
 * of a process with a spinning thread 0.25-2.9 ms with yields, 0.22-0.37
 * ms with this or sleeping at once.
 */
#define WAIT_SPIN_NS   20000ull
/* Naps where no SIGCHLD comes for a stop: from this, doubling to 1 ms. */
#define WAIT_NAP_NS    10000ull
#define WAIT_NAP_MAX   1000000ull

/* Whether the calling process has other threads: a directory of /proc
 * counts 2 links, and /proc/PID/task one more per thread. */
static bool caller_alone(void)
{
	struct stat st;

	return stat("/proc/self/task", &st) == 0 && st.st_nlink <= 3;
}

static bool is_exit_code(int code)
{
	return code == CLD_EXITED || code == CLD_KILLED || code == CLD_DUMPED;
}

/*
 * Wait for a change of thread @tid of @p until @deadline.  waitpid cannot
 * time out, a timer signal would meddle with the caller's signals, and a
 * pidfd says nothing of a stop, so after looking for WAIT_SPIN_NS, sleep
 * in sigtimedwait for the SIGCHLD the kernel sends for every ptrace stop
 * and every exit of a traced thread (fact 13), then look with
 * waitpid(WNOHANG): a long syscall costs one wake-up, not a poll loop, and
 * is seen when it ends, not at the end of a nap.  The SIGCHLD is only a
 * hint; the per-tid waitpid decides, so a stop of another thread stays
 * queued for its own wait.
 *
 * The caller's signals (each checked by a probe on 6.18):
 *  - SIGCHLD is blocked in this thread for the wait and its mask put back
 *    after: unblocked with SIG_DFL, the kernel would discard the signal
 *    at once (sig_ignored), and it must stay pending between the waitpid
 *    and the sleep.  Inside sigtimedwait this thread is the one the kernel
 *    picks for it (complete_signal tries the parent thread first).
 *  - Another thread of the caller with SIGCHLD unblocked takes a SIGCHLD
 *    sent while this one is not in sigtimedwait: that wake-up is lost, so
 *    with other threads a sleep lasts WAIT_SHARED_NS at most (the longest
 *    nap of the earlier poll loop).
 *  - SIGCHLD ignored, or a handler with SA_NOCLDSTOP: the kernel sends
 *    none for a stop, only wakes wait4; then nap, from 10 us to 1 ms.
 *  - A SIGCHLD taken here that the caller would have seen (its handler,
 *    or SIGCHLD blocked in its mask: sigwait, signalfd) is queued again,
 *    the last one with its siginfo, before the mask goes back: a SIGCHLD
 *    of the caller's own child may have merged into one of a stop.
 *
 * A process killed meanwhile ends the wait at once: its exited threads are
 * reaped (so that the one waited for can report: the kernel reports a
 * leader only once every other thread is reaped), and its pidfd says when
 * the whole group is gone -- waiting for a dying thread would hold the
 * other process of a transfer frozen for the whole timeout.
 */
static int wait_tid(struct inject_proc *p, pid_t tid, int *status, uint64_t deadline)
{
	uint64_t nap = WAIT_NAP_NS, span = 0, spin_until = 0;
	bool armed = false, signalled = false, seen = false, took = false;
	struct sigaction sa;
	siginfo_t taken = { 0 };
	sigset_t chld, old;
	int r = 0;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		struct pollfd pfd = { .fd = p ? p->pidfd : -1, .events = POLLIN };
		pid_t w = waitpid(tid, status, __WALL | WNOHANG);
		struct timespec ts;
		uint64_t now, left;
		siginfo_t si;

		if (w == tid)
			break;
		if (w < 0 && errno != EINTR) {
			r = errno == ECHILD ? -ESRCH : -errno;
			break;
		}
		if (pfd.fd >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
			r = -ESRCH;
			break;
		}
		now = clock_now_ns();
		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (!spin_until)
			spin_until = now + WAIT_SPIN_NS;
		if (!armed && now < spin_until)
			continue;
		/* Only a wait that has to sleep touches the signals; a stop
		 * that came before the block may have lost its SIGCHLD, so
		 * look once more after it. */
		if (!armed) {
			if (sigaction(SIGCHLD, NULL, &sa) != 0)
				sa.sa_handler = SIG_IGN;
			signalled = sa.sa_handler != SIG_IGN && !(sa.sa_flags & SA_NOCLDSTOP);
			r = -pthread_sigmask(SIG_BLOCK, &chld, &old);
			if (r)
				break;
			armed = true;
			seen = sigismember(&old, SIGCHLD) == 1 ||
			       (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
			continue;
		}
		if (!signalled)
			span = nap;
		else if (!span)
			span = caller_alone() ? WAIT_LONE_NS : WAIT_SHARED_NS;
		left = deadline - now < span ? deadline - now : span;
		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		if (sigtimedwait(&chld, &si, &ts) == SIGCHLD) {
			taken = si;
			took = true;
			if (is_exit_code(si.si_code))
				reap_exited(p, tid);
			continue;
		}
		/* Nothing came in time (or another signal's handler ran):
		 * an exit may hide behind an earlier SIGCHLD. */
		reap_exited(p, tid);
		if (nap < WAIT_NAP_MAX)
			nap *= 2;
	}
	/* To the caller's own process, by its tid: a siginfo with a
	 * kernel's si_code is only queued to one's own tid
	 * (do_rt_sigqueueinfo); the signal goes to the whole process. */
	if (took && seen)
		syscall(SYS_rt_sigqueueinfo, gettid(), SIGCHLD, &taken);
	if (armed)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static bool is_exit(int st)
{
	return WIFEXITED(st) || WIFSIGNALED(st);
}

static int stop_event(int st)
{
	return (int)((unsigned)st >> 16);
}

static bool is_syscall_stop(int st)
{
	return WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80);
}

static bool is_event_stop(int st)
{
	return WIFSTOPPED(st) && stop_event(st) == PTRACE_EVENT_STOP;
}

static bool is_signal_stop(int st)
{
	return WIFSTOPPED(st) && stop_event(st) == 0 && !is_syscall_stop(st);
}

/* ------------------------------------------------------------------ /proc */

struct task_status {
	char state;
	pid_t tracer;
	int seccomp;
	uint64_t sigpnd, shdpnd;
	uint64_t nvcsw;          /* voluntary_ctxt_switches */
};

static int task_status(const struct inject_proc *p, pid_t tid, struct task_status *ts)
{
	char path[48], *text;
	const char *v;
	uint64_t n;
	int r;

	snprintf(path, sizeof path, "task/%d/status", (int)tid);
	r = procfs_read_pid(p->procfd, path, PROCFS_CAP, &text, NULL);
	if (r < 0)
		return r;
	*ts = (struct task_status){ 0 };
	if ((v = procfs_field(text, "State")))
		ts->state = *v;
	if (procfs_field_u64(text, "TracerPid", 10, &n) == 0)
		ts->tracer = (pid_t)n;
	if (procfs_field_u64(text, "Seccomp", 10, &n) == 0)
		ts->seccomp = (int)n;
	if (procfs_field_u64(text, "SigPnd", 16, &n) == 0)
		ts->sigpnd = n;
	if (procfs_field_u64(text, "ShdPnd", 16, &n) == 0)
		ts->shdpnd = n;
	if (procfs_field_u64(text, "voluntary_ctxt_switches", 10, &n) == 0)
		ts->nvcsw = n;
	free(text);
	return 0;
}

/*
 * Where the registers at a stop cannot say a syscall's first argument
 * (aarch64), note the syscall the thread is blocked in now, before it is
 * interrupted (fact 6, restart_spurious_eintr).  The switch count comes
 * first: a thread that leaves its syscall and blocks in another between
 * the two reads has switched once more than the stop alone explains.
 */
static void syscall_seen(struct inject_proc *p, struct inject_thread *t)
{
	struct arch_syscall_seen *s = &t->seen;
	struct task_status ts;
	char path[48], *text;
	int n;

	t->seen_ok = false;
	if (task_status(p, t->tid, &ts) != 0)
		return;
	snprintf(path, sizeof path, "task/%d/syscall", (int)t->tid);
	if (procfs_read_pid(p->procfd, path, PROCFS_CAP, &text, NULL) < 0)
		return;
	/* "running", "-1 sp pc" (blocked, in no syscall), or
	 * "nr a0 a1 a2 a3 a4 a5 sp pc" (fs/proc/base.c proc_pid_syscall) */
	n = sscanf(text, "%ld %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64
		   " %" SCNx64 " %" SCNx64 " %" SCNx64, &s->nr, &s->args[0], &s->args[1],
		   &s->args[2], &s->args[3], &s->args[4], &s->args[5], &s->sp, &s->pc);
	free(text);
	t->seen_nvcsw = ts.nvcsw;
	t->seen_ok = n == 9 && s->nr >= 0;
}

/* State and start time (field 22) from /proc/PID/stat. */
static int proc_stat(int procfd, char *state, unsigned long long *start)
{
	struct procfs_stat st;
	int r = procfs_stat_read(procfd, "stat", &st);

	if (r == 0) {
		*state = st.state;
		*start = st.start;
	}
	return r;
}

static int list_tids(const struct inject_proc *p, pid_t **tids, size_t *n)
{
	int fd = openat(p->procfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	*tids = NULL;
	*n = 0;
	if (fd < 0)
		return (errno == ENOENT || errno == ESRCH) ? -ESRCH : -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		int tid;

		if (!procfs_tid_name(e->d_name, &tid))
			continue;
		if (*n == cap) {
			pid_t *t = reallocarray(*tids, cap ? cap * 2 : 16, sizeof **tids);
			if (!t) {
				closedir(d);
				return -ENOMEM;
			}
			*tids = t;
			cap = cap ? cap * 2 : 16;
		}
		(*tids)[(*n)++] = (pid_t)tid;
	}
	closedir(d);
	return 0;
}

/* ---------------------------------------------------------------- memory */

static int mem_rw(int memfd, uint64_t addr, void *buf, size_t len, bool write)
{
	size_t done = 0;

	if (memfd < 0)
		return -EBADF;
	if (addr > (uint64_t)INT64_MAX - len)
		return -EFAULT;
	while (done < len) {
		ssize_t n = write ? pwrite(memfd, (char *)buf + done, len - done, (off_t)(addr + done))
				  : pread(memfd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EIO ? -EFAULT : -errno;
		if (n == 0)
			return -EFAULT;
		done += (size_t)n;
	}
	return 0;
}

/*
 * process_vm_readv/writev go by pid number.  The number cannot pass to
 * another process meanwhile: a traced process is not reaped until its
 * tracer lets it go (and /proc/PID/mem is pinned to the mm anyway).
 */
int inject_read(struct inject_proc *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };

	if (!p || (!buf && len))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (process_vm_readv(p->pid, &l, 1, &r, 1, 0) == (ssize_t)len)
		return 0;
	return mem_rw(p->memfd, addr, buf, len, false);
}

int inject_write(struct inject_proc *p, uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)(uintptr_t)buf, len }, r = { (void *)(uintptr_t)addr, len };

	if (!p || (!buf && len))
		return -EINVAL;
	if (len == 0)
		return 0;
	if (process_vm_writev(p->pid, &l, 1, &r, 1, 0) == (ssize_t)len)
		return 0;
	return mem_rw(p->memfd, addr, (void *)(uintptr_t)buf, len, true);
}

/* --------------------------------------------------------------- signals */

/*
 * The thread is in a signal-delivery-stop for @sig while being attached: a
 * real signal, which came before the freeze was complete.  Deliver it, as
 * it would have been a moment earlier (fact 3); the thread stops again at
 * once, asked for again since this stop cleared any pending INTERRUPT
 * (fact 2), and runs the handler only after the detach.  Nothing is held
 * back, so a death of pvmmap cannot lose or block it.  A stop signal
 * starts a group stop, which the process keeps after the detach (fact 9).
 */
static int pass_signal(struct inject_proc *p, struct inject_thread *t, int sig)
{
	p->passed_signals++;
	if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0 ||
	    ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)sig) < 0)
		return -errno;
	return 0;
}

int inject_mask_set(struct inject_proc *p, struct inject_thread *t, uint64_t mask)
{
	(void)p;
	if (ptrace(PTRACE_SETSIGMASK, t->tid, (void *)SIGSET_BYTES, &mask) < 0)
		return -errno;
	testpoint();
	return 0;
}

int inject_regs_set(struct inject_proc *p, struct inject_thread *t, const struct arch_regs *regs)
{
	int r = arch_regs_set(t->tid, regs);

	(void)p;
	if (!r)
		testpoint();
	return r;
}

int inject_regs_restore(struct inject_proc *p, struct inject_thread *t)
{
	int r = inject_regs_set(p, t, &t->regs);

	return r ? r : arch_xstate_set(t->tid, t->xstate);
}

int inject_poke(struct inject_proc *p, uint64_t addr, const void *buf, size_t len)
{
	int r = mem_rw(p->memfd, addr, (void *)(uintptr_t)buf, len, true);

	if (!r)
		testpoint();
	return r;
}

/* ----------------------------------------------------------------- seize */

static void mark_gone(struct inject_thread *t)
{
	t->state = (t->state & ~(INJECT_T_SEIZED | INJECT_T_STOPPED)) | INJECT_T_GONE;
}

static struct inject_thread *add_thread(struct inject_proc *p, pid_t tid)
{
	if (p->nthreads == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct inject_thread *t = reallocarray(p->threads, cap, sizeof *t);
		if (!t)
			return NULL;
		p->threads = t;
		p->cap = cap;
	}
	p->threads[p->nthreads] = (struct inject_thread){ .tid = tid, .slot = -1 };
	return &p->threads[p->nthreads++];
}

/* 0 attached, 1 gone (exited, or a zombie thread), or -errno. */
static int attach(struct inject_proc *p, struct inject_thread *t)
{
	struct task_status ts;
	int r;

	if (ptrace(PTRACE_SEIZE, t->tid, NULL, (void *)(long)PTRACE_O_TRACESYSGOOD) == 0) {
		t->state |= INJECT_T_SEIZED;
		if (!arch_eintr_rewinds)
			syscall_seen(p, t);
		/* ESRCH here: it is dying; the wait sees its exit. */
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0 && errno != ESRCH)
			return -errno;
		return 0;
	}
	if (errno == ESRCH) {
		mark_gone(t);
		return 1;
	}
	if (errno != EPERM)
		return -errno;
	/* EPERM for a traced task, an exiting one, and a denied one alike. */
	r = task_status(p, t->tid, &ts);
	if (r == -ESRCH || (r == 0 && (ts.state == 'Z' || ts.state == 'X'))) {
		mark_gone(t);
		return 1;
	}
	return (r == 0 && ts.tracer != 0) ? -EBUSY : -EPERM;
}

static void restart_spurious_eintr(struct inject_proc *p, struct inject_thread *t);

static int stopped(struct inject_proc *p, struct inject_thread *t)
{
	struct task_status ts;
	int r = arch_regs_get(t->tid, &t->regs);

	free(t->xstate);
	if (r == 0)
		r = arch_xstate_get(t->tid, &t->xstate);
	if (r == 0 && ptrace(PTRACE_GETSIGMASK, t->tid, (void *)SIGSET_BYTES, &t->sigmask) < 0)
		r = -errno;
	if (r)
		return r;
	t->state |= INJECT_T_STOPPED;
	restart_spurious_eintr(p, t);
	if (p->flags & INJECT_SUSPEND_SECCOMP) {
		if (ptrace(PTRACE_SETOPTIONS, t->tid, NULL,
			   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP)) < 0)
			return errno == ESRCH ? -ESRCH : -EACCES;
	} else if (task_status(p, t->tid, &ts) == 0 && ts.seccomp != 0) {
		t->state |= INJECT_T_SECCOMP;
	}
	return 0;
}

/* Wait until a seized thread is in its PTRACE_EVENT_STOP, then save it:
 * 0 stopped, 1 gone, or -errno. */
static int await_stop(struct inject_proc *p, struct inject_thread *t, uint64_t deadline)
{
	for (int n = 0; n < STOP_LIMIT; n++) {
		int st, r = wait_tid(p, t->tid, &st, deadline);

		if (r == -ESRCH || (r == 0 && is_exit(st))) {
			mark_gone(t);
			return 1;
		}
		if (r < 0)
			return r;
		if (is_event_stop(st)) {
			if (WSTOPSIG(st) != SIGTRAP) /* a group-stop (fact 1) */
				t->group_stop = p->group_stop = WSTOPSIG(st);
			return stopped(p, t);
		}
		if (!is_signal_stop(st))
			return -EPROTO;
		r = pass_signal(p, t, WSTOPSIG(st));
		if (r)
			return r == -ESRCH ? (mark_gone(t), 1) : r;
	}
	return -EPROTO;
}

/*
 * Stop every thread.  Threads can be created by any thread still running,
 * so list them again after each round; once a round finds no new thread,
 * none is left running that could make one.
 */
static int freeze(struct inject_proc *p, uint64_t deadline)
{
	for (int pass = 0; pass < SEIZE_PASSES; pass++) {
		size_t first = p->nthreads, ntids;
		pid_t *tids;
		int r = list_tids(p, &tids, &ntids);

		if (r)
			return r;
		for (size_t i = 0; i < ntids && r >= 0; i++) {
			struct inject_thread *t;
			if (inject_thread_index(p, tids[i]) >= 0)
				continue;
			t = add_thread(p, tids[i]);
			r = t ? attach(p, t) : -ENOMEM;
		}
		free(tids);
		if (r < 0)
			return r;
		if (p->nthreads == first)
			return 0;
		for (size_t i = first; i < p->nthreads; i++) {
			if (p->threads[i].state & INJECT_T_GONE)
				continue;
			r = await_stop(p, &p->threads[i], deadline);
			if (r < 0)
				return r;
		}
	}
	return -EAGAIN;
}

int inject_thread_index(const struct inject_proc *p, pid_t tid)
{
	for (size_t i = 0; p && i < p->nthreads; i++)
		if (p->threads[i].tid == tid)
			return (int)i;
	return -1;
}

pid_t inject_pid(const struct inject_proc *p)
{
	return p ? p->pid : 0;
}

int inject_procfd(const struct inject_proc *p)
{
	return p ? p->procfd : -1;
}

int inject_thread_frozen(const struct inject_proc *p, pid_t tid, struct inject_frozen *out)
{
	int k = inject_thread_index(p, tid);
	const struct inject_thread *t;

	if (k < 0 || !(p->threads[k].state & INJECT_T_STOPPED))
		return -ESRCH;
	t = &p->threads[k];
	*out = (struct inject_frozen){ .ip = arch_regs_ip(&t->regs), .sp = arch_regs_sp(&t->regs),
				       .tls = arch_regs_tls(&t->regs) };
	return 0;
}

int inject_getfd(const struct inject_proc *p, int remote)
{
	int fd;

	if (!p)
		return -EINVAL;
	fd = (int)pidfd_getfd(p->pidfd, remote, 0);
	return fd < 0 ? -errno : fd;
}

int inject_seize(pid_t pid, unsigned long long start_time, unsigned flags, int timeout_ms,
		 struct inject_proc **out)
{
	uint64_t deadline = deadline_after(timeout_ms);
	unsigned long long started;
	struct inject_proc *p;
	char path[32], state;
	size_t live = 0;
	int r;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (pid <= 0 || timeout_ms < 0 || pid == getpid() ||
	    (flags & ~(unsigned)(INJECT_SUSPEND_SECCOMP | INJECT_FORCE_WRITE)))
		return -EINVAL;
	p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	*p = (struct inject_proc){ .pid = pid, .pidfd = -1, .procfd = -1, .memfd = -1,
				   .flags = flags, .timeout_ms = timeout_ms, .anchor = -1 };

	/* Pin first, then check that the pinned process is the one meant. */
	p->pidfd = pidfd_open(pid, 0);
	if (p->pidfd < 0) {
		/* A thread id that is not a process: EINVAL before 6.9, ENOENT
		 * since (checked on 6.18).  ESRCH: no such pid at all. */
		r = (errno == EINVAL || errno == ENOENT) ? -EINVAL : -errno;
		goto fail;
	}
	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	p->procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = p->procfd < 0 ? -ESRCH : proc_stat(p->procfd, &state, &started);
	if (r == 0 && start_time && started != start_time)
		r = -ESRCH;
	if (r)
		goto fail;

	r = freeze(p, deadline);
	if (r)
		goto fail;
	for (size_t i = 0; i < p->nthreads; i++)
		live += (p->threads[i].state & INJECT_T_STOPPED) != 0;
	if (live == 0) {
		r = (proc_stat(p->procfd, &state, &started) == 0 && state == 'Z') ? -EOWNERDEAD : -ESRCH;
		goto fail;
	}
	/* Still the process the pidfd pinned (the pid was not reused meanwhile). */
	if (pidfd_send_signal(p->pidfd, 0, NULL, 0) < 0) {
		r = -ESRCH;
		goto fail;
	}
	p->memfd = openat(p->procfd, "mem", O_RDWR | O_CLOEXEC);
	if (p->memfd < 0) {
		r = -errno;
		goto fail;
	}
	*out = p;
	return 0;
fail:
	inject_detach(p);
	return r;
}

/* --------------------------------------------------------------- syscall */

static bool insn_at(struct inject_proc *p, uint64_t addr)
{
	unsigned char b[MAX_INSN];

	return addr && inject_read(p, addr, b, arch_syscall_insn_len) == 0 &&
	       memcmp(b, arch_syscall_insn, arch_syscall_insn_len) == 0;
}

/* The syscall instruction the thread stopped after (fact 5), or 0. */
static uint64_t own_site(struct inject_proc *p, struct inject_thread *t)
{
	if (!t->site_checked) {
		uint64_t s = arch_syscall_site(&t->regs);
		t->site = insn_at(p, s) ? s : 0;
		t->site_checked = true;
	}
	return t->site;
}

/*
 * The vdso's VMA by one PROCMAP_QUERY (6.11+) at AT_SYSINFO_EHDR, not a
 * read of all of maps: that costs ~1 ms a thousand VMAs, in every freeze
 * (the rescue area lives in the vdso), 25 ms of a 20 000-VMA source's pause
 * (issue 10).  -ENOENT when the process moved its vdso (CRIU's restore
 * does: AT_SYSINFO_EHDR then names another VMA or none) or the kernel has
 * no query; the caller then reads maps.
 */
static int vdso_query(struct inject_proc *p, uint64_t *start, uint64_t *end)
{
	struct vma_list l = { 0 };
	uint64_t ehdr;
	int r = procfs_auxv(p->procfd, AT_SYSINFO_EHDR, &ehdr);

	if (r == 0 && ehdr && ehdr < UINT64_MAX)
		r = vma_query_range(p->procfd, ehdr, ehdr + 1, &l);
	if (r == 0)
		r = l.n == 1 && l.v[0].start == ehdr && strcmp(l.v[0].name, "[vdso]") == 0
			? 0 : -ENOENT;
	if (r == 0) {
		*start = l.v[0].start;
		*end = l.v[0].end;
	}
	vma_list_free(&l);
	return r;
}

int inject_vdso_range(struct inject_proc *p, uint64_t *start, uint64_t *end)
{
	static const char tag[] = " [vdso]";
	const size_t tl = sizeof tag - 1;
	uint64_t s = 0, e = 0;
	size_t used;
	char *text, *nl;
	int r = vdso_query(p, &s, &e);

	if (r == 0 && e > s && e - s <= VDSO_MAX) {
		*start = s;
		*end = e;
		return 0;
	}
	s = e = 0;
	r = procfs_read(p->procfd, "maps", PROCFS_NO_CAP, &text, NULL);
	if (r)
		return r;
	for (char *l = text; *l; l = *nl ? nl + 1 : nl) {
		size_t n;
		nl = strchrnul(l, '\n');
		n = (size_t)(nl - l);
		if (n > tl && memcmp(nl - tl, tag, tl) == 0 &&
		    procfs_xdigits_lower(l, n, &s, &used) == 0 && l[used] == '-' &&
		    procfs_xdigits_lower(l + used + 1, n - used - 1, &e, &used) == 0)
			break;
		s = e = 0;
	}
	free(text);
	if (e <= s || e - s > VDSO_MAX)
		return -ENOENT;
	*start = s;
	*end = e;
	return 0;
}

/* A syscall instruction in the vdso, or 0. */
static uint64_t vdso_site(struct inject_proc *p)
{
	uint64_t start, end, site = 0;
	unsigned char *code;

	if (inject_vdso_range(p, &start, &end) || !(code = malloc(end - start)))
		return 0;
	if (inject_read(p, start, code, end - start) == 0)
		for (size_t i = 0; i + arch_syscall_insn_len <= end - start; i++)
			if (memcmp(code + i, arch_syscall_insn, arch_syscall_insn_len) == 0) {
				site = start + i;
				break;
			}
	free(code);
	return site;
}

/*
 * Where thread @t runs a syscall: the instruction it stopped after, else
 * one in the vdso, else one another thread stopped after (the process
 * shares one address space), else one written at its ip.
 */
static enum inject_site find_site(struct inject_proc *p, struct inject_thread *t, uint64_t *site)
{
	if ((*site = own_site(p, t)))
		return INJECT_SITE_SYSCALL;
	if (p->flags & INJECT_FORCE_WRITE) {
		*site = arch_regs_ip(&t->regs);
		return INJECT_SITE_WRITTEN;
	}
	if (p->vdso_site == 0)
		p->vdso_site = vdso_site(p) ?: UINT64_MAX;
	if (p->vdso_site != UINT64_MAX) {
		*site = p->vdso_site;
		return INJECT_SITE_VDSO;
	}
	for (size_t i = 0; i < p->nthreads; i++)
		if ((p->threads[i].state & INJECT_T_STOPPED) && (*site = own_site(p, &p->threads[i])))
			return INJECT_SITE_SYSCALL;
	*site = arch_regs_ip(&t->regs);
	return INJECT_SITE_WRITTEN;
}

/* Put back code bytes saved by write_insn; kept to retry at detach. */
static int unwrite_insn(struct inject_proc *p)
{
	int r;

	if (!p->written_len)
		return 0;
	/* /proc/PID/mem writes with FOLL_FORCE, like PTRACE_POKETEXT, but
	 * exactly the bytes given: no word past the end of the mapping. */
	r = mem_rw(p->memfd, p->written_at, p->written_orig, p->written_len, true);
	if (r == 0)
		p->written_len = 0;
	return r;
}

static int write_insn(struct inject_proc *p, uint64_t at)
{
	int r = mem_rw(p->memfd, at, p->written_orig, arch_syscall_insn_len, false);

	if (r)
		return r;
	p->written_at = at;
	p->written_len = arch_syscall_insn_len;
	r = mem_rw(p->memfd, at, (void *)(uintptr_t)arch_syscall_insn, arch_syscall_insn_len, true);
	if (r)
		unwrite_insn(p);
	return r;
}

static int lost(struct inject_thread *t)
{
	mark_gone(t);
	return -ESRCH;
}

/*
 * Resume the thread (its registers set up for syscall @nr) through the
 * syscall's entry stop to its exit stop, and read the result there.
 */
static int run_syscall(struct inject_proc *p, struct inject_thread *t, long nr, int64_t *ret)
{
	uint64_t deadline = deadline_after(p->timeout_ms);
	bool entered = false, interrupted = false, resume = true;
	int sig = 0;
	siginfo_t si;

	for (int n = 0; n < STOP_LIMIT; n++) {
		struct __ptrace_syscall_info info;
		int st, r;

		if (resume && ptrace(PTRACE_SYSCALL, t->tid, NULL, (void *)(long)sig) < 0)
			return errno == ESRCH ? lost(t) : -errno;
		if (resume)
			testpoint();
		resume = true;
		sig = 0;
		r = wait_tid(p, t->tid, &st, deadline);
		if (r == -ETIMEDOUT && entered && !interrupted) {
			/* A syscall that blocks: interrupt it and collect
			 * its exit stop, so the thread is ours again. */
			interrupted = true;
			deadline = deadline_after(p->timeout_ms);
			if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
				return -ETIMEDOUT;
			resume = false;
			continue;
		}
		if (r == -ESRCH || (r == 0 && is_exit(st)))
			return lost(t);
		if (r < 0)
			return r;
		if (is_syscall_stop(st)) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof info, &info) <= 0)
				return -errno;
			if (info.op == PTRACE_SYSCALL_INFO_ENTRY && !entered &&
			    info.entry.nr == (uint64_t)nr) {
				entered = true;
				testpoint();
				continue;
			}
			if (info.op == PTRACE_SYSCALL_INFO_EXIT && entered) {
				*ret = info.exit.rval;
				testpoint();
				return interrupted ? -ETIMEDOUT : 0;
			}
			return -EPROTO;
		}
		/* An INTERRUPT left over from the attach, or a group-stop
		 * (fact 1): the thread ran nothing yet.  Go on. */
		if (is_event_stop(st))
			continue;
		if (!is_signal_stop(st))
			return -EPROTO;
		/* A fault raised by the site itself (not executable, not a
		 * syscall instruction): it is ours, and dropped when the
		 * thread next resumes with no signal.  (Being blocked, the
		 * forced signal has reset its handler to SIG_DFL: sites are
		 * checked before use so that this cannot happen.) */
		if (!entered && ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si) == 0 && si.si_code > 0 &&
		    WSTOPSIG(st) != SIGSTOP)
			return -EFAULT;
		/* Every other signal is blocked in the thread: this is a
		 * SIGSTOP.  It stops the process as it would have; the
		 * thread then traps in the group stop (an event stop above)
		 * and goes on with the syscall. */
		p->passed_signals++;
		sig = WSTOPSIG(st);
	}
	return -EPROTO;
}

int inject_plain_syscall(struct inject_proc *p, size_t idx, long nr, const uint64_t args[6],
			 int64_t *ret)
{
	enum inject_site kind;
	struct inject_thread *t = &p->threads[idx];
	struct arch_regs regs;
	uint64_t t0 = clock_now_ns(), site;
	int r, r2;

	if (t->state & INJECT_T_SECCOMP)
		return -EACCES;
	kind = find_site(p, t, &site);
	if (kind == INJECT_SITE_WRITTEN && (r = write_insn(p, site)) != 0)
		return r;
	/* Signals blocked for the syscall's time only: a thread killed
	 * meanwhile is lost to its own code anyway (the window pvmmap.1's
	 * RELIABILITY gives). */
	regs = t->regs;
	arch_regs_set_syscall(&regs, site, nr, args);
	r = inject_mask_set(p, t, ~UINT64_C(0));
	if (r == 0)
		r = inject_regs_set(p, t, &regs);
	if (r == 0)
		r = run_syscall(p, t, nr, ret);
	/* The written instruction goes first, before anything else can run. */
	r2 = unwrite_insn(p);
	if (r == 0)
		r = r2;
	/* Registers back raw: the restart of an interrupted syscall is the
	 * kernel's business when the thread resumes (fact 5, fact 8). */
	if (t->state & INJECT_T_STOPPED) {
		r2 = inject_regs_restore(p, t);
		if (r2 == 0)
			r2 = inject_mask_set(p, t, t->sigmask);
		if (r == 0)
			r = r2;
	}
	t->last_site = kind;
	p->nsyscalls++;
	p->syscall_ns += clock_now_ns() - t0;
	p->unguarded_ns += clock_now_ns() - t0;
	return r;
}

/*
 * The syscall's result as the thread's registers hold it after a failed
 * run_syscall: the result when the thread is past the syscall instruction,
 * else a failure (it did not run).
 */
static int64_t result_after(struct inject_thread *t, uint64_t site)
{
	struct arch_regs now;

	if (arch_regs_get(t->tid, &now) == 0 &&
	    arch_regs_ip(&now) == site + arch_syscall_insn_len)
		return arch_regs_retval(&now);
	return -EIO;
}

/*
 * Run @nr in thread @idx from the rescue code: the thread is held first
 * (src/rescue.c), and the anchor with a journal change (@add, @undoes)
 * settles it from the result.  A thread that is not the anchor goes back
 * to its own registers right after.
 */
static int rescued_syscall(struct inject_proc *p, size_t idx, long nr, const uint64_t args[6],
			   const struct inject_undo *add, int undoes, int64_t *ret, int *id)
{
	struct inject_thread *t;
	struct arch_regs regs;
	uint64_t t0 = clock_now_ns();
	bool anchor;
	int r, r2;

	if (!p || idx >= p->nthreads || nr < 0 || !args || !ret)
		return -EINVAL;
	t = &p->threads[idx];
	if (!(t->state & INJECT_T_STOPPED))
		return -ESRCH;
	if (t->state & INJECT_T_SECCOMP)
		return -EACCES;
	if (p->anchor < 0 && p->threads[idx].slot < 0)
		p->anchor = (int)idx;
	anchor = p->anchor == (int)idx;
	if ((add || undoes >= 0) && !anchor)
		return -EINVAL;
	r = rescue_open(p);
	if (!r)
		r = rescue_hold(p, t, anchor);
	if (!r && (add || undoes >= 0))
		r = rescue_arm(p, add, undoes);
	if (r)
		return r;

	rescue_rest_regs(p, t, &regs);
	arch_regs_set_syscall(&regs, rescue_site(p), nr, args);
	r = inject_regs_set(p, t, &regs);
	if (r == 0)
		r = run_syscall(p, t, nr, ret);
	if (t->state & INJECT_T_STOPPED) {
		/* Settle the journal while the thread still has the result
		 * in its register, then let it rest again. */
		r2 = rescue_settle(p, r == 0 || r == -ETIMEDOUT ? *ret
					   : result_after(t, rescue_site(p)), id);
		if (r == 0)
			r = r2;
		rescue_rest_regs(p, t, &regs);
		r2 = inject_regs_set(p, t, &regs);
		if (r == 0)
			r = r2;
		if (!anchor) {
			r2 = rescue_release(p, t);
			if (r == 0)
				r = r2;
		}
	}
	t->last_site = INJECT_SITE_RESCUE;
	p->nsyscalls++;
	p->syscall_ns += clock_now_ns() - t0;
	return r;
}

int inject_syscall(struct inject_proc *p, size_t idx, long nr, const uint64_t args[6],
		   int64_t *ret)
{
	return rescued_syscall(p, idx, nr, args, NULL, -1, ret, NULL);
}

int inject_pick_thread(const struct inject_proc *p)
{
	int first = -1;

	if (p && p->anchor >= 0 && (size_t)p->anchor < p->nthreads &&
	    (p->threads[p->anchor].state & (INJECT_T_STOPPED | INJECT_T_SECCOMP)) == INJECT_T_STOPPED)
		return p->anchor;

	for (size_t i = 0; p && i < p->nthreads; i++) {
		const struct inject_thread *t = &p->threads[i];
		if ((t->state & (INJECT_T_STOPPED | INJECT_T_SECCOMP)) != INJECT_T_STOPPED)
			continue;
		if (arch_syscall_site(&t->regs))
			return (int)i;
		if (first < 0)
			first = (int)i;
	}
	return first;
}

int inject_call(struct inject_proc *p, enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2,
		uint64_t a3, uint64_t a4, uint64_t a5, int64_t *ret)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	long nr = arch_sysno(s);
	int idx = inject_pick_thread(p);

	if (nr < 0)
		return -ENOSYS;
	if (idx < 0)
		return -ESRCH;
	return inject_syscall(p, (size_t)idx, nr, args, ret);
}

/* ------------------------------------------------------ spurious EINTR */

static bool eintr_on_stop(long nr)
{
	static const enum arch_sys calls[] = {
		ARCH_SYS_EPOLL_WAIT, ARCH_SYS_EPOLL_PWAIT, ARCH_SYS_EPOLL_PWAIT2,
		ARCH_SYS_RT_SIGTIMEDWAIT, ARCH_SYS_SEMOP, ARCH_SYS_SEMTIMEDOP,
		/* on a socket with SO_RCVTIMEO / SO_SNDTIMEO: nothing was
		 * transferred when they fail with EINTR */
		ARCH_SYS_READ, ARCH_SYS_WRITE, ARCH_SYS_RECVFROM, ARCH_SYS_SENDTO,
		ARCH_SYS_RECVMSG, ARCH_SYS_SENDMSG, ARCH_SYS_ACCEPT, ARCH_SYS_ACCEPT4,
	};

	/* -1 is also what arch_sysno says for a syscall the architecture lacks */
	for (size_t i = 0; nr >= 0 && i < sizeof calls / sizeof calls[0]; i++)
		if (arch_sysno(calls[i]) == nr)
			return true;
	return false;
}

/*
 * Fact 6: some syscalls end with EINTR on any ptrace stop.  If no signal
 * the thread will take is pending at the stop, that EINTR is ours: the
 * thread's registers are rewound there and then to run the syscall again
 * (what the kernel's own restart would do), so that whenever it runs again
 * -- let go at the detach or after pvmmap died -- it does (where the
 * registers still hold its arguments: not on aarch64).  If one is
 * pending, the EINTR is what that signal would have caused anyway.  Not
 * for connect (a second call says EALREADY) nor anything else whose
 * repetition differs from a restart.
 */
static void restart_spurious_eintr(struct inject_proc *p, struct inject_thread *t)
{
	struct arch_regs regs = t->regs;
	struct task_status ts;
	bool same;

	if (arch_regs_retval(&regs) != -EINTR || !eintr_on_stop(arch_regs_syscall_nr(&regs)) ||
	    !own_site(p, t) || task_status(p, t->tid, &ts) != 0 ||
	    ((ts.sigpnd | ts.shdpnd) & ~t->sigmask) != 0)
		return;
	/* Seen before the interrupt, and the very call that ended: one
	 * voluntary switch since, the stop itself (a call left and another
	 * blocked in adds one) */
	same = t->seen_ok && ts.nvcsw == t->seen_nvcsw + 1;
	if (arch_regs_rewind_syscall(&regs, same ? &t->seen : NULL) && inject_regs_set(p, t, &regs) == 0)
		t->regs = regs;
}

/* ---------------------------------------------------------------- journal */

int inject_call_undo(struct inject_proc *p, enum arch_sys s, const uint64_t args[6],
		     const struct inject_undo *add, int undoes, int64_t *ret, int *id)
{
	long nr = arch_sysno(s);
	int idx = inject_pick_thread(p);

	if (nr < 0)
		return -ENOSYS;
	if (idx < 0)
		return -ESRCH;
	return rescued_syscall(p, (size_t)idx, nr, args, add, undoes, ret, id);
}

int inject_journal_reserve(struct inject_proc *p, size_t n)
{
	if (!p)
		return -EINVAL;
	if (p->rescue)
		return -EBUSY;
	p->journal_room = n;
	return 0;
}

int inject_journal_end(struct inject_proc *p)
{
	if (!p)
		return -EINVAL;
	if (rescue_journal_count(p))
		return -EBUSY;
	return rescue_close(p);
}

size_t inject_journal_count(const struct inject_proc *p)
{
	return p ? rescue_journal_count(p) : 0;
}

/* Undo entry @k: the syscall the rescue code would run, as a journal
 * change that drops the entry.  Descriptors go one at a time, each closing
 * shrinking the entry, so that none is ever closed twice. */
static int undo_entry(struct inject_proc *p, size_t k, const struct inject_undo *u)
{
	int64_t ret = 0;
	int r;

	if (u->flags & INJECT_UNDO_FDS_AT) {
		for (uint64_t n = u->a1; n-- > 0;) {
			struct inject_undo rest = *u;
			int fd;
			r = inject_read(p, u->a0 + n * sizeof fd, &fd, sizeof fd);
			if (r)
				return r;
			if (fd < 0)
				continue;       /* none there: closing -1 is a no-op */
			rest.a1 = n;
			r = inject_call_undo(p, ARCH_SYS_CLOSE, (uint64_t[6]){ (uint64_t)fd },
					     n ? &rest : NULL, (int)k, &ret, NULL);
			if (!r && ret < 0 && ret != -EBADF)
				r = (int)ret;
			if (r)
				return r;
			if (n == 0)
				return 0;
		}
		return rescue_void(p, k);       /* only -1 left in it */
	}
	if (u->sys == ARCH_SYS_MREMAP)
		r = inject_call_undo(p, ARCH_SYS_MREMAP,
				     (uint64_t[6]){ u->a0, u->a1, u->a1, 3 /* MAYMOVE | FIXED */, u->a2 },
				     NULL, (int)k, &ret, NULL);
	else
		r = inject_call_undo(p, u->sys, (uint64_t[6]){ u->a0, u->a1 }, NULL, (int)k, &ret,
				     NULL);
	if (!r && ret < 0 && !(u->sys == ARCH_SYS_CLOSE && ret == -EBADF))
		r = (int)ret;
	return r;
}

static void describe(const struct inject_proc *p, const struct inject_undo *u, int err,
		     char *what, size_t len)
{
	if (!what || !len)
		return;
	if (u->sys == ARCH_SYS_MUNMAP)
		snprintf(what, len, "process %d still maps 0x%llx-0x%llx (%s)", p->pid,
			 (unsigned long long)u->a0, (unsigned long long)(u->a0 + u->a1), strerror(-err));
	else if (u->sys == ARCH_SYS_MREMAP)
		snprintf(what, len, "process %d's 0x%llx-0x%llx is now at 0x%llx (%s)", p->pid,
			 (unsigned long long)u->a2, (unsigned long long)(u->a2 + u->a1),
			 (unsigned long long)u->a0, strerror(-err));
	else
		snprintf(what, len, "process %d keeps a descriptor pvmmap gave it (%s)", p->pid,
			 strerror(-err));
}

int inject_journal_rollback(struct inject_proc *p, char *what, size_t len)
{
	int first = 0;

	if (!p || !p->rescue)
		return 0;
	for (size_t k = rescue_journal_end(p); k-- > 0;) {
		struct inject_undo u;
		int r;

		if (!rescue_entry(p, k, &u))
			continue;
		r = undo_entry(p, k, &u);
		if (r && !first) {
			first = r;
			describe(p, &u, r, what, len);
		}
	}
	return first;
}

int inject_journal_undo(struct inject_proc *p, int id)
{
	struct inject_undo u;

	if (!p || id < 0 || !rescue_entry(p, (size_t)id, &u))
		return -EINVAL;
	return undo_entry(p, (size_t)id, &u);
}

int inject_journal_commit(struct inject_proc *p)
{
	return p ? rescue_forget(p) : 0;
}

bool inject_alive(const struct inject_proc *p)
{
	char state;
	unsigned long long start;

	return p && pidfd_send_signal(p->pidfd, 0, NULL, 0) == 0 &&
	       proc_stat(p->procfd, &state, &start) == 0 && state != 'Z' && state != 'X';
}

bool inject_exited(const struct inject_proc *p, int ms)
{
	uint64_t until = deadline_after(ms);

	/* The leader shows Z as soon as it has exited, while the pidfd
	 * waits for every (traced, unreaped) thread: look at both. */
	for (;;) {
		struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
		if (!inject_alive(p))
			return true;
		if (clock_now_ns() >= until)
			return false;
		if (poll(&pfd, 1, 5) == 1)
			return true;
	}
}

pid_t inject_thread_resting_in(const struct inject_proc *p, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; p && i < p->nthreads; i++) {
		const struct inject_thread *t = &p->threads[i];
		uint64_t ip = arch_regs_ip(&t->regs);
		if ((t->state & INJECT_T_STOPPED) && ip >= lo && ip < hi)
			return t->tid;
	}
	return 0;
}

bool inject_force_mapped(const struct inject_proc *p)
{
	const char *e = getenv("PVMMAP_RESCUE");

	(void)p;
	return e && strcmp(e, "mapped") == 0;
}

/* ---------------------------------------------------------------- detach */

/* Let every thread go (see inject_detach); @p keeps its descriptors. */
static int let_go(struct inject_proc *p)
{
	uint64_t grace = 0;
	int first = 0, r;

	if (unwrite_insn(p) && !first)
		first = -EIO;
	/* After a failed attach, threads seized but not yet waited for are
	 * (or are about to be) in their stop: collect them, so they are let
	 * go like the rest.  A short bound: one that did not stop in the
	 * attach's time will not stop now. */
	p->flags &= ~(unsigned)INJECT_SUSPEND_SECCOMP;
	for (size_t i = 0; i < p->nthreads; i++) {
		struct inject_thread *t = &p->threads[i];
		if ((t->state & (INJECT_T_SEIZED | INJECT_T_STOPPED | INJECT_T_GONE)) == INJECT_T_SEIZED) {
			if (!grace)
				grace = deadline_after(DETACH_GRACE_MS);
			await_stop(p, t, grace);
		}
	}
	/* Held threads get their own registers and mask back, and the
	 * rescue area goes.  Every other thread kept its own all along. */
	r = rescue_close(p);
	if (r && !first)
		first = r;
	for (size_t i = 0; i < p->nthreads; i++) {
		struct inject_thread *t = &p->threads[i];
		int st;
		if (!(t->state & INJECT_T_SEIZED))
			continue;
		/* A thread still held (rescue_close failed for it) is let go
		 * to run the rescue code, as if pvmmap had died. */
		if (ptrace(PTRACE_DETACH, t->tid, NULL, NULL) == 0)
			continue;
		/* ESRCH: exited (reap it, as its tracer) or never stopped
		 * (fact 10: nothing can be done from here). */
		if (errno == ESRCH)
			waitpid(t->tid, &st, __WALL | WNOHANG);
		else if (!first)
			first = -errno;
	}
	rescue_free(p);
	return first;
}

int inject_detach(struct inject_proc *p)
{
	int first;

	if (!p)
		return 0;
	first = let_go(p);
	if (p->memfd >= 0)
		close(p->memfd);
	if (p->procfd >= 0)
		close(p->procfd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	for (size_t i = 0; i < p->nthreads; i++)
		free(p->threads[i].xstate);
	free(p->threads);
	free(p);
	return first;
}

int inject_release(struct inject_proc *p)
{
	unsigned flags;
	int r;

	if (!p || p->memfd < 0)
		return -EINVAL;
	if (inject_journal_count(p))
		return -EBUSY;
	flags = p->flags;
	r = let_go(p);
	/* what the threads were is the next freeze's to find out again */
	p->flags = flags;
	p->nthreads = 0;
	p->group_stop = 0;
	p->anchor = -1;
	p->journal_room = 0;
	p->written_len = 0;
	return r;
}

int inject_refreeze(struct inject_proc *p)
{
	size_t live = 0;
	int r;

	if (!p || p->nthreads)
		return -EINVAL;
	r = freeze(p, deadline_after(p->timeout_ms));
	for (size_t i = 0; !r && i < p->nthreads; i++)
		live += (p->threads[i].state & INJECT_T_STOPPED) != 0;
	if (!r && !live)
		r = -ESRCH;
	/* still the process the pidfd pinned */
	if (!r && pidfd_send_signal(p->pidfd, 0, NULL, 0) < 0)
		r = -ESRCH;
	if (r) {
		unsigned flags = p->flags;
		let_go(p);
		p->flags = flags;
		p->nthreads = 0;
		p->group_stop = 0;
	}
	return r;
}

bool inject_group_stopped(const struct inject_proc *p)
{
	return p && p->group_stop != 0;
}
