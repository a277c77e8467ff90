// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for vma_smaps_parse().  ASan and UBSan catch memory errors;
 * the checks below catch a parser that "succeeds" into a state the planner
 * would trust wrongly.  Seeds: tests/data/smaps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void check_vma(const struct vma *v, const struct vma *prev)
{
	CHECK(v->name);
	CHECK(memchr(v->perms, '\0', sizeof(v->perms)) == &v->perms[4]);
	CHECK(strchr("r-", v->perms[0]) && strchr("w-", v->perms[1]));
	CHECK(strchr("x-", v->perms[2]) && strchr("ps", v->perms[3]));
	CHECK(!(v->vmflags >> VMF__COUNT));
	CHECK(v->pkey >= -1);
	CHECK(v->thp_eligible >= -1 && v->thp_eligible <= 1);
	if (v->vmflags || v->unknown_vmflag)
		CHECK(v->has_vmflags);
	/* Sizes come from "N kB": a multiple of 1024 or nothing. */
	CHECK(!(v->rss % 1024) && !(v->pss % 1024) && !(v->swap % 1024));
	CHECK(!(v->kernel_page_size % 1024) && !(v->locked % 1024));
	if (v->malformed)
		return;
	/* What is trusted must be a range, in order, with a clean name. */
	CHECK(v->start < v->end);
	if (prev && !prev->malformed)
		CHECK(prev->end <= v->start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vma_list l = { 0 };
	const struct vma *prev = NULL;
	bool clean = true;
	int err;

	err = vma_smaps_parse((const char *)data, size, &l);
	if (err) {
		CHECK(err == -ENOMEM);
		CHECK(!l.v && !l.n && !l.cap);
		return 0;
	}
	CHECK(l.n <= l.cap);
	CHECK(l.n ? l.v != NULL : 1);
	/* Every VMA takes a header line of at least 16 bytes ("0-1 r--p 0 0:0 0"). */
	CHECK(l.n <= size / 16 + 1);
	for (size_t i = 0; i < l.n; i++) {
		check_vma(&l.v[i], prev);
		if (!l.v[i].malformed)
			prev = &l.v[i];
		else
			clean = false;
	}
	/* Sorted and trusted: vma_find must land on each VMA by its start. */
	for (size_t i = 0; i < l.n; i++) {
		const struct vma *f = vma_find(&l, l.v[i].start);

		CHECK(!f || (f >= l.v && f < l.v + l.n));
		if (clean)
			CHECK(f == &l.v[i]);
	}
	CHECK(!vma_find(&l, UINT64_MAX));
	vma_list_free(&l);
	CHECK(!l.v && !l.n && !l.cap);
	return 0;
}
