/* TEMPORARY stand-in: pagemap only, one page at a time. */
#include "pagescan.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
bool pagescan_have_scan(void) { return false; }
int pagescan_open(int procfd, uint64_t page_size, struct pagescan *ps)
{
	ps->pmfd = openat(procfd, "pagemap", O_RDONLY | O_CLOEXEC);
	ps->page = page_size;
	ps->scan = false;
	return ps->pmfd < 0 ? -errno : 0;
}
static unsigned what_at(struct pagescan *ps, uint64_t a, int *err)
{
	uint64_t e;
	if (pread(ps->pmfd, &e, 8, (off_t)(a / ps->page * 8)) != 8) { *err = -EIO; return 0; }
	if (e & (1ull << 58)) return PS_GUARD;
	if (e & (1ull << 63)) return PS_DATA;
	if (e & (1ull << 62)) return PS_DATA | PS_SWAPPED;
	return 0;
}
int pagescan_next(struct pagescan *ps, uint64_t *cursor, uint64_t end, struct ps_run *run)
{
	int err = 0;
	uint64_t a = *cursor;
	unsigned w = 0;
	while (a < end && !(w = what_at(ps, a, &err)) && !err) a += ps->page;
	if (err) return err;
	if (a >= end) { *cursor = end; return 0; }
	run->start = a; run->what = w;
	while (a < end && what_at(ps, a, &err) == w && !err) a += ps->page;
	if (err) return err;
	run->end = a; *cursor = a;
	return 1;
}
void pagescan_close(struct pagescan *ps) { if (ps->pmfd >= 0) close(ps->pmfd); ps->pmfd = -1; }
