/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NUMA memory policy of each VMA, from /proc/PID/numa_maps
 * (part of the facts layer: see src/proc.c for its invariant).
 */
#include "proc.h"
#include "proc_priv.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

struct policy_walk {
	struct proc_facts *pf;
	size_t k;               /* the first VMA not matched yet */
	size_t matched;
	bool skip_line;         /* the first line is the tail of a cut one */
};

static int policy_line(void *ctx, char *line, size_t len, bool cut)
{
	struct policy_walk *w = ctx;
	const struct proc_facts *pf = w->pf;
	const char *end;
	uint64_t start;

	(void)len;
	if (w->skip_line) {
		w->skip_line = false;
		return 0;
	}
	/* a cut line may have lost its policy's end: leave it unknown */
	if (cut || procfs_u64(line, 16, &start, &end) < 0 || *end != ' ')
		return 0;
	/* both lists are in address order */
	while (w->k < pf->vmas.n && pf->vmas.v[w->k].start < start)
		w->k++;
	if (w->k < pf->vmas.n && pf->vmas.v[w->k].start == start) {
		proc_policy_parse(end + 1, &pf->policies[w->k++]);
		w->matched++;
	}
	/* past the last VMA of the facts: the rest is of no use */
	return w->k < pf->vmas.n ? 0 : 1;
}

/*
 * Through the cursor placed before the freeze (proc_cursors_place): 1 when
 * every VMA of the facts has its line, 0 when not (a VMA mapped, or its
 * line printed, before the cursor was placed: read afresh), or -errno.
 */
static int policies_from_cursor(struct proc_facts *pf, struct vma_cursor *c)
{
	struct policy_walk w = { .pf = pf, .skip_line = c->mid_line };
	int r = procfs_lines(c->fd, PROCFS_CAP, policy_line, &w, NULL);

	vma_cursor_close(c);
	if (r == -ENOMEM)
		return r;
	return !r && w.matched == pf->vmas.n;
}

/*
 * numa_maps: one line per VMA, "START POLICY key=value...".  Absent on a
 * kernel without CONFIG_NUMA: then no policy is known, which is no error.
 * Read line by line and only up to the last VMA of the facts: the kernel
 * walks the page tables of every VMA it prints (its counts), and the whole
 * file of 60 000 VMAs is over 4 MiB (6.18), more than procfs_read takes.
 */
int proc_policies_read(struct proc_facts *pf)
{
	struct policy_walk w = { .pf = pf };
	int fd, r;

	free(pf->policies);
	pf->policies = NULL;
	pf->policies = calloc(pf->vmas.n ? pf->vmas.n : 1, sizeof(*pf->policies));
	if (!pf->policies)
		return -ENOMEM;
	if (pf->vmas.n && pf->cursors && pf->cursors->numa.fd >= 0) {
		r = policies_from_cursor(pf, &pf->cursors->numa);
		if (r)
			return r < 0 ? r : 0;
		memset(pf->policies, 0, pf->vmas.n * sizeof(*pf->policies));
	}
	fd = openat(pf->procfd, "numa_maps", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : procfs_errno(errno);
		free(pf->policies);
		pf->policies = NULL;
		return r;
	}
	r = pf->vmas.n ? procfs_lines(fd, PROCFS_CAP, policy_line, &w, NULL) : 0;
	close(fd);
	return r;
}
