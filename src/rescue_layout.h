/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The layout of the rescue area pvmmap writes into a process it holds (see
 * src/rescue.c), shared by the C code that writes it and the assembly in
 * src/arch/ that reads it inside the process.  Only #defines: an assembler
 * includes this file too.  All offsets are in bytes; every field is a
 * little-endian 64-bit word unless said otherwise.
 *
 * Area:    HEAD | code | records | journal entries
 * Head:    magic (16 bytes) | pid of the pvmmap that wrote it | area size |
 *          live journal entries | journal capacity | journal offset |
 *          records
 * Record:  one per held thread: the pending journal change of the syscall
 *          injected in it (armed, index, entry), its own signal mask, and
 *          the context it resumes (the architecture's part, from REC_CTX).
 * Entry:   an undo action: nr (s32 syscall number, negative: void),
 *          flags (u32), a0, a1, a2.
 */
#ifndef PVMMAP_RESCUE_LAYOUT_H
#define PVMMAP_RESCUE_LAYOUT_H

#define RESCUE_MAGIC      "pvmmap rescue 1"  /* 15 characters and the NUL */

#define HEAD_MAGIC        0
#define HEAD_PID          16
#define HEAD_SIZE         24
#define HEAD_JCOUNT       32
#define HEAD_JCAP         40
#define HEAD_JOFF         48
#define HEAD_NREC         56
#define HEAD_BYTES        64

#define ENTRY_NR          0
#define ENTRY_FLAGS       4
#define ENTRY_A0          8
#define ENTRY_A1          16
#define ENTRY_A2          24
#define ENTRY_BYTES       32
#define ENTRY_SHIFT       5

/* entry flags */
#define ENTRY_F_RESULT    1   /* a0 is the injected syscall's result */
#define ENTRY_F_FDS_AT    2   /* close: the a1 s32 descriptors stored at a0 (negative: none) */
#define ENTRY_F_MREMAP    4   /* mremap(a0, a1, a1, MREMAP_MAYMOVE | MREMAP_FIXED, a2) */

#define REC_ARMED         0   /* non-zero: a journal change is in flight */
#define REC_IDX           8   /* the entry it changes (== live count: a new one) */
#define REC_PEND          16  /* what that entry becomes if the syscall succeeds */
#define REC_MASK          48  /* the thread's own signal mask */
#define REC_CTX           56  /* the architecture's context */

#endif
