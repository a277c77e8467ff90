/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "reasons.h"

#include <string.h>

/*
 * Sentences speak of what the user sees, then of why; the hint is what they
 * can do.  Codes are the contract's (docs/interface.md): add, never rename.
 */
static const struct reason_info table[R__COUNT] = {
	[R_NONE] = { NULL, SCOPE_VMA, NULL, NULL },

	[R_NOT_MAPPED] = { "not-mapped", SCOPE_VMA,
		"nothing is mapped here in the source process",
		"choose a range that /proc/PID/maps (or pvmmap maps PID) shows as mapped" },
	[R_SPECIAL_MAPPING] = { "special-mapping", SCOPE_VMA,
		"this is a page the kernel provides to every process (such as [vdso] or [vvar]): it exists once per process and cannot be recreated by mmap",
		"leave it out of the range; the target already has its own" },
	[R_IO_MAPPING] = { "io-mapping", SCOPE_VMA,
		"this maps device or physical (PFN) memory set up by a driver, not ordinary pages that can be copied or shared",
		"have the target open and map the device itself" },
	[R_DEVICE_MAPPING] = { "device-mapping", SCOPE_VMA,
		"this maps a device file whose driver keeps state for the source process, which cannot follow the mapping to another process",
		"have the target open and map the device itself" },
	[R_AIO_RING] = { "aio-ring", SCOPE_VMA,
		"this is the source's AIO completion ring (io_setup): it belongs to the source's AIO context and the kernel writes into it",
		"leave it out of the range" },
	[R_UFFD_REGISTERED] = { "uffd-registered", SCOPE_VMA,
		"the source handles page faults on this memory itself with userfaultfd, so reading it while the source is stopped could wait forever",
		"unregister the range from userfaultfd in the source first" },
	[R_SHADOW_STACK] = { "shadow-stack", SCOPE_VMA,
		"this is a CET shadow stack, which only the kernel and the thread that owns it may create and write",
		"leave it out of the range" },
	[R_SEALED] = { "sealed", SCOPE_VMA,
		"this mapping is sealed with mseal(), so the source can never unmap it; it can be copied, not moved",
		"use copy instead of move" },
	[R_IN_USE] = { "in-use", SCOPE_VMA,
		"the source is still using this memory: moving it away would crash the process, as unmapping it would",
		"use copy instead of move, or leave this memory out of the range" },
	[R_PROTECTION_KEY] = { "protection-key", SCOPE_VMA,
		"this memory carries a memory protection key (pkey_mprotect), whose access rights live in the source's registers and do not exist in the target",
		"reset it to the default key with pkey_mprotect(..., 0) in the source first" },
	[R_HUGETLB_UNAVAILABLE] = { "hugetlb-unavailable", SCOPE_VMA,
		"this is hugetlb memory and the system's pool does not have enough free huge pages of this size for the target's copy",
		"add huge pages (/sys/kernel/mm/hugepages/hugepages-*/nr_hugepages) or free some" },
	[R_TARGET_OCCUPIED] = { "target-occupied", SCOPE_VMA,
		"the destination address range is already mapped in the target",
		"use --at ADDR or --at any to choose another place, or --replace to overwrite what is there" },
	[R_TARGET_OUT_OF_RANGE] = { "target-out-of-range", SCOPE_VMA,
		"the destination lies outside the addresses the target process can map",
		"use --at ADDR with an address inside the target's address space, or --at any" },
	[R_TARGET_MAP_COUNT] = { "target-map-count", SCOPE_VMA,
		"the target would have more mappings than the system allows (vm.max_map_count)",
		"raise vm.max_map_count or move fewer mappings at once" },
	[R_TARGET_MEMORY_LIMIT] = { "target-memory-limit", SCOPE_VMA,
		"the target cannot take this much more memory: its address-space limit (RLIMIT_AS) or its memory cgroup would be exceeded",
		"raise the target's limit (prlimit --as, or the cgroup's memory.max) or move less" },
	[R_TARGET_MEMLOCK_LIMIT] = { "target-memlock-limit", SCOPE_VMA,
		"this memory is locked in RAM (mlock) and the target may not lock that much more (RLIMIT_MEMLOCK)",
		"raise the target's limit (prlimit --memlock) or munlock the range in the source first" },
	[R_FILE_UNREACHABLE] = { "file-unreachable", SCOPE_VMA,
		"the file behind this mapping cannot be opened to hand it to the target",
		"check that the file still exists and that pvmmap may open it (/proc/PID/map_files needs CAP_SYS_ADMIN)" },
	[R_UNRECOGNISED] = { "unrecognised", SCOPE_VMA,
		"pvmmap does not know how to recreate this kind of mapping faithfully, and refuses rather than guess",
		"report the line of /proc/PID/smaps for this mapping to the pvmmap developers" },
	[R_HUGE_PAGE_SPLIT] = { "huge-page-split", SCOPE_VMA,
		"the range or its destination cuts this hugetlb mapping inside one of its huge pages, which can only be mapped and unmapped whole",
		"align ADDR, LEN and --at to the mapping's huge page size" },
	[R_DROPPABLE] = { "droppable", SCOPE_VMA,
		"this memory was mapped with MAP_DROPPABLE: the kernel may drop its pages at any time, and pvmmap cannot recreate such a mapping in the target",
		"leave it out of the range; what a program keeps there (such as glibc's getrandom state) it can make again itself" },
	[R_MEMORY_TAGGED] = { "memory-tagged", SCOPE_VMA,
		"this memory is tagged by the Memory Tagging Extension (MTE): every 16 bytes carry a tag the source's pointers must match, and pvmmap copies the bytes but not the tags",
		"leave it out of the range, or have the source map it without PROT_MTE" },
	[R_IN_USE_UNKNOWN] = { "in-use-unknown", SCOPE_VMA,
		"whether a thread of the source is using this memory (as its stack, its code or its thread-local storage) can only be seen once the threads are stopped: the move checks it then, and refuses the memory if a thread is using it",
		"run the move itself, which makes this check with every thread stopped; a dry run sees the stack and code of every thread of a process stopped with SIGSTOP" },
	[R_ALL_OR_NOTHING] = { "all-or-nothing", SCOPE_VMA,
		"this memory is left as it is because another part of the range is refused, and without --partial pvmmap changes all of the range or nothing",
		"pass --partial to carry out the rest, or leave the refused parts out of the range" },

	[R_NO_SUCH_PROCESS] = { "no-such-process", SCOPE_PROCESS,
		"there is no process with this id (or it exited)",
		"check the id with ps" },
	[R_NOT_A_PROCESS] = { "not-a-process", SCOPE_PROCESS,
		"this id is not a user process pvmmap can work on (a thread of another process, a kernel thread, or pvmmap itself)",
		"give the id of a user process other than pvmmap; for a thread, the id of its whole process (the thread group id ps shows)" },
	[R_ZOMBIE] = { "zombie", SCOPE_PROCESS,
		"the process has exited and only waits for its parent to reap it: it has no memory left",
		NULL },
	[R_ALREADY_TRACED] = { "already-traced", SCOPE_PROCESS,
		"another program (a debugger or strace) is attached to the process, and a process can have only one tracer",
		"detach the other tracer first" },
	[R_PTRACE_DENIED] = { "ptrace-denied", SCOPE_PROCESS,
		"the kernel's ptrace access rules do not let pvmmap read or attach to this process",
		"run pvmmap as root, or as the process's owner where kernel.yama.ptrace_scope permits it" },
	[R_SECCOMP_BLOCKS] = { "seccomp-blocks", SCOPE_PROCESS,
		"the process runs under a seccomp filter that could refuse the system calls pvmmap must run inside it, or kill the process for them",
		"run pvmmap with CAP_SYS_ADMIN (as root), which lets it suspend the filter during the operation" },
	[R_CROSS_USER] = { "cross-user", SCOPE_PROCESS,
		"the source and the target belong to different users, so memory would cross a trust boundary",
		"pass --allow-cross-user if that is intended" },
	[R_ARCH_MISMATCH] = { "arch-mismatch", SCOPE_PROCESS,
		"the process runs in a mode pvmmap does not support (a 32-bit process, or another architecture)",
		NULL },
	[R_TIMEOUT] = { "timeout", SCOPE_PROCESS,
		"the process did not stop within the time allowed (it may be stuck in uninterruptible sleep, state D)",
		"try again later, or with a longer --timeout" },
	[R_LEADER_EXITED] = { "leader-exited", SCOPE_PROCESS,
		"the process's main thread has exited (pthread_exit) while other threads run on: /proc and ptrace reach the memory through the main thread, which pvmmap cannot use",
		NULL },
};

static const struct note_info notes[N__COUNT] = {
	[N_NONE] = { NULL, NULL },
	[N_FROZEN_NO_TRACKING] = { "frozen-no-tracking",
		"copied with the source stopped throughout, not live: this kernel cannot track the source's writes" },
	[N_FROZEN_UFFD] = { "frozen-uffd",
		"copied with the source stopped throughout, not live: the source itself registered this memory with userfaultfd, and a range has one userfaultfd at a time" },
	[N_FROZEN_HUGETLB] = { "frozen-hugetlb",
		"copied with the source stopped throughout, not live: writes to hugetlb memory cannot be tracked reliably" },
	[N_FROZEN_STOPPED] = { "frozen-stopped",
		"copied with the source stopped throughout, not live: the source is stopped (SIGSTOP), so there is no pause to shorten" },
	[N_FROZEN_SMALL] = { "frozen-small",
		"copied with the source stopped throughout, not live: the copied pieces total no more than a live transfer's final round (2 MiB), so one freeze is shorter than the two a live transfer takes" },
};

const struct note_info *note_info(enum note n)
{
	if ((unsigned)n >= N__COUNT)
		n = N_NONE;
	return &notes[n];
}

const struct reason_info *reason_info(enum reason r)
{
	if ((unsigned)r >= R__COUNT)
		r = R_NONE;
	return &table[r];
}

enum reason reason_from_code(const char *code)
{
	for (int r = R_NONE + 1; r < R__COUNT; r++)
		if (code && strcmp(table[r].code, code) == 0)
			return (enum reason)r;
	return R_NONE;
}
