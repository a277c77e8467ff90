/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "args.h"
#include "procfs.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * strtoul(3) accepts leading spaces, a sign ("-1" becomes ULONG_MAX) and
 * octal; none of that belongs in an address, so digits are read by
 * src/procfs.c's strict parser: the longest run of digits in @base from
 * @s.  Returns the number of characters used, or a negative errno.
 */
static int read_digits(const char *s, unsigned base, uint64_t *out)
{
	size_t used;
	int r = procfs_digits(s, SIZE_MAX, base, out, &used);

	if (r < 0)
		return r;
	return used > INT_MAX ? -ERANGE : (int)used;
}

/* "0x..." hex, else decimal: the contract's numbers. */
static int parse_digits(const char *s, uint64_t *out)
{
	const char *end;
	int r = procfs_number(s, out, &end);

	if (r < 0)
		return r;
	return end - s > INT_MAX ? -ERANGE : (int)(end - s);
}

int args_parse_u64(const char *s, uint64_t *out)
{
	int n = parse_digits(s, out);
	if (n < 0)
		return n;
	return s[n] ? -EINVAL : 0;
}

int args_parse_addr(const char *s, uint64_t *out, bool *decimal)
{
	bool hex = procfs_hex_prefix(s);
	const char *p = hex ? s + 2 : s;
	uint64_t v;
	int n;

	/* Written as pvmmap, pmap and /proc/PID/maps print addresses:
	 * zero-padded, or with a hex letter.  Decimal stays decimal (shell
	 * arithmetic prints it), but a leading zero is never octal nor
	 * decimal: it is padding. */
	if (!hex)
		hex = (p[0] == '0' && p[1]) || p[strspn(p, "0123456789")] != '\0';
	n = read_digits(p, hex ? 16 : 10, &v);
	if (n < 0)
		return n;
	if (p[n])
		return -EINVAL;
	*out = v;
	if (decimal)
		*decimal = !hex;
	return 0;
}

int args_parse_range(const char *s, uint64_t *start, uint64_t *end)
{
	const char *dash = strchr(s, '-');
	uint64_t a, b;
	int n;

	/* Both sides hex, 0x optional on each: the first field of a line of
	 * /proc/PID/maps and the rows of pvmmap's table print no other way. */
	if (!dash || dash == s)
		return -EINVAL;
	n = read_digits(s + (procfs_hex_prefix(s) ? 2 : 0), 16, &a);
	if (n < 0)
		return n;
	if (s + (procfs_hex_prefix(s) ? 2 : 0) + n != dash)
		return -EINVAL;
	s = dash + 1;
	n = read_digits(s + (procfs_hex_prefix(s) ? 2 : 0), 16, &b);
	if (n < 0)
		return n;
	if (s[(procfs_hex_prefix(s) ? 2 : 0) + n])
		return -EINVAL;
	*start = a;
	*end = b;
	return 0;
}

bool args_negative(const char *s)
{
	return s[0] == '-' && ((s[1] >= '0' && s[1] <= '9') || s[1] == '.');
}

const char args_len_suffixes[] = "suffixes, in any case: K M G T, KB MB GB TB, KiB MiB GiB TiB; all powers of 1024";

int args_parse_len(const char *s, uint64_t *out)
{
	/* Every spelling in use means a power of 1024 here: a length is of
	 * pages, never of disk marketing units. */
	static const char *const unit = "KMGT";
	uint64_t v;
	unsigned shift = 0;
	int n = parse_digits(s, &v);
	if (n < 0)
		return n;
	s += n;
	if (*s) {
		const char *u = strchr(unit, s[0] & ~0x20);
		if (!u || !*u)
			return -EINVAL;
		shift = 10 * (unsigned)(u - unit + 1);
		s++;
		if (strcasecmp(s, "") != 0 && strcasecmp(s, "B") != 0 && strcasecmp(s, "iB") != 0)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int args_parse_pid(const char *s, pid_t *out)
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

int args_parse_seconds(const char *s, double *out)
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
