/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What pvmmap needs to know about the CPU architecture it runs on.  Each
 * architecture implements this in src/arch/<uname -m>.c, with its register
 * layout in src/arch/<uname -m>.h and its rescue code in
 * src/arch/<uname -m>-rescue.S.  Nothing outside src/arch/ may depend on one
 * architecture, and no definition here belongs to one.
 */
#ifndef PVMMAP_ARCH_H
#define PVMMAP_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

/* The architecture's name as uname -m prints it. */
extern const char arch_name[];

/* e_machine of the native ELF executables pvmmap can work on. */
unsigned arch_elf_machine(void);

/*
 * The end of the user address space of a process whose highest mapping ends
 * at @highest_end (x86_64: 47 bits, or 56 when 5-level paging is in use and
 * the process has opted into it by mapping above 47 bits).
 */
uint64_t arch_task_size(uint64_t highest_end);
/* False for a mapping ending at @end above every user address space: a page
 * the kernel provides there, which says nothing of the process's reach. */
bool arch_user_mapping(uint64_t end);

/* The size a page-middle-directory entry maps: a transparent huge page. */
uint64_t arch_pmd_size(void);

/* The mmap/mprotect protection bit of a branch-target-guarded page (VmFlags
 * bt; aarch64: PROT_BTI), or 0 where the architecture has none. */
int arch_prot_bti(void);

/* ---- registers and syscalls, for running a syscall inside a tracee ---- */
/*
 * The general registers of a thread as PTRACE_GETREGSET(NT_PRSTATUS) gives
 * them, in a box of fixed size: their layout is the architecture's own
 * (src/arch/<arch>.h, which only src/arch/ includes), so that adding an
 * architecture adds files and edits none here.  Outside src/arch/: copy,
 * compare, save, restore.  The size holds every set Linux has (x86_64:
 * 216 bytes, aarch64: 272, riscv64: 256); the bytes past the set are zero
 * after arch_regs_get, so two boxes compare whole.
 */
#define ARCH_REGS_SIZE 512
struct arch_regs {
	_Alignas(16) unsigned char opaque[ARCH_REGS_SIZE];
};

/*
 * Read or write the registers of the ptrace-stopped thread @tid.
 * 0 or -errno; arch_regs_get gives -ENOEXEC for a thread that is not native
 * (x86_64: a 32-bit process), whose registers and syscalls differ.
 */
int arch_regs_get(pid_t tid, struct arch_regs *regs);
int arch_regs_set(pid_t tid, const struct arch_regs *regs);

/*
 * Register state outside the box that a syscall run in the thread destroys
 * (aarch64: live SVE or streaming SVE state beyond the low 128 bits of each
 * vector, which every svc discards), read at the thread's stop and written
 * back when its own registers go back.  *state is NULL when there is
 * nothing to keep (x86_64 always: syscall keeps every register it saves);
 * free it with free().  0 or -errno.
 */
int arch_xstate_get(pid_t tid, void **state);
int arch_xstate_set(pid_t tid, const void *state);

uint64_t arch_regs_ip(const struct arch_regs *regs);
uint64_t arch_regs_sp(const struct arch_regs *regs);
/* The thread pointer (x86_64: fs_base; aarch64: tpidr_el0).  glibc
 * keeps a thread's control block and TLS at the top of its stack mapping, so
 * a mapping holding it is in use even while the thread runs elsewhere. */
uint64_t arch_regs_tls(const struct arch_regs *regs);

/* The syscall the thread entered last (x86_64: orig_rax), or -1 (none).
 * aarch64 may answer x8 for a thread in no syscall: trust it only where
 * arch_syscall_site's bytes are the syscall instruction. */
long arch_regs_syscall_nr(const struct arch_regs *regs);

/* The syscall's return value, or the error as -errno. */
int64_t arch_regs_retval(const struct arch_regs *regs);

/*
 * True when the kernel will restart the thread's syscall by itself when it
 * resumes with these registers (x86_64: rax is -ERESTARTSYS, -ERESTARTNOINTR,
 * -ERESTARTNOHAND or -ERESTART_RESTARTBLOCK and orig_rax >= 0).
 */
bool arch_regs_will_restart(const struct arch_regs *regs);

/*
 * Where the syscall instruction the thread last executed would be if it is
 * stopped on the way out of a syscall: ip minus the instruction's length,
 * or 0 when it is not in a syscall (aarch64 cannot tell at an event stop:
 * it always answers ip - 4).  The caller must check that the bytes there
 * are arch_syscall_insn (a syscall may also be entered another way).
 */
uint64_t arch_syscall_site(const struct arch_regs *regs);

/*
 * Make the thread run @nr(@args) at @site when it resumes: syscall number
 * and arguments in their registers, ip = @site, and the "in a syscall" mark
 * cleared (x86_64: orig_rax = -1) so that no restart logic applies.
 */
void arch_regs_set_syscall(struct arch_regs *regs, uint64_t site, long nr,
			   const uint64_t args[6]);

/* A syscall a thread was seen blocked in, before it was stopped: the line
 * of /proc/PID/task/TID/syscall (number, six arguments, sp, pc). */
struct arch_syscall_seen {
	long nr;
	uint64_t args[6], sp, pc;
};

/*
 * Turn a thread stopped on the way out of a syscall into one about to
 * execute that same syscall again: ip back onto the instruction, the number
 * back into its register.  For syscalls the kernel ends with EINTR on a
 * ptrace stop although no signal arrived.  Where the registers no longer
 * hold the first argument (aarch64: x0 holds the result, and a tracer
 * cannot read orig_x0), it comes from @seen, the same syscall seen blocked
 * before the stop: the caller makes sure it is the same call, and the
 * architecture checks that every register @seen shows still holds it.
 * False, registers untouched, when it cannot be run again.
 */
bool arch_regs_rewind_syscall(struct arch_regs *regs, const struct arch_syscall_seen *seen);
/* Whether the registers alone are enough for arch_regs_rewind_syscall
 * (true on x86_64, which keeps orig_rax and rdi); false on aarch64, which
 * needs the syscall seen before the stop (docs/kernel-facts.md, "arm64"). */
extern const bool arch_eintr_rewinds;

/* ---- the rescue code (src/rescue.c) ---------------------------------------- */
/*
 * The code a held thread rests in (src/arch/<arch>-rescue.S): a syscall
 * instruction at offset 0, where injected syscalls run, and the rest entry
 * right after it.  It reads its record and the area's head through two
 * registers (arch_regs_rest).  Returns the code's length.
 */
size_t arch_rescue_code(const unsigned char **code);

/* Bytes of the architecture's context in a record (from REC_CTX). */
size_t arch_rescue_ctx_size(void);

/*
 * What the rescue code's way back needs in the thread's own memory, made
 * when thread @tid (stopped with @regs, its own signal mask @mask) is
 * held: *@len bytes (*@frame, malloc'd) that the caller writes at *@at
 * before the thread rests.  *@len 0 and *@frame NULL: nothing.  0 or
 * -errno.
 */
int arch_rescue_frame(pid_t tid, const struct arch_regs *regs, uint64_t mask, void **frame,
		      size_t *len, uint64_t *at);

/*
 * Write into @ctx the context that resumes a thread stopped with @regs the
 * way the kernel would resume it when no signal is taken: an interrupted
 * syscall's restart applied (ip back on the instruction, the syscall's
 * number, or restart_syscall's, in its register).  @frame: where
 * arch_rescue_frame's bytes went (0: none).
 */
void arch_rescue_ctx_fill(void *ctx, const struct arch_regs *regs, uint64_t frame);

/*
 * Registers resting at @ip in the rescue code: the record at @rec, the
 * area's head at @head (0: this thread does not hold the journal), the
 * result register at -1 (no syscall to settle), no syscall to restart.
 * The stack pointer stays the thread's own.
 */
void arch_regs_rest(struct arch_regs *regs, uint64_t ip, uint64_t rec, uint64_t head);

/* The syscall instruction (x86_64: 0f 05). */
extern const unsigned char arch_syscall_insn[];
extern const size_t arch_syscall_insn_len;

/* The syscalls pvmmap runs or recognises, by name. */
enum arch_sys {
	ARCH_SYS_READ,
	ARCH_SYS_WRITE,
	ARCH_SYS_CLOSE,
	ARCH_SYS_MMAP,
	ARCH_SYS_MPROTECT,
	ARCH_SYS_MUNMAP,
	ARCH_SYS_MREMAP,
	ARCH_SYS_MADVISE,
	ARCH_SYS_MLOCK,
	ARCH_SYS_MLOCK2,
	ARCH_SYS_MUNLOCK,
	ARCH_SYS_MSEAL,
	ARCH_SYS_SHMAT,
	ARCH_SYS_SHMDT,
	ARCH_SYS_SOCKET,
	ARCH_SYS_CONNECT,
	ARCH_SYS_ACCEPT,
	ARCH_SYS_ACCEPT4,
	ARCH_SYS_SENDTO,
	ARCH_SYS_RECVFROM,
	ARCH_SYS_SENDMSG,
	ARCH_SYS_RECVMSG,
	ARCH_SYS_PRCTL,
	ARCH_SYS_GETPID,
	ARCH_SYS_GETPPID,
	ARCH_SYS_GETTID,
	ARCH_SYS_PROCESS_VM_READV,
	ARCH_SYS_PROCESS_VM_WRITEV,
	ARCH_SYS_PROCESS_MADVISE,
	ARCH_SYS_PIDFD_OPEN,
	ARCH_SYS_PIDFD_GETFD,
	ARCH_SYS_MEMFD_CREATE,
	ARCH_SYS_FTRUNCATE,
	ARCH_SYS_EPOLL_WAIT,
	ARCH_SYS_EPOLL_PWAIT,
	ARCH_SYS_EPOLL_PWAIT2,
	ARCH_SYS_RT_SIGTIMEDWAIT,
	ARCH_SYS_SEMOP,
	ARCH_SYS_SEMTIMEDOP,
	ARCH_SYS_SOCKETPAIR,
	ARCH_SYS_OPENAT,
	ARCH_SYS_FCNTL,
	ARCH_SYS_MBIND,
	ARCH_SYS_GET_MEMPOLICY,
	ARCH_SYS_SHMCTL,
	ARCH_SYS_USERFAULTFD,
	ARCH_SYS__COUNT
};

/* The number of @s on this architecture, or -1 when it has no such syscall. */
long arch_sysno(enum arch_sys s);

#endif
