/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ptrace engine: freeze every thread of a live process, run syscalls
 * inside it, read and write its memory, and let it go exactly as it was --
 * also when pvmmap itself dies at any instant.
 *
 * What "exactly as it was" means, and how it is kept:
 *  - Registers: a thread that only stays stopped keeps its own registers
 *    throughout.  A thread that runs injected syscalls is first *held*: its
 *    context (with an interrupted syscall's restart applied) and its signal
 *    mask are saved in a rescue area inside the process (src/rescue.c), and
 *    it rests in the rescue code there with every signal blocked.  Injected
 *    syscalls run from that code and end in it.  At detach the thread gets
 *    its own registers and mask back and the kernel restarts its syscall
 *    (read, futex, nanosleep through restart_block, ...).  If pvmmap dies
 *    instead, the thread runs the rescue code: it undoes the journal (see
 *    below), puts its mask back and returns to its own context the same
 *    way, without sigreturn (which would cut restart_block short).
 *  - A few syscalls end with EINTR on any ptrace stop (epoll_wait,
 *    epoll_pwait, rt_sigtimedwait, semop, socket calls with a timeout);
 *    when no signal is pending for the thread at the stop, its registers
 *    are rewound there and then to run the same syscall again.  A finite
 *    timeout of those then starts afresh: the kernel keeps no record of
 *    its deadline.
 *  - Signals: a signal that comes while a thread is being attached is
 *    delivered as it would have been a moment earlier (the freeze has not
 *    begun); one that comes later stays pending and is delivered after the
 *    detach, with its siginfo.  SIGSTOP stops the process as usual; it
 *    stays stopped after the detach.
 *  - Code: never written.  The rescue code goes into the unused tail of
 *    the process's [vdso] (a private copy of that page, as a debugger's
 *    breakpoint makes), or, where the vdso has no room, into a mapping of
 *    its own made by one injected syscall; its bytes are put back (or it is
 *    unmapped) at the detach.
 *  - The journal: what the held thread must undo should pvmmap die before
 *    the caller commits (mappings and descriptors made in the process).
 *    Every change of it is written into the process before the syscall
 *    that makes it runs, and settled from that syscall's result after, so
 *    that it matches the process at every instant.
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
	/* For tests: a plain syscall (making or removing a rescue area that
	 * lives in its own mapping) in a thread not stopped after a syscall
	 * instruction of its own gets one written at its ip, rather than
	 * borrowing one. */
	INJECT_FORCE_WRITE = 1u << 1,
};

/* A seized process: opaque (its parts are src/inject_priv.h's, for the
 * engine's own files); the calls below are the way in. */
struct inject_proc;

/*
 * An undo action of the journal: munmap(a0, a1), close(a0) or
 * mremap(a0, a1, a1, MREMAP_MAYMOVE | MREMAP_FIXED, a2).
 */
struct inject_undo {
	enum arch_sys sys;       /* ARCH_SYS_MUNMAP, ARCH_SYS_CLOSE or ARCH_SYS_MREMAP */
	uint64_t a0, a1, a2;
	unsigned flags;          /* INJECT_UNDO_* */
};
/* a0 is the result of the syscall that makes the thing */
#define INJECT_UNDO_RESULT 0x1u
/* close: the a1 descriptors are ints stored at a0 in the process (-1: none) */
#define INJECT_UNDO_FDS_AT 0x2u
/* munmap of a range at a fixed address: may extend an entry that ends there */
#define INJECT_UNDO_MERGE  0x4u

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

/* Index of thread @tid among the process's threads (as inject_syscall
 * takes it), or -1. */
int inject_thread_index(const struct inject_proc *p, pid_t tid);

/* The thread syscalls run in: the one that holds the journal once there is
 * one, else one stopped in a syscall, else the first live one; -1 if none. */
int inject_pick_thread(const struct inject_proc *p);

/* The process's pid (a traced process is not reaped, so the number is
 * its own until inject_detach). */
pid_t inject_pid(const struct inject_proc *p);

/* An O_PATH descriptor of its /proc/PID, owned by @p until inject_detach:
 * files read through it are the pinned process's, never a successor's. */
int inject_procfd(const struct inject_proc *p);

/* A frozen thread's registers, as it stopped: where it runs, its stack
 * pointer and its thread pointer (arch_regs_tls). */
struct inject_frozen {
	uint64_t ip, sp, tls;
};

/* Thread @tid as it stopped: 0, or -ESRCH when it is not a stopped
 * thread of @p. */
int inject_thread_frozen(const struct inject_proc *p, pid_t tid, struct inject_frozen *out);

/* A stopped thread whose ip is in [@lo, @hi): its tid, or 0.  The rescue
 * code of an earlier pvmmap that was killed while the process was stopped
 * keeps a thread there until it is continued. */
pid_t inject_thread_resting_in(const struct inject_proc *p, uint64_t lo, uint64_t hi);

/* A copy, in the calling process, of the process's descriptor @remote
 * (pidfd_getfd, Linux 5.6; the tracer has the ptrace rights it needs),
 * close-on-exec: the new descriptor, or -errno (-ENOSYS before 5.6). */
int inject_getfd(const struct inject_proc *p, int remote);

/*
 * Run syscall @nr (see arch_sysno) with @args in thread @idx and put its
 * result (a value, or -errno from the kernel) in *ret.  The first thread
 * to run one becomes the journal's holder and stays held in the rescue
 * code until the detach; any other is held for the syscall only and gets
 * its own registers and mask back right after.
 * Errors: -ESRCH (the thread is gone), -ETIMEDOUT, -EACCES (the thread has
 * a seccomp filter the injection would meet: seize with
 * INJECT_SUSPEND_SECCOMP), -EFAULT (the rescue code faulted: cannot
 * happen), -EPROTO (the thread stopped in a way ptrace does not allow
 * here), -ENOMEM, or an error making the rescue area.
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
 * inject_call, in the thread that holds the journal, with the journal change
 * the syscall makes if it succeeds (not an error value): @add journals a new
 * undo entry (NULL: none), @undoes names the entry the syscall undoes (-1:
 * none), both together replace that entry by @add.  *id: the entry's index
 * (for a later @undoes).  Errors as inject_call; -ENOSPC when the journal
 * is full (see inject_journal_reserve).
 */
int inject_call_undo(struct inject_proc *p, enum arch_sys s, const uint64_t args[6],
		     const struct inject_undo *add, int undoes, int64_t *ret, int *id);

/* Room for @n journal entries, asked before the first injected syscall
 * (the rescue area is sized then).  0, or -EBUSY when it is too late. */
int inject_journal_reserve(struct inject_proc *p, size_t n);

/* With an empty journal, remove the rescue area (the process stays held;
 * the next injected syscall places one again, sized by a new
 * inject_journal_reserve).  0, -EBUSY with live entries, or rescue's
 * error (the area then stays, and the detach removes it). */
int inject_journal_end(struct inject_proc *p);

/* Live journal entries. */
size_t inject_journal_count(const struct inject_proc *p);

/*
 * Undo every live journal entry, last first, each as the rescue code
 * would.  0, or the first error; an entry that could not be undone stays
 * in the journal and @what (when not NULL) describes it.
 */
int inject_journal_rollback(struct inject_proc *p, char *what, size_t len);

/* Undo entry @id now, as the rollback would (and drop it). */
int inject_journal_undo(struct inject_proc *p, int id);

/* Forget the journal: what it lists stays in the process for good.  The
 * commit point of a transaction. */
int inject_journal_commit(struct inject_proc *p);

/* Whether the process still exists (not exited, not a zombie). */
bool inject_alive(const struct inject_proc *p);

/* Whether it has exited, or does within @ms. */
bool inject_exited(const struct inject_proc *p, int ms);

/*
 * Let every held thread go back to its own registers and mask, remove the
 * rescue area, detach, and free @p.  Safe on a partial attach and on NULL.
 * A journal entry still live is left in the process (the caller reports
 * it).  Returns 0, or the first error met (everything is still attempted
 * and freed).
 */
int inject_detach(struct inject_proc *p);

/*
 * Let every thread of @p go, as inject_detach does, but keep @p as a handle
 * on the process for what needs no stopped thread: inject_pid,
 * inject_procfd, inject_read, inject_write, inject_alive, inject_exited
 * (its pidfd, /proc/PID and /proc/PID/mem stay pinned to the process and
 * its mm).  For a live transfer, which copies while the source runs.
 * Only with an empty journal: nothing of pvmmap is left in the process
 * meanwhile (-EBUSY otherwise, and nothing changed).  Returns 0 or the
 * first error of the letting go (everything is still let go).
 */
int inject_release(struct inject_proc *p);

/* Freeze a released @p again, as inject_seize does (its errors; -ESRCH:
 * the process is gone).  On failure @p stays released. */
int inject_refreeze(struct inject_proc *p);

/* Whether the frozen process was in a group-stop (SIGSTOP, SIGTSTP...)
 * when it was seized: its /proc state then says 't', as for any tracee. */
bool inject_group_stopped(const struct inject_proc *p);

#endif
