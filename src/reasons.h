/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one table of reasons: every refusal pvmmap can give, with the stable
 * code scripts match on, the sentence people read and what they can do.
 * The planner, the report and the man page test all read this table, so a
 * code cannot exist in one place only.
 */
#ifndef PVMMAP_REASONS_H
#define PVMMAP_REASONS_H

#include <stdbool.h>

enum reason {
	R_NONE = 0,
	/* per VMA */
	R_NOT_MAPPED,
	R_SPECIAL_MAPPING,
	R_IO_MAPPING,
	R_DEVICE_MAPPING,
	R_AIO_RING,
	R_UFFD_REGISTERED,
	R_SHADOW_STACK,
	R_SEALED,
	R_IN_USE,
	R_PROTECTION_KEY,
	R_HUGETLB_UNAVAILABLE,
	R_TARGET_OCCUPIED,
	R_TARGET_OUT_OF_RANGE,
	R_TARGET_MAP_COUNT,
	R_TARGET_MEMORY_LIMIT,
	R_TARGET_MEMLOCK_LIMIT,
	R_FILE_UNREACHABLE,
	R_UNRECOGNISED,
	R_HUGE_PAGE_SPLIT,
	R_DROPPABLE,             /* additions to the contract's table */
	R_MEMORY_TAGGED,
	R_IN_USE_UNKNOWN,        /* status deferred: only the transfer can tell */
	R_ALL_OR_NOTHING,        /* status skipped: another piece was refused */
	/* per process */
	R_NO_SUCH_PROCESS,
	R_NOT_A_PROCESS,
	R_ZOMBIE,
	R_ALREADY_TRACED,
	R_PTRACE_DENIED,
	R_SECCOMP_BLOCKS,
	R_CROSS_USER,
	R_ARCH_MISMATCH,
	R_TIMEOUT,
	R_LEADER_EXITED,         /* an addition to the contract's table */
	R__COUNT
};

enum reason_scope { SCOPE_VMA, SCOPE_PROCESS };

struct reason_info {
	const char *code;     /* stable: never renamed */
	enum reason_scope scope;
	const char *sentence; /* what the user sees, in one sentence */
	const char *hint;     /* what they can do, or NULL */
};

/*
 * Notes: not refusals, but where a piece is carried out otherwise than it
 * could have been, why (additive data of the report and the JSON).  Today:
 * why a copied piece is copied with the source frozen throughout, not live
 * (issue 10).  Codes are stable like the reasons'.
 */
enum note {
	N_NONE = 0,
	N_FROZEN_NO_TRACKING,    /* the kernel cannot track writes */
	N_FROZEN_UFFD,           /* the source registered it with userfaultfd */
	N_FROZEN_HUGETLB,
	N_FROZEN_STOPPED,        /* the source is stopped: no pause to save */
	N_FROZEN_SMALL,          /* one freeze is shorter than two */
	N__COUNT
};

struct note_info {
	const char *code;
	const char *sentence;
};

/* The entry of @n; N_NONE and out-of-range values give a NULL code. */
const struct note_info *note_info(enum note n);

/* The entry of @r; R_NONE and out-of-range values give a NULL code. */
const struct reason_info *reason_info(enum reason r);
static inline const char *reason_code(enum reason r) { return reason_info(r)->code; }
/* The reason with that code, or R_NONE. */
enum reason reason_from_code(const char *code);

#endif
