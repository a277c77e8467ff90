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
int args_parse_u64(const char *s, uint64_t *out);

/*
 * An address: "0x..." hex; without 0x, hex when written the way pvmmap,
 * pmap and /proc/PID/maps print addresses (a leading zero: padding; or a
 * letter a-f), else decimal.  *@decimal (may be NULL) tells which.
 */
int args_parse_addr(const char *s, uint64_t *out, bool *decimal);

/* "START-END": both hex, 0x optional on each.  -EINVAL when @s is not one. */
int args_parse_range(const char *s, uint64_t *start, uint64_t *end);

/* A length: a number with an optional binary suffix, in any case: K M G T,
 * KB MB GB TB, KiB MiB GiB TiB (all powers of 1024).  args_len_suffixes says so
 * for an error message. */
int args_parse_len(const char *s, uint64_t *out);
extern const char args_len_suffixes[];

/* "-1", "-.5": a negative number, which an option parser would take for an
 * option. */
bool args_negative(const char *s);

/* A PID: decimal, 1 .. INT_MAX. */
int args_parse_pid(const char *s, pid_t *out);

/* Seconds: "10", "0.5"; > 0 and finite, at most a day. */
int args_parse_seconds(const char *s, double *out);

#endif
