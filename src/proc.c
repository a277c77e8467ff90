/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts about processes and the system, read-only.
 *
 * Invariant: every per-process file is opened relative to one O_PATH fd of
 * /proc/PID taken first.  Once the process behind that fd is reaped, every
 * openat() through it fails with ESRCH (ENOENT on older kernels) even if the
 * pid number is reused, so facts of two processes can never be mixed.
 * libproc2 reads by pid number instead; its answer is pinned to ours by the
 * start time, which a reused pid cannot share with a live process.
 */
#include "proc.h"
#include "procfs.h"
#include "rescue_layout.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libproc2/pids.h>

/* include/linux/sched.h; stable since 2.6 */
#define PF_KTHREAD 0x00200000UL

/* pagemap entries read per pread: 64 KiB, so memory stays bounded for any range. */
#define PAGEMAP_CHUNK 8192

#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAP    (UINT64_C(1) << 62)
#define PM_GUARD   (UINT64_C(1) << 58) /* 6.15: guard regions also set PM_SWAP */

/*
 * For a file every /proc/PID has: once the process is reaped, openat through
 * the stale directory fd gives ESRCH (6.x) or ENOENT (older kernels).
 */
static int gone_errno(int e)
{
	return (e == ENOENT || e == ESRCH) ? -ESRCH : procfs_errno(e);
}

/* ---- libproc2 --------------------------------------------------------- */

enum { LP_STATE, LP_RUID, LP_EUID, LP_CMD, LP_NLWP, LP_TGID, LP_BEGAN, LP_FLAGS, LP__N };

static enum pids_item lp_items[LP__N] = {
	[LP_STATE] = PIDS_STATE,
	[LP_RUID] = PIDS_ID_RUID,
	[LP_EUID] = PIDS_ID_EUID,
	[LP_CMD] = PIDS_CMD,
	[LP_NLWP] = PIDS_NLWP,
	[LP_TGID] = PIDS_ID_TGID,
	[LP_BEGAN] = PIDS_TICS_BEGAN,
	[LP_FLAGS] = PIDS_FLAGS,
};

/*
 * Our own accessor: PIDS_VAL took 4 arguments before procps 4.0.5 and 3
 * after, and the result union is the same in both.
 */
static const struct pids_result *lp_val(const struct pids_stack *st, int item)
{
	return &st->head[item];
}

struct lp_facts {
	char state;
	uid_t ruid, euid;
	int nlwp;
	pid_t tgid;
	unsigned long long began;
	unsigned long flags;
	char comm[64];
};

/*
 * libproc2 select on one pid.  Measured on procps 4.0.2 / Linux 6.18:
 * - a pid that does not exist: the fetch succeeds with total 0;
 * - a thread id (not listed in /proc, but /proc/TID exists): total 1, with
 *   the thread's state and start time, TGID from status (the process) and
 *   NLWP of the whole process;
 * - a zombie: total 1 with state Z; once reaped: total 0;
 * - kthreadd (pid 2): total 1, FLAGS has PF_KTHREAD.
 */
static int lp_read(pid_t pid, struct lp_facts *lp)
{
	struct pids_info *info = NULL;
	struct pids_fetch *f;
	const struct pids_stack *st;
	const char *cmd;
	unsigned id = (unsigned)pid;
	int r;

	r = procps_pids_new(&info, lp_items, LP__N);
	if (r < 0)
		return r == -1 ? -EIO : r;
	if (r > 0 || !info) {
		procps_pids_unref(&info);
		return -EIO;
	}
	errno = 0;
	f = procps_pids_select(info, &id, 1, PIDS_SELECT_PID);
	if (!f || !f->counts) {
		r = procfs_errno(errno);
		goto out;
	}
	if (f->counts->total < 1 || !f->stacks || !f->stacks[0]) {
		r = -ESRCH;
		goto out;
	}
	st = f->stacks[0];
	lp->state = (char)lp_val(st, LP_STATE)->result.s_ch;
	lp->ruid = lp_val(st, LP_RUID)->result.u_int;
	lp->euid = lp_val(st, LP_EUID)->result.u_int;
	lp->nlwp = lp_val(st, LP_NLWP)->result.s_int;
	lp->tgid = lp_val(st, LP_TGID)->result.s_int;
	lp->began = lp_val(st, LP_BEGAN)->result.ull_int;
	lp->flags = lp_val(st, LP_FLAGS)->result.ul_int;
	/* the string belongs to @info: copy it before the unref */
	cmd = lp_val(st, LP_CMD)->result.str;
	snprintf(lp->comm, sizeof lp->comm, "%s", cmd ? cmd : "");
	r = 0;
out:
	procps_pids_unref(&info);
	return r;
}

/* ---- per-process files ------------------------------------------------ */

/*
 * The raw command name (TASK_COMM_LEN bytes at most, any byte but NUL),
 * without the newline the kernel adds.  Not libproc2's PIDS_CMD: that is
 * escaped for display (control bytes become '.', invalid UTF-8 '?'), and
 * escaping is the report's job.
 */
static bool comm_at(int dirfd, const char *path, char *buf, size_t len)
{
	char *comm;
	size_t n;

	if (procfs_read(dirfd, path, PROCFS_CAP, &comm, &n) < 0)
		return false;
	if (n == 0) {
		free(comm);
		return false;
	}
	if (comm[n - 1] == '\n')
		comm[n - 1] = '\0';
	snprintf(buf, len, "%s", comm);
	free(comm);
	return true;
}

static bool is_dead_state(char s);

/*
 * A thread-group leader that called pthread_exit() is a zombie thread of a
 * live process: /proc/PID/stat says Z while other threads run on.  The
 * process's state is then a live thread's (task/TID/stat).  @state is left
 * as it is when no other thread lives.
 */
static bool live_thread_state(const struct proc_facts *pf, char *state)
{
	int tfd = openat(pf->procfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	bool found = false;

	if (tfd < 0)
		return false;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return false;
	}
	while ((de = readdir(d))) {
		char name[300];
		struct procfs_stat st;
		int tid;

		if (!procfs_tid_name(de->d_name, &tid) || tid == pf->pid)
			continue;
		snprintf(name, sizeof name, "task/%s/stat", de->d_name);
		if (procfs_stat_read(pf->procfd, name, &st) == 0 && !is_dead_state(st.state)) {
			*state = st.state;
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

/* State (field 3) and start time (field 22) of /proc/PID/stat. */
static int stat_read(const struct proc_facts *pf, char *state, unsigned long long *start)
{
	struct procfs_stat st;
	int r = procfs_stat_read(pf->procfd, "stat", &st);

	if (r < 0)
		return r;
	*state = st.state;
	*start = st.start;
	if (is_dead_state(*state))
		live_thread_state(pf, state);
	return 0;
}

static int status_read(struct proc_facts *pf)
{
	char *text;
	uint64_t v;
	int r = procfs_read_pid(pf->procfd, "status", PROCFS_CAP, &text, NULL);

	if (r < 0)
		return r;

	/* Tgid: is what tells a thread id from a process */
	r = procfs_field_u64(text, "Tgid", 10, &v);
	if (r < 0 || v == 0 || v > INT_MAX)
		goto bad;
	pf->tgid = (pid_t)v;

	r = procfs_field_u64(text, "TracerPid", 10, &v);
	if (r < 0 || v > INT_MAX)
		goto bad;
	pf->tracer_pid = (pid_t)v;

	r = procfs_field_u64(text, "CapEff", 16, &v);
	if (r < 0)
		goto bad;
	pf->cap_eff = v;
	/* the ptrace access check compares it with pvmmap's capabilities */
	pf->cap_prm = procfs_field_u64(text, "CapPrm", 16, &v) == 0 ? v : 0;

	/* "Gid:\tREAL\tEFFECTIVE\tSAVED\tFS"; "Groups:\tG1 G2 ..." (SysV
	 * permission checks use the effective gid and the groups; the ptrace
	 * access check all of real, effective and saved ids) */
	{
		uint64_t id[64];
		size_t n = procfs_u64_list(procfs_field(text, "Uid"), id, 3);

		pf->suid = n == 3 ? (uid_t)id[2] : pf->ruid;
		if (procfs_u64_list(procfs_field(text, "Gid"), id, 3) == 3) {
			pf->rgid = (gid_t)id[0];
			pf->egid = (gid_t)id[1];
			pf->sgid = (gid_t)id[2];
		}
		n = procfs_u64_list(procfs_field(text, "Groups"), id,
				    sizeof pf->groups / sizeof pf->groups[0]);
		for (size_t i = 0; i < n; i++)
			pf->groups[i] = (gid_t)id[i];
		pf->ngroups = (int)n;
	}

	/* absent without CONFIG_SECCOMP: then nothing filters */
	r = procfs_field_u64(text, "Seccomp", 10, &v);
	if (r == -ENOENT)
		v = 0;
	else if (r < 0 || v > 2)
		goto bad;
	pf->seccomp_mode = (int)v;

	/* no Vm* lines without an mm (kernel threads, zombies) */
	r = procfs_field_kb(text, "VmSize", &pf->vm_size);
	if (r == -ENOENT)
		pf->vm_size = 0;
	else if (r < 0)
		goto bad;
	r = procfs_field_kb(text, "VmLck", &pf->vm_lck);
	if (r == -ENOENT)
		pf->vm_lck = 0;
	else if (r < 0)
		goto bad;

	free(text);
	if (pf->tracer_pid > 0)
		proc_comm(pf->tracer_pid, pf->tracer_comm, sizeof pf->tracer_comm);
	return 0;
bad:
	free(text);
	return -EBADMSG;
}

/* The soft limit of one line of /proc/PID/limits ("unlimited" is RLIM_INFINITY). */
static int limit_value(const char *text, const char *name, uint64_t *out)
{
	size_t nl = strlen(name);
	const char *l = text, *p, *end;

	while (l && *l) {
		if (strncmp(l, name, nl) == 0 && procfs_is_blank(l[nl]))
			break;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	if (!l || !*l)
		return -EBADMSG;
	p = l + nl;
	while (procfs_is_blank(*p))
		p++;
	if (strncmp(p, "unlimited", 9) == 0 && procfs_value_end(p + 9)) {
		*out = LIMIT_NONE;
		return 0;
	}
	if (procfs_u64(p, 10, out, &end) < 0 || !procfs_value_end(end))
		return -EBADMSG;
	return 0;
}

static int limits_read(struct proc_facts *pf)
{
	char *text;
	int r = procfs_read_pid(pf->procfd, "limits", PROCFS_CAP, &text, NULL);

	if (r < 0)
		return r;
	r = limit_value(text, "Max address space", &pf->rlim_as);
	if (r == 0)
		r = limit_value(text, "Max locked memory", &pf->rlim_memlock);
	free(text);
	return r;
}

/* ---- NUMA policy ------------------------------------------------------ */

/* Mode names of mm/mempolicy.c's policy_modes[], longest first where one is
 * the start of another. */
static const struct { const char *name; int mode; bool nodes; } policy_names[] = {
	{ "weighted interleave", 6 /* MPOL_WEIGHTED_INTERLEAVE, 6.9 */, true },
	{ "prefer (many)", 5 /* MPOL_PREFERRED_MANY, 5.15 */, true },
	{ "interleave", 3 /* MPOL_INTERLEAVE */, true },
	{ "default", 0 /* MPOL_DEFAULT */, false },
	{ "prefer", 1 /* MPOL_PREFERRED */, true },
	{ "bind", 2 /* MPOL_BIND */, true },
	{ "local", 4 /* MPOL_LOCAL, 3.8 */, false },
};

int proc_policy_parse(const char *text, struct policy_fact *out)
{
	const char *p = text;
	size_t i, n = sizeof(policy_names) / sizeof(policy_names[0]);

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		size_t l = strlen(policy_names[i].name);
		if (strncmp(p, policy_names[i].name, l) == 0 &&
		    (p[l] == '\0' || p[l] == ' ' || p[l] == '=' || p[l] == ':' || p[l] == '\n'))
			break;
	}
	if (i == n)
		return -EINVAL;
	out->mode = policy_names[i].mode;
	p += strlen(policy_names[i].name);
	/* mpol_to_str: "=static" or "=relative", then "|balancing" */
	if (*p == '=') {
		p++;
		for (;;) {
			if (strncmp(p, "static", 6) == 0) {
				out->flags |= 1u << 15;          /* MPOL_F_STATIC_NODES */
				p += 6;
			} else if (strncmp(p, "relative", 8) == 0) {
				out->flags |= 1u << 14;          /* MPOL_F_RELATIVE_NODES */
				p += 8;
			} else if (strncmp(p, "balancing", 9) == 0) {
				out->flags |= 1u << 13;          /* MPOL_F_NUMA_BALANCING, 5.12 */
				p += 9;
			} else {
				return -EINVAL;
			}
			if (*p != '|')
				break;
			p++;
		}
	}
	if (*p == ':') {
		/* a node list: 0-3,5 */
		p++;
		do {
			uint64_t a, b;

			if (procfs_u64(p, 10, &a, &p) < 0)
				return -EINVAL;
			b = a;
			if (*p == '-' && procfs_u64(p + 1, 10, &b, &p) < 0)
				return -EINVAL;
			if (b < a || b > 63)
				return -EINVAL;
			for (uint64_t k = a; k <= b; k++)
				out->nodes |= UINT64_C(1) << k;
		} while (*p == ',' && p++);
	} else if (policy_names[i].nodes) {
		return -EINVAL;
	}
	if (*p != '\0' && *p != ' ' && *p != '\n')
		return -EINVAL;
	out->known = true;
	return 0;
}

/* numa_maps: one line per VMA, "START POLICY key=value...".  Absent on a
 * kernel without CONFIG_NUMA: then no policy is known, which is no error. */
int proc_policies_read(struct proc_facts *pf)
{
	char *text, *line, *save = NULL;
	size_t k = 0;
	int r = procfs_read(pf->procfd, "numa_maps", PROCFS_CAP, &text, NULL);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	free(pf->policies);
	pf->policies = calloc(pf->vmas.n ? pf->vmas.n : 1, sizeof(*pf->policies));
	if (!pf->policies) {
		free(text);
		return -ENOMEM;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *end;
		uint64_t start;

		if (procfs_u64(line, 16, &start, &end) < 0 || *end != ' ')
			continue;
		/* both lists are in address order */
		while (k < pf->vmas.n && pf->vmas.v[k].start < start)
			k++;
		if (k < pf->vmas.n && pf->vmas.v[k].start == start)
			proc_policy_parse(end + 1, &pf->policies[k]);
	}
	free(text);
	return 0;
}

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

static int memcg_read(struct proc_facts *pf)
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

/*
 * Class and machine from the ELF header of /proc/PID/exe.  A 64-bit process
 * could still far-jump into 32-bit code; the header is the best read-only
 * answer.  No exe (kernel thread, zombie) or no access: arch_known false.
 */
static void arch_read(struct proc_facts *pf)
{
	unsigned char h[EI_NIDENT + 4];
	ssize_t n;
	int fd = openat(pf->procfd, "exe", O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return;
	do
		n = pread(fd, h, sizeof h, 0);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n != (ssize_t)sizeof h || memcmp(h, ELFMAG, SELFMAG) != 0)
		return;
	if (h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64)
		return;
	/* e_type (2 bytes) then e_machine (2 bytes) follow e_ident */
	if (h[EI_DATA] == ELFDATA2LSB)
		pf->elf_machine = (unsigned)h[EI_NIDENT + 2] | (unsigned)h[EI_NIDENT + 3] << 8;
	else if (h[EI_DATA] == ELFDATA2MSB)
		pf->elf_machine = (unsigned)h[EI_NIDENT + 2] << 8 | (unsigned)h[EI_NIDENT + 3];
	else
		return;
	/* x32 is ELFCLASS32 with EM_X86_64: compat too */
	pf->compat = h[EI_CLASS] == ELFCLASS32;
	pf->arch_known = true;
}

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

static int threads_read(struct proc_facts *pf)
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

static int files_read(struct proc_facts *pf)
{
	size_t n = pf->vmas.n;

	pf->files = calloc(n ? n : 1, sizeof *pf->files);
	if (!pf->files)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct vma *v = &pf->vmas.v[i];

		if (v->name && v->name[0] == '/')
			file_read(pf->procfd, v, &pf->files[i]);
	}
	sysv_read(pf);
	return 0;
}

static void maps_drop(struct proc_facts *pf)
{
	vma_list_free(&pf->vmas);
	memset(&pf->vmas, 0, sizeof pf->vmas);
	free(pf->threads);
	pf->threads = NULL;
	pf->nthreads = 0;
	free(pf->files);
	pf->files = NULL;
	free(pf->policies);
	pf->policies = NULL;
}

static bool is_dead_state(char s)
{
	return s == 'Z' || s == 'X' || s == 'x';
}

/*
 * Still the process we opened?  Called last: if it is alive now, it was
 * alive during every read above, so all facts are of one process.  One that
 * became a zombie meanwhile is reported as the zombie it now is.
 */
static int recheck(struct proc_facts *pf)
{
	unsigned long long start;
	char state;
	int r = stat_read(pf, &state, &start);

	if (r < 0)
		return r;
	if (start != pf->start_time)
		return -ESRCH;
	if (is_dead_state(state) && !is_dead_state(pf->state)) {
		pf->state = state;
		maps_drop(pf);
	}
	return 0;
}

static bool gone_now(const struct proc_facts *pf)
{
	unsigned long long start;
	char state;
	int r = stat_read(pf, &state, &start);

	if (r == -ESRCH)
		return true;
	return r == 0 && (state == 'X' || state == 'x' ||
			  (pf->start_time && start != pf->start_time));
}

/* ---- residue of a killed pvmmap ------------------------------------------ */

/* The rescue area (src/rescue_layout.h) whose head is at @at, if it is one
 * a pvmmap other than this one wrote (ours is alive, not residue). */
static bool rescue_head_at(pid_t pid, uint64_t at)
{
	uint64_t head[2 + 1];
	struct iovec l = { head, sizeof head }, r = { (void *)(uintptr_t)at, sizeof head };

	return process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)sizeof head &&
	       memcmp(head, RESCUE_MAGIC, sizeof RESCUE_MAGIC) == 0 &&
	       head[HEAD_PID / 8] != (uint64_t)getpid();
}

/*
 * Rescue code a killed pvmmap left (src/rescue.c): in the tail of the
 * [vdso], or at the start of a small private anonymous r-x mapping of its
 * own.  Read with process_vm_readv, which needs the right to attach but
 * stops nothing; when it is not allowed, nothing is found.
 */
static void residue_find(struct proc_facts *pf)
{
	enum { TAIL = 4096, OWN_MAX = 65536 };
	unsigned char tail[TAIL];

	for (size_t i = 0; i < pf->vmas.n; i++) {
		struct vma *v = &pf->vmas.v[i];
		uint64_t size = v->end - v->start;

		if (strcmp(v->name, "[vdso]") == 0 && size >= TAIL) {
			struct iovec l = { tail, TAIL }, r = { (void *)(uintptr_t)(v->end - TAIL), TAIL };
			if (process_vm_readv(pf->pid, &l, 1, &r, 1, 0) != TAIL)
				continue;
			for (size_t off = 0; off + sizeof RESCUE_MAGIC <= TAIL; off += 16)
				if (memcmp(tail + off, RESCUE_MAGIC, sizeof RESCUE_MAGIC) == 0 &&
				    rescue_head_at(pf->pid, v->end - TAIL + off)) {
					v->residue = v->end - TAIL + off;
					break;
				}
		} else if (!v->name[0] && strcmp(v->perms, "r-xp") == 0 && !v->inode &&
			   size <= OWN_MAX && rescue_head_at(pf->pid, v->start)) {
			v->residue = v->start;
		}
	}
}

/* ---- public ----------------------------------------------------------- */

int proc_facts_read(pid_t pid, bool with_maps, struct proc_facts *pf)
{
	struct lp_facts lp = { 0 };
	unsigned long long start;
	char path[32], state;
	struct stat st;
	bool maps_gone = false;
	int fd, r;

	if (!pf)
		return -EINVAL;
	memset(pf, 0, sizeof *pf);
	pf->procfd = -1;
	pf->pid = pid;
	if (pid <= 0)
		return -ESRCH;

	snprintf(path, sizeof path, "/proc/%d", (int)pid);
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return gone_errno(errno);
	/*
	 * Never 0..2: a zeroed struct (procfd 0) must read as "no fd" to
	 * proc_facts_free, and a stray write to stdout must not reach it.
	 */
	if (fd <= STDERR_FILENO) {
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);

		r = hi < 0 ? procfs_errno(errno) : 0;
		close(fd);
		if (r < 0)
			return r;
		fd = hi;
	}
	pf->procfd = fd;

	r = lp_read(pid, &lp);
	if (r < 0)
		goto fail;
	/* pins libproc2's by-number read to the process behind procfd */
	r = stat_read(pf, &state, &start);
	if (r < 0)
		goto fail;
	if (start != lp.began) {
		r = -ESRCH;
		goto fail;
	}
	pf->state = state;      /* stat_read: a live thread's when the leader exited */
	pf->leader_exited = !is_dead_state(state) && strchr("ZXx", lp.state) && lp.state;
	pf->ruid = lp.ruid;
	pf->euid = lp.euid;
	pf->nlwp = lp.nlwp;
	pf->start_time = start;
	pf->kernel_thread = (lp.flags & PF_KTHREAD) != 0;
	if (!comm_at(pf->procfd, "comm", pf->comm, sizeof pf->comm))
		memcpy(pf->comm, lp.comm, sizeof pf->comm);
	{
		/* a SysV shmid means a segment only in its IPC namespace */
		struct stat ns;
		pf->ipc_ns = fstatat(pf->procfd, "ns/ipc", &ns, 0) == 0 ? (uint64_t)ns.st_ino : 0;
	}

	r = status_read(pf);
	if (r == 0 && pf->tgid != lp.tgid)
		r = -ESRCH; /* both read Tgid: a difference means two processes */
	if (r < 0)
		goto fail;
	r = limits_read(pf);
	if (r < 0)
		goto fail;
	r = memcg_read(pf);
	if (r < 0)
		goto fail;

	/*
	 * task_dump_owner(): the files of /proc/PID are owned by the euid only
	 * while the process is dumpable, else by root of its user namespace (or
	 * root when it has no mm).  The /proc/PID directory itself is exempt,
	 * always the euid's, so ask a file inside it.
	 */
	if (fstatat(pf->procfd, "status", &st, 0) < 0) {
		r = gone_errno(errno);
		goto fail;
	}
	pf->dumpable = st.st_uid == pf->euid;

	arch_read(pf);

	if (with_maps && !is_dead_state(pf->state) && !pf->kernel_thread) {
		r = smaps_read(pf->procfd, &pf->vmas);
		if (r == -ENOENT)
			r = -ESRCH; /* reaped, on kernels before 6.x's ESRCH */
		if (r == -EACCES || r == -EPERM)
			pf->denied = "smaps";
		if (r == 0)
			r = threads_read(pf);
		if (r == 0)
			r = files_read(pf);
		if (r == 0)
			residue_find(pf);
		if (r < 0) {
			maps_drop(pf);
			/* a zombie has no mm: smaps fails as if it were gone */
			if (r != -ESRCH)
				goto fail;
			maps_gone = true;
		}
	}

	r = recheck(pf);
	if (r == 0 && maps_gone && !is_dead_state(pf->state))
		r = -ESRCH;
	if (r < 0)
		goto fail;
	return 0;

fail:
	/*
	 * A task being released prints empty or partial files (limits is
	 * empty once lock_task_sighand() fails): any failure of a process
	 * that is gone, or going (X), meanwhile is "no such process".
	 */
	if (r != -ESRCH && r != -ENOMEM && pf->procfd > STDERR_FILENO && gone_now(pf))
		r = -ESRCH;
	proc_facts_free(pf);
	return r == -EPERM ? -EACCES : r;
}

void proc_facts_free(struct proc_facts *pf)
{
	if (!pf)
		return;
	maps_drop(pf);
	/* procfd is never 0..2, so a zeroed struct closes nothing */
	if (pf->procfd > STDERR_FILENO)
		close(pf->procfd);
	pf->procfd = -1;
}

void proc_comm(pid_t pid, char *buf, size_t len)
{
	char path[32];

	if (!buf || len == 0)
		return;
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if (pid <= 0 || !comm_at(AT_FDCWD, path, buf, len))
		snprintf(buf, len, "?");
}

int proc_range_residency(const struct proc_facts *pf, uint64_t start, uint64_t end,
			 uint64_t *rss, uint64_t *swap)
{
	uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE), first, last, present = 0, swapped = 0;
	uint64_t *buf;
	int fd, r = 0;

	if (!pf || !rss || !swap)
		return -EINVAL;
	*rss = *swap = 0;
	if (pf->procfd <= STDERR_FILENO)
		return -EBADF;
	if (start % ps || end % ps || end < start)
		return -EINVAL;
	if (start == end)
		return 0;
	fd = openat(pf->procfd, "pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		char state;
		unsigned long long st;

		r = gone_errno(errno);
		/*
		 * Without an mm (zombie) pagemap fails with ESRCH, or with
		 * EACCES for non-root since the file is then owned by root.
		 */
		if (r != -ESRCH && stat_read(pf, &state, &st) == 0 &&
		    (is_dead_state(state) || st != pf->start_time))
			r = -ESRCH;
		return r;
	}
	buf = malloc(PAGEMAP_CHUNK * sizeof *buf);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	first = start / ps;
	last = end / ps;
	while (first < last) {
		uint64_t want = last - first < PAGEMAP_CHUNK ? last - first : PAGEMAP_CHUNK;
		ssize_t n = pread(fd, buf, (size_t)want * sizeof *buf, (off_t)(first * sizeof *buf));
		size_t got;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = procfs_errno(errno);
			goto out;
		}
		if (n == 0) {
			/*
			 * pagemap reads nothing once the mm is gone and past
			 * the top of the address space, where nothing is mapped.
			 */
			char state;
			unsigned long long st;

			r = stat_read(pf, &state, &st);
			if (r == 0 && (is_dead_state(state) || st != pf->start_time))
				r = -ESRCH;
			goto out;
		}
		if (n % (ssize_t)sizeof *buf) {
			r = -EIO;
			goto out;
		}
		got = (size_t)n / sizeof *buf;
		for (size_t i = 0; i < got; i++) {
			if (buf[i] & PM_PRESENT)
				present++;
			else if ((buf[i] & PM_SWAP) && !(buf[i] & PM_GUARD))
				swapped++;
		}
		first += got;
	}
out:
	free(buf);
	close(fd);
	if (r == 0) {
		*rss = present * ps;
		*swap = swapped * ps;
	}
	return r;
}

/* ---- system ----------------------------------------------------------- */

static int hugepools_read(struct sys_facts *sf)
{
	static const char pfx[] = "hugepages-";
	struct dirent *de;
	DIR *d = opendir("/sys/kernel/mm/hugepages");

	if (!d)
		return errno == ENOENT ? 0 : procfs_errno(errno); /* no CONFIG_HUGETLBFS */
	while ((de = readdir(d)) && sf->npools < (int)(sizeof sf->pools / sizeof sf->pools[0])) {
		char path[300], *text;
		const char *end;
		uint64_t kb, freep;

		if (strncmp(de->d_name, pfx, sizeof pfx - 1) != 0)
			continue;
		if (procfs_u64(de->d_name + sizeof pfx - 1, 10, &kb, &end) < 0 ||
		    strcmp(end, "kB") != 0 || kb == 0 || kb > UINT64_MAX / 1024)
			continue;
		snprintf(path, sizeof path, "%s/free_hugepages", de->d_name);
		if (procfs_read(dirfd(d), path, PROCFS_CAP, &text, NULL) < 0)
			continue;
		if (procfs_single_u64(text, &freep) == 0) {
			struct hugepool hp = { kb * 1024, freep };
			int i = sf->npools++;

			/* sorted by page size: readdir order is the filesystem's */
			while (i > 0 && sf->pools[i - 1].page_size > hp.page_size) {
				sf->pools[i] = sf->pools[i - 1];
				i--;
			}
			sf->pools[i] = hp;
		}
		free(text);
	}
	closedir(d);
	return 0;
}

static int sysctl_u64(const char *path, uint64_t *out)
{
	char *text;
	int r = procfs_read(AT_FDCWD, path, PROCFS_CAP, &text, NULL);

	if (r < 0)
		return r;
	r = procfs_single_u64(text, out);
	free(text);
	return r;
}

int sys_facts_read(struct sys_facts *sf)
{
	char *text;
	uint64_t v;
	long ps;
	int r;

	memset(sf, 0, sizeof *sf);
	sf->self_pid = getpid();
	sf->self_euid = geteuid();
	sf->self_egid = getegid();

	r = procfs_read(AT_FDCWD, "/proc/self/status", PROCFS_CAP, &text, NULL);
	if (r < 0)
		return r;
	r = procfs_field_u64(text, "CapEff", 16, &sf->self_cap_eff);
	if (r == 0)
		r = procfs_field_u64(text, "CapPrm", 16, &sf->self_cap_prm);
	free(text);
	if (r < 0)
		return -EBADMSG;
	{
		/* PROC_USER_INIT_INO (include/linux/proc_ns.h): the first user
		 * namespace, whose capabilities hold in every other one */
		struct stat ns;
		sf->self_init_userns = stat("/proc/self/ns/user", &ns) == 0 &&
				       ns.st_ino == 0xEFFFFFFDU;
	}
	/* the security modules, in their order; securityfs may be unmounted */
	if (procfs_read(AT_FDCWD, "/sys/kernel/security/lsm", PROCFS_CAP, &text, NULL) == 0) {
		snprintf(sf->lsm, sizeof sf->lsm, "%s", text);
		sf->lsm[strcspn(sf->lsm, "\n")] = '\0';
		free(text);
	}

	/* absent file: no Yama LSM, only the classic ptrace checks */
	r = sysctl_u64("/proc/sys/kernel/yama/ptrace_scope", &v);
	if (r == -ENOENT)
		sf->yama_scope = -1;
	else if (r < 0)
		return r;
	else if (v > INT_MAX)
		return -EBADMSG;
	else
		sf->yama_scope = (int)v;

	r = sysctl_u64("/proc/sys/vm/max_map_count", &sf->max_map_count);
	if (r < 0)
		return r;
	r = sysctl_u64("/proc/sys/vm/mmap_min_addr", &sf->mmap_min_addr);
	if (r < 0)
		return r;
	ps = sysconf(_SC_PAGESIZE);
	if (ps <= 0)
		return -EINVAL;
	sf->page_size = (uint64_t)ps;
	return hugepools_read(sf);
}
