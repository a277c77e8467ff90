/* Probe: what PROCMAP_QUERY (6.11, ioctl on /proc/PID/maps) says for each
 * kind of VMA, beside the line /proc/PID/maps prints for it, and its errors:
 * a hole without and with COVERING_OR_NEXT_VMA, past the last VMA, the gate
 * VMA ([vsyscall]), a short name buffer, a bad size, a reaped process.
 * Then what reading smaps only up to a range costs against the whole file
 * with "many N" (N extra VMAs, every page resident). */
#include "probe.h"
#include <signal.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>

#define Q_READ  0x01
#define Q_WRITE 0x02
#define Q_EXEC  0x04
#define Q_SHARED 0x08
#define Q_COVERING_OR_NEXT 0x10
#define Q_FILE_BACKED 0x20
struct procmap_query {
	uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags;
	uint64_t vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

static char name[4096];
static unsigned char bid[64];

static int query(int fd, uint64_t addr, uint64_t flags, uint32_t namesz, struct procmap_query *q)
{
	memset(q, 0, sizeof *q);
	q->size = sizeof *q;
	q->query_flags = flags;
	q->query_addr = addr;
	q->vma_name_addr = (uintptr_t)name;
	q->vma_name_size = namesz;
	q->build_id_addr = (uintptr_t)bid;
	q->build_id_size = sizeof bid;
	return ioctl(fd, PROCMAP_QUERY, q) ? -errno : 0;
}

static void show(const struct procmap_query *q)
{
	printf("  %lx-%lx %c%c%c%c off=%lx dev=%x:%x ino=%lu psz=%lu name(%u)=\"",
	       (unsigned long)q->vma_start, (unsigned long)q->vma_end,
	       q->vma_flags & Q_READ ? 'r' : '-', q->vma_flags & Q_WRITE ? 'w' : '-',
	       q->vma_flags & Q_EXEC ? 'x' : '-', q->vma_flags & Q_SHARED ? 's' : 'p',
	       (unsigned long)q->vma_offset, q->dev_major, q->dev_minor,
	       (unsigned long)q->inode, (unsigned long)q->vma_page_size, q->vma_name_size);
	for (uint32_t i = 0; q->vma_name_size && i < q->vma_name_size - 1; i++)
		printf(name[i] == '\n' ? "\\n" : "%c", name[i]);
	printf("\" bid=%u\n", q->build_id_size);
}

/* The maps line of the VMA that starts at @start. */
static void maps_line(uint64_t start)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char l[8192];
	while (f && fgets(l, sizeof l, f))
		if (strtoull(l, NULL, 16) == start)
			printf("  maps: %s", l);
	if (f)
		fclose(f);
}

static void kind(int fd, const char *what, void *p)
{
	struct procmap_query q;
	int r = query(fd, (uintptr_t)p, 0, sizeof name, &q);
	printf("%s:\n", what);
	if (r) {
		printf("  error %s\n", strerror(-r));
		return;
	}
	show(&q);
	maps_line(q.vma_start);
}

static void many(int n)
{
	char **v = calloc(n, sizeof *v);
	int fd = open("/proc/self/smaps", O_RDONLY);
	static char buf[1 << 16];
	double t;
	ssize_t k, tot = 0;

	/* alternate protections so that no two neighbours merge */
	for (int i = 0; i < n; i++) {
		v[i] = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE | (i & 1 ? PROT_EXEC : 0),
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		CHECK(v[i] != MAP_FAILED);
	}
	t = now();
	k = read(fd, buf, sizeof buf);
	printf("many %d: first read of smaps %zd bytes in %.3f ms\n", n, k, (now() - t) * 1e3);
	t = now();
	while ((k = read(fd, buf, sizeof buf)) > 0)
		tot += k;
	printf("many %d: the rest, %zd bytes, in %.3f ms\n", n, tot, (now() - t) * 1e3);
	/* seq_lseek() replays the file from its start (traverse()) */
	t = now();
	CHECK(lseek(fd, tot / 2, SEEK_SET) >= 0);
	k = read(fd, buf, 4096);
	printf("many %d: lseek to the middle and read %zd bytes: %.3f ms\n", n, k,
	       (now() - t) * 1e3);
	close(fd);
	fd = open("/proc/self/maps", O_RDONLY);
	struct procmap_query q;
	int c = 0;
	t = now();
	for (uint64_t a = 0; query(fd, a, Q_COVERING_OR_NEXT, sizeof name, &q) == 0; a = q.vma_end)
		c++;
	printf("many %d: PROCMAP_QUERY walk of %d VMAs in %.3f ms\n", n, c, (now() - t) * 1e3);
	t = now();
	query(fd, (uintptr_t)v[n / 2], 0, sizeof name, &q);
	printf("many %d: one PROCMAP_QUERY in %.3f ms\n", n, (now() - t) * 1e3);
	close(fd);
}

int main(int argc, char **argv)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	struct procmap_query q;
	int r;

	CHECK(fd >= 0);
	if (argc > 2 && !strcmp(argv[1], "many")) {
		many(atoi(argv[2]));
		return 0;
	}
	r = query(fd, 0, Q_COVERING_OR_NEXT, sizeof name, &q);
	printf("first VMA: %s\n", r ? strerror(-r) : "ok");
	if (r)
		return 1;

	char *anon = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	kind(fd, "private anon", anon);
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)anon, 2 * PG, "probe name");
	kind(fd, "anon named (PR_SET_VMA_ANON_NAME)", anon);
	char *shanon = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	kind(fd, "shared anon", shanon);
	prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)shanon, 4 * PG, "shname");
	kind(fd, "shared anon named", shanon);
	kind(fd, "heap", sbrk(0) - 1);
	kind(fd, "stack", &r);
	kind(fd, "libc text", (void *)printf);
	int mfd = syscall(SYS_memfd_create, "probe\nnl", 0);
	CHECK(ftruncate(mfd, 8 * PG) == 0);
	char *mf = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 4 * PG);
	kind(fd, "memfd (name with a newline), offset 4 pages", mf);
	char path[] = "/tmp/pmq-XXXXXX";
	int ffd = mkstemp(path);
	CHECK(ftruncate(ffd, 4 * PG) == 0);
	char *ff = mmap(NULL, 4 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, ffd, 0);
	unlink(path);
	kind(fd, "deleted file, r-x private", ff);
	int shm = shmget(IPC_PRIVATE, 4 * PG, IPC_CREAT | 0600);
	char *sv = shmat(shm, NULL, 0);
	shmctl(shm, IPC_RMID, NULL);
	kind(fd, "SysV", sv);
	char *huge = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (huge != MAP_FAILED)
		kind(fd, "hugetlb 2M", huge);
	else
		printf("hugetlb 2M: no pool (%s)\n", strerror(errno));
	char *none = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	kind(fd, "PROT_NONE", none);
	char *guard = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	madvise(guard + PG, PG, 102 /* MADV_GUARD_INSTALL, 6.13 */);
	kind(fd, "anon with a guard region", guard + PG);
	void *vdso = (void *)getauxval(AT_SYSINFO_EHDR);
	kind(fd, "vdso", vdso);

	printf("\nerrors:\n");
	munmap(anon + 2 * PG, PG);
	r = query(fd, (uintptr_t)anon + 2 * PG, 0, sizeof name, &q);
	printf("  a hole, no flags: %s\n", r ? strerror(-r) : "ok");
	r = query(fd, (uintptr_t)anon + 2 * PG, Q_COVERING_OR_NEXT, sizeof name, &q);
	printf("  a hole, COVERING_OR_NEXT: %s", r ? strerror(-r) : "ok\n");
	if (!r)
		show(&q);
	r = query(fd, 0xffffffffff600000ULL, 0, sizeof name, &q);
	printf("  [vsyscall] address: %s\n", r ? strerror(-r) : "ok");
	r = query(fd, 0x800000000000ULL, Q_COVERING_OR_NEXT, sizeof name, &q);
	printf("  past the last VMA (1 << 47), COVERING_OR_NEXT: %s\n", r ? strerror(-r) : "ok");
	r = query(fd, (uintptr_t)mf, 0, 5, &q);
	printf("  memfd with a 5-byte name buffer: %s\n", r ? strerror(-r) : "ok");
	r = query(fd, (uintptr_t)anon, 0, 0, &q);
	printf("  anon, name size 0: %s (name size out %u)\n", r ? strerror(-r) : "ok",
	       q.vma_name_size);
	r = query(fd, (uintptr_t)anon, Q_FILE_BACKED, sizeof name, &q);
	printf("  anon, FILE_BACKED_VMA: %s\n", r ? strerror(-r) : "ok");
	r = query(fd, (uintptr_t)anon, Q_WRITE | Q_COVERING_OR_NEXT, sizeof name, &q);
	printf("  anon, WRITABLE|COVERING_OR_NEXT: %s\n", r ? strerror(-r) : "ok");
	memset(&q, 0, sizeof q);
	q.size = 24;
	r = ioctl(fd, PROCMAP_QUERY, &q) ? -errno : 0;
	printf("  size 24: %s\n", r ? strerror(-r) : "ok");
	q.size = 0x1000;
	r = ioctl(fd, PROCMAP_QUERY, &q) ? -errno : 0;
	printf("  size 4096 (tail not zero: whatever lies after q): %s\n", r ? strerror(-r) : "ok");
	q.size = sizeof q;
	q.query_flags = 0x40;
	r = ioctl(fd, PROCMAP_QUERY, &q) ? -errno : 0;
	printf("  unknown flag 0x40: %s\n", r ? strerror(-r) : "ok");
	int sfd = open("/proc/self/smaps", O_RDONLY);
	r = query(sfd, (uintptr_t)anon, 0, sizeof name, &q);
	printf("  on smaps, not maps: %s\n", r ? strerror(-r) : "ok");
	close(sfd);

	pid_t c = fork();
	if (!c) {
		pause();
		_exit(0);
	}
	char cp[64];
	snprintf(cp, sizeof cp, "/proc/%d/maps", c);
	int cfd = open(cp, O_RDONLY);
	r = query(cfd, 0, Q_COVERING_OR_NEXT, sizeof name, &q);
	printf("  child, live: %s\n", r ? strerror(-r) : "ok");
	kill(c, SIGKILL);
	usleep(100000);
	r = query(cfd, 0, Q_COVERING_OR_NEXT, sizeof name, &q);
	printf("  child, zombie: %s\n", r ? strerror(-r) : "ok");
	waitpid(c, NULL, 0);
	r = query(cfd, 0, Q_COVERING_OR_NEXT, sizeof name, &q);
	printf("  child, reaped: %s\n", r ? strerror(-r) : "ok");
	close(cfd);
	return 0;
}
