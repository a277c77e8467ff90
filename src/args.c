/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "args.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * strtoul(3) accepts leading spaces, a sign ("-1" becomes ULONG_MAX) and
 * octal; none of that belongs in an address, so digits are read by hand.
 * Returns the number of characters used, or a negative errno.
 */
static int parse_digits(const char *s, uint64_t *out)
{
	unsigned base = 10;
	const char *p = s;
	uint64_t v = 0;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	const char *first = p;
	for (;; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (p == first)
		return -EINVAL;
	*out = v;
	return (int)(p - s);
}

int parse_u64(const char *s, uint64_t *out)
{
	int n = parse_digits(s, out);
	if (n < 0)
		return n;
	return s[n] ? -EINVAL : 0;
}

int parse_len(const char *s, uint64_t *out)
{
	static const struct { const char *sfx; unsigned shift; } sfx[] = {
		{ "", 0 },
		{ "K", 10 }, { "KiB", 10 }, { "M", 20 }, { "MiB", 20 },
		{ "G", 30 }, { "GiB", 30 }, { "T", 40 }, { "TiB", 40 },
	};
	uint64_t v;
	int n = parse_digits(s, &v);
	if (n < 0)
		return n;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (strcmp(s + n, sfx[i].sfx) != 0)
			continue;
		if (sfx[i].shift && v > (UINT64_MAX >> sfx[i].shift))
			return -ERANGE;
		*out = v << sfx[i].shift;
		return 0;
	}
	return -EINVAL;
}

int parse_pid(const char *s, pid_t *out)
{
	uint64_t v;
	int n = parse_digits(s, &v);
	if (n < 0)
		return n;
	if (s[n] || (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		return -EINVAL;
	if (v == 0 || v > INT_MAX)
		return -ERANGE;
	*out = (pid_t)v;
	return 0;
}

int parse_seconds(const char *s, double *out)
{
	char *end;
	/* Plain decimal only: strtod would also take "1e3", "0x10", "inf". */
	if (s[strspn(s, "0123456789.")] || !(*s >= '0' && *s <= '9') || strchr(s, '.') != strrchr(s, '.'))
		return -EINVAL;
	errno = 0;
	double d = strtod(s, &end);
	if (*end || errno || !isfinite(d))
		return -EINVAL;
	if (d <= 0 || d > 86400)
		return -ERANGE;
	*out = d;
	return 0;
}
