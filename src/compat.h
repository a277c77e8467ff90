/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel interfaces newer than the headers pvmmap is built against (Debian
 * 12: linux-libc-dev 6.1, glibc 2.36).  Each definition names the kernel
 * that added it; every user must probe at run time and fall back cleanly,
 * since a definition here says nothing about the running kernel.
 *
 * Include after the system headers, so that a newer system's own
 * definitions win.
 */
#ifndef PVMMAP_COMPAT_H
#define PVMMAP_COMPAT_H

#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* ---- mmap / madvise --------------------------------------------------- */

/* 4.17.  Older kernels ignore the flag and may return another address:
 * always compare the result with the address asked for. */
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* 5.4: reclaim now (a moved page that was swapped out goes back out) */
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/* 5.14 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* 6.13: guard regions (VmFlag `gu`, pagemap bit 58 from 6.15) */
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

/* ---- syscall numbers -------------------------------------------------- */
/* Syscalls added since 5.1 have one number on every architecture but alpha. */

/* 6.10: mseal(addr, len, 0); a sealed VMA shows VmFlag `sl` */
#ifndef __NR_mseal
#define __NR_mseal 462
#endif

/* ---- userfaultfd ------------------------------------------------------ */

/* 4.3 (x86_64: 323) */
#ifndef __NR_userfaultfd
#define __NR_userfaultfd 323
#endif

/* 5.11: a uffd that handles user-mode faults only; with it an unprivileged
 * caller gets one although vm.unprivileged_userfaultfd is 0 */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* 6.4: write-protect empty PTEs too (pte markers) */
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1ULL << 13)
#endif

/* 6.7: a write to a protected page just unprotects it, no fault message;
 * PAGEMAP_SCAN's PAGE_IS_WRITTEN then tells */
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1ULL << 15)
#endif

/* ---- ptrace ----------------------------------------------------------- */

/* 5.3 (glibc 2.36 has it; older libcs may not) */
#ifndef PTRACE_GET_SYSCALL_INFO
#define PTRACE_GET_SYSCALL_INFO 0x420e
#endif

/* arm64 regsets (include/uapi/linux/elf.h): 5.19, streaming-mode SVE and
 * SME's ZA; glibc 2.36's elf.h stops at NT_ARM_PAC_ENABLED_KEYS */
#ifndef NT_ARM_SSVE
#define NT_ARM_SSVE 0x40b
#endif
#ifndef NT_ARM_ZA
#define NT_ARM_ZA 0x40c
#endif
/* asm/sigcontext.h, 5.19: sve_context's flags (its __reserved[0] before)
 * and their streaming-mode bit */
#ifndef SVE_SIG_FLAG_SM
#define SVE_SIG_FLAG_SM 0x1
#endif

/* ---- /proc/PID/pagemap ------------------------------------------------ */

/* 6.7: PAGEMAP_SCAN, ioctl on /proc/PID/pagemap (include/uapi/linux/fs.h) */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN   (1 << 1)
#define PAGE_IS_FILE      (1 << 2)
#define PAGE_IS_PRESENT   (1 << 3)
#define PAGE_IS_SWAPPED   (1 << 4)
#define PAGE_IS_PFNZERO   (1 << 5)
#define PAGE_IS_HUGE      (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

struct page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct pm_scan_arg {
	uint64_t size;            /* sizeof(struct pm_scan_arg) */
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;        /* out: where the walk stopped */
	uint64_t vec;             /* struct page_region * */
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif

/* 6.7, with PAGEMAP_SCAN: re-protect the pages reported (uffd-wp async),
 * and fail with EPERM on a VMA not registered in async wp mode */
#ifndef PM_SCAN_WP_MATCHING
#define PM_SCAN_WP_MATCHING   (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#endif

/* 6.15: guard regions as a PAGEMAP_SCAN category */
#ifndef PAGE_IS_GUARD
#define PAGE_IS_GUARD (1 << 8)
#endif

/* ---- /proc/PID/maps --------------------------------------------------- */

/*
 * 6.11: PROCMAP_QUERY, ioctl on /proc/PID/maps (include/uapi/linux/fs.h):
 * the VMA that covers an address, or the next one.  Older kernels answer
 * ENOTTY (the maps file has no ioctl).  What it gives for each kind of VMA
 * and its errors, measured on 6.18: tests/probes/procmap_query.c.
 */
#ifndef PROCMAP_QUERY
#define PROCMAP_QUERY_VMA_READABLE         0x01
#define PROCMAP_QUERY_VMA_WRITABLE         0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE       0x04
#define PROCMAP_QUERY_VMA_SHARED           0x08  /* VM_MAYSHARE: maps' 's' */
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY_FILE_BACKED_VMA      0x20

struct procmap_query {
	uint64_t size;            /* sizeof(struct procmap_query) */
	uint64_t query_flags;     /* in */
	uint64_t query_addr;      /* in */
	uint64_t vma_start;       /* out */
	uint64_t vma_end;         /* out */
	uint64_t vma_flags;       /* out: PROCMAP_QUERY_VMA_* */
	uint64_t vma_page_size;   /* out: smaps' KernelPageSize */
	uint64_t vma_offset;      /* out: 0 for an anonymous VMA, as maps */
	uint64_t inode;           /* out */
	uint32_t dev_major;       /* out */
	uint32_t dev_minor;       /* out */
	uint32_t vma_name_size;   /* in/out: with the NUL; 0 out for no name */
	uint32_t build_id_size;   /* in/out */
	uint64_t vma_name_addr;   /* in */
	uint64_t build_id_addr;   /* in */
};

#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#endif

#endif
