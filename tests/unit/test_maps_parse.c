// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * smaps parsing: every field, every VmFlags code, names as the kernel prints
 * them, text cut at every byte, hostile numbers, and vma_smaps_read() on live,
 * exited and kernel-thread processes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vma.h"
#include "victim_ctl.h"

#define DATA PVMMAP_SRCDIR "/tests/data/smaps/"
#define ALL_VMFLAGS ((UINT64_C(1) << VMF__COUNT) - 1)

/* A Linux 6.18 anonymous header: padded, ending in a space. */
#define ANON_HDR "7f0000001000-7f0000003000 rw-p 00000000 00:00 0 \n"

/* ---- helpers ---- */

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(r >= 0);
	return s;
}

/* Parse exactly @len bytes from a heap copy, so ASan sees any over-read. */
static void parse_n(const char *text, size_t len, struct vma_list *l)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(l, 0, sizeof(*l));
	assert_int_equal(vma_smaps_parse(copy, len, l), 0);
	free(copy);
	assert_true(l->n <= l->cap);
	for (size_t i = 0; i < l->n; i++) {
		assert_non_null(l->v[i].name);
		assert_int_equal(l->v[i].perms[4], '\0');
	}
}

static void parse(const char *text, struct vma_list *l)
{
	parse_n(text, strlen(text), l);
}

static char *load(const char *name, size_t *len)
{
	char *path = xasprintf(DATA "%s", name);
	struct stat st;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size < 16384);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	free(path);
	*len = (size_t)st.st_size;
	return buf;
}

static void load_parse(const char *name, struct vma_list *l)
{
	size_t len;
	char *text = load(name, &len);

	parse_n(text, len, l);
	free(text);
}

/* VmFlags from a code list, through the public name table. */
static uint64_t flags_of(const char *codes)
{
	uint64_t m = 0;
	char two[3] = "";

	for (const char *p = codes; *p; p++) {
		if (*p == ' ')
			continue;
		two[0] = p[0];
		two[1] = p[1];
		int f = vma_flag_from_name(two);

		if (f < 0)
			fail_msg("test bug: code %s", two);
		m |= UINT64_C(1) << f;
		p++;
	}
	return m;
}

static void assert_vma_equal(const struct vma *a, const struct vma *b)
{
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_string_equal(a->perms, b->perms);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->dev_major, b->dev_major);
	assert_int_equal(a->dev_minor, b->dev_minor);
	assert_int_equal(a->inode, b->inode);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->rss, b->rss);
	assert_int_equal(a->pss, b->pss);
	assert_int_equal(a->anonymous, b->anonymous);
	assert_int_equal(a->anon_huge, b->anon_huge);
	assert_int_equal(a->swap, b->swap);
	assert_int_equal(a->locked, b->locked);
	assert_int_equal(a->shared_hugetlb, b->shared_hugetlb);
	assert_int_equal(a->private_hugetlb, b->private_hugetlb);
	assert_int_equal(a->kernel_page_size, b->kernel_page_size);
	assert_int_equal(a->mmu_page_size, b->mmu_page_size);
	assert_int_equal(a->pkey, b->pkey);
	assert_int_equal(a->thp_eligible, b->thp_eligible);
	assert_int_equal(a->vmflags, b->vmflags);
	assert_int_equal(a->has_vmflags, b->has_vmflags);
	assert_int_equal(a->unknown_vmflag, b->unknown_vmflag);
	assert_int_equal(a->malformed, b->malformed);
}

static void assert_clean(const struct vma_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].malformed || !l->v[i].has_vmflags)
			fail_msg("VMA %zu (%" PRIx64 ") malformed", i, l->v[i].start);
		if (i)
			assert_true(l->v[i - 1].end <= l->v[i].start);
	}
}

/* ---- flag names ---- */

static const char *const codes[VMF__COUNT] = {
	"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms",
	"gd", "pf", "gu", "lo", "io", "sr", "rr", "dc",
	"de", "ac", "nr", "ht", "sf", "ar", "wf", "dd",
	"sd", "mm", "hg", "nh", "mg", "bt", "mt", "um",
	"uw", "ui", "ss", "sl", "lf", "dp",
	"dw", "nl", "mp", "ot",
};

static void test_vmflag_names(void **state)
{
	(void)state;
	for (int f = 0; f < VMF__COUNT; f++) {
		assert_string_equal(vma_flag_name((enum vmflag)f), codes[f]);
		assert_int_equal(vma_flag_from_name(codes[f]), f);
	}
	assert_null(vma_flag_name(VMF__COUNT));
	assert_null(vma_flag_name((enum vmflag)(VMF__COUNT + 100)));
	assert_null(vma_flag_name((enum vmflag)-1));
	assert_int_equal(vma_flag_from_name(NULL), -1);
	assert_int_equal(vma_flag_from_name(""), -1);
	assert_int_equal(vma_flag_from_name("r"), -1);
	assert_int_equal(vma_flag_from_name("rdx"), -1);
	assert_int_equal(vma_flag_from_name("RD"), -1);
	assert_int_equal(vma_flag_from_name("??"), -1);
	assert_int_equal(vma_flag_from_name("zz"), -1);
	assert_int_equal(vma_flag_from_name("d"), -1);
	assert_int_equal(vma_flag_from_name("rd "), -1);
}

/* ---- fields ---- */

static void test_all_fields(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	parse("55d1c0a00000-55d1c0a22000 r-xp 0001a000 fd:1f 1234567"
	      "                  /usr/lib/x86_64-linux-gnu/libfoo.so.1\n"
	      "Size:                136 kB\n"
	      "KernelPageSize:        4 kB\n"
	      "MMUPageSize:           8 kB\n"
	      "Rss:                 100 kB\n"
	      "Pss:                  50 kB\n"
	      "Pss_Dirty:            12 kB\n"
	      "Anonymous:            12 kB\n"
	      "KSM:                   0 kB\n"
	      "AnonHugePages:      2048 kB\n"
	      "Shared_Hugetlb:       16 kB\n"
	      "Private_Hugetlb:      32 kB\n"
	      "Swap:                  8 kB\n"
	      "SwapPss:               4 kB\n"
	      "Locked:               20 kB\n"
	      "THPeligible:           1\n"
	      "ProtectionKey:         7\n"
	      "VmFlags: rd ex mr mw me sd \n", &l);
	assert_int_equal(l.n, 1);
	v = &l.v[0];
	assert_int_equal(v->start, 0x55d1c0a00000);
	assert_int_equal(v->end, 0x55d1c0a22000);
	assert_int_equal(vma_size(v), 0x22000);
	assert_string_equal(v->perms, "r-xp");
	assert_false(vma_is_shared(v));
	assert_int_equal(v->offset, 0x1a000);
	assert_int_equal(v->dev_major, 0xfd);
	assert_int_equal(v->dev_minor, 0x1f);
	assert_int_equal(v->inode, 1234567);
	assert_string_equal(v->name, "/usr/lib/x86_64-linux-gnu/libfoo.so.1");
	assert_int_equal(v->kernel_page_size, 4096);
	assert_int_equal(v->mmu_page_size, 8192);
	assert_int_equal(v->rss, 100 * 1024);
	assert_int_equal(v->pss, 50 * 1024);
	assert_int_equal(v->anonymous, 12 * 1024);
	assert_int_equal(v->anon_huge, 2048 * 1024);
	assert_int_equal(v->shared_hugetlb, 16 * 1024);
	assert_int_equal(v->private_hugetlb, 32 * 1024);
	assert_int_equal(v->swap, 8 * 1024);
	assert_int_equal(v->locked, 20 * 1024);
	assert_int_equal(v->thp_eligible, 1);
	assert_int_equal(v->pkey, 7);
	assert_int_equal(v->vmflags, VMF(RD) | VMF(EX) | VMF(MR) | VMF(MW) | VMF(ME) | VMF(SD));
	assert_true(v->has_vmflags);
	assert_false(v->unknown_vmflag);
	assert_false(v->malformed);
	vma_list_free(&l);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.cap, 0);
}

static void test_defaults(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	parse(ANON_HDR "Size:                  8 kB\nVmFlags: rd wr mr mw me ac \n", &l);
	assert_int_equal(l.n, 1);
	v = &l.v[0];
	assert_string_equal(v->name, "");
	assert_int_equal(v->pkey, -1);
	assert_int_equal(v->thp_eligible, -1);
	assert_int_equal(v->rss, 0);
	assert_int_equal(v->kernel_page_size, 0);
	assert_false(v->malformed);
	vma_list_free(&l);

	/* THPeligible 0 and ProtectionKey 0 are values, not absence. */
	parse(ANON_HDR "THPeligible:    0\nProtectionKey:         0\nVmFlags: rd \n", &l);
	assert_int_equal(l.v[0].thp_eligible, 0);
	assert_int_equal(l.v[0].pkey, 0);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);

	/* 6.x pads THPeligible with %8u. */
	parse(ANON_HDR "THPeligible:           1\nVmFlags: rd \n", &l);
	assert_int_equal(l.v[0].thp_eligible, 1);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
}

static void test_size_is_ignored(void **state)
{
	struct vma_list l;

	(void)state;
	parse(ANON_HDR "Size:                999 kB\nVmFlags: rd \n", &l);
	assert_int_equal(vma_size(&l.v[0]), 0x2000);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
}

static void test_unknown_keys(void **state)
{
	struct vma_list l;

	(void)state;
	parse(ANON_HDR "Pss_Shmem:             4 kB\nFuture_Thing:   whatever 1 2 3\n"
	      "Referenced:            4 kB\nRss: 4 kB\nVmFlags: rd \n", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].rss, 4096);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
}

/* ---- VmFlags ---- */

static void test_every_vmflag(void **state)
{
	struct vma_list l;

	(void)state;
	for (int f = 0; f < VMF__COUNT; f++) {
		char *t = xasprintf(ANON_HDR "VmFlags: %s \n", codes[f]);

		parse(t, &l);
		assert_int_equal(l.n, 1);
		assert_int_equal(l.v[0].vmflags, UINT64_C(1) << f);
		assert_true(l.v[0].has_vmflags);
		assert_false(l.v[0].unknown_vmflag);
		assert_false(l.v[0].malformed);
		vma_list_free(&l);
		free(t);
	}
}

static void test_all_vmflags_one_line(void **state)
{
	char line[VMF__COUNT * 3 + 32] = "VmFlags: ";
	struct vma_list l;
	char *t;

	(void)state;
	for (int f = 0; f < VMF__COUNT; f++) {
		strcat(line, codes[f]);
		strcat(line, " ");
	}
	t = xasprintf(ANON_HDR "%s\n", line);
	parse(t, &l);
	assert_int_equal(l.v[0].vmflags, ALL_VMFLAGS);
	assert_false(l.v[0].unknown_vmflag);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
	free(t);
}

static void test_vmflags_unknown_and_bad(void **state)
{
	struct vma_list l;

	(void)state;
	/* "??" is what the kernel prints for a bit with no mnemonic. */
	parse(ANON_HDR "VmFlags: rd ?? wr zz \n", &l);
	assert_int_equal(l.v[0].vmflags, VMF(RD) | VMF(WR));
	assert_true(l.v[0].unknown_vmflag);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);

	/* No trailing space, no flag at all: both fine. */
	parse(ANON_HDR "VmFlags: rd wr\n", &l);
	assert_int_equal(l.v[0].vmflags, VMF(RD) | VMF(WR));
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
	parse(ANON_HDR "VmFlags: \n", &l);
	assert_int_equal(l.v[0].vmflags, 0);
	assert_true(l.v[0].has_vmflags);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
	parse(ANON_HDR "VmFlags:\n", &l);
	assert_true(l.v[0].has_vmflags);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);

	static const char *const bad[] = {
		"VmFlags: rd r\n", "VmFlags: rd rdx\n", "VmFlags: rd\twr\n",
		"VmFlags: rd rd\n", "VmFlags: rd wr \r\n", "VmFlags: r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = xasprintf(ANON_HDR "%s", bad[i]);

		parse(t, &l);
		assert_int_equal(l.n, 1);
		if (!l.v[0].malformed)
			fail_msg("accepted %s", bad[i]);
		assert_true(l.v[0].has_vmflags);
		vma_list_free(&l);
		free(t);
	}

	/* A NUL inside a code: unknown, not a crash or a match. */
	static const char nul[] = ANON_HDR "VmFlags: rd \0r wr\n";
	parse_n(nul, sizeof(nul) - 1, &l);
	assert_int_equal(l.v[0].vmflags, VMF(RD) | VMF(WR));
	assert_true(l.v[0].unknown_vmflag);
	vma_list_free(&l);
}

/* ---- names ---- */

static const char *name_of(const char *hdr_line)
{
	static char buf[4096];
	struct vma_list l;
	char *t = xasprintf("%s\nVmFlags: rd \n", hdr_line);

	parse(t, &l);
	free(t);
	assert_int_equal(l.n, 1);
	assert_false(l.v[0].malformed);
	snprintf(buf, sizeof(buf), "%s", l.v[0].name);
	vma_list_free(&l);
	return buf;
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(name_of("1000-2000 rw-p 00000000 00:00 0 "), "");
	assert_string_equal(name_of("1000-2000 rw-p 00000000 00:00 0"), "");
	assert_string_equal(name_of("1000-2000 rw-p 00000000 00:00 0      "), "");
	assert_string_equal(name_of("1000-2000 rw-p 00000000 00:00 0                          [heap]"),
			    "[heap]");
	assert_string_equal(name_of("1000-2000 r--p 00000000 fe:00 12                   /a b  c"),
			    "/a b  c");
	assert_string_equal(name_of("1000-2000 r--p 00000000 fe:00 12   /dir with spaces/ a  file "),
			    "/dir with spaces/ a  file ");
	assert_string_equal(name_of("1000-2000 rw-s 00000000 00:01 5    /memfd:x (deleted)"),
			    "/memfd:x (deleted)");
	assert_string_equal(name_of("1000-2000 r--s 00000000 fe:00 7    /tmp/new\\012line"),
			    "/tmp/new\\012line");
	assert_string_equal(name_of("1000-2000 r--s 00000000 fe:00 7    /tab\there\xc3\xa9"),
			    "/tab\there\xc3\xa9");
	assert_string_equal(name_of("1000-2000 rw-p 00000000 00:00 0    [anon:pvmmap arena]"),
			    "[anon:pvmmap arena]");
	/* One space is enough (pre-seq_pad kernels, hand-made files). */
	assert_string_equal(name_of("1000-2000 rw-p 00000000 00:00 0 x"), "x");
	/* An inode printed past column 73 still gets a space before the name. */
	assert_string_equal(name_of("ffffffffffff0000-ffffffffffff1000 rw-s ffffffffffff0000 "
				    "fff:fffff 18446744073709551615 /big"), "/big");
}

static void test_name_with_nul(void **state)
{
	static const char t[] = "1000-2000 r--p 00000000 fe:00 7    /a\0b\nVmFlags: rd \n";
	struct vma_list l;

	(void)state;
	parse_n(t, sizeof(t) - 1, &l);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].malformed);
	assert_string_equal(l.v[0].name, "/a");
	assert_int_equal(l.v[0].vmflags, VMF(RD));
	vma_list_free(&l);
}

static void test_long_name(void **state)
{
	size_t n = 1 << 20;
	struct vma_list l;
	char *name = malloc(n + 1);
	char *t;

	(void)state;
	assert_non_null(name);
	memset(name, 'n', n);
	name[0] = '/';
	name[n / 2] = ' ';
	name[n] = '\0';
	t = xasprintf("1000-2000 r--p 00000000 fe:00 7    %s\nRss: 4 kB\nVmFlags: rd \n", name);
	parse(t, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(strlen(l.v[0].name), n);
	assert_memory_equal(l.v[0].name, name, n);
	assert_int_equal(l.v[0].rss, 4096);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
	free(t);
	free(name);
}

/* ---- header or not ---- */

static void test_header_vs_key(void **state)
{
	/*
	 * Each of these follows a good VMA: none may start a VMA of its own,
	 * and none may be trusted as part of the good one.
	 */
	static const char *const near[] = {
		"ABCDEF00-ABCDEF10 r--p 00000000 00:00 0",
		"abcdef00-abcdef10 r--p 00000000 00:00 0x",
		"abcdef00-abcdef10 r--p 00000000 00:00 12x /a",
		"abcdef00-abcdef10 r--p 00000000 00:00 ",
		"abcdef00-abcdef10 r--p 00000000 00:00",
		"abcdef00-abcdef10 r--p 00000000 00: 0",
		"abcdef00-abcdef10 r--p 00000000 0000 0",
		"abcdef00-abcdef10 r--p  00000000 00:00 0",
		"abcdef00-abcdef10 r--p 00000000 00:00  0",
		"abcdef00-abcdef10 r--  00000000 00:00 0",
		"abcdef00-abcdef10 rwxq 00000000 00:00 0",
		"abcdef00-abcdef10 R--p 00000000 00:00 0",
		"abcdef00-abcdef10 xwrp 00000000 00:00 0",
		"abcdef00-abcdef10 r--p 0000000g 00:00 0",
		"abcdef00-abcdef10 r--p 00000000 00:00 -1",
		"abcdef00-abcdef10 r--p 00000000 00:00 +1",
		"abcdef00 abcdef10 r--p 00000000 00:00 0",
		"abcdef00-abcdef10\tr--p 00000000 00:00 0",
		" abcdef00-abcdef10 r--p 00000000 00:00 0",
		"-abcdef10 r--p 00000000 00:00 0",
		"abcdef00- r--p 00000000 00:00 0",
		"10000000000000000-10000000000001000 r--p 00000000 00:00 0",
		"abcdef00-abcdef10 r--p 10000000000000000 00:00 0",
		"abcdef00-abcdef10 r--p 00000000 100000000:00 0",
		"abcdef00-abcdef10 r--p 00000000 00:100000000 0",
		"abcdef00-abcdef10 r--p 00000000 00:00 18446744073709551616",
		"",
		"no colon here",
		"Bad Key: 4 kB",
		":4 kB",
	};
	struct vma_list l;

	(void)state;
	for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		char *t = xasprintf("1000-2000 rw-p 00000000 00:00 0 \nRss: 4 kB\n%s\n"
				    "VmFlags: rd \n", near[i]);

		parse(t, &l);
		if (l.n != 1)
			fail_msg("taken as a header: \"%s\"", near[i]);
		if (!l.v[0].malformed)
			fail_msg("trusted: \"%s\"", near[i]);
		assert_int_equal(l.v[0].rss, 4096);
		vma_list_free(&l);
		free(t);
	}

	/* Keys starting with hex digits are keys. */
	parse(ANON_HDR "AnonHugePages:      2048 kB\nAnonymous:          2052 kB\n"
	      "deadbeef_future:        1 kB\nVmFlags: rd \n", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].anon_huge, 2048 * 1024);
	assert_int_equal(l.v[0].anonymous, 2052 * 1024);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);

	/* The smallest strict header: widths are the kernel's minimums, not ours. */
	parse("0-1000 r--p 0 0:0 0\nVmFlags: rd \n", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].start, 0);
	assert_int_equal(l.v[0].end, 0x1000);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
}

static void test_preamble_ignored(void **state)
{
	struct vma_list l;

	(void)state;
	parse("garbage\nRss: 4 kB\nVmFlags: rd wr\n\n\x01\x02\n" ANON_HDR "VmFlags: rd \n", &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].rss, 0);
	assert_int_equal(l.v[0].vmflags, VMF(RD));
	assert_false(l.v[0].malformed);
	vma_list_free(&l);

	parse("no header at all\nRss: 4 kB\n", &l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	vma_list_free(&l);

	parse("", &l);
	assert_int_equal(l.n, 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(vma_smaps_parse(NULL, 0, &l), 0);
	assert_int_equal(l.n, 0);
}

/* ---- numbers ---- */

static void test_absurd_numbers(void **state)
{
	static const struct {
		const char *line;
		bool ok;
		uint64_t rss;
	} cases[] = {
		{ "Rss: 18014398509481983 kB", true, UINT64_MAX - 1023 },   /* 2^54-1 kB */
		{ "Rss: 18014398509481984 kB", false, 0 },                 /* 2^54 kB */
		{ "Rss: 18446744073709551615 kB", false, 0 },
		{ "Rss: 18446744073709551616 kB", false, 0 },
		{ "Rss: 99999999999999999999999999999999 kB", false, 0 },
		{ "Rss: 000000000000000000000000000000004 kB", true, 4096 },
		{ "Rss: 0 kB", true, 0 },
		{ "Rss: -4 kB", false, 0 },
		{ "Rss: +4 kB", false, 0 },
		{ "Rss: 4 MB", false, 0 },
		{ "Rss: 4 kb", false, 0 },
		{ "Rss: 4kB", false, 0 },
		{ "Rss: 4  kB", false, 0 },
		{ "Rss: 4 kB ", false, 0 },
		{ "Rss: 4 kBx", false, 0 },
		{ "Rss: 4", false, 0 },
		{ "Rss: kB", false, 0 },
		{ "Rss:", false, 0 },
		{ "Rss:4 kB", false, 0 },
		{ "Rss: 0x10 kB", false, 0 },
		{ "Rss:\t4 kB", true, 4096 },
		{ "Rss: 4 kB\r", false, 0 },
	};
	struct vma_list l;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = xasprintf(ANON_HDR "%s\nVmFlags: rd \n", cases[i].line);

		parse(t, &l);
		assert_int_equal(l.n, 1);
		if (l.v[0].malformed == cases[i].ok)
			fail_msg("\"%s\": malformed=%d", cases[i].line, l.v[0].malformed);
		assert_int_equal(l.v[0].rss, cases[i].rss);
		vma_list_free(&l);
		free(t);
	}
}

static void test_pkey_thp_values(void **state)
{
	static const struct {
		const char *line;
		bool ok;
		int pkey, thp;
	} cases[] = {
		{ "ProtectionKey:  2147483647", true, INT32_MAX, -1 },
		{ "ProtectionKey:  2147483648", false, -1, -1 },
		{ "ProtectionKey:  99999999999999999999999", false, -1, -1 },
		{ "ProtectionKey:  -1", false, -1, -1 },
		{ "ProtectionKey:  1 kB", false, -1, -1 },
		{ "ProtectionKey:", false, -1, -1 },
		{ "ProtectionKey:  15", true, 15, -1 },
		{ "THPeligible:    1", true, -1, 1 },
		{ "THPeligible:    2", false, -1, -1 },
		{ "THPeligible:    01", true, -1, 1 },
		{ "THPeligible:    1 kB", false, -1, -1 },
		{ "THPeligible:", false, -1, -1 },
	};
	struct vma_list l;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = xasprintf(ANON_HDR "%s\nVmFlags: rd \n", cases[i].line);

		parse(t, &l);
		if (l.v[0].malformed == cases[i].ok)
			fail_msg("\"%s\": malformed=%d", cases[i].line, l.v[0].malformed);
		assert_int_equal(l.v[0].pkey, cases[i].pkey);
		assert_int_equal(l.v[0].thp_eligible, cases[i].thp);
		vma_list_free(&l);
		free(t);
	}
}

static void test_header_limits(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	parse("ffffffffffff0000-ffffffffffffffff r--s ffffffffffffffff ffffffff:ffffffff "
	      "18446744073709551615 /x\nVmFlags: rd \n", &l);
	assert_int_equal(l.n, 1);
	v = &l.v[0];
	assert_int_equal(v->start, 0xffffffffffff0000);
	assert_int_equal(v->end, UINT64_MAX);
	assert_int_equal(v->offset, UINT64_MAX);
	assert_int_equal(v->dev_major, UINT32_MAX);
	assert_int_equal(v->dev_minor, UINT32_MAX);
	assert_int_equal(v->inode, UINT64_MAX);
	assert_true(vma_is_shared(v));
	assert_false(v->malformed);
	vma_list_free(&l);
}

/* ---- structure ---- */

static void test_start_ge_end(void **state)
{
	struct vma_list l;

	(void)state;
	parse("1000-2000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "3000-3000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "5000-4000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "4000-5000 rw-p 00000000 00:00 0 \nVmFlags: rd \n", &l);
	assert_int_equal(l.n, 4);
	assert_false(l.v[0].malformed);
	assert_true(l.v[1].malformed);
	assert_int_equal(l.v[1].start, 0x3000);
	assert_true(l.v[2].malformed);
	assert_int_equal(l.v[2].start, 0x5000);
	assert_int_equal(l.v[2].end, 0x4000);
	/* A backwards VMA claims no range: the one after it is in order. */
	assert_false(l.v[3].malformed);
	vma_list_free(&l);
}

static void test_order(void **state)
{
	struct vma_list l;

	(void)state;
	parse("1000-3000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "3000-4000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"   /* adjacent */
	      "3800-5000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"   /* overlap */
	      "1000-2000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"   /* backwards */
	      "4800-4900 rw-p 00000000 00:00 0 \nVmFlags: rd \n"   /* inside the overlap */
	      "5000-6000 rw-p 00000000 00:00 0 \nVmFlags: rd \n", &l);
	assert_int_equal(l.n, 6);
	assert_false(l.v[0].malformed);
	assert_false(l.v[1].malformed);
	assert_true(l.v[2].malformed);
	assert_true(l.v[3].malformed);
	assert_true(l.v[4].malformed);
	assert_false(l.v[5].malformed);
	vma_list_free(&l);
}

static void test_duplicate_keys(void **state)
{
	static const char *const dup[] = {
		"Rss: 4 kB\nRss: 4 kB\nVmFlags: rd \n",
		"VmFlags: rd \nVmFlags: rd \n",
		"THPeligible: 0\nTHPeligible: 0\nVmFlags: rd \n",
		"ProtectionKey: 0\nProtectionKey: 0\nVmFlags: rd \n",
	};
	struct vma_list l;

	(void)state;
	for (size_t i = 0; i < sizeof(dup) / sizeof(dup[0]); i++) {
		char *t = xasprintf(ANON_HDR "%s", dup[i]);

		parse(t, &l);
		assert_int_equal(l.n, 1);
		assert_true(l.v[0].malformed);
		vma_list_free(&l);
		free(t);
	}
	/* Unknown keys may repeat: the kernel's own list grows. */
	parse(ANON_HDR "Foo: 1\nFoo: 2\nVmFlags: rd \n", &l);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
}

static void test_cut_rules(void **state)
{
	struct vma_list l;

	(void)state;
	/* The last VmFlags line without its newline may be cut short. */
	parse("1000-2000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "2000-3000 rw-p 00000000 00:00 0 \nVmFlags: rd wr", &l);
	assert_int_equal(l.n, 2);
	assert_false(l.v[0].malformed);
	assert_true(l.v[1].malformed);
	assert_int_equal(l.v[1].vmflags, VMF(RD) | VMF(WR));
	vma_list_free(&l);

	/* So may a key line. */
	parse("1000-2000 rw-p 00000000 00:00 0 \nRss: 4 kB", &l);
	assert_true(l.v[0].malformed);
	vma_list_free(&l);

	/* A header without newline: its name may be cut. */
	parse("1000-2000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "2000-3000 r--p 00000000 fe:00 12    /usr/li", &l);
	assert_int_equal(l.n, 2);
	assert_false(l.v[0].malformed);
	assert_true(l.v[1].malformed);
	assert_string_equal(l.v[1].name, "/usr/li");
	vma_list_free(&l);

	/* Even when it is the only line. */
	parse("1000-2000 r--p 00000000 fe:00 12    /usr/li", &l);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].malformed);
	vma_list_free(&l);

	/* A fragment of a header after a complete VMA belongs to a lost one. */
	parse("1000-2000 rw-p 00000000 00:00 0 \nVmFlags: rd \n2000-30", &l);
	assert_int_equal(l.n, 1);
	assert_false(l.v[0].malformed);
	vma_list_free(&l);

	/* Cut at a line boundary before VmFlags, with VmFlags elsewhere. */
	parse("1000-2000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "2000-3000 rw-p 00000000 00:00 0 \nRss: 4 kB\n", &l);
	assert_int_equal(l.n, 2);
	assert_false(l.v[0].malformed);
	assert_true(l.v[1].malformed);
	assert_false(l.v[1].has_vmflags);
	vma_list_free(&l);

	/* Pre-3.8 kernels print no VmFlags at all: that is not a cut. */
	parse("1000-2000 rw-p 00000000 00:00 0 \nRss: 4 kB\n"
	      "2000-3000 rw-p 00000000 00:00 0 \nRss: 8 kB\n", &l);
	assert_int_equal(l.n, 2);
	assert_false(l.v[0].malformed);
	assert_false(l.v[1].malformed);
	assert_false(l.v[1].has_vmflags);
	assert_int_equal(l.v[1].vmflags, 0);
	vma_list_free(&l);
}

/* ---- recorded files ---- */

static void test_real_cat_self(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	load_parse("real-cat-self.txt", &l);
	assert_int_equal(l.n, 19);
	assert_clean(&l);
	v = &l.v[0];
	assert_int_equal(v->start, 0x55a7e2bc7000);
	assert_int_equal(v->end, 0x55a7e2bc9000);
	assert_string_equal(v->perms, "r--p");
	assert_int_equal(v->dev_major, 0xfe);
	assert_int_equal(v->dev_minor, 0);
	assert_int_equal(v->inode, 247134);
	assert_string_equal(v->name, "/usr/bin/cat");
	assert_int_equal(v->rss, 8192);
	assert_int_equal(v->thp_eligible, 0);
	assert_int_equal(v->pkey, -1);
	assert_int_equal(v->vmflags, flags_of("rd mr mw me"));
	assert_string_equal(l.v[5].name, "[heap]");
	assert_string_equal(l.v[6].name, "");
	assert_int_equal(l.v[10].offset, 0x26000);
	assert_string_equal(l.v[10].name, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(l.v[14].name, "[vvar]");
	assert_string_equal(l.v[15].name, "[vvar_vclock]");
	assert_int_equal(l.v[15].vmflags, flags_of("rd mr pf io de dd"));
	assert_string_equal(l.v[16].name, "[vdso]");
	assert_string_equal(l.v[17].name, "[stack]");
	assert_int_equal(l.v[17].vmflags, flags_of("rd wr mr mw me gd ac"));
	v = &l.v[18];
	assert_string_equal(v->name, "[vsyscall]");
	assert_int_equal(v->start, 0xffffffffff600000);
	assert_string_equal(v->perms, "--xp");
	assert_int_equal(v->vmflags, VMF(EX));
	vma_list_free(&l);
}

static void test_real_flags(void **state)
{
	static const struct {
		uint64_t start;
		const char *flags;
	} want[] = {
		{ 0x7f1b5e000000, "rd wr mr mw me de nr ht" },
		{ 0x7f1b5e200000, "rd wr mr mw me ac hg" },
		{ 0x7f1b5e7ca000, "rd wr mr mw me gd ac" },
		{ 0x7f1b5e7d2000, "mr mw me" },
		{ 0x7f1b5e7d6000, "rd wr sh mr mw me ms ui" },
		{ 0x7f1b5e7da000, "rd wr mr mw me um uw ac" },
		{ 0x7f1b5e7de000, "rd wr mr mw me nr wf dd dp" },
		{ 0x7f1b5e7e2000, "rd mr mw me sl" },
		{ 0x7f1b5e7e6000, "rd wr mr mw me gu ac nh" },
		{ 0x7f1b5e7ea000, "rd wr mr mw me ac wf mg" },
		{ 0x7f1b5e7ee000, "rd wr mr mw me rr dc ac dd" },
		{ 0x7f1b5e7f2000, "rd mr mw me sr nr" },
		{ 0x7f1b5e9de000, "rd wr mr mw me lo lf ac" },
		{ 0x7f1b5e9e2000, "rd wr mr mw me lo ac" },
	};
	struct vma_list l;

	(void)state;
	load_parse("real-flags.txt", &l);
	assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
	assert_clean(&l);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].start, want[i].start);
		assert_int_equal(l.v[i].vmflags, flags_of(want[i].flags));
		assert_false(l.v[i].unknown_vmflag);
	}
	/* hugetlb */
	assert_string_equal(l.v[0].name, "/anon_hugepage (deleted)");
	assert_int_equal(l.v[0].kernel_page_size, 2 << 20);
	assert_int_equal(l.v[0].mmu_page_size, 2 << 20);
	/* THP */
	assert_int_equal(l.v[1].anon_huge, 2 << 20);
	assert_int_equal(l.v[1].rss, 2 << 20);
	assert_int_equal(l.v[1].anonymous, 2 << 20);
	assert_int_equal(l.v[1].thp_eligible, 1);
	assert_string_equal(l.v[4].name, "/memfd:uffd-minor (deleted)");
	/* mlock: populated and locked; MLOCK_ONFAULT: not populated */
	assert_int_equal(l.v[13].locked, 16384);
	assert_int_equal(l.v[13].rss, 16384);
	assert_int_equal(l.v[12].locked, 0);
	vma_list_free(&l);
}

static void test_real_names(void **state)
{
	static const char *const want[] = {
		"/tmp/pvmmap-capture/back\\slash\xc3\xa9",
		"/tmp/pvmmap-capture/tab\there (deleted) (deleted)",
		"/tmp/pvmmap-capture/new\\012line",
		"/tmp/pvmmap-capture/dir with spaces/ a  file ",
		"/dev/zero (deleted)",
		"",
	};
	struct vma_list l;

	(void)state;
	load_parse("real-names.txt", &l);
	assert_int_equal(l.n, 6);
	assert_clean(&l);
	for (size_t i = 0; i < l.n; i++)
		assert_string_equal(l.v[i].name, want[i]);
	assert_int_equal(l.v[2].inode, 10952946);
	vma_list_free(&l);
}

static void test_real_shared(void **state)
{
	struct vma_list l;

	(void)state;
	load_parse("real-shared.txt", &l);
	assert_int_equal(l.n, 4);
	assert_clean(&l);
	assert_string_equal(l.v[0].name, "/dev/zero (deleted)");
	assert_true(vma_is_shared(&l.v[0]));
	assert_string_equal(l.v[1].perms, "r--s");
	assert_int_equal(l.v[1].offset, 0x4000);
	assert_int_equal(l.v[1].vmflags, flags_of("rd sh mr mw me ms"));
	assert_string_equal(l.v[2].perms, "rw-p");
	assert_false(vma_is_shared(&l.v[2]));
	assert_int_equal(l.v[2].vmflags, flags_of("rd wr mr mw me ac"));
	assert_string_equal(l.v[3].name, "/tmp/pvmmap-capture/shared.bin");
	assert_int_equal(l.v[3].inode, 10952866);
	assert_int_equal(vma_size(&l.v[3]), 0x8000);
	vma_list_free(&l);

	load_parse("real-memfd.txt", &l);
	assert_int_equal(l.n, 4);
	assert_clean(&l);
	assert_string_equal(l.v[0].name, "/memfd:pvmmap-test (deleted)");
	assert_int_equal(l.v[0].rss, 5 * 4096);
	assert_string_equal(l.v[2].name, "/tmp/pvmmap-capture/gone.bin (deleted)");
	assert_string_equal(l.v[3].name, "/memfd:with space (deleted)");
	vma_list_free(&l);

	load_parse("real-sysv.txt", &l);
	assert_int_equal(l.n, 2);
	assert_clean(&l);
	assert_string_equal(l.v[0].name, "/SYSV00005056 (deleted)");
	assert_int_equal(l.v[0].inode, 3);
	assert_int_equal(l.v[0].vmflags, flags_of("rd mr me ms"));
	assert_string_equal(l.v[1].name, "/SYSV00000000 (deleted)");
	assert_int_equal(l.v[1].inode, 2);
	assert_int_equal(l.v[1].dev_minor, 1);
	vma_list_free(&l);

	load_parse("real-threads.txt", &l);
	assert_int_equal(l.n, 5);
	assert_clean(&l);
	assert_string_equal(l.v[0].perms, "---p");
	assert_int_equal(l.v[0].vmflags, flags_of("mr mw me nh"));
	assert_int_equal(vma_size(&l.v[1]), 8 << 20);
	assert_string_equal(l.v[4].name, "[stack]");
	vma_list_free(&l);

	load_parse("real-python3.txt", &l);
	assert_int_equal(l.n, 19);
	assert_clean(&l);
	assert_string_equal(l.v[0].name, "/root/.pyenv/versions/3.11.7/bin/python3.11");
	assert_string_equal(l.v[5].name, "[heap]");
	vma_list_free(&l);
}

static void test_old_kernels(void **state)
{
	struct vma_list l;
	const struct vma *v;

	(void)state;
	load_parse("hand-linux-4.9.txt", &l);
	assert_int_equal(l.n, 14);
	assert_clean(&l);
	v = &l.v[0];
	assert_int_equal(v->start, 0x400000);
	assert_int_equal(v->end, 0x40c000);
	assert_int_equal(v->dev_major, 8);
	assert_int_equal(v->dev_minor, 1);
	assert_int_equal(v->rss, 48 * 1024);
	/* KernelPageSize came after SwapPss before 4.14 */
	assert_int_equal(v->kernel_page_size, 4096);
	assert_int_equal(v->mmu_page_size, 4096);
	assert_int_equal(v->thp_eligible, -1);
	assert_int_equal(v->pkey, -1);
	assert_int_equal(v->vmflags, flags_of("rd ex mr mw me dw sd"));
	assert_int_equal(l.v[8].swap, 4096);
	assert_int_equal(l.v[9].locked, 12288);
	assert_true(l.v[9].vmflags & VMF(LO));
	assert_string_equal(l.v[13].perms, "r-xp");
	assert_string_equal(l.v[13].name, "[vsyscall]");
	vma_list_free(&l);

	load_parse("hand-linux-5.10.txt", &l);
	assert_int_equal(l.n, 13);
	assert_clean(&l);
	assert_int_equal(l.v[0].thp_eligible, 0);
	assert_int_equal(l.v[0].pkey, 0);
	assert_int_equal(l.v[0].vmflags, flags_of("rd mr mw me dw sd"));
	assert_int_equal(l.v[3].thp_eligible, 1);
	assert_int_equal(l.v[4].anon_huge, 4096 * 1024);
	assert_int_equal(l.v[4].vmflags, flags_of("rd wr mr mw me ac sd hg"));
	assert_int_equal(l.v[5].pkey, 3);
	assert_string_equal(l.v[6].name, "/dev/shm/pulse-shm-1422052536 (deleted)");
	assert_string_equal(l.v[7].name, "/[aio] (deleted)");
	assert_int_equal(l.v[7].dev_minor, 0x11);
	assert_int_equal(l.v[8].locked, 4096);
	vma_list_free(&l);

	load_parse("hand-linux-6.13-names.txt", &l);
	assert_int_equal(l.n, 9);
	assert_clean(&l);
	assert_string_equal(l.v[0].name, "[anon:pvmmap arena]");
	assert_string_equal(l.v[2].name, "[anon_shmem:ring]");
	assert_int_equal(l.v[3].vmflags, flags_of("rd wr mr mw me gu ac"));
	assert_string_equal(l.v[4].name, "[uprobes]");
	assert_string_equal(l.v[6].name, "[vvar_vclock]");
	assert_int_equal(l.v[7].vmflags, flags_of("rd ex mr mw me de sl"));
	vma_list_free(&l);

	load_parse("hand-unknown-codes.txt", &l);
	assert_int_equal(l.n, 3);
	assert_clean(&l);
	assert_int_equal(l.v[0].vmflags, flags_of("rd ex mr mw me bt"));
	assert_false(l.v[0].unknown_vmflag);
	assert_int_equal(l.v[1].vmflags, flags_of("rd wr mr mw me ac mt"));
	assert_int_equal(l.v[2].vmflags, flags_of("rd wr mr mw me ac"));
	assert_true(l.v[2].unknown_vmflag);
	vma_list_free(&l);
}

static void test_bad_files(void **state)
{
	struct vma_list l;

	(void)state;
	load_parse("hand-truncated.txt", &l);
	assert_int_equal(l.n, 2);
	assert_false(l.v[0].malformed);
	assert_true(l.v[1].malformed);
	assert_int_equal(l.v[1].start, 0x7f1436535000);
	vma_list_free(&l);

	/* CRLF: nothing can be trusted, nothing may crash. */
	load_parse("hand-crlf.txt", &l);
	assert_int_equal(l.n, 2);
	assert_true(l.v[0].malformed);
	assert_true(l.v[1].malformed);
	assert_string_equal(l.v[0].name, "/SYSV00005056 (deleted)\r");
	vma_list_free(&l);

	static const uint64_t starts[] = {
		0x1000, 0x3000, 0x2000, 0x8000, 0xa000, 0xc000, UINT64_MAX,
	};
	load_parse("hand-garbage.txt", &l);
	assert_int_equal(l.n, sizeof(starts) / sizeof(starts[0]));
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.v[i].start, starts[i]);
		assert_true(l.v[i].malformed);
	}
	assert_int_equal(l.v[0].rss, UINT64_MAX - 1023);
	assert_int_equal(l.v[0].pss, 0);
	assert_int_equal(l.v[0].pkey, -1);
	assert_int_equal(l.v[0].thp_eligible, -1);
	assert_int_equal(l.v[0].vmflags, flags_of("rd wr mr mw me ac"));
	assert_string_equal(l.v[2].name, "[overlap]");
	assert_string_equal(l.v[3].name, "nul");
	assert_int_equal(l.v[3].offset, 0xfffffffffffff000);
	assert_int_equal(strlen(l.v[4].name), 3000);
	assert_string_equal(l.v[5].name, "/backwards");
	assert_int_equal(l.v[6].dev_major, UINT32_MAX);
	vma_list_free(&l);
}

/*
 * Cut a recorded file at every byte: the VMAs whose records are complete
 * must come out exactly as from the whole file; the one at the cut must not
 * be trusted; nothing after it may appear.
 */
static void check_every_cut(const char *file)
{
	struct vma_list ref, l;
	size_t len, nrec = 0, *rec_end;
	char *text = load(file, &len);

	parse_n(text, len, &ref);
	assert_true(ref.n > 0);
	assert_clean(&ref);
	rec_end = calloc(ref.n, sizeof(*rec_end));
	assert_non_null(rec_end);
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		assert_non_null(nl);
		if (!strncmp(text + pos, "VmFlags:", 8))
			rec_end[nrec++] = (size_t)(nl - text) + 1;
		pos = (size_t)(nl - text) + 1;
	}
	assert_int_equal(nrec, ref.n);
	assert_int_equal(rec_end[nrec - 1], len);

	for (size_t k = 0; k <= len; k++) {
		size_t complete = 0, started;

		while (complete < nrec && rec_end[complete] <= k)
			complete++;
		started = complete + (complete < nrec && k > (complete ? rec_end[complete - 1] : 0));
		parse_n(text, k, &l);
		if (l.n < complete || l.n > started)
			fail_msg("%s cut at %zu: %zu VMAs, want %zu..%zu", file, k, l.n,
				 complete, started);
		for (size_t i = 0; i < complete; i++)
			assert_vma_equal(&l.v[i], &ref.v[i]);
		if (l.n > complete) {
			const struct vma *v = &l.v[complete];

			assert_int_equal(v->start, ref.v[complete].start);
			assert_int_equal(v->end, ref.v[complete].end);
			if (!v->malformed && (complete || v->has_vmflags))
				fail_msg("%s cut at %zu: VMA %zu trusted", file, k, complete);
		}
		vma_list_free(&l);
	}
	free(rec_end);
	vma_list_free(&ref);
	free(text);
}

static void test_truncate_everywhere(void **state)
{
	static const char *const files[] = {
		"real-cat-self.txt", "real-python3.txt", "real-flags.txt", "real-names.txt",
		"real-memfd.txt", "real-shared.txt", "real-sysv.txt", "real-threads.txt",
		"hand-linux-4.9.txt", "hand-linux-5.10.txt", "hand-linux-6.13-names.txt",
		"hand-unknown-codes.txt",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		check_every_cut(files[i]);
}

/* @fn on every recorded input: how many it counted (returned true for). */
static int each_recording(bool (*fn)(const char *name))
{
	DIR *d = opendir(DATA);
	struct dirent *e;
	int nfiles = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 4 || strcmp(e->d_name + len - 4, ".txt"))
			continue;
		if (fn(e->d_name))
			nfiles++;
	}
	closedir(d);
	return nfiles;
}

static bool parses(const char *name)
{
	struct vma_list l;

	load_parse(name, &l);
	assert_true(l.n > 0);
	vma_list_free(&l);
	return true;
}

/* Every file in the directory parses; the well-formed ones are in the list. */
static void test_all_files_parse(void **state)
{
	(void)state;
	assert_true(each_recording(parses) >= 15);
}

/* ---- vma_find ---- */

static void test_vma_find(void **state)
{
	struct vma_list l, empty = { 0 };

	(void)state;
	assert_null(vma_find(NULL, 0));
	assert_null(vma_find(&empty, 0));
	assert_null(vma_find(&empty, UINT64_MAX));

	parse("1000-2000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "2000-3000 rw-p 00000000 00:00 0 \nVmFlags: rd \n"
	      "5000-6000 rw-p 00000000 00:00 0 \nVmFlags: rd \n", &l);
	assert_ptr_equal(vma_find(&l, 0), &l.v[0]);
	assert_ptr_equal(vma_find(&l, 0xfff), &l.v[0]);
	assert_ptr_equal(vma_find(&l, 0x1000), &l.v[0]);
	assert_ptr_equal(vma_find(&l, 0x1fff), &l.v[0]);
	assert_ptr_equal(vma_find(&l, 0x2000), &l.v[1]);
	assert_ptr_equal(vma_find(&l, 0x2fff), &l.v[1]);
	assert_ptr_equal(vma_find(&l, 0x3000), &l.v[2]);   /* in the gap: the next */
	assert_ptr_equal(vma_find(&l, 0x4fff), &l.v[2]);
	assert_ptr_equal(vma_find(&l, 0x5fff), &l.v[2]);
	assert_null(vma_find(&l, 0x6000));
	assert_null(vma_find(&l, UINT64_MAX));
	vma_list_free(&l);

	parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n"
	      "VmFlags: ex \n", &l);
	assert_ptr_equal(vma_find(&l, 0), &l.v[0]);
	assert_ptr_equal(vma_find(&l, 0xffffffffff600fff), &l.v[0]);
	assert_null(vma_find(&l, 0xffffffffff601000));
	vma_list_free(&l);

	/* Many VMAs: every boundary of every one. */
	load_parse("real-python3.txt", &l);
	for (size_t i = 0; i < l.n; i++) {
		assert_ptr_equal(vma_find(&l, l.v[i].start), &l.v[i]);
		assert_ptr_equal(vma_find(&l, l.v[i].end - 1), &l.v[i]);
		if (i + 1 < l.n)
			assert_ptr_equal(vma_find(&l, l.v[i].end), &l.v[i + 1]);
	}
	assert_null(vma_find(&l, l.v[l.n - 1].end));
	vma_list_free(&l);
}

/* ---- vma_smaps_read ---- */

static int open_proc(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void test_read_self(void **state)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct vma_list l = { 0 };
	const struct vma *v;
	/* Not a local's address: ASan may keep locals on a fake stack. */
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	int procfd, mfd;
	char *shared, *anon;

	(void)state;
	mfd = memfd_create("pvmmap-unit", MFD_CLOEXEC);
	assert_true(mfd >= 0);
	assert_int_equal(ftruncate(mfd, (off_t)(3 * pg)), 0);
	shared = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	assert_true(shared != MAP_FAILED);
	shared[0] = 1;
	anon = mmap(NULL, 5 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(anon != MAP_FAILED);
	assert_int_equal(madvise(anon, 5 * pg, MADV_DONTDUMP), 0);

	procfd = open_proc(getpid());
	assert_int_equal(vma_smaps_read(procfd, &l), 0);
	close(procfd);
	assert_true(l.n > 10);
	assert_clean(&l);

	v = vma_find(&l, (uintptr_t)shared);
	assert_non_null(v);
	assert_int_equal(v->start, (uintptr_t)shared);
	assert_int_equal(v->end, (uintptr_t)shared + 3 * pg);
	assert_string_equal(v->perms, "rw-s");
	assert_string_equal(v->name, "/memfd:pvmmap-unit (deleted)");
	assert_int_equal(v->rss, pg);
	assert_int_equal(v->vmflags, flags_of("rd wr sh mr mw me ms"));

	v = vma_find(&l, (uintptr_t)anon);
	assert_non_null(v);
	assert_int_equal(v->start, (uintptr_t)anon);
	assert_int_equal(v->end, (uintptr_t)anon + 5 * pg);
	assert_string_equal(v->perms, "r--p");
	assert_string_equal(v->name, "");
	assert_int_equal(v->vmflags, flags_of("rd mr mw me dd"));

	v = vma_find(&l, sp);
	assert_non_null(v);
	assert_true(v->start <= sp);
	assert_string_equal(v->name, "[stack]");
	assert_true(v->vmflags & VMF(GD));

	vma_list_free(&l);
	munmap(shared, 3 * pg);
	munmap(anon, 5 * pg);
	close(mfd);
}

/* Thousands of VMAs: smaps is several MB, read in many pieces. */
static void test_read_many(void **state)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = 8000;
	struct vma_list l = { 0 };
	char *base;
	int procfd;
	size_t found = 0;

	(void)state;
	/* PROT_NONE fences: the pages inside must not merge with neighbours. */
	base = mmap(NULL, (n + 2) * pg, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	assert_int_equal(mprotect(base, pg, PROT_NONE), 0);
	assert_int_equal(mprotect(base + (n + 1) * pg, pg, PROT_NONE), 0);
	for (size_t i = 1; i <= n; i += 2)
		assert_int_equal(mprotect(base + i * pg, pg, PROT_READ), 0);
	procfd = open_proc(getpid());
	assert_int_equal(vma_smaps_read(procfd, &l), 0);
	close(procfd);
	assert_clean(&l);
	for (size_t i = 1; i <= n; i++) {
		const struct vma *v = vma_find(&l, (uintptr_t)(base + i * pg));

		assert_non_null(v);
		assert_int_equal(v->start, (uintptr_t)(base + i * pg));
		assert_int_equal(v->end, (uintptr_t)(base + (i + 1) * pg));
		assert_string_equal(v->perms, i % 2 ? "r--p" : "rw-p");
		found++;
	}
	assert_int_equal(found, n);
	assert_true(l.n >= n);
	vma_list_free(&l);
	munmap(base, (n + 2) * pg);
}

/*
 * A process that has exited: -ESRCH both as a zombie (its smaps reads
 * empty) and once reaped (openat fails).  The list stays empty.
 */
/* A child that exits when *@wake is closed. */
static pid_t fork_waiter(int *wake)
{
	int pfd[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(pfd[1]);
		if (read(pfd[0], &c, 1) < 0)
			_exit(2);
		_exit(0);
	}
	close(pfd[0]);
	*wake = pfd[1];
	return pid;
}

static void test_read_exited(void **state)
{
	struct vma_list l = { 0 };
	int wake, procfd;
	siginfo_t si;
	pid_t pid;

	(void)state;
	pid = fork_waiter(&wake);
	procfd = open_proc(pid);
	assert_int_equal(vma_smaps_read(procfd, &l), 0);
	assert_true(l.n > 0);
	vma_list_free(&l);

	close(wake);
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(vma_smaps_read(procfd, &l), -ESRCH);
	assert_int_equal(l.n, 0);
	assert_null(l.v);

	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(vma_smaps_read(procfd, &l), -ESRCH);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	close(procfd);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/*
 * A leader that called pthread_exit() is a zombie with an empty smaps while
 * its threads run: the process is alive and its VMAs must be found.
 */
static void test_read_leader_exited(void **state)
{
	struct vma_list l = { 0 };
	char path[64], st;
	int procfd, i;
	pid_t pid;
	FILE *f;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		pthread_t t;

		/* A failed assertion must not leave it behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (pthread_create(&t, NULL, sleeper, NULL))
			_exit(2);
		pthread_exit(NULL);
	}
	procfd = open_proc(pid);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 500; i++) {
		f = fopen(path, "re");
		assert_non_null(f);
		assert_int_equal(fscanf(f, "%*d (%*[^)]) %c", &st), 1);
		fclose(f);
		if (st == 'Z')
			break;
		usleep(10000);
	}
	assert_int_equal(st, 'Z');
	assert_int_equal(vma_smaps_read(procfd, &l), 0);
	assert_true(l.n > 5);
	assert_clean(&l);
	vma_list_free(&l);
	assert_int_equal(vma_maps_read(procfd, &l), 0);
	assert_true(l.n > 5);
	vma_list_free(&l);
	/* PROCMAP_QUERY on the leader has no mm (ESRCH): through the threads */
	assert_int_equal(vma_range_read(procfd, 0, UINT64_MAX, &l), 0);
	assert_true(l.n > 5);
	assert_clean(&l);
	vma_list_free(&l);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(vma_smaps_read(procfd, &l), -ESRCH);
	assert_null(l.v);
	close(procfd);
}

/* A kernel thread has no mm: an empty list, not an error. */
static void test_read_kthread(void **state)
{
	struct vma_list l = { 0 };
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t kpid = 0;
	int procfd;

	(void)state;
	assert_non_null(d);
	while (!kpid && (e = readdir(d))) {
		char path[300], buf[1024];
		unsigned flags;
		char *rp;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')) &&
		    sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %u", &flags) == 1 &&
		    (flags & 0x00200000))
			kpid = atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	if (!kpid)
		skip();
	procfd = open_proc(kpid);
	assert_int_equal(vma_smaps_read(procfd, &l), 0);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	assert_int_equal(vma_maps_read(procfd, &l), 0);
	assert_int_equal(l.n, 0);
	close(procfd);
}

static void test_read_errors(void **state)
{
	struct vma_list l = { 0 };
	int fd;

	(void)state;
	assert_int_equal(vma_smaps_read(-1, &l), -EBADF);
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(vma_smaps_read(fd, &l), -ENOENT);
	close(fd);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
}

/* ---- a range: the streaming reader and PROCMAP_QUERY ---- */

/* Every field equal, as assert_vma_equal checks them; false instead of failing. */
static bool vma_same(const struct vma *a, const struct vma *b)
{
	return a->start == b->start && a->end == b->end && !strcmp(a->perms, b->perms) &&
	       a->offset == b->offset && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && a->inode == b->inode &&
	       !strcmp(a->name, b->name) && a->rss == b->rss && a->pss == b->pss &&
	       a->anonymous == b->anonymous && a->anon_huge == b->anon_huge &&
	       a->swap == b->swap && a->locked == b->locked &&
	       a->shared_hugetlb == b->shared_hugetlb &&
	       a->private_hugetlb == b->private_hugetlb &&
	       a->kernel_page_size == b->kernel_page_size &&
	       a->mmu_page_size == b->mmu_page_size && a->pkey == b->pkey &&
	       a->thp_eligible == b->thp_eligible && a->vmflags == b->vmflags &&
	       a->has_vmflags == b->has_vmflags && a->unknown_vmflag == b->unknown_vmflag &&
	       a->malformed == b->malformed;
}

static bool lists_same(const struct vma_list *a, const struct vma_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!vma_same(&a->v[i], &b->v[i]))
			return false;
	return true;
}

/* The VMAs of @all that meet [start, end), copied (names shared, not owned). */
static void meeting(const struct vma_list *all, uint64_t start, uint64_t end,
		    struct vma_list *out)
{
	memset(out, 0, sizeof(*out));
	out->v = calloc(all->n ? all->n : 1, sizeof(*out->v));
	assert_non_null(out->v);
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i].end > start && all->v[i].start < end)
			out->v[out->n++] = all->v[i];
}

static void assert_lists_equal(const struct vma_list *a, const struct vma_list *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_vma_equal(&a->v[i], &b->v[i]);
}

/* Ranges over the VMAs of @l: one page of each kind of place, ranges that
 * cut VMAs, holes, the whole space.  At most @max into @r. */
static size_t ranges_of(const struct vma_list *l, uint64_t (*r)[2], size_t max)
{
	const uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
	size_t n = 0;

#define RANGE(a, b) do { if (n < max) { r[n][0] = (a); r[n][1] = (b); n++; } } while (0)
	RANGE(0, UINT64_MAX);
	RANGE(0, pg);
	RANGE(UINT64_MAX - pg, UINT64_MAX);
	for (size_t i = 0; i < l->n; i++) {
		const struct vma *v = &l->v[i];

		if (i % 7 == 0)
			RANGE(v->start, v->start + pg);              /* one page */
		if (i % 5 == 0 && vma_size(v) > pg)
			RANGE(v->end - pg, v->end);                  /* its last page */
		if (i + 2 < l->n && i % 3 == 0)                      /* cuts two VMAs */
			RANGE(v->start + (vma_size(v) > pg ? pg : 0),
			      l->v[i + 2].end - (vma_size(&l->v[i + 2]) > pg ? pg : 0));
		if (i + 1 < l->n && v->end < l->v[i + 1].start) {
			RANGE(v->end, l->v[i + 1].start);            /* a hole only */
			RANGE(v->end - pg, l->v[i + 1].start + pg);  /* a hole and both sides */
		}
	}
#undef RANGE
	return n;
}

static bool good_recording(const struct vma_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].malformed)
			return false;
	return l->n > 0;
}

/* A memfd holding @text, at offset 0. */
static int text_fd(const char *text, size_t len)
{
	int fd = memfd_create("smaps-text", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* On every recorded input, for many ranges: what the range parser and the
 * streaming reader keep is what a whole parse gives, filtered. */
static bool ranges_agree(const char *name)
{
	static uint64_t r[512][2];
	struct vma_list all;
	size_t nr, tlen;
	char *text = load(name, &tlen);

	parse_n(text, tlen, &all);
	/* out-of-order or cut text: the whole parse's verdicts may rest on
	 * VMAs after the range, which a range never reads */
	if (!good_recording(&all)) {
		vma_list_free(&all);
		free(text);
		return false;
	}
	nr = ranges_of(&all, r, 512);
	for (size_t k = 0; k < nr; k++) {
		struct vma_list want, got = { 0 }, st = { 0 };
		size_t bytes = 0;
		int fd = text_fd(text, tlen);

		meeting(&all, r[k][0], r[k][1], &want);
		assert_int_equal(vma_smaps_parse_range(text, tlen, r[k][0], r[k][1], &got), 0);
		assert_lists_equal(&want, &got);
		assert_int_equal(vma_smaps_stream(fd, r[k][0], r[k][1], &st, &bytes), 0);
		assert_lists_equal(&want, &st);
		assert_true(bytes <= tlen);
		close(fd);
		free(want.v);
		vma_list_free(&got);
		vma_list_free(&st);
	}
	vma_list_free(&all);
	free(text);
	return true;
}

static void test_range_recorded(void **state)
{
	(void)state;
	assert_true(each_recording(ranges_agree) >= 8);
}

/* One synthetic VMA of smaps, as 6.18 prints it, at page @i. */
static size_t huge_entry(char *buf, size_t cap, uint64_t i)
{
	uint64_t a = UINT64_C(0x100000000) + i * 0x2000;
	int n = snprintf(buf, cap,
		"%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0 \n"
		"Size:                  4 kB\nKernelPageSize:        4 kB\n"
		"MMUPageSize:           4 kB\nRss:                   4 kB\n"
		"Pss:                   4 kB\nAnonymous:             4 kB\n"
		"AnonHugePages:         0 kB\nSwap:                  0 kB\n"
		"Locked:                0 kB\nTHPeligible:           0\n"
		"ProtectionKey:         0\nVmFlags: rd wr mr mw me ac \n",
		a, a + 0x1000);

	assert_true(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

/*
 * A huge smaps (400 000 VMAs, ~170 MB of text, never held whole): with the
 * range at the start the reader stops after its first 64 KiB; with it at
 * the end it reads everything through one bounded buffer and keeps one VMA.
 */
#define HUGE_VMAS UINT64_C(400000)

struct huge_writer { int fd; uint64_t from; };

static void *write_huge(void *arg)
{
	struct huge_writer *w = arg;
	char buf[1024];

	for (uint64_t i = w->from; i < HUGE_VMAS; i++) {
		size_t n = huge_entry(buf, sizeof(buf), i);

		if (write(w->fd, buf, n) != (ssize_t)n)
			break;          /* EPIPE: the reader stopped */
	}
	close(w->fd);
	return NULL;
}

static void stream_huge(uint64_t start, uint64_t end, struct vma_list *l, size_t *bytes)
{
	struct huge_writer w;
	pthread_t t;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	w.fd = p[1];
	w.from = 0;
	assert_int_equal(pthread_create(&t, NULL, write_huge, &w), 0);
	memset(l, 0, sizeof(*l));
	assert_int_equal(vma_smaps_stream(p[0], start, end, l, bytes), 0);
	close(p[0]);            /* the writer, if still writing, gets EPIPE */
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_stream_huge(void **state)
{
	const uint64_t base = UINT64_C(0x100000000);
	struct vma_list l;
	size_t bytes, total;
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	char one[1024];

	(void)state;
	stream_huge(base, base + 0x1000, &l, &bytes);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].start, base);
	assert_int_equal(l.v[0].rss, 4096);
	assert_int_equal(l.v[0].vmflags, flags_of("rd wr mr mw me ac"));
	assert_false(l.v[0].malformed);
	/* stopped at once: one buffer, not the file */
	assert_true(bytes <= (size_t)64 << 10);
	vma_list_free(&l);

	/* the last VMA: everything read, one kept, the list never grew */
	stream_huge(base + (HUGE_VMAS - 1) * 0x2000, UINT64_MAX, &l, &bytes);
	assert_int_equal(l.n, 1);
	assert_true(l.cap <= 32);
	assert_int_equal(l.v[0].start, base + (HUGE_VMAS - 1) * 0x2000);
	assert_false(l.v[0].malformed);
	total = 0;
	for (uint64_t i = 0; i < HUGE_VMAS; i++)
		total += huge_entry(one, sizeof(one), i);
	assert_int_equal(bytes, total);
	assert_true(bytes > (size_t)100 << 20);
	vma_list_free(&l);

	/* a hole after the last: nothing, everything read */
	stream_huge(base + HUGE_VMAS * 0x2000, UINT64_MAX, &l, &bytes);
	assert_int_equal(l.n, 0);
	vma_list_free(&l);
	signal(SIGPIPE, old);
}

/* A line longer than any the kernel prints is not smaps. */
static void test_stream_long_line(void **state)
{
	size_t len = (size_t)3 << 20;
	char *text = malloc(len);
	struct vma_list l = { 0 };
	int fd;

	(void)state;
	assert_non_null(text);
	memcpy(text, ANON_HDR, strlen(ANON_HDR));
	memset(text + strlen(ANON_HDR), 'x', len - strlen(ANON_HDR));
	fd = text_fd(text, len);
	assert_int_equal(vma_smaps_stream(fd, 0, UINT64_MAX, &l, NULL), -EBADMSG);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	close(fd);
	free(text);
}

/* @h holds the headers of @full's VMAs (the gate VMA's too unless @no_gate),
 * with no smaps field. */
static void assert_headers_equal(const struct vma_list *full, const struct vma_list *h,
				 bool no_gate)
{
	size_t k = 0;

	for (size_t i = 0; i < full->n; i++) {
		const struct vma *a = &full->v[i];

		if (no_gate && !strcmp(a->name, "[vsyscall]"))
			continue;
		assert_true(k < h->n);
		assert_int_equal(a->start, h->v[k].start);
		assert_int_equal(a->end, h->v[k].end);
		assert_string_equal(a->perms, h->v[k].perms);
		assert_int_equal(a->offset, h->v[k].offset);
		assert_int_equal(a->dev_major, h->v[k].dev_major);
		assert_int_equal(a->dev_minor, h->v[k].dev_minor);
		assert_int_equal(a->inode, h->v[k].inode);
		assert_string_equal(a->name, h->v[k].name);
		/* PROCMAP_QUERY says it, maps does not */
		if (no_gate)
			assert_int_equal(a->kernel_page_size, h->v[k].kernel_page_size);
		assert_false(h->v[k].has_vmflags);
		assert_false(h->v[k].malformed);
		k++;
	}
	assert_int_equal(k, h->n);
}

/*
 * Live: for each range, the range readers give what the whole reader
 * gives, filtered, field for field.  Pss moves when another process maps
 * or unmaps a shared page (libc's), so the comparison holds only between
 * two whole reads that agree, and even then another process may have come
 * and gone between them (CI failed once on a libc Pss, 0x2800 != 0x2400):
 * a try counts when all the reads agree; only the last try asserts, so a
 * reader that is wrong fails every try and then fails here.
 */
static void check_live_range(int procfd, uint64_t start, uint64_t end)
{
	const int tries = 20;

	for (int t = 0; t < tries; t++) {
		struct vma_list w1 = { 0 }, w2 = { 0 }, got = { 0 }, sr = { 0 }, q = { 0 };
		struct vma_list maps = { 0 }, m1, m2, mp;
		bool stable, queried;
		int qr;

		assert_int_equal(vma_smaps_read(procfd, &w1), 0);
		assert_int_equal(vma_range_read(procfd, start, end, &got), 0);
		assert_int_equal(vma_smaps_read_range(procfd, start, end, &sr), 0);
		/* PROCMAP_QUERY is 6.11's: before it, the other readers alone */
		qr = vma_query_range(procfd, start, end, &q);
		queried = qr != -EOPNOTSUPP;
		if (queried)
			assert_int_equal(qr, 0);
		assert_int_equal(vma_smaps_read(procfd, &w2), 0);
		assert_int_equal(vma_maps_read(procfd, &maps), 0);
		meeting(&maps, start, end, &mp);
		meeting(&w1, start, end, &m1);
		meeting(&w2, start, end, &m2);
		stable = lists_same(&m1, &m2) && lists_same(&m1, &got) && lists_same(&m1, &sr);
		if (stable || t == tries - 1) {
			assert_lists_equal(&m1, &got);
			assert_lists_equal(&m1, &sr);
			/* the headers, but for the gate VMA only smaps shows */
			if (queried)
				assert_headers_equal(&m1, &q, true);
			assert_headers_equal(&m1, &mp, false);
		}
		free(m1.v);
		free(m2.v);
		free(mp.v);
		vma_list_free(&maps);
		vma_list_free(&w1);
		vma_list_free(&w2);
		vma_list_free(&got);
		vma_list_free(&sr);
		vma_list_free(&q);
		if (stable)
			return;
		test_sleep_ms(10);
	}
}

static void check_live(pid_t pid)
{
	static uint64_t r[4096][2];
	struct vma_list all = { 0 };
	int procfd = open_proc(pid);
	size_t n;

	assert_int_equal(vma_smaps_read(procfd, &all), 0);
	n = ranges_of(&all, r, 4096);
	vma_list_free(&all);
	assert_true(n > 10);
	for (size_t k = 0; k < n; k++)
		check_live_range(procfd, r[k][0], r[k][1]);
	close(procfd);
}

/* Our own mappings, laid out with holes and kinds (the test's other
 * mappings come and go with its mallocs: only this region holds still). */
static void test_range_live_self(void **state)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char *base = mmap(NULL, 32 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int mfd = memfd_create("range\nnl", MFD_CLOEXEC), procfd;
	uint64_t b;

	(void)state;
	assert_true(base != MAP_FAILED);
	assert_true(mfd >= 0);
	b = (uintptr_t)base;
	assert_int_equal(ftruncate(mfd, (off_t)(8 * pg)), 0);
	assert_true(mmap(base, 4 * pg, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE |
			 MAP_ANONYMOUS | MAP_POPULATE, -1, 0) == base);
	assert_int_equal(munmap(base + 4 * pg, 2 * pg), 0);
	assert_true(mmap(base + 6 * pg, 4 * pg, PROT_READ, MAP_FIXED | MAP_SHARED, mfd,
			 (off_t)(2 * pg)) == base + 6 * pg);
	assert_int_equal(munmap(base + 10 * pg, pg), 0);
	assert_true(mmap(base + 11 * pg, 9 * pg, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0) ==
		    base + 11 * pg);
	assert_int_equal(madvise(base + 11 * pg, 9 * pg, MADV_DONTFORK), 0);

	procfd = open_proc(getpid());
	check_live_range(procfd, b, b + pg);                    /* one page */
	check_live_range(procfd, b + 2 * pg, b + 8 * pg);       /* cuts two, a hole */
	check_live_range(procfd, b + 4 * pg, b + 6 * pg);       /* a hole only */
	check_live_range(procfd, b + 10 * pg, b + 11 * pg);     /* a hole only */
	check_live_range(procfd, b + 5 * pg, b + 12 * pg);      /* hole, VMA, hole, VMA */
	check_live_range(procfd, b, b + 32 * pg);               /* the region */
	close(procfd);
	munmap(base, 32 * pg);
	close(mfd);
}

#define VICTIM PVMMAP_FIXTURES "/victim"

/* The victim fixture, idle: every range of ranges_of, the whole space too. */
static void test_range_live_victim(void **state)
{
	char a0[] = VICTIM;
	char *argv[] = { a0, NULL };
	struct victim v;

	(void)state;
	victim_start(&v, argv, NULL, NULL);
	check_live(v.pid);
	victim_stop(&v);
}

/* No mm: a kernel thread's range is empty; a zombie's and a reaped
 * process's are gone, as vma_smaps_read says. */
static void test_range_no_mm(void **state)
{
	struct vma_list l = { 0 };
	int wake, procfd, r;
	siginfo_t si;
	pid_t pid;

	(void)state;
	procfd = open_proc(2);          /* kthreadd */
	assert_int_equal(vma_range_read(procfd, 0, UINT64_MAX, &l), 0);
	assert_int_equal(l.n, 0);
	close(procfd);

	pid = fork_waiter(&wake);
	procfd = open_proc(pid);
	assert_int_equal(vma_range_read(procfd, 0, UINT64_MAX, &l), 0);
	assert_true(l.n > 0);
	vma_list_free(&l);
	close(wake);
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(vma_range_read(procfd, 0, UINT64_MAX, &l), -ESRCH);
	r = vma_query_range(procfd, 0, UINT64_MAX, &l);
	if (r != -EOPNOTSUPP)           /* PROCMAP_QUERY: 6.11 */
		assert_int_equal(r, -ESRCH);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(vma_range_read(procfd, 0, UINT64_MAX, &l), -ESRCH);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	close(procfd);
}

/*
 * A cursor (issue 10, the `high` case): a child of CURSOR_VMAS rw pages
 * between PROT_NONE guards, then K (rw), a hole, R (rw, the range's VMA).
 * The child madvises and maps on command ('f', 'h'), answering 'k'.
 */
#define CURSOR_VMAS 1000

struct cursor_child {
	pid_t pid;
	int cmd, ack, procfd;
	uintptr_t k, hole, r;
	size_t pg;
};

static void cursor_child_start(struct cursor_child *c)
{
	const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = 2 * CURSOR_VMAS + 6;
	char *base = mmap(NULL, pages * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int to[2], from[2];
	char ch;

	assert_true(base != MAP_FAILED);
	for (size_t i = 0; i <= CURSOR_VMAS; i++)
		assert_int_equal(mprotect(base + 2 * i * pg, pg, PROT_READ | PROT_WRITE), 0);
	c->pg = pg;
	c->k = (uintptr_t)base + 2 * CURSOR_VMAS * pg;
	c->hole = c->k + pg;
	c->r = c->k + 2 * pg;
	assert_int_equal(munmap((void *)c->hole, pg), 0);
	assert_int_equal(mprotect((void *)c->r, pg, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (!c->pid) {
		close(to[1]);
		close(from[0]);
		while (read(to[0], &ch, 1) == 1) {
			if (ch == 'f' && (madvise((void *)c->r, pg, MADV_DONTFORK) ||
					  madvise((void *)c->k, pg, MADV_DONTDUMP)))
				_exit(2);
			/* MPOL_BIND (2) to node 0 */
			if (ch == 'm' && syscall(SYS_mbind, c->r, pg, 2, &(unsigned long){ 1 },
						 (unsigned long)64, 0))
				_exit(2);
			if (ch == 'h' && mmap((void *)c->hole, pg, PROT_READ,
					      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
				_exit(2);
			if (write(from[1], "k", 1) != 1)
				_exit(2);
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	c->cmd = to[1];
	c->ack = from[0];
	c->procfd = open_proc(c->pid);
	munmap(base, pages * pg);
}

static void cursor_child_do(struct cursor_child *c, char cmd)
{
	char ch = 0;

	assert_int_equal(write(c->cmd, &cmd, 1), 1);
	assert_int_equal(read(c->ack, &ch, 1), 1);
	assert_int_equal(ch, 'k');
}

static void cursor_child_stop(struct cursor_child *c)
{
	close(c->cmd);
	close(c->ack);
	close(c->procfd);
	assert_int_equal(waitpid(c->pid, NULL, 0), c->pid);
}

/* The range read afresh measures the text before it; a cursor is placed
 * (or the kernel has no PROCMAP_QUERY: skipped). */
static bool cursor_place(struct cursor_child *c, uint64_t start, uint64_t end,
			 struct vma_cursor *cur)
{
	struct vma_prefix pre = { 0 };
	struct vma_list l = { 0 };
	int r;

	assert_int_equal(vma_range_read_cur(c->procfd, start, end, NULL, &pre, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].start, c->r);
	vma_list_free(&l);
	assert_true(pre.records >= 2 * CURSOR_VMAS);
	assert_true(pre.bytes > (size_t)256 << 10);
	assert_int_equal(pre.last_start, c->k);
	r = vma_range_cursor(c->procfd, VMA_TEXT_SMAPS, start, &pre, cur);
	if (r == -EOPNOTSUPP)
		return false;
	assert_int_equal(r, 0);
	assert_true(cur->fd >= 0);
	return true;
}

/* The child, and a cursor for the range R (@from_hole: the hole and R);
 * the test is skipped without PROCMAP_QUERY. */
static void cursor_child_placed(struct cursor_child *c, bool from_hole, struct vma_cursor *cur)
{
	cursor_child_start(c);
	if (!cursor_place(c, from_hole ? c->hole : c->r, c->r + c->pg, cur)) {
		cursor_child_stop(c);
		skip();
	}
}

/* What changes after the cursor was placed shows in what it reads: it
 * prints the VMAs after K afresh. */
static void test_cursor_fresh(void **state)
{
	struct vma_cursor c1, c2;
	struct cursor_child c;
	struct vma_list l = { 0 };

	(void)state;
	cursor_child_placed(&c, false, &c1);
	assert_true(cursor_place(&c, c.r, c.r + c.pg, &c2));
	assert_int_equal(vma_range_read(c.procfd, c.r, c.r + c.pg, &l), 0);
	assert_false(l.v[0].vmflags & VMF(DC));
	vma_list_free(&l);
	cursor_child_do(&c, 'f');

	/* the continuation itself */
	assert_int_equal(vma_cursor_stream(&c1, c.r + c.pg, &l), 0);
	assert_int_equal(c1.fd, -1);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.v[0].start, c.r);
	assert_true(l.v[0].vmflags & VMF(DC));
	assert_false(l.v[0].malformed);
	vma_list_free(&l);
	assert_int_equal(vma_cursor_stream(&c1, c.r + c.pg, &l), -EBADF);

	/* the range reader through it, which closes it */
	assert_int_equal(vma_range_read_cur(c.procfd, c.r, c.r + c.pg, &c2, NULL, &l), 0);
	assert_int_equal(c2.fd, -1);
	assert_int_equal(l.n, 1);
	assert_true(l.v[0].vmflags & VMF(DC));
	vma_list_free(&l);
	cursor_child_stop(&c);
}

/* A VMA mapped into the hole at the range's start after the cursor was
 * placed is listed: by the continuation (6.18 goes on from K's end), or
 * by the fresh read that a difference from PROCMAP_QUERY falls back to,
 * which a cursor that reads nothing (/dev/null) forces. */
static void test_cursor_hole(void **state)
{
	struct vma_cursor c1, c2;
	struct cursor_child c;
	struct vma_list l = { 0 };
	int null;

	(void)state;
	cursor_child_placed(&c, true, &c1);
	assert_true(cursor_place(&c, c.hole, c.r + c.pg, &c2));
	cursor_child_do(&c, 'h');
	for (int k = 0; k < 2; k++) {
		struct vma_cursor *cur = k ? &c2 : &c1;

		if (k) {
			null = open("/dev/null", O_RDONLY | O_CLOEXEC);
			assert_true(null >= 0);
			assert_int_equal(dup2(null, cur->fd), cur->fd);
			close(null);
		}
		assert_int_equal(vma_range_read_cur(c.procfd, c.hole, c.r + c.pg, cur, NULL, &l), 0);
		assert_int_equal(cur->fd, -1);
		assert_int_equal(l.n, 2);
		assert_int_equal(l.v[0].start, c.hole);
		assert_string_equal(l.v[0].perms, "r--p");
		assert_true(l.v[0].has_vmflags);
		assert_int_equal(l.v[1].start, c.r);
		vma_list_free(&l);
	}
	cursor_child_stop(&c);
}

/* numa_maps: the placing stops inside K's line; what follows is the
 * lines of the VMAs after K, printed afresh (R's new policy). */
static void test_cursor_numa(void **state)
{
	struct vma_prefix pre = { 0 };
	struct vma_cursor cur, sm;
	struct cursor_child c;
	struct vma_list l = { 0 };
	char buf[4096], want[32];
	size_t len = 0;
	const char *line;
	ssize_t n;

	(void)state;
	cursor_child_placed(&c, false, &sm);
	vma_cursor_close(&sm);
	if (access("/proc/self/numa_maps", R_OK)) {
		cursor_child_stop(&c);
		skip();         /* no CONFIG_NUMA */
	}
	assert_int_equal(vma_range_read_cur(c.procfd, c.r, c.r + c.pg, NULL, &pre, &l), 0);
	vma_list_free(&l);
	assert_int_equal(vma_range_cursor(c.procfd, VMA_TEXT_NUMA, c.r, &pre, &cur), 0);
	assert_true(cur.fd >= 0);
	assert_true(cur.mid_line);
	cursor_child_do(&c, 'm');
	while ((n = read(cur.fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	vma_cursor_close(&cur);
	/* K's tail, then R (the hole has no line) */
	line = strchr(buf, '\n');
	assert_non_null(line);
	snprintf(want, sizeof(want), "%" PRIxPTR " bind:0", c.r);
	assert_memory_equal(line + 1, want, strlen(want));
	assert_true(line[1 + strlen(want)] == ' ' || line[1 + strlen(want)] == '\n');
	cursor_child_stop(&c);
}

/* No cursor: K read past (the VMAs moved), the knobs, a small prefix. */
static void test_cursor_refused(void **state)
{
	struct vma_prefix pre = { 0 };
	struct vma_cursor cur;
	struct cursor_child c;
	struct vma_list l = { 0 };

	(void)state;
	cursor_child_placed(&c, false, &cur);
	vma_cursor_close(&cur);
	assert_int_equal(cur.fd, -1);
	assert_int_equal(vma_range_read_cur(c.procfd, c.r, c.r + c.pg, NULL, &pre, &l), 0);
	vma_list_free(&l);

	/* a K above the range's start: R's header is read first */
	pre.last_start = c.r + c.pg;
	assert_int_equal(vma_cursor_position(c.procfd, VMA_TEXT_SMAPS, c.r, &pre, &cur), -ESTALE);
	assert_int_equal(cur.fd, -1);
	assert_int_equal(vma_range_cursor(c.procfd, VMA_TEXT_SMAPS, c.r, &pre, &cur), 0);
	assert_int_equal(cur.fd, -1);
	pre.last_start = c.k;

	setenv("PVMMAP_NO_SMAPS_CURSOR", "1", 1);
	assert_int_equal(vma_range_cursor(c.procfd, VMA_TEXT_SMAPS, c.r, &pre, &cur), 0);
	assert_int_equal(cur.fd, -1);
	unsetenv("PVMMAP_NO_SMAPS_CURSOR");

	/* without PROCMAP_QUERY, nothing would check what a cursor reads */
	setenv("PVMMAP_NO_PROCMAP_QUERY", "1", 1);
	assert_int_equal(vma_range_cursor(c.procfd, VMA_TEXT_SMAPS, c.r, &pre, &cur), -EOPNOTSUPP);
	assert_int_equal(cur.fd, -1);
	unsetenv("PVMMAP_NO_PROCMAP_QUERY");

	pre.bytes = 4096;
	assert_int_equal(vma_range_cursor(c.procfd, VMA_TEXT_SMAPS, c.r, &pre, &cur), 0);
	assert_int_equal(cur.fd, -1);
	cursor_child_stop(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vmflag_names),
		cmocka_unit_test(test_cursor_fresh),
		cmocka_unit_test(test_cursor_hole),
		cmocka_unit_test(test_cursor_numa),
		cmocka_unit_test(test_cursor_refused),
		cmocka_unit_test(test_all_fields),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_size_is_ignored),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_every_vmflag),
		cmocka_unit_test(test_all_vmflags_one_line),
		cmocka_unit_test(test_vmflags_unknown_and_bad),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_with_nul),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_header_vs_key),
		cmocka_unit_test(test_preamble_ignored),
		cmocka_unit_test(test_absurd_numbers),
		cmocka_unit_test(test_pkey_thp_values),
		cmocka_unit_test(test_header_limits),
		cmocka_unit_test(test_start_ge_end),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_cut_rules),
		cmocka_unit_test(test_real_cat_self),
		cmocka_unit_test(test_real_flags),
		cmocka_unit_test(test_real_names),
		cmocka_unit_test(test_real_shared),
		cmocka_unit_test(test_old_kernels),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_all_files_parse),
		cmocka_unit_test(test_vma_find),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_many),
		cmocka_unit_test(test_read_exited),
		cmocka_unit_test(test_read_leader_exited),
		cmocka_unit_test(test_read_kthread),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_range_recorded),
		cmocka_unit_test(test_stream_huge),
		cmocka_unit_test(test_stream_long_line),
		cmocka_unit_test(test_range_live_self),
		cmocka_unit_test(test_range_live_victim),
		cmocka_unit_test(test_range_no_mm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
