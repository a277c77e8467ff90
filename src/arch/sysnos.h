/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The numbers of enum arch_sys, from the architecture's own
 * <sys/syscall.h>, and arch_sysno: included by src/arch/<arch>.c only
 * (this header defines a function, so once per program).  Every entry is
 * set, so a 0 is a real number (x86_64's read); -1 is a syscall the
 * architecture lacks.
 */
#ifndef PVMMAP_ARCH_SYSNOS_H
#define PVMMAP_ARCH_SYSNOS_H

#include <sys/syscall.h>

#include "arch.h"
#include "compat.h"

/* The generic table (aarch64, riscv64) has epoll_pwait only. */
#ifdef __NR_epoll_wait
#define NR_EPOLL_WAIT __NR_epoll_wait
#else
#define NR_EPOLL_WAIT (-1)
#endif

static const long sysnos[ARCH_SYS__COUNT] = {
	[ARCH_SYS_READ] = __NR_read,
	[ARCH_SYS_WRITE] = __NR_write,
	[ARCH_SYS_CLOSE] = __NR_close,
	[ARCH_SYS_MMAP] = __NR_mmap,
	[ARCH_SYS_MPROTECT] = __NR_mprotect,
	[ARCH_SYS_MUNMAP] = __NR_munmap,
	[ARCH_SYS_MREMAP] = __NR_mremap,
	[ARCH_SYS_MADVISE] = __NR_madvise,
	[ARCH_SYS_MLOCK] = __NR_mlock,
	[ARCH_SYS_MLOCK2] = __NR_mlock2,
	[ARCH_SYS_MUNLOCK] = __NR_munlock,
	[ARCH_SYS_MSEAL] = __NR_mseal,
	[ARCH_SYS_SHMAT] = __NR_shmat,
	[ARCH_SYS_SHMDT] = __NR_shmdt,
	[ARCH_SYS_SOCKET] = __NR_socket,
	[ARCH_SYS_CONNECT] = __NR_connect,
	[ARCH_SYS_ACCEPT] = __NR_accept,
	[ARCH_SYS_ACCEPT4] = __NR_accept4,
	[ARCH_SYS_SENDTO] = __NR_sendto,
	[ARCH_SYS_RECVFROM] = __NR_recvfrom,
	[ARCH_SYS_SENDMSG] = __NR_sendmsg,
	[ARCH_SYS_RECVMSG] = __NR_recvmsg,
	[ARCH_SYS_PRCTL] = __NR_prctl,
	[ARCH_SYS_GETPID] = __NR_getpid,
	[ARCH_SYS_GETPPID] = __NR_getppid,
	[ARCH_SYS_GETTID] = __NR_gettid,
	[ARCH_SYS_PROCESS_VM_READV] = __NR_process_vm_readv,
	[ARCH_SYS_PROCESS_VM_WRITEV] = __NR_process_vm_writev,
	[ARCH_SYS_PROCESS_MADVISE] = __NR_process_madvise,
	[ARCH_SYS_PIDFD_OPEN] = __NR_pidfd_open,
	[ARCH_SYS_PIDFD_GETFD] = __NR_pidfd_getfd,
	[ARCH_SYS_MEMFD_CREATE] = __NR_memfd_create,
	[ARCH_SYS_FTRUNCATE] = __NR_ftruncate,
	[ARCH_SYS_EPOLL_WAIT] = NR_EPOLL_WAIT,
	[ARCH_SYS_EPOLL_PWAIT] = __NR_epoll_pwait,
	[ARCH_SYS_EPOLL_PWAIT2] = __NR_epoll_pwait2,
	[ARCH_SYS_RT_SIGTIMEDWAIT] = __NR_rt_sigtimedwait,
	[ARCH_SYS_SEMOP] = __NR_semop,
	[ARCH_SYS_SEMTIMEDOP] = __NR_semtimedop,
	[ARCH_SYS_SOCKETPAIR] = __NR_socketpair,
	[ARCH_SYS_OPENAT] = __NR_openat,
	[ARCH_SYS_FCNTL] = __NR_fcntl,
	[ARCH_SYS_MBIND] = __NR_mbind,
	[ARCH_SYS_GET_MEMPOLICY] = __NR_get_mempolicy,
	[ARCH_SYS_SHMCTL] = __NR_shmctl,
	[ARCH_SYS_USERFAULTFD] = __NR_userfaultfd,
};

long arch_sysno(enum arch_sys s)
{
	if ((unsigned)s >= ARCH_SYS__COUNT)
		return -1;
	return sysnos[s];
}

#endif
