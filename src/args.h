/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Strict parsing of the numbers on pvmmap's command line. */
#ifndef PVMMAP_ARGS_H
#define PVMMAP_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * "0x1f", "31": no sign, no space, no empty string, no overflow.
 * Returns 0 or -EINVAL (not a number) / -ERANGE (too large).
 */
int parse_u64(const char *s, uint64_t *out);

/* A length: a number with an optional binary suffix K M G T or KiB MiB GiB TiB. */
int parse_len(const char *s, uint64_t *out);

/* A PID: decimal, 1 .. INT_MAX. */
int parse_pid(const char *s, pid_t *out);

/* Seconds: "10", "0.5"; > 0 and finite, at most a day. */
int parse_seconds(const char *s, double *out);

#endif
