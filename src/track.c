/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Write tracking with an async write-protect userfaultfd and PAGEMAP_SCAN
 * (see track.h for the contract; the facts are docs/kernel-facts.md's
 * "Write tracking for live transfers", probed by tests/probes/).
 */
#include "track.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "compat.h"
#include "testpoint.h"

/* Regions one PAGEMAP_SCAN call returns at most (12 KiB on the heap). */
#define TRACK_VEC 512

#define WP_FEATURES (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED)

struct track {
	int uffd;               /* pvmmap's; its mm is the source's */
	int pmfd;               /* the source's pagemap: pinned to its mm at open */
	bool lost;              /* see -ESTALE in track.h */
	uint64_t page;
	size_t n;
	struct track_range *r;
	size_t registered;      /* ranges registered so far */
	struct page_region *vec;
};

/* ---- the probe ------------------------------------------------------------ */

/* The cached probe (0: not probed yet). */
enum { PROBE_NO = 1, PROBE_YES, PROBE_YES_GUARD };
static int probe_state;
static const char *probe_why;

/*
 * In pvmmap itself, which runs on the same kernel as every source:
 * userfaultfd() exists (4.3; UFFD_USER_MODE_ONLY 5.11, EINVAL before),
 * UFFDIO_API grants WP_ASYNC (6.7; an unknown feature is EINVAL before),
 * and PAGEMAP_SCAN takes the wp flags (6.7; ENOTTY before).  An empty
 * range at 0 checks the ioctl's arguments and walks nothing.  The GUARD
 * category is 6.15 (EINVAL before): only track_absent asks for it.
 */
static int probe(const char **why)
{
	const char *no = getenv("PVMMAP_NO_TRACK");
	struct uffdio_api api = { .api = UFFD_API, .features = WP_FEATURES };
	struct pm_scan_arg a;
	int fd, pm, r = PROBE_NO;

	if (no && *no && strcmp(no, "0") != 0) {
		*why = "write tracking is turned off (PVMMAP_NO_TRACK)";
		return PROBE_NO;
	}
	fd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (fd < 0) {
		*why = errno == ENOSYS ? "the kernel has no userfaultfd (CONFIG_USERFAULTFD)"
		       : errno == EINVAL ? "the kernel lacks UFFD_USER_MODE_ONLY (Linux 5.11)"
		       : "userfaultfd() is refused to pvmmap (seccomp or LSM)";
		return PROBE_NO;
	}
	if (ioctl(fd, UFFDIO_API, &api) != 0 || (api.features & WP_FEATURES) != WP_FEATURES) {
		*why = "the kernel lacks asynchronous userfaultfd write-protection "
		       "(UFFD_FEATURE_WP_ASYNC, Linux 6.7)";
		close(fd);
		return PROBE_NO;
	}
	close(fd);
	pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pm < 0) {
		*why = "/proc/self/pagemap cannot be opened";
		return PROBE_NO;
	}
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
	a.category_mask = PAGE_IS_WRITTEN | PAGE_IS_PRESENT;
	a.return_mask = PAGE_IS_WRITTEN | PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_GUARD;
	if (ioctl(pm, PAGEMAP_SCAN, &a) == 0) {
		r = PROBE_YES_GUARD;
	} else if (errno == EINVAL) {
		a.return_mask &= ~(uint64_t)PAGE_IS_GUARD;
		if (ioctl(pm, PAGEMAP_SCAN, &a) == 0)
			r = PROBE_YES;
	}
	close(pm);
	if (r == PROBE_NO)
		*why = "the kernel lacks PAGEMAP_SCAN with write-protection (Linux 6.7)";
	return r;
}

static int probed(void)
{
	int s = __atomic_load_n(&probe_state, __ATOMIC_ACQUIRE);

	if (!s) {
		/* Racing first callers compute the same answer. */
		const char *why = NULL;

		s = probe(&why);
		__atomic_store_n(&probe_why, why, __ATOMIC_RELAXED);
		__atomic_store_n(&probe_state, s, __ATOMIC_RELEASE);
	}
	return s;
}

int track_probe(const char **why)
{
	if (probed() >= PROBE_YES)
		return 0;
	if (why)
		*why = __atomic_load_n(&probe_why, __ATOMIC_RELAXED);
	return -EOPNOTSUPP;
}

void track_reset_probe(void)
{
	__atomic_store_n(&probe_state, 0, __ATOMIC_RELEASE);
}

/* ---- scanning ---------------------------------------------------------------- */

/*
 * One range's walk, in as many PAGEMAP_SCAN calls as it takes.  A call
 * ends early when the vector fills or max_pages is reached; the next one
 * starts at the end of the last region returned, never at walk_end (which
 * 6.18 can leave stale: docs/kernel-facts.md, "Finding pages").  What lies
 * between is walked again: with a reset it was not re-protected, so it
 * is still reported if written, and a page reported once is protected and
 * reported again only if written again.
 */
static int walk(struct track *t, struct pm_scan_arg *a, uint64_t start, uint64_t end,
		track_fn fn, void *arg, enum track_what (*what)(uint64_t), uint64_t *pages)
{
	uint64_t cur = start;

	while (cur < end) {
		uint64_t got = 0;
		long n;
		int r;

		a->start = cur;
		a->end = end;
		a->vec = (uint64_t)(uintptr_t)t->vec;
		a->vec_len = TRACK_VEC;
		n = ioctl(t->pmfd, PAGEMAP_SCAN, a);
		if (n < 0)
			/* CHECK_WPASYNC: a VMA of the range is not registered
			 * (any more) in async mode */
			return errno == EPERM ? -ESTALE : -errno;
		if (n > TRACK_VEC)
			return -EIO;
		for (long i = 0; i < n; i++) {
			const struct page_region *v = &t->vec[i];

			if (v->start < cur || v->end > end || v->end <= v->start)
				return -EIO;   /* cannot happen */
			got += (v->end - v->start) / t->page;
			r = fn(v->start, v->end, what(v->categories), arg);
			if (r)
				return r;
		}
		if (pages)
			*pages += got;
		if (n < TRACK_VEC && (!a->max_pages || got < a->max_pages))
			break;         /* the walk reached end */
		cur = t->vec[n - 1].end;
	}
	return 0;
}

static enum track_what what_written(uint64_t categories)
{
	(void)categories;
	return TRACK_WRITTEN;
}

static enum track_what what_absent(uint64_t categories)
{
	if (categories & PAGE_IS_GUARD)
		return TRACK_GUARD;     /* guard pages are SWAPPED too */
	return categories & PAGE_IS_SWAPPED ? TRACK_SWAPPED : TRACK_HOLE;
}

/* Holes count as WRITTEN too (they carry no uffd-wp bit): PRESENT keeps
 * them out, and a reset never installs a marker in one.  CHECK_WPASYNC
 * also on a plain look (6.18 takes it without WP_MATCHING): a VMA that is
 * not ours any more would otherwise read as all written, and quietly. */
static void scan_args(struct pm_scan_arg *a, unsigned flags, uint64_t max_pages)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->flags = PM_SCAN_CHECK_WPASYNC | (flags & TRACK_RESET ? PM_SCAN_WP_MATCHING : 0);
	a->category_mask = PAGE_IS_WRITTEN | PAGE_IS_PRESENT;
	a->return_mask = PAGE_IS_WRITTEN | PAGE_IS_PRESENT;
	a->max_pages = max_pages;
}

static int ignore(uint64_t start, uint64_t end, enum track_what what, void *arg)
{
	(void)start;
	(void)end;
	(void)what;
	(void)arg;
	return 0;
}

int track_scan(struct track *t, unsigned flags, uint64_t max_pages, track_fn fn, void *arg,
	       uint64_t *pages)
{
	struct pm_scan_arg a;
	int r = 0;

	if (pages)
		*pages = 0;
	if (!t || (flags & ~(unsigned)TRACK_RESET))
		return -EINVAL;
	if (t->lost)
		return -ESTALE;
	if (!fn)
		fn = ignore;
	scan_args(&a, flags, max_pages);
	for (size_t i = 0; i < t->n && !r; i++)
		r = walk(t, &a, t->r[i].start, t->r[i].end, fn, arg, what_written, pages);
	if (r == -ESTALE || (r && (flags & TRACK_RESET)))
		t->lost = true;
	return r;
}

int track_absent(struct track *t, uint64_t start, uint64_t end, track_fn fn, void *arg)
{
	struct pm_scan_arg a;
	int r;

	if (!t || !fn || start % t->page || end % t->page || end < start)
		return -EINVAL;
	if (t->lost)
		return -ESTALE;
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.flags = PM_SCAN_CHECK_WPASYNC;
	a.category_inverted = PAGE_IS_PRESENT;
	a.category_mask = PAGE_IS_PRESENT;
	a.return_mask = PAGE_IS_SWAPPED | (probed() == PROBE_YES_GUARD ? PAGE_IS_GUARD : 0);
	r = walk(t, &a, start, end, fn, arg, what_absent, NULL);
	if (r == -ESTALE)
		t->lost = true;
	return r;
}

/* ---- start and stop -------------------------------------------------------- */

/* Unregister the first t->registered ranges in chunks: 0 or the first error. */
static int unregister_all(struct track *t)
{
	int err = 0;

	for (size_t i = 0; i < t->registered; i++) {
		for (uint64_t at = t->r[i].start; at < t->r[i].end; at += TRACK_UNREG_CHUNK) {
			uint64_t len = t->r[i].end - at;
			struct uffdio_range u = { .start = at };

			u.len = len < TRACK_UNREG_CHUNK ? len : TRACK_UNREG_CHUNK;
			if (ioctl(t->uffd, UFFDIO_UNREGISTER, &u) != 0 && !err)
				err = -errno;
			testpoint();
		}
	}
	t->registered = 0;
	return err;
}

static void track_free(struct track *t)
{
	if (t->uffd >= 0)
		close(t->uffd);
	if (t->pmfd >= 0)
		close(t->pmfd);
	free(t->vec);
	free(t->r);
	free(t);
}

void track_gone(struct track *t, uint64_t start, uint64_t end)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->registered; i++) {
		struct track_range *r = &t->r[i];
		if (start <= r->start && r->start < end)
			r->start = end < r->end ? end : r->end;         /* its head */
		else if (start < r->end && r->end <= end)
			r->end = start;                                 /* its tail */
	}
}

int track_stop(struct track *t)
{
	int err;

	if (!t)
		return 0;
	err = unregister_all(t);
	track_free(t);
	return err;
}

static bool ranges_ok(const struct track_range *r, size_t n)
{
	uint64_t pg = (uint64_t)getpagesize(), prev = 0;

	if (!r || !n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (r[i].start % pg || r[i].end % pg || r[i].end <= r[i].start ||
		    r[i].start < prev)
			return false;
		prev = r[i].end;
	}
	return true;
}

/*
 * The uffd, made in @p and taken into pvmmap.  The descriptor in @p is in
 * the journal from the syscall that makes it to the close, so a pvmmap
 * that dies in between leaves none; after the close, nothing of it is in
 * @p, and nothing is registered yet.
 */
static int take_uffd(struct inject_proc *p, int *out)
{
	const struct inject_undo undo = { .sys = ARCH_SYS_CLOSE, .flags = INJECT_UNDO_RESULT };
	int64_t ret = -1;
	int id = -1, local, rc, rc2;

	rc = inject_call_undo(p, ARCH_SYS_USERFAULTFD,
			      (uint64_t[6]){ O_CLOEXEC | UFFD_USER_MODE_ONLY }, &undo, -1, &ret,
			      &id);
	if (rc < 0)
		return rc;
	if (ret < 0)
		return (int)ret;
	local = inject_getfd(p, (int)ret);
	rc2 = inject_journal_undo(p, id);
	if (local < 0)
		return local;
	if (rc2 < 0) {
		close(local);
		return rc2;
	}
	*out = local;
	return 0;
}

int track_start(struct inject_proc *p, const struct track_range *r, size_t n, unsigned flags,
		struct track **out)
{
	struct uffdio_api api = { .api = UFFD_API, .features = WP_FEATURES };
	struct track *t;
	int rc;

	*out = NULL;
	if (!p || !ranges_ok(r, n) || (flags & ~(unsigned)TRACK_START_NO_ARM))
		return -EINVAL;
	rc = track_probe(NULL);
	if (rc < 0)
		return rc;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->uffd = t->pmfd = -1;
	t->page = (uint64_t)getpagesize();
	t->n = n;
	t->r = malloc(n * sizeof(*r));
	t->vec = malloc(TRACK_VEC * sizeof(*t->vec));
	if (!t->r || !t->vec) {
		rc = -ENOMEM;
		goto fail;
	}
	memcpy(t->r, r, n * sizeof(*r));
	/* Opened through the pinned /proc/PID: the pagemap is bound to that
	 * process's mm at open, whatever the pid means later. */
	t->pmfd = openat(inject_procfd(p), "pagemap", O_RDONLY | O_CLOEXEC);
	if (t->pmfd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = take_uffd(p, &t->uffd);
	if (rc < 0)
		goto fail;
	/* The API handshake is the uffd's, not the caller's mm's: pvmmap's copy
	 * does it for the source.  WP_UNPOPULATED comes with WP_ASYNC anyway
	 * (6.18: granted although not asked). */
	if (ioctl(t->uffd, UFFDIO_API, &api) != 0) {
		rc = errno == EINVAL ? -EOPNOTSUPP : -errno;
		goto fail;
	}
	if ((api.features & WP_FEATURES) != WP_FEATURES) {
		rc = -EOPNOTSUPP;
		goto fail;
	}
	for (; t->registered < n; t->registered++) {
		struct uffdio_register reg = {
			.range = { .start = r[t->registered].start,
				   .len = r[t->registered].end - r[t->registered].start },
			.mode = UFFDIO_REGISTER_MODE_WP,
		};

		if (ioctl(t->uffd, UFFDIO_REGISTER, &reg) != 0) {
			rc = -errno;
			goto fail;
		}
		/* the source's VMAs changed (split, uw): a death here must
		 * leave it whole too */
		testpoint();
	}
	if (!(flags & TRACK_START_NO_ARM)) {
		rc = track_scan(t, TRACK_RESET, 0, NULL, NULL, NULL);
		if (rc < 0)
			goto fail;
		testpoint();
	}
	*out = t;
	return 0;

fail:
	/* Unregistering first keeps the close from stalling the source on a
	 * large range; errors of the undoing cannot be helped (the close
	 * releases whatever is left). */
	unregister_all(t);
	track_free(t);
	return rc;
}
