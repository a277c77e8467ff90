/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text for people and JSON strings: the escaping and size formats that the
 * report (src/report.c) and the command line (src/main.c) share.  Neither
 * owns it; it decides nothing and touches no process.
 */
#include "text.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

/* ---- strings ------------------------------------------------------------ */

/*
 * Length of the valid UTF-8 sequence at @s, or 0 when the byte there does not
 * start one (overlong forms, surrogates and values past U+10FFFF included:
 * RFC 3629).
 */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
	else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
	else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void text_json_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n = utf8_seq(s);
		if (n == 0) {
			/* A lone surrogate is valid JSON text and lets Python's
			 * os.fsencode give back the exact bytes. */
			fprintf(out, "\\udc%02x", *s++);
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, out);
			s += n;
			continue;
		}
		switch (*s) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*s < 0x20 || *s == 0x7f)
				fprintf(out, "\\u%04x", *s);
			else
				fputc(*s, out);
		}
		s++;
	}
	fputc('"', out);
}

/* A name for a terminal, on one line: newline and tab as \n and \t, other
 * control bytes and invalid UTF-8 as \xNN. */
void text_write_name(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_seq(s);
		if (*s == '\n' || *s == '\t') {
			fputs(*s++ == '\n' ? "\\n" : "\\t", out);
			continue;
		}
		if (n == 0 || (n == 1 && (*s < 0x20 || *s == 0x7f)) ||
		    (n == 2 && s[0] == 0xc2 && s[1] < 0xa0) /* C1 controls */) {
			fprintf(out, "\\x%02x", *s++);
			continue;
		}
		fwrite(s, 1, n, out);
		s += n;
	}
}

void text_escape(char *buf, size_t len, const char *str)
{
	FILE *f;

	if (!len)
		return;
	buf[0] = '\0';
	f = fmemopen(buf, len, "w");
	if (!f)
		return;
	/* A full buffer truncates: fmemopen keeps the terminating NUL. */
	setvbuf(f, NULL, _IONBF, 0);
	text_write_name(f, str);
	fclose(f);
}

void text_format_size(char *buf, size_t len, uint64_t bytes)
{
	static const char units[] = "BKMGTPE";
	int u = 0;
	uint64_t whole = bytes, rest = 0;

	while (whole >= 1024 && u < 6) {
		rest = whole % 1024;
		whole /= 1024;
		u++;
	}
	if (u && whole < 10 && rest)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", whole, rest * 10 / 1024, units[u]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[u]);
}
