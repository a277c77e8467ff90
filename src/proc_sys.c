/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts that do not belong to one process: pvmmap's own credentials,
 * Yama, security modules, sysctls, huge page pools
 * (part of the facts layer: see src/proc.c for its invariant).
 */
#include "proc.h"
#include "arch.h"
#include "proc_priv.h"
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- system ----------------------------------------------------------- */

static int hugepools_read(struct sys_facts *sf)
{
	static const char pfx[] = "hugepages-";
	struct dirent *de;
	DIR *d = opendir("/sys/kernel/mm/hugepages");

	if (!d)
		return errno == ENOENT ? 0 : procfs_errno(errno); /* no CONFIG_HUGETLBFS */
	while ((de = readdir(d)) && sf->npools < (int)(sizeof sf->pools / sizeof sf->pools[0])) {
		char path[300];
		const char *end;
		uint64_t kb, freep;

		if (strncmp(de->d_name, pfx, sizeof pfx - 1) != 0)
			continue;
		if (procfs_u64(de->d_name + sizeof pfx - 1, 10, &kb, &end) < 0 ||
		    strcmp(end, "kB") != 0 || kb == 0 || kb > UINT64_MAX / 1024)
			continue;
		snprintf(path, sizeof path, "%s/free_hugepages", de->d_name);
		if (procfs_read_u64(dirfd(d), path, &freep) == 0) {
			struct hugepool hp = { kb * 1024, freep };
			int i = sf->npools++;

			/* sorted by page size: readdir order is the filesystem's */
			while (i > 0 && sf->pools[i - 1].page_size > hp.page_size) {
				sf->pools[i] = sf->pools[i - 1];
				i--;
			}
			sf->pools[i] = hp;
		}
	}
	closedir(d);
	return 0;
}

int proc_sys_read(struct sys_facts *sf)
{
	char *text;
	uint64_t v;
	long ps;
	int r;

	memset(sf, 0, sizeof *sf);
	snprintf(sf->arch, sizeof sf->arch, "%s", arch_name);
	sf->elf_machine = arch_elf_machine();
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
	r = procfs_read_u64(AT_FDCWD, "/proc/sys/kernel/yama/ptrace_scope", &v);
	if (r == -ENOENT)
		sf->yama_scope = -1;
	else if (r < 0)
		return r;
	else if (v > INT_MAX)
		return -EBADMSG;
	else
		sf->yama_scope = (int)v;

	r = procfs_read_u64(AT_FDCWD, "/proc/sys/vm/max_map_count", &sf->max_map_count);
	if (r < 0)
		return r;
	r = procfs_read_u64(AT_FDCWD, "/proc/sys/vm/mmap_min_addr", &sf->mmap_min_addr);
	if (r < 0)
		return r;
	ps = sysconf(_SC_PAGESIZE);
	if (ps <= 0)
		return -EINVAL;
	sf->page_size = (uint64_t)ps;
	return hugepools_read(sf);
}
