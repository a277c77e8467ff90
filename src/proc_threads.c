/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The threads of a process: where each one is blocked (task/TID/syscall)
 * and where its TLS is (its robust-futex list)
 * (part of the facts layer: see src/proc.c for its invariant).
 */
#include "proc.h"
#include "proc_priv.h"
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- threads ---------------------------------------------------------- */

/*
 * One line of task/TID/syscall (fs/proc/base.c): "running", or
 * "NR A1 A2 A3 A4 A5 A6 SP PC", or "-1 SP PC" when blocked outside a syscall.
 * @nr is parsed for completeness; struct thread_fact has no field for it yet.
 */
static int syscall_parse(const char *text, struct thread_fact *t, long *nr)
{
	const char *p = text, *end;
	uint64_t v, sp, ip;
	bool neg = false;
	int skip;

	t->blocked = false;
	if (strncmp(p, "running", 7) == 0 && procfs_value_end(p + 7))
		return 0;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (procfs_u64(p, 10, &v, &end) < 0 || *end != ' ' || v > LONG_MAX)
		return -EBADMSG;
	*nr = neg ? -(long)v : (long)v;
	skip = *nr < 0 ? 0 : 6;
	p = end + 1;
	for (int i = 0; i < skip; i++) {
		if (procfs_u64(p, 16, &v, &end) < 0 || *end != ' ')
			return -EBADMSG;
		p = end + 1;
	}
	if (procfs_u64(p, 16, &sp, &end) < 0 || *end != ' ')
		return -EBADMSG;
	p = end + 1;
	if (procfs_u64(p, 16, &ip, &end) < 0 || !procfs_value_end(end))
		return -EBADMSG;
	t->blocked = true;
	t->sp = sp;
	t->ip = ip;
	return 0;
}

/*
 * Where glibc keeps the thread's control block, and with it its TLS: the
 * robust-futex list it registers for every thread (set_robust_list) is a
 * field of that block.  get_robust_list needs the right to read the
 * process (PTRACE_MODE_READ), not to attach, and stops nothing.  0 when
 * the thread has none (a program without glibc) or it cannot be read.
 */
static uint64_t robust_list_read(pid_t tid)
{
	void *head = NULL;
	size_t len = 0;

	if (syscall(SYS_get_robust_list, (int)tid, &head, &len) != 0)
		return 0;
	return (uint64_t)(uintptr_t)head;
}

static int thread_read(int taskfd, struct thread_fact *t)
{
	char path[32], *text;
	long nr = 0;
	int r;

	t->robust = robust_list_read(t->tid);
	snprintf(path, sizeof path, "%d/syscall", (int)t->tid);
	r = procfs_read(taskfd, path, PROCFS_CAP, &text, NULL);
	if (r == -EACCES)
		t->unreadable = true;
	if (r < 0)
		return r;
	/* text we cannot trust: not claimed blocked, so no sp/ip is believed */
	if (syscall_parse(text, t, &nr) < 0)
		t->blocked = false;
	free(text);
	return 0;
}

int proc_threads_read(struct proc_facts *pf)
{
	struct thread_fact *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int r, tfd = openat(pf->procfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (tfd < 0)
		return gone_errno(errno);
	d = fdopendir(tfd);
	if (!d) {
		r = procfs_errno(errno);
		close(tfd);
		return r;
	}
	for (;;) {
		int tid;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno) {
				r = gone_errno(errno);
				goto fail;
			}
			break;
		}
		if (!procfs_tid_name(de->d_name, &tid))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct thread_fact *nv = realloc(v, nc * sizeof *nv);

			if (!nv) {
				r = -ENOMEM;
				goto fail;
			}
			v = nv;
			cap = nc;
		}
		memset(&v[n], 0, sizeof v[n]);
		v[n].tid = (pid_t)tid;
		r = thread_read(dirfd(d), &v[n]);
		/* a thread that exited after the listing is no fact any more */
		if (r == -ENOENT || r == -ESRCH)
			continue;
		/* syscall needs ptrace attach rights; without them the thread stays "not blocked" */
		if (r < 0 && r != -EACCES)
			goto fail;
		n++;
	}
	closedir(d);
	/* a live process has at least one thread */
	if (n == 0) {
		free(v);
		return -ESRCH;
	}
	pf->threads = v;
	pf->nthreads = n;
	return 0;
fail:
	closedir(d);
	free(v);
	return r;
}
