/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts about processes and the system, gathered read-only from /proc, sysfs
 * and libproc2.  Gathering never attaches to or stops a process.  The planner
 * decides from these facts alone, so it can be tested on recorded ones.
 */
#ifndef PVMMAP_PROC_H
#define PVMMAP_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vma.h"

#define LIMIT_NONE UINT64_MAX /* RLIM_INFINITY, or no cgroup limit */

struct thread_fact {
	pid_t tid;
	bool blocked;            /* /proc/.../syscall gave sp and pc, or the
				    registers of the frozen thread did */
	bool unreadable;         /* task/TID/syscall could not be read (no
				    attach rights): sp and ip not known */
	uint64_t sp, ip;
	uint64_t tls;            /* thread pointer, 0 when not known: only
				    the registers of a frozen thread give it */
	uint64_t robust;         /* the head of its robust-futex list
				    (get_robust_list), 0 when none or not
				    known.  glibc (and musl, when it has one)
				    keeps it in the thread's control block,
				    at the thread pointer: where the thread's
				    TLS is, seen without stopping it */
};

/*
 * The NUMA memory policy of a VMA as /proc/PID/numa_maps tells it (the
 * process's own policy when the VMA has none).  mode and flags are the
 * mbind(2) values (MPOL_*, MPOL_F_STATIC_NODES...); known is false where
 * the text was not understood or names a node above 63: pvmmap then leaves
 * the target's policy alone.
 */
struct policy_fact {
	bool known;
	int mode;                /* MPOL_DEFAULT when nothing is set */
	unsigned flags;
	uint64_t nodes;          /* bit N: node N */
};

/* Parse the policy that starts @text (what follows the address on a
 * numa_maps line).  0, or -EINVAL (then out->known is false). */
int proc_policy_parse(const char *text, struct policy_fact *out);

/* What the kernel knows of a file behind a VMA (stat of map_files or path). */
struct file_fact {
	/* A SysV segment's permissions (/proc/sysvipc/shm, readable only for
	 * the IPC namespace pvmmap runs in): sysv_known false elsewhere. */
	bool sysv_known;
	uint32_t sysv_mode;
	uint32_t sysv_uid, sysv_gid, sysv_cuid, sysv_cgid;
	bool known;              /* stat succeeded */
	bool reachable;          /* pvmmap could open it to hand it over */
	uint32_t mode;           /* st_mode */
	uint64_t rdev;           /* st_rdev, for device files */
};

/*
 * Which VMAs proc_facts_read_scope gathers.  Every transfer used to read
 * the whole of smaps, twice (before the plan, and under the freeze): the
 * kernel prints it by walking every page table of every VMA, so its cost
 * grew with the process, not with the range (docs/kernel-facts.md, "What
 * a range costs").
 */
enum proc_vmas {
	PROC_VMAS_ALL,           /* every VMA, from smaps (maps, clean) */
	PROC_VMAS_RANGE,         /* only the VMAs meeting [start, end), from
				    smaps (vma_range_read): a transfer's source */
	PROC_VMAS_HEADERS,       /* every VMA's header from maps (no smaps
				    field), those meeting [start, end) with
				    their smaps fields: a transfer's target,
				    whose holes and VMA count the plan checks */
};

struct proc_scope {
	enum proc_vmas vmas;
	uint64_t start, end;     /* RANGE, HEADERS: start == end reads none */
};

struct proc_facts {
	pid_t pid;
	struct proc_scope scope; /* what vmas holds: proc_facts_reread reads
				    the same again */
	int procfd;              /* O_PATH|O_DIRECTORY fd of /proc/PID: -1 or >= 3 */

	/* process-level */
	pid_t tgid;
	char state;              /* R S D T t Z X I ... */
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	gid_t groups[64];        /* supplementary groups (the first 64) */
	int ngroups;
	char comm[64];
	int nlwp;
	unsigned long long start_time; /* clock ticks after boot: pins the pid */
	bool kernel_thread;
	pid_t tracer_pid;
	char tracer_comm[64];
	int seccomp_mode;        /* 0 none, 1 strict, 2 filter */
	uint64_t cap_eff, cap_prm;
	bool dumpable;           /* best guess: /proc/PID/status owned by its euid (the
	                          * directory itself always is) */
	bool compat;             /* 32-bit (or x32) process */
	bool leader_exited;      /* its main thread is a zombie, others live */
	uint64_t ipc_ns;         /* inode of its IPC namespace, 0 unknown */
	bool arch_known;         /* compat/elf_machine could be read */
	unsigned elf_machine;    /* e_machine of /proc/PID/exe */
	uint64_t task_size;      /* the end of its user address space, as its
				    mappings tell it (proc_task_size); 0 when
				    vmas holds only a range */
	/* Set afresh by every execve, fixed for the life of an mm, and read
	 * without walking the VMAs: stat's startstack and auxv's
	 * AT_SYSINFO_EHDR (where the vdso is).  0 when not readable. */
	uint64_t start_stack, vdso;

	/* resources, for target-side rules */
	uint64_t rlim_as, rlim_memlock;  /* bytes, LIMIT_NONE for unlimited */
	uint64_t vm_size, vm_lck;        /* bytes, from status */
	uint64_t memcg_headroom;         /* bytes the memory cgroup can still take */

	struct thread_fact *threads;
	size_t nthreads;

	/* After proc_facts_read failed with -EACCES: the file of /proc/PID
	 * that was refused ("smaps"), or NULL. */
	const char *denied;

	struct vma_list vmas;
	/* A RANGE scope's: the smaps text before the range as its read
	 * measured it, and cursors placed before the freeze
	 * (proc_cursors_place), NULL when none.  proc_facts_recheck moves
	 * them into the facts it reads; proc_facts_free closes them. */
	struct vma_prefix smaps_prefix;
	struct proc_cursors *cursors;
	struct file_fact *files;         /* parallel to vmas.v */
	struct policy_fact *policies;    /* parallel to vmas.v; NULL without NUMA */

	/* Residency of VMAs cut at the edges of the requested range, measured
	 * with proc_range_residency by the caller that knows the range. */
	struct residency { uint64_t start, end, rss, swap; bool known; } edges[2];
};

/* smaps and numa_maps read up to just before a range (vma_range_cursor):
 * what the first proc_facts_recheck and proc_policies_read after it read
 * through, each once; fd -1 when none. */
struct proc_cursors {
	struct vma_cursor smaps, numa;
};

struct hugepool { uint64_t page_size, free_pages; };

struct sys_facts {
	char arch[16];           /* the architecture pvmmap runs on, as uname -m
				    prints it */
	unsigned elf_machine;    /* e_machine of the native executables it can
				    work on */
	pid_t self_pid;
	uid_t self_euid;
	gid_t self_egid;
	uint64_t self_cap_eff, self_cap_prm;
	bool self_init_userns;   /* in the initial user namespace: its
				    capabilities reach every process */
	int yama_scope;          /* -1: no Yama */
	char lsm[128];           /* /sys/kernel/security/lsm ("" unknown) */
	uint64_t max_map_count;
	uint64_t mmap_min_addr;
	uint64_t page_size;
	struct hugepool pools[8];
	int npools;
	/* Whether the kernel can track a live source's writes (the caller
	 * fills it in from track_probe: a fact of the kernel), and if not,
	 * why (a static string); proc_sys_read leaves them false and NULL. */
	bool track_ok;
	const char *track_why;
};

/* The facts that do not belong to one process. */
int proc_sys_read(struct sys_facts *sf);

/*
 * Read everything about @pid.  Returns 0 (even for a zombie, a thread id or
 * a kernel thread: those are facts the planner turns into reasons), -ESRCH
 * when no such process exists, or another -errno (-EACCES: pf->denied
 * names the file, and stays set after the failure).  @with_maps: also read
 * smaps, thread registers and files (skipped for zombies and kernel threads).
 */
int proc_facts_read(pid_t pid, bool with_maps, struct proc_facts *pf);
/* The same with the VMAs @scope says (proc_facts_read with maps reads
 * PROC_VMAS_ALL); the same results. */
int proc_facts_read_scope(pid_t pid, const struct proc_scope *scope, struct proc_facts *pf);
/* Read the process of @old again, with the same scope, into @pf. */
int proc_facts_reread(const struct proc_facts *old, struct proc_facts *pf);
/*
 * The re-reads under a live transfer's freezes, where the source pauses
 * while they run (issue 10).  Both read @old's process with @old's scope
 * (a RANGE scope for proc_facts_reread_headers) and leave out what cannot
 * change the plan of a source that is already attached: its limits and
 * memory cgroup (the plan's rules read only the target's) and its ELF
 * header (only an execve changes it, and the reader of the facts tells an
 * execve from comm, auxv and stat): those are @old's.  Who it is (state,
 * ids, threads, flags) comes from its stat and status, not libproc2,
 * which reads more files by pid number: pvmmap holds the process, and
 * the start time pins it.
 *
 * proc_facts_reread_headers, under the first freeze: the range's VMAs
 * from PROCMAP_QUERY alone, no smaps (whose Rss walks every page table of
 * the range, ~9 ms a GiB of 4 KiB pages).  When they are @old's headers,
 * their smaps fields and policies are @old's, read before the freeze;
 * -ESTALE when they are not (the process mapped meanwhile: read it in
 * full), -EOPNOTSUPP without PROCMAP_QUERY, or an error of
 * proc_facts_read_scope.  What it cannot see (VmFlags or a policy changed
 * without a change of the headers, the residency) the final freeze of a
 * live transfer checks.
 *
 * proc_facts_recheck, under the final freeze: what the plan is made from,
 * smaps of the range included (VmFlags exist in smaps alone).
 */
int proc_facts_reread_headers(const struct proc_facts *old, struct proc_facts *pf);
int proc_facts_recheck(const struct proc_facts *old, struct proc_facts *pf);
void proc_facts_free(struct proc_facts *pf);

/*
 * A transfer's source between two processes, before the freeze: place
 * cursors in its smaps (and with @policies, numa_maps) just before the
 * range (vma_range_cursor), which the first proc_facts_recheck of @pf and
 * proc_policies_read of what it read go on from, instead of printing
 * every VMA before the range again under the freeze (issue 10, the
 * `high` case: ~59 ms for a range after 20 000 VMAs).  Costs one more
 * reading of that text now.  Nothing for another scope, a small prefix,
 * without PROCMAP_QUERY or with PVMMAP_NO_SMAPS_CURSOR=1.  0, or -ENOMEM
 * or -errno of reading (then fewer cursors: those re-reads open afresh).
 */
int proc_cursors_place(struct proc_facts *pf, bool policies);

/*
 * The end of the user address space of a process with the VMAs @l
 * (src/arch decides from its highest mapping).
 */
uint64_t proc_task_size(const struct vma_list *l);

/* The command name of any pid (for naming a tracer); "?" when unknown. */
void proc_comm(pid_t pid, char *buf, size_t len);

/*
 * Resident and swapped bytes of [start, end) from /proc/PID/pagemap, for a
 * VMA cut at a range edge.  Returns 0 or -errno.
 */
int proc_range_residency(const struct proc_facts *pf, uint64_t start, uint64_t end,
			 uint64_t *rss, uint64_t *swap);

/* Fill pf->policies from /proc/PID/numa_maps (after proc_facts_read with
 * maps).  Not part of proc_facts_read: numa_maps walks every page table of
 * the process, and only a transfer needs it.  Through pf->cursors' numa_maps
 * cursor once, when it has one and it names every VMA of the facts.  0
 * (also without NUMA support: then pf->policies stays NULL) or -errno. */
int proc_policies_read(struct proc_facts *pf);

/*
 * Open the file behind VMA @v of the process (@procfd: its /proc/PID) with
 * open(2) @flags: through map_files (needs CAP_CHECKPOINT_RESTORE or
 * CAP_SYS_ADMIN), else through its path as the process sees it, only while
 * that is still the VMA's inode.  An fd (close-on-exec), or -errno.
 */
int proc_vma_open(int procfd, const struct vma *v, int flags);

#endif
