/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * aarch64 (arm64).  The kernel facts this file relies on are in
 * docs/kernel-facts.md, section "arm64" (arch/arm64/kernel/ptrace.c,
 * signal.c and syscall.c of 6.1 and 6.18).
 */
#include "aarch64.h"

#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "compat.h"
#include "sysnos.h"

const char arch_name[] = "aarch64";

unsigned arch_elf_machine(void)
{
	return EM_AARCH64;
}

/*
 * TASK_SIZE is 1 << vabits_actual with no guard page (arm64's user space
 * ends where the page tables' reach ends).  The kernel's VA size is one of
 * 36, 39, 42, 47, 48 or 52 bits (by page size and table levels), and with
 * 52 bits a process sees more than 48 only once it asked for an address
 * above them (DEFAULT_MAP_WINDOW_64), as x86_64's 5-level paging.  The
 * stack sits at the top of the window, so the smallest size that holds
 * the highest mapping is the process's.
 */
uint64_t arch_task_size(uint64_t highest_end)
{
	static const unsigned bits[] = { 36, 39, 42, 47, 48, 52 };

	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
		if (highest_end <= UINT64_C(1) << bits[i])
			return UINT64_C(1) << bits[i];
	return UINT64_C(1) << 52;
}

/* arm64 maps nothing for user space above TASK_SIZE (no [vsyscall]). */
bool arch_user_mapping(uint64_t end)
{
	return end <= (UINT64_C(1) << 52);
}

/*
 * A page-middle-directory entry maps as many pages as a table page holds
 * 8-byte entries: 2 MiB with 4 KiB pages, 32 MiB with 16 KiB, 512 MiB
 * with 64 KiB (arm64's PMD_SHIFT = 2 * PAGE_SHIFT - 3).
 */
uint64_t arch_pmd_size(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t ps = page > 0 ? (uint64_t)page : UINT64_C(4096);

	return ps * (ps / 8);
}

/* PROT_BTI (5.8) is accepted by mmap and mprotect only where the CPU has
 * BTI; a VMA shows bt only there. */
int arch_prot_bti(void)
{
	return PROT_BTI;
}

/* ---------------------------------------------------------------- registers */

/* The kernel's internal restart codes (include/linux/errno.h). */
#define ERESTARTSYS            512
#define ERESTARTNOINTR         513
#define ERESTARTNOHAND         514
#define ERESTART_RESTARTBLOCK  516

/* pstate (asm/ptrace.h): PSR_MODE32_BIT, an AArch32 (compat) thread;
 * PSR_BTYPE_MASK, the BTI branch type of the next instruction. */

#define SVC_LEN 4

static int syscallno_get(pid_t tid, int32_t *nr)
{
	struct iovec iov = { .iov_base = nr, .iov_len = sizeof *nr };

	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &iov) < 0 ? -errno : 0;
}

int arch_regs_get(pid_t tid, struct arch_regs *regs)
{
	struct a64_regs *a = a64_regs(regs);
	struct iovec iov = { .iov_base = &a->r, .iov_len = sizeof a->r };

	memset(regs, 0, sizeof *regs);
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	/* A compat (AArch32) thread gets the 18-word arm set, and nRW
	 * (pstate bit 4) set. */
	if (iov.iov_len != sizeof a->r || (a->r.pstate & PSR_MODE32_BIT))
		return -ENOEXEC;
	iov = (struct iovec){ .iov_base = &a->tls, .iov_len = sizeof a->tls };
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_ARM_TLS, &iov) < 0)
		return -errno;
	return syscallno_get(tid, &a->syscallno);
}

/*
 * The syscall number goes back too: at a syscall-exit stop it is the
 * injected syscall's, and left there the exit path would take the
 * registers put back for that syscall's and could apply a restart to them
 * (do_signal: in_syscall(), x0 one of the restart codes).  x7 written at a
 * syscall stop is dropped by the kernel (report_syscall saves and puts it
 * back around the stop): it keeps the value it had when the stop came.
 */
int arch_regs_set(pid_t tid, const struct arch_regs *regs)
{
	struct a64_regs copy = *a64_cregs(regs);
	struct iovec iov = { .iov_base = &copy.r, .iov_len = sizeof copy.r };

	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	iov = (struct iovec){ .iov_base = &copy.syscallno, .iov_len = sizeof copy.syscallno };
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &iov) < 0 ? -errno : 0;
}

/* The state kept: the regset's note type, then the regset as read. */
struct a64_xstate {
	unsigned type;
	uint32_t size;
	_Alignas(16) unsigned char data[];
};

/*
 * NT_ARM_SVE or NT_ARM_SSVE (streaming mode, 5.19) whole, when its header
 * says SVE_PT_REGS_SVE: the Z, P and FFR registers are live (the thread
 * was stopped in user code that used them).  Else NULL: the FPSIMD view
 * is v0-v31, which no syscall changes.  A CPU without SVE (or SME): EINVAL
 * or ENODEV, NULL.
 */
static int sve_get(pid_t tid, unsigned type, struct a64_xstate **out)
{
	struct user_sve_header h;
	struct iovec iov = { .iov_base = &h, .iov_len = sizeof h };
	struct a64_xstate *x;

	*out = NULL;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)(uintptr_t)type, &iov) < 0)
		return errno == EINVAL || errno == ENODEV ? 0 : -errno;
	if (iov.iov_len < sizeof h || (h.flags & SVE_PT_REGS_MASK) != SVE_PT_REGS_SVE)
		return 0;
	x = malloc(sizeof *x + h.size);
	if (!x)
		return -ENOMEM;
	x->type = type;
	iov = (struct iovec){ .iov_base = x->data, .iov_len = h.size };
	if (ptrace(PTRACE_GETREGSET, tid, (void *)(uintptr_t)type, &iov) < 0) {
		free(x);
		return -errno;
	}
	x->size = (uint32_t)iov.iov_len;
	*out = x;
	return 0;
}

/* A syscall in streaming mode leaves it (PSTATE.SM cleared, SVE rules);
 * PSTATE.ZA and ZA itself survive syscalls (Documentation/arch/arm64/
 * sme.rst): NT_ARM_ZA needs no keeping. */
int arch_xstate_get(pid_t tid, void **state)
{
	struct a64_xstate *x = NULL;
	int r = sve_get(tid, NT_ARM_SVE, &x);

	if (!r && !x)
		r = sve_get(tid, NT_ARM_SSVE, &x);
	*state = x;
	return r;
}

int arch_xstate_set(pid_t tid, const void *state)
{
	const struct a64_xstate *x = state;
	struct iovec iov;

	if (!x)
		return 0;
	iov = (struct iovec){ .iov_base = (void *)(uintptr_t)x->data, .iov_len = x->size };
	return ptrace(PTRACE_SETREGSET, tid, (void *)(uintptr_t)x->type, &iov) < 0 ? -errno : 0;
}

uint64_t arch_regs_ip(const struct arch_regs *regs)
{
	return a64_cregs(regs)->r.pc;
}

uint64_t arch_regs_sp(const struct arch_regs *regs)
{
	return a64_cregs(regs)->r.sp;
}

/* tpidr_el0: not in NT_PRSTATUS, read from NT_ARM_TLS with it. */
uint64_t arch_regs_tls(const struct arch_regs *regs)
{
	return a64_cregs(regs)->tls;
}

/*
 * The syscall number the thread's registers hold.  At a syscall stop the
 * kernel's own (NT_ARM_SYSTEM_CALL).  At any other stop the kernel has
 * already forgotten it (do_signal calls forget_syscall before get_signal,
 * where every PTRACE_EVENT_STOP and group-stop happens), and x8, which the
 * kernel never writes, is the number the last svc ran: meaningful only
 * when pc is just past an svc, which the caller checks (arch.h).
 */
long arch_regs_syscall_nr(const struct arch_regs *regs)
{
	const struct a64_regs *a = a64_cregs(regs);

	return a->syscallno >= 0 ? a->syscallno : (long)a->r.regs[8];
}

int64_t arch_regs_retval(const struct arch_regs *regs)
{
	return (int64_t)a64_cregs(regs)->r.regs[0];
}

/*
 * Only at a syscall-exit stop can x0 still hold a restart code: at every
 * other stop do_signal has applied the restart before the tracer looks
 * (pc back on the svc, x0 = orig_x0, "so that a debugger will see the
 * already changed PC").
 */
bool arch_regs_will_restart(const struct arch_regs *regs)
{
	const struct a64_regs *a = a64_cregs(regs);
	int64_t x0 = (int64_t)a->r.regs[0];

	return a->syscallno >= 0 &&
	       (x0 == -ERESTARTSYS || x0 == -ERESTARTNOINTR || x0 == -ERESTARTNOHAND ||
		x0 == -ERESTART_RESTARTBLOCK);
}

const unsigned char arch_syscall_insn[] = { 0x01, 0x00, 0x00, 0xd4 }; /* svc #0 */
const size_t arch_syscall_insn_len = sizeof arch_syscall_insn;

/*
 * The svc just before pc: where a thread stopped on the way out of a
 * syscall (a syscall stop, or an event stop after a syscall that ended
 * without a restart, such as one failing with EINTR) has its instruction.
 * A thread whose syscall is to be restarted shows pc on the svc itself
 * (see arch_regs_will_restart), so this gives the instruction before it,
 * which is not an svc: the caller's check of the bytes then finds no site,
 * which is what must happen.  For a RESTART_RESTARTBLOCK syscall the
 * kernel rewrites x8 to restart_syscall on the first resume whose pc is
 * still that svc (do_signal's restart_addr), so nothing may be injected
 * there.
 */
uint64_t arch_syscall_site(const struct arch_regs *regs)
{
	uint64_t pc = a64_cregs(regs)->r.pc;

	return pc >= SVC_LEN ? pc - SVC_LEN : 0;
}

void arch_regs_set_syscall(struct arch_regs *regs, uint64_t site, long nr, const uint64_t args[6])
{
	struct a64_regs *a = a64_regs(regs);

	for (int i = 0; i < 6; i++)
		a->r.regs[i] = args[i];
	a->r.regs[8] = (uint64_t)nr;
	a->r.pc = site;
	/* A thread stopped just after an indirect branch has BTYPE set in
	 * pstate: resumed so on an svc in a guarded page (the vdso is
	 * mapped with PROT_BTI where the CPU has BTI) it would take a
	 * Branch Target exception. */
	a->r.pstate &= ~(uint64_t)PSR_BTYPE_MASK;
	/* Not "in a syscall": no restart logic on these registers. */
	a->syscallno = -1;
}

/*
 * x0 is the result by now and orig_x0 is nowhere a tracer can read it
 * (NT_PRSTATUS has no orig_x0, PEEKUSER does not exist on arm64): the
 * syscall's first argument comes from /proc/PID/task/TID/syscall read while
 * the thread was blocked in it, before the stop (the kernel prints orig_x0
 * there: syscall_get_arguments).  x1-x5, x8, sp and pc are left alone by a
 * syscall that ends with EINTR, so all of them must still be what was seen.
 */
const bool arch_eintr_rewinds = false;

bool arch_regs_rewind_syscall(struct arch_regs *regs, const struct arch_syscall_seen *seen)
{
	struct a64_regs *a = a64_regs(regs);

	if (!seen || seen->nr < 0 || (uint64_t)seen->nr != a->r.regs[8] ||
	    seen->sp != a->r.sp || seen->pc != a->r.pc || a->r.pc < SVC_LEN)
		return false;
	for (int i = 1; i < 6; i++)
		if (seen->args[i] != a->r.regs[i])
			return false;
	a->r.regs[0] = seen->args[0];
	a->r.pc -= SVC_LEN;
	return true;
}

/* ------------------------------------------------------------------- rescue */

extern const unsigned char pv_rescue_aarch64[], pv_rescue_aarch64_end[];

size_t arch_rescue_code(const unsigned char **code)
{
	*code = pv_rescue_aarch64;
	return (size_t)(pv_rescue_aarch64_end - pv_rescue_aarch64);
}

/* The context as src/arch/aarch64-rescue.S reads it: the address of the
 * thread's sigframe (arch_rescue_frame). */
size_t arch_rescue_ctx_size(void)
{
	return sizeof(uint64_t);
}

/*
 * The head of struct rt_sigframe (arch/arm64/kernel/signal.c): siginfo,
 * then ucontext (include/uapi/asm-generic/ucontext.h with arm64's 1024-bit
 * sigset room), whose sigcontext's __reserved holds the records: the
 * FP/SIMD one, which sys_rt_sigreturn requires, then those
 * arch_rescue_frame adds after it (SVE, an extra_context) and the zero
 * header that ends them.  Nothing past them is read.
 */
struct a64_frame {
	unsigned char info[128];
	uint64_t uc_flags, uc_link;
	uint64_t ss_sp;
	int32_t ss_flags;
	uint32_t ss_pad;
	uint64_t ss_size;
	uint64_t uc_sigmask;
	unsigned char uc_unused[1024 / 8 - 8];
	_Alignas(16) uint64_t fault_address;
	struct user_pt_regs regs;               /* sigcontext: regs[31], sp, pc, pstate */
	_Alignas(16) struct fpsimd_context fpsimd;
};
_Static_assert(offsetof(struct a64_frame, uc_sigmask) == 128 + 40, "ucontext.uc_sigmask");
_Static_assert(offsetof(struct a64_frame, fault_address) == 128 + 176, "ucontext.uc_mcontext");
_Static_assert(offsetof(struct a64_frame, fpsimd) == 128 + 176 + 288, "sigcontext.__reserved");
_Static_assert(sizeof(struct fpsimd_context) == 528, "struct fpsimd_context");

#define A64_RT_SIGFRAME 4688    /* sizeof(struct rt_sigframe): 128 + 176 + 288 + 4096 */
#define A64_RESERVED    4096    /* sizeof sigcontext.__reserved */
#define A64_TERMINATOR  16      /* a zero header, rounded up (TERMINATOR_SIZE) */
#define SS_BAD_MODE     4       /* not 0, SS_ONSTACK nor SS_DISABLE */

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/*
 * The bytes of the SVE record (struct sve_context and the registers,
 * rounded up to 16 as the kernel's own are) for state @x kept by
 * arch_xstate_get, or 0 for none.  The ptrace payload from
 * SVE_PT_REGS_OFFSET and the record's from SVE_SIG_REGS_OFFSET have the
 * same inner layout (__SVE_ZREG_OFFSET and the rest: Z, then P, then
 * FFR), and the record stops after FFR (SVE_SIG_REGS_SIZE): FPSR and FPCR
 * are the FP/SIMD record's.
 */
static size_t sve_record_size(const struct a64_xstate *x)
{
	const struct user_sve_header *h = (const void *)x->data;

	if (x->size < sizeof *h || !sve_vl_valid(h->vl) ||
	    x->size < SVE_PT_SIZE(sve_vq_from_vl(h->vl), SVE_PT_REGS_SVE))
		return 0;
	return align16(SVE_SIG_CONTEXT_SIZE(sve_vq_from_vl(h->vl)));
}

/* struct sve_context as 5.19 has it: flags named (headers before it call
 * the field __reserved[0]). */
struct a64_sve_context {
	struct _aarch64_ctx head;
	uint16_t vl;
	uint16_t flags;
	uint16_t reserved[2];
};
_Static_assert(sizeof(struct a64_sve_context) == sizeof(struct sve_context), "struct sve_context");

static void sve_record_fill(unsigned char *at, size_t size, const struct a64_xstate *x)
{
	const struct user_sve_header *h = (const void *)x->data;
	struct a64_sve_context c = {
		.head = { .magic = SVE_MAGIC, .size = (uint32_t)size },
		.vl = h->vl,
		.flags = x->type == NT_ARM_SSVE ? SVE_SIG_FLAG_SM : 0,
	};

	memcpy(at, &c, sizeof c);
	memcpy(at + SVE_SIG_REGS_OFFSET, x->data + SVE_PT_REGS_OFFSET,
	       SVE_SIG_REGS_SIZE(sve_vq_from_vl(h->vl)));
}

/*
 * The way back is rt_sigreturn (no user instruction loads pc without a
 * register of its own), from a frame made here at the hold and written
 * where the kernel would put a signal's frame, below the thread's sp, so
 * that the rescue code only points sp at it: the area then fits the
 * vdso's tail, which on arm64 with 4 KiB pages has some 700 bytes free
 * (Debian's 6.1: a 3.3 KiB image in one page), too few for the frame code
 * and a whole context in each record.  The FP/SIMD record is the thread's
 * v0-v31, fpsr and fpcr as they are now: neither pvmmap nor the syscalls
 * it runs change them.  Live SVE state (the thread stopped in user code
 * that used it; arch_xstate_set has put it back after every syscall run
 * before the hold) follows in an SVE record, which sys_rt_sigreturn loads
 * whole (restore_sve_fpsimd_context: the record's vl must be the thread's,
 * its size at least SVE_SIG_CONTEXT_SIZE; SVE_SIG_FLAG_SM for streaming
 * mode, which a syscall leaves).  Where it does not fit __reserved
 * (vector lengths of 112 bytes and more), it goes beyond, through an
 * extra_context record as the kernel's own frames do (sigreturn takes
 * what its own signal delivery makes, so this costs only stack room, where
 * refusing to hold such a thread would leave it unmovable): its datap must
 * be right after the zero header that follows it (parse_user_sigframe),
 * the area ends with a zero header of its own, and the frame grows below
 * sp accordingly.  uc_stack's flags are an invalid mode, so that
 * restore_altstack leaves the thread's sigaltstack as it is (it ignores
 * every error but EFAULT).  The registers are the thread's as they are:
 * see arch_rescue_ctx_fill.
 */
int arch_rescue_frame(pid_t tid, const struct arch_regs *regs, uint64_t mask, void **frame,
		      size_t *len, uint64_t *at)
{
	const struct a64_regs *a = a64_cregs(regs);
	struct user_fpsimd_state fp;
	struct iovec iov = { .iov_base = &fp, .iov_len = sizeof fp };
	struct a64_xstate *sve = NULL;
	struct extra_context *extra = NULL;
	struct a64_frame *f;
	unsigned char *buf, *next;
	size_t sve_size, n;
	bool beyond;
	int err;

	*frame = NULL;
	*len = 0;
	*at = 0;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRFPREG, &iov) < 0)
		return -errno;
	if (iov.iov_len != sizeof fp)
		return -EIO;
	err = arch_xstate_get(tid, (void **)&sve);
	if (err)
		return err;
	sve_size = sve ? sve_record_size(sve) : 0;
	if (sve && !sve_size) {
		err = -EIO;
		goto out;
	}
	beyond = sve_size && sizeof f->fpsimd + sve_size + A64_TERMINATOR > A64_RESERVED;
	n = sizeof *f + (beyond ? sizeof *extra + A64_TERMINATOR : 0) + sve_size + A64_TERMINATOR;
	buf = calloc(1, n);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	/* sys_rt_sigreturn: a frame 16-byte aligned at sp */
	*at = (a->r.sp - (n > A64_RT_SIGFRAME ? n : A64_RT_SIGFRAME)) & ~UINT64_C(15);
	f = (struct a64_frame *)(void *)buf;
	f->ss_flags = SS_BAD_MODE;
	f->uc_sigmask = mask;
	f->regs = a->r;
	f->fpsimd.head.magic = FPSIMD_MAGIC;
	f->fpsimd.head.size = sizeof f->fpsimd;
	f->fpsimd.fpsr = fp.fpsr;
	f->fpsimd.fpcr = fp.fpcr;
	memcpy(f->fpsimd.vregs, fp.vregs, sizeof f->fpsimd.vregs);
	next = buf + sizeof *f;
	if (beyond) {
		extra = (struct extra_context *)(void *)next;
		next += sizeof *extra + A64_TERMINATOR;
		extra->head.magic = EXTRA_MAGIC;
		extra->head.size = sizeof *extra;
		extra->datap = *at + (uint64_t)(next - buf);
		extra->size = (uint32_t)(sve_size + A64_TERMINATOR);
	}
	if (sve_size)
		sve_record_fill(next, sve_size, sve);
	*frame = buf;
	*len = n;
out:
	free(sve);
	return err;
}

/*
 * The registers as they are: at the stops where pvmmap saves a thread's
 * context (its PTRACE_EVENT_STOP or group-stop), do_signal has already
 * applied an interrupted syscall's restart (pc on the svc, x0 = orig_x0,
 * x8 still the syscall's number), and resuming there runs the syscall
 * again.  A RESTART_RESTARTBLOCK syscall (nanosleep, futex with a timeout)
 * then starts over with its own arguments instead of going on through
 * restart_syscall: the sigreturn the rescue code ends with makes
 * restart_syscall fail with EINTR (sys_rt_sigreturn resets restart_block).
 * They are in the frame (arch_rescue_frame); the record holds its address.
 */
void arch_rescue_ctx_fill(void *ctx, const struct arch_regs *regs, uint64_t frame)
{
	(void)regs;
	memcpy(ctx, &frame, sizeof frame);
}

void arch_regs_rest(struct arch_regs *regs, uint64_t ip, uint64_t rec, uint64_t head)
{
	struct a64_regs *a = a64_regs(regs);

	a->r.pc = ip;
	a->r.regs[19] = rec;
	a->r.regs[20] = head;
	a->r.regs[0] = (uint64_t)-1;
	a->r.pstate &= ~(uint64_t)PSR_BTYPE_MASK;
	a->syscallno = -1;
}
