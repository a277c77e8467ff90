// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for vma_smaps_parse() and vma_smaps_parse_range().  ASan and UBSan catch memory errors;
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

/*
 * A range parse keeps what the whole parse keeps there, with the same
 * verdicts, when the whole text is clean: a verdict on dirty text may rest
 * on a VMA after the range, which a range never reads.
 */
static void check_range(const uint8_t *data, size_t size, const struct vma_list *all,
			uint64_t start, uint64_t end, bool clean)
{
	struct vma_list r = { 0 };
	size_t k = 0;
	int err = vma_smaps_parse_range((const char *)data, size, start, end, &r);

	if (err) {
		CHECK(err == -ENOMEM);
		CHECK(!r.v && !r.n && !r.cap);
		return;
	}
	CHECK(r.n <= all->n);
	for (size_t i = 0; i < r.n; i++) {
		check_vma(&r.v[i], NULL);
		CHECK(r.v[i].end > start && r.v[i].start < end);
	}
	for (size_t i = 0; clean && i < all->n; i++) {
		const struct vma *a = &all->v[i], *b;

		if (a->end <= start || a->start >= end)
			continue;
		CHECK(k < r.n);
		b = &r.v[k++];
		CHECK(a->start == b->start && a->end == b->end && !strcmp(a->name, b->name));
		CHECK(a->rss == b->rss && a->swap == b->swap && a->vmflags == b->vmflags);
		CHECK(a->has_vmflags == b->has_vmflags && a->malformed == b->malformed);
		CHECK(a->pkey == b->pkey && a->thp_eligible == b->thp_eligible);
	}
	if (clean)
		CHECK(k == r.n);
	vma_list_free(&r);
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
	check_range(data, size, &l, 0, UINT64_MAX, clean);
	if (l.n) {
		const struct vma *m = &l.v[l.n / 2];

		check_range(data, size, &l, m->start, m->start + 1, clean);
		check_range(data, size, &l, m->end - 1, l.v[l.n - 1].end, clean);
	}
	vma_list_free(&l);
	CHECK(!l.v && !l.n && !l.cap);
	return 0;
}
