/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which pages of a range hold data: PAGEMAP_SCAN (6.7) when the kernel has
 * it, else /proc/PID/pagemap read in bounded chunks.
 *
 * Both ways fill one buffer with what they learnt about [lo, hi) ("pieces":
 * a PAGEMAP_SCAN region, or a stretch of equal pagemap entries), and
 * pagescan_next() joins pieces that touch into maximal runs, across buffer
 * refills.  Pagemap chunks cut runs at every chunk end.  PAGEMAP_SCAN was not
 * seen to cut one (6.18 grows the last region even when its 512-region
 * bounce buffer is full), but its contract does not promise that, so its
 * regions are joined the same way.
 */
#include "pagescan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "compat.h"

/* Classic pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAPPED (UINT64_C(1) << 62) /* also set for guard pages: they are pte markers */
#define PM_GUARD   (UINT64_C(1) << 58) /* 6.15 */
#define PM_FILE    (UINT64_C(1) << 61) /* a page-cache or shared-anon page */

/* The cached probe (0: not probed yet). */
enum { PROBE_NONE = 1, PROBE_SCAN, PROBE_SCAN_GUARD };
static int probe_state;

/*
 * PAGEMAP_SCAN asks in one ioctl for pages matching a filter.  A page is
 * taken when it is present, swapped or a guard (any of), and not the zero
 * page (PFNZERO inverted, then required).  We do not filter on WRITTEN:
 * that category means "not userfaultfd write-protected" and holes carry it
 * too.  The return mask keeps regions apart wherever the kind of page
 * changes, and only there (the kernel joins neighbours with equal masked
 * categories).  GUARD exists from 6.15: older kernels reject the bit with
 * EINVAL, and there guard pages show up as SWAPPED.
 */
static void scan_args(struct pm_scan_arg *a, bool guard, bool anon_only)
{
	uint64_t kinds = PAGE_IS_PRESENT | PAGE_IS_SWAPPED | (guard ? PAGE_IS_GUARD : 0);
	/* anon_only: not a page-cache page either (a swap entry never is) */
	uint64_t not = PAGE_IS_PFNZERO | (anon_only ? PAGE_IS_FILE : 0);

	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->category_inverted = not;
	a->category_mask = not;
	a->category_anyof_mask = kinds;
	a->return_mask = kinds;
}

/*
 * An empty range at 0 checks the ioctl and its masks and walks nothing:
 * ENOTTY before 6.7, EINVAL for the guard bit before 6.15.  The running
 * kernel is the same for every process, so /proc/self answers for all.
 */
static int probe(void)
{
	const char *no = getenv("PVMMAP_NO_PAGEMAP_SCAN");
	struct pm_scan_arg a;
	int fd, r = PROBE_NONE;

	if (no && *no && strcmp(no, "0") != 0)
		return PROBE_NONE;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PROBE_NONE;
	scan_args(&a, true, false);
	if (ioctl(fd, PAGEMAP_SCAN, &a) == 0) {
		r = PROBE_SCAN_GUARD;
	} else if (errno == EINVAL) {
		scan_args(&a, false, false);
		if (ioctl(fd, PAGEMAP_SCAN, &a) == 0)
			r = PROBE_SCAN;
	}
	close(fd);
	return r;
}

static int probed(void)
{
	int s = __atomic_load_n(&probe_state, __ATOMIC_RELAXED);

	if (!s) {
		/* Racing first callers compute the same answer. */
		s = probe();
		__atomic_store_n(&probe_state, s, __ATOMIC_RELAXED);
	}
	return s;
}

bool pagescan_have_scan(void)
{
	return probed() >= PROBE_SCAN;
}

void pagescan_reset_probe(void)
{
	__atomic_store_n(&probe_state, 0, __ATOMIC_RELAXED);
}

int pagescan_open(int procfd, uint64_t page_size, struct pagescan *ps)
{
	int r;

	memset(ps, 0, sizeof(*ps));
	ps->pmfd = -1;
	ps->page = page_size;
	if (!page_size || (page_size & (page_size - 1)))
		return -EINVAL;
	ps->buf = malloc(PAGESCAN_BUF_BYTES);
	if (!ps->buf)
		return -ENOMEM;
	ps->pmfd = openat(procfd, "pagemap", O_RDONLY | O_CLOEXEC);
	if (ps->pmfd < 0) {
		r = -errno;
		pagescan_close(ps);
		return r;
	}
	ps->scan = pagescan_have_scan();
	ps->guard = ps->scan && probed() == PROBE_SCAN_GUARD;
	ps->cap = PAGESCAN_BUF_BYTES / (ps->scan ? sizeof(struct page_region) : sizeof(uint64_t));
	return 0;
}

void pagescan_set_anon_only(struct pagescan *ps, bool anon_only)
{
	if (ps->anon_only == anon_only)
		return;
	ps->anon_only = anon_only;
	ps->lo = ps->hi = 0;    /* what was read answered another question */
	ps->n = ps->pos = 0;
}

void pagescan_close(struct pagescan *ps)
{
	if (ps->pmfd >= 0)
		close(ps->pmfd);
	ps->pmfd = -1;
	free(ps->buf);
	ps->buf = NULL;
	ps->n = ps->pos = 0;
	ps->lo = ps->hi = 0;
}

static int pm_fill(struct pagescan *ps, uint64_t from, uint64_t end);

/* ---- PAGEMAP_SCAN --------------------------------------------------------- */

static int scan_fill(struct pagescan *ps, uint64_t from, uint64_t end)
{
	struct page_region *v = ps->buf;
	struct pm_scan_arg a;
	uint64_t hi = end;
	long n;

	scan_args(&a, ps->guard, ps->anon_only);
	a.start = from;
	a.end = end;
	a.vec = (uint64_t)(uintptr_t)v;
	a.vec_len = ps->cap;
	n = ioctl(ps->pmfd, PAGEMAP_SCAN, &a);
	if (n < 0 && errno == EFAULT)
		/*
		 * Our vector is valid, so the range reaches above the user
		 * address space (the [vsyscall] page): PAGEMAP_SCAN refuses the
		 * whole range, the pagemap file answers below the top and ends
		 * there.
		 */
		return pm_fill(ps, from, end);
	if (n < 0)
		return -errno;
	if ((uint64_t)n > ps->cap)
		return -EIO;
	/*
	 * Fewer regions than the vector holds: the walk reached end.  A full
	 * vector: it stopped at walk_end, where the region that did not fit
	 * begins, and [from, walk_end) is all known.  But walk_end is only
	 * written when a walk stops early: when one ioctl walked in several
	 * rounds (its bounce buffer holds 512 regions) and the last round
	 * ended normally, walk_end still names where an earlier round stopped
	 * (seen on 6.18, also with exactly vec_len regions returned).  So it is
	 * believed only for a full vector, and never short of the last region
	 * returned.  Nothing is ever read again from walk_end itself: the next
	 * refill starts at the caller's cursor, past every run reported, so a
	 * wrong walk_end costs an ioctl, never a page reported twice.
	 */
	if ((uint64_t)n == ps->cap) {
		hi = a.walk_end;
		if (n > 0 && v[n - 1].end > hi)
			hi = v[n - 1].end;
		if (hi > end)
			hi = end;
		if (hi <= from)
			return -EIO; /* no progress: never loop */
	}
	ps->lo = from;
	ps->hi = hi;
	ps->n = (size_t)n;
	ps->pos = 0;
	ps->regions = true;
	return 0;
}

static unsigned scan_what(uint64_t categories)
{
	if (categories & PAGE_IS_GUARD)
		return PS_GUARD; /* guard pages are SWAPPED too */
	if (categories & PAGE_IS_PRESENT)
		return PS_DATA;
	return PS_DATA | PS_SWAPPED;
}

/* The first buffered piece ending after from, clipped to [from, end); 0 if none. */
static int scan_piece(struct pagescan *ps, uint64_t from, uint64_t end, struct ps_run *out)
{
	const struct page_region *v = ps->buf;

	if (ps->pos > 0 && ps->pos <= ps->n && v[ps->pos - 1].end > from)
		ps->pos = 0; /* the cursor went back */
	while (ps->pos < ps->n && v[ps->pos].end <= from)
		ps->pos++;
	if (ps->pos >= ps->n)
		return 0;
	v += ps->pos;
	out->start = v->start > from ? v->start : from;
	out->end = v->end < end ? v->end : end;
	out->what = scan_what(v->categories);
	return out->start < out->end;
}

/* ---- /proc/PID/pagemap ----------------------------------------------------- */

static int pm_fill(struct pagescan *ps, uint64_t from, uint64_t end)
{
	uint64_t n = (end - from) / ps->page;
	ssize_t got;

	if (n > PAGESCAN_BUF_BYTES / sizeof(uint64_t))
		n = PAGESCAN_BUF_BYTES / sizeof(uint64_t);
	got = pread(ps->pmfd, ps->buf, n * sizeof(uint64_t),
		    (off_t)(from / ps->page * sizeof(uint64_t)));
	if (got < 0)
		return -errno;
	if (got % sizeof(uint64_t))
		return -EIO;
	ps->lo = from;
	ps->n = (size_t)got / sizeof(uint64_t);
	/* End of file: past the top of the address space, where no page can be. */
	ps->hi = got ? from + ps->n * ps->page : end;
	ps->pos = 0;
	ps->regions = false;
	return 0;
}

/*
 * Without PFNs (CAP_SYS_ADMIN) the zero page looks like any present page, so
 * it counts as data here.  Guard pages carry PM_SWAPPED as well; PM_GUARD
 * tells them apart from 6.15 (before, they count as swapped data).
 */
static unsigned pm_what(uint64_t e, bool anon_only)
{
	if (e & PM_GUARD)
		return PS_GUARD;
	if (anon_only && (e & PM_FILE))
		return 0;
	if (e & PM_PRESENT)
		return PS_DATA;
	if (e & PM_SWAPPED)
		return PS_DATA | PS_SWAPPED;
	return 0;
}

static int pm_piece(struct pagescan *ps, uint64_t from, uint64_t end, struct ps_run *out)
{
	const uint64_t *pm = ps->buf;
	size_t i = (size_t)((from - ps->lo) / ps->page), j;
	size_t lim = ps->n;
	unsigned w = 0;

	if ((end - ps->lo) / ps->page < lim)
		lim = (size_t)((end - ps->lo) / ps->page);
	while (i < lim && !(w = pm_what(pm[i], ps->anon_only)))
		i++;
	if (i >= lim)
		return 0;
	for (j = i + 1; j < lim && pm_what(pm[j], ps->anon_only) == w; j++)
		;
	out->start = ps->lo + i * ps->page;
	out->end = ps->lo + j * ps->page;
	out->what = w;
	return 1;
}

/* ---- both ------------------------------------------------------------------ */

/* The first piece at or after from, clipped to [from, end): 1, 0 or -errno. */
static int piece(struct pagescan *ps, uint64_t from, uint64_t end, struct ps_run *out)
{
	while (from < end) {
		int r;

		if (from < ps->lo || from >= ps->hi) {
			r = ps->scan ? scan_fill(ps, from, end) : pm_fill(ps, from, end);
			if (r)
				return r;
		}
		r = ps->regions ? scan_piece(ps, from, end, out) : pm_piece(ps, from, end, out);
		if (r)
			return r;
		from = ps->hi; /* nothing in [from, hi): read on */
	}
	return 0;
}

int pagescan_next(struct pagescan *ps, uint64_t *cursor, uint64_t end, struct ps_run *run)
{
	struct ps_run nx;
	int r;

	if (ps->pmfd < 0 || !ps->buf)
		return -EBADF;
	if (*cursor % ps->page || end % ps->page)
		return -EINVAL;
	r = piece(ps, *cursor, end, run);
	if (r <= 0)
		return r;
	/* Join the pieces that continue this run, even across refills. */
	while (run->end < end) {
		r = piece(ps, run->end, end, &nx);
		if (r < 0)
			return r;
		if (!r || nx.start != run->end || nx.what != run->what)
			break;
		run->end = nx.end;
	}
	*cursor = run->end;
	return 1;
}
