/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What pvmmap needs to know about the CPU architecture it runs on.  Each
 * architecture implements this in src/arch/<uname -m>.c; nothing outside
 * src/arch/ may depend on one architecture.
 */
#ifndef PVMMAP_ARCH_H
#define PVMMAP_ARCH_H

#include <stdbool.h>
#include <stdint.h>

/* The architecture's name as uname -m prints it. */
extern const char arch_name[];

/* e_machine of the native ELF executables pvmmap can work on. */
unsigned arch_elf_machine(void);

/*
 * The end of the user address space of a process whose highest mapping ends
 * at @highest_end (x86_64: 47 bits, or 56 when 5-level paging is in use and
 * the process has opted into it by mapping above 47 bits).
 */
uint64_t arch_task_size(uint64_t highest_end);

#endif
