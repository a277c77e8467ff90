/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The page-copy engine (see src/transfer_priv.h).  Which pages: the ones
 * the source's page map says hold data (src/pagescan.c), file-cow's
 * changed ones only; guard regions are installed again, never read.  How
 * they travel: queued into batches of iovecs, then copied once where the
 * kernel lets the target read the source (process_vm_readv run inside the
 * target, the iovecs in its scratch page) or through a bounded buffer of
 * pvmmap's otherwise (another pid namespace, Yama, an LSM), and for 4 KiB
 * pages (transfer_priv.h, copy_mode).  Only a pull into 4 KiB pages
 * populates its destinations first (one MADV_POPULATE_WRITE for the
 * batch, not one user fault per page).  The bounce needs no such pass:
 * process_vm_writev faults the target's pages in inside the kernel as it
 * goes (GUP), which is what the pass would do, without a second walk of
 * the range and without an injected syscall per batch.  In THP regions
 * the faults of the copy allocate huge pages directly.
 */
#include "transfer_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "compat.h"
#include "testpoint.h"

#define COPY_BUF      (8u << 20)   /* bounce buffer: pvmmap's memory stays bounded */
#define BATCH_BYTES   (UINT64_C(64) << 20) /* per process_vm_readv: a signal
					      or progress is seen this often */
/* A pull of huge pages: one injected call per batch, and each costs a
 * ptrace round trip in which the frozen target waits for pvmmap to be
 * scheduled again (several ms on a loaded 2-CPU VM); 256 MiB is still
 * 30-60 ms of copying at the 5-10 GB/s measured here. */
#define BATCH_BYTES_HUGE (UINT64_C(256) << 20)
#define POPULATE_MIN  (UINT64_C(128) << 10) /* smaller runs fault in cheaper
					       than one injected syscall */

/* Whether the entry's pages are copied: all of them, or (file-cow) only
 * the ones the source changed. */
static bool copies(const struct plan_entry *e)
{
	return e->status == STATUS_OK && (e->method == METHOD_COPY || e->method == METHOD_FILE_COW);
}

/* Whether process_vm_readv run in the target can name the source: both in
 * pvmmap's pid namespace (then the pid is the same number there). */
static bool same_pidns(const struct xfer *x)
{
	struct stat self, s, t;

	if (stat("/proc/self/ns/pid", &self) < 0 ||
	    fstatat(inject_procfd(x->sp), "ns/pid", &s, 0) < 0 ||
	    fstatat(inject_procfd(x->tp), "ns/pid", &t, 0) < 0)
		return false;
	return self.st_ino == s.st_ino && self.st_dev == s.st_dev &&
	       self.st_ino == t.st_ino && self.st_dev == t.st_dev;
}

/* One iovec through the buffer with the engine's reads and writes, which
 * reach PROT_NONE pages too (/proc/PID/mem). */
static int bounce_one(struct xfer *x, uint64_t src, uint64_t dst, uint64_t left)
{
	while (left) {
		uint64_t len = left < x->buf_len ? left : x->buf_len;
		int r = inject_read(x->sp, src, x->buf, len);
		if (!r)
			r = inject_write(x->tp, dst, x->buf, len);
		if (r)
			return xfer_fail(x->st, r, "copying 0x%llx bytes from 0x%llx failed: %s",
					 (unsigned long long)len, (unsigned long long)src,
					 xfer_strerror(-r));
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

		while (j < b->n && local.iov_len + b->loc[j].iov_len <= x->buf_len)
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
		if (process_vm_readv(inject_pid(x->sp), &local, 1, &b->rem[i], j - i, 0) !=
			    (ssize_t)local.iov_len ||
		    process_vm_writev(inject_pid(x->tp), &local, 1, &b->loc[i], j - i, 0) !=
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
	int r = xfer_scratch_get(x);

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
	int r = inject_call(x->tp, ARCH_SYS_PROCESS_VM_READV, (uint64_t)inject_pid(x->sp), x->scratch,
			    b->n, x->scratch + half, b->n, 0, &ret);

	if (r)
		return r;
	/* Yama (1: only ancestors), an LSM, or a kernel without the call:
	 * the target may not read the source.  pvmmap does not widen that
	 * with PR_SET_PTRACER: the source's own exception cannot be read
	 * back, so it could not be restored exactly. */
	if (ret == -EPERM || ret == -EACCES || ret == -ENOSYS)
		return 0;
	if (ret < 0)
		return xfer_fail(x->st, (int)ret, "process_vm_readv in the target failed: %s",
				 xfer_strerror((int)-ret));
	if ((uint64_t)ret != b->bytes)
		return xfer_fail(x->st, -EIO, "process_vm_readv in the target copied %lld of %llu bytes",
				 (long long)ret, (unsigned long long)b->bytes);
	return 1;
}

/*
 * Populate the batch's destinations before a pull into 4 KiB pages: one
 * user fault per page in the target's process_vm_readv costs more than
 * copying it.  One process_madvise(MADV_POPULATE_WRITE)
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
		r = xfer_call_ok(x, x->tp, "madvise(MADV_POPULATE_WRITE)", d, ARCH_SYS_MADVISE, d,
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

void xfer_copy_close(struct xfer *x)
{
	if (x->self_pidfd >= 0)
		inject_journal_undo(x->tp, x->self_pidfd_id);
	x->self_pidfd = -1;
}

/* Huge pages: THP advised or already there, or hugetlb. */
static bool huge_pages(const struct vma *v)
{
	return v && ((v->vmflags & (VMF(HG) | VMF(HT))) || v->anon_huge);
}

static int flush(struct xfer *x)
{
	struct batch *b = &x->b;
	bool huge = huge_pages(b->e ? b->e->vma : NULL);
	int r;

	if (!b->n)
		return 0;
	/* process_vm_readv honours the source's protections: a PROT_NONE or
	 * write-only piece goes through /proc/PID/mem, which does not. */
	r = 0;
	if (x->mode != COPY_BOUNCE && (huge || x->forced) && b->e->vma &&
	    b->e->vma->perms[0] == 'r') {
		r = iov_write(x, b);
		/* Not for THP, where the copy's own faults allocate whole huge
		 * pages and populating first costs a pass. */
		if (!r && !huge)
			r = populate(x, b);
		if (!r)
			r = single(x, b);
		if (r == 0)
			x->mode = COPY_BOUNCE;
	}
	/* as large as the batch, up to COPY_BUF: a small copy's buffer
	 * comes from the heap, not from an mmap and munmap of 8 MiB under
	 * the source's freeze (~0.1 ms of a 4 KiB move's pause, issue 10) */
	if (r == 0 && (!x->buf || (x->buf_len < b->bytes && x->buf_len < COPY_BUF))) {
		free(x->buf);
		x->buf_len = b->bytes < COPY_BUF ? (b->bytes + x->page - 1) & ~(x->page - 1) : COPY_BUF;
		x->buf = malloc(x->buf_len);
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
	/* a batch is in: a test stops (or kills) pvmmap in the middle of
	 * the copy here, whatever the machine's speed and the region's size */
	testpoint_mark("copy");
	return xfer_boundary(x, "copy");
}

/* Queue [src, src+len) of the source for its destination; flush when full. */
static int queue(struct xfer *x, struct plan_entry *e, uint64_t src, uint64_t len, bool swapped)
{
	struct batch *b = &x->b;
	uint64_t max = x->mode != COPY_BOUNCE && huge_pages(e->vma) ? BATCH_BYTES_HUGE : BATCH_BYTES;

	while (len) {
		uint64_t n = len < max - b->bytes ? len : max - b->bytes;
		b->e = e;
		b->loc[b->n] = (struct iovec){ (void *)(uintptr_t)(e->dest_start + (src - e->start)), n };
		b->rem[b->n] = (struct iovec){ (void *)(uintptr_t)src, n };
		b->swapped[b->n] = swapped;
		b->n++;
		b->bytes += n;
		src += n;
		len -= n;
		if (b->n == IOV_BATCH || b->bytes == max) {
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
				r = xfer_call_ok(x, x->tp, "madvise(MADV_GUARD_INSTALL)", dg,
						 ARCH_SYS_MADVISE, dg, run.end - run.start,
						 MADV_GUARD_INSTALL, 0);
		} else {
			r = queue(x, e, run.start, run.end - run.start, run.what & PS_SWAPPED);
		}
		if (r)
			return r;
	}
	if (r < 0)
		return xfer_fail(x->st, r, "reading the source's page map failed: %s",
				 xfer_strerror(-r));
	return flush(x);
}

/* Whether a piece to copy has huge pages: else nothing is pulled (flush). */
static bool any_huge(const struct xfer *x)
{
	for (size_t i = 0; i < x->plan->n; i++)
		if (copies(&x->plan->e[i]) && huge_pages(x->plan->e[i].vma))
			return true;
	return false;
}

/* How the pages travel (see copy_mode in src/transfer_priv.h). */
static void choose_mode(struct xfer *x)
{
	const char *how = getenv("PVMMAP_COPY");

	x->forced = how && (strcmp(how, "bounce") == 0 || strcmp(how, "pull") == 0);
	x->mode = (how && strcmp(how, "bounce") == 0) || (!x->forced && !any_huge(x)) ||
		  !same_pidns(x) ? COPY_BOUNCE : COPY_PULL;
	/* the bounce path needs no scratch: 4 KiB pages alone make none
	 * (two injected calls under the freeze, ~0.2 ms: issue 10) */
	if (x->mode != COPY_BOUNCE && xfer_scratch_get(x))
		x->mode = COPY_BOUNCE;
}

void xfer_copy_open(struct xfer *x)
{
	choose_mode(x);
}

int xfer_copy_run(struct xfer *x, struct plan_entry *e, uint64_t start, uint64_t end, bool swapped)
{
	/* a batch counts its bytes to one entry */
	if (x->b.n && x->b.e != e) {
		int r = flush(x);
		if (r)
			return r;
	}
	return queue(x, e, start, end - start, swapped);
}

int xfer_copy_finish(struct xfer *x)
{
	int r = flush(x);

	free(x->buf);
	x->buf = NULL;
	return r;
}

int xfer_copy_all(struct xfer *x)
{
	bool any = false;
	int r;

	/* progress: what the plan counted (hugetlb pages are not in Rss) */
	x->total = 0;
	for (size_t i = 0; i < x->plan->n; i++) {
		const struct plan_entry *e = &x->plan->e[i];
		if (!copies(e) || (x->skip_live && e->live))
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
	choose_mode(x);
	r = pagescan_open(inject_procfd(x->sp), x->page, &x->ps);
	if (r)
		return xfer_fail(x->st, r, "cannot open the source's page map: %s", xfer_strerror(-r));
	for (size_t i = 0; i < x->plan->n && !r; i++) {
		struct plan_entry *e = &x->plan->e[i];
		if (copies(e) && !(x->skip_live && e->live)) {
			/* file-cow: the pages the source changed are its private
			 * anonymous ones; the rest is the file's page cache,
			 * which the target's mapping already sees */
			pagescan_set_anon_only(&x->ps, e->method == METHOD_FILE_COW);
			r = copy_piece(x, e);
		}
	}
	pagescan_close(&x->ps);
	free(x->buf);
	x->buf = NULL;
	return r;
}
