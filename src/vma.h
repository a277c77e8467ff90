/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One VMA as /proc/PID/smaps describes it, and the list of them.
 *
 * This is a fact, not a decision: the parser records what the kernel said and
 * nothing else.  What a VMA *is* (kind) and what pvmmap would do with it is
 * the planner's job (plan.c).
 */
#ifndef PVMMAP_VMA_H
#define PVMMAP_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The two-letter VmFlags mnemonics of fs/proc/task_mmu.c, one bit each.  The
 * bit numbers are ours, not the kernel's (the kernel's move between versions
 * and architectures).  Codes retired from newer kernels are kept so that
 * smaps recorded on older ones still parse.
 */
enum vmflag {
	VMF_RD, VMF_WR, VMF_EX, VMF_SH, VMF_MR, VMF_MW, VMF_ME, VMF_MS,
	VMF_GD, VMF_PF, VMF_GU, VMF_LO, VMF_IO, VMF_SR, VMF_RR, VMF_DC,
	VMF_DE, VMF_AC, VMF_NR, VMF_HT, VMF_SF, VMF_AR, VMF_WF, VMF_DD,
	VMF_SD, VMF_MM, VMF_HG, VMF_NH, VMF_MG, VMF_BT, VMF_MT, VMF_UM,
	VMF_UW, VMF_UI, VMF_SS, VMF_SL, VMF_LF, VMF_DP,
	/* Retired: dw (VM_DENYWRITE, gone in 5.15), nl (VM_NONLINEAR, 4.0),
	 * mp (VM_MPX, 5.6), ot (VM_ARCH_2 on some arches). */
	VMF_DW, VMF_NL, VMF_MP, VMF_OT,
	VMF__COUNT
};

#define VMF(f) (UINT64_C(1) << (VMF_##f))

/* The mnemonic of one flag ("rd"), or NULL for a value out of range. */
const char *vma_flag_name(enum vmflag f);
/* The flag of a mnemonic, or -1 when the kernel used one pvmmap does not know. */
int vma_flag_from_name(const char *two);

struct vma {
	uint64_t start, end;     /* [start, end) */
	char perms[5];           /* "rw-p", NUL terminated */
	uint64_t offset;
	unsigned dev_major, dev_minor;
	uint64_t inode;
	char *name;              /* owned; "" for an anonymous VMA, never NULL */
	uint64_t residue;        /* where rescue code a killed pvmmap left in it
				    starts (src/rescue.c), or 0 (set by proc.c) */

	/* smaps fields, in bytes (the kernel prints kB) */
	uint64_t rss, pss, anonymous, anon_huge, swap, locked;
	uint64_t shared_hugetlb, private_hugetlb;
	uint64_t kernel_page_size, mmu_page_size;
	int pkey;                /* ProtectionKey, -1 when the kernel did not say */
	int thp_eligible;        /* THPeligible, -1 when absent */

	uint64_t vmflags;        /* VMF() bits */
	bool has_vmflags;        /* the VmFlags line was seen */
	bool unknown_vmflag;     /* VmFlags held a code pvmmap does not know */
	bool malformed;          /* a line of this VMA could not be trusted */
};

struct vma_list {
	struct vma *v;
	size_t n, cap;
};

/* True when perms say MAP_SHARED ('s' in the fourth column). */
static inline bool vma_is_shared(const struct vma *v) { return v->perms[3] == 's'; }
static inline uint64_t vma_size(const struct vma *v) { return v->end - v->start; }

/* Registered with a userfaultfd (missing, write-protect or minor mode:
 * VmFlags um, uw, ui).  A second uffd cannot register any of it (EBUSY),
 * so pvmmap cannot track its writes (docs/kernel-facts.md, "Write
 * tracking"); the process's own uffd may also be relying on it. */
#define VMF_UFFD (VMF(UM) | VMF(UW) | VMF(UI))
static inline bool vma_uffd_registered(const struct vma *v) { return (v->vmflags & VMF_UFFD) != 0; }

void vma_list_free(struct vma_list *l);

/* Whether @a and @b have the same header: the fields maps prints, which
 * PROCMAP_QUERY and smaps both give (start, end, perms, offset, device,
 * inode, name). */
bool vma_same_header(const struct vma *a, const struct vma *b);

/*
 * Parse smaps text (the whole file) into @out, which must be zeroed.
 * Never fails on odd input: unknown keys are skipped, a line that cannot be
 * trusted marks its VMA malformed (the planner refuses those), text before the
 * first header line is ignored.  Returns 0 or -ENOMEM.
 */
int vma_smaps_parse(const char *text, size_t len, struct vma_list *out);

/*
 * Read /proc/PID/smaps (through an open /proc/PID directory fd) and parse it.
 * Returns 0, -ESRCH when the process is gone (or a zombie with no mm), or
 * another -errno.
 */
int vma_smaps_read(int procfd, struct vma_list *out);

/*
 * Every VMA's header from /proc/PID/maps (no smaps field: has_vmflags
 * false, pkey and thp_eligible -1), the gate VMA too; the same errors as
 * vma_smaps_read.  The kernel prints maps without walking page tables:
 * 5 ms for 20 000 VMAs where smaps takes 38 ms and a PROCMAP_QUERY walk
 * of them all 40 ms (6.18): what a reader of every header wants.
 */
int vma_maps_read(int procfd, struct vma_list *out);

/*
 * vma_smaps_parse, keeping only the VMAs that meet [@start, @end), whole (not cut
 * at the range's edges), with the fields and flags a whole parse gives
 * them.  Text after the range's last VMA is not looked at.
 */
int vma_smaps_parse_range(const char *text, size_t len, uint64_t start, uint64_t end,
			  struct vma_list *out);

/*
 * Read smaps text from @fd (from its current offset) and keep only the VMAs
 * that meet [@start, @end), as vma_smaps_parse_range: the memory used is
 * that of the range's VMAs and one 64 KiB buffer, and reading stops at the
 * first VMA after the range.  The bytes read in *@bytes (may be NULL).
 * 0, -ENOMEM, -EBADMSG (a line longer than 1 MiB) or -errno of read.
 */
int vma_smaps_stream(int fd, uint64_t start, uint64_t end, struct vma_list *out,
		     size_t *bytes);

/*
 * vma_smaps_read for the VMAs that meet [@start, @end) only, through
 * vma_smaps_stream; the same results and errors.
 */
int vma_smaps_read_range(int procfd, uint64_t start, uint64_t end, struct vma_list *out);

/*
 * The smaps text before a range, as a read of it measured: what placing a
 * cursor needs.  K is the last VMA that ends at or before the range's
 * start; records counts the VMAs up to it.
 */
struct vma_prefix {
	size_t bytes;            /* the text before the first header that is
				    not K's or an earlier VMA's */
	size_t records;          /* 0: nothing before the range */
	uint64_t last_start;     /* K's start */
};

/* vma_smaps_read_range, measuring the text before the range in *@pre
 * (NULL: not wanted; zero when the whole file had to be read). */
int vma_smaps_read_prefix(int procfd, uint64_t start, uint64_t end, struct vma_list *out,
			  struct vma_prefix *pre);

/*
 * An smaps fd read up to K, before the source's freeze (issue 10, the
 * `high` case): the next read() of it goes on from the VMA after K by
 * address, printing it afresh, so that the re-read under the freeze does
 * not print the VMAs before the range again (docs/kernel-facts.md, "A
 * cursor in smaps").  fd -1: none, or used (a cursor is read once).
 */
struct vma_cursor {
	int fd;
	bool mid_line;           /* what was read ends inside one of K's lines */
	uint64_t start;          /* of the range it was placed for */
};

/* The texts a cursor is placed in: both list every VMA in address order,
 * printed from the VMA after the last one read. */
enum vma_text { VMA_TEXT_SMAPS, VMA_TEXT_NUMA };

/*
 * Open /proc/PID/smaps or numa_maps (@text) and read it up to K (@pre,
 * measured by an earlier read of smaps for the range starting at @start),
 * stopping while part of K is still unread: nothing past K printed.  0,
 * or -ENOENT (nothing before the range), -ESTALE (the VMAs changed: EOF
 * before K, or a record at or past @start read first), -ENOMEM, -errno of
 * open or read; c->fd is -1 on error.
 */
int vma_cursor_position(int procfd, enum vma_text text, uint64_t start,
			const struct vma_prefix *pre, struct vma_cursor *c);

/* vma_smaps_stream of [c->start, @end) through the cursor, which it closes
 * (-EBADF when it had none). */
int vma_cursor_stream(struct vma_cursor *c, uint64_t end, struct vma_list *out);

/* Close the cursor's fd, if it has one; c may be NULL. */
void vma_cursor_close(struct vma_cursor *c);

/*
 * The headers of the VMAs that meet [@start, @end) (maps' columns, and
 * kernel_page_size) from PROCMAP_QUERY (src/maps_query.c): the smaps
 * fields stay as a VMA without them (has_vmflags false, pkey and
 * thp_eligible -1), and not the gate VMA ([vsyscall]), which is in no
 * mm.  -EOPNOTSUPP when the kernel lacks it (before 6.11: asked once, then
 * known) or PVMMAP_NO_PROCMAP_QUERY=1 (a test knob) is set, -ESRCH when
 * the process has no mm, or -errno.
 */
int vma_query_range(int procfd, uint64_t start, uint64_t end, struct vma_list *out);

/*
 * What vma_smaps_read_range gives, for a cost that does not grow with the
 * VMAs after the range: the headers from PROCMAP_QUERY first (a range
 * with no VMA reads no smaps at all), then smaps up to the range's end,
 * checked against them.  Without PROCMAP_QUERY, vma_smaps_read_range.
 * 0, -EAGAIN when the mappings changed between the two reads three times
 * running, or an error of vma_smaps_read.
 */
int vma_range_read(int procfd, uint64_t start, uint64_t end, struct vma_list *out);

/*
 * vma_range_read, whose first smaps read goes through @cur (NULL, or
 * without an fd: none) when it was placed for @start, and which measures
 * the text before the range in *@pre (may be NULL) when it reads smaps
 * afresh.  What the cursor gives is checked against PROCMAP_QUERY like
 * any read, and any difference reads smaps afresh.  The cursor is closed
 * on return, used or not.
 */
int vma_range_read_cur(int procfd, uint64_t start, uint64_t end, struct vma_cursor *cur,
		       struct vma_prefix *pre, struct vma_list *out);

/*
 * Place @c in @text for a re-read of the range at @start under a freeze,
 * when the text of smaps before it (@pre) is big enough for its printing
 * to matter (over 256 KiB): 0 with c->fd -1 when not worth it (small, or
 * nothing before), when PVMMAP_NO_SMAPS_CURSOR=1 (a test knob) or when
 * the VMAs changed meanwhile; -EOPNOTSUPP without PROCMAP_QUERY, whose
 * check of what an smaps cursor reads is the safety net; -ENOMEM or
 * -errno of open or read.
 */
int vma_range_cursor(int procfd, enum vma_text text, uint64_t start,
		     const struct vma_prefix *pre, struct vma_cursor *c);

/*
 * Every VMA's header (vma_maps_read), and those that meet [@start, @end)
 * with their smaps fields too (vma_range_read): what a transfer needs of
 * its target, whose holes, VMA count and highest mapping the plan checks,
 * but only the flags of what lies where it maps.  The two reads are
 * checked against each other.  0, -EAGAIN when the mappings changed
 * between them three times running, or an error of either.
 */
int vma_headers_range(int procfd, uint64_t start, uint64_t end, struct vma_list *out);

/* The first VMA with end > addr, or NULL (the VMAs are sorted by address). */
const struct vma *vma_find(const struct vma_list *l, uint64_t addr);

#endif
