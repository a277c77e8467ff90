/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sys/mman.h>

#include "pvmmap.h"

void *process_vm_mmap(pid_t pid, uintptr_t src_addr, size_t len, uintptr_t dst_addr,
		      unsigned long flags)
{
	(void)pid; (void)src_addr; (void)len; (void)dst_addr; (void)flags;
	errno = ENOSYS;
	return MAP_FAILED;
}
