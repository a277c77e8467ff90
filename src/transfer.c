/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The transfer (see transfer.h).  Order of work, each step a boundary where
 * a failure or a pending SIGINT/SIGTERM/SIGHUP rolls everything back:
 *   seize both -> re-read facts, re-plan with the frozen registers ->
 *   create the destination VMAs in the target (remap: mremap them there) ->
 *   attributes that shape the pages (THP advice, fork and dump flags) ->
 *   copy the populated pages -> protections and mlock ->
 *   commit (move: munmap in the source) -> detach.
 * Before the commit, the source is never changed (a remap is undone by
 * remapping back); the rollback removes only what was made in the target.
 * What is made in the target is in the engine's journal (inject.h) from
 * the syscall that makes it: the rollback runs that journal, and so does
 * the target itself, should pvmmap die before the commit.  The commit
 * forgets the journal before the source loses anything: a pvmmap killed in
 * the commit leaves at worst a move done as a copy, never data lost.
 *
 * Pages are copied once where the kernel lets the target read the source:
 * process_vm_readv run inside the target, with the iovecs in a scratch page
 * of its own.  Otherwise (another pid namespace, Yama, an LSM) they go
 * through a bounded buffer of pvmmap's.  Destination runs are populated in
 * one MADV_POPULATE_WRITE each, not one fault per page, except in THP
 * regions, where the faults of the copy allocate huge pages directly.
 */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "clock.h"
#include "compat.h"
#include "inject.h"
#include "fdpass.h"
#include "pagescan.h"

#define CAP_BIT_ADMIN 21
#define COPY_BUF      (8u << 20)   /* bounce buffer: pvmmap's memory stays bounded */
#define BATCH_BYTES   (UINT64_C(64) << 20) /* per process_vm_readv: a signal
					      or progress is seen this often */
#define IOV_BATCH     128          /* iovec pairs per call: one 4 KiB page */
#define SCRATCH_LEN   8192         /* in the target: iovecs, then fdpass's */
#define SCRATCH_FD    4096         /* fdpass's part of the scratch */
#define SCRATCH_NAME  6144         /* a VMA name's part (at most 80 bytes) */
#define SCRATCH_NODES 6400         /* a NUMA node mask's part (8 bytes) */
_Static_assert(2 * 128 * 16 <= SCRATCH_FD && SCRATCH_FD + FDPASS_SCRATCH <= SCRATCH_NAME &&
	       SCRATCH_NAME + 96 <= SCRATCH_NODES && SCRATCH_NODES + 8 <= SCRATCH_LEN,
	       "the parts of the scratch page overlap");
#define POPULATE_MIN  (UINT64_C(128) << 10) /* smaller runs fault in cheaper
					       than one injected syscall */

struct batch {
	struct iovec loc[IOV_BATCH], rem[IOV_BATCH];
	bool swapped[IOV_BATCH];
	size_t n;
	uint64_t bytes;
	struct plan_entry *e;
};

/*
 * strerror, but for ETIMEDOUT ("Connection timed out"), which in pvmmap
 * means that a process did not come back from an injected syscall within
 * --timeout: say that.
 */
static const char *xfer_strerror(int err)
{
	return err == ETIMEDOUT ? "the process did not answer within --timeout" : strerror(err);
}

/*
 * How the pages travel.  PULL: process_vm_readv run in the target reads the
 * source (the pid is the same number there: see same_pidns), one copy.
 * BOUNCE: through pvmmap's own bounded buffer, two copies.
 *
 * Which is faster depends on the page size, measured (docs/benchmarks.md):
 * a PULL writes the target's pages through the target's own user
 * addresses, one TLB fill per 4 KiB page, while the BOUNCE writes them
 * through the kernel's direct map and reads its buffer hot.  On the
 * development VM (shadow paging) the fills cost more than the second copy:
 * 64 MiB of 4 KiB pages moved in 0.083 s by BOUNCE against 0.140 s by PULL,
 * a 16 GiB reservation with 16 MiB touched 0.137 s against 0.230 s.  With
 * huge pages the fills vanish and the single copy wins.  So: PULL for
 * huge pages, BOUNCE for 4 KiB ones (PVMMAP_COPY=pull|bounce forces one).
 */
enum copy_mode { COPY_BOUNCE, COPY_PULL };

struct xfer {
	const struct sys_facts *sf;
	const struct request *req;
	struct plan *plan;
	struct transfer_stats *st;
	const struct transfer_hooks *hooks;
	struct inject_proc *sp, *tp;    /* the same when the pids are */
	const struct proc_facts *src;   /* as re-read under the freeze */
	const char *fail_at;
	unsigned char *buf;             /* bounce path only */
	uint64_t page;
	uint64_t scratch;               /* in the target, 0 if none */
	int scratch_id;                 /* its journal entry */
	enum copy_mode mode;            /* for huge pages; 4 KiB ones bounce */
	bool forced;                    /* PVMMAP_COPY chose the mode for all */
	struct pagescan ps;             /* of the source */
	uint64_t total;                 /* for progress: the plan's estimate */
	int self_pidfd;                 /* the target's pidfd of itself, in the
					   target (process_madvise); -1 none yet,
					   -2 not usable */
	int self_pidfd_id;              /* its journal entry */
	struct batch b;
};


bool transfer_supports(const struct plan_entry *e, const struct request *req)
{
	switch (e->method) {
	case METHOD_REMAP:
		return req->pid == req->pid2;
	case METHOD_COPY:
		return e->kind == KIND_ANON || e->kind == KIND_HEAP || e->kind == KIND_STACK ||
		       e->kind == KIND_HUGETLB;
	case METHOD_SHARE:
		return e->kind == KIND_FILE || e->kind == KIND_SHMEM || e->kind == KIND_SYSV ||
		       e->kind == KIND_HUGETLB;
	case METHOD_FILE_COW:
		return e->kind == KIND_FILE || e->kind == KIND_SHMEM;
	case METHOD_NONE:
		break;
	}
	return false;
}

/* Whether the entry's pages are copied: all of them, or (file-cow) only
 * the ones the source changed. */
static bool copies(const struct plan_entry *e)
{
	return e->status == STATUS_OK && (e->method == METHOD_COPY || e->method == METHOD_FILE_COW);
}

/* A syscall whose failure fails the step: st->message says which. */
static int call_ok(struct xfer *x, struct inject_proc *p, const char *what, uint64_t addr,
		   enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	int64_t ret;
	int r = inject_call(p, s, a0, a1, a2, a3, 0, 0, &ret);

	if (!r && ret < 0)
		r = (int)ret;
	if (r)
		snprintf(x->st->message, sizeof(x->st->message), "%s at 0x%llx in the %s failed: %s",
			 what, (unsigned long long)addr, p == x->tp ? "target" : "source",
			 xfer_strerror(-r));
	return r;
}

void transfer_term_signals(sigset_t *set)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM, SIGVTALRM,
				    SIGPROF, SIGXCPU, SIGXFSZ, SIGUSR1, SIGUSR2 };

	sigemptyset(set);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(set, sigs[i]);
}

/* A step boundary: the test failure point, or a signal that arrived. */
static int boundary(struct xfer *x, const char *name)
{
	sigset_t pend, term;

	if (x->fail_at && strcmp(x->fail_at, name) == 0) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "PVMMAP_FAIL_AT=%s: failing on purpose", name);
		return -EIO;
	}
	if (x->hooks && x->hooks->cancel && *x->hooks->cancel) {
		snprintf(x->st->message, sizeof(x->st->message), "cancelled (%s)", name);
		return -EINTR;
	}
	if (x->hooks && x->hooks->ignore_signals)
		return 0;
	transfer_term_signals(&term);
	if (sigpending(&pend) == 0)
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(&term, sig) == 1 && sigismember(&pend, sig) == 1) {
				snprintf(x->st->message, sizeof(x->st->message),
					 "interrupted by %s (%s)", sigabbrev_np(sig), name);
				return -EINTR;
			}
	return 0;
}

/*
 * While pvmmap holds processes, the OOM killer takes anything but pvmmap
 * (-1000: never; lowering it needs CAP_SYS_RESOURCE, else it stays as it
 * is).  Its death would be harmless to them (src/rescue.c), but would make
 * a move that was nearly done undo itself.  @old: the value to put back.
 */
static void oom_protect(char *old, size_t len)
{
	int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
	ssize_t n;

	old[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, old, len - 1);
	old[n > 0 ? n : 0] = '\0';
	if (n > 0 && pwrite(fd, "-1000", 5, 0) != 5)
		old[0] = '\0';
	close(fd);
}

static void oom_restore(const char *old)
{
	int fd;

	if (!old[0] || (fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC)) < 0)
		return;
	if (write(fd, old, strlen(old)) < 0) {
		/* nothing to be done: pvmmap exits soon anyway */
	}
	close(fd);
}

/* ---- create ------------------------------------------------------------ */

/* The protection the VMA has (and the destination gets in the end). */
static int vma_prot(const struct vma *v)
{
	return (v->perms[0] == 'r' ? PROT_READ : 0) | (v->perms[1] == 'w' ? PROT_WRITE : 0) |
	       (v->perms[2] == 'x' ? PROT_EXEC : 0);
}

struct mapping {
	int prot;
	uint64_t flags;          /* MAP_PRIVATE/SHARED, ANONYMOUS, HUGETLB... */
	int fd;                  /* in the target, or -1 */
	uint64_t off;
};

/*
 * An mmap in the target, journaled: at @dest (MAP_FIXED_NOREPLACE, or
 * MAP_FIXED with --replace; 4.17 honours NOREPLACE, and pvmmap needs 5.6
 * for pidfd_getfd anyway, so success means @dest), or where the kernel
 * likes (@fixed false; *got).  Pieces side by side share one undo entry.
 */
static int mmap_at(struct xfer *x, uint64_t dest, uint64_t len, const struct mapping *m,
		   bool fixed, uint64_t *got, int *id)
{
	uint64_t flags = m->flags | (fixed ? (x->req->replace ? MAP_FIXED : MAP_FIXED_NOREPLACE) : 0);
	const uint64_t args[6] = { fixed ? dest : 0, len, (uint64_t)m->prot, flags,
				   (uint64_t)(int64_t)m->fd, m->off };
	const struct inject_undo undo = {
		.sys = ARCH_SYS_MUNMAP, .a0 = dest, .a1 = len,
		.flags = fixed ? INJECT_UNDO_MERGE : INJECT_UNDO_RESULT,
	};
	int64_t ret;
	int r = inject_call_undo(x->tp, ARCH_SYS_MMAP, args, &undo, -1, &ret, id);

	if (!r && ret < 0 && ret > -4096)
		r = (int)ret;
	if (r) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "mmap of 0x%llx bytes at 0x%llx in the target failed: %s",
			 (unsigned long long)len, (unsigned long long)dest, xfer_strerror(-r));
		return r;
	}
	if (got)
		*got = (uint64_t)ret;
	return 0;
}

/* Whether [a, a+len) meets a destination of the plan. */
static bool meets_dest(const struct plan *p, uint64_t a, uint64_t len)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_entry *e = &p->e[i];
		if (e->status == STATUS_OK && e->dest_start != ADDR_NONE &&
		    a < e->dest_start + (e->end - e->start) && e->dest_start < a + len)
			return true;
	}
	return false;
}

/* A scratch page pair in the target for iovecs and fd hand-offs, made once.
 * The kernel places it, so it may land where a destination has still to
 * go: then another is asked for just past the destinations. */
static int scratch_get(struct xfer *x)
{
	uint64_t hint = 0;
	int64_t ret;
	int r;

	if (x->scratch)
		return 0;
	for (int i = 0; i < 2; i++) {
		const struct inject_undo undo = { .sys = ARCH_SYS_MUNMAP, .a1 = SCRATCH_LEN,
						  .flags = INJECT_UNDO_RESULT };
		r = inject_call_undo(x->tp, ARCH_SYS_MMAP,
				     (uint64_t[6]){ hint, SCRATCH_LEN, PROT_READ | PROT_WRITE,
						    MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1 },
				     &undo, -1, &ret, &x->scratch_id);
		if (!r && ret < 0 && ret > -4096)
			r = (int)ret;
		if (r)
			return r;
		if (!meets_dest(x->plan, (uint64_t)ret, SCRATCH_LEN)) {
			x->scratch = (uint64_t)ret;
			return 0;
		}
		r = inject_journal_undo(x->tp, x->scratch_id);
		if (r)
			return r;
		for (size_t k = 0; k < x->plan->n; k++) {
			const struct plan_entry *e = &x->plan->e[k];
			if (e->status == STATUS_OK && e->dest_start != ADDR_NONE &&
			    e->dest_start + (e->end - e->start) > hint)
				hint = e->dest_start + (e->end - e->start);
		}
	}
	snprintf(x->st->message, sizeof(x->st->message),
		 "no room for a scratch page in the target outside the destination");
	return -ENOMEM;
}

/* log2 of a huge page size, for MAP_HUGE_SHIFT. */
static uint64_t huge_flags(uint64_t page_size)
{
	uint64_t shift = 0;

	while (page_size > 1) {
		page_size >>= 1;
		shift++;
	}
	return MAP_HUGETLB | (shift << MAP_HUGE_SHIFT);
}

/*
 * Map the VMA's own object (a file, memfd, shmem, SysV or hugetlbfs
 * segment) at the destination: MAP_SHARED for share, MAP_PRIVATE for
 * file-cow.  The file reaches the target as an fd over a socket pair made
 * there (fdpass), so mount, network and user namespaces do not matter; the
 * fd is closed again once mapped, leaving the target's fd table as it was.
 */
static int map_object(struct xfer *x, struct plan_entry *e)
{
	const struct vma *v = e->vma;
	bool shared = e->method == METHOD_SHARE;
	/* VM_MAYWRITE: the source could make it writable, so may the target */
	int oflags = shared && (v->vmflags & VMF(MW)) ? O_RDWR : O_RDONLY;
	struct mapping m = {
		.prot = shared ? vma_prot(v) : PROT_READ | PROT_WRITE,
		.flags = (shared ? MAP_SHARED : MAP_PRIVATE) | ((v->vmflags & VMF(NR)) ? MAP_NORESERVE : 0),
		.off = v->offset + (e->start - v->start),
	};
	int fd, r, undo = -1;

	fd = proc_vma_open(x->sp->procfd, v, oflags);
	if (fd < 0) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "cannot open the object behind 0x%llx: %s", (unsigned long long)e->start,
			 xfer_strerror(-fd));
		return fd;
	}
	r = scratch_get(x);
	if (!r) {
		r = fdpass_send(x->tp, fd, x->scratch + SCRATCH_FD, &m.fd, &undo);
		if (r)
			snprintf(x->st->message, sizeof(x->st->message),
				 "cannot hand the object behind 0x%llx to the target: %s",
				 (unsigned long long)e->start, xfer_strerror(-r));
	}
	close(fd);
	if (r)
		return r;
	r = mmap_at(x, e->dest_start, e->end - e->start, &m, true, NULL, NULL);
	fdpass_close(x->tp, m.fd, undo);
	return r;
}

/* SysV shm: attach the segment itself in the target, as shmat in the source
 * did (it counts in shm_nattch; a segment already marked for removal can
 * still be attached on Linux).  Only a whole attach is reproduced so; a
 * piece of one is mapped as the object (map_object). */
static int attach_sysv(struct xfer *x, struct plan_entry *e, bool *done)
{
	const struct vma *v = e->vma;
	uint64_t len = e->end - e->start;
	uint64_t flags = (v->perms[1] == 'w' ? 0 : SHM_RDONLY) | (v->perms[2] == 'x' ? SHM_EXEC : 0);
	const struct inject_undo undo = { .sys = ARCH_SYS_MUNMAP, .a1 = len,
					  .flags = INJECT_UNDO_RESULT };
	struct stat st;
	int64_t ret;
	int fd, r, id = -1;

	*done = false;
	if (e->start != v->start || e->end != v->end || v->offset != 0)
		return 0;
	fd = proc_vma_open(x->sp->procfd, v, O_RDONLY);
	if (fd < 0)
		return 0;
	r = fstat(fd, &st);
	close(fd);
	if (r < 0 || (((uint64_t)st.st_size + x->page - 1) & ~(x->page - 1)) != len)
		return 0;       /* attached in part: map the object instead */
	if (x->req->replace)
		flags |= SHM_REMAP;
	/* munmap of the whole attach detaches it, as shmdt does */
	r = inject_call_undo(x->tp, ARCH_SYS_SHMAT, (uint64_t[6]){ v->inode, e->dest_start, flags },
			     &undo, -1, &ret, &id);
	if (!r && ret < 0 && ret > -4096)
		r = (int)ret;
	if (r) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "shmat of SysV segment %llu in the target failed: %s",
			 (unsigned long long)v->inode, xfer_strerror(-r));
		return r;
	}
	if ((uint64_t)ret != e->dest_start) {
		inject_journal_undo(x->tp, id);
		snprintf(x->st->message, sizeof(x->st->message), "shmat chose another address");
		return -EIO;
	}
	*done = true;
	return 0;
}

/* A move within one process: the pages go with the VMA, nothing copied. */
static int remap_piece(struct xfer *x, struct plan_entry *e)
{
	uint64_t len = e->end - e->start;
	const struct inject_undo back = { .sys = ARCH_SYS_MREMAP, .a0 = e->dest_start, .a1 = len,
					  .a2 = e->start };
	int64_t ret;
	int id = -1;
	int r = inject_call_undo(x->sp, ARCH_SYS_MREMAP,
				 (uint64_t[6]){ e->start, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
						e->dest_start },
				 &back, -1, &ret, &id);

	if (!r && ret < 0 && ret > -4096)
		r = (int)ret;
	if (r) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "mremap of 0x%llx-0x%llx to 0x%llx failed: %s", (unsigned long long)e->start,
			 (unsigned long long)e->end, (unsigned long long)e->dest_start, xfer_strerror(-r));
		return r;
	}
	if ((uint64_t)ret != e->dest_start) {
		/* MREMAP_FIXED never chooses another place; be sure anyway. */
		snprintf(x->st->message, sizeof(x->st->message), "mremap chose 0x%llx, not 0x%llx",
			 (unsigned long long)ret, (unsigned long long)e->dest_start);
		return -EIO;
	}
	return 0;
}

static int create_piece(struct xfer *x, struct plan_entry *e)
{
	const struct vma *v = e->vma;
	struct mapping anon = {
		.prot = PROT_READ | PROT_WRITE,
		.flags = MAP_PRIVATE | MAP_ANONYMOUS | ((v->vmflags & VMF(NR)) ? MAP_NORESERVE : 0),
		.fd = -1,
	};
	bool done;
	int r;

	switch (e->method) {
	case METHOD_REMAP:
		return remap_piece(x, e);
	case METHOD_SHARE:
		if (e->kind == KIND_SYSV) {
			r = attach_sysv(x, e, &done);
			if (r || done)
				return r;
		}
		return map_object(x, e);
	case METHOD_FILE_COW:
		return map_object(x, e);
	case METHOD_COPY:
		if (e->kind == KIND_HUGETLB)
			anon.flags |= huge_flags(v->kernel_page_size);
		return mmap_at(x, e->dest_start, e->end - e->start, &anon, true, NULL, NULL);
	case METHOD_NONE:
		break;
	}
	return -EINVAL;
}

/*
 * The alignment --at any must keep: hugetlb pages can only be mapped at
 * multiples of their size, and a THP region gets huge pages only where the
 * source's 2 MiB boundaries fall on the target's.  The largest huge page
 * size among the pieces, or the base page.
 */
static uint64_t at_any_align(const struct xfer *x)
{
	uint64_t align = x->page;

	for (size_t i = 0; i < x->plan->n; i++) {
		const struct plan_entry *e = &x->plan->e[i];
		const struct vma *v = e->vma;
		uint64_t a = x->page;

		if (e->status != STATUS_OK || !v)
			continue;
		if (v->vmflags & VMF(HT))
			a = v->kernel_page_size;
		else if ((v->vmflags & VMF(HG)) || v->anon_huge)
			a = UINT64_C(2) << 20;  /* x86_64 PMD size */
		if (a > align)
			align = a;
	}
	return align;
}

/*
 * Where --at any puts the range: a place of @len bytes the kernel likes,
 * with the range's start at the same offset modulo at_any_align() as in
 * the source.  Asked for by mapping more than needed and giving it all
 * back at once: the pieces then take their places in it one by one, each
 * journaled on its own, while the frozen target can map nothing there.
 */
static int find_room(struct xfer *x, uint64_t len, uint64_t *base)
{
	uint64_t align = at_any_align(x), got, off = x->req->addr & (align - 1);
	const struct mapping probe = {
		.prot = PROT_NONE, .fd = -1, .flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	};
	int id = -1;
	int r = mmap_at(x, 0, len + align, &probe, false, &got, &id);

	if (r)
		return r;
	r = inject_journal_undo(x->tp, id);
	if (r)
		return r;
	/* the first address at or above got with b % align == off */
	*base = ((got - off + align - 1) & ~(align - 1)) + off;
	return 0;
}

static int create_all(struct xfer *x)
{
	struct plan *p = x->plan;
	const struct request *req = x->req;
	int r;

	if (req->at_any) {
		uint64_t len = req->range_end - req->addr, base;
		r = find_room(x, len, &base);
		if (r)
			return r;
		p->dest_start = base;
		p->dest_end = base + len;
		for (size_t i = 0; i < p->n; i++) {
			struct plan_entry *e = &p->e[i];
			e->dest_start = e->status == STATUS_OK ? base + (e->start - req->addr) : ADDR_NONE;
		}
	}
	for (size_t i = 0; i < p->n; i++) {
		struct plan_entry *e = &p->e[i];
		if (e->status != STATUS_OK)
			continue;
		r = create_piece(x, e);
		if (r)
			return r;
	}
	return 0;
}

/* ---- attributes ---------------------------------------------------------- */

static const struct { int flag; int advice; const char *name; } advice[] = {
	{ VMF_DC, MADV_DONTFORK, "madvise(MADV_DONTFORK)" },
	{ VMF_WF, MADV_WIPEONFORK, "madvise(MADV_WIPEONFORK)" },
	{ VMF_DD, MADV_DONTDUMP, "madvise(MADV_DONTDUMP)" },
	{ VMF_MG, MADV_MERGEABLE, "madvise(MADV_MERGEABLE)" },
	{ VMF_SR, MADV_SEQUENTIAL, "madvise(MADV_SEQUENTIAL)" },
	{ VMF_RR, MADV_RANDOM, "madvise(MADV_RANDOM)" },
	/* before the copy: the copy's faults then allocate huge pages (or not) */
	{ VMF_HG, MADV_HUGEPAGE, "madvise(MADV_HUGEPAGE)" },
	{ VMF_NH, MADV_NOHUGEPAGE, "madvise(MADV_NOHUGEPAGE)" },
};

/* [anon:NAME] (PR_SET_VMA_ANON_NAME, 5.17 with CONFIG_ANON_VMA_NAME): the
 * name is passed by address, so it goes into the scratch page first. */
static int name_piece(struct xfer *x, const struct plan_entry *e)
{
	const char *n = e->vma->name;
	size_t len;
	char name[96];
	int r;

	if (e->kind != KIND_ANON || strncmp(n, "[anon:", 6) != 0)
		return 0;
	len = strlen(n + 6);
	if (len == 0 || len > 80 || n[6 + len - 1] != ']')
		return 0;
	memcpy(name, n + 6, len - 1);
	name[len - 1] = '\0';
	r = scratch_get(x);
	if (!r)
		r = inject_write(x->tp, x->scratch + SCRATCH_NAME, name, len);
	if (!r) {
		int64_t ret;
		r = inject_call(x->tp, ARCH_SYS_PRCTL, PR_SET_VMA, PR_SET_VMA_ANON_NAME, e->dest_start,
			e->end - e->start, x->scratch + SCRATCH_NAME, 0, &ret);
		if (!r && ret < 0)
			r = (int)ret;
		if (r)
			snprintf(x->st->message, sizeof(x->st->message),
				 "naming 0x%llx [anon:%s] in the target failed: %s",
				 (unsigned long long)e->dest_start, name, xfer_strerror(-r));
	}
	return r;
}

/* The source's NUMA policy, set before the copy so the pages are allocated
 * where it says (mbind: Linux 2.6.7; the node mask passes by address). */
static int policy_piece(struct xfer *x, const struct plan_entry *e)
{
	const struct policy_fact *pol = x->src->policies ? &x->src->policies[e->vma_index] : NULL;
	uint64_t mask = 0, maxnode = 0;
	int64_t ret;
	int r;

	if (!pol || !pol->known || pol->mode == 0 /* MPOL_DEFAULT */)
		return 0;
	if (pol->nodes) {
		r = scratch_get(x);
		if (!r)
			r = inject_write(x->tp, x->scratch + SCRATCH_NODES, &pol->nodes, sizeof(pol->nodes));
		if (r)
			return r;
		mask = x->scratch + SCRATCH_NODES;
		maxnode = 65;   /* the kernel reads maxnode - 1 bits */
	}
	r = inject_call(x->tp, ARCH_SYS_MBIND, e->dest_start, e->end - e->start,
		(uint64_t)pol->mode | pol->flags, mask, maxnode, 0, &ret);
	if (!r && ret < 0)
		r = (int)ret;
	if (r)
		snprintf(x->st->message, sizeof(x->st->message),
			 "mbind (the source's NUMA policy) at 0x%llx in the target failed: %s",
			 (unsigned long long)e->dest_start, xfer_strerror(-r));
	return r;
}

/* VMA flags that madvise sets, replayed on each created piece. */
static int advise_all(struct xfer *x)
{
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		const struct vma *v = e->vma;
		uint64_t d = e->dest_start, len = e->end - e->start;

		/* a remapped VMA keeps its flags */
		if (e->status != STATUS_OK || !v || e->method == METHOD_REMAP)
			continue;
		int r = name_piece(x, e);
		if (!r)
			r = policy_piece(x, e);
		if (r)
			return r;
		for (size_t k = 0; k < sizeof(advice) / sizeof(advice[0]); k++) {
			if (!(v->vmflags & (UINT64_C(1) << advice[k].flag)))
				continue;
			r = call_ok(x, x->tp, advice[k].name, d, ARCH_SYS_MADVISE, d, len,
				    (uint64_t)advice[k].advice, 0);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Protections and mlock, last: they may forbid the writes of the copy or
 * fault in every page. */
static int protect_all(struct xfer *x)
{
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		const struct vma *v = e->vma;
		uint64_t d = e->dest_start, len = e->end - e->start;
		int prot = 0, r;

		/* a remap keeps its VMA; a share was mapped with its protection */
		if (e->status != STATUS_OK || !v || e->method == METHOD_REMAP)
			continue;
		prot = vma_prot(v);
		if (e->method != METHOD_SHARE && prot != (PROT_READ | PROT_WRITE)) {
			r = call_ok(x, x->tp, "mprotect", d, ARCH_SYS_MPROTECT, d, len, (uint64_t)prot, 0);
			if (r)
				return r;
		}
		if (v->vmflags & VMF(LO)) {
			if (v->vmflags & VMF(LF))
				r = call_ok(x, x->tp, "mlock2", d, ARCH_SYS_MLOCK2, d, len, MLOCK_ONFAULT, 0);
			else
				r = call_ok(x, x->tp, "mlock", d, ARCH_SYS_MLOCK, d, len, 0, 0);
			if (r)
				return r;
		}
		r = boundary(x, "protect");
		if (r)
			return r;
	}
	return 0;
}

/* ---- copy ---------------------------------------------------------------- */

/* Whether process_vm_readv run in the target can name the source: both in
 * pvmmap's pid namespace (then the pid is the same number there). */
static bool same_pidns(const struct xfer *x)
{
	struct stat self, s, t;

	if (stat("/proc/self/ns/pid", &self) < 0 ||
	    fstatat(x->sp->procfd, "ns/pid", &s, 0) < 0 ||
	    fstatat(x->tp->procfd, "ns/pid", &t, 0) < 0)
		return false;
	return self.st_ino == s.st_ino && self.st_dev == s.st_dev &&
	       self.st_ino == t.st_ino && self.st_dev == t.st_dev;
}

/* One iovec through the buffer with the engine's reads and writes, which
 * reach PROT_NONE pages too (/proc/PID/mem). */
static int bounce_one(struct xfer *x, uint64_t src, uint64_t dst, uint64_t left)
{
	while (left) {
		uint64_t len = left < COPY_BUF ? left : COPY_BUF;
		int r = inject_read(x->sp, src, x->buf, len);
		if (!r)
			r = inject_write(x->tp, dst, x->buf, len);
		if (r) {
			snprintf(x->st->message, sizeof(x->st->message),
				 "copying 0x%llx bytes from 0x%llx failed: %s",
				 (unsigned long long)len, (unsigned long long)src, xfer_strerror(-r));
			return r;
		}
		src += len;
		dst += len;
		left -= len;
	}
	return 0;
}

/*
 * Through pvmmap's buffer, many small runs at once: one process_vm_readv
 * gathers as many iovecs as the buffer holds, one process_vm_writev
 * scatters them (two syscalls, not two per run: a sparse range is
 * thousands of single pages).  A group the vectored calls cannot do whole
 * (a protection in the way) goes iovec by iovec through the engine.
 */
static int bounce(struct xfer *x, const struct batch *b)
{
	size_t i = 0;

	while (i < b->n) {
		struct iovec local = { x->buf, 0 };
		size_t j = i;

		while (j < b->n && local.iov_len + b->loc[j].iov_len <= COPY_BUF)
			local.iov_len += b->loc[j++].iov_len;
		if (j == i) {
			/* one iovec larger than the buffer */
			int r = bounce_one(x, (uint64_t)(uintptr_t)b->rem[i].iov_base,
					   (uint64_t)(uintptr_t)b->loc[i].iov_base, b->loc[i].iov_len);
			if (r)
				return r;
			i++;
			continue;
		}
		if (process_vm_readv(x->sp->pid, &local, 1, &b->rem[i], j - i, 0) !=
			    (ssize_t)local.iov_len ||
		    process_vm_writev(x->tp->pid, &local, 1, &b->loc[i], j - i, 0) !=
			    (ssize_t)local.iov_len) {
			for (size_t k = i; k < j; k++) {
				int r = bounce_one(x, (uint64_t)(uintptr_t)b->rem[k].iov_base,
						   (uint64_t)(uintptr_t)b->loc[k].iov_base,
						   b->loc[k].iov_len);
				if (r)
					return r;
			}
		}
		i = j;
	}
	return 0;
}

/* The batch's iovecs into the scratch page: the destinations first (what
 * process_madvise and process_vm_readv take as local), then the sources. */
static int iov_write(struct xfer *x, const struct batch *b)
{
	unsigned char iov[2 * IOV_BATCH * sizeof(struct iovec)];
	size_t half = b->n * sizeof(struct iovec);
	int r = scratch_get(x);

	if (r)
		return r;
	memcpy(iov, b->loc, half);
	memcpy(iov + half, b->rem, half);
	return inject_write(x->tp, x->scratch, iov, 2 * half);
}

/* process_vm_readv inside the target (iovecs written): 1 done, 0 not
 * permitted here (fall back to the bounce for good), or -errno. */
static int single(struct xfer *x, const struct batch *b)
{
	size_t half = b->n * sizeof(struct iovec);
	int64_t ret;
	int r = inject_call(x->tp, ARCH_SYS_PROCESS_VM_READV, (uint64_t)x->sp->pid, x->scratch, b->n,
		    x->scratch + half, b->n, 0, &ret);

	if (r)
		return r;
	/* Yama (1: only ancestors), an LSM, or a kernel without the call:
	 * the target may not read the source.  pvmmap does not widen that
	 * with PR_SET_PTRACER: the source's own exception cannot be read
	 * back, so it could not be restored exactly. */
	if (ret == -EPERM || ret == -EACCES || ret == -ENOSYS)
		return 0;
	if (ret < 0) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "process_vm_readv in the target failed: %s", xfer_strerror((int)-ret));
		return (int)ret;
	}
	if ((uint64_t)ret != b->bytes) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "process_vm_readv in the target copied %lld of %llu bytes", (long long)ret,
			 (unsigned long long)b->bytes);
		return -EIO;
	}
	return 1;
}

/*
 * Populate the batch's destinations before the copy: one fault per 4 KiB
 * page costs more than copying it.  One process_madvise(MADV_POPULATE_WRITE)
 * run in the target on itself takes every run of the batch at once (any
 * advice is allowed on the caller's own mm from 6.13); before that, one
 * madvise per run of POPULATE_MIN or more (MADV_POPULATE_WRITE: 5.14).
 */
static int populate(struct xfer *x, const struct batch *b)
{
	int64_t ret;
	int r;

	if (x->self_pidfd == -1) {
		x->self_pidfd = -2;
		r = inject_call(x->tp, ARCH_SYS_GETPID, 0, 0, 0, 0, 0, 0, &ret);
		if (!r && ret > 0) {
			const struct inject_undo undo = { .sys = ARCH_SYS_CLOSE,
							  .flags = INJECT_UNDO_RESULT };
			r = inject_call_undo(x->tp, ARCH_SYS_PIDFD_OPEN, (uint64_t[6]){ (uint64_t)ret },
					     &undo, -1, &ret, &x->self_pidfd_id);
		}
		if (r)
			return r;
		if (ret >= 0)
			x->self_pidfd = (int)ret;
	}
	if (x->self_pidfd >= 0) {
		r = inject_call(x->tp, ARCH_SYS_PROCESS_MADVISE, (uint64_t)x->self_pidfd, x->scratch, b->n,
			MADV_POPULATE_WRITE, 0, 0, &ret);
		if (r)
			return r;
		if ((uint64_t)ret == b->bytes)
			return 0;
		/* EINVAL before 6.13; a short count: finish it run by run */
	}
	for (size_t i = 0; i < b->n; i++) {
		uint64_t d = (uint64_t)(uintptr_t)b->loc[i].iov_base;
		if (b->loc[i].iov_len < POPULATE_MIN)
			continue;
		r = call_ok(x, x->tp, "madvise(MADV_POPULATE_WRITE)", d, ARCH_SYS_MADVISE, d,
			    b->loc[i].iov_len, MADV_POPULATE_WRITE, 0);
		if (r == -EINVAL) {
			x->st->message[0] = '\0';   /* before 5.14: fault in as it comes */
			return 0;
		}
		if (r)
			return r;
	}
	return 0;
}

static void self_pidfd_close(struct xfer *x)
{
	if (x->self_pidfd >= 0)
		inject_journal_undo(x->tp, x->self_pidfd_id);
	x->self_pidfd = -1;
}

static int flush(struct xfer *x)
{
	struct batch *b = &x->b;
	const struct vma *v = b->e ? b->e->vma : NULL;
	/* huge pages: THP advised or already there, or hugetlb */
	bool huge = v && ((v->vmflags & (VMF(HG) | VMF(HT))) || v->anon_huge);
	int r;

	if (!b->n)
		return 0;
	r = iov_write(x, b);
	/* Not for THP, where the copy's own faults allocate whole huge pages
	 * and populating first costs a pass. */
	if (!r && !huge)
		r = populate(x, b);
	if (r)
		return r;
	/* process_vm_readv honours the source's protections: a PROT_NONE or
	 * write-only piece goes through /proc/PID/mem, which does not. */
	if (x->mode != COPY_BOUNCE && (huge || x->forced) && b->e->vma &&
	    b->e->vma->perms[0] == 'r') {
		r = single(x, b);
		if (r == 0)
			x->mode = COPY_BOUNCE;
	}
	if (r == 0 && !x->buf) {
		x->buf = malloc(COPY_BUF);
		if (!x->buf)
			return -ENOMEM;
	}
	if (r == 0)
		r = bounce(x, b);
	if (r < 0)
		return r;
	/* Pages the source had swapped out go out again, so that moving cold
	 * memory does not make it hot (no effect without swap). */
	for (size_t i = 0; i < b->n; i++) {
		int64_t ign;
		if (b->swapped[i])
			inject_call(x->tp, ARCH_SYS_MADVISE, (uint64_t)(uintptr_t)b->loc[i].iov_base,
			    b->loc[i].iov_len, MADV_PAGEOUT, 0, 0, 0, &ign);
	}
	b->e->bytes_copied += b->bytes;
	x->st->bytes_copied += b->bytes;
	b->n = 0;
	b->bytes = 0;
	if (x->hooks && x->hooks->progress)
		x->hooks->progress(x->st->bytes_copied, x->total, x->hooks->arg);
	return boundary(x, "copy");
}

/* Queue [src, src+len) of the source for its destination; flush when full. */
static int queue(struct xfer *x, struct plan_entry *e, uint64_t src, uint64_t len, bool swapped)
{
	struct batch *b = &x->b;

	while (len) {
		uint64_t n = len < BATCH_BYTES - b->bytes ? len : BATCH_BYTES - b->bytes;
		b->e = e;
		b->loc[b->n] = (struct iovec){ (void *)(uintptr_t)(e->dest_start + (src - e->start)), n };
		b->rem[b->n] = (struct iovec){ (void *)(uintptr_t)src, n };
		b->swapped[b->n] = swapped;
		b->n++;
		b->bytes += n;
		src += n;
		len -= n;
		if (b->n == IOV_BATCH || b->bytes == BATCH_BYTES) {
			int r = flush(x);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Copy [start, end) of the source to dest: the pages that hold data only. */
static int copy_piece(struct xfer *x, struct plan_entry *e)
{
	uint64_t cursor = e->start;
	struct ps_run run;
	int r;

	while ((r = pagescan_next(&x->ps, &cursor, e->end, &run)) == 1) {
		if (run.what & PS_GUARD) {
			/* A guard region (6.13+): installed again, never read. */
			uint64_t dg = e->dest_start + (run.start - e->start);
			r = flush(x);
			if (!r)
				r = call_ok(x, x->tp, "madvise(MADV_GUARD_INSTALL)", dg, ARCH_SYS_MADVISE,
					    dg, run.end - run.start, MADV_GUARD_INSTALL, 0);
		} else {
			r = queue(x, e, run.start, run.end - run.start, run.what & PS_SWAPPED);
		}
		if (r)
			return r;
	}
	if (r < 0) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "reading the source's page map failed: %s", xfer_strerror(-r));
		return r;
	}
	return flush(x);
}

static int copy_all(struct xfer *x)
{
	const char *how = getenv("PVMMAP_COPY");
	int r;

	bool any = false;

	/* progress: what the plan counted (hugetlb pages are not in Rss) */
	x->total = 0;
	for (size_t i = 0; i < x->plan->n; i++) {
		const struct plan_entry *e = &x->plan->e[i];
		if (!copies(e))
			continue;
		any = true;
		if (e->method == METHOD_FILE_COW)
			x->total += e->changed;
		else if (e->kind == KIND_HUGETLB)
			x->total += e->end - e->start;
		else
			x->total += e->rss + e->swap;
	}
	if (!any)
		return 0;
	x->forced = how && (strcmp(how, "bounce") == 0 || strcmp(how, "pull") == 0);
	x->mode = !same_pidns(x) || (how && strcmp(how, "bounce") == 0) ? COPY_BOUNCE : COPY_PULL;
	/* the bounce path needs no scratch */
	if (x->mode != COPY_BOUNCE && scratch_get(x))
		x->mode = COPY_BOUNCE;
	r = pagescan_open(x->sp->procfd, x->page, &x->ps);
	if (r) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "cannot open the source's page map: %s", xfer_strerror(-r));
		return r;
	}
	for (size_t i = 0; i < x->plan->n && !r; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (copies(e)) {
			/* file-cow: the pages the source changed are its private
			 * anonymous ones; the rest is the file's page cache,
			 * which the target's mapping already sees */
			pagescan_set_anon_only(&x->ps, e->method == METHOD_FILE_COW);
			r = copy_piece(x, e);
		}
	}
	pagescan_close(&x->ps);
	return r;
}

static void scratch_free(struct xfer *x)
{
	self_pidfd_close(x);
	if (x->scratch)
		inject_journal_undo(x->tp, x->scratch_id);
	x->scratch = 0;
}

/* ---- finish -------------------------------------------------------------- */

/* Undo what was done in the target, last first: its journal.  0, or
 * -ENOTRECOVERABLE when some of it could not be undone (st->message says
 * what is where). */
static int rollback(struct xfer *x)
{
	char what[200];
	int err = 0;

	/* A target that exited has nothing left to undo; one being killed
	 * fails the undoing a moment before it shows that it exited. */
	if (inject_alive(x->tp))
		scratch_free(x);
	if (inject_alive(x->tp) && inject_journal_rollback(x->tp, what, sizeof what) &&
	    !inject_exited(x->tp, 100)) {
		err = -ENOTRECOVERABLE;
		snprintf(x->st->message, sizeof(x->st->message),
			 "rolling back failed: %s; the source is unchanged", what);
	}
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (e->status == STATUS_OK) {
			e->status = STATUS_ROLLED_BACK;
			e->bytes_copied = 0;
		}
	}
	if (x->req->at_any)
		x->plan->dest_start = x->plan->dest_end = ADDR_NONE;
	x->st->bytes_copied = 0;
	return err;
}

/* The commit point: the target keeps what it got (its journal is
 * forgotten), then the source lets go of the range (move). */
static int commit(struct xfer *x)
{
	int err = 0;

	scratch_free(x);
	err = inject_journal_commit(x->tp);
	if (err) {
		snprintf(x->st->message, sizeof(x->st->message),
			 "cannot commit in the target: %s", xfer_strerror(-err));
		return rollback(x) ? -ENOTRECOVERABLE : err;
	}
	for (size_t i = 0; i < x->plan->n; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (e->status != STATUS_OK)
			continue;
		/* a remap has already left the source */
		if (x->req->op == OP_MOVE && e->method != METHOD_REMAP) {
			int64_t ret;
			int r = inject_call(x->sp, ARCH_SYS_MUNMAP, e->start, e->end - e->start, 0, 0, 0, 0, &ret);
			if (!r && ret < 0)
				r = (int)ret;
			if (r && inject_exited(x->sp, 100)) {
				/* killed by someone else in the commit: what it
				 * still mapped is gone with it, and the target
				 * holds the whole range */
				x->st->exited_pid = x->sp->pid;
				snprintf(x->st->message, sizeof(x->st->message),
					 "the source %d exited during the commit; the target %d holds the whole range",
					 x->sp->pid, x->tp->pid);
				err = -ESRCH;
				r = 0;
			}
			if (r) {
				e->status = STATUS_FAILED;
				snprintf(e->detail, sizeof(e->detail),
					 "copied to the target at 0x%llx, but munmap in the source failed: %s",
					 (unsigned long long)e->dest_start, xfer_strerror(-r));
				if (!err) {
					err = r;
					snprintf(x->st->message, sizeof(x->st->message),
						 "the target holds the whole range, but the source still maps 0x%llx-0x%llx: %s",
						 (unsigned long long)e->start, (unsigned long long)e->end,
						 xfer_strerror(-r));
				}
				continue;
			}
		}
		e->status = STATUS_DONE;
	}
	return err == -ESRCH ? err : err ? -ENOTRECOVERABLE : 0;
}

/*
 * After a failure: when it was a process exiting under pvmmap (killed by
 * someone else), say so, not what the failed syscall said.  The survivor
 * is as it was: the rollback left the target so, and the source is never
 * changed before the commit.
 */
static int peer_exited(struct xfer *x, int r)
{
	/* a process being killed fails our syscalls a moment before it is
	 * a zombie: give it that moment when the error looks like it */
	int grace = r == -ESRCH || r == -EFAULT || r == -EIO || r == -ENOTRECOVERABLE ? 100 : 0;
	bool tgt, src;

	if (x->st->exited_pid)
		return r;       /* said already (the commit) */
	tgt = inject_exited(x->tp, grace);
	src = x->sp != x->tp && inject_exited(x->sp, grace);
	if (!tgt && !src)
		return r;
	x->st->exited_pid = tgt ? x->tp->pid : x->sp->pid;
	if (tgt && src)
		snprintf(x->st->message, sizeof(x->st->message),
			 "the source %d and the target %d exited during the transfer", x->sp->pid,
			 x->tp->pid);
	else if (tgt)
		snprintf(x->st->message, sizeof(x->st->message),
			 "the target %d exited during the transfer; the source %d is unchanged",
			 x->tp->pid, x->sp->pid);
	else if (r == -ENOTRECOVERABLE)
		return r;       /* the rollback in the target failed: say that */
	else
		snprintf(x->st->message, sizeof(x->st->message),
			 "the source %d exited during the transfer; the target %d is as it was",
			 x->sp->pid, x->tp->pid);
	return -ESRCH;
}

/* ---- plan again, under the freeze ------------------------------------------ */

/* The frozen threads' registers are better facts than /proc's: they exist
 * for running threads too, and they carry the thread pointer. */
static void frozen_threads(struct proc_facts *pf, const struct inject_proc *p)
{
	for (size_t i = 0; i < pf->nthreads; i++) {
		struct thread_fact *t = &pf->threads[i];
		int k = inject_thread_index(p, t->tid);
		if (k < 0 || !(p->threads[k].state & INJECT_T_STOPPED))
			continue;
		t->blocked = true;
		t->sp = arch_regs_sp(&p->threads[k].regs);
		t->ip = arch_regs_ip(&p->threads[k].regs);
		t->tls = arch_regs_tls(&p->threads[k].regs);
	}
}

/* Where the named kernel mapping @name starts, or 0. */
static uint64_t special_start(const struct proc_facts *pf, const char *name)
{
	for (size_t i = 0; i < pf->vmas.n; i++)
		if (strcmp(pf->vmas.v[i].name, name) == 0)
			return pf->vmas.v[i].start;
	return 0;
}

/*
 * Whether @now is another program than @before in the same process: it ran
 * execve between the two readings.  The pid and the start time stay; the
 * name, the vdso and the main stack of a new mm do not (the kernel places
 * them afresh, at random unless randomisation is off).
 */
static bool execd(const struct proc_facts *before, const struct proc_facts *now)
{
	/* a process being killed loses its mm first: no maps is no new program */
	if (!now->vmas.n || strchr("ZXx", now->state))
		return false;
	return strcmp(before->comm, now->comm) != 0 ||
	       special_start(before, "[vdso]") != special_start(now, "[vdso]") ||
	       special_start(before, "[stack]") != special_start(now, "[stack]");
}

/* After an attach that failed as if the process had gone: whether it is
 * there still, another program.  Then st says so. */
static bool attach_saw_exec(const struct proc_facts *pf, struct transfer_stats *st)
{
	struct proc_facts now = { .procfd = -1 };
	bool r = proc_facts_read(pf->pid, true, &now) == 0 && now.start_time == pf->start_time &&
		 execd(pf, &now);

	if (r) {
		st->exited_pid = pf->pid;
		snprintf(st->message, sizeof(st->message),
			 "process %d ran execve during the attach (it is now %s): the memory pvmmap "
			 "examined is gone; nothing was changed", pf->pid, now.comm);
	}
	proc_facts_free(&now);
	return r;
}

/* Re-read both processes under the freeze and plan again.  @src and @tgt
 * are the same facts for a transfer within one process. */
static int replan(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		  const struct request *req, struct plan *plan, const struct inject_proc *sp)
{
	struct proc_facts ns = { .procfd = -1 }, nt = { .procfd = -1 };
	bool same = src == tgt;
	struct plan np;
	int r;

	r = proc_facts_read(src->pid, true, &ns);
	if (!r && !same)
		r = proc_facts_read(tgt->pid, true, &nt);
	if (!r && (execd(src, &ns) || (!same && execd(tgt, &nt))))
		r = -ECHILD;    /* the caller says which one exec'd */
	if (r) {
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		return r;
	}
	frozen_threads(&ns, sp);
	r = proc_policies_read(&ns);
	if (r) {
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		return r;
	}
	for (int i = 0; i < 2; i++) {
		ns.edges[i] = src->edges[i];
		if (ns.edges[i].known)
			ns.edges[i].known = proc_range_residency(&ns, ns.edges[i].start, ns.edges[i].end,
								 &ns.edges[i].rss, &ns.edges[i].swap) == 0;
	}
	r = plan_make(sf, &ns, same ? &ns : &nt, req, &np);
	if (r) {
		proc_facts_free(&ns);
		proc_facts_free(&nt);
		return r;
	}
	plan_free(plan);
	proc_facts_free(src);
	*src = ns;
	if (!same) {
		proc_facts_free(tgt);
		*tgt = nt;
	}
	*plan = np;
	return 0;
}

static bool plan_refuses(const struct plan *p)
{
	if (p->error.reason)
		return true;
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].status == STATUS_REFUSED)
			return true;
	return false;
}

/* -EOPNOTSUPP, with the reason in st->message, when an OK entry is one this
 * version cannot carry out. */
static int check_supported(const struct plan *plan, const struct request *req,
			   struct transfer_stats *st)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct plan_entry *e = &plan->e[i];
		if (e->status == STATUS_OK && !transfer_supports(e, req)) {
			snprintf(st->message, sizeof(st->message),
				 "this version cannot carry out %s of %s memory, which the plan approved",
				 method_name(e->method) ? method_name(e->method) : "?",
				 kind_name(e->kind) ? kind_name(e->kind) : "?");
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/* Whether anything but a remap is to be done: then the target needs the
 * scratch page, made before anything else, while every source range is
 * still mapped and so cannot be where the kernel puts it (a remapped piece
 * must be able to go back, also when the target's own journal undoes it). */
static bool needs_scratch(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->e[i].status == STATUS_OK && p->e[i].method != METHOD_REMAP)
			return true;
	return false;
}

static int steps(struct xfer *x)
{
	int r = boundary(x, "start");

	if (!r && needs_scratch(x->plan))
		r = scratch_get(x);
	if (!r)
		r = create_all(x);
	if (!r)
		r = boundary(x, "after-create");
	if (!r)
		r = advise_all(x);
	if (!r)
		r = copy_all(x);
	if (!r)
		r = boundary(x, "after-copy");
	if (!r)
		r = protect_all(x);
	if (!r)
		r = boundary(x, "after-protect");
	return r;
}

int transfer_run(const struct sys_facts *sf, struct proc_facts *src, struct proc_facts *tgt,
		 const struct request *req, struct plan *plan, const struct transfer_hooks *hooks,
		 struct transfer_stats *st)
{
	struct xfer x = { .sf = sf, .req = req, .plan = plan, .st = st, .hooks = hooks,
			  .self_pidfd = -1, .scratch_id = -1, .self_pidfd_id = -1 };
	unsigned flags = (sf->self_cap_eff >> CAP_BIT_ADMIN) & 1 ? INJECT_SUSPEND_SECCOMP : 0;
	int timeout_ms = (int)(req->timeout_s * 1000);
	bool any = false;
	char oom_old[16];
	double t0;
	int r;

	memset(st, 0, sizeof(*st));
	x.page = sf->page_size ? sf->page_size : 4096;
	x.fail_at = getenv("PVMMAP_FAIL_AT");
	if (x.fail_at && !*x.fail_at)
		x.fail_at = NULL;

	/* Refuse what this version cannot do before stopping anything. */
	for (size_t i = 0; i < plan->n; i++)
		any |= plan->e[i].status == STATUS_OK;
	if (!any)
		return 0;       /* nothing to do (--partial, all refused) */
	r = check_supported(plan, req, st);
	if (r)
		return r;

	t0 = clock_now_s();
	oom_protect(oom_old, sizeof oom_old);
	r = inject_seize(src->pid, src->start_time, flags, timeout_ms, &x.sp);
	if (r) {
		st->attach_err = r;
		st->attach_pid = src->pid;
		oom_restore(oom_old);
		if ((r == -ESRCH || r == -EOWNERDEAD) && attach_saw_exec(src, st)) {
			st->attach_err = 0;
			return -ESRCH;
		}
		return r;
	}
	if (tgt == src) {
		x.tp = x.sp;
	} else {
		r = inject_seize(tgt->pid, tgt->start_time, flags, timeout_ms, &x.tp);
		if (r) {
			st->attach_err = r;
			st->attach_pid = tgt->pid;
			inject_detach(x.sp);
			st->paused_s = clock_now_s() - t0;
			oom_restore(oom_old);
			if ((r == -ESRCH || r == -EOWNERDEAD) && attach_saw_exec(tgt, st)) {
				st->attach_err = 0;
				return -ESRCH;
			}
			return r;
		}
	}

	/* What was checked is what is done. */
	r = replan(sf, src, tgt, req, plan, x.sp);
	if (r == -ECHILD) {
		/* @src and @tgt are still the facts from before */
		if (!attach_saw_exec(src, st))
			attach_saw_exec(tgt, st);
		r = -ESRCH;
		goto out;
	}
	if (r) {
		snprintf(st->message, sizeof(st->message), "cannot re-read the processes: %s",
			 xfer_strerror(-r));
		goto out;
	}
	if (plan->error.reason && peer_exited(&x, -ESRCH) == -ESRCH) {
		/* the re-read saw a process being killed (a zombie leader,
		 * threads going): say that it exited, not what it looked like */
		r = -ESRCH;
		goto out;
	}
	if (plan->error.reason || (plan_refuses(plan) && !req->partial))
		goto out;       /* nothing changed; the plan says why */
	r = check_supported(plan, req, st);
	if (r)
		goto out;

	x.src = src;
	/* an entry a piece, the scratch page, a pidfd, fdpass's two */
	inject_journal_reserve(x.tp, plan->n + 6);
	r = steps(&x);
	if (r) {
		if (!st->message[0])
			snprintf(st->message, sizeof(st->message), "the transfer failed: %s",
				 xfer_strerror(-r));
		int rb = rollback(&x);
		if (rb)
			r = rb;
	} else {
		r = commit(&x);
	}
	if (r)
		r = peer_exited(&x, r);
	free(x.buf);
out:
	if (x.tp != x.sp)
		inject_detach(x.tp);
	inject_detach(x.sp);
	st->paused_s = clock_now_s() - t0;
	oom_restore(oom_old);
	return r;
}

/* ---- clean ------------------------------------------------------------------- */

/* Remove one rescue area at @at in VMA @v of the frozen process @p. */
static int clean_one(struct inject_proc *p, const struct vma *v, uint64_t at, char *msg, size_t len)
{
	uint64_t size;
	int64_t ret;
	int r;

	for (size_t i = 0; i < p->nthreads; i++) {
		uint64_t ip = arch_regs_ip(&p->threads[i].regs);
		if ((p->threads[i].state & INJECT_T_STOPPED) && ip >= at && ip < v->end) {
			snprintf(msg, len, "thread %d of process %d still rests in the rescue code at "
				 "0x%llx: it is stopped; it runs that code and goes on once continued "
				 "(SIGCONT)", p->threads[i].tid, p->pid, (unsigned long long)at);
			return -EBUSY;
		}
	}
	if (strcmp(v->name, "[vdso]") != 0) {
		r = inject_call(p, ARCH_SYS_MUNMAP, v->start, v->end - v->start, 0, 0, 0, 0, &ret);
		if (!r && ret < 0)
			r = (int)ret;
		if (r)
			snprintf(msg, len, "munmap of 0x%llx in process %d failed: %s",
				 (unsigned long long)v->start, p->pid, xfer_strerror(-r));
		return r;
	}
	/* in the vdso: zero what the head says it holds, to the vdso's end */
	r = inject_read(p, at + 24 /* HEAD_SIZE */, &size, sizeof size);
	if (!r) {
		unsigned char *zero;
		if (size > v->end - at)
			size = v->end - at;
		zero = calloc(1, size);
		r = zero ? inject_write(p, at, zero, size) : -ENOMEM;
		free(zero);
	}
	if (r)
		snprintf(msg, len, "cannot write the vdso of process %d: %s", p->pid, xfer_strerror(-r));
	return r;
}

int transfer_clean(const struct sys_facts *sf, struct proc_facts *pf, double timeout_s,
		   uint64_t *at, size_t max, size_t *n, char *msg, size_t len)
{
	unsigned flags = (sf->self_cap_eff >> CAP_BIT_ADMIN) & 1 ? INJECT_SUSPEND_SECCOMP : 0;
	struct proc_facts now = { .procfd = -1 };
	struct inject_proc *p;
	int r;

	*n = 0;
	msg[0] = '\0';
	r = inject_seize(pf->pid, pf->start_time, flags, (int)(timeout_s * 1000), &p);
	if (r)
		return r;
	/* What is there under the freeze.  The vdso's first: removing a
	 * mapping runs a syscall, whose rescue area then takes the vdso's
	 * tail (and would cover what is read here). */
	r = proc_facts_read(pf->pid, true, &now);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; !r && i < now.vmas.n; i++) {
			const struct vma *v = &now.vmas.v[i];
			if (!v->residue || (strcmp(v->name, "[vdso]") == 0) != (pass == 0))
				continue;
			r = clean_one(p, v, v->residue, msg, len);
			if (!r && *n < max)
				at[(*n)++] = v->residue;
		}
	proc_facts_free(&now);
	inject_detach(p);
	return r;
}
