/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TEMPORARY stand-in until the real pagescan lands. */
#ifndef PVMMAP_PAGESCAN_H
#define PVMMAP_PAGESCAN_H
#include <stdbool.h>
#include <stdint.h>
enum ps_what { PS_DATA = 1u << 0, PS_SWAPPED = 1u << 1, PS_GUARD = 1u << 2 };
struct ps_run { uint64_t start, end; unsigned what; };
struct pagescan { int pmfd; bool scan; uint64_t page; };
int pagescan_open(int procfd, uint64_t page_size, struct pagescan *ps);
int pagescan_next(struct pagescan *ps, uint64_t *cursor, uint64_t end, struct ps_run *run);
void pagescan_close(struct pagescan *ps);
bool pagescan_have_scan(void);
#endif
