// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc/PID/smaps: the text the kernel prints, turned into struct vma.
 *
 * The format comes from fs/proc/task_mmu.c (show_map_vma, show_smap,
 * show_smap_vma_flags).  The parser believes a line only when it has exactly
 * the shape the kernel gives it; anything else marks the VMA it falls in as
 * malformed, so the planner refuses it rather than acting on a guess.  The
 * input is fuzzed: every read is bounded by the length, never by a NUL.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "vma.h"

static const char vmflag_names[VMF__COUNT][3] = {
	[VMF_RD] = "rd", [VMF_WR] = "wr", [VMF_EX] = "ex", [VMF_SH] = "sh",
	[VMF_MR] = "mr", [VMF_MW] = "mw", [VMF_ME] = "me", [VMF_MS] = "ms",
	[VMF_GD] = "gd", [VMF_PF] = "pf", [VMF_GU] = "gu", [VMF_LO] = "lo",
	[VMF_IO] = "io", [VMF_SR] = "sr", [VMF_RR] = "rr", [VMF_DC] = "dc",
	[VMF_DE] = "de", [VMF_AC] = "ac", [VMF_NR] = "nr", [VMF_HT] = "ht",
	[VMF_SF] = "sf", [VMF_AR] = "ar", [VMF_WF] = "wf", [VMF_DD] = "dd",
	[VMF_SD] = "sd", [VMF_MM] = "mm", [VMF_HG] = "hg", [VMF_NH] = "nh",
	[VMF_MG] = "mg", [VMF_BT] = "bt", [VMF_MT] = "mt", [VMF_UM] = "um",
	[VMF_UW] = "uw", [VMF_UI] = "ui", [VMF_SS] = "ss", [VMF_SL] = "sl",
	[VMF_LF] = "lf", [VMF_DP] = "dp",
	[VMF_DW] = "dw", [VMF_NL] = "nl", [VMF_MP] = "mp", [VMF_OT] = "ot",
};

const char *vma_flag_name(enum vmflag f)
{
	if ((unsigned)f >= VMF__COUNT)
		return NULL;
	return vmflag_names[f];
}

/* The flag of the two bytes at @s (not NUL terminated), or -1. */
static int vmflag_lookup(const char *s)
{
	for (int f = 0; f < VMF__COUNT; f++)
		if (vmflag_names[f][0] == s[0] && vmflag_names[f][1] == s[1])
			return f;
	return -1;
}

int vma_flag_from_name(const char *two)
{
	if (!two || !two[0] || !two[1] || two[2])
		return -1;
	return vmflag_lookup(two);
}

void vma_list_free(struct vma_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* ---- lexing: a bounded cursor over one line ---- */

struct cur {
	const char *s;
	size_t n, i;
};

static bool at_end(const struct cur *c)
{
	return c->i >= c->n;
}

static bool lit(struct cur *c, char ch)
{
	if (at_end(c) || c->s[c->i] != ch)
		return false;
	c->i++;
	return true;
}

static size_t skip_blanks(struct cur *c)
{
	size_t from = c->i;

	while (!at_end(c) && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
		c->i++;
	return c->i - from;
}

/* The kernel prints hex in lower case (seq_put_hex_ll uses hex_asc). */
static bool hex64(struct cur *c, uint64_t *out)
{
	size_t used;

	if (procfs_xdigits_lower(c->s + c->i, c->n - c->i, out, &used) < 0)
		return false;
	c->i += used;
	return true;
}

static bool dec64(struct cur *c, uint64_t *out)
{
	size_t used;

	if (procfs_digits(c->s + c->i, c->n - c->i, 10, out, &used) < 0)
		return false;
	c->i += used;
	return true;
}

static bool hex32(struct cur *c, unsigned *out)
{
	uint64_t v;

	if (!hex64(c, &v) || v > UINT_MAX)
		return false;
	*out = (unsigned)v;
	return true;
}

static bool perms(struct cur *c, char out[5])
{
	static const char yes[] = "rwx", no[] = "---";

	if (c->n - c->i < 4)
		return false;
	for (int k = 0; k < 3; k++) {
		char ch = c->s[c->i + k];

		if (ch != yes[k] && ch != no[k])
			return false;
	}
	if (c->s[c->i + 3] != 'p' && c->s[c->i + 3] != 's')
		return false;
	memcpy(out, c->s + c->i, 4);
	out[4] = '\0';
	c->i += 4;
	return true;
}

/* ---- the header line ---- */

/*
 * "start-end perms offset major:minor inode[ padding name]".  The kernel ends
 * the prefix with a space and seq_pad()s a name to column 73 (at least one
 * more space), so an anonymous VMA's line ends in a space; a line that stops
 * at the inode (hand-written, other tools) is accepted too.  The name is the
 * rest of the line, byte for byte: d_path() names may hold spaces and
 * " (deleted)", and seq_path() escapes only '\n' (as "\012"), which is kept
 * as printed.  A name that itself starts with a space cannot be told from
 * the padding; no kernel-made name does.
 */
static bool parse_header(const char *s, size_t n, struct vma *v, size_t *name_at)
{
	struct cur c = { s, n, 0 };

	if (!hex64(&c, &v->start) || !lit(&c, '-') || !hex64(&c, &v->end) ||
	    !lit(&c, ' ') || !perms(&c, v->perms) || !lit(&c, ' ') ||
	    !hex64(&c, &v->offset) || !lit(&c, ' ') ||
	    !hex32(&c, &v->dev_major) || !lit(&c, ':') ||
	    !hex32(&c, &v->dev_minor) || !lit(&c, ' ') ||
	    !dec64(&c, &v->inode))
		return false;
	if (!at_end(&c) && c.s[c.i] != ' ')
		return false;
	while (!at_end(&c) && c.s[c.i] == ' ')
		c.i++;
	*name_at = c.i;
	return true;
}

/* ---- key lines ---- */

enum key_kind { K_KB, K_PKEY, K_THP, K_VMFLAGS };

struct key {
	const char *name;
	enum key_kind kind;
	size_t off;             /* of the uint64_t field, for K_KB */
};

#define KB(name, field) { name, K_KB, offsetof(struct vma, field) }

/* "Size" is not here: end - start says it, and says it without rounding. */
static const struct key keys[] = {
	KB("KernelPageSize", kernel_page_size),
	KB("MMUPageSize", mmu_page_size),
	KB("Rss", rss),
	KB("Pss", pss),
	KB("Anonymous", anonymous),
	KB("AnonHugePages", anon_huge),
	KB("Swap", swap),
	KB("Locked", locked),
	KB("Shared_Hugetlb", shared_hugetlb),
	KB("Private_Hugetlb", private_hugetlb),
	{ "ProtectionKey", K_PKEY, 0 },
	{ "THPeligible", K_THP, 0 },
	{ "VmFlags", K_VMFLAGS, 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int key_lookup(const char *s, size_t n)
{
	for (size_t k = 0; k < NKEYS; k++)
		if (strlen(keys[k].name) == n && !memcmp(keys[k].name, s, n))
			return (int)k;
	return -1;
}

static bool is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* "   1234 kB": SEQ_PUT_DEC pads the number to width 8, never omits it. */
static bool value_kb(struct cur *c, uint64_t *out)
{
	uint64_t kb;

	if (!skip_blanks(c) || !dec64(c, &kb))
		return false;
	if (!lit(c, ' ') || !lit(c, 'k') || !lit(c, 'B') || !at_end(c))
		return false;
	return !__builtin_mul_overflow(kb, 1024, out);
}

static bool value_dec(struct cur *c, uint64_t max, uint64_t *out)
{
	return skip_blanks(c) && dec64(c, out) && at_end(c) && *out <= max;
}

/*
 * The kernel prints "xx " per set flag.  A bit with no mnemonic prints "??"
 * (the table's default since 3.8), which lands in unknown_vmflag like any
 * code newer than this table.  Anything not two letters long, or a code
 * twice, is not the kernel's.
 */
static bool value_vmflags(struct cur *c, struct vma *v)
{
	bool ok = true;

	while (!at_end(c)) {
		size_t from = c->i;
		int f;

		if (lit(c, ' '))
			continue;
		while (!at_end(c) && c->s[c->i] != ' ')
			c->i++;
		if (c->i - from != 2) {
			ok = false;
			continue;
		}
		f = vmflag_lookup(c->s + from);
		if (f < 0)
			v->unknown_vmflag = true;
		else if (v->vmflags & (UINT64_C(1) << f))
			ok = false;
		else
			v->vmflags |= UINT64_C(1) << f;
	}
	v->has_vmflags = true;
	return ok;
}

static bool key_value(const struct key *k, struct cur *c, struct vma *v)
{
	uint64_t x;

	switch (k->kind) {
	case K_KB:
		if (!value_kb(c, &x))
			return false;
		memcpy((char *)v + k->off, &x, sizeof(x));
		return true;
	case K_PKEY:
		if (!value_dec(c, INT_MAX, &x))
			return false;
		v->pkey = (int)x;
		return true;
	case K_THP:
		if (!value_dec(c, 1, &x))
			return false;
		v->thp_eligible = (int)x;
		return true;
	case K_VMFLAGS:
		return value_vmflags(c, v);
	}
	return false;
}

/* ---- the parser ---- */

struct parser {
	struct vma_list *l;
	uint64_t hi;            /* highest end of the VMAs so far */
	uint32_t seen;          /* keys[] bits seen in the current VMA */
	bool any_vmflags;
	/* A range: only the VMAs that meet [lo, end) are kept; the others
	 * are parsed into @skipped, so that they weigh on the checks of
	 * order and of VmFlags exactly as in a whole parse. */
	bool ranged, skipping, done;
	uint64_t lo, end;
	struct vma skipped;
	/* The text before the range, measured for a cursor (NULL: not
	 * wanted): @at is where the line being parsed starts. */
	struct vma_prefix *pre;
	size_t at;
	bool pre_done;
	bool skip_line;         /* the first line is the tail of a cut one */
};

static struct vma *current(struct parser *p)
{
	if (p->skipping)
		return &p->skipped;
	return p->l->n ? &p->l->v[p->l->n - 1] : NULL;
}

/* A key line of the current VMA: false when it cannot be trusted. */
static bool parse_key(struct parser *p, struct vma *v, const char *s, size_t n)
{
	struct cur c = { s, n, 0 };
	int k;

	while (!at_end(&c) && is_key_char(s[c.i]))
		c.i++;
	if (!c.i || !lit(&c, ':'))
		return false;
	k = key_lookup(s, c.i - 1);
	if (k < 0)
		return true;
	/* The kernel prints each key once; twice means a header was lost. */
	if (p->seen & (UINT32_C(1) << k))
		return false;
	p->seen |= UINT32_C(1) << k;
	if (keys[k].kind == K_VMFLAGS)
		p->any_vmflags = true;
	return key_value(&keys[k], &c, v);
}

static int grow(struct vma_list *l)
{
	size_t cap = l->cap ? l->cap : 32;
	struct vma *nv;

	if (l->n < l->cap)
		return 0;
	if (l->cap) {
		if (l->cap > SIZE_MAX / 2 / sizeof(*nv))
			return -ENOMEM;
		cap = l->cap * 2;
	}
	nv = realloc(l->v, cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->cap = cap;
	return 0;
}

/* K, the last VMA that ends at or before the range's start, and the
 * text up to the first header that does not. */
static void note_prefix(struct parser *p, const struct vma *v)
{
	if (!p->pre || p->pre_done)
		return;
	if (v->start < v->end && v->end <= p->lo) {
		p->pre->records++;
		p->pre->last_start = v->start;
		return;
	}
	p->pre->bytes = p->at;
	p->pre_done = true;
}

/* The order check of push_vma, for a VMA that is not kept. */
static void skip_vma(struct parser *p, const struct vma *v)
{
	p->skipped = *v;
	p->skipped.name = NULL;
	p->skipping = true;
	p->seen = 0;
	if (v->start < v->end && v->end > p->hi)
		p->hi = v->end;
}

static int push_vma(struct parser *p, struct vma *v, const char *name, size_t len)
{
	int err;

	p->skipping = false;
	if (p->ranged && v->start < v->end && v->start >= p->end && v->start >= p->hi) {
		/* the first VMA after the range: the range's are complete */
		p->done = true;
		return 0;
	}
	if (p->ranged && (v->end <= p->lo || v->start >= p->end)) {
		skip_vma(p, v);
		return 0;
	}
	err = grow(p->l);
	if (err)
		return err;
	v->name = malloc(len + 1);
	if (!v->name)
		return -ENOMEM;
	memcpy(v->name, name, len);
	v->name[len] = '\0';
	/* d_path() never yields a NUL; one here means the text is not smaps. */
	if (memchr(name, '\0', len))
		v->malformed = true;
	if (v->start >= v->end) {
		v->malformed = true;
	} else {
		if (v->start < p->hi)
			v->malformed = true;
		if (v->end > p->hi)
			p->hi = v->end;
	}
	p->l->v[p->l->n++] = *v;
	p->seen = 0;
	return 0;
}

/*
 * One line, without its '\n'.  @cut: it had none, so it is the last and may
 * have been cut short.
 */
static int parse_line(struct parser *p, const char *s, size_t n, bool cut)
{
	struct vma v = { .pkey = -1, .thp_eligible = -1 };
	struct vma *cv;
	size_t name_at;
	int err;

	/*
	 * A key line of a VMA outside the range weighs on what is kept only
	 * through any_vmflags (finish): once that is set, it can change
	 * nothing.  Keys start with a capital, which a header's lower-case
	 * hex cannot; not parsing them halves the work for the VMAs before a
	 * range at the top of a process of 20 000.
	 */
	if (p->skipping && p->any_vmflags && n && s[0] >= 'A' && s[0] <= 'Z')
		return 0;
	if (parse_header(s, n, &v, &name_at)) {
		v.malformed = cut;
		note_prefix(p, &v);
		err = push_vma(p, &v, s + name_at, n - name_at);
		return err;
	}
	cv = current(p);
	if (!cv)
		return 0;
	/*
	 * VmFlags has been the last line of every VMA since 3.8: after it, a
	 * cut line is the beginning of a VMA that was lost, not part of this.
	 */
	if (cut && cv->has_vmflags)
		return 0;
	if (!parse_key(p, cv, s, n) || cut)
		cv->malformed = true;
	return 0;
}

/*
 * The kernel prints VmFlags for every VMA or (before 3.8) for none; a VMA
 * without it among VMAs with it was cut off at a line boundary.
 */
static void finish(struct parser *p)
{
	if (!p->any_vmflags)
		return;
	for (size_t i = 0; i < p->l->n; i++)
		if (!p->l->v[i].has_vmflags)
			p->l->v[i].malformed = true;
}

/* Every line of @text, the last cut when it has no '\n'; @out freed on error. */
static int parse_text(struct parser *p, const char *text, size_t len)
{
	size_t pos = 0;

	if (!text)
		len = 0;
	while (pos < len && !p->done) {
		const char *s = text + pos;
		const char *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		int err;

		p->at = pos;
		err = parse_line(p, s, n, !nl);

		if (err) {
			vma_list_free(p->l);
			return err;
		}
		pos += n + (nl ? 1 : 0);
	}
	finish(p);
	return 0;
}

int vma_smaps_parse(const char *text, size_t len, struct vma_list *out)
{
	struct parser p = { .l = out };

	return parse_text(&p, text, len);
}

int vma_smaps_parse_range(const char *text, size_t len, uint64_t start, uint64_t end,
			  struct vma_list *out)
{
	struct parser p = { .l = out, .ranged = true, .lo = start, .end = end };

	return parse_text(&p, text, len);
}

/*
 * A line the kernel prints is at most ~100 bytes of header and a name of
 * PATH_MAX (4096) bytes, each '\n' of which seq_path() prints as 4
 * ("\012").  Longer is not smaps.
 */
#define STREAM_LINE_MAX ((size_t)1 << 20)

static int stream_line(void *ctx, char *line, size_t len, bool cut)
{
	struct parser *p = ctx;
	int err = 0;

	if (p->skip_line)
		p->skip_line = false;
	else
		err = parse_line(p, line, len, cut);
	p->at += len + (cut ? 0 : 1);
	if (err)
		return err;
	return p->done ? 1 : 0;
}

static int stream(struct parser *p, int fd, size_t *bytes)
{
	int err;

	if (p->pre)
		*p->pre = (struct vma_prefix){ 0 };
	err = procfs_lines(fd, STREAM_LINE_MAX, stream_line, p, bytes);
	if (err) {
		vma_list_free(p->l);
		return err;
	}
	if (p->pre && !p->pre_done)
		p->pre->bytes = p->at;
	finish(p);
	return 0;
}

int vma_smaps_stream(int fd, uint64_t start, uint64_t end, struct vma_list *out,
		     size_t *bytes)
{
	struct parser p = { .l = out, .ranged = true, .lo = start, .end = end };

	return stream(&p, fd, bytes);
}

/* ---- reading it ---- */

#define PF_KTHREAD 0x00200000   /* include/linux/sched.h */

/* A kernel thread has no mm: an empty smaps is the truth for it. */
static bool is_kthread(int procfd)
{
	struct procfs_stat st;

	return procfs_stat_read(procfd, "stat", &st) == 0 && (st.flags & PF_KTHREAD);
}

/*
 * A leader that called pthread_exit() while its other threads run is a
 * zombie without an mm: its smaps reads empty though the process lives (seen
 * on 6.18).  The other threads share the mm: the first non-empty
 * task/TID/@file (smaps, maps) replaces *bufp.  Threads come and go meanwhile: only
 * -ENOMEM is an error.
 */
static int read_other_thread(int procfd, const char *file, char **bufp, size_t *lenp)
{
	struct dirent *e;
	char path[sizeof(e->d_name) + sizeof("/smaps")];
	int fd, err = 0;
	DIR *d;

	fd = openat(procfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d))) {
		char *tb = NULL;
		size_t tl = 0;
		int tid;

		if (!procfs_tid_name(e->d_name, &tid))
			continue;
		snprintf(path, sizeof(path), "%s/%s", e->d_name, file);
		err = procfs_read(dirfd(d), path, PROCFS_NO_CAP, &tb, &tl);
		if (err == -ENOMEM)
			break;
		err = 0;
		if (tl) {
			free(*bufp);
			*bufp = tb;
			*lenp = tl;
			break;
		}
		free(tb);
	}
	closedir(d);
	return err;
}

/*
 * Once the process is reaped, openat() fails with ESRCH; reaped between
 * open and read, read() does (m_start); exited but not reaped (a zombie, or
 * exiting after our open), the read gives EOF at once (all seen on 6.18).
 */
static int read_whole(int procfd, const char *file, struct vma_list *out)
{
	char *buf = NULL;
	size_t len = 0;
	int err;

	/* the whole file: smaps can be many MB (no cap) */
	err = procfs_read(procfd, file, PROCFS_NO_CAP, &buf, &len);
	if (err)
		return err;
	if (!len) {
		err = read_other_thread(procfd, file, &buf, &len);
		if (err)
			goto out_free;
	}
	if (!len) {
		err = is_kthread(procfd) ? 0 : -ESRCH;
		goto out_free;
	}
	err = vma_smaps_parse(buf, len, out);
out_free:
	free(buf);
	return err;
}

int vma_smaps_read(int procfd, struct vma_list *out)
{
	return read_whole(procfd, "smaps", out);
}

/* maps is smaps' header lines alone: the same parser reads it. */
int vma_maps_read(int procfd, struct vma_list *out)
{
	return read_whole(procfd, "maps", out);
}

/* Keep only the VMAs of @l that meet [start, end). */
static void keep_range(struct vma_list *l, uint64_t start, uint64_t end)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].end > start && l->v[i].start < end)
			l->v[k++] = l->v[i];
		else
			free(l->v[i].name);
	}
	l->n = k;
}

int vma_smaps_read_range(int procfd, uint64_t start, uint64_t end, struct vma_list *out)
{
	return vma_smaps_read_prefix(procfd, start, end, out, NULL);
}

int vma_smaps_read_prefix(int procfd, uint64_t start, uint64_t end, struct vma_list *out,
			  struct vma_prefix *pre)
{
	struct parser p = { .l = out, .ranged = true, .lo = start, .end = end, .pre = pre };
	size_t bytes = 0;
	int fd, err;

	fd = openat(procfd, "smaps", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return procfs_errno(errno);
	err = stream(&p, fd, &bytes);
	close(fd);
	if (err || bytes)
		return err;
	/*
	 * Nothing at all: a zombie leader whose threads run, a kernel thread
	 * or a process gone, which the whole reader tells apart (rare: it
	 * may read every VMA once).
	 */
	err = vma_smaps_read(procfd, out);
	if (!err)
		keep_range(out, start, end);
	return err;
}

/* ---- a cursor: smaps or numa_maps read up to the VMA before a range ---- */

/*
 * seq_read_iter (fs/seq_file.c) first copies what it kept of the last
 * record it printed; when that is all, or does not fill the read, it
 * prints whole records into its (emptied) buffer until the buffer holds
 * what the read still wants, returns what fits and keeps the rest.  Even
 * a read the kept text filled exactly prints one more record, all of it
 * kept.  So a read of R bytes prints at most (R - 1) / min + 1 records of
 * at least min bytes, and at any time at most one printed record has not
 * had its start read.  A cursor must stop while the kernel still keeps
 * part of K: then it has printed nothing past K (docs/kernel-facts.md,
 * "A cursor in smaps").
 */
#define CURSOR_BIG ((size_t)64 << 10)
/* VMAs that may go before K between the measure and the placing before
 * the reads can pass K (then the placing sees a VMA of the range and
 * gives up: no harm) */
#define CURSOR_SLACK 8

struct text_shape {
	const char *file;
	size_t min;             /* bytes of the shortest record */
	/* the last reads: smaller than the text of a record after what
	 * tells its start (smaps: ~20 key lines, over 300 bytes since
	 * 2.6.25, after the header; numa_maps: a policy, "local" at least,
	 * and '\n' after "START "), and than min */
	size_t small;
};

static const struct text_shape shapes[] = {
	[VMA_TEXT_SMAPS] = { "smaps", 300, 256 },
	/* "0 local\n": the start as short as it prints */
	[VMA_TEXT_NUMA] = { "numa_maps", 8, 4 },
};

struct positioner {
	enum vma_text text;
	uint64_t start, last_start;
	size_t seen;            /* record starts read */
	/* the record whose start was read last: K or after it (but before
	 * the range), and some of it still unread */
	bool there, open, over;
};

static bool header_start(char ch)
{
	/* headers start with lower-case hex, key lines with a capital */
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* A record that starts at @vstart (and ends at @vend, 0 when the text
 * does not say) began. */
static void position_record(struct positioner *q, uint64_t vstart, uint64_t vend)
{
	q->open = true;
	/* a record at or past the range's start was printed: the
	 * continuation would not print it afresh */
	if (vstart >= q->start || (vend && (vend <= vstart || vend > q->start)))
		q->over = true;
	q->there = vstart >= q->last_start;
}

/* One line of the text (@whole: with its '\n'). */
static void position_line(struct positioner *q, const char *s, size_t n, bool whole)
{
	struct vma v = { 0 };
	size_t name_at;
	uint64_t at;

	if (q->text == VMA_TEXT_NUMA) {
		const char *sp = memchr(s, ' ', n);
		size_t used;

		q->there = q->open = false;
		if (!sp) {
			/* a start not read whole yet, or not numa_maps */
			q->over |= whole;
			return;
		}
		if (procfs_xdigits_lower(s, (size_t)(sp - s), &at, &used) < 0 || used != (size_t)(sp - s)) {
			q->over = true;
			return;
		}
		position_record(q, at, 0);
		q->open = !whole;
		q->seen += whole;
		return;
	}
	if (!whole) {
		/* a header read in part: a record printed, not known yet */
		if (n && header_start(s[0]))
			q->there = q->open = false;
		return;
	}
	if (n && header_start(s[0])) {
		if (!parse_header(s, n, &v, &name_at)) {
			q->over = true;
			return;
		}
		q->seen++;
		position_record(q, v.start, v.end);
	} else if (n >= 8 && !memcmp(s, "VmFlags:", 8)) {
		/* the last line of a record since 3.8 */
		q->open = false;
	}
}

/* The size of the next read: as big as cannot print past K. */
static size_t position_read_size(const struct positioner *q, const struct text_shape *sh,
				 size_t records)
{
	size_t left;

	if (records < q->seen + 2 + CURSOR_SLACK)
		return sh->small;
	left = records - q->seen - 2 - CURSOR_SLACK;
	if (left > CURSOR_BIG / sh->min)
		return CURSOR_BIG;
	return left * sh->min + 1 > sh->small ? left * sh->min + 1 : sh->small;
}

int vma_cursor_position(int procfd, enum vma_text text, uint64_t start,
			const struct vma_prefix *pre, struct vma_cursor *c)
{
	const struct text_shape *sh = &shapes[text];
	struct positioner q = { .text = text, .start = start, .last_start = pre->last_start };
	size_t cap = 2 * CURSOR_BIG, have = 0;
	char *buf;
	int fd, err;

	c->fd = -1;
	if (!pre->records)
		return -ENOENT;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	fd = openat(procfd, sh->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = procfs_errno(errno);
		goto out_free;
	}
	for (;;) {
		size_t want = position_read_size(&q, sh, pre->records);
		size_t pos = 0;
		const char *nl;
		ssize_t n;

		if (cap - have < want) {
			err = cap >= STREAM_LINE_MAX ? -EBADMSG : procfs_double_buf(&buf, &cap);
			if (err)
				goto out_close;
		}
		n = read(fd, buf + have, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* EOF before K: the process unmapped meanwhile */
			err = n < 0 ? procfs_errno(errno) : -ESTALE;
			goto out_close;
		}
		have += (size_t)n;
		while ((nl = memchr(buf + pos, '\n', have - pos))) {
			position_line(&q, buf + pos, (size_t)(nl - (buf + pos)), true);
			pos = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		if (have)
			position_line(&q, buf, have, false);
		if (q.over) {
			err = -ESTALE;
			goto out_close;
		}
		if (q.there && q.open)
			break;
	}
	c->fd = fd;
	c->mid_line = have != 0;
	c->start = start;
	free(buf);
	return 0;
out_close:
	close(fd);
out_free:
	free(buf);
	return err;
}

void vma_cursor_close(struct vma_cursor *c)
{
	if (c && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
}

int vma_cursor_stream(struct vma_cursor *c, uint64_t end, struct vma_list *out)
{
	/* the text left of K, then records made afresh from the VMA after
	 * K by address: K's tail may start mid-line, where a number could
	 * pass for a header */
	struct parser p = { .l = out, .ranged = true, .lo = c->start, .end = end,
			    .skip_line = c->mid_line };
	int err;

	if (c->fd < 0)
		return -EBADF;
	err = stream(&p, c->fd, NULL);
	vma_cursor_close(c);
	return err;
}

const struct vma *vma_find(const struct vma_list *l, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!l || !l->v)
		return NULL;
	hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo < l->n ? &l->v[lo] : NULL;
}
