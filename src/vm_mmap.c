/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * process_vm_mmap(): the proposed system call's shape (Linux RFC, 2019),
 * for a caller that is itself the target.  Nothing is injected anywhere:
 * the caller maps the destination itself, fills private memory with
 * process_vm_readv and maps shared objects from the file behind the
 * source's VMA (map_files, or its path while that is still the same inode:
 * proc_vma_open).  The planner decides, VMA by VMA, with the rules of
 * `pvmmap maps --for copy`, so a refusal has the CLI's reason; each reason
 * becomes one errno (reason_errno).  A copy stops nothing: each page is
 * read as it is when it is read.  A move (PVMMAP_MOVE) freezes the source,
 * and unmaps the range in it, with one injected munmap, once the caller
 * holds all of it: that munmap is the commit, and nothing else changes in
 * the source, so nothing there needs undoing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pvmmap.h"

#include "inject.h"
#include "pagescan.h"
#include "plan.h"
#include "proc.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

#define KNOWN_FLAGS (PVMMAP_FIXED | PVMMAP_FIXED_NOREPLACE | PVMMAP_MOVE)
#define CHUNK (UINT64_C(1) << 20)   /* one process_vm_readv at most */

/* The errno of a refusal (process_vm_mmap(3) lists them). */
static int reason_errno(enum reason r)
{
	switch (r) {
	case R_NOT_MAPPED: return EFAULT;
	case R_IO_MAPPING:
	case R_DEVICE_MAPPING: return ENODEV;
	case R_UFFD_REGISTERED:
	case R_IN_USE:
	case R_IN_USE_UNKNOWN:
	case R_ALREADY_TRACED: return EBUSY;
	case R_SEALED:
	case R_PTRACE_DENIED:
	case R_SECCOMP_BLOCKS:
	case R_CROSS_USER: return EPERM;
	case R_HUGETLB_UNAVAILABLE:
	case R_TARGET_OUT_OF_RANGE:
	case R_TARGET_MAP_COUNT:
	case R_TARGET_MEMORY_LIMIT: return ENOMEM;
	case R_TARGET_OCCUPIED: return EEXIST;
	case R_TARGET_MEMLOCK_LIMIT: return EAGAIN;
	case R_FILE_UNREACHABLE: return EACCES;
	case R_NO_SUCH_PROCESS:
	case R_ZOMBIE:
	case R_LEADER_EXITED: return ESRCH;
	case R_TIMEOUT: return ETIMEDOUT;
	default: return EINVAL; /* the mapping's kind cannot be cloned */
	}
}

static int perms_prot(const char *perms)
{
	return (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
	       (perms[2] == 'x' ? PROT_EXEC : 0);
}

static int log2u(uint64_t v)
{
	int n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* Copy the source's data pages of [e->start, e->end) to @dest: all of
 * them, or (@changed_only, file-cow) those the source changed. */
static int copy_pages(pid_t pid, int procfd, uint64_t page, const struct plan_entry *e, char *dest,
		      bool changed_only)
{
	struct pagescan ps;
	struct ps_run run;
	uint64_t cur = e->start;
	int r;

	r = pagescan_open(procfd, page, &ps);
	if (r)
		return r;
	pagescan_set_anon_only(&ps, changed_only);
	while ((r = pagescan_next(&ps, &cur, e->end, &run)) == 1) {
		if (!(run.what & PS_DATA))
			continue;
		for (uint64_t a = run.start; a < run.end;) {
			size_t n = (size_t)(run.end - a < CHUNK ? run.end - a : CHUNK);
			struct iovec local = { dest + (a - e->start), n };
			struct iovec remote = { (void *)(uintptr_t)a, n };
			ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
			if (got <= 0) {
				r = got < 0 ? -errno : -EFAULT;
				goto out;
			}
			a += (uint64_t)got;
		}
	}
out:
	pagescan_close(&ps);
	return r < 0 ? r : 0;
}

/* One approved piece, at @dest (inside the caller's reservation). */
static int clone_piece(const struct proc_facts *src, uint64_t page, const struct plan_entry *e,
		       char *dest)
{
	const struct vma *v = e->vma;
	size_t size = (size_t)(e->end - e->start);
	int prot = perms_prot(v->perms);
	int flags = MAP_FIXED | (vma_is_shared(v) ? MAP_SHARED : MAP_PRIVATE);
	uint64_t off = v->offset + (e->start - v->start);
	int fd = -1, r = 0;
	void *m;

	switch (e->method) {
	case METHOD_COPY:
		flags |= MAP_ANONYMOUS;
		if (e->kind == KIND_HUGETLB)
			flags |= MAP_HUGETLB | log2u(v->kernel_page_size) << MAP_HUGE_SHIFT;
		m = mmap(dest, size, PROT_READ | PROT_WRITE, flags, -1, 0);
		break;
	case METHOD_SHARE:
	case METHOD_FILE_COW:
		fd = proc_vma_open(src->procfd, v, vma_is_shared(v) && (prot & PROT_WRITE) ? O_RDWR : O_RDONLY);
		if (fd < 0)
			return fd;
		m = mmap(dest, size, e->method == METHOD_SHARE ? prot : prot | PROT_WRITE, flags, fd, (off_t)off);
		break;
	default:
		return -EINVAL;
	}
	if (m == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	if (e->method != METHOD_SHARE) {
		r = copy_pages(src->pid, src->procfd, page, e, dest, e->method == METHOD_FILE_COW);
		if (!r && mprotect(dest, size, prot))
			r = -errno;
	}
out:
	if (fd >= 0)
		close(fd);
	return r;
}

/* The first piece the plan refuses, as an errno; 0 when none. */
static int refusal(const struct plan *p, bool move)
{
	if (p->error.reason)
		return -reason_errno(p->error.reason);
	/* A copy only reads the source: being traced or under seccomp does
	 * not stop it (no syscall runs in it); the access check does. */
	for (int i = 0; i < p->nblockers; i++)
		if (move || (p->blockers[i].reason != R_ALREADY_TRACED && p->blockers[i].reason != R_SECCOMP_BLOCKS))
			return -reason_errno(p->blockers[i].reason);
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].status != STATUS_OK)
			return -reason_errno(p->e[i].reason ? p->e[i].reason : R_UNRECOGNISED);
	return 0;
}

/* Where the clone goes: [*base, *base + len), reserved PROT_NONE, aligned
 * to the largest page of the pieces (hugetlb). */
static int reserve(uint64_t dst, uint64_t len, uint64_t align, unsigned long flags, char **base)
{
	int mflags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint64_t extra = flags & (PVMMAP_FIXED | PVMMAP_FIXED_NOREPLACE) ? 0 : align;
	char *m;

	if (flags & PVMMAP_FIXED)
		mflags |= MAP_FIXED;
	else if (flags & PVMMAP_FIXED_NOREPLACE)
		mflags |= MAP_FIXED_NOREPLACE;
	m = mmap((void *)(uintptr_t)dst, len + extra, PROT_NONE, mflags, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	if ((flags & PVMMAP_FIXED_NOREPLACE) && (uint64_t)(uintptr_t)m != dst) {
		/* kernels before 4.17 take the flag for a hint */
		munmap(m, len);
		return -EEXIST;
	}
	if (extra) {
		uint64_t a = ((uint64_t)(uintptr_t)m + align - 1) & ~(align - 1);
		uint64_t head = a - (uint64_t)(uintptr_t)m;
		if (head)
			munmap(m, head);
		if (extra - head)
			munmap((char *)(uintptr_t)(a + len), extra - head);
		m = (char *)(uintptr_t)a;
	}
	*base = m;
	return 0;
}

/* An inject_seize error as process_vm_mmap's errno. */
static int seize_errno(int r)
{
	switch (r) {
	case -EOWNERDEAD: return -ESRCH;
	case -ENOEXEC: return -EINVAL;
	case -EACCES: return -EPERM;
	default: return r;
	}
}

/* Facts of @pid, frozen (*@sp) for a move.  A move freezes the source
 * before it plans: no write may land between the copy and the unmap, and
 * whether a thread uses the range shows only while it stands still. */
static int source_facts(pid_t pid, bool move, struct proc_facts *src, struct inject_proc **sp)
{
	int r = proc_facts_read(pid, true, src);

	if (r || !move)
		return r;
	r = inject_seize(pid, src->start_time, src->seccomp_mode ? INJECT_SUSPEND_SECCOMP : 0, 10000, sp);
	if (r)
		return seize_errno(r);
	proc_facts_free(src);
	*src = (struct proc_facts){ .procfd = -1 };
	return proc_facts_read(pid, true, src);
}

static int vm_mmap(pid_t pid, uint64_t addr, uint64_t len, uint64_t dst, unsigned long flags, void **out)
{
	struct sys_facts sf;
	struct proc_facts src = { .procfd = -1 };
	struct inject_proc *sp = NULL;
	struct plan plan = { 0 };
	struct request req;
	bool move = flags & PVMMAP_MOVE;
	int64_t ret;
	uint64_t align;
	char *base = NULL;
	int r;

	r = proc_sys_read(&sf);
	if (r)
		return r;
	align = sf.page_size;
	if (len > UINT64_MAX - (align - 1))
		return -EINVAL;
	len = (len + align - 1) & ~(align - 1);
	if (addr & (align - 1) || !len || addr > UINT64_MAX - len || pid <= 0 ||
	    (flags & ~KNOWN_FLAGS) || (flags & PVMMAP_FIXED && flags & PVMMAP_FIXED_NOREPLACE) ||
	    (flags & (PVMMAP_FIXED | PVMMAP_FIXED_NOREPLACE) && dst & (align - 1)))
		return -EINVAL;
	r = source_facts(pid, move, &src, &sp);
	if (r)
		goto out;
	/* The rules of `pvmmap maps --for copy|move`: the source's alone.
	 * The caller's own kernel checks the target's (mmap fails with them).
	 * Cut to the range, as a transfer plans it: clone_piece maps each
	 * piece MAP_FIXED at its place in the reservation, and a whole VMA
	 * (as maps lists it) reaches past the reservation's ends, over the
	 * caller's own memory (an allocator's chunk, under ASan its
	 * secondary allocator's); a hole in the range is not-mapped. */
	req = (struct request){ .op = OP_MAPS, .for_op = move ? OP_MOVE : OP_COPY, .cut = true,
				.pid = pid, .has_range = true,
				.addr = addr, .len = len, .range_end = addr + len, .at = ADDR_NONE,
				.allow_cross_user = true, .progress = -1, .timeout_s = 10 };
	r = plan_make(&sf, &src, NULL, &req, &plan);
	if (!r)
		r = refusal(&plan, move);
	if (r)
		goto out;
	for (size_t i = 0; i < plan.n; i++)
		if (plan.e[i].vma && plan.e[i].vma->kernel_page_size > align)
			align = plan.e[i].vma->kernel_page_size;
	r = reserve(dst, len, align, flags, &base);
	if (r)
		goto out;
	for (size_t i = 0; i < plan.n && !r; i++)
		r = clone_piece(&src, sf.page_size, &plan.e[i], base + (plan.e[i].start - addr));
	if (!r && sp) {
		r = inject_call(sp, ARCH_SYS_MUNMAP, addr, len, 0, 0, 0, 0, &ret);
		if (!r && ret < 0)
			r = (int)ret;
	}
	if (r) {
		/* With PVMMAP_FIXED what was there is gone, as after a failed
		 * mmap(MAP_FIXED); the range is left unmapped. */
		munmap(base, len);
		goto out;
	}
	*out = base;
out:
	inject_detach(sp);
	plan_free(&plan);
	proc_facts_free(&src);
	return r;
}

void *process_vm_mmap(pid_t pid, uintptr_t src_addr, size_t len, uintptr_t dst_addr,
		      unsigned long flags)
{
	void *out = MAP_FAILED;
	int r = vm_mmap(pid, src_addr, len, dst_addr, flags, &out);

	if (r) {
		errno = -r;
		return MAP_FAILED;
	}
	return out;
}
