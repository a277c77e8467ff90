/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine's private parts: the seized process and its threads, and
 * what src/inject.c lends to src/rescue.c.  Only the engine's own files
 * (and its white-box tests) include this; everyone else goes through
 * inject.h, as compel keeps struct parasite_ctl in infect-priv.h.
 */
#ifndef PVMMAP_INJECT_PRIV_H
#define PVMMAP_INJECT_PRIV_H

#include "inject.h"

/* Where an injected syscall ran. */
enum inject_site {
	INJECT_SITE_NONE = 0,
	INJECT_SITE_SYSCALL,    /* the instruction it (or another thread) stopped after */
	INJECT_SITE_VDSO,       /* a syscall instruction in the vdso */
	INJECT_SITE_WRITTEN,    /* one written at the thread's ip, then removed */
	INJECT_SITE_RESCUE,     /* the rescue code's (every syscall of a held thread) */
};

/* inject_thread.state bits */
#define INJECT_T_SEIZED   0x01u /* attached; PTRACE_DETACH needed */
#define INJECT_T_STOPPED  0x02u /* in a ptrace stop; regs and mask saved */
#define INJECT_T_GONE     0x04u /* exited (or never seizable): skipped */
#define INJECT_T_HELD     0x08u /* resting in the rescue code, every signal blocked */
#define INJECT_T_SECCOMP  0x10u /* has a seccomp filter, not suspended */

struct inject_thread {
	pid_t tid;
	unsigned state;          /* INJECT_T_* */
	int group_stop;          /* stop signal of a group-stop it was in, or 0 */
	struct arch_regs regs;   /* as stopped: put back exactly */
	void *xstate;            /* what a syscall would destroy beyond regs
				    (arch_xstate_get), or NULL */
	uint64_t sigmask;        /* its own mask (not a temporary one of ppoll,
				    pselect, sigsuspend, epoll_pwait) */
	int slot;                /* its record in the rescue area while held */
	uint64_t site;           /* syscall instruction it stopped after, or 0 */
	bool site_checked;       /* site looked up (0 then means none) */
	enum inject_site last_site;
	/* The syscall it was blocked in before it was interrupted, where the
	 * registers cannot say it (!arch_eintr_rewinds), and its count of
	 * voluntary context switches then: restart_spurious_eintr */
	struct arch_syscall_seen seen;
	uint64_t seen_nvcsw;
	bool seen_ok;
};

struct inject_proc {
	pid_t pid;
	int pidfd;               /* pins the process: a reused pid is noticed */
	int procfd;              /* O_PATH fd of /proc/PID */
	int memfd;               /* /proc/PID/mem, read-write */
	unsigned flags;          /* enum inject_flags */
	int timeout_ms;          /* bound of every wait */
	int group_stop;          /* the process was stopped with this signal */
	uint64_t vdso_site;      /* 0: not looked up; UINT64_MAX: none */
	uint64_t written_at;     /* code bytes to put back, if written_len */
	unsigned char written_orig[16];
	size_t written_len;
	struct inject_thread *threads;
	size_t nthreads, cap;    /* threads[] also keeps gone ones */
	struct rescue *rescue;   /* the rescue area, once made (src/rescue.c) */
	size_t journal_room;     /* entries asked for (inject_journal_reserve) */
	int anchor;              /* the thread that holds the journal, or -1 */
	/* measurement: injected syscalls and the time they took in all;
	   signals passed on while attaching; time spent in plain injected
	   syscalls, the only ones a death of pvmmap would not be covered in */
	uint64_t nsyscalls, syscall_ns;
	unsigned passed_signals;
	uint64_t unguarded_ns;
};

/* Write into the process through /proc/PID/mem, which reaches pages the
 * process may not write itself (the vdso; a mapping made PROT_EXEC). */
int inject_poke(struct inject_proc *p, uint64_t addr, const void *buf, size_t len);

/* A stopped thread's registers and its signal mask, set. */
int inject_regs_set(struct inject_proc *p, struct inject_thread *t, const struct arch_regs *regs);
/* Its own registers back, as it stopped (with what arch_xstate_get kept). */
int inject_regs_restore(struct inject_proc *p, struct inject_thread *t);
int inject_mask_set(struct inject_proc *p, struct inject_thread *t, uint64_t mask);

/* A syscall run where the thread's own code or the vdso has a syscall
 * instruction, registers put back raw after: for making and removing a
 * rescue area that has to live in its own mapping. */
int inject_plain_syscall(struct inject_proc *p, size_t idx, long nr, const uint64_t args[6],
			 int64_t *ret);

/* The process's [vdso], or -ENOENT. */
int inject_vdso_range(struct inject_proc *p, uint64_t *start, uint64_t *end);

/* PVMMAP_RESCUE=mapped (test-only): the rescue area in its own mapping. */
bool inject_force_mapped(const struct inject_proc *p);

#endif
