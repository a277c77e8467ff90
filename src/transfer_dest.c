/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The destination mappings (see src/transfer_priv.h): each approved piece
 * is created in the target -- anonymous memory, the source's own object
 * handed over by fdpass, a SysV attach, or (within one process) the VMA
 * itself moved by mremap -- every one journaled from the syscall that
 * makes it; then what shapes its pages (name, NUMA policy, madvise flags)
 * before the copy, and its protections and mlock after it.
 */
#include "transfer_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"

/* ---- create ------------------------------------------------------------------ */

/* The source's /proc directory: held, or (the destination made before
 * it stops, xfer_execute_early) that of the facts read of it. */
static int src_procfd(const struct xfer *x)
{
	return x->sp ? inject_procfd(x->sp) : x->src->procfd;
}

/* The protection the VMA has (and the destination gets in the end):
 * arm64's BTI guard too, which code compiled for it relies on. */
static int vma_prot(const struct vma *v)
{
	return (v->perms[0] == 'r' ? PROT_READ : 0) | (v->perms[1] == 'w' ? PROT_WRITE : 0) |
	       (v->perms[2] == 'x' ? PROT_EXEC : 0) | ((v->vmflags & VMF(BT)) ? arch_prot_bti() : 0);
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
	if (r)
		return xfer_fail(x->st, r, "mmap of 0x%llx bytes at 0x%llx in the target failed: %s",
				 (unsigned long long)len, (unsigned long long)dest, xfer_strerror(-r));
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
int xfer_scratch_get(struct xfer *x)
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
	return xfer_fail(x->st, -ENOMEM,
			 "no room for a scratch page in the target outside the destination");
}

void xfer_scratch_put(struct xfer *x)
{
	if (x->scratch)
		inject_journal_undo(x->tp, x->scratch_id);
	x->scratch = 0;
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

	fd = proc_vma_open(src_procfd(x), v, oflags);
	if (fd < 0)
		return xfer_fail(x->st, fd, "cannot open the object behind 0x%llx: %s",
				 (unsigned long long)e->start, xfer_strerror(-fd));
	r = xfer_scratch_get(x);
	if (!r) {
		r = fdpass_send(x->tp, fd, x->scratch + SCRATCH_FD, &m.fd, &undo);
		if (r)
			xfer_fail(x->st, r, "cannot hand the object behind 0x%llx to the target: %s",
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
	fd = proc_vma_open(src_procfd(x), v, O_RDONLY);
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
	if (r)
		return xfer_fail(x->st, r, "shmat of SysV segment %llu in the target failed: %s",
				 (unsigned long long)v->inode, xfer_strerror(-r));
	if ((uint64_t)ret != e->dest_start) {
		inject_journal_undo(x->tp, id);
		return xfer_fail(x->st, -EIO, "shmat chose another address");
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
	if (r)
		return xfer_fail(x->st, r, "mremap of 0x%llx-0x%llx to 0x%llx failed: %s",
				 (unsigned long long)e->start, (unsigned long long)e->end,
				 (unsigned long long)e->dest_start, xfer_strerror(-r));
	/* MREMAP_FIXED never chooses another place; be sure anyway. */
	if ((uint64_t)ret != e->dest_start)
		return xfer_fail(x->st, -EIO, "mremap chose 0x%llx, not 0x%llx",
				 (unsigned long long)ret, (unsigned long long)e->dest_start);
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
 * source's PMD boundaries (arch_pmd_size) fall on the target's.  The
 * largest huge page size among the pieces, or the base page.
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
			a = arch_pmd_size();
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

int xfer_create_all(struct xfer *x)
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

/* ---- attributes ------------------------------------------------------------ */

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
	r = xfer_scratch_get(x);
	if (!r)
		r = inject_write(x->tp, x->scratch + SCRATCH_NAME, name, len);
	if (!r) {
		int64_t ret;
		r = inject_call(x->tp, ARCH_SYS_PRCTL, PR_SET_VMA, PR_SET_VMA_ANON_NAME, e->dest_start,
			e->end - e->start, x->scratch + SCRATCH_NAME, 0, &ret);
		if (!r && ret < 0)
			r = (int)ret;
		if (r)
			xfer_fail(x->st, r, "naming 0x%llx [anon:%s] in the target failed: %s",
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
		r = xfer_scratch_get(x);
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
		return xfer_fail(x->st, r,
				 "mbind (the source's NUMA policy) at 0x%llx in the target failed: %s",
				 (unsigned long long)e->dest_start, xfer_strerror(-r));
	return 0;
}

/* VMA flags that madvise sets, replayed on each created piece. */
int xfer_advise_all(struct xfer *x)
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
			r = xfer_call_ok(x, x->tp, advice[k].name, d, ARCH_SYS_MADVISE, d, len,
					 (uint64_t)advice[k].advice, 0);
			if (r)
				return r;
		}
	}
	return 0;
}

/* Protections and mlock, last: they may forbid the writes of the copy or
 * fault in every page. */
int xfer_protect_all(struct xfer *x)
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
			r = xfer_call_ok(x, x->tp, "mprotect", d, ARCH_SYS_MPROTECT, d, len,
					 (uint64_t)prot, 0);
			if (r)
				return r;
		}
		if (v->vmflags & VMF(LO)) {
			if (v->vmflags & VMF(LF))
				r = xfer_call_ok(x, x->tp, "mlock2", d, ARCH_SYS_MLOCK2, d, len,
						 MLOCK_ONFAULT, 0);
			else
				r = xfer_call_ok(x, x->tp, "mlock", d, ARCH_SYS_MLOCK, d, len, 0, 0);
			if (r)
				return r;
		}
		r = xfer_boundary(x, "protect");
		if (r)
			return r;
	}
	return 0;
}
