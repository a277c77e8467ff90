/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Give a seized (frozen) process a copy of a file descriptor pvmmap holds,
 * so that the process can then mmap the same object (MAP_SHARED files,
 * memfd, shmem).
 *
 * No filesystem path and no network address is involved, so the target may
 * live in another mount or network namespace, or run as another user:
 *  1. socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC) is run inside the
 *     target, giving it both ends sv[0] and sv[1];
 *  2. pidfd_getfd (Linux 5.6; needs ptrace attach rights, which the tracer
 *     has) copies sv[1] into pvmmap, and the target's sv[1] is closed;
 *  3. pvmmap sends the descriptor with SCM_RIGHTS on its copy of sv[1];
 *  4. recvmsg(sv[0], MSG_CMSG_CLOEXEC | MSG_DONTWAIT) is run inside the
 *     target, which so gets the descriptor, close-on-exec;
 *  5. the target's sv[0] is closed.
 * Every failure closes what was created in both processes, so the target's
 * descriptor table is as it was.  Every descriptor made in the target is in
 * the engine's journal from the syscall that makes it to the one that
 * closes it, so a pvmmap killed meanwhile leaves none behind.
 *
 * The target needs two free descriptor slots (below its RLIMIT_NOFILE) for
 * the moment of the socketpair, and keeps one.
 */
#ifndef PVMMAP_FDPASS_H
#define PVMMAP_FDPASS_H

#include <stdint.h>

#include "inject.h"

/* Bytes of writable memory in the target fdpass_send may use: the two
 * socket numbers, a struct msghdr, one iovec, a control buffer for one
 * descriptor and the one data byte (112 bytes on x86_64; no alignment
 * needed). */
#define FDPASS_SCRATCH 128

/*
 * Give @p (seized) a copy of @fd, a descriptor of the calling process;
 * *remote is its number in @p, with close-on-exec set, and *undo its
 * journal entry (for fdpass_close).  @scratch:
 * FDPASS_SCRATCH writable bytes in @p owned by the caller (clobbered).
 * Returns 0 or -errno:
 *  -ENOSYS   pidfd_getfd is missing (Linux before 5.6)
 *  -EMFILE   the target's descriptor table is full (it needs two free
 *            slots for a moment); also pvmmap's own
 *  -EBADF    @fd is not an open descriptor
 *  -EFAULT   @scratch is not writable memory of @p
 *  -EPROTO   the target's kernel answered in a way it must not
 *  else an error of inject_call (-ESRCH, -ETIMEDOUT, -EACCES: seccomp, ...)
 *  or of the syscalls (-EPERM from pidfd_getfd without ptrace rights, ...).
 * On failure *remote is -1 and the target's descriptor table is as before
 * (unless the target could not run syscalls any more, e.g. it died).
 */
int fdpass_send(struct inject_proc *p, int fd, uint64_t scratch, int *remote, int *undo);

/* Close @remote (journal entry @undo) in @p again, after the target
 * mmapped it: 0 or -errno.  The scratch must not have been reused since. */
int fdpass_close(struct inject_proc *p, int remote, int undo);

#endif
