/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading /proc (and sysfs) text, and the numbers in it.
 *
 * One reader for whole files at a directory fd, one lookup of "Key:" lines,
 * one parser of unsigned numbers, one reader of /proc/PID/stat.  The
 * numbers are strict (no sign, no blanks, no octal, overflow is an error),
 * which is what the command line wants too: src/args.c parses with them.
 * Nothing here decides anything or keeps state.
 */
#ifndef PVMMAP_PROCFS_H
#define PVMMAP_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /proc and sysfs files are small; the cap bounds pvmmap's memory if one is not. */
#define PROCFS_CAP ((size_t)4 << 20)
/* No cap: smaps can be many MB (one entry of ~1 KiB per VMA). */
#define PROCFS_NO_CAP SIZE_MAX

/*
 * A negative errno for a failed call (@e: errno).  EPERM is reported as
 * EACCES so that no result is ever -1, which callers could mistake for a
 * raw syscall failure; no errno at all is -EIO.
 */
int procfs_errno(int e);

/*
 * The whole file @path at @dirfd (AT_FDCWD or an absolute path work too),
 * NUL-terminated and malloc'd in *@out; its length in *@len (may be NULL).
 * A file of more than @cap bytes is -EFBIG.  0 or -errno of open/read
 * (as procfs_errno).
 */
int procfs_read(int dirfd, const char *path, size_t cap, char **out, size_t *len);
/* The same from an open fd, from its current offset. */
int procfs_read_fd(int fd, size_t cap, char **out, size_t *len);
/*
 * procfs_read of a file every live /proc/PID has: its absence (ENOENT, or
 * ESRCH through the fd of a reaped process on 6.x) means the process is
 * gone: -ESRCH.
 */
int procfs_read_pid(int procfd, const char *path, size_t cap, char **out, size_t *len);

/* Twice the room in *@buf (realloc), or -ENOMEM (*@buf is still the
 * caller's). */
int procfs_double_buf(char **buf, size_t *size);

/*
 * The lines of @fd from its current offset, one at a time through a buffer
 * of 64 KiB that grows for a long line up to @line_max (then -EBADMSG), so
 * that a file of any size is read in bounded memory: @fn gets each line
 * NUL-terminated without its '\n' (@cut: the last, which had none) and
 * returns 0 for more, 1 to stop reading, or -errno.  The bytes read in
 * *@bytes (may be NULL).  0, -errno of @fn, -ENOMEM, -EBADMSG or -errno of
 * read (as procfs_errno).
 */
int procfs_lines(int fd, size_t line_max,
		 int (*fn)(void *ctx, char *line, size_t len, bool cut), void *ctx,
		 size_t *bytes);

/*
 * Digits in @base (10, or 16 in either case) at @s, at most @n bytes of
 * them (SIZE_MAX for a NUL-terminated string): the longest run, at least
 * one digit, no prefix, sign or blank.  0 and the number of bytes used in
 * *@used, or -EINVAL (no digit) / -ERANGE (more than 64 bits).  strtoull
 * would take "-1" and " 7" and silently saturate.
 */
int procfs_digits(const char *s, size_t n, unsigned base, uint64_t *out, size_t *used);
/* The same, hex in lower case only: how the kernel prints it (hex_asc). */
int procfs_xdigits_lower(const char *s, size_t n, uint64_t *out, size_t *used);

/*
 * A number at @s in base 10, or 16 with an optional "0x"/"0X": 0 or
 * -EINVAL / -ERANGE; *@end (may be NULL) after its last digit.
 */
int procfs_u64(const char *s, unsigned base, uint64_t *out, const char **end);
/* "0x" or "0X" starts @s. */
bool procfs_hex_prefix(const char *s);
/* "0x..." hex, else decimal: what the command line takes. */
int procfs_number(const char *s, uint64_t *out, const char **end);

/* A value ends at a blank, the end of its line or the end of the text. */
bool procfs_value_end(const char *p);
bool procfs_is_blank(char c);

/* The whole of @text is one decimal number (a sysctl or sysfs value),
 * newline allowed.  0 or -EBADMSG. */
int procfs_single_u64(const char *text, uint64_t *out);
/* A file that is one such number: 0, -EBADMSG or -errno of procfs_read. */
int procfs_read_u64(int dirfd, const char *path, uint64_t *out);
/* The value of entry @type of /proc/PID/auxv (the auxv execve gave the
 * process, which its mm keeps): 0, -ENOENT (no such entry) or -errno. */
int procfs_auxv(int procfd, uint64_t type, uint64_t *out);

/*
 * The value of "Key:" at the start of a line of status-like text, after
 * its blanks; NULL when the kernel did not print that key.  Name: is the
 * only free text in status and the kernel escapes newlines in it, so a
 * line start cannot be forged.
 */
const char *procfs_field(const char *text, const char *key);
/* A "Key:" field as a number in @base: 0, -ENOENT (absent) or -EBADMSG. */
int procfs_field_u64(const char *text, const char *key, unsigned base, uint64_t *out);
/* "VmSize:\t  1234 kB" in bytes: 0, -ENOENT or -EBADMSG. */
int procfs_field_kb(const char *text, const char *key, uint64_t *bytes);

/*
 * Up to @max decimal numbers separated by blanks, from @s (may be NULL) to
 * the end of its line ("Uid:", "Groups:"): how many were read before the
 * first thing that is not one.
 */
size_t procfs_u64_list(const char *s, uint64_t *out, size_t max);

/* A /proc directory entry that names a process or thread: 1 .. INT_MAX. */
bool procfs_tid_name(const char *name, int *out);

/* The fields of /proc/PID/stat (or task/TID/stat) pvmmap reads. */
struct procfs_stat {
	char state;               /* field 3: R S D T t Z X I ... */
	unsigned long flags;      /* field 9: PF_* */
	unsigned long long start; /* field 22: clock ticks after boot */
	unsigned long long start_stack; /* field 28: where the main stack
				   began (set by execve), 0 without an mm,
				   without ptrace read access, or absent */
};

/*
 * Read and parse @path ("stat", "task/TID/stat") at @procfd.  comm (field
 * 2) may itself contain ") ", so fields are counted from the last ')'.  0,
 * -ESRCH (gone, as procfs_read_pid), -EBADMSG or another -errno.
 */
int procfs_stat_read(int procfd, const char *path, struct procfs_stat *st);
/* The same on text already read. */
int procfs_stat_parse(const char *text, struct procfs_stat *st);

#endif
