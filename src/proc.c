/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts about one process, read-only: who it is (libproc2, stat, status,
 * limits, its ELF header), and proc_facts_read, which gathers every fact
 * from the readers of src/proc_*.c (memcg, NUMA policy, threads, files
 * behind VMAs, residue; system facts in src/proc_sys.c).
 *
 * Invariant: every per-process file is opened relative to one O_PATH fd of
 * /proc/PID taken first.  Once the process behind that fd is reaped, every
 * openat() through it fails with ESRCH (ENOENT on older kernels) even if the
 * pid number is reused, so facts of two processes can never be mixed.
 * libproc2 reads by pid number instead; its answer is pinned to ours by the
 * start time, which a reused pid cannot share with a live process.
 */
#include "proc.h"
#include "arch.h"
#include "proc_priv.h"
#include "procfs.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libproc2/pids.h>

/* include/linux/sched.h; stable since 2.6 */
#define PF_KTHREAD 0x00200000UL

/* pagemap entries read per pread: 64 KiB, so memory stays bounded for any range. */
#define PAGEMAP_CHUNK 8192

#define PM_PRESENT (UINT64_C(1) << 63)
#define PM_SWAP    (UINT64_C(1) << 62)
#define PM_GUARD   (UINT64_C(1) << 58) /* 6.15: guard regions also set PM_SWAP */

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
 * One libproc2 context for the life of the process, made at the first
 * read: procps_pids_new dlopens libnuma (1.3 ms the first time on the
 * development VM), and a new context's first select touches fresh buffers
 * (0.5-0.8 ms), where a kept one answers the next select in ~0.05 ms
 * (issue 10's fixed costs: the source and the target are read in turn).
 * Its answer lives in the context's stacks until the next select, hence
 * the lock, held until the facts are copied out.  The context is never
 * given back: unref at exit would only add to it.
 */
static pthread_mutex_t lp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pids_info *lp_info;

/*
 * libproc2 select on one pid.  Measured on procps 4.0.2 / Linux 6.18:
 * - a pid that does not exist: the fetch succeeds with total 0;
 * - a thread id (not listed in /proc, but /proc/TID exists): total 1, with
 *   the thread's state and start time, TGID from status (the process) and
 *   NLWP of the whole process;
 * - a zombie: total 1 with state Z; once reaped: total 0;
 * - kthreadd (pid 2): total 1, FLAGS has PF_KTHREAD.
 */
static int lp_select(pid_t pid, struct lp_facts *lp)
{
	struct pids_fetch *f;
	const struct pids_stack *st;
	const char *cmd;
	unsigned id = (unsigned)pid;
	int r;

	if (!lp_info) {
		r = procps_pids_new(&lp_info, lp_items, LP__N);
		if (r < 0) {
			lp_info = NULL;
			return r == -1 ? -EIO : r;
		}
		if (r > 0 || !lp_info) {
			procps_pids_unref(&lp_info);
			lp_info = NULL;
			return -EIO;
		}
	}
	errno = 0;
	f = procps_pids_select(lp_info, &id, 1, PIDS_SELECT_PID);
	if (!f || !f->counts)
		return procfs_errno(errno);
	if (f->counts->total < 1 || !f->stacks || !f->stacks[0])
		return -ESRCH;
	st = f->stacks[0];
	lp->state = (char)lp_val(st, LP_STATE)->result.s_ch;
	lp->ruid = lp_val(st, LP_RUID)->result.u_int;
	lp->euid = lp_val(st, LP_EUID)->result.u_int;
	lp->nlwp = lp_val(st, LP_NLWP)->result.s_int;
	lp->tgid = lp_val(st, LP_TGID)->result.s_int;
	lp->began = lp_val(st, LP_BEGAN)->result.ull_int;
	lp->flags = lp_val(st, LP_FLAGS)->result.ul_int;
	/* the string belongs to the context: copied before the next select */
	cmd = lp_val(st, LP_CMD)->result.str;
	snprintf(lp->comm, sizeof lp->comm, "%s", cmd ? cmd : "");
	return 0;
}

static int lp_read(pid_t pid, struct lp_facts *lp)
{
	int r;

	pthread_mutex_lock(&lp_lock);
	r = lp_select(pid, lp);
	pthread_mutex_unlock(&lp_lock);
	return r;
}

/*
 * lp_read's facts from the process's own stat and status, through procfd,
 * for a re-read under a freeze (read_opts.held): libproc2 reads
 * /proc/uptime and status twice more, by pid number, ~0.1-0.2 ms of the
 * source's pause (issue 10).  The process is the one procfd pinned, as
 * the start time checks after; comm is left to comm_at.
 */
static int lp_read_at(int procfd, struct lp_facts *lp)
{
	struct procfs_stat st;
	uint64_t id[2], nlwp, tgid;
	char *text;
	int r = procfs_stat_read(procfd, "stat", &st);

	if (r < 0)
		return r;
	lp->state = st.state;
	lp->began = st.start;
	lp->flags = st.flags;
	r = procfs_read_pid(procfd, "status", PROCFS_CAP, &text, NULL);
	if (r < 0)
		return r;
	if (procfs_u64_list(procfs_field(text, "Uid"), id, 2) != 2 ||
	    procfs_field_u64(text, "Threads", 10, &nlwp) < 0 || nlwp > INT_MAX ||
	    procfs_field_u64(text, "Tgid", 10, &tgid) < 0 || tgid == 0 || tgid > INT_MAX) {
		r = -EBADMSG;
	} else {
		lp->ruid = (uid_t)id[0];
		lp->euid = (uid_t)id[1];
		lp->nlwp = (int)nlwp;
		lp->tgid = (pid_t)tgid;
	}
	free(text);
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

/* ---- public ----------------------------------------------------------- */

/* pf->procfd: the fd every per-process file is read through. */
static int procfd_open(struct proc_facts *pf)
{
	char path[32];
	int fd, r;

	snprintf(path, sizeof path, "/proc/%d", (int)pf->pid);
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
	return 0;
}

/* Who the process is: libproc2's facts (@held: the same from stat and
 * status, lp_read_at), pinned to procfd, then stat and status. */
static int identity_read(struct proc_facts *pf, bool held)
{
	struct lp_facts lp = { 0 };
	unsigned long long start;
	char state;
	int r = held ? lp_read_at(pf->procfd, &lp) : lp_read(pf->pid, &lp);

	if (r < 0)
		return r;
	/* pins libproc2's by-number read to the process behind procfd */
	r = stat_read(pf, &state, &start);
	if (r < 0)
		return r;
	if (start != lp.began)
		return -ESRCH;
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
	return r;
}

/*
 * task_dump_owner(): the files of /proc/PID are owned by the euid only
 * while the process is dumpable, else by root of its user namespace (or
 * root when it has no mm).  The /proc/PID directory itself is exempt,
 * always the euid's, so ask a file inside it.
 */
static int dumpable_read(struct proc_facts *pf)
{
	struct stat st;

	if (fstatat(pf->procfd, "status", &st, 0) < 0)
		return gone_errno(errno);
	pf->dumpable = st.st_uid == pf->euid;
	return 0;
}

/*
 * What a read leaves out, for the re-reads of a live transfer's freezes
 * (proc_facts_reread_headers, proc_facts_recheck): the source pauses
 * while they run.
 */
struct read_opts {
	bool headers;            /* a RANGE scope's VMAs from PROCMAP_QUERY
				    alone: no smaps field */
	bool no_resources;       /* no limits, memcg, exe */
	bool held;               /* frozen by pvmmap: no libproc2 (lp_read_at) */
	struct proc_cursors *cursors; /* to move into the facts read (recheck) */
};

/* The VMAs pf->scope asks for. */
static int vmas_read(struct proc_facts *pf, const struct read_opts *o)
{
	const struct proc_scope *sc = &pf->scope;

	if (o->headers && sc->vmas == PROC_VMAS_RANGE)
		return sc->start < sc->end ? vma_query_range(pf->procfd, sc->start, sc->end, &pf->vmas) : 0;
	switch (sc->vmas) {
	case PROC_VMAS_RANGE:
		return vma_range_read_cur(pf->procfd, sc->start, sc->end,
					  pf->cursors ? &pf->cursors->smaps : NULL,
					  &pf->smaps_prefix, &pf->vmas);
	case PROC_VMAS_HEADERS:
		return vma_headers_range(pf->procfd, sc->start, sc->end, &pf->vmas);
	case PROC_VMAS_ALL:
		break;
	}
	return vma_smaps_read(pf->procfd, &pf->vmas);
}


/*
 * smaps, thread registers, files and residue.  *@gone: smaps failed as if
 * the process were gone, which a zombie's does too (it has no mm): the
 * caller's recheck tells which.
 */
static int maps_read(struct proc_facts *pf, const struct read_opts *o, bool *gone)
{
	int r = vmas_read(pf, o);

	if (r == -ENOENT)
		r = -ESRCH; /* reaped, on kernels before 6.x's ESRCH */
	if (r == -EACCES || r == -EPERM)
		pf->denied = "smaps";
	if (r == 0) {
		struct procfs_stat st;

		/* marks of the mm, for telling an execve: unknown is 0 */
		if (procfs_auxv(pf->procfd, AT_SYSINFO_EHDR, &pf->vdso))
			pf->vdso = 0; /* none: AT_SYSINFO_EHDR is the vdso's start */
		pf->start_stack = procfs_stat_read(pf->procfd, "stat", &st) == 0 ? st.start_stack : 0;
	}
	if (r == 0)
		r = proc_threads_read(pf);
	if (r == 0)
		r = proc_files_read(pf);
	if (r == 0)
		proc_residue_find(pf);
	if (r < 0) {
		maps_drop(pf);
		/* a zombie has no mm: smaps fails as if it were gone */
		if (r == -ESRCH) {
			*gone = true;
			r = 0;
		}
	}
	return r;
}

static int facts_read(pid_t pid, const struct proc_scope *scope, const struct read_opts *o,
		      struct proc_facts *pf);

int proc_facts_read(pid_t pid, bool with_maps, struct proc_facts *pf)
{
	static const struct proc_scope all = { .vmas = PROC_VMAS_ALL };

	return proc_facts_read_scope(pid, with_maps ? &all : NULL, pf);
}

int proc_facts_reread(const struct proc_facts *old, struct proc_facts *pf)
{
	return proc_facts_read_scope(old->pid, &old->scope, pf);
}

int proc_facts_read_scope(pid_t pid, const struct proc_scope *scope, struct proc_facts *pf)
{
	static const struct read_opts all = { 0 };

	return facts_read(pid, scope, &all, pf);
}

/* The facts proc_facts_recheck does not read again: @old's. */
static void keep_resources(const struct proc_facts *old, struct proc_facts *pf)
{
	pf->rlim_as = old->rlim_as;
	pf->rlim_memlock = old->rlim_memlock;
	pf->memcg_headroom = old->memcg_headroom;
	pf->arch_known = old->arch_known;
	pf->elf_machine = old->elf_machine;
	pf->compat = old->compat;
}

int proc_facts_reread_headers(const struct proc_facts *old, struct proc_facts *pf)
{
	static const struct read_opts opts = { .headers = true, .no_resources = true, .held = true };
	int r;

	if (old->scope.vmas != PROC_VMAS_RANGE)
		return -EINVAL;
	r = facts_read(old->pid, &old->scope, &opts, pf);
	if (r)
		return r;
	keep_resources(old, pf);
	if (pf->vmas.n != old->vmas.n || is_dead_state(pf->state) != is_dead_state(old->state))
		goto stale;
	for (size_t i = 0; i < pf->vmas.n; i++) {
		struct vma *v = &pf->vmas.v[i];
		const struct vma *was = &old->vmas.v[i];
		char *name = v->name;
		uint64_t residue = v->residue;

		if (!vma_same_header(v, was))
			goto stale;
		/* the header is the same: the rest is smaps', as read before */
		*v = *was;
		v->name = name;
		v->residue = residue;
	}
	if (old->policies) {
		pf->policies = calloc(old->vmas.n ? old->vmas.n : 1, sizeof(*pf->policies));
		if (!pf->policies) {
			proc_facts_free(pf);
			return -ENOMEM;
		}
		memcpy(pf->policies, old->policies, old->vmas.n * sizeof(*pf->policies));
	}
	return 0;
stale:
	proc_facts_free(pf);
	return -ESTALE;
}

int proc_facts_recheck(const struct proc_facts *old, struct proc_facts *pf)
{
	const struct read_opts opts = { .no_resources = true, .held = true, .cursors = old->cursors };
	int r = facts_read(old->pid, &old->scope, &opts, pf);

	if (!r)
		keep_resources(old, pf);
	return r;
}

static int facts_read(pid_t pid, const struct proc_scope *scope, const struct read_opts *o,
		      struct proc_facts *pf)
{
	bool maps_gone = false, with_maps = scope != NULL;
	int r;

	if (!pf)
		return -EINVAL;
	memset(pf, 0, sizeof *pf);
	pf->procfd = -1;
	pf->pid = pid;
	if (scope)
		pf->scope = *scope;
	if (pid <= 0)
		return -ESRCH;
	if (o->cursors) {
		/* moved (through the old facts' pointer): each is read once,
		 * and closed by whichever facts hold it */
		pf->cursors = malloc(sizeof(*pf->cursors));
		if (pf->cursors) {
			*pf->cursors = *o->cursors;
			o->cursors->smaps.fd = o->cursors->numa.fd = -1;
		}
	}
	r = procfd_open(pf);
	if (r < 0)
		return r;

	r = identity_read(pf, o->held);
	if (r == 0 && !o->no_resources)
		r = limits_read(pf);
	if (r == 0 && !o->no_resources)
		r = proc_memcg_read(pf);
	if (r == 0)
		r = dumpable_read(pf);
	if (r == 0 && !o->no_resources)
		arch_read(pf);
	if (r == 0 && with_maps && !is_dead_state(pf->state) && !pf->kernel_thread)
		r = maps_read(pf, o, &maps_gone);
	if (r == 0)
		r = recheck(pf);
	if (r == 0 && maps_gone && !is_dead_state(pf->state))
		r = -ESRCH;
	if (r == 0) {
		/* a range's VMAs do not tell where the address space ends */
		if (pf->scope.vmas != PROC_VMAS_RANGE)
			pf->task_size = proc_task_size(&pf->vmas);
		return 0;
	}

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

static void cursors_free(struct proc_cursors *c)
{
	if (!c)
		return;
	vma_cursor_close(&c->smaps);
	vma_cursor_close(&c->numa);
	free(c);
}

int proc_cursors_place(struct proc_facts *pf, bool policies)
{
	struct proc_cursors *c;
	int r;

	if (pf->scope.vmas != PROC_VMAS_RANGE || pf->cursors || pf->procfd <= STDERR_FILENO)
		return 0;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->numa.fd = -1;
	r = vma_range_cursor(pf->procfd, VMA_TEXT_SMAPS, pf->scope.start, &pf->smaps_prefix, &c->smaps);
	/* numa_maps lists the VMAs smaps does: the same K */
	if (!r && c->smaps.fd >= 0 && policies)
		r = vma_range_cursor(pf->procfd, VMA_TEXT_NUMA, pf->scope.start, &pf->smaps_prefix,
				     &c->numa);
	if (c->smaps.fd < 0 && c->numa.fd < 0) {
		free(c);
		return r == -EOPNOTSUPP ? 0 : r;
	}
	pf->cursors = c;
	return r;
}

void proc_facts_free(struct proc_facts *pf)
{
	if (!pf)
		return;
	maps_drop(pf);
	cursors_free(pf->cursors);
	pf->cursors = NULL;
	/* procfd is never 0..2, so a zeroed struct closes nothing */
	if (pf->procfd > STDERR_FILENO)
		close(pf->procfd);
	pf->procfd = -1;
}

uint64_t proc_task_size(const struct vma_list *l)
{
	uint64_t hi = 0;
	for (size_t i = 0; i < l->n; i++)
		if (arch_user_mapping(l->v[i].end) && l->v[i].end > hi)
			hi = l->v[i].end;
	return arch_task_size(hi);
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
