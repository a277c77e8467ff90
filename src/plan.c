/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner: from facts to one decision per piece of the range.
 *
 * Nothing here reads /proc or touches a process: every input is in the facts,
 * so the same code decides in a dry run, under the freeze of a real transfer,
 * and in unit tests on recorded facts.
 */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>


/* Capability bits (linux/capability.h) pvmmap's rules depend on. */
#define CAP_BIT_IPC_LOCK   14
#define CAP_BIT_IPC_OWNER  15
#define CAP_BIT_SYS_PTRACE 19
#define CAP_BIT_SYS_ADMIN  21
#define HAS_CAP(set, bit)  (((set) >> (bit)) & 1)

static const char *const kind_names[] = {
	[KIND_NONE] = NULL, [KIND_ANON] = "anon", [KIND_HEAP] = "heap",
	[KIND_STACK] = "stack", [KIND_FILE] = "file", [KIND_SHMEM] = "shmem",
	[KIND_SYSV] = "sysv", [KIND_HUGETLB] = "hugetlb", [KIND_SPECIAL] = "special",
	[KIND_DEVICE] = "device",
};
static const char *const method_names[] = {
	[METHOD_NONE] = NULL, [METHOD_COPY] = "copy", [METHOD_SHARE] = "share",
	[METHOD_FILE_COW] = "file-cow", [METHOD_REMAP] = "remap",
};
static const char *const status_names[] = {
	[STATUS_OK] = "ok", [STATUS_REFUSED] = "refused", [STATUS_DONE] = "done",
	[STATUS_FAILED] = "failed", [STATUS_ROLLED_BACK] = "rolled-back",
	[STATUS_DEFERRED] = "deferred", [STATUS_SKIPPED] = "skipped",
};

const char *plan_kind_name(enum kind k) { return (unsigned)k <= KIND_DEVICE ? kind_names[k] : NULL; }
const char *plan_method_name(enum method m) { return (unsigned)m <= METHOD_REMAP ? method_names[m] : NULL; }
const char *plan_status_name(enum status s) { return (unsigned)s <= STATUS_SKIPPED ? status_names[s] : "?"; }

static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- per-process rules ------------------------------------------------ */

/* Rules that make a process unusable for anything, even a listing. */
static enum reason process_unusable(const struct sys_facts *sf, const struct proc_facts *pf,
				    struct proc_refusal *r)
{
	if (pf->pid == sf->self_pid) {
		say(r->detail, sizeof(r->detail), "%d is pvmmap itself", pf->pid);
		say(r->hint, sizeof(r->hint), "pvmmap cannot stop itself to change its own memory: give the id of another process");
		return R_NOT_A_PROCESS;
	}
	if (pf->tgid && pf->tgid != pf->pid) {
		say(r->detail, sizeof(r->detail), "%d is a thread of process %d", pf->pid, pf->tgid);
		say(r->hint, sizeof(r->hint), "give %d, the id of the whole process", pf->tgid);
		return R_NOT_A_PROCESS;
	}
	if (pf->kernel_thread) {
		say(r->detail, sizeof(r->detail), "%d (%s) is a kernel thread", pf->pid, pf->comm);
		say(r->hint, sizeof(r->hint), "a kernel thread has no user memory: give the id of a user process");
		return R_NOT_A_PROCESS;
	}
	if (pf->state == 'Z' || pf->state == 'X') {
		say(r->detail, sizeof(r->detail), "%d (%s) is a zombie", pf->pid, pf->comm);
		return R_ZOMBIE;
	}
	return R_NONE;
}

/*
 * The kernel's __ptrace_may_access() and the security modules' checks
 * (commoncap, Yama), in their order, as far as /proc shows them.  pvmmap
 * is not set-user-ID: its real, effective and filesystem ids are one.  A
 * process may have allowed pvmmap with PR_SET_PTRACER, which /proc does
 * not show: the prediction errs on refusing, and the real attach has the
 * last word.
 */
enum reason plan_access_denied(const struct sys_facts *sf, const struct proc_facts *pf, bool attach,
			       const char *what, struct proc_refusal *out)
{
	bool cap_ptrace = HAS_CAP(sf->self_cap_eff, CAP_BIT_SYS_PTRACE);
	/* commoncap: the caller's effective set for /proc files (FSCREDS),
	 * its permitted set for an attach (REALCREDS) */
	uint64_t mine = attach ? sf->self_cap_prm : sf->self_cap_eff;
	char rule[320] = "", pre[128] = "";

	out->reason = R_NONE;
	out->pid = pf->pid;
	out->detail[0] = out->hint[0] = '\0';
	if (what)
		say(pre, sizeof(pre), "%s was refused: ", what);

	if (attach && sf->yama_scope >= 3) {
		say(rule, sizeof(rule), "kernel.yama.ptrace_scope is %d: no process may attach to another", sf->yama_scope);
		say(out->hint, sizeof(out->hint), "nothing can attach until the next boot (ptrace_scope 3 cannot be lowered)");
	} else if (!cap_ptrace && (pf->euid != sf->self_euid || pf->ruid != sf->self_euid ||
				   pf->suid != sf->self_euid)) {
		uid_t other = pf->euid != sf->self_euid ? pf->euid : pf->ruid != sf->self_euid ? pf->ruid : pf->suid;
		say(rule, sizeof(rule), "process %d belongs to uid %u and pvmmap runs as uid %u, without CAP_SYS_PTRACE",
		    pf->pid, (unsigned)other, (unsigned)sf->self_euid);
		say(out->hint, sizeof(out->hint), "run pvmmap as uid %u, the process's owner, or as root", (unsigned)other);
	} else if (!cap_ptrace && (pf->egid != sf->self_egid || pf->rgid != sf->self_egid ||
				   pf->sgid != sf->self_egid)) {
		gid_t other = pf->egid != sf->self_egid ? pf->egid : pf->rgid != sf->self_egid ? pf->rgid : pf->sgid;
		say(rule, sizeof(rule), "process %d runs with gid %u and pvmmap with gid %u, without CAP_SYS_PTRACE",
		    pf->pid, (unsigned)other, (unsigned)sf->self_egid);
		say(out->hint, sizeof(out->hint), "run pvmmap with gid %u, or as root", (unsigned)other);
	} else if (!cap_ptrace && !pf->dumpable) {
		say(rule, sizeof(rule), "process %d is not dumpable (it changed credentials, or called prctl(PR_SET_DUMPABLE, 0)) and pvmmap lacks CAP_SYS_PTRACE",
		    pf->pid);
		say(out->hint, sizeof(out->hint), "run pvmmap as root (with CAP_SYS_PTRACE)");
	} else if (!cap_ptrace && (pf->cap_prm & ~mine)) {
		say(rule, sizeof(rule), "process %d holds capabilities pvmmap lacks (its CapPrm is %" PRIx64 ", pvmmap's %s %" PRIx64 ") and pvmmap has no CAP_SYS_PTRACE",
		    pf->pid, pf->cap_prm, attach ? "CapPrm" : "CapEff", mine);
		say(out->hint, sizeof(out->hint), "run pvmmap with CAP_SYS_PTRACE, or with every capability the process holds");
	} else if (attach && !cap_ptrace && sf->yama_scope == 2) {
		say(rule, sizeof(rule), "kernel.yama.ptrace_scope is 2: only a tracer with CAP_SYS_PTRACE may attach");
		say(out->hint, sizeof(out->hint), "run pvmmap as root (with CAP_SYS_PTRACE)");
	} else if (attach && !cap_ptrace && sf->yama_scope == 1) {
		say(rule, sizeof(rule), "kernel.yama.ptrace_scope is 1: only a parent may attach, unless the process allows pvmmap with prctl(PR_SET_PTRACER)");
		say(out->hint, sizeof(out->hint), "run pvmmap as root, or set kernel.yama.ptrace_scope to 0");
	}
	if (rule[0]) {
		say(out->detail, sizeof(out->detail), "%s%s", pre, rule);
		return out->reason = R_PTRACE_DENIED;
	}
	if (!what)
		return R_NONE;

	/* Every rule pvmmap can see allows it: what is left is a security
	 * module's policy, or a user namespace pvmmap's capabilities do not
	 * reach (whose ns file it may not read). */
	char who[96], yama[64] = "", lsm[160];
	if (cap_ptrace)
		say(who, sizeof(who), "pvmmap holds CAP_SYS_PTRACE");
	else
		say(who, sizeof(who), "pvmmap runs as uid %u like process %d and holds all of its capabilities",
		    (unsigned)sf->self_euid, pf->pid);
	if (attach)
		say(yama, sizeof(yama), sf->yama_scope < 0 ? ", and there is no Yama on this kernel"
							: ", and Yama's ptrace_scope %d permits it", sf->yama_scope);
	if (sf->lsm[0])
		say(lsm, sizeof(lsm), "a security module refused it (active: %s)", sf->lsm);
	else
		say(lsm, sizeof(lsm), "a security module (LSM: SELinux, AppArmor, a BPF program...) refused it");
	say(out->detail, sizeof(out->detail), "%s was refused although %s%s, so %s%s", what, who, yama, lsm,
	    sf->self_init_userns ? "" : ", or the process is in a user namespace where pvmmap's capabilities do not count");
	say(out->hint, sizeof(out->hint), "look for the denial in the audit log (or dmesg): the security policy must allow pvmmap to trace the process");
	return out->reason = R_PTRACE_DENIED;
}

/* Rules that stop a transfer but not a listing. */
static enum reason process_untransferable(const struct sys_facts *sf, const struct proc_facts *pf,
					  struct proc_refusal *r)
{
	char *detail = r->detail;
	size_t dlen = sizeof(r->detail);

	/* Under the freeze of a transfer pvmmap itself is the tracer: the
	 * re-plan then checks the same rules as the first plan did. */
	if (pf->tracer_pid && pf->tracer_pid != sf->self_pid) {
		say(detail, dlen, "it is traced by process %d (%s)", pf->tracer_pid, pf->tracer_comm);
		return R_ALREADY_TRACED;
	}
	/* /proc/PID/mem, map_files, pagemap and process_vm_readv all go
	 * through the main thread's mm, which it dropped when it exited */
	if (pf->leader_exited) {
		say(detail, dlen, "thread %d (%s) has exited; process %d lives on in its other threads",
		    pf->pid, pf->comm, pf->pid);
		return R_LEADER_EXITED;
	}
	if (pf->arch_known && (pf->compat || pf->elf_machine != sf->elf_machine)) {
		say(detail, dlen, pf->compat ? "it is a 32-bit process; pvmmap supports 64-bit %s processes"
					     : "it is not a native %s program", sf->arch);
		return R_ARCH_MISMATCH;
	}
	if (plan_access_denied(sf, pf, true, NULL, r))
		return R_PTRACE_DENIED;
	if (pf->seccomp_mode && !HAS_CAP(sf->self_cap_eff, CAP_BIT_SYS_ADMIN)) {
		say(detail, dlen, "it runs in seccomp %s mode and pvmmap lacks CAP_SYS_ADMIN",
		    pf->seccomp_mode == 1 ? "strict" : "filter");
		return R_SECCOMP_BLOCKS;
	}
	return R_NONE;
}

static enum reason check_pair(const struct proc_facts *src, const struct proc_facts *tgt,
			      const struct request *req, char *detail, size_t dlen)
{
	if (req->allow_cross_user || src->pid == tgt->pid)
		return R_NONE;
	if (src->euid != tgt->euid) {
		say(detail, dlen, "process %d runs as uid %u and process %d as uid %u",
		    src->pid, (unsigned)src->euid, tgt->pid, (unsigned)tgt->euid);
		return R_CROSS_USER;
	}
	if (src->ruid != tgt->ruid) {
		say(detail, dlen, "process %d has real uid %u and process %d real uid %u",
		    src->pid, (unsigned)src->ruid, tgt->pid, (unsigned)tgt->ruid);
		return R_CROSS_USER;
	}
	return R_NONE;
}

/* ---- per-VMA rules ---------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Mappings the kernel installs itself (install_special_mapping and kin). */
static bool is_special_name(const char *name)
{
	static const char *const names[] = {
		"[vdso]", "[vvar]", "[vvar_vclock]", "[vsyscall]", "[uprobes]",
		"[sigpage]", "[vectors]", "[vdso_data]",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* /SYSV%08x (deleted): how ipc/shm.c names a SysV segment's file. */
static bool is_sysv_name(const char *name)
{
	if (!starts_with(name, "/SYSV"))
		return false;
	for (int i = 5; i < 13; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return strcmp(name + 13, " (deleted)") == 0;
}

/*
 * VmFlags pvmmap knows how to recreate or that need no recreating.  A flag
 * outside this set and not refused by a rule of its own fails closed: a
 * mapping with a property pvmmap cannot reproduce must not be half-moved.
 */
static const uint64_t vmflags_known =
	VMF(RD) | VMF(WR) | VMF(EX) | VMF(SH) | VMF(MR) | VMF(MW) | VMF(ME) | VMF(MS) |
	VMF(GD) | VMF(GU) | VMF(LO) | VMF(LF) | VMF(SR) | VMF(RR) | VMF(DC) | VMF(DE) |
	VMF(AC) | VMF(NR) | VMF(HT) | VMF(WF) | VMF(DD) | VMF(SD) | VMF(HG) | VMF(NH) |
	VMF(MG) | VMF(DW) |
	/* refused by rules of their own below */
	VMF(IO) | VMF(PF) | VMF(MM) | VMF(UM) | VMF(UW) | VMF(UI) | VMF(SS) | VMF(SL) | VMF(DP) |
	/* arm64: bt (PROT_BTI) is recreated in the target; mt (PROT_MTE) is
	 * refused, its tags not copied */
	VMF(BT) | VMF(MT);

/* Kind and method of a VMA, or the reason it cannot be recreated at all. */
static enum reason classify(const struct vma *v, const struct file_fact *ff, struct plan_entry *e)
{
	const char *name = v->name;
	bool shared = vma_is_shared(v);
	bool ff_known = ff && ff->known;
	bool devzero = ff_known && S_ISCHR(ff->mode) && ff->rdev == makedev(1, 5);

	e->method = METHOD_NONE;
	if (strcmp(name, "[heap]") == 0)
		e->kind = KIND_HEAP;
	else if (strcmp(name, "[stack]") == 0)
		e->kind = KIND_STACK;
	else if (starts_with(name, "[anon:"))
		e->kind = KIND_ANON;
	else if (starts_with(name, "[anon_shmem:"))
		e->kind = KIND_SHMEM;
	else if (name[0] == '[' || strcmp(name, "/[aio] (deleted)") == 0)
		e->kind = KIND_SPECIAL;
	else if (v->vmflags & VMF(HT))
		e->kind = KIND_HUGETLB;
	else if (v->vmflags & (VMF(IO) | VMF(PF) | VMF(MM)))
		e->kind = KIND_DEVICE;
	else if (is_sysv_name(name) && shared)
		e->kind = KIND_SYSV;
	else if (name[0] == '\0' || (devzero && !shared) || (!ff_known && strcmp(name, "/dev/zero") == 0 && !shared))
		/* A private mapping of /dev/zero is plain anonymous memory
		 * (mmap_zero() calls vma_set_anonymous) that keeps the name. */
		e->kind = KIND_ANON;
	else if (strcmp(name, "/dev/zero (deleted)") == 0 || starts_with(name, "/memfd:") || devzero)
		/* MAP_SHARED|MAP_ANONYMOUS and shared /dev/zero are shmem files
		 * named "/dev/zero (deleted)" (shmem_zero_setup). */
		e->kind = KIND_SHMEM;
	else if (ff_known ? (S_ISCHR(ff->mode) || S_ISBLK(ff->mode))
				 : (starts_with(name, "/dev/") && !starts_with(name, "/dev/shm/")))
		e->kind = KIND_DEVICE;
	else if (name[0] == '/')
		e->kind = KIND_FILE;
	else
		e->kind = KIND_SPECIAL;

	if (v->malformed || !v->has_vmflags) {
		say(e->detail, sizeof(e->detail), "its entry in /proc/PID/smaps could not be read completely");
		return R_UNRECOGNISED;
	}
	if (e->kind == KIND_SPECIAL && strcmp(name, "/[aio] (deleted)") == 0)
		return R_AIO_RING;
	if (e->kind == KIND_SPECIAL && is_special_name(name))
		return R_SPECIAL_MAPPING;
	if (v->vmflags & VMF(SS))
		return R_SHADOW_STACK;
	if (e->kind == KIND_SPECIAL) {
		say(e->detail, sizeof(e->detail), "the kernel names it %s", name);
		return R_UNRECOGNISED;
	}
	if (v->vmflags & (VMF(IO) | VMF(PF) | VMF(MM))) {
		say(e->detail, sizeof(e->detail), "VmFlags %s", v->vmflags & VMF(IO) ? "io" : v->vmflags & VMF(PF) ? "pf" : "mm");
		return R_IO_MAPPING;
	}
	if (e->kind == KIND_DEVICE) {
		if (ff_known)
			say(e->detail, sizeof(e->detail), "device %u:%u", major(ff->rdev), minor(ff->rdev));
		return R_DEVICE_MAPPING;
	}
	/* Only missing and minor faults can make a read wait on the source's
	 * handler; write-protection alone (uw) never stops a reader, and the
	 * piece is copied frozen (see live_or_note). */
	if (v->vmflags & (VMF(UM) | VMF(UI)))
		return R_UFFD_REGISTERED;
	/* MAP_DROPPABLE (6.11): recreating it needs the flag at mmap in the
	 * target, which transfer.c does not pass yet; fail closed, by name */
	if (v->vmflags & VMF(DP)) {
		say(e->detail, sizeof(e->detail), "VmFlags dp");
		return R_DROPPABLE;
	}
	/* arm64 MTE (5.10): the tags live beside the bytes, and neither
	 * process_vm_readv nor a shared mapping in another process carries
	 * them; copying the bytes alone would fault at the source's next
	 * tagged access to the copy.  Fail closed, by name. */
	if (v->vmflags & VMF(MT)) {
		say(e->detail, sizeof(e->detail), "VmFlags mt");
		return R_MEMORY_TAGGED;
	}
	if (v->pkey > 0) {
		say(e->detail, sizeof(e->detail), "protection key %d", v->pkey);
		return R_PROTECTION_KEY;
	}
	if (v->unknown_vmflag || (v->vmflags & ~vmflags_known)) {
		for (int f = 0; f < VMF__COUNT; f++)
			if (v->vmflags & ~vmflags_known & (UINT64_C(1) << f)) {
				say(e->detail, sizeof(e->detail), "VmFlags %s is not supported", vma_flag_name(f));
				return R_UNRECOGNISED;
			}
		say(e->detail, sizeof(e->detail), "VmFlags holds a flag this pvmmap does not know");
		return R_UNRECOGNISED;
	}

	switch (e->kind) {
	case KIND_ANON: case KIND_HEAP: case KIND_STACK:
		if (shared) {
			say(e->detail, sizeof(e->detail), "shared memory without a backing object");
			return R_UNRECOGNISED;
		}
		e->method = METHOD_COPY;
		break;
	case KIND_FILE: case KIND_SHMEM:
		e->method = shared ? METHOD_SHARE : METHOD_FILE_COW;
		/* [anon_shmem:NAME] has no path: only map_files reaches it. */
		if (!ff_known || !ff->reachable) {
			if (!ff_known)
				say(e->detail, sizeof(e->detail), "neither /proc/PID/map_files nor its path leads to it");
			return R_FILE_UNREACHABLE;
		}
		break;
	case KIND_SYSV:
		e->method = METHOD_SHARE; /* shmat of the same segment */
		break;
	case KIND_HUGETLB:
		e->method = shared ? METHOD_SHARE : METHOD_COPY;
		/* Sharing hands the hugetlbfs file to the target. */
		if (shared && (!ff_known || !ff->reachable))
			return R_FILE_UNREACHABLE;
		break;
	default:
		return R_UNRECOGNISED;
	}
	return R_NONE;
}

/*
 * ipc/util.c's ipcperms() for the target attaching a SysV segment: the
 * owner's or creator's bits for their euid, the group's for their egid or
 * supplementary groups, else the others'; CAP_IPC_OWNER overrides.  Read,
 * and write unless the source attached it read-only.  True when unknown.
 */
static bool sysv_permits(const struct file_fact *f, const struct proc_facts *tgt, bool write)
{
	unsigned need = 4 | (write ? 2 : 0), bits = f->sysv_mode;
	bool group = tgt->egid == f->sysv_gid || tgt->egid == f->sysv_cgid;

	if (!f->sysv_known || HAS_CAP(tgt->cap_eff, CAP_BIT_IPC_OWNER))
		return true;
	for (int i = 0; i < tgt->ngroups && !group; i++)
		group = tgt->groups[i] == f->sysv_gid || tgt->groups[i] == f->sysv_cgid;
	if (tgt->euid == f->sysv_uid || tgt->euid == f->sysv_cuid)
		bits >>= 6;
	else if (group)
		bits >>= 3;
	return (need & ~bits & 7) == 0;
}

/*
 * The source still uses [start, end): a thread's stack pointer, code or
 * thread-local storage is in it, or it is memory every program uses while
 * it lives (the main thread's [stack]; [heap], which malloc allocates from,
 * unless --force).  Moving it away would crash the process as munmap would.
 * A thread's TLS is found by its thread pointer (a frozen thread's
 * registers) or, without stopping it, by its robust-futex list, which glibc
 * keeps in the same control block.
 */
static bool in_use(const struct proc_facts *src, const struct request *req, const struct vma *v,
		   uint64_t start, uint64_t end, char *detail, size_t dlen)
{
	/* The main thread's stack is always in use while the process lives,
	 * whatever /proc says of a thread that happens to be running. */
	if (strcmp(v->name, "[stack]") == 0) {
		say(detail, dlen, "it is the main thread's stack");
		return true;
	}
	if (strcmp(v->name, "[heap]") == 0 && !req->force) {
		say(detail, dlen, "it is the brk heap, where malloc keeps the memory it has handed out; --force moves it all the same");
		return true;
	}
	for (size_t i = 0; i < src->nthreads; i++) {
		const struct thread_fact *t = &src->threads[i];
		if (t->blocked && t->sp >= start && t->sp < end) {
			say(detail, dlen, "thread %d's stack pointer 0x%" PRIx64 " is in it", t->tid, t->sp);
			return true;
		}
		if (t->blocked && t->ip >= start && t->ip < end) {
			say(detail, dlen, "thread %d is executing code at 0x%" PRIx64 " in it", t->tid, t->ip);
			return true;
		}
		/* the robust list first: a dry run and the real run then
		 * give the same detail for a glibc thread */
		if (t->robust && t->robust >= start && t->robust < end) {
			say(detail, dlen, "thread %d's thread-local storage is in it: its robust-futex list is at 0x%" PRIx64,
			    t->tid, t->robust);
			return true;
		}
		if (t->tls && t->tls >= start && t->tls < end) {
			say(detail, dlen, "thread %d's thread-local storage is in it: its thread pointer is 0x%" PRIx64,
			    t->tid, t->tls);
			return true;
		}
	}
	return false;
}

/*
 * A dry run (or maps) cannot see everything the move sees under the freeze:
 * a running thread's stack and instruction pointers, or the thread pointer
 * of a thread that has no robust-futex list (a program without glibc).
 * Such a thread may be using any writable piece (its stack or TLS) or any
 * executable one (its code): the verdict is left to the move.
 */
static bool in_use_unknown(const struct proc_facts *src, const struct vma *v, char *detail, size_t dlen)
{
	bool writable = v->perms[1] == 'w', exec = v->perms[2] == 'x';

	for (size_t i = 0; i < src->nthreads && (writable || exec); i++) {
		const struct thread_fact *t = &src->threads[i];
		if (!t->blocked && t->unreadable) {
			say(detail, dlen, "the stack and instruction pointers of thread %d cannot be read without attaching to it",
			    t->tid);
			return true;
		}
		if (!t->blocked) {
			say(detail, dlen, "thread %d is running, so its stack and instruction pointers are not known", t->tid);
			return true;
		}
		if (writable && !t->tls && !t->robust) {
			say(detail, dlen, "where thread %d keeps its thread-local storage cannot be seen without stopping it (it has no robust-futex list, as glibc threads have)",
			    t->tid);
			return true;
		}
	}
	return false;
}

/*
 * hugetlb memory is mapped and unmapped in whole huge pages: a range edge or
 * a destination inside one cannot be carried out (munmap gives EINVAL).
 */
static enum reason huge_page_split(struct plan_entry *e)
{
	uint64_t ps = e->vma->kernel_page_size;
	uint64_t mask = ps ? ps - 1 : 0;

	if (!(e->start & mask) && !(e->end & mask) &&
	    (e->dest_start == ADDR_NONE || !(e->dest_start & mask)))
		return R_NONE;
	say(e->detail, sizeof(e->detail), "its huge pages are %" PRIu64 " kB; the %s 0x%" PRIx64 " is not aligned to them",
	    ps >> 10, (e->start & mask) || (e->end & mask) ? "range edge" : "destination",
	    (e->start & mask) ? e->start : (e->end & mask) ? e->end : e->dest_start);
	return R_HUGE_PAGE_SPLIT;
}

/* ---- target rules ----------------------------------------------------- */

/* The running totals the target's limits are checked against. */
struct target_budget {
	uint64_t new_vmas, new_size, new_charge, new_locked;
	uint64_t huge_used[8];
	uint64_t task_size;
};

/* The first target VMA meeting [start, end), or NULL. */
static const struct vma *target_overlap(const struct proc_facts *tgt, uint64_t start, uint64_t end)
{
	const struct vma *v = vma_find(&tgt->vmas, start);
	return v && v->start < end ? v : NULL;
}

static enum reason check_target(const struct sys_facts *sf, const struct proc_facts *src,
				const struct proc_facts *tgt, const struct request *req,
				struct plan_entry *e, struct target_budget *b)
{
	uint64_t size = e->end - e->start;
	bool same = src->pid == tgt->pid;
	enum op op = req->op == OP_MAPS ? req->for_op : req->op;

	if (e->kind == KIND_SYSV && src->files && !sysv_permits(&src->files[e->vma_index], tgt,
								   e->vma->perms[1] == 'w')) {
		const struct file_fact *f = &src->files[e->vma_index];
		say(e->detail, sizeof(e->detail), "the target (uid %u) may not attach SysV segment %" PRIu64
		    " (mode %03o, owner %u, creator %u)", (unsigned)tgt->euid, e->vma->inode,
		    (unsigned)f->sysv_mode, (unsigned)f->sysv_uid, (unsigned)f->sysv_cuid);
		return R_FILE_UNREACHABLE;
	}
	if (e->kind == KIND_SYSV && src->ipc_ns && tgt->ipc_ns && src->ipc_ns != tgt->ipc_ns) {
		say(e->detail, sizeof(e->detail), "the target is in another IPC namespace, where SysV segment %" PRIu64 " does not exist",
		    e->vma->inode);
		return R_FILE_UNREACHABLE;
	}
	if (e->dest_start != ADDR_NONE) {
		uint64_t dend = e->dest_start + size;
		if (e->dest_start < sf->mmap_min_addr || dend > b->task_size || dend < e->dest_start) {
			say(e->detail, sizeof(e->detail), "the target can map 0x%" PRIx64 "-0x%" PRIx64,
			    sf->mmap_min_addr, b->task_size);
			return R_TARGET_OUT_OF_RANGE;
		}
		const struct vma *o = target_overlap(tgt, e->dest_start, dend);
		/* Within one process the source range must stay intact until
		 * it is read (copy) or moved (mremap refuses overlaps). */
		if (same && req->range_end > e->dest_start && req->addr < dend) {
			say(e->detail, sizeof(e->detail), "the destination overlaps the range being moved");
			return R_TARGET_OCCUPIED;
		}
		if (o && !req->replace) {
			say(e->detail, sizeof(e->detail), "0x%" PRIx64 "-0x%" PRIx64 " %s is there",
			    o->start, o->end, o->name[0] ? o->name : "(anonymous)");
			return R_TARGET_OCCUPIED;
		}
		/* --replace cannot unmap what the target itself may not unmap. */
		for (; req->replace && o && o->start < dend; o++) {
			if (o >= tgt->vmas.v + tgt->vmas.n)
				break;
			if ((o->vmflags & VMF(SL)) || is_special_name(o->name)) {
				say(e->detail, sizeof(e->detail), "the target's %s at 0x%" PRIx64 " cannot be replaced",
				    o->vmflags & VMF(SL) ? "sealed mapping" : o->name, o->start);
				return R_TARGET_OCCUPIED;
			}
		}
	}

	if (e->kind == KIND_HUGETLB && e->method == METHOD_COPY && !(same && op == OP_MOVE)) {
		uint64_t ps = e->vma->kernel_page_size;
		int i;
		for (i = 0; i < sf->npools; i++)
			if (sf->pools[i].page_size == ps)
				break;
		uint64_t need = ps ? (size + ps - 1) / ps : 0;
		if (i == sf->npools || b->huge_used[i] + need > sf->pools[i].free_pages) {
			say(e->detail, sizeof(e->detail), "%" PRIu64 " %s of %" PRIu64 " kB needed, %" PRIu64 " free",
			    need, need == 1 ? "page" : "pages", ps >> 10,
			    i == sf->npools ? 0 : sf->pools[i].free_pages - b->huge_used[i]);
			return R_HUGETLB_UNAVAILABLE;
		}
		b->huge_used[i] += need;
	}

	if (same && op == OP_MOVE)
		return R_NONE; /* mremap: nothing new is created or charged */

	if ((e->vma->vmflags & VMF(LO)) && !HAS_CAP(tgt->cap_eff, CAP_BIT_IPC_LOCK) &&
	    tgt->rlim_memlock != LIMIT_NONE && tgt->vm_lck + b->new_locked + size > tgt->rlim_memlock) {
		say(e->detail, sizeof(e->detail), "RLIMIT_MEMLOCK is %" PRIu64 " kB, %" PRIu64 " kB already locked",
		    tgt->rlim_memlock >> 10, (tgt->vm_lck + b->new_locked) >> 10);
		return R_TARGET_MEMLOCK_LIMIT;
	}
	if (tgt->rlim_as != LIMIT_NONE && tgt->vm_size + b->new_size + size > tgt->rlim_as) {
		say(e->detail, sizeof(e->detail), "RLIMIT_AS is %" PRIu64 " kB and the target maps %" PRIu64 " kB",
		    tgt->rlim_as >> 10, (tgt->vm_size + b->new_size) >> 10);
		return R_TARGET_MEMORY_LIMIT;
	}
	/* Shared pages are already charged to the object's cgroup; copies are
	 * charged to the target's for every populated page. */
	uint64_t charge = e->method == METHOD_SHARE ? 0 : e->method == METHOD_FILE_COW ? e->changed : e->rss + e->swap;
	if (charge && tgt->memcg_headroom != LIMIT_NONE && b->new_charge + charge > tgt->memcg_headroom) {
		say(e->detail, sizeof(e->detail), "its memory cgroup has %" PRIu64 " kB left",
		    (tgt->memcg_headroom - b->new_charge) >> 10);
		return R_TARGET_MEMORY_LIMIT;
	}
	if (tgt->vmas.n + b->new_vmas + 1 > sf->max_map_count) {
		say(e->detail, sizeof(e->detail), "vm.max_map_count is %" PRIu64 " and the target has %zu mappings",
		    sf->max_map_count, tgt->vmas.n);
		return R_TARGET_MAP_COUNT;
	}
	b->new_vmas++;
	b->new_size += size;
	b->new_charge += charge;
	if (e->vma->vmflags & VMF(LO))
		b->new_locked += size;
	return R_NONE;
}

/* ---- the plan --------------------------------------------------------- */

static struct plan_entry *plan_add(struct plan *p)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct plan_entry *e = reallocarray(p->e, cap, sizeof(*e));
		if (!e)
			return NULL;
		p->e = e;
		p->cap = cap;
	}
	struct plan_entry *e = &p->e[p->n++];
	memset(e, 0, sizeof(*e));
	e->dest_start = ADDR_NONE;
	return e;
}

/* rss and swap of a piece: exact for whole VMAs and measured edges,
 * otherwise the VMA's figures in proportion to the piece. */
static void piece_residency(const struct proc_facts *src, struct plan_entry *e)
{
	const struct vma *v = e->vma;
	if (e->start == v->start && e->end == v->end) {
		e->rss = v->rss;
		e->swap = v->swap;
		e->changed = v->anonymous;
		return;
	}
	/* Private file pages are not told apart from page cache by the
	 * residency count, so a cut piece's changed bytes stay an estimate. */
	e->changed = (uint64_t)(v->anonymous * ((long double)(e->end - e->start) / (long double)vma_size(v)));
	for (int i = 0; i < 2; i++)
		if (src->edges[i].known && src->edges[i].start == e->start && src->edges[i].end == e->end) {
			e->rss = src->edges[i].rss;
			e->swap = src->edges[i].swap;
			return;
		}
	long double f = (long double)(e->end - e->start) / (long double)vma_size(v);
	e->rss = (uint64_t)(v->rss * f);
	e->swap = (uint64_t)(v->swap * f);
}

/*
 * Whether a copied piece goes live (issue 10): private anonymous memory,
 * copied while the source runs and tracked for its writes with a
 * userfaultfd of pvmmap's, then again what it wrote, under one short final
 * freeze.  Where it could have gone live but cannot, the note says why.
 * Not within one process: the source is the target, held throughout.
 */
static void live_or_note(const struct sys_facts *sf, const struct proc_facts *src,
			 const struct proc_facts *tgt, const struct request *req, struct plan_entry *e)
{
	e->live = false;
	e->note = N_NONE;
	e->note_detail = NULL;
	if (req->op == OP_MAPS || req->frozen || !tgt || tgt->pid == src->pid ||
	    e->method != METHOD_COPY)
		return;
	if (e->kind == KIND_HUGETLB) {
		/* a read fault into a hole counts as a write, and a dropped
		 * page leaves a marker no scan reports (src/track.h) */
		e->note = N_FROZEN_HUGETLB;
	} else if (!sf->track_ok) {
		e->note = N_FROZEN_NO_TRACKING;
		e->note_detail = sf->track_why;
	} else if (vma_uffd_registered(e->vma)) {
		e->note = N_FROZEN_UFFD;
	} else if (src->state == 'T' || src->state == 't') {
		e->note = N_FROZEN_STOPPED;
	} else {
		e->live = true;
	}
}

static void decide(const struct sys_facts *sf, const struct proc_facts *src,
		   const struct proc_facts *tgt, const struct request *req,
		   struct plan_entry *e, struct target_budget *b)
{
	enum op op = req->op == OP_MAPS ? req->for_op : req->op;
	const struct file_fact *ff = src->files ? &src->files[e->vma_index] : NULL;
	enum reason r = classify(e->vma, ff, e);

	if (!r && e->kind == KIND_HUGETLB)
		r = huge_page_split(e);
	if (!r && op == OP_MOVE && (e->vma->vmflags & VMF(SL)))
		r = R_SEALED;
	if (!r && op == OP_MOVE && in_use(src, req, e->vma, e->start, e->end, e->detail, sizeof(e->detail)))
		r = R_IN_USE;
	if (!r && tgt && tgt->pid == src->pid && op == OP_MOVE)
		e->method = METHOD_REMAP;
	if (!r && tgt)
		r = check_target(sf, src, tgt, req, e, b);
	e->reason = r;
	e->status = r ? STATUS_REFUSED : STATUS_OK;
	if (r) {
		e->method = METHOD_NONE;
		return;
	}
	e->detail[0] = '\0';
	live_or_note(sf, src, tgt, req, e);
	/* Only a plan that is not carried out says so: a real move plans
	 * again under the freeze, where every thread's registers are known. */
	if (op == OP_MOVE && (req->op == OP_MAPS || req->dry_run) &&
	    in_use_unknown(src, e->vma, e->detail, sizeof(e->detail))) {
		e->status = STATUS_DEFERRED;
		e->reason = R_IN_USE_UNKNOWN;
	}
}

/*
 * Per-process rules.  Returns 1 when the whole operation is refused
 * (p->error), 0 otherwise; for maps, rules that would only stop a transfer
 * become blockers and the listing goes on.
 */
static int check_processes(const struct sys_facts *sf, const struct proc_facts *src,
			   const struct proc_facts *tgt, const struct request *req, struct plan *p)
{
	const struct proc_facts *who[2] = { src, tgt && tgt->pid != src->pid ? tgt : NULL };
	struct proc_refusal r;

	for (int i = 0; i < 2; i++) {
		memset(&r, 0, sizeof(r));
		if (!who[i] || !(r.reason = process_unusable(sf, who[i], &r)))
			continue;
		r.pid = who[i]->pid;
		p->error = r;
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		memset(&r, 0, sizeof(r));
		if (i < 2 && who[i]) {
			r.reason = process_untransferable(sf, who[i], &r);
			r.pid = who[i]->pid;
		} else if (i == 2 && tgt) {
			r.reason = check_pair(src, tgt, req, r.detail, sizeof(r.detail));
			r.pid = tgt->pid;
		} else {
			continue;
		}
		if (!r.reason)
			continue;
		if (req->op != OP_MAPS) {
			p->error = r;
			return 1;
		}
		p->blockers[p->nblockers++] = r;
	}
	return 0;
}

/*
 * Without --partial, a move or copy with a refused piece changes nothing:
 * every other piece is skipped, and says because of what.
 */
/*
 * Live pieces that total no more than a final round go frozen: live, they
 * would take two freezes (the first creates and tracks, the last re-checks
 * and copies) for what one frozen copy does in one.  By size, not by
 * residency, so the re-plan under the final freeze decides the same.
 */
static void small_is_frozen(struct plan *p)
{
	uint64_t total = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].live)
			total += p->e[i].end - p->e[i].start;
	if (total == 0 || total > PLAN_LIVE_FINAL_BYTES)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].live) {
			p->e[i].live = false;
			p->e[i].note = N_FROZEN_SMALL;
		}
}

static void all_or_nothing(const struct request *req, struct plan *p)
{
	const struct plan_entry *first = NULL;

	if (req->op == OP_MAPS || req->partial)
		return;
	for (size_t i = 0; i < p->n && !first; i++)
		if (p->e[i].status == STATUS_REFUSED)
			first = &p->e[i];
	if (!first)
		return;
	for (size_t i = 0; i < p->n; i++) {
		struct plan_entry *e = &p->e[i];
		if (e->status != STATUS_OK && e->status != STATUS_DEFERRED)
			continue;
		e->status = STATUS_SKIPPED;
		e->reason = R_ALL_OR_NOTHING;
		say(e->detail, sizeof(e->detail), "0x%" PRIx64 "-0x%" PRIx64 " is refused: %s", first->start,
		    first->end, reason_code(first->reason));
	}
}

int plan_make(const struct sys_facts *sf, const struct proc_facts *src,
	      const struct proc_facts *tgt, const struct request *req, struct plan *out)
{
	struct target_budget b = { .task_size = tgt ? tgt->task_size : 0 };
	const struct vma_list *l = &src->vmas;
	bool cut = req->op != OP_MAPS || req->cut;
	uint64_t start = req->has_range ? req->addr : 0;
	uint64_t end = req->has_range ? req->range_end : UINT64_MAX;
	uint64_t pos = start;
	uint64_t dest_base = ADDR_NONE;

	memset(out, 0, sizeof(*out));
	out->req = req;
	out->dest_start = out->dest_end = ADDR_NONE;
	if (check_processes(sf, src, tgt, req, out))
		return 0;
	if (tgt && !req->at_any) {
		dest_base = req->at != ADDR_NONE ? req->at : start;
		if (req->has_range) {
			out->dest_start = dest_base;
			out->dest_end = dest_base + (end - start);
		}
	}

	for (size_t i = 0; i < l->n; i++) {
		const struct vma *v = &l->v[i];
		if (v->end <= start || v->start >= end)
			continue;
		struct plan_entry *e;
		if (cut && v->start > pos) {
			/* A hole in the range: reported, never silently skipped. */
			if (!(e = plan_add(out)))
				goto nomem;
			e->start = pos;
			e->end = v->start;
			e->reason = R_NOT_MAPPED;
			e->status = STATUS_REFUSED;
		}
		if (!(e = plan_add(out)))
			goto nomem;
		e->vma = v;
		e->vma_index = i;
		e->start = cut && v->start < start ? start : v->start;
		e->end = cut && v->end > end ? end : v->end;
		if (dest_base != ADDR_NONE)
			e->dest_start = req->op == OP_MAPS ? e->start : dest_base + (e->start - start);
		piece_residency(src, e);
		decide(sf, src, tgt, req, e, &b);
		pos = e->end;
	}
	/* A range of maps lists whole VMAs and no gaps (unless cut), but one
	 * that meets no VMA at all is said to be what it is. */
	if ((cut && pos < end) || (!cut && req->has_range && out->n == 0)) {
		struct plan_entry *e = plan_add(out);
		if (!e)
			goto nomem;
		e->start = pos;
		e->end = end;
		e->reason = R_NOT_MAPPED;
		e->status = STATUS_REFUSED;
	}
	small_is_frozen(out);
	all_or_nothing(req, out);
	return 0;
nomem:
	plan_free(out);
	return -ENOMEM;
}

void plan_free(struct plan *p)
{
	free(p->e);
	p->e = NULL;
	p->n = p->cap = 0;
}

bool plan_goes_live(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].status == STATUS_OK && p->e[i].live)
			return true;
	return false;
}

bool plan_needs_policies(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];
		/* a remapped VMA keeps its own policy */
		if (e->status == STATUS_OK && e->method != METHOD_REMAP && e->kind != KIND_SHMEM &&
		    e->kind != KIND_SYSV)
			return true;
	}
	return false;
}

void plan_summarise(const struct plan *p, struct plan_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];
		s->vmas++;
		if (e->vma)
			s->size += e->end - e->start;
		s->rss += e->rss;
		s->bytes_copied += e->bytes_copied;
		switch (e->status) {
		case STATUS_OK: s->ok++; break;
		case STATUS_DONE: s->done++; break;
		case STATUS_REFUSED: s->refused++; break;
		case STATUS_FAILED: s->failed++; break;
		case STATUS_ROLLED_BACK: s->rolled_back++; break;
		case STATUS_DEFERRED: s->deferred++; break;
		case STATUS_SKIPPED: s->skipped++; break;
		}
		if (e->method == METHOD_SHARE &&
		    (e->status == STATUS_OK || e->status == STATUS_DONE || e->status == STATUS_DEFERRED))
			s->bytes_shared += e->end - e->start;
	}
}
