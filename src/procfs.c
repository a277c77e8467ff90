/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading /proc text and the numbers in it (see procfs.h). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

int procfs_errno(int e)
{
	if (e <= 0)
		return -EIO;
	if (e == EPERM)
		return -EACCES;
	return -e;
}

/* ---- whole files -------------------------------------------------------- */

int procfs_double_buf(char **buf, size_t *size)
{
	char *nb;

	if (*size > SIZE_MAX / 2)
		return -ENOMEM;
	nb = realloc(*buf, *size * 2);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*size *= 2;
	return 0;
}

int procfs_read_fd(int fd, size_t cap, char **out, size_t *outlen)
{
	/* seq_file hands a big file out in pieces: start larger for those */
	size_t size = cap > PROCFS_CAP ? 64 * 1024 : 4096, len = 0;
	char *buf = malloc(size);
	int err;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		/* room for one more byte and the NUL */
		if (size - len < 2) {
			err = procfs_double_buf(&buf, &size);
			if (err)
				goto fail;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = procfs_errno(errno);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > cap) {
			err = -EFBIG;
			goto fail;
		}
	}
	buf[len] = '\0';
	*out = buf;
	if (outlen)
		*outlen = len;
	return 0;
fail:
	free(buf);
	return err;
}

int procfs_read(int dirfd, const char *path, size_t cap, char **out, size_t *len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	if (fd < 0)
		return procfs_errno(errno);
	r = procfs_read_fd(fd, cap, out, len);
	close(fd);
	return r;
}

int procfs_read_pid(int procfd, const char *path, size_t cap, char **out, size_t *len)
{
	int r = procfs_read(procfd, path, cap, out, len);

	return r == -ENOENT ? -ESRCH : r;
}

/* ---- line by line ------------------------------------------------------- */

#define LINES_CHUNK ((size_t)64 << 10)

/* The complete lines of buf[0, have), and the rest as a cut one at @eof:
 * the bytes used, 1 in *@stop when @fn said so, or -errno of @fn. */
static ssize_t each_line(char *buf, size_t have, bool eof,
			 int (*fn)(void *, char *, size_t, bool), void *ctx, bool *stop)
{
	size_t pos = 0;

	while (pos < have) {
		char *s = buf + pos, *nl = memchr(s, '\n', have - pos);
		size_t n = nl ? (size_t)(nl - s) : have - pos;
		int r;

		if (!nl && !eof)
			break;
		s[n] = '\0';   /* the '\n', or the byte each_line's caller keeps free */
		r = fn(ctx, s, n, !nl);
		if (r < 0)
			return r;
		pos += n + (nl ? 1 : 0);
		if (r > 0) {
			*stop = true;
			break;
		}
	}
	return (ssize_t)pos;
}

int procfs_lines(int fd, size_t line_max,
		 int (*fn)(void *ctx, char *line, size_t len, bool cut), void *ctx,
		 size_t *bytes)
{
	size_t size = LINES_CHUNK, have = 0, total = 0;
	char *buf = malloc(size);
	bool stop = false;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (!stop) {
		ssize_t n, used;

		/* one byte kept free for the NUL of a last line without '\n' */
		if (size - have < 2) {
			err = size >= line_max ? -EBADMSG : procfs_double_buf(&buf, &size);
			if (err)
				goto out;
		}
		n = read(fd, buf + have, size - have - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = procfs_errno(errno);
			goto out;
		}
		total += (size_t)n;
		have += (size_t)n;
		used = each_line(buf, have, n == 0, fn, ctx, &stop);
		if (used < 0) {
			err = (int)used;
			goto out;
		}
		memmove(buf, buf + used, have - (size_t)used);
		have -= (size_t)used;
		if (n == 0)
			break;
	}
	err = 0;
out:
	free(buf);
	if (bytes)
		*bytes = total;
	return err;
}

/* ---- numbers ------------------------------------------------------------ */

static int digit_value(char c, unsigned base, bool upper)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && upper && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int digits(const char *s, size_t n, unsigned base, bool upper, uint64_t *out,
		  size_t *used)
{
	uint64_t v = 0;
	size_t i;
	int d;

	for (i = 0; i < n && (d = digit_value(s[i], base, upper)) >= 0; i++) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -ERANGE;
		v = v * base + (unsigned)d;
	}
	if (i == 0)
		return -EINVAL;
	*out = v;
	*used = i;
	return 0;
}

int procfs_digits(const char *s, size_t n, unsigned base, uint64_t *out, size_t *used)
{
	return digits(s, n, base, true, out, used);
}

int procfs_xdigits_lower(const char *s, size_t n, uint64_t *out, size_t *used)
{
	return digits(s, n, 16, false, out, used);
}

bool procfs_hex_prefix(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

int procfs_u64(const char *s, unsigned base, uint64_t *out, const char **end)
{
	const char *p = base == 16 && procfs_hex_prefix(s) ? s + 2 : s;
	size_t used;
	int r = procfs_digits(p, SIZE_MAX, base, out, &used);

	if (r == 0 && end)
		*end = p + used;
	return r;
}

int procfs_number(const char *s, uint64_t *out, const char **end)
{
	return procfs_u64(s, procfs_hex_prefix(s) ? 16 : 10, out, end);
}

bool procfs_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

bool procfs_value_end(const char *p)
{
	return *p == '\0' || *p == '\n' || procfs_is_blank(*p);
}

int procfs_single_u64(const char *text, uint64_t *out)
{
	const char *end;

	if (procfs_u64(text, 10, out, &end) < 0)
		return -EBADMSG;
	if (*end == '\n')
		end++;
	return *end == '\0' ? 0 : -EBADMSG;
}

int procfs_read_u64(int dirfd, const char *path, uint64_t *out)
{
	char *text;
	int r = procfs_read(dirfd, path, PROCFS_CAP, &text, NULL);

	if (r < 0)
		return r;
	r = procfs_single_u64(text, out);
	free(text);
	return r;
}

int procfs_auxv(int procfd, uint64_t type, uint64_t *out)
{
	uint64_t aux[2 * 64];
	ssize_t n;
	int err = 0, fd = openat(procfd, "auxv", O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return procfs_errno(errno);
	do
		n = read(fd, aux, sizeof aux);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		err = procfs_errno(errno);
	close(fd);
	if (err)
		return err;
	for (ssize_t i = 0; i + 1 < n / (ssize_t)sizeof(uint64_t); i += 2) {
		if (aux[i] == 0) /* AT_NULL */
			break;
		if (aux[i] == type) {
			*out = aux[i + 1];
			return 0;
		}
	}
	return -ENOENT;
}

bool procfs_tid_name(const char *name, int *out)
{
	uint64_t v;
	const char *end;

	if (procfs_u64(name, 10, &v, &end) < 0 || *end || v == 0 || v > INT_MAX)
		return false;
	*out = (int)v;
	return true;
}

/* ---- "Key:" fields ------------------------------------------------------ */

const char *procfs_field(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *l = text;

	while (l && *l) {
		if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
			const char *v = l + kl + 1;

			while (procfs_is_blank(*v))
				v++;
			return v;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return NULL;
}

int procfs_field_u64(const char *text, const char *key, unsigned base, uint64_t *out)
{
	const char *v = procfs_field(text, key), *end;

	if (!v)
		return -ENOENT;
	if (procfs_u64(v, base, out, &end) < 0 || !procfs_value_end(end))
		return -EBADMSG;
	return 0;
}

int procfs_field_kb(const char *text, const char *key, uint64_t *bytes)
{
	const char *v = procfs_field(text, key), *end;
	uint64_t kb;

	if (!v)
		return -ENOENT;
	if (procfs_u64(v, 10, &kb, &end) < 0 || strncmp(end, " kB", 3) != 0 ||
	    !procfs_value_end(end + 3) || kb > UINT64_MAX / 1024)
		return -EBADMSG;
	*bytes = kb * 1024;
	return 0;
}

size_t procfs_u64_list(const char *s, uint64_t *out, size_t max)
{
	size_t n = 0;

	while (s && n < max) {
		const char *end;

		while (procfs_is_blank(*s))
			s++;
		if (procfs_u64(s, 10, &out[n], &end) < 0 || !procfs_value_end(end))
			break;
		n++;
		s = end;
	}
	return n;
}

/* ---- /proc/PID/stat ----------------------------------------------------- */

int procfs_stat_parse(const char *text, struct procfs_stat *st)
{
	const char *p = strrchr(text, ')'), *end;
	uint64_t v;

	if (!p || p[1] != ' ' || p[2] == '\0' || p[3] != ' ')
		return -EBADMSG;
	st->state = p[2];
	p += 4; /* field 4 */
	for (int field = 4; field < 22; field++) {
		if (field == 9) {
			if (procfs_u64(p, 10, &v, &end) < 0 || !procfs_value_end(end) ||
			    v > ULONG_MAX)
				return -EBADMSG;
			st->flags = (unsigned long)v;
		}
		p = strchr(p, ' ');
		if (!p)
			return -EBADMSG;
		p++;
	}
	if (procfs_u64(p, 10, &v, &end) < 0 || !procfs_value_end(end))
		return -EBADMSG;
	st->start = v;
	st->start_stack = 0;
	for (int field = 22; field < 28 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p && procfs_u64(p, 10, &v, &end) == 0 && procfs_value_end(end))
		st->start_stack = v;
	return 0;
}

int procfs_stat_read(int procfd, const char *path, struct procfs_stat *st)
{
	char *text;
	int r = procfs_read_pid(procfd, path, PROCFS_CAP, &text, NULL);

	if (r < 0)
		return r;
	r = procfs_stat_parse(text, st);
	free(text);
	return r;
}
