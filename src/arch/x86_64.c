/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "x86_64.h"

#include <elf.h>
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <string.h>
#include <sys/uio.h>

#include "compat.h"
#include "sysnos.h"

const char arch_name[] = "x86_64";

unsigned arch_elf_machine(void)
{
	return EM_X86_64;
}

/*
 * TASK_SIZE_MAX is (1 << 47) - PAGE_SIZE with 4-level paging: the kernel keeps
 * the last page unmapped as a guard against speculation across the canonical
 * boundary.  With 5-level paging (LA57) a process sees 56 bits only after it
 * asked for an address above 47 bits, so its existing mappings tell which.
 */
uint64_t arch_task_size(uint64_t highest_end)
{
	const uint64_t tasksize_47 = (UINT64_C(1) << 47) - 4096;
	const uint64_t tasksize_56 = (UINT64_C(1) << 56) - 4096;

	return highest_end > tasksize_47 && highest_end <= tasksize_56 ? tasksize_56 : tasksize_47;
}

/* [vsyscall] (0xffffffffff600000) lies above the 56-bit user space. */
bool arch_user_mapping(uint64_t end)
{
	return end <= (UINT64_C(1) << 56);
}

uint64_t arch_pmd_size(void)
{
	return UINT64_C(2) << 20;
}

int arch_prot_bti(void)
{
	return 0;
}

/* ---------------------------------------------------------------- registers */

/* The kernel's internal restart codes (include/linux/errno.h), as seen in rax
 * of a thread stopped in a syscall that a signal or ptrace stop interrupted. */
#define ERESTARTSYS            512
#define ERESTARTNOINTR         513
#define ERESTARTNOHAND         514
#define ERESTART_RESTARTBLOCK  516

/* Code segment selectors: 64-bit user code, 32-bit (ia32) user code. */
#define USER_CS   0x33
#define USER32_CS 0x23

int arch_regs_get(pid_t tid, struct arch_regs *regs)
{
	struct user_regs_struct *r = &x86_regs(regs)->r;
	struct iovec iov = { .iov_base = r, .iov_len = sizeof *r };

	memset(regs, 0, sizeof *regs);
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -errno;
	/* An ia32 thread gets the 17-word i386 set; x32 and LDT code
	 * segments are not plain 64-bit either. */
	if (iov.iov_len != sizeof *r || r->cs != USER_CS)
		return -ENOEXEC;
	return 0;
}

int arch_regs_set(pid_t tid, const struct arch_regs *regs)
{
	struct user_regs_struct copy = x86_cregs(regs)->r;
	struct iovec iov = { .iov_base = &copy, .iov_len = sizeof copy };

	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0 ? -errno : 0;
}

int arch_xstate_get(pid_t tid, void **state)
{
	(void)tid;
	*state = NULL;
	return 0;
}

int arch_xstate_set(pid_t tid, const void *state)
{
	(void)tid;
	(void)state;
	return 0;
}

uint64_t arch_regs_ip(const struct arch_regs *regs)
{
	return x86_cregs(regs)->r.rip;
}

uint64_t arch_regs_sp(const struct arch_regs *regs)
{
	return x86_cregs(regs)->r.rsp;
}

uint64_t arch_regs_tls(const struct arch_regs *regs)
{
	return x86_cregs(regs)->r.fs_base;
}

long arch_regs_syscall_nr(const struct arch_regs *regs)
{
	long nr = (long)x86_cregs(regs)->r.orig_rax;

	return nr < 0 ? -1 : nr;
}

int64_t arch_regs_retval(const struct arch_regs *regs)
{
	return (int64_t)x86_cregs(regs)->r.rax;
}

bool arch_regs_will_restart(const struct arch_regs *regs)
{
	const struct user_regs_struct *r = &x86_cregs(regs)->r;
	int64_t ax = (int64_t)r->rax;

	return (long)r->orig_rax >= 0 &&
	       (ax == -ERESTARTSYS || ax == -ERESTARTNOINTR || ax == -ERESTARTNOHAND ||
		ax == -ERESTART_RESTARTBLOCK);
}

const unsigned char arch_syscall_insn[] = { 0x0f, 0x05 }; /* syscall */
const size_t arch_syscall_insn_len = sizeof arch_syscall_insn;

/*
 * orig_rax >= 0 means the thread came into the kernel through a syscall
 * (interrupts and exceptions store -1).  A stop on the way out of a syscall
 * leaves rip just after the instruction, whether the syscall completed or
 * is to be restarted: the kernel rewinds rip only after the stop, when the
 * thread resumes (arch_do_signal_or_restart).
 */
uint64_t arch_syscall_site(const struct arch_regs *regs)
{
	const struct user_regs_struct *r = &x86_cregs(regs)->r;

	if ((long)r->orig_rax < 0 || r->rip < arch_syscall_insn_len)
		return 0;
	return r->rip - arch_syscall_insn_len;
}

void arch_regs_set_syscall(struct arch_regs *regs, uint64_t site, long nr, const uint64_t args[6])
{
	struct user_regs_struct *r = &x86_regs(regs)->r;

	r->rax = (uint64_t)nr;
	r->rdi = args[0];
	r->rsi = args[1];
	r->rdx = args[2];
	r->r10 = args[3];
	r->r8 = args[4];
	r->r9 = args[5];
	r->rip = site;
	/* Not "in a syscall": the kernel must not apply its restart logic
	 * (rewind rip, reload rax) to these registers when the thread leaves
	 * the stop it is in. */
	r->orig_rax = (uint64_t)-1;
}

const bool arch_eintr_rewinds = true;

bool arch_regs_rewind_syscall(struct arch_regs *regs, const struct arch_syscall_seen *seen)
{
	struct user_regs_struct *r = &x86_regs(regs)->r;

	(void)seen;     /* orig_rax and rdi are still there */
	r->rax = r->orig_rax;
	r->rip -= arch_syscall_insn_len;
	return true;
}

/* ------------------------------------------------------------------- rescue */

extern const unsigned char pv_rescue_x86_64[], pv_rescue_x86_64_end[];

/* The context as src/arch/x86_64-rescue.S reads it: the iretq frame first. */
struct rescue_ctx {
	uint64_t rip, cs, rflags, rsp, ss;
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r13, r14, r15, r12;
};
_Static_assert(sizeof(struct rescue_ctx) == 160, "src/arch/x86_64-rescue.S reads 160 bytes");

size_t arch_rescue_code(const unsigned char **code)
{
	*code = pv_rescue_x86_64;
	return (size_t)(pv_rescue_x86_64_end - pv_rescue_x86_64);
}

size_t arch_rescue_ctx_size(void)
{
	return sizeof(struct rescue_ctx);
}

/* iretq takes the whole context from the record: nothing on the stack. */
int arch_rescue_frame(pid_t tid, const struct arch_regs *regs, uint64_t mask, void **frame,
		      size_t *len, uint64_t *at)
{
	(void)tid, (void)regs, (void)mask;
	*frame = NULL;
	*len = 0;
	*at = 0;
	return 0;
}

/* What arch_do_signal_or_restart does when no handler runs. */
void arch_rescue_ctx_fill(void *ctx, const struct arch_regs *regs, uint64_t frame)
{
	const struct user_regs_struct *r = &x86_cregs(regs)->r;
	struct rescue_ctx c = {
		.rip = r->rip, .cs = r->cs, .rflags = r->eflags, .rsp = r->rsp, .ss = r->ss,
		.rax = r->rax, .rbx = r->rbx, .rcx = r->rcx, .rdx = r->rdx, .rsi = r->rsi,
		.rdi = r->rdi, .rbp = r->rbp, .r8 = r->r8, .r9 = r->r9, .r10 = r->r10,
		.r11 = r->r11, .r12 = r->r12, .r13 = r->r13, .r14 = r->r14, .r15 = r->r15,
	};

	(void)frame;
	if (arch_regs_will_restart(regs)) {
		c.rip -= arch_syscall_insn_len;
		c.rax = (int64_t)r->rax == -ERESTART_RESTARTBLOCK ? (uint64_t)__NR_restart_syscall
								   : r->orig_rax;
	}
	memcpy(ctx, &c, sizeof c);
}

void arch_regs_rest(struct arch_regs *regs, uint64_t ip, uint64_t rec, uint64_t head)
{
	struct user_regs_struct *r = &x86_regs(regs)->r;

	r->rip = ip;
	r->r12 = rec;
	r->r13 = head;
	r->rax = (uint64_t)-1;
	r->orig_rax = (uint64_t)-1;
	/* IF and the reserved bit; no TF, DF clear as the ABI wants */
	r->eflags = 0x202;
}
