// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VMAs of one range, without reading the whole of /proc/PID/smaps: the
 * PROCMAP_QUERY ioctl on /proc/PID/maps (6.11) for their headers, smaps
 * read only up to the range's last VMA for the rest (src/maps_parse.c).
 *
 * What PROCMAP_QUERY gives, measured on 6.18 (tests/probes/procmap_query.c):
 * start, end, r/w/x and VM_MAYSHARE (maps' 's'), the offset (0 for an
 * anonymous VMA, as maps prints it), dev, inode, KernelPageSize and the
 * name as maps prints it ("[heap]", "[stack]", "[vdso]", "/dev/zero
 * (deleted)", "/SYSV00000000 (deleted)", "/anon_hugepage (deleted)"), but
 * with a '\n' raw where maps prints "\012".  Not the gate VMA ([vsyscall],
 * not in the mm's tree): an address there is ENOENT.  Nothing of what only
 * smaps says: VmFlags, Rss, Swap, Anonymous, AnonHugePages, THPeligible,
 * ProtectionKey, MMUPageSize.  One query costs ~3 us, against ~2.5 us per
 * VMA of 16 resident pages for smaps, which walks every page table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "compat.h"
#include "procfs.h"
#include "vma.h"

/* d_path() names are at most PATH_MAX (the kernel caps the buffer there). */
#define NAME_MAX_QUERY 4096

/* 1: the kernel has PROCMAP_QUERY, -1: it has not, 0: not asked yet. */
static int have_query;

/*
 * The name as maps prints it: seq_path() (fs/proc/task_mmu.c) escapes
 * '\n' as "\012", and only that.  Anonymous names ("[anon:x]") cannot hold
 * a '\n' (prctl refuses unprintable bytes), so escaping every name is what
 * maps does.
 */
static char *maps_name(const char *raw, size_t len)
{
	size_t n = len, k = 0;
	char *s;

	for (size_t i = 0; i < len; i++)
		if (raw[i] == '\n')
			n += 3;
	s = malloc(n + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n') {
			memcpy(s + k, "\\012", 4);
			k += 4;
		} else {
			s[k++] = raw[i];
		}
	}
	s[k] = '\0';
	return s;
}

static int push(struct vma_list *l, const struct procmap_query *q, const char *name)
{
	struct vma v = { .pkey = -1, .thp_eligible = -1 };

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct vma *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	v.start = q->vma_start;
	v.end = q->vma_end;
	v.perms[0] = q->vma_flags & PROCMAP_QUERY_VMA_READABLE ? 'r' : '-';
	v.perms[1] = q->vma_flags & PROCMAP_QUERY_VMA_WRITABLE ? 'w' : '-';
	v.perms[2] = q->vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE ? 'x' : '-';
	v.perms[3] = q->vma_flags & PROCMAP_QUERY_VMA_SHARED ? 's' : 'p';
	v.offset = q->vma_offset;
	v.dev_major = q->dev_major;
	v.dev_minor = q->dev_minor;
	v.inode = q->inode;
	v.kernel_page_size = q->vma_page_size;
	/* vma_name_size counts the NUL; 0 is no name */
	v.name = maps_name(name, q->vma_name_size ? q->vma_name_size - 1 : 0);
	if (!v.name)
		return -ENOMEM;
	l->v[l->n++] = v;
	return 0;
}

/* PVMMAP_NO_PROCMAP_QUERY=1 (a test knob): read as a kernel before 6.11
 * would, so that tests reach the smaps-only path on this one. */
static bool query_refused(void)
{
	const char *no = getenv("PVMMAP_NO_PROCMAP_QUERY");

	return no && strcmp(no, "1") == 0;
}

/*
 * The errors of PROCMAP_QUERY on 6.18: ENOENT when no VMA covers (or,
 * with COVERING_OR_NEXT_VMA, follows) the address; ESRCH once the process
 * has no mm (a zombie, reaped); ENAMETOOLONG for a short name buffer;
 * EINVAL for an unknown query flag or a name size without an address;
 * E2BIG for a larger struct with a non-zero tail; ENOTTY before 6.11.
 */
int vma_query_range(int procfd, uint64_t start, uint64_t end, struct vma_list *out)
{
	char *name;
	uint64_t addr = start;
	int fd, err = 0;

	if (__atomic_load_n(&have_query, __ATOMIC_RELAXED) < 0 || query_refused())
		return -EOPNOTSUPP;
	name = malloc(NAME_MAX_QUERY);
	if (!name)
		return -ENOMEM;
	fd = openat(procfd, "maps", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = procfs_errno(errno);
		goto out_free;
	}
	while (addr < end) {
		struct procmap_query q = {
			.size = sizeof(q),
			.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA,
			.query_addr = addr,
			.vma_name_addr = (uintptr_t)name,
			.vma_name_size = NAME_MAX_QUERY,
		};

		if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			err = errno;
			if (err == ENOENT) {
				err = 0;        /* no VMA at or after addr */
				break;
			}
			if (err == ENOTTY || err == EINVAL) {
				/* before 6.11 (EINVAL: a kernel with another
				 * ioctl of this number): known for good, unless
				 * it answered before, when only this read falls
				 * back */
				int was = __atomic_load_n(&have_query, __ATOMIC_RELAXED);

				if (!was)
					__atomic_store_n(&have_query, -1, __ATOMIC_RELAXED);
				err = -EOPNOTSUPP;
				goto out_list;
			}
			err = procfs_errno(err);
			goto out_list;
		}
		__atomic_store_n(&have_query, 1, __ATOMIC_RELAXED);
		if (q.vma_start >= end)
			break;
		/* the kernel's answer must move forward, or the loop would not end */
		if (q.vma_end <= addr || q.vma_start >= q.vma_end) {
			err = -EIO;
			goto out_list;
		}
		err = push(out, &q, name);
		if (err)
			goto out_list;
		addr = q.vma_end;
	}
	goto out_close;
out_list:
	vma_list_free(out);
out_close:
	close(fd);
out_free:
	free(name);
	return err;
}

/* The fields of a header, which both readers give. */
bool vma_same_header(const struct vma *a, const struct vma *b)
{
	return a->start == b->start && a->end == b->end && !strcmp(a->perms, b->perms) &&
	       a->offset == b->offset && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && a->inode == b->inode && !strcmp(a->name, b->name);
}

/*
 * @q (PROCMAP_QUERY) and @s (smaps) list the same VMAs, but for those
 * above user space that only smaps lists (the gate VMA).
 */
static bool same_vmas(const struct vma_list *q, const struct vma_list *s)
{
	size_t i = 0;

	for (size_t k = 0; k < s->n; k++) {
		if (!arch_user_mapping(s->v[k].end))
			continue;
		if (i == q->n || !vma_same_header(&q->v[i], &s->v[k]))
			return false;
		i++;
	}
	return i == q->n;
}

/* Reads before the answer is -EAGAIN: the mappings keep changing. */
#define RANGE_TRIES 3

static int range_read(int procfd, uint64_t start, uint64_t end, struct vma_cursor *cur,
		      struct vma_prefix *pre, struct vma_list *out)
{
	int err = -EAGAIN;

	if (start >= end)
		return 0;
	for (int t = 0; t < RANGE_TRIES; t++) {
		struct vma_list q = { 0 };
		bool same, via = cur && cur->fd >= 0 && cur->start == start;

		err = vma_query_range(procfd, start, end, &q);
		/*
		 * ESRCH: no mm, which a kernel thread, a zombie and a leader
		 * that called pthread_exit() while its threads run share
		 * with a process gone; the smaps reader tells them apart.
		 * ENAMETOOLONG: a name longer than the PATH_MAX the ioctl
		 * caps its buffer at, which maps can still print (seq_path
		 * grows its buffer instead).
		 */
		if (err == -EOPNOTSUPP || err == -ESRCH || err == -ENAMETOOLONG)
			return vma_smaps_read_prefix(procfd, start, end, out, pre);
		if (err)
			return err;
		/* a hole: smaps would only say so again, at the cost of a
		 * walk of every VMA before the range; past user space, it
		 * may hold the gate VMA, which only smaps shows */
		if (!q.n && arch_user_mapping(end))
			return 0;
		err = via ? vma_cursor_stream(cur, end, out)
			  : vma_smaps_read_prefix(procfd, start, end, out, pre);
		if (err && !(via && err != -ENOMEM)) {
			vma_list_free(&q);
			return err;
		}
		/* Two reads: the same VMAs, unless the process (or another
		 * sharing its mm) mapped meanwhile.  Under the freeze, always.
		 * Through a cursor, a VMA mapped before the range after it was
		 * placed may be missing (the kernel goes on from an address it
		 * remembered): this check is what makes it safe. */
		same = !err && same_vmas(&q, out);
		vma_list_free(&q);
		if (same)
			return 0;
		vma_list_free(out);
		err = -EAGAIN;
		/* the cursor's read is no try: smaps afresh follows */
		if (via)
			t--;
	}
	return err;
}

int vma_range_read_cur(int procfd, uint64_t start, uint64_t end, struct vma_cursor *cur,
		       struct vma_prefix *pre, struct vma_list *out)
{
	int err = range_read(procfd, start, end, cur, pre, out);

	vma_cursor_close(cur);
	return err;
}

int vma_range_read(int procfd, uint64_t start, uint64_t end, struct vma_list *out)
{
	return range_read(procfd, start, end, NULL, NULL, out);
}

/* Below this much text before the range, printing it again under the
 * freeze costs less than ~1 ms (6.18: ~110 ms for 28 MB). */
#define CURSOR_MIN_PREFIX ((size_t)256 << 10)

/* PVMMAP_NO_SMAPS_CURSOR=1 (a test knob): every re-read opens smaps and
 * numa_maps afresh, so that tests can compare plans made either way. */
static bool cursor_refused(void)
{
	const char *no = getenv("PVMMAP_NO_SMAPS_CURSOR");

	return no && strcmp(no, "1") == 0;
}

int vma_range_cursor(int procfd, enum vma_text text, uint64_t start,
		     const struct vma_prefix *pre, struct vma_cursor *c)
{
	int err;

	c->fd = -1;
	if (__atomic_load_n(&have_query, __ATOMIC_RELAXED) < 0 || query_refused())
		return -EOPNOTSUPP;
	if (cursor_refused() || pre->bytes <= CURSOR_MIN_PREFIX || !pre->records)
		return 0;
	err = vma_cursor_position(procfd, text, start, pre, c);
	/* the VMAs changed since @pre: the re-read opens smaps afresh */
	if (err == -ESTALE || err == -ENOENT)
		err = 0;
	return err;
}

/*
 * Replace the headers of @h that meet [start, end) with @d, the same VMAs
 * with their smaps fields: false (and @h unchanged) when they are not the
 * same VMAs, which a process that mapped between the two reads gives.
 * The VMAs of @d are moved into @h (then @d holds none).
 */
static bool merge_detail(struct vma_list *h, struct vma_list *d, uint64_t start, uint64_t end)
{
	size_t first = 0, n = 0;

	while (first < h->n && h->v[first].end <= start)
		first++;
	while (first + n < h->n && h->v[first + n].start < end)
		n++;
	if (n != d->n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!vma_same_header(&h->v[first + i], &d->v[i]))
			return false;
	for (size_t i = 0; i < n; i++) {
		/* smaps' fields; the header is the same (checked above) */
		free(h->v[first + i].name);
		h->v[first + i] = d->v[i];
	}
	d->n = 0;
	return true;
}

int vma_headers_range(int procfd, uint64_t start, uint64_t end, struct vma_list *out)
{
	int err = -EAGAIN;

	for (int t = 0; t < RANGE_TRIES; t++) {
		struct vma_list d = { 0 };
		bool same;

		err = vma_maps_read(procfd, out);
		if (err || start >= end)
			return err;
		err = vma_range_read(procfd, start, end, &d);
		same = !err && merge_detail(out, &d, start, end);
		vma_list_free(&d);
		if (same)
			return 0;
		vma_list_free(out);
		if (err)
			return err;
		err = -EAGAIN;
	}
	return err;
}
