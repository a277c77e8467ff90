/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which pages of a range in a process hold data, found with PAGEMAP_SCAN
 * (Linux 6.7) or, where that is missing, /proc/PID/pagemap.
 *
 * The two ways agree but for one thing: the shared zero page (what a read
 * fault of never-written private memory maps) is skipped by PAGEMAP_SCAN,
 * while the pagemap file shows it as an ordinary present page (telling it
 * apart needs PFNs, which only CAP_SYS_ADMIN sees), so the fallback reports
 * it as data.  Copying it copies zeros: wasteful, never wrong.
 *
 * Known limits, both ways:
 * - Guard regions (MADV_GUARD_INSTALL, 6.13) are told apart only from 6.15;
 *   on 6.13 and 6.14 they look like swapped-out data.
 * - PAGEMAP_SCAN skips VM_PFNMAP mappings; the pagemap file shows their
 *   pages as present.  pvmmap refuses those mappings (VmFlag pf) anyway.
 * - A migration entry or a userfaultfd write-protect marker counts as
 *   swapped: it is not in memory at this instant.
 */
#ifndef PVMMAP_PAGESCAN_H
#define PVMMAP_PAGESCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ps_what {
	PS_DATA = 1u << 0,    /* present or swapped, not the shared zero page, not a guard */
	PS_SWAPPED = 1u << 1, /* with PS_DATA: the run's pages are swapped out */
	PS_GUARD = 1u << 2,   /* a guard region (MADV_GUARD_INSTALL, 6.13; reported from 6.15) */
};

struct ps_run {
	uint64_t start, end;
	unsigned what; /* PS_DATA, PS_DATA | PS_SWAPPED or PS_GUARD */
};

/* Memory one struct pagescan holds, whichever way it reads. */
#define PAGESCAN_BUF_BYTES (128u << 10)

struct pagescan {
	int pmfd;       /* /proc/PID/pagemap, or -1 */
	bool scan;      /* PAGEMAP_SCAN; else pread() of pagemap entries */
	uint64_t page;
	/* private to pagescan.c: */
	bool guard;     /* PAGEMAP_SCAN knows PAGE_IS_GUARD (6.15) */
	bool anon_only; /* see pagescan_set_anon_only */
	size_t cap;     /* regions (scan) or pagemap entries one read holds */
	void *buf;      /* PAGESCAN_BUF_BYTES */
	uint64_t lo, hi; /* buf holds everything there is to know about [lo, hi) */
	bool regions;   /* buf holds PAGEMAP_SCAN regions, else pagemap entries */
	size_t n, pos;  /* regions or entries in buf; regions: the first not yet passed */
};

/*
 * procfd: an O_PATH/O_DIRECTORY fd of /proc/PID; opens "pagemap" relative to
 * it.  page_size: the system's page size.  0 or -errno; on error nothing is
 * left open, and pagescan_close() is still safe to call.
 */
int pagescan_open(int procfd, uint64_t page_size, struct pagescan *ps);

/*
 * The next run at or after *cursor and before end: maximal contiguous pages
 * of one `what` (data runs split where PS_SWAPPED changes).  Returns 1 with
 * *run filled and *cursor advanced past it, 0 when nothing more in
 * [*cursor, end), or -errno (-EINVAL when *cursor or end is not page
 * aligned).  Pages with no data (never touched, zero page) are skipped,
 * never reported.  Runs are not capped: a fully populated range is one
 * run, however long (copy it in pieces).  What one call read is reused by
 * the next while its cursor stays inside the range read; the process should
 * not change in between (pvmmap has it frozen).
 */
int pagescan_next(struct pagescan *ps, uint64_t *cursor, uint64_t end, struct ps_run *run);

/*
 * Report only private anonymous pages (and guards): in a private file
 * mapping, the pages the process changed (copy-on-write), not the file's
 * page cache.  Off after pagescan_open.
 */
void pagescan_set_anon_only(struct pagescan *ps, bool anon_only);

void pagescan_close(struct pagescan *ps);

/*
 * Whether PAGEMAP_SCAN is there; probed once per process run (cached).
 * False also when the environment has PVMMAP_NO_PAGEMAP_SCAN=1 (tests force
 * the fallback with it).
 */
bool pagescan_have_scan(void);

/*
 * Tests only: forget the cached probe, so that the next pagescan_have_scan()
 * or pagescan_open() probes again and reads PVMMAP_NO_PAGEMAP_SCAN anew.
 */
void pagescan_reset_probe(void);

#endif
