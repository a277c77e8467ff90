/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files behind VMAs: what stat says of each, whether pvmmap could
 * open it, and SysV segment permissions
 * (part of the facts layer: see src/proc.c for its invariant).
 */
#include "proc.h"
#include "proc_priv.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- files behind VMAs ------------------------------------------------ */

/*
 * Could pvmmap open the file to hand it over?  A device's open() runs its
 * driver (a tty raises DTR, some allow one opener): for those only resolve
 * the path (O_PATH), which still checks access to the link.
 */
static bool probe_open(int dirfd, const char *path, uint32_t mode, const uint64_t *want_ino)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
	bool ok = true;
	int fd;

	if (S_ISCHR(mode) || S_ISBLK(mode))
		flags = O_PATH | O_CLOEXEC;
	fd = openat(dirfd, path, flags);
	if (fd < 0)
		return false;
	if (want_ino) {
		struct stat st;

		/* the path may have been renamed over since the fstatat */
		ok = fstat(fd, &st) == 0 && (uint64_t)st.st_ino == *want_ino;
	}
	close(fd);
	return ok;
}

/* The name of the VMA's map_files link, relative to /proc/PID. */
static void map_files_name(const struct vma *v, char buf[64])
{
	snprintf(buf, 64, "map_files/%" PRIx64 "-%" PRIx64, v->start, v->end);
}

/*
 * The VMA's path as the process sees it, relative to /proc/PID: "root" +
 * its name (@which 0), or the same without the " (deleted)" the kernel
 * appends to an unlinked file (@which 1; a file of that name may have come
 * since).  Malloc'd; NULL when there is no such candidate.
 */
static char *vma_path(const struct vma *v, int which)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof deleted - 1;
	size_t nl = v->name ? strlen(v->name) : 0;
	char *path;

	if (nl == 0 || v->name[0] != '/')
		return NULL;
	if (which == 1 && (nl <= dl || strcmp(v->name + nl - dl, deleted) != 0))
		return NULL;
	path = malloc(nl + 5);
	if (!path)
		return NULL;
	memcpy(path, "root", 4);
	memcpy(path + 4, v->name, nl + 1);
	if (which == 1)
		path[4 + nl - dl] = '\0';
	return path;
}

static bool path_try(int procfd, const char *path, const struct vma *v, struct file_fact *f)
{
	struct stat st;

	/* a path names whatever is there now: only the VMA's own inode counts */
	if (fstatat(procfd, path, &st, 0) != 0 || (uint64_t)st.st_ino != v->inode)
		return false;
	f->known = true;
	f->mode = st.st_mode;
	f->rdev = st.st_rdev;
	f->reachable = probe_open(procfd, path, st.st_mode, &v->inode);
	return true;
}

/*
 * map_files/START-END names the VMA's file itself, but following it needs
 * CAP_CHECKPOINT_RESTORE (or CAP_SYS_ADMIN) in the initial user namespace.
 * Without that, the path as the process sees it (through /proc/PID/root),
 * accepted only when it is still the same inode.
 */
int proc_vma_open(int procfd, const struct vma *v, int flags)
{
	char mf[64];
	int fd, err;

	flags |= O_CLOEXEC | O_NOCTTY;
	map_files_name(v, mf);
	fd = openat(procfd, mf, flags);
	if (fd >= 0)
		return fd;
	err = -errno;
	for (int i = 0; i < 2; i++) {
		char *path = vma_path(v, i);
		struct stat st;

		if (!path)
			continue;
		fd = openat(procfd, path, flags);
		err = fd < 0 ? -errno : -ESTALE;
		free(path);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && (uint64_t)st.st_ino == v->inode)
			return fd;
		close(fd);
	}
	return err;
}

static void file_read(int procfd, const struct vma *v, struct file_fact *f)
{
	char mf[64];
	struct stat st;

	map_files_name(v, mf);
	if (fstatat(procfd, mf, &st, 0) == 0) {
		f->known = true;
		f->mode = st.st_mode;
		f->rdev = st.st_rdev;
		f->reachable = probe_open(procfd, mf, st.st_mode, NULL);
		return;
	}
	for (int i = 0; i < 2; i++) {
		char *path = vma_path(v, i);
		bool found = path && path_try(procfd, path, v, f);

		free(path);
		if (found)
			return;
	}
}

/*
 * The permissions of the SysV segments the process has attached, from
 * /proc/sysvipc/shm ("key shmid perms size cpid lpid nattch uid gid cuid
 * cgid ..."), which lists the segments of the reader's IPC namespace: only
 * when that is the process's too.
 */
static void sysv_read(struct proc_facts *pf)
{
	struct stat self;
	char *text = NULL, *line, *save = NULL;
	bool any = false;

	for (size_t i = 0; i < pf->vmas.n && !any; i++)
		any = strncmp(pf->vmas.v[i].name, "/SYSV", 5) == 0;
	if (!any || !pf->ipc_ns || stat("/proc/self/ns/ipc", &self) < 0 ||
	    (uint64_t)self.st_ino != pf->ipc_ns ||
	    procfs_read(AT_FDCWD, "/proc/sysvipc/shm", PROCFS_CAP, &text, NULL) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long key, id, size;
		unsigned mode, uid, gid, cuid, cgid;
		int cpid, lpid;
		unsigned long nattch;

		if (sscanf(line, "%llu %llu %o %llu %d %d %lu %u %u %u %u", &key, &id, &mode, &size,
			   &cpid, &lpid, &nattch, &uid, &gid, &cuid, &cgid) != 11)
			continue;       /* the header */
		for (size_t i = 0; i < pf->vmas.n; i++) {
			struct file_fact *f = &pf->files[i];
			if (pf->vmas.v[i].inode != id || strncmp(pf->vmas.v[i].name, "/SYSV", 5) != 0)
				continue;
			f->sysv_known = true;
			f->sysv_mode = mode & 0777;
			f->sysv_uid = uid;
			f->sysv_gid = gid;
			f->sysv_cuid = cuid;
			f->sysv_cgid = cgid;
		}
	}
	free(text);
}

int proc_files_read(struct proc_facts *pf)
{
	size_t n = pf->vmas.n;

	pf->files = calloc(n ? n : 1, sizeof *pf->files);
	if (!pf->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct vma *v = &pf->vmas.v[i];

		/* a target's other VMAs are read for their place alone */
		if (pf->scope.vmas == PROC_VMAS_HEADERS && !v->has_vmflags)
			continue;
		if (v->name && v->name[0] == '/')
			file_read(pf->procfd, v, &pf->files[i]);
	}
	sysv_read(pf);
	return 0;
}
