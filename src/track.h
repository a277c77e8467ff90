/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Write tracking: which pages of a live process's ranges it wrote since
 * pvmmap last looked, for live transfers (issue 10: copy while the source
 * runs, then freeze it once and copy again only what it wrote meanwhile).
 *
 * The mechanism (docs/kernel-facts.md, "Write tracking for live
 * transfers", probed on 6.18):
 *  - a userfaultfd in write-protect async mode (UFFD_FEATURE_WP_ASYNC,
 *    6.7): a write to a protected page only clears its uffd-wp bit, with
 *    no fault message and nobody waiting on one; every writer is caught
 *    (the process's threads, the kernel for its syscalls, another process's
 *    process_vm_writev);
 *  - PAGEMAP_SCAN (6.7) with PM_SCAN_WP_MATCHING reads the written pages
 *    and protects them again in one call.
 * A uffd always belongs to the mm of the process that called userfaultfd(),
 * so it is made inside the source by an injected syscall, taken into
 * pvmmap with pidfd_getfd, and the source's copy is closed again, all
 * while the caller holds the source.  Only then are the ranges registered.
 * So the registration hangs on pvmmap's descriptor alone:
 *  - the source never sees it: no descriptor of its own, no message, no
 *    signal;
 *  - when pvmmap dies at any instant the kernel closes the descriptor
 *    and drops the registration and every protection with it (probed:
 *    the VmFlags lose `uw`, the split VMAs merge back, the process writes
 *    on).  That costs the source one stall of its mmap lock (1 GiB
 *    protected: 140-250 ms here), never harm.  Before the close in the
 *    source, the descriptor there is in the engine's journal like any
 *    other the engine makes: the rescue code closes it.
 *
 * What the tracking does to the source while it lasts: the first write to
 * each protected page costs it a fault (17-32 us here); a write to a
 * protected THP splits it; registering part of a VMA splits the VMA (+2
 * VMAs, against vm.max_map_count; they merge back at the release).
 *
 * What it cannot see (the caller's duty, see track_absent): a page the
 * source drops (MADV_DONTNEED of private anon leaves a hole that reads 0;
 * of a COWed file page, a marker that reads the file's byte) is not
 * reported as written, although its content changed.
 *
 * Everything but track_start works on pvmmap's own descriptors: the source
 * need not be held, and runs on meanwhile.  Every function returns 0 or
 * -errno (track_scan and track_absent: see there).  One struct track is
 * for one thread of the caller at a time.
 */
#ifndef PVMMAP_TRACK_H
#define PVMMAP_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "inject.h"

struct track;

/* A range to track: page aligned, [start, end). */
struct track_range {
	uint64_t start, end;
};

/* What a run of pages reported to a track_fn is. */
enum track_what {
	TRACK_WRITTEN = 1, /* present, and written since the last reset */
	TRACK_HOLE,        /* not present, not swapped: reads as zeros (private anon) */
	TRACK_SWAPPED,     /* its content is elsewhere (swap, or a uffd-wp marker
			      over a file's page): read it again */
	TRACK_GUARD,       /* a guard region (6.13; told apart from 6.15) */
};

/* A run [start, end) of pages of one kind; 0 to go on, else the scan stops
 * and returns that value. */
typedef int (*track_fn)(uint64_t start, uint64_t end, enum track_what what, void *arg);

/*
 * Whether this kernel can track writes: 0, or -EOPNOTSUPP with *why (when
 * @why is not NULL; a static string for the report's note) saying what is
 * missing.  Probed once per process run in pvmmap itself (the kernel is
 * the same for every process) and cached.  PVMMAP_NO_TRACK=1 in the
 * environment makes it -EOPNOTSUPP (tests force the fallback with it).
 */
int track_probe(const char **why);

/* Tests only: forget the cached probe. */
void track_reset_probe(void);

/* track_start flags */
enum {
	/* Do not arm before returning: every page then counts as written
	 * until the first track_scan(TRACK_RESET), which arms.  For a caller
	 * that arms after it let the source go: arming costs a reset scan
	 * (1 GiB dense: 23-87 ms here), a pause if the source is held. */
	TRACK_START_NO_ARM = 1u << 0,
};

/*
 * Start tracking the @n ranges @r (sorted, not overlapping) of @p, a
 * process the caller holds (inject_seize).  In order: userfaultfd(
 * O_CLOEXEC | UFFD_USER_MODE_ONLY) injected into @p (journaled), taken
 * with pidfd_getfd, closed in @p (out of the journal); UFFDIO_API with
 * UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED;
 * UFFDIO_REGISTER_MODE_WP of each range; and (without TRACK_START_NO_ARM)
 * the arming: a reset scan of the present pages.  Holes are never armed:
 * protecting them would install a marker in each (16 GiB with 16 MiB
 * touched: 32 MiB more page tables, 135 ms); a hole the source fills
 * later gets a PTE without the uffd-wp bit, so it is reported all the same.
 * UFFD_USER_MODE_ONLY: without it an unprivileged source gets EPERM when
 * vm.unprivileged_userfaultfd is 0, and async mode loses nothing by it.
 *
 * The descriptor takes one entry of @p's journal for a moment (room for
 * it: inject_journal_reserve).  After that, until track_stop, @p may be
 * let go (inject_detach): the tracking does not need it held.  On failure
 * nothing is left: no descriptor in @p, no registration.
 *
 * What is worth tracking is the caller's choice; the facts it rests on:
 * private anonymous memory is what this is for.  Shared kinds (memfd,
 * shmem, SysV, MAP_SHARED files) change without this mm's page tables
 * (other processes, write(2)): nothing here would see it.  hugetlb is
 * tracked per huge page, but a read fault into a hole counts as a write
 * and a dropped page leaves a marker, unreported.  A COWed page of a
 * private file mapping that the source drops reads the file again and is
 * reported by track_absent only (TRACK_SWAPPED).
 * Errors:
 *  -EOPNOTSUPP  the kernel lacks the features (track_probe says which)
 *  -EBUSY       a range is registered with another userfaultfd already
 *               (VmFlags um, uw or ui: vma_uffd_registered)
 *  -EPERM       a range holds a mapping that can never be written
 *               (no VM_MAYWRITE: a shared mapping of a read-only file)
 *  -ENOMEM      also: splitting the VMAs would pass vm.max_map_count
 *  -EINVAL      a range is not page aligned, empty, out of order, or holds
 *               no mapping at all (gaps inside a range are skipped: probed,
 *               6.18); or a mapping the kernel cannot track (VM_PFNMAP...)
 *  -EMFILE      @p's or pvmmap's descriptor table is full
 *  -EPERM       also: userfaultfd() refused inside @p by an LSM (a
 *               seccomp filter of @p gives -EACCES first, see below)
 *  else an error of inject_call (-ESRCH, -ETIMEDOUT, -EACCES: a seccomp
 *  filter of @p; seize with INJECT_SUSPEND_SECCOMP) or of the syscalls.
 */
int track_start(struct inject_proc *p, const struct track_range *r, size_t n, unsigned flags,
		struct track **out);

/* track_scan flags */
enum {
	/* Protect the pages reported again, in the same call: a write after
	 * it is reported by the next scan.  Without it the scan only looks
	 * (5-90x cheaper: the final round, under the freeze, needs no reset). */
	TRACK_RESET = 1u << 0,
};

/*
 * Report every run of pages of the tracked ranges written since the last
 * reset (TRACK_WRITTEN; present pages only: holes are never written), to
 * @fn, in address order.  @fn sees the runs of each PAGEMAP_SCAN call
 * before the next call is made; @max_pages bounds the pages one call
 * reports (and, with TRACK_RESET, re-protects): 0 for no bound but the
 * buffer's regions.  Pages the source unmapped are simply not reported
 * (the caller's re-read facts under the freeze tell).  With TRACK_RESET, copy a page after
 * @fn reported it, never before: what the source writes after the reset is
 * the next scan's.  *pages (if not NULL): the pages reported.
 * Returns 0, what @fn returned when not 0, or -errno:
 *  -ESTALE  the tracking is lost: part of a range is no longer registered
 *           (the source remapped it, or mapped something new there), or an
 *           earlier reset scan failed or stopped half way (pages it
 *           re-protected may not have been reported).  Every later scan
 *           says so too: copy everything again, frozen.
 * A stop by @fn with TRACK_RESET also loses the tracking (-ESTALE later):
 * the pages that call re-protected but @fn did not see are gone.
 */
int track_scan(struct track *t, unsigned flags, uint64_t max_pages, track_fn fn, void *arg,
	       uint64_t *pages);

/*
 * Report the pages of [@start, @end) (page aligned) that are not present
 * (TRACK_HOLE, TRACK_SWAPPED, TRACK_GUARD), in address order, without
 * changing anything.  For the final freeze: a page copied earlier and
 * absent now was dropped by the source, and no write reported it.  A hole
 * must be dropped in the target too (private anon reads zeros); a swapped
 * one read again (a uffd-wp marker over a COWed file page looks like a
 * swap entry, and reads the file's byte now; a real swap entry is
 * unchanged, but cannot be told apart).  Pass only what was copied: a
 * never-touched hole is reported as well.  Parts of the range outside every
 * mapping are skipped.  Returns as track_scan.
 */
int track_absent(struct track *t, uint64_t start, uint64_t end, track_fn fn, void *arg);

/*
 * Stop tracking and free @t (NULL is fine).  Unregisters in chunks of
 * TRACK_UNREG_CHUNK, each under the source's mmap lock for a short while:
 * the close alone would clear every protection in one hold of the lock
 * (1 GiB protected: 140-250 ms of stalled faults and mmaps in the source),
 * in chunks the close takes 0.1 ms.  Then closes the descriptors.  The
 * source need not be held.  Always releases everything (what an unregister
 * could not undo, the close does); returns 0 or the first error met.
 * A range the source remapped meanwhile is skipped by the kernel (a gap
 * unregisters with 0), and one registered since with another userfaultfd
 * (the source's own) is refused with EINVAL and left alone (6.18,
 * tests/probes/unreg.c): a stop never undoes what is not ours.
 */
int track_stop(struct track *t);

/*
 * The source unmapped [@start, @end) (a move's commit): what of the
 * tracked ranges is inside it is gone, and track_stop leaves it alone
 * (a range's head or tail, or all of it: call in address order).  An
 * unregister there could only fail (EINVAL, one a chunk: 128 calls for
 * 1 GiB after the resume), or meet what the source mapped and registered
 * there since, which is not pvmmap's.
 */
void track_gone(struct track *t, uint64_t start, uint64_t end);

/* Bytes one UFFDIO_UNREGISTER releases at most (docs/kernel-facts.md:
 * 64 MiB chunks cost 10-27 ms each, so about 8 MiB is 1-4 ms). */
#define TRACK_UNREG_CHUNK (UINT64_C(8) << 20)

#endif
