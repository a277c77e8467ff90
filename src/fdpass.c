/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Passing a descriptor into a frozen process (see fdpass.h for the steps).
 *
 * Kernel behaviour this file relies on, checked on 6.18 (x86_64) by
 * tests/unit/test_fdpass.c, the last two also by a probe of their own (a
 * descriptor table full at the recvmsg cannot be arranged from a test):
 *  - socketpair() writes sv[] only once both descriptors are installed, so
 *    sv[] still holding the -1 we put there means no descriptor was made.
 *  - pidfd_getfd() always gives the new descriptor close-on-exec.
 *  - A datagram queued on sv[0] stays receivable after every other
 *    reference to sv[1] is gone; it carries its own reference to the file
 *    passed, which the kernel drops if sv[0] is closed unread.
 *  - recvmsg() with room for one descriptor (msg_controllen =
 *    CMSG_LEN(sizeof(int))) installs at most one.  When it cannot install
 *    it (descriptor table full, or an LSM refusing), the datagram is still
 *    consumed, the file is dropped, no cmsg is written and MSG_CTRUNC is set.
 */
#include "fdpass.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The one data byte: SCM_RIGHTS needs a message with some data to ride on
 * (a stream socket would drop it otherwise; on a datagram socket it also
 * tells our datagram from an empty read). */
#define DATA_BYTE 'F'

/*
 * The layout of the scratch memory.  The target's kernel reads these
 * structures with the target's ABI, which is pvmmap's own: inject_seize
 * refuses processes that are not native (-ENOEXEC).
 */
struct area {
	int sv[2];                      /* written by socketpair */
	struct msghdr msg;              /* recvmsg's; flags and controllen come back */
	struct iovec iov;
	/* the cmsg with the descriptor (no struct cmsghdr member: its
	 * flexible array would have to end the struct) */
	_Alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
	char data[8];                   /* the data byte lands here */
};
_Static_assert(sizeof(struct area) <= FDPASS_SCRATCH, "FDPASS_SCRATCH is too small");

#define AT(scratch, field) ((scratch) + offsetof(struct area, field))

/* inject_call_undo with the injection's error and the syscall's merged:
 * 0 or -errno; *ret the syscall's value. */
static int call(struct inject_proc *p, enum arch_sys s, uint64_t a0, uint64_t a1, uint64_t a2,
		uint64_t a3, const struct inject_undo *add, int undoes, int64_t *ret, int *id)
{
	int rc = inject_call_undo(p, s, (uint64_t[6]){ a0, a1, a2, a3 }, add, undoes, ret, id);

	if (rc < 0)
		return rc;
	return *ret < 0 ? (int)*ret : 0;
}

/* Send @fd with SCM_RIGHTS on @sock, with the data byte. */
static int send_fd(int sock, int fd)
{
	char byte = DATA_BYTE;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
	};
	struct cmsghdr *c;
	ssize_t n;

	memset(&ctl, 0, sizeof ctl);
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	/* Never blocks: the receive queue is empty and ours alone.  No SIGPIPE
	 * should the peer be gone. */
	n = sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -EPROTO;
}

/* The descriptor recvmsg left in the cmsg of @a, or -1 when there is none.
 * The buffer was zeroed before, so a recvmsg that never ran shows none. */
static int received_fd(const struct area *a)
{
	struct cmsghdr c;
	int fd;

	memcpy(&c, a->ctl, sizeof c);
	if (c.cmsg_level != SOL_SOCKET || c.cmsg_type != SCM_RIGHTS ||
	    c.cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, a->ctl + CMSG_LEN(0), sizeof fd);
	return fd;
}

/* Journal entries: the descriptors stored at @at (up to @n of them). */
static struct inject_undo fds_at(uint64_t at, uint64_t n)
{
	return (struct inject_undo){ .sys = ARCH_SYS_CLOSE, .a0 = at, .a1 = n,
				     .flags = INJECT_UNDO_FDS_AT };
}

int fdpass_send(struct inject_proc *p, int fd, uint64_t scratch, int *remote, int *undo)
{
	struct area a, back;
	int64_t ret = 0;
	int rc, err, sv[2] = { -1, -1 }, local = -1, got = -1, pair = -1, recv = -1, minus = -1;
	const uint64_t slot = AT(scratch, ctl) + CMSG_LEN(0);
	struct inject_undo both = fds_at(AT(scratch, sv), 2), first = fds_at(AT(scratch, sv), 1),
			   received = fds_at(slot, 1);

	*remote = -1;
	*undo = -1;
	if (fd < 0)
		return -EBADF;

	/* Everything recvmsg needs goes in at once, before anything is
	 * created: a bad @scratch then costs nothing to undo.  The
	 * descriptor's place in the cmsg holds -1 until one lands there: the
	 * journal closes whatever it holds. */
	memset(&a, 0, sizeof a);
	a.sv[0] = a.sv[1] = -1;
	memcpy(a.ctl + CMSG_LEN(0), &minus, sizeof minus);
	a.iov.iov_base = (void *)(uintptr_t)AT(scratch, data);
	a.iov.iov_len = sizeof a.data;
	a.msg.msg_iov = (struct iovec *)(uintptr_t)AT(scratch, iov);
	a.msg.msg_iovlen = 1;
	a.msg.msg_control = (void *)(uintptr_t)AT(scratch, ctl);
	/* room for exactly one descriptor: the kernel installs no more */
	a.msg.msg_controllen = CMSG_LEN(sizeof(int));
	rc = inject_write(p, scratch, &a, sizeof a);
	if (rc < 0)
		return rc;

	/* 1. Both ends in the target.  Datagrams: one sendmsg is one
	 * recvmsg, whole.  Close-on-exec, should the target exec before we
	 * are done (it cannot: it is frozen; but a leak is then harmless). */
	rc = call(p, ARCH_SYS_SOCKETPAIR, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, AT(scratch, sv),
		  &both, -1, &ret, &pair);
	err = inject_read(p, AT(scratch, sv), sv, sizeof sv);
	if (rc < 0)
		goto fail;
	if (err < 0) {
		rc = err;       /* cannot happen short of the target dying */
		goto fail;
	}
	if (sv[0] < 0 || sv[1] < 0 || sv[0] == sv[1]) {
		rc = -EPROTO;
		goto fail;
	}

	/* 2. The sending end into pvmmap.  ENOSYS before 5.6.  The target is
	 * frozen, so sv[1] is still the socket it just made. */
	local = inject_getfd(p, sv[1]);
	if (local < 0) {
		rc = local;
		goto fail;
	}
	/* The target's sv[1] is not needed any more: closing it now means the
	 * target needs only one free slot for the descriptor to come.  The
	 * journal entry then lists sv[0] only. */
	rc = call(p, ARCH_SYS_CLOSE, (uint64_t)sv[1], 0, 0, 0, &first, pair, &ret, NULL);
	if (rc < 0)
		goto fail;

	/* 3. Send.  The datagram holds its own reference to the file. */
	rc = send_fd(local, fd);
	if (rc < 0)
		goto fail;

	/* 4. Receive in the target.  MSG_DONTWAIT: the datagram is queued
	 * already, and an injected syscall must never block. */
	rc = call(p, ARCH_SYS_RECVMSG, (uint64_t)sv[0], AT(scratch, msg),
		  MSG_CMSG_CLOEXEC | MSG_DONTWAIT, 0, &received, -1, &ret, &recv);
	err = inject_read(p, scratch, &back, sizeof back);
	if (err == 0)
		got = received_fd(&back);
	if (rc < 0)
		goto fail;
	if (err < 0) {
		rc = err;
		goto fail;
	}
	if (got < 0) {
		/* The datagram came but its descriptor did not: the kernel
		 * could not install it (MSG_CTRUNC).  The slot sv[1] left
		 * was free a moment ago, so the table filled meanwhile (a
		 * process sharing it, or RLIMIT_NOFILE lowered from outside);
		 * an LSM refusing the file (security_file_receive) looks the
		 * same. */
		rc = (back.msg.msg_flags & MSG_CTRUNC) ? -EMFILE : -EPROTO;
		goto fail;
	}
	if (ret != 1 || back.data[0] != DATA_BYTE || (back.msg.msg_flags & MSG_CTRUNC)) {
		rc = -EPROTO;   /* not our datagram: cannot happen */
		goto fail;
	}

	/* 5. The receiving end is not needed either. */
	rc = inject_journal_undo(p, pair);
	if (rc < 0)
		goto fail;
	close(local);
	*remote = got;
	*undo = recv;
	return 0;

	/* Undo through the journal, last first: it closes exactly what is
	 * open (never a number twice).  Errors of the undoing cannot be
	 * helped (the target is most likely gone then); the first error is
	 * the one reported. */
fail:
	if (recv >= 0)
		inject_journal_undo(p, recv);
	if (local >= 0)
		close(local);
	if (pair >= 0)
		inject_journal_undo(p, pair);
	return rc;
}

int fdpass_close(struct inject_proc *p, int remote, int undo)
{
	int rc;

	if (remote < 0 || undo < 0)
		return -EBADF;
	rc = inject_journal_undo(p, undo);
	return rc == -EINVAL ? -EBADF : rc;     /* closed already */
}
