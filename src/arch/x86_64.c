/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "arch.h"

#include <elf.h>

const char arch_name[] = "x86_64";

unsigned arch_elf_machine(void)
{
	return EM_X86_64;
}

/*
 * TASK_SIZE_MAX is (1 << 47) - PAGE_SIZE with 4-level paging: the kernel keeps
 * the last page unmapped as a guard against speculation across the canonical
 * boundary.  With 5-level paging (LA57) a process sees 56 bits only after it
 * asked for an address above 47 bits, so its existing mappings tell which.
 */
uint64_t arch_task_size(uint64_t highest_end)
{
	const uint64_t tasksize_47 = (UINT64_C(1) << 47) - 4096;
	const uint64_t tasksize_56 = (UINT64_C(1) << 56) - 4096;

	return highest_end > tasksize_47 && highest_end <= tasksize_56 ? tasksize_56 : tasksize_47;
}
