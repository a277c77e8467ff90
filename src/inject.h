/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace engine: freeze every thread of a live process, run syscalls
 * inside it, read and write its memory, and let it go exactly as it was.
 *
 * What "exactly as it was" means, and how it is kept:
 *  - Registers: saved raw at the stop, put back raw after every injected
 *    syscall and at detach.  A thread stopped inside a blocking syscall
 *    therefore has its syscall restarted by the kernel itself when it
 *    resumes (read, futex, nanosleep through restart_block, ...), with no
 *    EINTR.  A few syscalls end with EINTR on any ptrace stop (epoll_wait,
 *    epoll_pwait, rt_sigtimedwait, semop, socket calls with a timeout);
 *    when no signal is pending for the thread at detach, the engine makes
 *    the thread run the same syscall again instead.  A finite timeout of
 *    those then starts afresh: the kernel keeps no record of its deadline.
 *  - Signal mask: every signal is blocked from the stop to the detach, and
 *    the mask the thread had is put back.  A signal that arrives meanwhile
 *    stays pending and is delivered after the detach, with its siginfo.  A
 *    SIGSTOP (which cannot be blocked) is held back and sent again.
 *  - Code: never written while an existing syscall instruction can be used
 *    (the one the thread stopped after, one in the vdso, or one another
 *    thread stopped after).  When one must be written, it is written at
 *    the thread's ip and the original bytes go back right after the
 *    syscall, before anything else runs.  (The page then is a private
 *    copy in that process, as after a debugger's breakpoint.)
 *  - Job control: a process that was stopped (SIGSTOP, SIGTSTP, ...) is
 *    stopped again after the detach.
 *
 * Every function returns 0 or -errno.  Not thread-safe: ptrace ties every
 * tracee to the thread that attached it, so one thread of the caller must
 * make every call for one struct inject_proc.
 */
#ifndef PVMMAP_INJECT_H
#define PVMMAP_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch.h"

enum inject_flags {
	/* Set PTRACE_O_SUSPEND_SECCOMP, so injected syscalls bypass the
	 * threads' seccomp filters.  Needs CAP_SYS_ADMIN and a caller that is
	 * not itself under seccomp. */
	INJECT_SUSPEND_SECCOMP = 1u << 0,
	/* For tests: a thread not stopped after a syscall instruction of its
	 * own gets one written at its ip, rather than borrowing one. */
	INJECT_FORCE_WRITE = 1u << 1,
};

/* Where an injected syscall ran. */
enum inject_site {
	INJECT_SITE_NONE = 0,
	INJECT_SITE_SYSCALL,    /* the instruction it (or another thread) stopped after */
	INJECT_SITE_VDSO,       /* a syscall instruction in the vdso */
	INJECT_SITE_WRITTEN,    /* one written at the thread's ip, then removed */
};

/* inject_thread.state bits */
#define INJECT_T_SEIZED   0x01u /* attached; PTRACE_DETACH needed */
#define INJECT_T_STOPPED  0x02u /* in a ptrace stop; regs and mask saved */
#define INJECT_T_GONE     0x04u /* exited (or never seizable): skipped */
#define INJECT_T_MASKED   0x08u /* sigmask saved and every signal blocked */
#define INJECT_T_SECCOMP  0x10u /* has a seccomp filter, not suspended */

struct inject_thread {
	pid_t tid;
	unsigned state;          /* INJECT_T_* */
	int group_stop;          /* stop signal of a group-stop it was in, or 0 */
	struct arch_regs regs;   /* as stopped: put back exactly */
	uint64_t sigmask;        /* its own mask (not a temporary one of ppoll,
				    pselect, sigsuspend, epoll_pwait) */
	uint64_t site;           /* syscall instruction it stopped after, or 0 */
	bool site_checked;       /* site looked up (0 then means none) */
	enum inject_site last_site;
};

struct inject_proc {
	pid_t pid;
	int pidfd;               /* pins the process: a reused pid is noticed */
	int procfd;              /* O_PATH fd of /proc/PID */
	int memfd;               /* /proc/PID/mem, read-write */
	unsigned flags;          /* enum inject_flags */
	int timeout_ms;          /* bound of every wait */
	int group_stop;          /* the process was stopped with this signal */
	bool restop;             /* a SIGSTOP was held back: send it at detach */
	uint64_t vdso_site;      /* 0: not looked up; UINT64_MAX: none */
	uint64_t written_at;     /* code bytes to put back, if written_len */
	unsigned char written_orig[16];
	size_t written_len;
	struct inject_thread *threads;
	size_t nthreads, cap;    /* threads[] also keeps gone ones */
	/* measurement: injected syscalls and the time they took in all;
	   signals that came during a stop and were queued again */
	uint64_t nsyscalls, syscall_ns;
	unsigned held_signals;
};

/*
 * Attach to every thread of @pid and stop it.  @start_time: the process's
 * start time in clock ticks after boot (field 22 of /proc/PID/stat), or 0
 * not to check; it pins the pid to the process the caller examined.
 * @timeout_ms bounds the whole attach (and later every single wait).
 *
 * Errors:
 *  -ESRCH      no such process, or not the one with @start_time, or it
 *              exited during the attach
 *  -EINVAL     @pid is a thread id, not a process, or this process; or
 *              an unknown flag
 *  -EOWNERDEAD a zombie: it has exited, nothing is left to work on
 *  -EBUSY      another tracer (debugger, strace) is attached
 *  -EPERM      ptrace is not allowed (credentials, Yama, LSM)
 *  -EACCES     INJECT_SUSPEND_SECCOMP given but refused by the kernel
 *  -ENOEXEC    not a native process (x86_64: a 32-bit one)
 *  -ETIMEDOUT  a thread did not stop in time (uninterruptible sleep, such
 *              as a vfork parent).  Every stopped thread is released; one
 *              that never stopped stays attached with a stop pending, and
 *              is released when the calling thread exits: ptrace gives no
 *              way to detach from a thread that is not stopped.
 *  -EAGAIN     threads kept appearing faster than they could be stopped
 * On success *out is the frozen process; release it with inject_detach.
 */
int inject_seize(pid_t pid, unsigned long long start_time, unsigned flags, int timeout_ms,
		 struct inject_proc **out);

/* Index of thread @tid in p->threads, or -1. */
int inject_thread_index(const struct inject_proc *p, pid_t tid);

/* A good thread to run syscalls in: one stopped in a syscall (its own
 * syscall instruction serves), else the first live one; -1 if none. */
int inject_pick_thread(const struct inject_proc *p);

/*
 * Run syscall @nr (see arch_sysno) with @args in thread @idx and put its
 * result (a value, or -errno from the kernel) in *ret.  The thread's
 * registers are put back exactly afterwards.
 * Errors: -ESRCH (the thread is gone), -ETIMEDOUT, -EACCES (the thread has
 * a seccomp filter the injection would meet: seize with
 * INJECT_SUSPEND_SECCOMP), -EFAULT (no usable syscall instruction),
 * -EPROTO (the thread stopped in a way ptrace does not allow here).
 */
int inject_syscall(struct inject_proc *p, size_t idx, long nr, const uint64_t args[6],
		   int64_t *ret);

/*
 * inject_syscall of @s (an arch_sys) in the thread inject_pick_thread
 * chooses.  -ENOSYS when this architecture has no such syscall, -ESRCH when
 * no thread is left; otherwise as inject_syscall.  The syscall's own result
 * (a value or -errno) is in *ret.
 */
int inject_call(struct inject_proc *p, enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2,
		uint64_t a3, uint64_t a4, uint64_t a5, int64_t *ret);

/*
 * Copy @len bytes from or to the process's memory at @addr: all or
 * nothing.  process_vm_readv/writev first; /proc/PID/mem where those fail,
 * which also reaches pages the process itself may not touch (PROT_NONE;
 * read-only private pages are written by copy-on-write, as a debugger does).
 */
int inject_read(struct inject_proc *p, uint64_t addr, void *buf, size_t len);
int inject_write(struct inject_proc *p, uint64_t addr, const void *buf, size_t len);

/*
 * Put every thread's registers and signal mask back, detach, stop the
 * process again if it was stopped, and free @p.  Safe on a partial attach
 * and on NULL.  Returns 0, or the first error met (everything is still
 * attempted and freed).
 */
int inject_detach(struct inject_proc *p);

#endif
