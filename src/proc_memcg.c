/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Room left in the memory cgroups of a process, from /proc/PID/cgroup,
 * /proc/self/mountinfo and the cgroup files
 * (part of the facts layer: see src/proc.c for its invariant).
 */
#include "proc.h"
#include "proc_priv.h"
#include "procfs.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- memory cgroup ---------------------------------------------------- */

/* mountinfo escapes blank, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (const char *r = s; *r; ) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static bool list_has(const char *commalist, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = commalist; p; ) {
		if (strncmp(p, word, wl) == 0 && (p[wl] == ',' || p[wl] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

struct cg_mount {
	char *dir;  /* mount point in our mount namespace */
	char *root; /* the cgroup directory mounted there */
};

static void cg_mount_free(struct cg_mount *m)
{
	free(m->dir);
	free(m->root);
	m->dir = m->root = NULL;
}

/*
 * Where the cgroup2 hierarchy and the v1 memory hierarchy are mounted.
 * Not assumed to be /sys/fs/cgroup: hybrid systems (this one included) have
 * v1 memory at /sys/fs/cgroup/memory and v2 at /sys/fs/cgroup/unified.
 */
static void cg_find_mounts(struct cg_mount *v2, struct cg_mount *v1mem)
{
	char *text, *line, *save = NULL;

	if (procfs_read(AT_FDCWD, "/proc/self/mountinfo", PROCFS_CAP, &text, NULL) < 0)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[16], *tail[4], *s2 = NULL, *tok;
		int nf = 0, nt = 0;
		bool sep = false;
		struct cg_mount *want;

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		for (tok = strtok_r(line, " ", &s2); tok; tok = strtok_r(NULL, " ", &s2)) {
			if (!sep && strcmp(tok, "-") == 0)
				sep = true;
			else if (!sep && nf < 16)
				f[nf++] = tok;
			else if (sep && nt < 4)
				tail[nt++] = tok;
		}
		if (nf < 6 || nt < 3)
			continue;
		if (strcmp(tail[0], "cgroup2") == 0)
			want = v2;
		else if (strcmp(tail[0], "cgroup") == 0 && list_has(tail[2], "memory"))
			want = v1mem;
		else
			continue;
		if (want->dir)
			continue;
		unescape_octal(f[3]);
		unescape_octal(f[4]);
		want->root = strdup(f[3]);
		want->dir = strdup(f[4]);
		if (!want->root || !want->dir)
			cg_mount_free(want);
	}
	free(text);
}

/* One cgroup file as a number; "max" (v2) is no limit. */
static int cg_value(int dfd, const char *name, uint64_t *out)
{
	char *text;
	int r = procfs_read(dfd, name, PROCFS_CAP, &text, NULL);

	if (r < 0)
		return r;
	if (strcmp(text, "max\n") == 0 || strcmp(text, "max") == 0) {
		*out = LIMIT_NONE;
		r = 0;
	} else {
		r = procfs_single_u64(text, out);
	}
	free(text);
	return r;
}

/*
 * Lower *@headroom to the room left in cgroup @path of mount @m and in
 * every ancestor up to the mount's root: a charge must fit all of them.
 * A level whose files cannot be read limits nothing.
 */
static void cg_walk(const struct cg_mount *m, const char *path, bool v2, uint64_t page_size,
		    uint64_t *headroom)
{
	const char *rel = path;
	size_t rl = strlen(m->root);
	char *buf;
	int mfd;

	/* /proc/PID/cgroup is relative to our cgroup namespace, like the mount root */
	if (strcmp(m->root, "/") != 0) {
		if (strncmp(path, m->root, rl) != 0 || (path[rl] != '/' && path[rl] != '\0'))
			return; /* outside what is mounted here */
		rel = path + rl;
	}
	/* a target outside our cgroup namespace shows as /../..: not visible here */
	if (strstr(rel, "/..") || strstr(rel, "/./"))
		return;
	while (*rel == '/')
		rel++;
	buf = strdup(rel);
	if (!buf)
		return;
	mfd = open(m->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0) {
		free(buf);
		return;
	}
	for (;;) {
		size_t bl = strlen(buf);
		char *slash;
		int dfd;

		while (bl > 0 && buf[bl - 1] == '/')
			buf[--bl] = '\0';
		dfd = openat(mfd, bl ? buf : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			uint64_t limit, usage;
			const char *lname = v2 ? "memory.max" : "memory.limit_in_bytes";
			const char *uname = v2 ? "memory.current" : "memory.usage_in_bytes";

			if (cg_value(dfd, lname, &limit) == 0 && cg_value(dfd, uname, &usage) == 0 &&
			    usage != LIMIT_NONE) {
				/*
				 * v1 prints "no limit" as PAGE_COUNTER_MAX pages:
				 * LONG_MAX rounded down to the page size.
				 */
				if (!v2 && page_size && limit >= (uint64_t)LONG_MAX / page_size * page_size)
					limit = LIMIT_NONE;
				if (limit != LIMIT_NONE) {
					uint64_t room = limit > usage ? limit - usage : 0;

					if (room < *headroom)
						*headroom = room;
				}
			}
			close(dfd);
		}
		if (bl == 0)
			break;
		slash = strrchr(buf, '/');
		if (slash)
			*slash = '\0';
		else
			buf[0] = '\0';
	}
	close(mfd);
	free(buf);
}

int proc_memcg_read(struct proc_facts *pf)
{
	struct cg_mount v2 = { 0 }, v1 = { 0 };
	char *text, *line, *save = NULL;
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
	int r = procfs_read_pid(pf->procfd, "cgroup", PROCFS_CAP, &text, NULL);

	if (r < 0)
		return r;
	pf->memcg_headroom = LIMIT_NONE;
	cg_find_mounts(&v2, &v1);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* HIERARCHY-ID:CONTROLLERS:PATH; the path may itself hold ':' */
		char *c1 = strchr(line, ':'), *c2, *path;

		if (!c1)
			continue;
		*c1 = '\0';
		c2 = strchr(c1 + 1, ':');
		if (!c2)
			continue;
		*c2 = '\0';
		path = c2 + 1;
		if (path[0] != '/')
			continue;
		if (strcmp(line, "0") == 0 && c1[1] == '\0') {
			if (v2.dir)
				cg_walk(&v2, path, true, ps, &pf->memcg_headroom);
		} else if (list_has(c1 + 1, "memory")) {
			if (v1.dir)
				cg_walk(&v1, path, false, ps, &pf->memcg_headroom);
		}
	}
	cg_mount_free(&v2);
	cg_mount_free(&v1);
	free(text);
	return 0;
}
