/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The planner on facts built by hand: every reason it can give, every kind
 * and method, range cutting and the per-process rules.  No process is
 * touched: plan_make decides from the structs alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "plan.h"
#include "proc.h"
#include "reasons.h"
#include "vma.h"

/* ---- facts built by hand ------------------------------------------------ */

#define PG      UINT64_C(0x1000)
#define MIB     UINT64_C(0x100000)
#define HUGE2M  (2 * MIB)
#define HUGE1G  (1024 * MIB)
#define A       UINT64_C(0x10000000) /* where the source VMAs of most tests live */
#define SZ      (4 * PG)
#define B       UINT64_C(0x20000000)
#define HA      UINT64_C(0x40000000) /* hugetlb VMAs */
#define TASK47  ((UINT64_C(1) << 47) - PG)
#define TASK56  ((UINT64_C(1) << 56) - PG)

#define CAP_IPC_LOCK_BIT   14
#define CAP_SYS_PTRACE_BIT 19
#define CAP_SYS_ADMIN_BIT  21
#define CAPB(b)            (UINT64_C(1) << (b))
#define CAP_ALL            UINT64_C(0x1ffffffffff) /* root: CAP_CHOWN .. CAP_CHECKPOINT_RESTORE */

#define SRC_PID 1000
#define TGT_PID 2000
#define SELF_PID 77
#define MAXV 16

struct side {
	struct proc_facts pf;
	struct vma v[MAXV];
	struct file_fact f[MAXV];
	char names[MAXV][96];
	struct thread_fact th[4];
};

static struct sys_facts sf;
static struct side S, T;
static struct request req;
static struct plan plan;

static void init_side(struct side *s, pid_t pid, const char *comm)
{
	memset(s, 0, sizeof(*s));
	s->pf.pid = pid;
	s->pf.tgid = pid;
	s->pf.procfd = -1;
	s->pf.state = 'S';
	s->pf.ruid = s->pf.euid = s->pf.suid = 1000;
	s->pf.rgid = s->pf.egid = s->pf.sgid = 1000;
	snprintf(s->pf.comm, sizeof(s->pf.comm), "%s", comm);
	s->pf.nlwp = 1;
	s->pf.dumpable = true;
	s->pf.arch_known = true;
	s->pf.elf_machine = EM_X86_64;
	s->pf.task_size = TASK47;
	s->pf.rlim_as = LIMIT_NONE;
	s->pf.rlim_memlock = LIMIT_NONE;
	s->pf.memcg_headroom = LIMIT_NONE;
	s->pf.threads = s->th;
	s->pf.nthreads = 0;
	s->pf.vmas.v = s->v;
	s->pf.vmas.n = 0;
	s->pf.vmas.cap = MAXV;
	s->pf.files = s->f;
}

static uint64_t perm_flags(const char *perms)
{
	uint64_t f = VMF(MR) | VMF(MW) | VMF(ME);
	if (perms[0] == 'r')
		f |= VMF(RD);
	if (perms[1] == 'w')
		f |= VMF(WR);
	if (perms[2] == 'x')
		f |= VMF(EX);
	if (perms[3] == 's')
		f |= VMF(SH) | VMF(MS);
	return f;
}

/*
 * Add a VMA (in address order).  Defaults: fully resident, 4 KiB pages,
 * protection key 0, VmFlags from the permissions plus @flags; a name
 * starting with '/' gets a regular file the planner can reach, any other a
 * file fact that is not known.
 */
static struct vma *add_vma(struct side *s, uint64_t start, uint64_t end, const char *perms,
			   const char *name, uint64_t flags)
{
	size_t i = s->pf.vmas.n;
	assert_true(i < MAXV);
	assert_int_equal(strlen(perms), 4);
	struct vma *v = &s->v[i];
	memset(v, 0, sizeof(*v));
	v->start = start;
	v->end = end;
	memcpy(v->perms, perms, 5);
	snprintf(s->names[i], sizeof(s->names[i]), "%s", name);
	v->name = s->names[i];
	v->rss = v->pss = end - start;
	v->kernel_page_size = v->mmu_page_size = PG;
	v->pkey = 0;
	v->thp_eligible = -1;
	v->vmflags = perm_flags(perms) | flags;
	v->has_vmflags = true;
	memset(&s->f[i], 0, sizeof(s->f[i]));
	if (name[0] == '/') {
		s->f[i].known = true;
		s->f[i].reachable = true;
		s->f[i].mode = S_IFREG | 0644;
		v->inode = 1234 + i;
		v->dev_major = 8;
		v->dev_minor = 1;
	} else {
		v->anonymous = end - start;
	}
	s->pf.vmas.n = i + 1;
	return v;
}

static struct file_fact *fact(struct side *s, const struct vma *v)
{
	return &s->f[v - s->v];
}

static void add_thread(struct side *s, pid_t tid, bool blocked, uint64_t sp, uint64_t ip)
{
	size_t i = s->pf.nthreads;
	assert_true(i < sizeof(s->th) / sizeof(s->th[0]));
	s->th[i] = (struct thread_fact){ .tid = tid, .blocked = blocked, .sp = sp, .ip = ip };
	s->pf.nthreads = i + 1;
	s->pf.nlwp = (int)(i + 1);
}

static void add_pool(uint64_t page_size, uint64_t free_pages)
{
	assert_true(sf.npools < 8);
	sf.pools[sf.npools++] = (struct hugepool){ page_size, free_pages };
}

/*
 * move or copy [addr, addr+len) to the target, at the same address, with
 * --partial: every piece keeps its own verdict (without it, one refusal
 * makes every other piece skipped: test_all_or_nothing)
 */
static void set_req(enum op op, uint64_t addr, uint64_t len)
{
	memset(&req, 0, sizeof(req));
	req.op = op;
	req.partial = true;
	req.pid = S.pf.pid;
	req.pid2 = T.pf.pid;
	req.has_range = true;
	req.addr = addr;
	req.len = len;
	req.range_end = addr + len;
	req.for_op = op == OP_MAPS ? OP_MOVE : op;
	req.at = ADDR_NONE;
	req.progress = -1;
	req.timeout_s = 10;
}

/* maps PID [--to PID2] --for @for_op, no range */
static void set_maps(enum op for_op, bool to)
{
	set_req(OP_MAPS, 0, 0);
	req.has_range = false;
	req.range_end = 0;
	req.for_op = for_op;
	req.pid2 = to ? T.pf.pid : 0;
}

static void run(const struct proc_facts *tgt)
{
	plan_free(&plan);
	assert_int_equal(plan_make(&sf, &S.pf, tgt, &req, &plan), 0);
	assert_ptr_equal(plan.req, &req);
}

static void run_to(void) { req.pid2 = T.pf.pid; run(&T.pf); }
static void run_self(void) { req.pid2 = S.pf.pid; run(&S.pf); }
static void run_alone(void) { req.pid2 = 0; run(NULL); }

static int setup(void **state)
{
	(void)state;
	memset(&sf, 0, sizeof(sf));
	snprintf(sf.arch, sizeof(sf.arch), "x86_64");
	sf.elf_machine = EM_X86_64;
	sf.self_pid = SELF_PID;
	sf.self_euid = 0;
	sf.self_egid = 0;
	sf.self_cap_eff = sf.self_cap_prm = CAP_ALL;
	sf.self_init_userns = true;
	sf.yama_scope = 1;
	sf.max_map_count = 65530;
	sf.mmap_min_addr = 0x10000;
	sf.page_size = PG;
	sf.npools = 0;
	sf.track_ok = true;
	sf.track_why = NULL;
	add_pool(HUGE2M, 4);
	add_pool(HUGE1G, 0);
	init_side(&S, SRC_PID, "source");
	init_side(&T, TGT_PID, "target");
	memset(&plan, 0, sizeof(plan));
	set_req(OP_COPY, A, SZ);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	plan_free(&plan);
	return 0;
}

/* ---- checking entries ------------------------------------------------------- */

static const char *rname(enum reason r) { return r ? reason_code(r) : "none"; }
static const char *kname(enum kind k) { return plan_kind_name(k) ? plan_kind_name(k) : "null"; }
static const char *mname(enum method m) { return plan_method_name(m) ? plan_method_name(m) : "null"; }

static void check_n(const char *file, int line, size_t n)
{
	if (plan.n == n)
		return;
	print_error("plan has %zu entries, expected %zu (error %s)\n", plan.n, n, rname(plan.error.reason));
	for (size_t i = 0; i < plan.n; i++)
		print_error("  [%zu] 0x%" PRIx64 "-0x%" PRIx64 " %s %s %s %s \"%s\"\n", i, plan.e[i].start,
			    plan.e[i].end, kname(plan.e[i].kind), mname(plan.e[i].method),
			    plan_status_name(plan.e[i].status), rname(plan.e[i].reason), plan.e[i].detail);
	_fail(file, line);
}

static void check_entry(const char *file, int line, size_t i, uint64_t start, uint64_t end,
			enum kind k, enum method m, enum status st, enum reason r, uint64_t dest)
{
	if (i >= plan.n) {
		print_error("no entry %zu: the plan has %zu\n", i, plan.n);
		_fail(file, line);
	}
	const struct plan_entry *e = &plan.e[i];
	if (e->start == start && e->end == end && e->kind == k && e->method == m && e->status == st &&
	    e->reason == r && e->dest_start == dest)
		return;
	print_error("entry %zu (%s):\n"
		    "  got  0x%" PRIx64 "-0x%" PRIx64 " kind %s method %s status %s reason %s dest 0x%" PRIx64 " (\"%s\")\n"
		    "  want 0x%" PRIx64 "-0x%" PRIx64 " kind %s method %s status %s reason %s dest 0x%" PRIx64 "\n",
		    i, e->vma ? e->vma->name : "a gap", e->start, e->end, kname(e->kind), mname(e->method), plan_status_name(e->status),
		    rname(e->reason), e->dest_start, e->detail, start, end, kname(k), mname(m),
		    plan_status_name(st), rname(r), dest);
	_fail(file, line);
}

static void check_error(const char *file, int line, enum reason r, pid_t pid)
{
	if (plan.error.reason == r && (r == R_NONE || plan.error.pid == pid) &&
	    (r == R_NONE || (plan.n == 0 && plan.nblockers == 0)))
		return;
	print_error("plan error %s pid %d (\"%s\"), %zu entries, %d blockers; expected %s pid %d%s\n",
		    rname(plan.error.reason), plan.error.pid, plan.error.detail, plan.n, plan.nblockers,
		    rname(r), pid, r ? " and nothing planned" : "");
	_fail(file, line);
}

#define EXPECT_N(n) check_n(__FILE__, __LINE__, (n))
#define EXPECT(i, s, e, k, m, st, r, d) check_entry(__FILE__, __LINE__, (i), (s), (e), (k), (m), (st), (r), (d))
#define EXPECT_OK(i, s, e, k, m, d) EXPECT(i, s, e, k, m, STATUS_OK, R_NONE, d)
#define EXPECT_REFUSED(i, s, e, k, r, d) EXPECT(i, s, e, k, METHOD_NONE, STATUS_REFUSED, r, d)
#define EXPECT_GAP(i, s, e) EXPECT(i, s, e, KIND_NONE, METHOD_NONE, STATUS_REFUSED, R_NOT_MAPPED, ADDR_NONE)
#define EXPECT_ERROR(r, pid) check_error(__FILE__, __LINE__, (r), (pid))
#define EXPECT_NO_ERROR() check_error(__FILE__, __LINE__, R_NONE, 0)

/* The single VMA at [A, A+SZ) of the source, moved or copied whole to the
 * target at the same address: the one verdict. */
static void one(enum op op)
{
	set_req(op, A, SZ);
	run_to();
	EXPECT_NO_ERROR();
	EXPECT_N(1);
}

#define ONE_OK(op, k, m)   do { one(op); EXPECT_OK(0, A, A + SZ, k, m, A); } while (0)
#define ONE_REFUSED(op, k, r) do { one(op); EXPECT_REFUSED(0, A, A + SZ, k, r, A); } while (0)

/* ---- names and the reasons table --------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	assert_null(plan_kind_name(KIND_NONE));
	assert_string_equal(plan_kind_name(KIND_ANON), "anon");
	assert_string_equal(plan_kind_name(KIND_HEAP), "heap");
	assert_string_equal(plan_kind_name(KIND_STACK), "stack");
	assert_string_equal(plan_kind_name(KIND_FILE), "file");
	assert_string_equal(plan_kind_name(KIND_SHMEM), "shmem");
	assert_string_equal(plan_kind_name(KIND_SYSV), "sysv");
	assert_string_equal(plan_kind_name(KIND_HUGETLB), "hugetlb");
	assert_string_equal(plan_kind_name(KIND_SPECIAL), "special");
	assert_string_equal(plan_kind_name(KIND_DEVICE), "device");
	assert_null(plan_kind_name((enum kind)99));
	assert_null(plan_method_name(METHOD_NONE));
	assert_string_equal(plan_method_name(METHOD_COPY), "copy");
	assert_string_equal(plan_method_name(METHOD_SHARE), "share");
	assert_string_equal(plan_method_name(METHOD_FILE_COW), "file-cow");
	assert_string_equal(plan_method_name(METHOD_REMAP), "remap");
	assert_null(plan_method_name((enum method)99));
	assert_string_equal(plan_status_name(STATUS_OK), "ok");
	assert_string_equal(plan_status_name(STATUS_REFUSED), "refused");
	assert_string_equal(plan_status_name(STATUS_DONE), "done");
	assert_string_equal(plan_status_name(STATUS_FAILED), "failed");
	assert_string_equal(plan_status_name(STATUS_ROLLED_BACK), "rolled-back");
}

/* The contract's codes, in the contract's order: none renamed, none missing. */
static void test_reason_table(void **state)
{
	static const char *const vma_codes[] = {
		"not-mapped", "special-mapping", "io-mapping", "device-mapping", "aio-ring",
		"uffd-registered", "shadow-stack", "sealed", "in-use", "protection-key",
		"hugetlb-unavailable", "target-occupied", "target-out-of-range", "target-map-count",
		"target-memory-limit", "target-memlock-limit", "file-unreachable", "unrecognised",
		/* added by pvmmap beyond the contract's table */
		"huge-page-split", "droppable", "memory-tagged", "in-use-unknown", "all-or-nothing",
	};
	static const char *const proc_codes[] = {
		"no-such-process", "not-a-process", "zombie", "already-traced", "ptrace-denied",
		"seccomp-blocks", "cross-user", "arch-mismatch", "timeout",
		/* added by pvmmap beyond the contract's table */
		"leader-exited",
	};
	(void)state;

	assert_int_equal(R__COUNT, 1 + 23 + 10);
	assert_null(reason_info(R_NONE)->code);
	assert_null(reason_info(R__COUNT)->code);
	assert_null(reason_info((enum reason)-1)->code);
	for (int i = 0; i < 23; i++) {
		enum reason r = (enum reason)(R_NOT_MAPPED + i);
		assert_string_equal(reason_code(r), vma_codes[i]);
		assert_int_equal(reason_info(r)->scope, SCOPE_VMA);
		assert_non_null(reason_info(r)->sentence);
		assert_int_equal(reason_from_code(vma_codes[i]), r);
	}
	for (int i = 0; i < 9; i++) {
		enum reason r = (enum reason)(R_NO_SUCH_PROCESS + i);
		assert_string_equal(reason_code(r), proc_codes[i]);
		assert_int_equal(reason_info(r)->scope, SCOPE_PROCESS);
		assert_non_null(reason_info(r)->sentence);
		assert_int_equal(reason_from_code(proc_codes[i]), r);
	}
	assert_int_equal(reason_from_code("no-such-reason"), R_NONE);
	assert_int_equal(reason_from_code(""), R_NONE);
	assert_int_equal(reason_from_code(NULL), R_NONE);
	/* the contract's hints */
	assert_non_null(strstr(reason_info(R_TARGET_OCCUPIED)->hint, "--replace"));
	assert_non_null(strstr(reason_info(R_CROSS_USER)->hint, "--allow-cross-user"));
}

/* ---- kinds and methods ------------------------------------------------------ */

static void test_kind_anon(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	ONE_OK(OP_MOVE, KIND_ANON, METHOD_COPY);
}

static void test_kind_anon_named(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "[anon:jemalloc arena]", 0);
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	ONE_OK(OP_MOVE, KIND_ANON, METHOD_COPY);
}

static void test_kind_heap(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "[heap]", 0);
	ONE_OK(OP_COPY, KIND_HEAP, METHOD_COPY);
	/* moving the brk heap away crashes every malloc user ... */
	ONE_REFUSED(OP_MOVE, KIND_HEAP, R_IN_USE);
	assert_string_equal(plan.e[0].detail, "it is the brk heap, where malloc keeps the memory it has handed out; "
			    "--force moves it all the same");
	/* ... a piece of it too, and within the process as well */
	set_req(OP_MOVE, A + PG, PG);
	run_to();
	EXPECT_REFUSED(0, A + PG, A + 2 * PG, KIND_HEAP, R_IN_USE, A + PG);
	set_req(OP_MOVE, A, SZ);
	req.at = B;
	run_self();
	EXPECT_REFUSED(0, A, A + SZ, KIND_HEAP, R_IN_USE, B);
	/* unless the user says it is not used (--force) */
	set_req(OP_MOVE, A, SZ);
	req.force = true;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_HEAP, METHOD_COPY, A);
	/* --force does not override what a thread is seen to use */
	add_thread(&S, SRC_PID, true, A + 8, UINT64_C(0x7f0000001000));
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_HEAP, R_IN_USE, A);
	assert_non_null(strstr(plan.e[0].detail, "stack pointer"));
	/* maps --for move says the same */
	S.pf.nthreads = 0;
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_REFUSED(0, A, A + SZ, KIND_HEAP, R_IN_USE, ADDR_NONE);
}

static void test_kind_stack(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "[stack]", VMF(GD) | VMF(AC));
	ONE_OK(OP_COPY, KIND_STACK, METHOD_COPY);
}

static void test_kind_file_private(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	ONE_OK(OP_COPY, KIND_FILE, METHOD_FILE_COW);
	ONE_OK(OP_MOVE, KIND_FILE, METHOD_FILE_COW);
}

static void test_kind_file_shared(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-s", "/var/lib/data/table.bin", 0);
	ONE_OK(OP_COPY, KIND_FILE, METHOD_SHARE);
	ONE_OK(OP_MOVE, KIND_FILE, METHOD_SHARE);
}

static void test_kind_memfd(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-s", "/memfd:buf (deleted)", 0);
	ONE_OK(OP_COPY, KIND_SHMEM, METHOD_SHARE);
	ONE_OK(OP_MOVE, KIND_SHMEM, METHOD_SHARE);
	memcpy(v->perms, "rw-p", 5);
	v->vmflags = perm_flags("rw-p");
	ONE_OK(OP_COPY, KIND_SHMEM, METHOD_FILE_COW);
}

/* MAP_SHARED|MAP_ANONYMOUS: a shmem file the kernel names /dev/zero (deleted) */
static void test_kind_shared_anon(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-s", "/dev/zero (deleted)", 0);
	ONE_OK(OP_COPY, KIND_SHMEM, METHOD_SHARE);
	ONE_OK(OP_MOVE, KIND_SHMEM, METHOD_SHARE);
}

/* A private mapping of /dev/zero is anonymous memory that keeps the name. */
static void test_kind_private_devzero(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-p", "/dev/zero", 0);
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true,
					   .mode = S_IFCHR | 0666, .rdev = makedev(1, 5) };
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	/* the same when the file could not be stat'ed */
	*fact(&S, v) = (struct file_fact){ 0 };
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
}

static void test_kind_sysv(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-s", "/SYSV0000abcd (deleted)", 0);
	/* shmat needs no file: a fact that is not known changes nothing */
	*fact(&S, v) = (struct file_fact){ 0 };
	ONE_OK(OP_COPY, KIND_SYSV, METHOD_SHARE);
	ONE_OK(OP_MOVE, KIND_SYSV, METHOD_SHARE);
	/* IPC_PRIVATE's key is 0 */
	snprintf(S.names[0], sizeof(S.names[0]), "/SYSV00000000 (deleted)");
	ONE_OK(OP_COPY, KIND_SYSV, METHOD_SHARE);
}

/* ipcperms as the kernel does it: owner or creator, group (egid or a
 * supplementary group), others; CAP_IPC_OWNER overrides; a read-only
 * attach needs only read */
static void test_sysv_permission(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-s", "/SYSV0000abcd (deleted)", 0);
	struct file_fact *f = fact(&S, v);
	*f = (struct file_fact){ .sysv_known = true, .sysv_mode = 0640, .sysv_uid = 0,
				 .sysv_gid = 100, .sysv_cuid = 0, .sysv_cgid = 100 };
	T.pf.euid = T.pf.ruid = S.pf.euid = S.pf.ruid = 1000;
	T.pf.egid = 200;
	ONE_REFUSED(OP_COPY, KIND_SYSV, R_FILE_UNREACHABLE);   /* others: --- */
	T.pf.groups[0] = 100;
	T.pf.ngroups = 1;
	ONE_REFUSED(OP_COPY, KIND_SYSV, R_FILE_UNREACHABLE);   /* group: r-- */
	v->perms[0] = 'r'; v->perms[1] = '-';
	ONE_OK(OP_COPY, KIND_SYSV, METHOD_SHARE);               /* read-only attach */
	v->perms[1] = 'w';
	f->sysv_cuid = 1000;                                    /* the creator: rw- */
	ONE_OK(OP_COPY, KIND_SYSV, METHOD_SHARE);
	f->sysv_cuid = 0;
	T.pf.ngroups = 0;
	T.pf.cap_eff = UINT64_C(1) << 15;                       /* CAP_IPC_OWNER */
	ONE_OK(OP_COPY, KIND_SYSV, METHOD_SHARE);
	T.pf.cap_eff = 0;
	f->sysv_known = false;                                  /* another IPC ns */
	ONE_OK(OP_COPY, KIND_SYSV, METHOD_SHARE);
}

static void test_kind_anon_shmem(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-s", "[anon_shmem:ring]", 0);
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true, .mode = S_IFREG | 0600 };
	ONE_OK(OP_COPY, KIND_SHMEM, METHOD_SHARE);
	/* it has no path: without map_files it cannot be reached */
	*fact(&S, v) = (struct file_fact){ 0 };
	ONE_REFUSED(OP_COPY, KIND_SHMEM, R_FILE_UNREACHABLE);
}

static struct vma *add_hugetlb(struct side *s, uint64_t start, uint64_t end, const char *perms,
			       uint64_t page_size)
{
	struct vma *v = add_vma(s, start, end, perms, "/anon_hugepage (deleted)", VMF(HT) | VMF(DE) | VMF(DC));
	v->kernel_page_size = v->mmu_page_size = page_size;
	v->anonymous = 0;
	v->private_hugetlb = perms[3] == 'p' ? end - start : 0;
	v->shared_hugetlb = perms[3] == 's' ? end - start : 0;
	v->rss = 0;
	return v;
}

static void test_kind_hugetlb(void **state)
{
	(void)state;
	add_hugetlb(&S, HA, HA + 2 * HUGE2M, "rw-s", HUGE2M);
	add_hugetlb(&S, HA + 4 * HUGE2M, HA + 6 * HUGE2M, "rw-p", HUGE2M);
	set_maps(OP_COPY, true);
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, METHOD_SHARE, HA);
	EXPECT_OK(1, HA + 4 * HUGE2M, HA + 6 * HUGE2M, KIND_HUGETLB, METHOD_COPY, HA + 4 * HUGE2M);
}

static void test_kind_same_pid_move_is_remap(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	add_vma(&S, B, B + SZ, "rw-s", "/memfd:x (deleted)", 0);
	set_req(OP_MOVE, A, SZ);
	req.at = A + 0x100000;
	run_self();
	EXPECT_NO_ERROR();
	EXPECT_N(1);
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_REMAP, A + 0x100000);
	set_req(OP_MOVE, B, SZ);
	req.at = B + 0x100000;
	run_self();
	EXPECT_OK(0, B, B + SZ, KIND_SHMEM, METHOD_REMAP, B + 0x100000);
	/* a copy within one process is not a remap */
	set_req(OP_COPY, A, SZ);
	req.at = A + 0x100000;
	run_self();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A + 0x100000);
}

/* ---- per-VMA reasons --------------------------------------------------------- */

static void two_vmas_with_hole(void)
{
	add_vma(&S, A, A + 2 * PG, "rw-p", "", 0);
	add_vma(&S, A + 4 * PG, A + 6 * PG, "rw-p", "", 0);
}

static void test_not_mapped_middle(void **state)
{
	(void)state;
	two_vmas_with_hole();
	set_req(OP_MOVE, A, 6 * PG);
	run_to();
	EXPECT_NO_ERROR();
	EXPECT_N(3);
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_COPY, A);
	EXPECT_GAP(1, A + 2 * PG, A + 4 * PG);
	EXPECT_OK(2, A + 4 * PG, A + 6 * PG, KIND_ANON, METHOD_COPY, A + 4 * PG);
	assert_null(plan.e[1].vma);
}

static void test_not_mapped_start(void **state)
{
	(void)state;
	two_vmas_with_hole();
	set_req(OP_COPY, A - 2 * PG, 4 * PG);
	run_to();
	EXPECT_N(2);
	EXPECT_GAP(0, A - 2 * PG, A);
	EXPECT_OK(1, A, A + 2 * PG, KIND_ANON, METHOD_COPY, A);
}

static void test_not_mapped_end(void **state)
{
	(void)state;
	two_vmas_with_hole();
	set_req(OP_COPY, A + 5 * PG, 3 * PG);
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, A + 5 * PG, A + 6 * PG, KIND_ANON, METHOD_COPY, A + 5 * PG);
	EXPECT_GAP(1, A + 6 * PG, A + 8 * PG);
}

static void test_not_mapped_all(void **state)
{
	(void)state;
	two_vmas_with_hole();
	set_req(OP_MOVE, A + 2 * PG, 2 * PG);
	run_to();
	EXPECT_N(1);
	EXPECT_GAP(0, A + 2 * PG, A + 4 * PG);
	/* also with no VMA at all, and without a target */
	S.pf.vmas.n = 0;
	set_req(OP_COPY, A, SZ);
	run_to();
	EXPECT_N(1);
	EXPECT_GAP(0, A, A + SZ);
}

static void test_special_mappings(void **state)
{
	static const char *const names[] = { "[vdso]", "[vvar]", "[vvar_vclock]", "[vsyscall]", "[uprobes]" };
	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		init_side(&S, SRC_PID, "source");
		add_vma(&S, A, A + SZ, i == 1 || i == 2 ? "r--p" : "r-xp", names[i], VMF(DE) | VMF(DD));
		ONE_REFUSED(OP_COPY, KIND_SPECIAL, R_SPECIAL_MAPPING);
		ONE_REFUSED(OP_MOVE, KIND_SPECIAL, R_SPECIAL_MAPPING);
		set_maps(OP_COPY, false);
		run_alone();
		EXPECT_N(1);
		EXPECT_REFUSED(0, A, A + SZ, KIND_SPECIAL, R_SPECIAL_MAPPING, ADDR_NONE);
	}
}

static void test_io_mapping(void **state)
{
	static const struct { const char *name; uint64_t flag; } cases[] = {
		{ "", VMF(IO) | VMF(PF) | VMF(DE) | VMF(DD) }, { "", VMF(PF) }, { "", VMF(MM) },
		{ "/dev/mem", VMF(IO) }, { "/dev/fb0", VMF(PF) },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		init_side(&S, SRC_PID, "source");
		struct vma *v = add_vma(&S, A, A + SZ, "rw-s", cases[i].name, cases[i].flag);
		if (cases[i].name[0])
			*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true,
							   .mode = S_IFCHR | 0600, .rdev = makedev(1, 1) };
		ONE_REFUSED(OP_COPY, KIND_DEVICE, R_IO_MAPPING);
		ONE_REFUSED(OP_MOVE, KIND_DEVICE, R_IO_MAPPING);
	}
}

static void test_device_mapping(void **state)
{
	(void)state;
	/* a character device, known by its stat */
	struct vma *v = add_vma(&S, A, A + SZ, "rw-s", "/dev/dri/card0", 0);
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true,
					   .mode = S_IFCHR | 0660, .rdev = makedev(226, 0) };
	ONE_REFUSED(OP_COPY, KIND_DEVICE, R_DEVICE_MAPPING);
	assert_string_equal(plan.e[0].detail, "device 226:0");
	ONE_REFUSED(OP_MOVE, KIND_DEVICE, R_DEVICE_MAPPING);
	/* private mapping of a device other than /dev/zero */
	memcpy(v->perms, "r--p", 5);
	v->vmflags = perm_flags("r--p");
	ONE_REFUSED(OP_COPY, KIND_DEVICE, R_DEVICE_MAPPING);
	/* a block device */
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true,
					   .mode = S_IFBLK | 0660, .rdev = makedev(8, 0) };
	ONE_REFUSED(OP_COPY, KIND_DEVICE, R_DEVICE_MAPPING);
	/* a device node outside /dev: the stat decides, not the name */
	snprintf(S.names[0], sizeof(S.names[0]), "/srv/chroot/tty");
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true,
					   .mode = S_IFCHR | 0620, .rdev = makedev(4, 1) };
	ONE_REFUSED(OP_COPY, KIND_DEVICE, R_DEVICE_MAPPING);
	/* a shared mapping of /dev/zero that is really 1:5 is not a device */
	snprintf(S.names[0], sizeof(S.names[0]), "/dev/zero");
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true,
					   .mode = S_IFCHR | 0666, .rdev = makedev(1, 5) };
	memcpy(v->perms, "rw-p", 5);
	v->vmflags = perm_flags("rw-p");
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	/* no stat: a /dev/ name is taken for a device */
	snprintf(S.names[0], sizeof(S.names[0]), "/dev/nvidia0");
	memcpy(v->perms, "rw-s", 5);
	v->vmflags = perm_flags("rw-s");
	*fact(&S, v) = (struct file_fact){ 0 };
	ONE_REFUSED(OP_COPY, KIND_DEVICE, R_DEVICE_MAPPING);
	assert_string_equal(plan.e[0].detail, "");
	/* ... but /dev/shm is tmpfs: a file, unreachable without a stat */
	snprintf(S.names[0], sizeof(S.names[0]), "/dev/shm/pool");
	ONE_REFUSED(OP_COPY, KIND_FILE, R_FILE_UNREACHABLE);
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true, .mode = S_IFREG | 0600 };
	ONE_OK(OP_COPY, KIND_FILE, METHOD_SHARE);
}

static void test_aio_ring(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-s", "/[aio] (deleted)", VMF(DC) | VMF(DE));
	*fact(&S, v) = (struct file_fact){ 0 };
	ONE_REFUSED(OP_COPY, KIND_SPECIAL, R_AIO_RING);
	ONE_REFUSED(OP_MOVE, KIND_SPECIAL, R_AIO_RING);
	/* even when map_files could reach it */
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = true, .mode = S_IFREG | 0600 };
	ONE_REFUSED(OP_COPY, KIND_SPECIAL, R_AIO_RING);
}

static void test_uffd_registered(void **state)
{
	static const uint64_t flags[] = { VMF(UM), VMF(UI), VMF(UM) | VMF(UW) };
	(void)state;
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		init_side(&S, SRC_PID, "source");
		add_vma(&S, A, A + SZ, "rw-p", "", flags[i]);
		ONE_REFUSED(OP_COPY, KIND_ANON, R_UFFD_REGISTERED);
		ONE_REFUSED(OP_MOVE, KIND_ANON, R_UFFD_REGISTERED);
	}
	/* write-protection alone never makes a reader wait: copied, frozen */
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + SZ, "rw-p", "", VMF(UW));
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	assert_false(plan.e[0].live);
	assert_int_equal(plan.e[0].note, N_FROZEN_UFFD);
	ONE_OK(OP_MOVE, KIND_ANON, METHOD_COPY);
	assert_int_equal(plan.e[0].note, N_FROZEN_UFFD);
	/* also on a shared file */
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + SZ, "rw-s", "/memfd:guest (deleted)", VMF(UM));
	ONE_REFUSED(OP_COPY, KIND_SHMEM, R_UFFD_REGISTERED);
}

/* Live (issue 10): private anonymous copies, unless a fact says why not. */
/* [A, A+len) of the source, copied or moved whole to the same address. */
static void one_len(enum op op, uint64_t len)
{
	set_req(op, A, len);
	run_to();
	EXPECT_NO_ERROR();
	EXPECT_N(1);
	EXPECT_OK(0, A, A + len, KIND_ANON, METHOD_COPY, A);
}

static void test_live(void **state)
{
	const uint64_t big = PLAN_LIVE_FINAL_BYTES + PG;

	(void)state;
	/* no more than a final round: frozen, one freeze instead of two */
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	ONE_OK(OP_MOVE, KIND_ANON, METHOD_COPY);
	assert_false(plan.e[0].live);
	assert_int_equal(plan.e[0].note, N_FROZEN_SMALL);
	assert_non_null(note_info(N_FROZEN_SMALL)->code);
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + PLAN_LIVE_FINAL_BYTES, "rw-p", "", 0);
	one_len(OP_COPY, PLAN_LIVE_FINAL_BYTES);
	assert_int_equal(plan.e[0].note, N_FROZEN_SMALL);
	/* two pieces: their total counts, both go live */
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + PLAN_LIVE_FINAL_BYTES, "rw-p", "", 0);
	add_vma(&S, A + PLAN_LIVE_FINAL_BYTES, A + big, "r--p", "", 0);
	set_req(OP_COPY, A, big);
	run_to();
	EXPECT_N(2);
	assert_true(plan.e[0].live && plan.e[1].live);
	assert_int_equal(plan.e[1].note, N_NONE);

	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + big, "rw-p", "", 0);
	one_len(OP_MOVE, big);
	assert_true(plan.e[0].live);
	assert_int_equal(plan.e[0].note, N_NONE);
	one_len(OP_COPY, big);
	assert_true(plan.e[0].live);

	/* --frozen: asked for, no note */
	set_req(OP_COPY, A, big);
	req.frozen = true;
	run_to();
	EXPECT_OK(0, A, A + big, KIND_ANON, METHOD_COPY, A);
	assert_false(plan.e[0].live);
	assert_int_equal(plan.e[0].note, N_NONE);

	/* a stopped source: no pause to save */
	S.pf.state = 'T';
	one_len(OP_COPY, big);
	assert_false(plan.e[0].live);
	assert_int_equal(plan.e[0].note, N_FROZEN_STOPPED);
	assert_non_null(note_info(N_FROZEN_STOPPED)->code);
	S.pf.state = 'S';

	/* the kernel cannot track: its why is the note's detail */
	sf.track_ok = false;
	sf.track_why = "no PAGEMAP_SCAN";
	one_len(OP_MOVE, big);
	assert_false(plan.e[0].live);
	assert_int_equal(plan.e[0].note, N_FROZEN_NO_TRACKING);
	assert_string_equal(plan.e[0].note_detail, "no PAGEMAP_SCAN");
	sf.track_ok = true;

	/* maps and shares: never live, no note */
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + SZ, "rw-s", "/dev/zero (deleted)", VMF(SH));
	ONE_OK(OP_COPY, KIND_SHMEM, METHOD_SHARE);
	assert_false(plan.e[0].live);
	assert_int_equal(plan.e[0].note, N_NONE);
	assert_null(note_info(N_NONE)->code);
}

static void test_shadow_stack(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "r--p", "", VMF(SS));
	ONE_REFUSED(OP_COPY, KIND_ANON, R_SHADOW_STACK);
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_SHADOW_STACK);
}

static void test_sealed(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", VMF(SL));
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_SEALED);
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	/* maps: the verdict is for the operation asked about */
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_N(1);
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_SEALED, ADDR_NONE);
	set_maps(OP_COPY, false);
	run_alone();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, ADDR_NONE);
	/* a sealed file mapping: copy shares it */
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + SZ, "r--s", "/usr/share/zoneinfo/UTC", VMF(SL));
	ONE_REFUSED(OP_MOVE, KIND_FILE, R_SEALED);
	ONE_OK(OP_COPY, KIND_FILE, METHOD_SHARE);
	/* moving within the process cannot mremap it either */
	set_req(OP_MOVE, A, SZ);
	req.at = B;
	run_self();
	EXPECT_REFUSED(0, A, A + SZ, KIND_FILE, R_SEALED, B);
}

static void test_in_use_main_stack(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "[stack]", VMF(GD) | VMF(AC));
	ONE_REFUSED(OP_MOVE, KIND_STACK, R_IN_USE);
	ONE_OK(OP_COPY, KIND_STACK, METHOD_COPY);
	/* a piece of it is in use too */
	set_req(OP_MOVE, A, PG);
	run_to();
	EXPECT_N(1);
	EXPECT_REFUSED(0, A, A + PG, KIND_STACK, R_IN_USE, A);
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_REFUSED(0, A, A + SZ, KIND_STACK, R_IN_USE, ADDR_NONE);
}

static void test_in_use_threads(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);                     /* a thread stack */
	add_vma(&S, B, B + SZ, "r-xp", "/usr/bin/prog", 0);       /* code */
	add_thread(&S, SRC_PID, true, UINT64_C(0x7ffc00001000), UINT64_C(0x7f0000001000));
	add_thread(&S, SRC_PID + 1, true, A + PG + 0x10, UINT64_C(0x7f0000001000));
	add_thread(&S, SRC_PID + 2, true, UINT64_C(0x7ffc00002000), B + 2 * PG + 7);

	ONE_REFUSED(OP_MOVE, KIND_ANON, R_IN_USE);
	assert_non_null(strstr(plan.e[0].detail, "1001"));
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	set_req(OP_MOVE, B, SZ);
	run_to();
	EXPECT_REFUSED(0, B, B + SZ, KIND_FILE, R_IN_USE, B);
	assert_non_null(strstr(plan.e[0].detail, "1002"));
	set_req(OP_COPY, B, SZ);
	run_to();
	EXPECT_OK(0, B, B + SZ, KIND_FILE, METHOD_FILE_COW, B);

	/* only the piece counts: the sp is below A+2 pages */
	set_req(OP_MOVE, A + 2 * PG, 2 * PG);
	run_to();
	EXPECT_N(1);
	EXPECT_OK(0, A + 2 * PG, A + SZ, KIND_ANON, METHOD_COPY, A + 2 * PG);
	/* sp exactly at the end of the piece is outside it */
	S.th[1].sp = A + 2 * PG;
	set_req(OP_MOVE, A, 2 * PG);
	run_to();
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_COPY, A);
	set_req(OP_MOVE, A, 3 * PG);
	run_to();
	EXPECT_REFUSED(0, A, A + 3 * PG, KIND_ANON, R_IN_USE, A);

	/* a running thread's registers are not known: it does not count */
	S.th[1].blocked = false;
	S.th[2].blocked = false;
	ONE_OK(OP_MOVE, KIND_ANON, METHOD_COPY);
	set_req(OP_MOVE, B, SZ);
	run_to();
	EXPECT_OK(0, B, B + SZ, KIND_FILE, METHOD_FILE_COW, B);
}

static void test_protection_key(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-p", "", 0);
	v->pkey = 1;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_PROTECTION_KEY);
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_PROTECTION_KEY);
	assert_string_equal(plan.e[0].detail, "protection key 1");
	v->pkey = 15;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_PROTECTION_KEY);
	v->pkey = 0;
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	v->pkey = -1; /* the kernel did not say: no pkeys */
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
}

static void test_hugetlb_unavailable(void **state)
{
	(void)state;
	/* 2 pages of 2 MiB, private: the copy needs 2 free pages of that size */
	add_hugetlb(&S, HA, HA + 2 * HUGE2M, "rw-p", HUGE2M);
	sf.pools[0].free_pages = 1;
	set_req(OP_COPY, HA, 2 * HUGE2M);
	run_to();
	EXPECT_N(1);
	EXPECT_REFUSED(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, R_HUGETLB_UNAVAILABLE, HA);
	set_req(OP_MOVE, HA, 2 * HUGE2M);
	run_to();
	EXPECT_REFUSED(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, R_HUGETLB_UNAVAILABLE, HA);
	sf.pools[0].free_pages = 2;
	run_to();
	EXPECT_OK(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, METHOD_COPY, HA);
	/* plenty of 1 GiB pages do not help 2 MiB ones */
	sf.pools[0].free_pages = 0;
	sf.pools[1].free_pages = 100;
	run_to();
	EXPECT_REFUSED(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, R_HUGETLB_UNAVAILABLE, HA);
	/* no pool of that size at all */
	sf.npools = 1;
	sf.pools[0] = (struct hugepool){ HUGE1G, 100 };
	run_to();
	EXPECT_REFUSED(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, R_HUGETLB_UNAVAILABLE, HA);
	/* within one process, mremap keeps the same pages */
	set_req(OP_MOVE, HA, 2 * HUGE2M);
	req.at = HA + 16 * HUGE2M;
	run_self();
	EXPECT_OK(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, METHOD_REMAP, HA + 16 * HUGE2M);
}

/* hugetlb is mapped in whole huge pages: edges and destination must align. */
static void test_huge_page_split(void **state)
{
	(void)state;
	add_hugetlb(&S, HA, HA + 2 * HUGE2M, "rw-p", HUGE2M);
	sf.pools[0].free_pages = 2;
	set_req(OP_COPY, HA + PG, PG);
	run_to();
	EXPECT_N(1);
	EXPECT_REFUSED(0, HA + PG, HA + 2 * PG, KIND_HUGETLB, R_HUGE_PAGE_SPLIT, HA + PG);
	set_req(OP_COPY, HA, HUGE2M + PG);
	run_to();
	EXPECT_REFUSED(0, HA, HA + HUGE2M + PG, KIND_HUGETLB, R_HUGE_PAGE_SPLIT, HA);
	/* aligned edges, unaligned destination */
	set_req(OP_COPY, HA, HUGE2M);
	req.at = HA + 64 * HUGE2M + PG;
	run_to();
	EXPECT_REFUSED(0, HA, HA + HUGE2M, KIND_HUGETLB, R_HUGE_PAGE_SPLIT, HA + 64 * HUGE2M + PG);
	/* all aligned: fine */
	req.at = HA + 64 * HUGE2M;
	run_to();
	EXPECT_OK(0, HA, HA + HUGE2M, KIND_HUGETLB, METHOD_COPY, HA + 64 * HUGE2M);
}

/* Shared hugetlb is shared, not copied: no free page is needed. */
static void test_hugetlb_shared_needs_no_pages(void **state)
{
	(void)state;
	add_hugetlb(&S, HA, HA + 2 * HUGE2M, "rw-s", HUGE2M);
	sf.pools[0].free_pages = 0;
	set_req(OP_COPY, HA, 2 * HUGE2M);
	run_to();
	EXPECT_OK(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, METHOD_SHARE, HA);
	set_req(OP_MOVE, HA, 2 * HUGE2M);
	run_to();
	EXPECT_OK(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, METHOD_SHARE, HA);
}

/* The free pages are used up by the plan's own earlier pieces. */
static void test_hugetlb_budget(void **state)
{
	(void)state;
	add_hugetlb(&S, HA, HA + HUGE2M, "rw-p", HUGE2M);
	add_hugetlb(&S, HA + HUGE2M, HA + 3 * HUGE2M, "rw-p", HUGE2M);
	add_hugetlb(&S, HA + 3 * HUGE2M, HA + 4 * HUGE2M, "rw-p", HUGE2M);
	sf.pools[0].free_pages = 2;
	set_req(OP_COPY, HA, 4 * HUGE2M);
	req.partial = true;
	run_to();
	EXPECT_N(3);
	EXPECT_OK(0, HA, HA + HUGE2M, KIND_HUGETLB, METHOD_COPY, HA);
	EXPECT_REFUSED(1, HA + HUGE2M, HA + 3 * HUGE2M, KIND_HUGETLB, R_HUGETLB_UNAVAILABLE, HA + HUGE2M);
	EXPECT_OK(2, HA + 3 * HUGE2M, HA + 4 * HUGE2M, KIND_HUGETLB, METHOD_COPY, HA + 3 * HUGE2M);
}

/*
 * A copy within one process makes new private huge pages just as a copy to
 * another process does; only a move (mremap) keeps the old ones.
 * plan.c check_target skips the pool check for every same-pid operation.
 */
static void test_hugetlb_same_pid_copy(void **state)
{
	(void)state;
	add_hugetlb(&S, HA, HA + 2 * HUGE2M, "rw-p", HUGE2M);
	sf.pools[0].free_pages = 0;
	set_req(OP_COPY, HA, 2 * HUGE2M);
	req.at = HA + 16 * HUGE2M;
	run_self();
	EXPECT_N(1);
	EXPECT_REFUSED(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, R_HUGETLB_UNAVAILABLE, HA + 16 * HUGE2M);
}

/*
 * Sharing a MAP_SHARED hugetlb mapping means handing its hugetlbfs file to
 * the target, like any shared file: when it cannot be opened, the refusal is
 * file-unreachable, not a plan that fails during the transfer.
 */
static void test_hugetlb_shared_unreachable(void **state)
{
	(void)state;
	struct vma *v = add_hugetlb(&S, HA, HA + 2 * HUGE2M, "rw-s", HUGE2M);
	fact(&S, v)->reachable = false;
	set_req(OP_COPY, HA, 2 * HUGE2M);
	run_to();
	EXPECT_N(1);
	EXPECT_REFUSED(0, HA, HA + 2 * HUGE2M, KIND_HUGETLB, R_FILE_UNREACHABLE, HA);
}

/* ---- target rules ------------------------------------------------------------ */

static void test_target_occupied(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	struct vma *t = add_vma(&T, A + PG, A + 2 * PG, "rw-p", "", 0);
	ONE_REFUSED(OP_COPY, KIND_ANON, R_TARGET_OCCUPIED);
	assert_non_null(strstr(plan.e[0].detail, "(anonymous)"));
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_TARGET_OCCUPIED);
	/* --replace lifts it */
	set_req(OP_COPY, A, SZ);
	req.replace = true;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	/* ... but not over what the target may not unmap itself */
	t->vmflags |= VMF(SL);
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A);
	assert_non_null(strstr(plan.e[0].detail, "sealed"));
	t->vmflags &= ~VMF(SL);
	snprintf(T.names[0], sizeof(T.names[0]), "[vdso]");
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A);
	assert_non_null(strstr(plan.e[0].detail, "[vdso]"));
	/* maps --to: the VMA placed at its own address meets it too */
	set_maps(OP_COPY, true);
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A);
}

static void test_target_occupied_replace_scans_all(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	add_vma(&T, A - PG, A + PG, "rw-p", "", 0);
	add_vma(&T, A + PG, A + 2 * PG, "rw-p", "/usr/lib/a.so", 0);
	add_vma(&T, A + 3 * PG, A + 4 * PG, "rw-p", "", VMF(SL));
	set_req(OP_COPY, A, SZ);
	req.replace = true;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A);
	/* the sealed one just past the end does not matter */
	T.v[2].start = A + SZ;
	T.v[2].end = A + SZ + PG;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
}

static void test_target_adjacent_is_free(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	add_vma(&T, A - PG, A, "rw-p", "", 0);
	add_vma(&T, A + SZ, A + SZ + PG, "rw-p", "", 0);
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	ONE_OK(OP_MOVE, KIND_ANON, METHOD_COPY);
}

static void test_same_pid_move_overlapping_itself(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	set_req(OP_MOVE, A, SZ);
	req.at = A + 2 * PG;
	run_self();
	EXPECT_N(1);
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A + 2 * PG);
	req.replace = true;
	run_self();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A + 2 * PG);
	req.at = A - 2 * PG;
	run_self();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A - 2 * PG);
	/* to its own address: "move" nowhere */
	req.at = ADDR_NONE;
	run_self();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A);
	/* right after itself is free */
	req.replace = false;
	req.at = A + SZ;
	run_self();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_REMAP, A + SZ);
}

/*
 * A copy within one process onto (part of) the range being copied: --replace
 * would unmap the source before its pages are read.  Like the same-pid move,
 * it must be refused whatever --replace says.
 */
static void test_same_pid_copy_overlapping_itself(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	set_req(OP_COPY, A, SZ);
	req.at = A + 2 * PG;
	run_self();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A + 2 * PG);
	req.replace = true;
	run_self();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OCCUPIED, A + 2 * PG);
}

static void test_target_out_of_range(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	set_req(OP_COPY, A, SZ);
	/* below vm.mmap_min_addr */
	req.at = PG;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, PG);
	req.at = 0;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, 0);
	req.at = sf.mmap_min_addr - PG;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, sf.mmap_min_addr - PG);
	req.at = sf.mmap_min_addr;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, sf.mmap_min_addr);
	/* the 47-bit task size ends one page below 1 << 47 */
	req.at = TASK47 - SZ;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, TASK47 - SZ);
	req.at = TASK47 - SZ + PG;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, TASK47 - SZ + PG);
	req.at = UINT64_C(1) << 47;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, UINT64_C(1) << 47);
	req.at = UINT64_C(0xffff800000000000);
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, UINT64_C(0xffff800000000000));
	/* wrapping past the top of the address space */
	req.at = UINT64_C(0xffffffffffffe000);
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, UINT64_C(0xffffffffffffe000));
	req.at = UINT64_C(1) << 50;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, UINT64_C(1) << 50);
	/* the target's facts say how far its address space reaches (which
	 * mappings make it 56 bits: test_proc.c, test_task_size) */
	T.pf.task_size = TASK56;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, UINT64_C(1) << 50);
	req.at = TASK56 - SZ;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, TASK56 - SZ);
	req.at = UINT64_C(1) << 56;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_TARGET_OUT_OF_RANGE, UINT64_C(1) << 56);
}

static void test_target_map_count(void **state)
{
	(void)state;
	add_vma(&S, A, A + 2 * PG, "rw-p", "", 0);
	add_vma(&S, A + 2 * PG, A + 4 * PG, "rw-p", "[anon:b]", 0);
	add_vma(&T, UINT64_C(0x70000000), UINT64_C(0x70001000), "rw-p", "", 0);
	add_vma(&T, UINT64_C(0x70002000), UINT64_C(0x70003000), "rw-p", "", 0);
	add_vma(&T, UINT64_C(0x70004000), UINT64_C(0x70005000), "rw-p", "", 0);
	sf.max_map_count = 4;
	set_req(OP_COPY, A, SZ);
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_COPY, A);
	EXPECT_REFUSED(1, A + 2 * PG, A + 4 * PG, KIND_ANON, R_TARGET_MAP_COUNT, A + 2 * PG);
	sf.max_map_count = 5;
	run_to();
	EXPECT_OK(1, A + 2 * PG, A + 4 * PG, KIND_ANON, METHOD_COPY, A + 2 * PG);
	/* mremap in one process creates nothing */
	sf.max_map_count = 2;
	set_req(OP_MOVE, A, SZ);
	req.at = B;
	run_self();
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_REMAP, B);
	EXPECT_OK(1, A + 2 * PG, A + 4 * PG, KIND_ANON, METHOD_REMAP, B + 2 * PG);
	/* a copy in one process does */
	set_req(OP_COPY, A, SZ);
	req.at = B;
	run_self();
	EXPECT_REFUSED(0, A, A + 2 * PG, KIND_ANON, R_TARGET_MAP_COUNT, B);
}

static void test_target_memory_limit_rlimit_as(void **state)
{
	(void)state;
	add_vma(&S, A, A + 2 * PG, "rw-p", "", 0);
	add_vma(&S, A + 2 * PG, A + 4 * PG, "rw-s", "/memfd:m (deleted)", 0);
	T.pf.vm_size = MIB;
	T.pf.rlim_as = MIB + SZ - 1;
	set_req(OP_COPY, A, SZ);
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_COPY, A);
	/* a shared mapping takes address space too */
	EXPECT_REFUSED(1, A + 2 * PG, A + 4 * PG, KIND_SHMEM, R_TARGET_MEMORY_LIMIT, A + 2 * PG);
	T.pf.rlim_as = MIB + SZ;
	run_to();
	EXPECT_OK(1, A + 2 * PG, A + 4 * PG, KIND_SHMEM, METHOD_SHARE, A + 2 * PG);
	T.pf.rlim_as = MIB + PG;
	run_to();
	EXPECT_REFUSED(0, A, A + 2 * PG, KIND_ANON, R_TARGET_MEMORY_LIMIT, A);
	EXPECT_REFUSED(1, A + 2 * PG, A + 4 * PG, KIND_SHMEM, R_TARGET_MEMORY_LIMIT, A + 2 * PG);
	/* mremap within one process maps nothing new */
	S.pf.vm_size = MIB;
	S.pf.rlim_as = MIB;
	set_req(OP_MOVE, A, SZ);
	req.at = B;
	run_self();
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_REMAP, B);
}

static void test_target_memory_limit_memcg(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-p", "", 0);
	T.pf.memcg_headroom = SZ - 1;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_TARGET_MEMORY_LIMIT);
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_TARGET_MEMORY_LIMIT);
	T.pf.memcg_headroom = SZ;
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	/* swapped pages come back charged to the target */
	v->rss = 0;
	v->swap = SZ;
	T.pf.memcg_headroom = PG;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_TARGET_MEMORY_LIMIT);
	/* nothing populated, nothing charged */
	v->swap = 0;
	T.pf.memcg_headroom = 0;
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);

	/* shared memory is charged to the object's cgroup already */
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + SZ, "rw-s", "/memfd:big (deleted)", 0);
	ONE_OK(OP_COPY, KIND_SHMEM, METHOD_SHARE);
	ONE_OK(OP_MOVE, KIND_SHMEM, METHOD_SHARE);
	snprintf(S.names[0], sizeof(S.names[0]), "/var/db/file");
	ONE_OK(OP_COPY, KIND_FILE, METHOD_SHARE);
}

static void test_target_memory_limit_memcg_budget(void **state)
{
	(void)state;
	add_vma(&S, A, A + 2 * PG, "rw-p", "", 0);
	add_vma(&S, A + 2 * PG, A + 4 * PG, "rw-p", "", VMF(NR));
	T.pf.memcg_headroom = 3 * PG;
	set_req(OP_COPY, A, SZ);
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_COPY, A);
	EXPECT_REFUSED(1, A + 2 * PG, A + 4 * PG, KIND_ANON, R_TARGET_MEMORY_LIMIT, A + 2 * PG);
}

/*
 * file-cow maps the file privately and copies only the pages the source
 * changed (its Anonymous pages): clean page-cache pages in Rss are not
 * charged to the target's cgroup.  plan.c check_target charges rss + swap
 * for every method but share.
 */
static void test_target_memcg_file_cow_charges_changed_pages(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0);
	assert_int_equal(v->rss, SZ);
	assert_int_equal(v->anonymous, 0);
	T.pf.memcg_headroom = 0;
	ONE_OK(OP_COPY, KIND_FILE, METHOD_FILE_COW);
	/* its changed pages are charged */
	v->anonymous = SZ;
	memcpy(v->perms, "rw-p", 5);
	T.pf.memcg_headroom = PG;
	ONE_REFUSED(OP_COPY, KIND_FILE, R_TARGET_MEMORY_LIMIT);
}

static void test_target_memlock_limit(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-p", "", VMF(LO));
	v->locked = SZ;
	T.pf.rlim_memlock = SZ - PG;
	T.pf.cap_eff = 0;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_TARGET_MEMLOCK_LIMIT);
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_TARGET_MEMLOCK_LIMIT);
	/* CAP_IPC_LOCK ignores RLIMIT_MEMLOCK */
	T.pf.cap_eff = CAPB(CAP_IPC_LOCK_BIT);
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	/* other capabilities do not */
	T.pf.cap_eff = CAP_ALL & ~CAPB(CAP_IPC_LOCK_BIT);
	ONE_REFUSED(OP_COPY, KIND_ANON, R_TARGET_MEMLOCK_LIMIT);
	T.pf.cap_eff = 0;
	T.pf.rlim_memlock = SZ;
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	T.pf.vm_lck = PG;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_TARGET_MEMLOCK_LIMIT);
	T.pf.rlim_memlock = LIMIT_NONE;
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	/* not mlocked: the limit does not apply */
	T.pf.rlim_memlock = 0;
	v->vmflags &= ~VMF(LO);
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	/* mlock(MLOCK_ONFAULT) sets lo too; a shared one counts as well */
	init_side(&S, SRC_PID, "source");
	add_vma(&S, A, A + SZ, "rw-s", "/memfd:l (deleted)", VMF(LO) | VMF(LF));
	ONE_REFUSED(OP_COPY, KIND_SHMEM, R_TARGET_MEMLOCK_LIMIT);
}

static void test_target_memlock_budget(void **state)
{
	(void)state;
	add_vma(&S, A, A + 2 * PG, "rw-p", "", VMF(LO));
	add_vma(&S, A + 2 * PG, A + 4 * PG, "r--p", "", VMF(LO));
	T.pf.rlim_memlock = 3 * PG;
	set_req(OP_COPY, A, SZ);
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, A, A + 2 * PG, KIND_ANON, METHOD_COPY, A);
	EXPECT_REFUSED(1, A + 2 * PG, A + 4 * PG, KIND_ANON, R_TARGET_MEMLOCK_LIMIT, A + 2 * PG);
}

/* ---- source files and what pvmmap does not know --------------------------------- */

static void test_file_unreachable(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-s", "/home/u/shared.dat", 0);
	fact(&S, v)->reachable = false;
	ONE_REFUSED(OP_COPY, KIND_FILE, R_FILE_UNREACHABLE);
	ONE_REFUSED(OP_MOVE, KIND_FILE, R_FILE_UNREACHABLE);
	/* a source-side rule: maps without --to says it too */
	set_maps(OP_COPY, false);
	run_alone();
	EXPECT_REFUSED(0, A, A + SZ, KIND_FILE, R_FILE_UNREACHABLE, ADDR_NONE);
	/* file-cow needs the file as well */
	memcpy(v->perms, "r--p", 5);
	v->vmflags = perm_flags("r--p");
	ONE_REFUSED(OP_COPY, KIND_FILE, R_FILE_UNREACHABLE);
	/* not even stat'ed */
	*fact(&S, v) = (struct file_fact){ 0 };
	ONE_REFUSED(OP_COPY, KIND_FILE, R_FILE_UNREACHABLE);
	assert_true(plan.e[0].detail[0] != '\0');
	/* no file facts at all */
	S.pf.files = NULL;
	ONE_REFUSED(OP_COPY, KIND_FILE, R_FILE_UNREACHABLE);
	S.pf.files = S.f;
	/* memfd and shared anonymous memory are files too */
	snprintf(S.names[0], sizeof(S.names[0]), "/memfd:x (deleted)");
	memcpy(v->perms, "rw-s", 5);
	v->vmflags = perm_flags("rw-s");
	*fact(&S, v) = (struct file_fact){ .known = true, .reachable = false, .mode = S_IFREG | 0600 };
	ONE_REFUSED(OP_COPY, KIND_SHMEM, R_FILE_UNREACHABLE);
	snprintf(S.names[0], sizeof(S.names[0]), "/dev/zero (deleted)");
	ONE_REFUSED(OP_COPY, KIND_SHMEM, R_FILE_UNREACHABLE);
}

static void test_unrecognised(void **state)
{
	(void)state;
	struct vma *v = add_vma(&S, A, A + SZ, "rw-p", "", 0);

	v->malformed = true;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_UNRECOGNISED);
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_UNRECOGNISED);
	v->malformed = false;
	v->has_vmflags = false;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_UNRECOGNISED);
	v->has_vmflags = true;
	v->unknown_vmflag = true;
	ONE_REFUSED(OP_COPY, KIND_ANON, R_UNRECOGNISED);
	assert_string_equal(plan.e[0].detail, "VmFlags holds a flag this pvmmap does not know");
	v->unknown_vmflag = false;
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);

	/* flags pvmmap knows by name but cannot recreate */
	static const struct { uint64_t f; const char *detail; } cases[] = {
		{ VMF(SF), "VmFlags sf is not supported" },
		{ VMF(AR), "VmFlags ar is not supported" }, { VMF(MP), "VmFlags mp is not supported" },
		{ VMF(NL), "VmFlags nl is not supported" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v->vmflags = perm_flags("rw-p") | cases[i].f;
		ONE_REFUSED(OP_COPY, KIND_ANON, R_UNRECOGNISED);
		assert_string_equal(plan.e[0].detail, cases[i].detail);
	}
	/* flags it can recreate */
	v->vmflags = perm_flags("rw-p") | VMF(GD) | VMF(LF) | VMF(LO) | VMF(SR) | VMF(RR) | VMF(DC) |
		     VMF(DE) | VMF(AC) | VMF(NR) | VMF(WF) | VMF(DD) | VMF(SD) | VMF(HG) | VMF(NH) |
		     VMF(MG) | VMF(DW);
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);
	v->vmflags = perm_flags("rw-p");

	/* a name in brackets pvmmap has never seen */
	snprintf(S.names[0], sizeof(S.names[0]), "[foo]");
	ONE_REFUSED(OP_COPY, KIND_SPECIAL, R_UNRECOGNISED);
	assert_string_equal(plan.e[0].detail, "the kernel names it [foo]");
	/* neither a path nor a bracket */
	snprintf(S.names[0], sizeof(S.names[0]), "anon_inode:[perf_event]");
	ONE_REFUSED(OP_COPY, KIND_SPECIAL, R_UNRECOGNISED);
	/* shared memory without a name has no object to share */
	snprintf(S.names[0], sizeof(S.names[0]), "%s", "");
	memcpy(v->perms, "rw-s", 5);
	v->vmflags = perm_flags("rw-s");
	ONE_REFUSED(OP_COPY, KIND_ANON, R_UNRECOGNISED);
	/* a half-read entry is not trusted even when its name is well known */
	snprintf(S.names[0], sizeof(S.names[0]), "[vdso]");
	memcpy(v->perms, "r-xp", 5);
	v->vmflags = perm_flags("r-xp");
	v->has_vmflags = false;
	ONE_REFUSED(OP_COPY, KIND_SPECIAL, R_UNRECOGNISED);
}

/* ---- per-process rules ---------------------------------------------------------- */

static void move_one(void)
{
	set_req(OP_MOVE, A, SZ);
	run_to();
}

static void test_not_a_process(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);

	sf.self_pid = SRC_PID;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, SRC_PID);
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_ERROR(R_NOT_A_PROCESS, SRC_PID);
	sf.self_pid = TGT_PID;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, TGT_PID);
	set_maps(OP_MOVE, true);
	run_to();
	EXPECT_ERROR(R_NOT_A_PROCESS, TGT_PID);
	sf.self_pid = SELF_PID;

	S.pf.tgid = 999;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, SRC_PID);
	assert_string_equal(plan.error.detail, "1000 is a thread of process 999");
	set_maps(OP_COPY, false);
	run_alone();
	EXPECT_ERROR(R_NOT_A_PROCESS, SRC_PID);
	S.pf.tgid = SRC_PID;
	T.pf.tgid = 1999;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, TGT_PID);
	T.pf.tgid = TGT_PID;

	S.pf.kernel_thread = true;
	S.pf.vmas.n = 0;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, SRC_PID);
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_ERROR(R_NOT_A_PROCESS, SRC_PID);
	S.pf.kernel_thread = false;
	T.pf.kernel_thread = true;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, TGT_PID);
}

static void test_zombie(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	S.pf.state = 'Z';
	S.pf.vmas.n = 0;
	move_one();
	EXPECT_ERROR(R_ZOMBIE, SRC_PID);
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_ERROR(R_ZOMBIE, SRC_PID);
	S.pf.state = 'X';
	move_one();
	EXPECT_ERROR(R_ZOMBIE, SRC_PID);
	S.pf.state = 'S';
	S.pf.vmas.n = 1;
	T.pf.state = 'Z';
	move_one();
	EXPECT_ERROR(R_ZOMBIE, TGT_PID);
	set_maps(OP_COPY, true);
	run_to();
	EXPECT_ERROR(R_ZOMBIE, TGT_PID);
	/* stopped, traced-stopped, disk sleep, idle: all processes */
	static const char states[] = "RSDTtI";
	for (int i = 0; states[i]; i++) {
		T.pf.state = states[i];
		move_one();
		EXPECT_NO_ERROR();
		EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	}
}

static void test_already_traced(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	S.pf.tracer_pid = 4242;
	snprintf(S.pf.tracer_comm, sizeof(S.pf.tracer_comm), "strace");
	move_one();
	EXPECT_ERROR(R_ALREADY_TRACED, SRC_PID);
	assert_non_null(strstr(plan.error.detail, "4242"));
	assert_non_null(strstr(plan.error.detail, "strace"));
	S.pf.tracer_pid = 0;
	T.pf.tracer_pid = 4243;
	set_req(OP_COPY, A, SZ);
	run_to();
	EXPECT_ERROR(R_ALREADY_TRACED, TGT_PID);
	/* a zombie or a thread id is said first */
	T.pf.tgid = 1;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, TGT_PID);
}

/* pvmmap as uid 1000 without capabilities */
static void unprivileged(int yama)
{
	sf.self_euid = 1000;
	sf.self_egid = 1000;
	sf.self_cap_eff = sf.self_cap_prm = 0;
	sf.yama_scope = yama;
}

static void test_ptrace_denied(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);

	/* Yama 3: no attach at all, not even for root */
	sf.yama_scope = 3;
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, SRC_PID);
	assert_non_null(strstr(plan.error.detail, "ptrace_scope is 3"));

	/* Yama 2: only with CAP_SYS_PTRACE */
	unprivileged(2);
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, SRC_PID);
	sf.self_cap_eff = CAP_ALL & ~CAPB(CAP_SYS_PTRACE_BIT);
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, SRC_PID);
	sf.self_cap_eff = CAPB(CAP_SYS_PTRACE_BIT);
	move_one();
	EXPECT_NO_ERROR();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);

	/* Yama 1: a non-parent needs CAP_SYS_PTRACE */
	unprivileged(1);
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, SRC_PID);

	/* no Yama, or scope 0: the owner may attach */
	unprivileged(-1);
	move_one();
	EXPECT_NO_ERROR();
	unprivileged(0);
	move_one();
	EXPECT_NO_ERROR();

	/* another owner (effective or real uid), without the capability */
	S.pf.euid = 1001;
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, SRC_PID);
	S.pf.euid = 1000;
	S.pf.ruid = 0; /* e.g. a setuid program */
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, SRC_PID);
	sf.self_cap_eff = CAPB(CAP_SYS_PTRACE_BIT);
	req.allow_cross_user = true; /* its real uid differs from the target's */
	run_to();
	EXPECT_NO_ERROR();
	S.pf.ruid = 1000;

	/* not dumpable */
	unprivileged(0);
	S.pf.dumpable = false;
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, SRC_PID);
	assert_non_null(strstr(plan.error.detail, "dumpable"));
	sf.self_cap_eff = CAPB(CAP_SYS_PTRACE_BIT);
	move_one();
	EXPECT_NO_ERROR();
	S.pf.dumpable = true;

	/* the target is attached to as well */
	unprivileged(0);
	T.pf.dumpable = false;
	move_one();
	EXPECT_ERROR(R_PTRACE_DENIED, TGT_PID);
}

static void test_seccomp_blocks(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	S.pf.seccomp_mode = 2;
	sf.self_cap_eff = CAPB(CAP_SYS_PTRACE_BIT);
	move_one();
	EXPECT_ERROR(R_SECCOMP_BLOCKS, SRC_PID);
	assert_non_null(strstr(plan.error.detail, "filter"));
	sf.self_cap_eff = CAPB(CAP_SYS_PTRACE_BIT) | CAPB(CAP_SYS_ADMIN_BIT);
	move_one();
	EXPECT_NO_ERROR();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	sf.self_cap_eff = CAP_ALL;
	move_one();
	EXPECT_NO_ERROR();
	/* strict mode, and the target side */
	S.pf.seccomp_mode = 0;
	T.pf.seccomp_mode = 1;
	sf.self_cap_eff = CAP_ALL & ~CAPB(CAP_SYS_ADMIN_BIT);
	move_one();
	EXPECT_ERROR(R_SECCOMP_BLOCKS, TGT_PID);
	assert_non_null(strstr(plan.error.detail, "strict"));
}

static void test_cross_user(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	T.pf.ruid = T.pf.euid = 1001;
	move_one();
	EXPECT_ERROR(R_CROSS_USER, TGT_PID);
	set_req(OP_COPY, A, SZ);
	run_to();
	EXPECT_ERROR(R_CROSS_USER, TGT_PID);
	req.allow_cross_user = true;
	run_to();
	EXPECT_NO_ERROR();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	/* the effective uid alone differs */
	T.pf.ruid = 1000;
	move_one();
	EXPECT_ERROR(R_CROSS_USER, TGT_PID);
	/* the real uid alone differs */
	T.pf.ruid = 1001;
	T.pf.euid = 1000;
	move_one();
	EXPECT_ERROR(R_CROSS_USER, TGT_PID);
	/* moving within one process crosses nothing */
	set_req(OP_MOVE, A, SZ);
	req.at = B;
	run_self();
	EXPECT_NO_ERROR();
}

/*
 * The detail must name the uids that differ.  plan.c check_pair refuses when
 * the real uids differ but prints only the effective ones, giving "process
 * 1000 runs as uid 1000 and process 2000 as uid 1000".
 */
static void test_cross_user_detail_names_differing_uid(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	T.pf.ruid = 1001;
	T.pf.euid = 1000;
	move_one();
	EXPECT_ERROR(R_CROSS_USER, TGT_PID);
	assert_non_null(strstr(plan.error.detail, "1001"));
	/* the effective uids: both appear */
	T.pf.ruid = T.pf.euid = 1002;
	move_one();
	EXPECT_ERROR(R_CROSS_USER, TGT_PID);
	assert_string_equal(plan.error.detail, "process 1000 runs as uid 1000 and process 2000 as uid 1002");
}

static void test_arch_mismatch(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	S.pf.compat = true;
	S.pf.elf_machine = EM_386;
	move_one();
	EXPECT_ERROR(R_ARCH_MISMATCH, SRC_PID);
	assert_non_null(strstr(plan.error.detail, "32-bit"));
	/* x32: a 64-bit ELF in compat mode */
	S.pf.elf_machine = EM_X86_64;
	move_one();
	EXPECT_ERROR(R_ARCH_MISMATCH, SRC_PID);
	S.pf.compat = false;
	S.pf.elf_machine = EM_AARCH64; /* e.g. under qemu-user */
	move_one();
	EXPECT_ERROR(R_ARCH_MISMATCH, SRC_PID);
	S.pf.elf_machine = EM_X86_64;
	T.pf.compat = true;
	move_one();
	EXPECT_ERROR(R_ARCH_MISMATCH, TGT_PID);
	T.pf.compat = false;
	move_one();
	EXPECT_NO_ERROR();
	/* native is what the system facts say, not what the planner knows */
	snprintf(sf.arch, sizeof(sf.arch), "aarch64");
	sf.elf_machine = EM_AARCH64;
	move_one();
	EXPECT_ERROR(R_ARCH_MISMATCH, SRC_PID);
	assert_non_null(strstr(plan.error.detail, "not a native aarch64 program"));
	S.pf.elf_machine = T.pf.elf_machine = EM_AARCH64;
	move_one();
	EXPECT_NO_ERROR();
}

/* maps lists anyway: rules that would only stop a transfer are blockers. */
static void test_maps_blockers(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	add_vma(&S, B, B + SZ, "r--p", "/etc/ld.so.cache", 0);
	S.pf.tracer_pid = 4242;
	T.pf.seccomp_mode = 2;
	T.pf.ruid = T.pf.euid = 1001;
	sf.self_cap_eff = CAPB(CAP_SYS_PTRACE_BIT);

	set_maps(OP_MOVE, true);
	run_to();
	assert_int_equal(plan.error.reason, R_NONE);
	assert_int_equal(plan.nblockers, 3);
	assert_int_equal(plan.blockers[0].reason, R_ALREADY_TRACED);
	assert_int_equal(plan.blockers[0].pid, SRC_PID);
	assert_int_equal(plan.blockers[1].reason, R_SECCOMP_BLOCKS);
	assert_int_equal(plan.blockers[1].pid, TGT_PID);
	assert_int_equal(plan.blockers[2].reason, R_CROSS_USER);
	assert_int_equal(plan.blockers[2].pid, TGT_PID);
	EXPECT_N(2);
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	EXPECT_OK(1, B, B + SZ, KIND_FILE, METHOD_FILE_COW, B);

	/* without --to: only the source's */
	set_maps(OP_MOVE, false);
	run_alone();
	assert_int_equal(plan.error.reason, R_NONE);
	assert_int_equal(plan.nblockers, 1);
	assert_int_equal(plan.blockers[0].reason, R_ALREADY_TRACED);
	EXPECT_N(2);
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, ADDR_NONE);

	/* ptrace and arch blockers too */
	S.pf.tracer_pid = 0;
	S.pf.compat = true;
	T.pf.seccomp_mode = 0;
	T.pf.ruid = T.pf.euid = 1000;
	sf.self_cap_eff = 0;
	sf.self_euid = 1000;
	sf.self_egid = 1000;
	sf.yama_scope = 3;
	set_maps(OP_COPY, true);
	run_to();
	assert_int_equal(plan.error.reason, R_NONE);
	assert_int_equal(plan.nblockers, 2);
	assert_int_equal(plan.blockers[0].reason, R_ARCH_MISMATCH);
	assert_int_equal(plan.blockers[0].pid, SRC_PID);
	assert_int_equal(plan.blockers[1].reason, R_PTRACE_DENIED);
	assert_int_equal(plan.blockers[1].pid, TGT_PID);
	EXPECT_N(2);

	/* the same facts refuse a move outright, with the first rule met */
	set_req(OP_MOVE, A, SZ);
	run_to();
	EXPECT_ERROR(R_ARCH_MISMATCH, SRC_PID);

	/* none at all */
	S.pf.compat = false;
	sf.yama_scope = 0;
	set_maps(OP_COPY, true);
	run_to();
	assert_int_equal(plan.nblockers, 0);
	EXPECT_NO_ERROR();
}

/* A process that cannot be used at all is refused before anything else. */
static void test_process_rule_order(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	S.pf.tracer_pid = 4242;
	T.pf.state = 'Z';
	move_one();
	EXPECT_ERROR(R_ZOMBIE, TGT_PID);
	T.pf.state = 'S';
	T.pf.ruid = T.pf.euid = 1001;
	move_one();
	EXPECT_ERROR(R_ALREADY_TRACED, SRC_PID);
	S.pf.tracer_pid = 0;
	move_one();
	EXPECT_ERROR(R_CROSS_USER, TGT_PID);
	/* moving within one process: no pair to check */
	set_req(OP_MOVE, A, SZ);
	req.at = B;
	run_self();
	EXPECT_NO_ERROR();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_REMAP, B);
}

/* ---- range cutting ------------------------------------------------------------ */

static void two_vmas_to_cut(void)
{
	add_vma(&S, A, A + 8 * PG, "rw-p", "", 0);
	struct vma *f = add_vma(&S, A + 8 * PG, A + 16 * PG, "rw-p", "/usr/lib/libx.so", 0);
	f->offset = 0x3000;
	f->swap = 4 * PG;
	f->rss = 4 * PG;
}

static void test_range_cut_edges(void **state)
{
	(void)state;
	two_vmas_to_cut();
	set_req(OP_MOVE, A + 2 * PG, 10 * PG);
	req.at = UINT64_C(0x30000000);
	run_to();
	EXPECT_NO_ERROR();
	EXPECT_N(2);
	EXPECT_OK(0, A + 2 * PG, A + 8 * PG, KIND_ANON, METHOD_COPY, UINT64_C(0x30000000));
	EXPECT_OK(1, A + 8 * PG, A + 12 * PG, KIND_FILE, METHOD_FILE_COW, UINT64_C(0x30000000) + 6 * PG);
	assert_ptr_equal(plan.e[0].vma, &S.v[0]);
	assert_int_equal(plan.e[0].vma_index, 0);
	assert_ptr_equal(plan.e[1].vma, &S.v[1]);
	assert_int_equal(plan.e[1].vma_index, 1);
	assert_int_equal(plan.dest_start, UINT64_C(0x30000000));
	assert_int_equal(plan.dest_end, UINT64_C(0x30000000) + 10 * PG);
	/* edges not measured: in proportion to the piece */
	assert_int_equal(plan.e[0].rss, 6 * PG);
	assert_int_equal(plan.e[0].swap, 0);
	assert_int_equal(plan.e[1].rss, 2 * PG);
	assert_int_equal(plan.e[1].swap, 2 * PG);

	/* without --at: the source's addresses */
	req.at = ADDR_NONE;
	run_to();
	EXPECT_OK(0, A + 2 * PG, A + 8 * PG, KIND_ANON, METHOD_COPY, A + 2 * PG);
	EXPECT_OK(1, A + 8 * PG, A + 12 * PG, KIND_FILE, METHOD_FILE_COW, A + 8 * PG);
	assert_int_equal(plan.dest_start, A + 2 * PG);
	assert_int_equal(plan.dest_end, A + 12 * PG);

	/* a range inside one VMA */
	set_req(OP_COPY, A + 3 * PG, 2 * PG);
	req.at = UINT64_C(0x30000000);
	run_to();
	EXPECT_N(1);
	EXPECT_OK(0, A + 3 * PG, A + 5 * PG, KIND_ANON, METHOD_COPY, UINT64_C(0x30000000));
	assert_int_equal(plan.e[0].rss, 2 * PG);
}

static void test_range_cut_measured_edges(void **state)
{
	(void)state;
	two_vmas_to_cut();
	S.pf.edges[0] = (struct residency){ .start = A + 2 * PG, .end = A + 8 * PG, .rss = PG,
					    .swap = 2 * PG, .known = true };
	S.pf.edges[1] = (struct residency){ .start = A + 8 * PG, .end = A + 12 * PG, .rss = 3 * PG,
					    .swap = 0, .known = true };
	set_req(OP_MOVE, A + 2 * PG, 10 * PG);
	run_to();
	EXPECT_N(2);
	assert_int_equal(plan.e[0].rss, PG);
	assert_int_equal(plan.e[0].swap, 2 * PG);
	assert_int_equal(plan.e[1].rss, 3 * PG);
	assert_int_equal(plan.e[1].swap, 0);
	/* an edge that could not be measured */
	S.pf.edges[1].known = false;
	run_to();
	assert_int_equal(plan.e[0].rss, PG);
	assert_int_equal(plan.e[1].rss, 2 * PG);
	assert_int_equal(plan.e[1].swap, 2 * PG);
	/* a whole VMA takes the smaps figures, whatever the edges say */
	set_req(OP_MOVE, A, 16 * PG);
	run_to();
	assert_int_equal(plan.e[0].rss, 8 * PG);
	assert_int_equal(plan.e[1].rss, 4 * PG);
	assert_int_equal(plan.e[1].swap, 4 * PG);
}

static void test_at_any(void **state)
{
	(void)state;
	two_vmas_to_cut();
	add_vma(&T, A, A + 16 * PG, "rw-p", "", 0); /* would be in the way */
	set_req(OP_COPY, A + 2 * PG, 10 * PG);
	req.at_any = true;
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, A + 2 * PG, A + 8 * PG, KIND_ANON, METHOD_COPY, ADDR_NONE);
	EXPECT_OK(1, A + 8 * PG, A + 12 * PG, KIND_FILE, METHOD_FILE_COW, ADDR_NONE);
	assert_true(plan.dest_start == ADDR_NONE);
	assert_true(plan.dest_end == ADDR_NONE);
	req.at_any = false;
	run_to();
	EXPECT_REFUSED(0, A + 2 * PG, A + 8 * PG, KIND_ANON, R_TARGET_OCCUPIED, A + 2 * PG);
}

static void test_cut_with_gaps_and_at(void **state)
{
	(void)state;
	add_vma(&S, A, A + 4 * PG, "rw-p", "", 0);
	add_vma(&S, A + 6 * PG, A + 8 * PG, "r--p", "/usr/share/x", 0);
	set_req(OP_COPY, A - PG, 11 * PG);
	req.at = B;
	run_to();
	EXPECT_N(5);
	EXPECT_GAP(0, A - PG, A);
	EXPECT_OK(1, A, A + 4 * PG, KIND_ANON, METHOD_COPY, B + PG);
	EXPECT_GAP(2, A + 4 * PG, A + 6 * PG);
	EXPECT_OK(3, A + 6 * PG, A + 8 * PG, KIND_FILE, METHOD_FILE_COW, B + 7 * PG);
	EXPECT_GAP(4, A + 8 * PG, A + 10 * PG);
	assert_int_equal(plan.dest_start, B);
	assert_int_equal(plan.dest_end, B + 11 * PG);
}

/* maps lists whole VMAs: a range selects them, it does not cut them. */
static void test_maps_listing(void **state)
{
	(void)state;
	add_vma(&S, A, A + 4 * PG, "rw-p", "[heap]", 0);
	add_vma(&S, A + 6 * PG, A + 8 * PG, "r--p", "/usr/share/x", 0);
	add_vma(&S, B, B + 4 * PG, "r-xp", "[vdso]", 0);
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_NO_ERROR();
	EXPECT_N(3);
	EXPECT_REFUSED(0, A, A + 4 * PG, KIND_HEAP, R_IN_USE, ADDR_NONE);
	EXPECT_OK(1, A + 6 * PG, A + 8 * PG, KIND_FILE, METHOD_FILE_COW, ADDR_NONE);
	EXPECT_REFUSED(2, B, B + 4 * PG, KIND_SPECIAL, R_SPECIAL_MAPPING, ADDR_NONE);
	assert_true(plan.dest_start == ADDR_NONE);
	/* --to: each at its own address */
	set_maps(OP_MOVE, true);
	run_to();
	EXPECT_N(3);
	EXPECT_REFUSED(0, A, A + 4 * PG, KIND_HEAP, R_IN_USE, A);
	EXPECT_OK(1, A + 6 * PG, A + 8 * PG, KIND_FILE, METHOD_FILE_COW, A + 6 * PG);
	EXPECT_REFUSED(2, B, B + 4 * PG, KIND_SPECIAL, R_SPECIAL_MAPPING, B);
	/* a range: the VMAs meeting it, whole */
	set_maps(OP_COPY, true);
	req.has_range = true;
	req.addr = A + PG;
	req.len = 6 * PG;
	req.range_end = A + 7 * PG;
	run_to();
	EXPECT_N(2);
	EXPECT_OK(0, A, A + 4 * PG, KIND_HEAP, METHOD_COPY, A);
	EXPECT_OK(1, A + 6 * PG, A + 8 * PG, KIND_FILE, METHOD_FILE_COW, A + 6 * PG);
	assert_int_equal(plan.e[0].rss, 4 * PG);
	/* cut (process_vm_mmap, which maps each piece MAP_FIXED in a
	 * reservation of the range's size): the pieces in the range and its
	 * hole, as a transfer plans them */
	req.cut = true;
	run_alone();
	EXPECT_N(3);
	EXPECT_OK(0, A + PG, A + 4 * PG, KIND_HEAP, METHOD_COPY, ADDR_NONE);
	EXPECT_GAP(1, A + 4 * PG, A + 6 * PG);
	EXPECT_OK(2, A + 6 * PG, A + 7 * PG, KIND_FILE, METHOD_FILE_COW, ADDR_NONE);
	assert_int_equal(plan.e[0].rss, 3 * PG);
}

static void test_summary(void **state)
{
	(void)state;
	struct plan_summary s;
	add_vma(&S, A, A + 2 * PG, "rw-p", "", 0);
	add_vma(&S, A + 2 * PG, A + 4 * PG, "rw-s", "/memfd:s (deleted)", 0);
	add_vma(&S, A + 4 * PG, A + 5 * PG, "r--p", "[vvar]", 0);
	set_req(OP_COPY, A, 8 * PG);
	run_to();
	EXPECT_N(4);
	plan_summarise(&plan, &s);
	assert_int_equal(s.vmas, 4);
	assert_int_equal(s.ok, 2);
	assert_int_equal(s.refused, 2);
	assert_int_equal(s.done, 0);
	assert_int_equal(s.failed, 0);
	assert_int_equal(s.rolled_back, 0);
	/* size counts what is mapped: the gap of 3 pages is not */
	assert_int_equal(s.size, 5 * PG);
	assert_int_equal(s.rss, 5 * PG);
	assert_int_equal(s.bytes_shared, 2 * PG);
	assert_int_equal(s.bytes_copied, 0);
	plan.e[0].status = STATUS_DONE;
	plan.e[0].bytes_copied = 2 * PG;
	plan.e[1].status = STATUS_ROLLED_BACK;
	plan_summarise(&plan, &s);
	assert_int_equal(s.done, 1);
	assert_int_equal(s.rolled_back, 1);
	assert_int_equal(s.ok, 0);
	assert_int_equal(s.bytes_copied, 2 * PG);
	assert_int_equal(s.bytes_shared, 0);
}

/* ---- what a dry run can and cannot see of the threads ------------------------------ */

static void add_thread_tls(struct side *s, pid_t tid, bool blocked, uint64_t sp, uint64_t ip,
			   uint64_t tls, uint64_t robust)
{
	add_thread(s, tid, blocked, sp, ip);
	s->th[s->pf.nthreads - 1].tls = tls;
	s->th[s->pf.nthreads - 1].robust = robust;
}

/* glibc keeps a thread's TLS and control block in one block: the
 * robust-futex list shows it without stopping the thread, the thread
 * pointer of the frozen thread shows it under the freeze. */
static void test_in_use_tls(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);                     /* the main thread's TLS */
	add_vma(&S, B, B + SZ, "rw-p", "", 0);                     /* nothing of a thread */
	add_thread_tls(&S, SRC_PID, true, UINT64_C(0x7ffc00001000), UINT64_C(0x7f0000001000), 0,
		       A + 2 * PG + 0xa20);

	/* a dry run, a real run before the freeze and maps all see it */
	one(OP_MOVE);
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_IN_USE, A);
	assert_string_equal(plan.e[0].detail, "thread 1000's thread-local storage is in it: its robust-futex list is at 0x10002a20");
	req.dry_run = true;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_IN_USE, A);
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_IN_USE, ADDR_NONE);
	EXPECT_OK(1, B, B + SZ, KIND_ANON, METHOD_COPY, ADDR_NONE);
	/* a copy leaves the source as it was */
	ONE_OK(OP_COPY, KIND_ANON, METHOD_COPY);

	/* under the freeze: the thread pointer of the registers, also
	 * without a robust list */
	S.th[0].robust = 0;
	S.th[0].tls = B + PG + 0x700;
	set_req(OP_MOVE, B, SZ);
	run_to();
	EXPECT_REFUSED(0, B, B + SZ, KIND_ANON, R_IN_USE, B);
	assert_string_equal(plan.e[0].detail, "thread 1000's thread-local storage is in it: its thread pointer is 0x20001700");
	/* the piece, not the VMA */
	set_req(OP_MOVE, B + 2 * PG, 2 * PG);
	run_to();
	EXPECT_OK(0, B + 2 * PG, B + SZ, KIND_ANON, METHOD_COPY, B + 2 * PG);
}

/* What only the freeze can tell is "deferred" in a dry run and in maps,
 * never a silent ok; a real move plans again under the freeze. */
static void test_in_use_unknown(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);                     /* writable: a stack, TLS */
	add_vma(&S, A + SZ, A + 2 * SZ, "r-xp", "/usr/bin/prog", 0); /* code */
	add_vma(&S, B, B + SZ, "r--p", "/usr/share/x", 0);         /* neither */
	add_thread_tls(&S, SRC_PID, true, UINT64_C(0x7ffc00001000), UINT64_C(0x7f0000001000), 0,
		       UINT64_C(0x7f0000100000));
	add_thread_tls(&S, SRC_PID + 1, false, 0, 0, 0, UINT64_C(0x7f0000200000));

	set_req(OP_MOVE, A, 2 * SZ);
	req.dry_run = true;
	run_to();
	EXPECT_N(2);
	EXPECT(0, A, A + SZ, KIND_ANON, METHOD_COPY, STATUS_DEFERRED, R_IN_USE_UNKNOWN, A);
	assert_string_equal(plan.e[0].detail, "thread 1001 is running, so its stack and instruction pointers are not known");
	EXPECT(1, A + SZ, A + 2 * SZ, KIND_FILE, METHOD_FILE_COW, STATUS_DEFERRED, R_IN_USE_UNKNOWN, A + SZ);
	set_req(OP_MOVE, B, SZ);
	req.dry_run = true;
	run_to();
	EXPECT_OK(0, B, B + SZ, KIND_FILE, METHOD_FILE_COW, B);
	/* maps --for move says the same; --for copy has no in-use rule */
	set_maps(OP_MOVE, false);
	run_alone();
	EXPECT(0, A, A + SZ, KIND_ANON, METHOD_COPY, STATUS_DEFERRED, R_IN_USE_UNKNOWN, ADDR_NONE);
	EXPECT_OK(2, B, B + SZ, KIND_FILE, METHOD_FILE_COW, ADDR_NONE);
	set_maps(OP_COPY, false);
	run_alone();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, ADDR_NONE);
	/* a real move: ok before the freeze, where it is planned again */
	set_req(OP_MOVE, A, SZ);
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	/* a known refusal comes first */
	S.th[0].sp = A + 8;
	set_req(OP_MOVE, A, SZ);
	req.dry_run = true;
	run_to();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_IN_USE, A);
	S.th[0].sp = UINT64_C(0x7ffc00001000);

	/* registers pvmmap may not read */
	S.th[1].unreadable = true;
	run_to();
	EXPECT(0, A, A + SZ, KIND_ANON, METHOD_COPY, STATUS_DEFERRED, R_IN_USE_UNKNOWN, A);
	assert_string_equal(plan.e[0].detail, "the stack and instruction pointers of thread 1001 cannot be read without attaching to it");

	/* a blocked thread without a robust list (not glibc): its TLS may be
	 * in any writable piece, its stack and code are known */
	S.pf.nthreads = 1;
	S.th[0].robust = 0;
	run_to();
	EXPECT(0, A, A + SZ, KIND_ANON, METHOD_COPY, STATUS_DEFERRED, R_IN_USE_UNKNOWN, A);
	assert_non_null(strstr(plan.e[0].detail, "thread-local storage"));
	set_req(OP_MOVE, A + SZ, SZ);
	req.dry_run = true;
	run_to();
	EXPECT_OK(0, A + SZ, A + 2 * SZ, KIND_FILE, METHOD_FILE_COW, A + SZ);

	/* the summary counts it apart */
	struct plan_summary sum;
	set_req(OP_MOVE, A, 2 * SZ);
	req.dry_run = true;
	run_to();
	plan_summarise(&plan, &sum);
	assert_int_equal(sum.deferred, 1);
	assert_int_equal(sum.ok, 1);
	assert_int_equal(sum.refused, 0);
}

/* Without --partial one refusal changes nothing: the other pieces are
 * skipped, with a reason of their own, and keep the method --partial
 * would use. */
static void test_all_or_nothing(void **state)
{
	(void)state;
	struct plan_summary sum;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	add_vma(&S, A + SZ, A + 2 * SZ, "r--p", "[vvar]", 0);
	add_vma(&S, A + 2 * SZ, A + 3 * SZ, "r--p", "/usr/share/x", 0);

	set_req(OP_COPY, A, 4 * SZ);
	req.partial = false;
	run_to();
	EXPECT_N(4);
	EXPECT(0, A, A + SZ, KIND_ANON, METHOD_COPY, STATUS_SKIPPED, R_ALL_OR_NOTHING, A);
	assert_string_equal(plan.e[0].detail, "0x10004000-0x10008000 is refused: special-mapping");
	EXPECT_REFUSED(1, A + SZ, A + 2 * SZ, KIND_SPECIAL, R_SPECIAL_MAPPING, A + SZ);
	EXPECT(2, A + 2 * SZ, A + 3 * SZ, KIND_FILE, METHOD_FILE_COW, STATUS_SKIPPED, R_ALL_OR_NOTHING, A + 2 * SZ);
	EXPECT_GAP(3, A + 3 * SZ, A + 4 * SZ);
	plan_summarise(&plan, &sum);
	assert_int_equal(sum.skipped, 2);
	assert_int_equal(sum.refused, 2);
	assert_int_equal(sum.ok, 0);
	assert_int_equal(sum.bytes_shared, 0);
	/* a dry run predicts the same */
	req.dry_run = true;
	run_to();
	EXPECT(0, A, A + SZ, KIND_ANON, METHOD_COPY, STATUS_SKIPPED, R_ALL_OR_NOTHING, A);
	/* a gap alone is a refusal too */
	set_req(OP_MOVE, A + 2 * SZ, 2 * SZ);
	req.partial = false;
	run_to();
	EXPECT(0, A + 2 * SZ, A + 3 * SZ, KIND_FILE, METHOD_FILE_COW, STATUS_SKIPPED, R_ALL_OR_NOTHING, A + 2 * SZ);
	assert_string_equal(plan.e[0].detail, "0x1000c000-0x10010000 is refused: not-mapped");
	/* --partial: each keeps its own verdict */
	set_req(OP_COPY, A, 4 * SZ);
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	EXPECT_OK(2, A + 2 * SZ, A + 3 * SZ, KIND_FILE, METHOD_FILE_COW, A + 2 * SZ);
	/* nothing refused: nothing skipped */
	set_req(OP_COPY, A, SZ);
	req.partial = false;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	/* maps lists verdicts, it is not all or nothing */
	set_maps(OP_COPY, true);
	req.partial = false;
	run_to();
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, A);
	/* deferred pieces are skipped too */
	add_thread(&S, SRC_PID, false, 0, 0);
	set_req(OP_MOVE, A, 2 * SZ);
	req.partial = false;
	req.dry_run = true;
	run_to();
	EXPECT(0, A, A + SZ, KIND_ANON, METHOD_COPY, STATUS_SKIPPED, R_ALL_OR_NOTHING, A);
}

static void test_droppable(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", VMF(DP));
	ONE_REFUSED(OP_COPY, KIND_ANON, R_DROPPABLE);
	assert_string_equal(plan.e[0].detail, "VmFlags dp");
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_DROPPABLE);
	set_maps(OP_COPY, false);
	run_alone();
	EXPECT_REFUSED(0, A, A + SZ, KIND_ANON, R_DROPPABLE, ADDR_NONE);
	assert_non_null(strstr(reason_info(R_DROPPABLE)->sentence, "MAP_DROPPABLE"));
}

/* arm64: MTE-tagged memory is refused by name; BTI-guarded memory is not
 * refused (the transfer recreates PROT_BTI). */
static void test_memory_tagged(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", VMF(MT));
	ONE_REFUSED(OP_COPY, KIND_ANON, R_MEMORY_TAGGED);
	assert_string_equal(plan.e[0].detail, "VmFlags mt");
	ONE_REFUSED(OP_MOVE, KIND_ANON, R_MEMORY_TAGGED);
	assert_non_null(strstr(reason_info(R_MEMORY_TAGGED)->sentence, "Memory Tagging Extension"));
}

static void test_bti_copied(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "r-xp", "", VMF(BT));
	set_req(OP_COPY, A, SZ);
	run_to();
	assert_int_equal(plan.n, 1);
	assert_int_equal(plan.e[0].reason, R_NONE);
}

/* maps PID ADDR where nothing is mapped: said, not an empty listing. */
static void test_maps_not_mapped(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	set_maps(OP_MOVE, false);
	req.has_range = true;
	req.addr = B;
	req.len = PG;
	req.range_end = B + PG;
	run_alone();
	EXPECT_N(1);
	EXPECT_GAP(0, B, B + PG);
	/* a range meeting a VMA lists it whole, and no gap */
	req.addr = A - PG;
	req.len = 2 * PG;
	req.range_end = A + PG;
	run_alone();
	EXPECT_N(1);
	EXPECT_OK(0, A, A + SZ, KIND_ANON, METHOD_COPY, ADDR_NONE);
}

/* Each way of not being a process has a remedy of its own. */
static void test_not_a_process_hints(void **state)
{
	(void)state;
	add_vma(&S, A, A + SZ, "rw-p", "", 0);
	sf.self_pid = SRC_PID;
	move_one();
	EXPECT_ERROR(R_NOT_A_PROCESS, SRC_PID);
	assert_non_null(strstr(plan.error.hint, "another process"));
	assert_null(strstr(plan.error.hint, "whole process"));
	sf.self_pid = SELF_PID;
	S.pf.tgid = 999;
	move_one();
	assert_string_equal(plan.error.hint, "give 999, the id of the whole process");
	S.pf.tgid = SRC_PID;
	S.pf.kernel_thread = true;
	move_one();
	assert_non_null(strstr(plan.error.hint, "kernel thread has no user memory"));
	S.pf.kernel_thread = false;
	/* a refusal without a hint of its own uses the reason's */
	T.pf.tracer_pid = 4242;
	move_one();
	EXPECT_ERROR(R_ALREADY_TRACED, TGT_PID);
	assert_string_equal(plan.error.hint, "");
}

/* The kernel's ptrace access rules, named: uid, gid, dumpable,
 * capabilities, Yama; and when none of them refuses, what is left. */
static void test_access_rules(void **state)
{
	(void)state;
	struct proc_refusal r;

	unprivileged(-1);
	/* the saved uid counts too (a set-user-ID program) */
	S.pf.suid = 0;
	assert_int_equal(plan_access_denied(&sf, &S.pf, false, NULL, &r), R_PTRACE_DENIED);
	assert_string_equal(r.detail, "process 1000 belongs to uid 0 and pvmmap runs as uid 1000, without CAP_SYS_PTRACE");
	assert_string_equal(r.hint, "run pvmmap as uid 0, the process's owner, or as root");
	S.pf.suid = 1000;
	/* and the gids (a set-group-ID program) */
	S.pf.sgid = 50;
	assert_int_equal(plan_access_denied(&sf, &S.pf, true, NULL, &r), R_PTRACE_DENIED);
	assert_non_null(strstr(r.detail, "gid 50"));
	S.pf.sgid = 1000;
	/* capabilities the process holds and pvmmap lacks */
	S.pf.cap_prm = CAPB(CAP_IPC_LOCK_BIT);
	assert_int_equal(plan_access_denied(&sf, &S.pf, false, NULL, &r), R_PTRACE_DENIED);
	assert_non_null(strstr(r.detail, "holds capabilities pvmmap lacks"));
	sf.self_cap_eff = CAPB(CAP_IPC_LOCK_BIT);
	assert_int_equal(plan_access_denied(&sf, &S.pf, false, NULL, &r), R_NONE);
	/* an attach compares the permitted set */
	assert_int_equal(plan_access_denied(&sf, &S.pf, true, NULL, &r), R_PTRACE_DENIED);
	assert_non_null(strstr(r.detail, "CapPrm"));
	sf.self_cap_prm = CAPB(CAP_IPC_LOCK_BIT);
	assert_int_equal(plan_access_denied(&sf, &S.pf, true, NULL, &r), R_NONE);
	/* Yama checks an attach, not a read of /proc */
	sf.yama_scope = 1;
	assert_int_equal(plan_access_denied(&sf, &S.pf, true, NULL, &r), R_PTRACE_DENIED);
	assert_non_null(strstr(r.detail, "ptrace_scope is 1"));
	assert_int_equal(plan_access_denied(&sf, &S.pf, false, NULL, &r), R_NONE);

	/* a refusal nothing visible explains: a security module */
	sf.yama_scope = -1;
	assert_int_equal(plan_access_denied(&sf, &S.pf, true, "attaching with PTRACE_SEIZE", &r), R_PTRACE_DENIED);
	assert_string_equal(r.detail, "attaching with PTRACE_SEIZE was refused although pvmmap runs as uid 1000 like "
			    "process 1000 and holds all of its capabilities, and there is no Yama on this kernel, so "
			    "a security module (LSM: SELinux, AppArmor, a BPF program...) refused it");
	assert_non_null(strstr(r.hint, "audit log"));
	snprintf(sf.lsm, sizeof(sf.lsm), "capability,yama,apparmor");
	sf.yama_scope = 0;
	sf.self_init_userns = false;
	sf.self_cap_eff = CAPB(CAP_SYS_PTRACE_BIT);
	plan_access_denied(&sf, &S.pf, false, "reading /proc/1000/smaps", &r);
	assert_string_equal(r.detail, "reading /proc/1000/smaps was refused although pvmmap holds CAP_SYS_PTRACE, so a "
			    "security module refused it (active: capability,yama,apparmor), or the process is in a "
			    "user namespace where pvmmap's capabilities do not count");
	/* a rule that refuses is named with what it refused */
	unprivileged(-1);
	S.pf.euid = 0;
	plan_access_denied(&sf, &S.pf, false, "reading /proc/1000/smaps", &r);
	assert_string_equal(r.detail, "reading /proc/1000/smaps was refused: process 1000 belongs to uid 0 and "
			    "pvmmap runs as uid 1000, without CAP_SYS_PTRACE");
}

/* ---- the range's facts plan as the whole smaps does (issue 10) ---------- */

#define DATA PVMMAP_SRCDIR "/tests/data/smaps/"

static char *load_data(const char *name, size_t *len)
{
	char path[512];
	struct stat st;
	char *buf;
	int fd;

	snprintf(path, sizeof(path), DATA "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Two plans of the same request, field for field (but vma_index, an index
 * into lists of another length). */
static void same_plans(const char *what, const struct plan *a, const struct plan *b)
{
	if (a->n != b->n)
		fail_msg("%s: %zu pieces against %zu", what, a->n, b->n);
	assert_int_equal(a->error.reason, b->error.reason);
	for (size_t i = 0; i < a->n; i++) {
		const struct plan_entry *x = &a->e[i], *y = &b->e[i];

		if (x->start != y->start || x->end != y->end || x->status != y->status ||
		    x->reason != y->reason || x->kind != y->kind || x->method != y->method ||
		    x->rss != y->rss || x->swap != y->swap || x->changed != y->changed ||
		    x->dest_start != y->dest_start || strcmp(x->detail, y->detail) ||
		    !x->vma != !y->vma)
			fail_msg("%s: piece %zu differs: 0x%" PRIx64 "-0x%" PRIx64 " %s/%s/%s \"%s\" "
				 "against 0x%" PRIx64 "-0x%" PRIx64 " %s/%s/%s \"%s\"", what, i,
				 x->start, x->end, rname(x->reason), kname(x->kind), mname(x->method),
				 x->detail, y->start, y->end, rname(y->reason), kname(y->kind),
				 mname(y->method), y->detail);
		if (x->vma && (x->vma->start != y->vma->start || x->vma->end != y->vma->end ||
			       x->vma->vmflags != y->vma->vmflags || x->vma->rss != y->vma->rss ||
			       x->vma->malformed != y->vma->malformed ||
			       strcmp(x->vma->name, y->vma->name)))
			fail_msg("%s: piece %zu's VMA differs", what, i);
	}
}

/* A move and a copy of [start, end) planned on @whole and on the range's
 * VMAs parsed from @text alone give the same plan. */
static void range_plans_as_whole(const char *name, const char *text, size_t len,
				 const struct vma_list *whole, uint64_t start, uint64_t end)
{
	static const enum op ops[] = { OP_COPY, OP_MOVE };
	struct vma_list part = { 0 };
	struct proc_facts wf = S.pf, rf = S.pf;
	char what[256];

	assert_int_equal(vma_smaps_parse_range(text, len, start, end, &part), 0);
	wf.vmas = *whole;
	wf.files = rf.files = NULL;
	rf.vmas = part;
	rf.scope = (struct proc_scope){ .vmas = PROC_VMAS_RANGE, .start = start, .end = end };
	rf.task_size = 0;
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		struct plan pw, pr;

		set_req(ops[o], start, end - start);
		req.partial = o == 0;
		assert_int_equal(plan_make(&sf, &wf, &T.pf, &req, &pw), 0);
		assert_int_equal(plan_make(&sf, &rf, &T.pf, &req, &pr), 0);
		snprintf(what, sizeof(what), "%s, %s 0x%" PRIx64 "-0x%" PRIx64, name,
			 ops[o] == OP_MOVE ? "move" : "copy", start, end);
		same_plans(what, &pw, &pr);
		assert_int_equal(plan_needs_policies(&pw), plan_needs_policies(&pr));
		plan_free(&pw);
		plan_free(&pr);
	}
	vma_list_free(&part);
}

static bool plans_on_ranges(const char *name)
{
	struct vma_list l = { 0 };
	size_t len;
	char *text = load_data(name, &len);

	assert_int_equal(vma_smaps_parse(text, len, &l), 0);
	for (size_t i = 0; i < l.n; i++) {
		const struct vma *v = &l.v[i];
		uint64_t mid = v->start + ((v->end - v->start) / 2 & ~(PG - 1));

		if (v->start >= v->end || v->start % PG || v->end % PG)
			continue;       /* a malformed header: no range to ask */
		range_plans_as_whole(name, text, len, &l, v->start, v->end);
		if (mid > v->start)
			range_plans_as_whole(name, text, len, &l, mid, v->end);
		if (i + 2 < l.n && l.v[i + 2].end > v->start && l.v[i + 2].end % PG == 0)
			range_plans_as_whole(name, text, len, &l, v->start, l.v[i + 2].end);
		/* from a page before it: a hole, or the VMA before */
		if (v->start >= 2 * PG)
			range_plans_as_whole(name, text, len, &l, v->start - PG, v->end);
	}
	vma_list_free(&l);
	free(text);
	return true;
}

/* Every recorded smaps, many ranges: the source's facts read for the range
 * alone (PROC_VMAS_RANGE) plan exactly as the whole smaps does. */
static void test_range_facts_plan_as_whole(void **state)
{
	DIR *d = opendir(DATA);
	struct dirent *e;
	int n = 0;

	(void)state;
	assert_non_null(d);
	S.pf.euid = S.pf.ruid = S.pf.suid = T.pf.euid = T.pf.ruid = T.pf.suid = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 4 || strcmp(e->d_name + len - 4, ".txt"))
			continue;
		n += plans_on_ranges(e->d_name);
	}
	closedir(d);
	assert_true(n >= 15);
}

/* Which plans need the source's numa_maps under the freeze. */
static void test_needs_policies(void **state)
{
	struct vma *v;

	(void)state;
	v = add_vma(&S, A, A + SZ, "rw-s", "/memfd:x (deleted)", 0);
	assert_true(fact(&S, v)->reachable);
	set_req(OP_MOVE, A, SZ);
	run_to();
	check_n(__FILE__, __LINE__, 1);
	assert_int_equal(plan.e[0].status, STATUS_OK);
	assert_false(plan_needs_policies(&plan));       /* shmem: with the object */
	add_vma(&S, B, B + SZ, "rw-p", "", 0);
	set_req(OP_MOVE, A, B + SZ - A);
	run_to();
	assert_true(plan_needs_policies(&plan));        /* anon: per VMA */
	/* refused pieces and a remap carry nothing over */
	set_req(OP_MOVE, B, SZ);
	req.at = B + 16 * SZ;
	run_self();
	assert_int_equal(plan.e[0].method, METHOD_REMAP);
	assert_false(plan_needs_policies(&plan));
}

#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T_(test_names),
		T_(test_reason_table),
		T_(test_kind_anon),
		T_(test_kind_anon_named),
		T_(test_kind_heap),
		T_(test_kind_stack),
		T_(test_kind_file_private),
		T_(test_kind_file_shared),
		T_(test_kind_memfd),
		T_(test_kind_shared_anon),
		T_(test_kind_private_devzero),
		T_(test_kind_sysv),
		T_(test_sysv_permission),
		T_(test_kind_anon_shmem),
		T_(test_kind_hugetlb),
		T_(test_kind_same_pid_move_is_remap),
		T_(test_not_mapped_middle),
		T_(test_not_mapped_start),
		T_(test_not_mapped_end),
		T_(test_not_mapped_all),
		T_(test_special_mappings),
		T_(test_io_mapping),
		T_(test_device_mapping),
		T_(test_aio_ring),
		T_(test_uffd_registered),
		T_(test_live),
		T_(test_shadow_stack),
		T_(test_sealed),
		T_(test_in_use_main_stack),
		T_(test_in_use_threads),
		T_(test_protection_key),
		T_(test_hugetlb_unavailable),
		T_(test_huge_page_split),
		T_(test_hugetlb_shared_needs_no_pages),
		T_(test_hugetlb_budget),
		T_(test_hugetlb_same_pid_copy),
		T_(test_hugetlb_shared_unreachable),
		T_(test_target_occupied),
		T_(test_target_occupied_replace_scans_all),
		T_(test_target_adjacent_is_free),
		T_(test_same_pid_move_overlapping_itself),
		T_(test_same_pid_copy_overlapping_itself),
		T_(test_target_out_of_range),
		T_(test_target_map_count),
		T_(test_target_memory_limit_rlimit_as),
		T_(test_target_memory_limit_memcg),
		T_(test_target_memory_limit_memcg_budget),
		T_(test_target_memcg_file_cow_charges_changed_pages),
		T_(test_target_memlock_limit),
		T_(test_target_memlock_budget),
		T_(test_file_unreachable),
		T_(test_unrecognised),
		T_(test_not_a_process),
		T_(test_zombie),
		T_(test_already_traced),
		T_(test_ptrace_denied),
		T_(test_seccomp_blocks),
		T_(test_cross_user),
		T_(test_cross_user_detail_names_differing_uid),
		T_(test_arch_mismatch),
		T_(test_maps_blockers),
		T_(test_process_rule_order),
		T_(test_range_cut_edges),
		T_(test_range_cut_measured_edges),
		T_(test_at_any),
		T_(test_cut_with_gaps_and_at),
		T_(test_maps_listing),
		T_(test_summary),
		T_(test_in_use_tls),
		T_(test_in_use_unknown),
		T_(test_all_or_nothing),
		T_(test_droppable),
		T_(test_memory_tagged),
		T_(test_bti_copied),
		T_(test_maps_not_mapped),
		T_(test_not_a_process_hints),
		T_(test_access_rules),
		T_(test_range_facts_plan_as_whole),
		T_(test_needs_policies),
	};
	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
