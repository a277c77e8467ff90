/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A second client of libpvmmap beside the CLI, for tests/bats/library.bats:
 * the same request through the shared library, its JSON on stdout, its
 * outcome as the exit status.
 *   pvjson maps|move|copy|dry-move|dry-copy PID [ADDR LEN [PID2 [AT]]]
 * AT: "any", "same" or an address.
 */
#include <errno.h>
#include <pvmmap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

int main(int argc, char **argv)
{
	struct pvmmap_request req = { .at = PVMMAP_AT_SAME };
	pvmmap_result *res;
	pvmmap *h;
	const char *op;
	bool dry;
	int r, outcome;

	if (argc < 3) {
		fprintf(stderr, "usage: pvjson maps|move|copy|dry-move|dry-copy PID [ADDR LEN [PID2 [AT]]]\n");
		return 2;
	}
	dry = strncmp(argv[1], "dry-", 4) == 0;
	op = dry ? argv[1] + 4 : argv[1];
	req.op = strcmp(op, "maps") == 0 ? PVMMAP_OP_MAPS : strcmp(op, "move") == 0 ? PVMMAP_OP_MOVE : PVMMAP_OP_COPY;
	req.pid = (pid_t)num(argv[2]);
	if (argc > 4) {
		req.addr = num(argv[3]);
		req.len = num(argv[4]);
	}
	if (argc > 5)
		req.pid2 = (pid_t)num(argv[5]);
	if (argc > 6)
		req.at = strcmp(argv[6], "any") == 0 ? PVMMAP_AT_ANY : strcmp(argv[6], "same") == 0 ?
			 PVMMAP_AT_SAME : num(argv[6]);
	r = pvmmap_open(&h);
	if (!r)
		r = dry || req.op == PVMMAP_OP_MAPS ? pvmmap_plan(h, &req, &res) : pvmmap_transfer(h, &req, &res);
	if (r) {
		fprintf(stderr, "pvjson: %s\n", strerror(-r));
		return 2;
	}
	pvmmap_result_write_json(res, stdout);
	outcome = pvmmap_result_outcome(res);
	pvmmap_result_free(res);
	pvmmap_close(h);
	return outcome;
}
