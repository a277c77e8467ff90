/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The procfs layer: whole-file reads with their bound and their errors,
 * "Key:" lookup, strict numbers, /proc/PID/stat.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "procfs.h"

/* ---- numbers ------------------------------------------------------------ */

static void test_digits(void **state)
{
	uint64_t v = 0;
	size_t used = 0;

	(void)state;
	assert_int_equal(procfs_digits("123abc", SIZE_MAX, 10, &v, &used), 0);
	assert_int_equal(v, 123);
	assert_int_equal(used, 3);
	assert_int_equal(procfs_digits("123abc", SIZE_MAX, 16, &v, &used), 0);
	assert_int_equal(v, 0x123abc);
	assert_int_equal(used, 6);
	assert_int_equal(procfs_digits("ABC", SIZE_MAX, 16, &v, &used), 0);
	assert_int_equal(v, 0xabc);
	/* the bound, not a NUL, ends the digits */
	assert_int_equal(procfs_digits("12345", 2, 10, &v, &used), 0);
	assert_int_equal(v, 12);
	assert_int_equal(used, 2);
	assert_int_equal(procfs_digits("12345", 0, 10, &v, &used), -EINVAL);
	/* no sign, no blank, no prefix, no empty string */
	assert_int_equal(procfs_digits("-1", SIZE_MAX, 10, &v, &used), -EINVAL);
	assert_int_equal(procfs_digits("+1", SIZE_MAX, 10, &v, &used), -EINVAL);
	assert_int_equal(procfs_digits(" 7", SIZE_MAX, 10, &v, &used), -EINVAL);
	assert_int_equal(procfs_digits("", SIZE_MAX, 10, &v, &used), -EINVAL);
	assert_int_equal(procfs_digits("0x10", SIZE_MAX, 16, &v, &used), 0);
	assert_int_equal(used, 1); /* "0", then 'x' is not a digit */
	/* 64 bits exactly, and one more */
	assert_int_equal(procfs_digits("18446744073709551615", SIZE_MAX, 10, &v, &used), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(procfs_digits("18446744073709551616", SIZE_MAX, 10, &v, &used), -ERANGE);
	assert_int_equal(procfs_digits("ffffffffffffffff", SIZE_MAX, 16, &v, &used), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(procfs_digits("10000000000000000", SIZE_MAX, 16, &v, &used), -ERANGE);
	/* leading zeros are not an overflow */
	assert_int_equal(procfs_digits("000000000000000000000000000001", SIZE_MAX, 10, &v, &used), 0);
	assert_int_equal(v, 1);
	assert_int_equal(used, 30);
}

static void test_xdigits_lower(void **state)
{
	uint64_t v = 0;
	size_t used = 0;

	(void)state;
	assert_int_equal(procfs_xdigits_lower("7fff0000-", SIZE_MAX, &v, &used), 0);
	assert_true(v == 0x7fff0000);
	assert_int_equal(used, 8);
	/* the kernel prints hex in lower case: upper case is not its */
	assert_int_equal(procfs_xdigits_lower("ABC", SIZE_MAX, &v, &used), -EINVAL);
	assert_int_equal(procfs_xdigits_lower("abC", SIZE_MAX, &v, &used), 0);
	assert_int_equal(used, 2);
}

static void test_u64(void **state)
{
	const char *end = NULL;
	uint64_t v = 0;

	(void)state;
	assert_int_equal(procfs_u64("42 rest", 10, &v, &end), 0);
	assert_int_equal(v, 42);
	assert_string_equal(end, " rest");
	/* base 16 takes an optional 0x, as task/TID/syscall prints it */
	assert_int_equal(procfs_u64("0x7ffd1234 ", 16, &v, &end), 0);
	assert_true(v == 0x7ffd1234);
	assert_string_equal(end, " ");
	assert_int_equal(procfs_u64("0000003fffffffff\n", 16, &v, &end), 0);
	assert_true(v == 0x3fffffffff);
	assert_int_equal(procfs_u64("0x", 16, &v, &end), -EINVAL);
	/* base 10 takes no prefix */
	assert_int_equal(procfs_u64("0x10", 10, &v, &end), 0);
	assert_int_equal(v, 0);
	assert_string_equal(end, "x10");
	assert_int_equal(procfs_u64("-1", 10, &v, &end), -EINVAL);
	assert_int_equal(procfs_u64("\t1", 10, &v, &end), -EINVAL);
	assert_int_equal(procfs_u64("99999999999999999999", 10, &v, &end), -ERANGE);

	assert_int_equal(procfs_number("0x1f", &v, &end), 0);
	assert_int_equal(v, 31);
	assert_int_equal(procfs_number("0X1F", &v, &end), 0);
	assert_int_equal(v, 31);
	assert_int_equal(procfs_number("31", &v, &end), 0);
	assert_int_equal(v, 31);
	assert_int_equal(procfs_number("1f", &v, &end), 0);
	assert_int_equal(v, 1);
	assert_string_equal(end, "f");
	assert_int_equal(procfs_number("", &v, &end), -EINVAL);
}

static void test_single_and_list(void **state)
{
	uint64_t v = 0, l[4] = { 0 };

	(void)state;
	assert_int_equal(procfs_single_u64("65530\n", &v), 0);
	assert_int_equal(v, 65530);
	assert_int_equal(procfs_single_u64("65530", &v), 0);
	assert_int_equal(procfs_single_u64("65530\n\n", &v), -EBADMSG);
	assert_int_equal(procfs_single_u64("65530 1\n", &v), -EBADMSG);
	assert_int_equal(procfs_single_u64("max\n", &v), -EBADMSG);
	assert_int_equal(procfs_single_u64("", &v), -EBADMSG);
	assert_int_equal(procfs_single_u64("-1\n", &v), -EBADMSG);
	assert_int_equal(procfs_read_u64(AT_FDCWD, "/proc/sys/vm/max_map_count", &v), 0);
	assert_true(v > 0);
	assert_int_equal(procfs_read_u64(AT_FDCWD, "/proc/self/status", &v), -EBADMSG);

	assert_int_equal(procfs_u64_list("1000\t1001\t1002\t1003\nGid:\t5", l, 4), 4);
	assert_int_equal(l[0], 1000);
	assert_int_equal(l[3], 1003);
	assert_int_equal(procfs_u64_list("4 24 27 \nNStgid:\t9", l, 4), 3);
	assert_int_equal(l[2], 27);
	assert_int_equal(procfs_u64_list("4 24 27", l, 2), 2);
	assert_int_equal(procfs_u64_list("\nNStgid:\t9", l, 4), 0);
	assert_int_equal(procfs_u64_list("1 x2 3", l, 4), 1);
	assert_int_equal(procfs_u64_list(NULL, l, 4), 0);
}

static void test_tid_name(void **state)
{
	int tid = 0;

	(void)state;
	assert_true(procfs_tid_name("1234", &tid));
	assert_int_equal(tid, 1234);
	assert_true(procfs_tid_name("2147483647", &tid));
	assert_false(procfs_tid_name("2147483648", &tid));
	assert_false(procfs_tid_name("0", &tid));
	assert_false(procfs_tid_name(".", &tid));
	assert_false(procfs_tid_name("..", &tid));
	assert_false(procfs_tid_name("12a", &tid));
	assert_false(procfs_tid_name("", &tid));
	assert_false(procfs_tid_name("-5", &tid));
}

/* ---- fields ------------------------------------------------------------- */

static const char status[] =
	"Name:\tx\\nTgid: 666\n"   /* the kernel escapes a newline in Name */
	"Umask:\t0022\n"
	"State:\tS (sleeping)\n"
	"Tgid:\t1234\n"
	"TracerPid:\t0\n"
	"VmSize:\t   12345 kB\n"
	"VmLck:\t       0 kB\n"
	"VmBad:\t   12 MB\n"
	"VmHuge:\t18014398509481984 kB\n"
	"CapEff:\t000001ffffffffff\n"
	"Neg:\t-1\n"
	"Trail:\t12x\n"
	"Seccomp:\t2";             /* no newline at the end */

static void test_field(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_string_equal(procfs_field(status, "State"), "S (sleeping)\nTgid:\t1234\n"
			    "TracerPid:\t0\nVmSize:\t   12345 kB\nVmLck:\t       0 kB\n"
			    "VmBad:\t   12 MB\nVmHuge:\t18014398509481984 kB\n"
			    "CapEff:\t000001ffffffffff\nNeg:\t-1\nTrail:\t12x\nSeccomp:\t2");
	/* a key is a whole word at a line start */
	assert_null(procfs_field(status, "Cap"));
	assert_null(procfs_field(status, "Eff"));
	assert_null(procfs_field(status, "Missing"));
	assert_null(procfs_field("", "Tgid"));

	assert_int_equal(procfs_field_u64(status, "Tgid", 10, &v), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(procfs_field_u64(status, "CapEff", 16, &v), 0);
	assert_true(v == UINT64_C(0x1ffffffffff));
	assert_int_equal(procfs_field_u64(status, "Seccomp", 10, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(procfs_field_u64(status, "Missing", 10, &v), -ENOENT);
	assert_int_equal(procfs_field_u64(status, "Neg", 10, &v), -EBADMSG);
	assert_int_equal(procfs_field_u64(status, "Trail", 10, &v), -EBADMSG);
	assert_int_equal(procfs_field_u64(status, "State", 10, &v), -EBADMSG);

	assert_int_equal(procfs_field_kb(status, "VmSize", &v), 0);
	assert_int_equal(v, 12345 * 1024);
	assert_int_equal(procfs_field_kb(status, "VmLck", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(procfs_field_kb(status, "VmBad", &v), -EBADMSG);
	assert_int_equal(procfs_field_kb(status, "VmHuge", &v), -EBADMSG); /* bytes overflow */
	assert_int_equal(procfs_field_kb(status, "Tgid", &v), -EBADMSG);
	assert_int_equal(procfs_field_kb(status, "VmMissing", &v), -ENOENT);
}

/* ---- stat --------------------------------------------------------------- */

static void test_stat_parse(void **state)
{
	struct procfs_stat st;
	/* comm "a) S 1 (b" holds ") " and a '(' */
	static const char text[] =
		"42 (a) S 1 (b) R 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 3 0 987654 "
		"1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

	(void)state;
	memset(&st, 0, sizeof st);
	assert_int_equal(procfs_stat_parse(text, &st), 0);
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.flags, 4194560);
	assert_int_equal(st.start, 987654);
	assert_int_equal(st.start_stack, 0);
	/* startstack (field 28) */
	assert_int_equal(procfs_stat_parse("42 (a) S 1 42 42 0 -1 5 100 0 0 0 1 2 0 0 20 0 3 0 9 "
					   "1000 200 300 1 2 140737488350000 7 8\n", &st), 0);
	assert_int_equal(st.start, 9);
	assert_true(st.start_stack == UINT64_C(140737488350000));
	/* a stat cut after field 22 has no startstack: 0, not an error */
	assert_int_equal(procfs_stat_parse("42 (a) S 1 42 42 0 -1 5 100 0 0 0 1 2 0 0 20 0 3 0 9 1000\n", &st), 0);
	assert_int_equal(st.start_stack, 0);
	/* cut before field 22 */
	assert_int_equal(procfs_stat_parse("42 (a) S 1 42 42 0 -1 4194560 100\n", &st), -EBADMSG);
	assert_int_equal(procfs_stat_parse("42 (a S 1 42", &st), -EBADMSG);
	assert_int_equal(procfs_stat_parse("", &st), -EBADMSG);
	assert_int_equal(procfs_stat_parse("42 (a) S 1 42 42 0 -1 -5 100 0 0 0 1 2 0 0 20 0 3 0 9 1\n", &st),
			 -EBADMSG);
	assert_int_equal(procfs_stat_parse("42 (a) S 1 42 42 0 -1 5 100 0 0 0 1 2 0 0 20 0 3 0 9x 1\n", &st),
			 -EBADMSG);
}

static void test_stat_read_self(void **state)
{
	struct procfs_stat st;
	int procfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(procfd >= 0);
	assert_int_equal(procfs_stat_read(procfd, "stat", &st), 0);
	assert_int_equal(st.state, 'R');
	assert_true(st.start > 0);
	/* within the main stack, which lies above this frame's */
	assert_true(st.start_stack > (uintptr_t)&st);
	assert_int_equal(procfs_stat_read(procfd, "task/999999999/stat", &st), -ESRCH);
	close(procfd);
}

/* ---- whole files -------------------------------------------------------- */

static char tmpdir[] = "/tmp/pvmmap-procfs-XXXXXX";

static void write_file(const char *name, size_t n)
{
	char path[128], *buf = malloc(n ? n : 1);
	int fd;

	assert_non_null(buf);
	memset(buf, 'x', n);
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	free(buf);
}

static void test_read_bound(void **state)
{
	char *text = NULL;
	size_t len = 0;
	int dfd;

	(void)state;
	assert_non_null(mkdtemp(tmpdir));
	write_file("ten", 10);
	write_file("eleven", 11);
	write_file("empty", 0);
	write_file("big", (size_t)3 << 20);
	dfd = open(tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);

	assert_int_equal(procfs_read(dfd, "ten", 10, &text, &len), 0);
	assert_int_equal(len, 10);
	assert_int_equal(strlen(text), 10);
	free(text);
	text = NULL;
	assert_int_equal(procfs_read(dfd, "eleven", 10, &text, &len), -EFBIG);
	assert_null(text);
	assert_int_equal(procfs_read(dfd, "empty", 10, &text, NULL), 0);
	assert_string_equal(text, "");
	free(text);
	/* larger than the first buffers: grows to the bound, and no further */
	assert_int_equal(procfs_read(dfd, "big", PROCFS_CAP, &text, &len), 0);
	assert_int_equal(len, (size_t)3 << 20);
	free(text);
	text = NULL;
	assert_int_equal(procfs_read(dfd, "big", ((size_t)3 << 20) - 1, &text, &len), -EFBIG);
	assert_null(text);
	assert_int_equal(procfs_read(dfd, "big", PROCFS_NO_CAP, &text, &len), 0);
	assert_int_equal(len, (size_t)3 << 20);
	free(text);
	/* a /proc file: seq_file, read in pieces */
	assert_int_equal(procfs_read(AT_FDCWD, "/proc/self/status", 16, &text, &len), -EFBIG);
	assert_int_equal(procfs_read(AT_FDCWD, "/proc/self/status", PROCFS_CAP, &text, &len), 0);
	assert_non_null(procfs_field(text, "Tgid"));
	free(text);

	close(dfd);
	for (const char *const *n = (const char *const[]){ "ten", "eleven", "empty", "big", NULL }; *n; n++) {
		char path[128];

		snprintf(path, sizeof path, "%s/%s", tmpdir, *n);
		unlink(path);
	}
	rmdir(tmpdir);
}

static void test_read_errors(void **state)
{
	char *text = NULL;
	int procfd = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(procfd >= 0);
	/* write-only even for root (sysctl's own check): EACCES, never -1 */
	if (access("/proc/sys/vm/drop_caches", F_OK) == 0)
		assert_int_equal(procfs_read(AT_FDCWD, "/proc/sys/vm/drop_caches", PROCFS_CAP, &text, NULL),
				 -EACCES);
	/* a directory opens, but does not read */
	assert_int_equal(procfs_read(AT_FDCWD, "/proc/self", PROCFS_CAP, &text, NULL), -EISDIR);
	assert_int_equal(procfs_read(procfd, "no-such-file", PROCFS_CAP, &text, NULL), -ENOENT);
	/* a file every /proc/PID has: its absence is the process gone */
	assert_int_equal(procfs_read_pid(procfd, "no-such-file", PROCFS_CAP, &text, NULL), -ESRCH);
	assert_int_equal(procfs_read(-1, "status", PROCFS_CAP, &text, NULL), -EBADF);
	assert_null(text);
	close(procfd);

	assert_int_equal(procfs_errno(EPERM), -EACCES);
	assert_int_equal(procfs_errno(0), -EIO);
	assert_int_equal(procfs_errno(ENOENT), -ENOENT);
}

/* ---- line by line ---- */

struct seen { char text[256]; size_t n, stop_at; int fail_at; };

static int collect(void *ctx, char *line, size_t len, bool cut)
{
	struct seen *s = ctx;
	size_t used = strlen(s->text);

	assert_int_equal(strlen(line), len);
	snprintf(s->text + used, sizeof(s->text) - used, "[%s%s]", line, cut ? "!" : "");
	s->n++;
	if ((int)s->n == s->fail_at)
		return -EPROTO;
	return s->n == s->stop_at ? 1 : 0;
}

static int lines_of(const char *text, struct seen *s, size_t line_max, size_t *bytes)
{
	int p[2], r;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	r = procfs_lines(p[0], line_max, collect, s, bytes);
	close(p[0]);
	return r;
}

/* Our own auxv against glibc's copy of it; an absent entry; no process. */
static void test_auxv(void **state)
{
	uint64_t v = 0;
	int procfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)state;
	assert_true(procfd >= 0);
	assert_int_equal(procfs_auxv(procfd, AT_PAGESZ, &v), 0);
	assert_int_equal(v, (uint64_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(procfs_auxv(procfd, AT_SYSINFO_EHDR, &v), 0);
	assert_int_equal(v, getauxval(AT_SYSINFO_EHDR));
	assert_int_equal(procfs_auxv(procfd, 0x7fffffff, &v), -ENOENT);
	close(procfd);
	procfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* no auxv there */
	assert_true(procfd >= 0);
	assert_int_equal(procfs_auxv(procfd, AT_PAGESZ, &v), -ENOENT);
	close(procfd);
}

static void test_lines(void **state)
{
	struct seen s = { .stop_at = 0 };
	size_t bytes;
	char *big;

	(void)state;
	assert_int_equal(lines_of("a\n\nbb\nccc", &s, 1 << 20, &bytes), 0);
	assert_string_equal(s.text, "[a][][bb][ccc!]");
	assert_int_equal(bytes, 9);
	memset(&s, 0, sizeof(s));
	assert_int_equal(lines_of("a\nbb\n", &s, 1 << 20, NULL), 0);
	assert_string_equal(s.text, "[a][bb]");
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(lines_of("a\nbb\nccc\n", &s, 1 << 20, NULL), 0);
	assert_string_equal(s.text, "[a][bb]");
	memset(&s, 0, sizeof(s));
	s.fail_at = 1;
	assert_int_equal(lines_of("a\nbb\n", &s, 1 << 20, NULL), -EPROTO);
	/* a line longer than the bound: not the kernel's */
	big = malloc(300000);
	assert_non_null(big);
	memset(big, 'x', 299999);
	big[299999] = '\0';
	memset(&s, 0, sizeof(s));
	assert_int_equal(procfs_lines(-1, 1 << 20, collect, &s, NULL), -EBADF);
	{
		char path[] = "/tmp/pvmmap-lines-XXXXXX";
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		unlink(path);
		assert_int_equal(write(fd, big, 299999), 299999);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(procfs_lines(fd, 128 << 10, collect, &s, NULL), -EBADMSG);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(procfs_lines(fd, 1 << 20, collect, &s, &bytes), 0);
		assert_int_equal(bytes, 299999);
		assert_int_equal(s.n, 1);
		close(fd);
	}
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_auxv),
		cmocka_unit_test(test_xdigits_lower),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_single_and_list),
		cmocka_unit_test(test_tid_name),
		cmocka_unit_test(test_field),
		cmocka_unit_test(test_stat_parse),
		cmocka_unit_test(test_stat_read_self),
		cmocka_unit_test(test_read_bound),
		cmocka_unit_test(test_read_errors),
	};
	return cmocka_run_group_tests_name("procfs", tests, NULL, NULL);
}
