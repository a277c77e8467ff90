/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Escaping and size formats shared by the report and the command line
 * (src/text.c).  Pure functions of their arguments.
 */
#ifndef PVMMAP_TEXT_H
#define PVMMAP_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* JSON string escaping, exported for the unit tests: every byte that is not
 * part of valid UTF-8 becomes \udcXX (Python's surrogateescape). */
void text_json_string(FILE *out, const char *s);

/* Text for a terminal, on one line: newline and tab as \n and \t, other
 * control bytes and invalid UTF-8 as \xNN (text_escape: into @buf,
 * truncated to fit). */
void text_write_name(FILE *out, const char *s);
void text_escape(char *buf, size_t len, const char *s);

/* Sizes as people read them: "4K", "1.5M", "64M". */
void text_format_size(char *buf, size_t len, uint64_t bytes);

#endif
