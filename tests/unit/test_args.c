/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The numbers of the command line: strict, with exact errors.  -EINVAL for
 * what is not a number of that kind, -ERANGE for a number out of range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "args.h"

#define KIB UINT64_C(1024)
#define MIB (KIB << 10)
#define GIB (KIB << 20)
#define TIB (KIB << 30)

static const char *errname(int r)
{
	return r == 0 ? "0" : r == -EINVAL ? "-EINVAL" : r == -ERANGE ? "-ERANGE" : "other";
}

/* ---- u64 and len ------------------------------------------------------------------ */

typedef int (*u64_parser)(const char *, uint64_t *);

static void u64_ok(const char *file, int line, const char *fname, u64_parser fn, const char *s,
		   uint64_t want)
{
	uint64_t v = UINT64_C(0xabababababababab);
	int r = fn(s, &v);
	if (r == 0 && v == want)
		return;
	print_error("%s(\"%s\"): got %s, %" PRIu64 " (0x%" PRIx64 "); want 0, %" PRIu64 " (0x%" PRIx64 ")\n",
		    fname, s, errname(r), v, v, want, want);
	_fail(file, line);
}

static void u64_err(const char *file, int line, const char *fname, u64_parser fn, const char *s, int want)
{
	uint64_t v = UINT64_C(0xabababababababab);
	int r = fn(s, &v);
	if (r == want)
		return;
	print_error("%s(\"%s\"): got %s (value 0x%" PRIx64 "); want %s\n", fname, s, errname(r), v, errname(want));
	_fail(file, line);
}

#define U64_OK(s, v)   u64_ok(__FILE__, __LINE__, "args_parse_u64", args_parse_u64, s, v)
#define U64_ERR(s, e)  u64_err(__FILE__, __LINE__, "args_parse_u64", args_parse_u64, s, e)
#define LEN_OK(s, v)   u64_ok(__FILE__, __LINE__, "args_parse_len", args_parse_len, s, v)
#define LEN_ERR(s, e)  u64_err(__FILE__, __LINE__, "args_parse_len", args_parse_len, s, e)

/* Not numbers for either parser. */
static const char *const not_numbers[] = {
	"", " 1", "1 ", "\t1", "1\n", "-1", "+1", "-0", "12x", "0x", "0X", "0x 1", " 0x1", "0xg", "x1",
	"1.5", "1,000", "1_000", "0b101", "1e3", "one", "0x-1", "0x+1", "--1",
};

static void test_u64_accepts(void **state)
{
	(void)state;
	U64_OK("0", 0);
	U64_OK("1", 1);
	U64_OK("4096", 4096);
	U64_OK("0x1000", 4096);
	U64_OK("0X1F", 31);
	U64_OK("0x1f", 31);
	U64_OK("0xaBcD", 0xabcd);
	U64_OK("0x0", 0);
	U64_OK("0x00000000000000001", 1); /* leading zeros do not overflow */
	U64_OK("00000000000000000000000042", 42);
	U64_OK("010", 10);                /* decimal, never octal */
	U64_OK("0x7f0000000000", UINT64_C(0x7f0000000000));
	U64_OK("18446744073709551615", UINT64_MAX);
	U64_OK("0xffffffffffffffff", UINT64_MAX);
	U64_OK("0xFFFFFFFFFFFFFFFF", UINT64_MAX);
	U64_OK("18446744073709551610", UINT64_MAX - 5);
}

static void test_u64_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
		U64_ERR(not_numbers[i], -EINVAL);
	/* suffixes are for lengths only */
	U64_ERR("4K", -EINVAL);
	U64_ERR("4KiB", -EINVAL);
	U64_ERR("0x10K", -EINVAL);
	/* overflow */
	U64_ERR("18446744073709551616", -ERANGE);
	U64_ERR("18446744073709551620", -ERANGE);
	U64_ERR("99999999999999999999", -ERANGE);
	U64_ERR("0x10000000000000000", -ERANGE);
	U64_ERR("0x1ffffffffffffffff", -ERANGE);
	U64_ERR("184467440737095516150", -ERANGE);
}

static void test_len_accepts(void **state)
{
	(void)state;
	LEN_OK("0", 0); /* a zero length is the caller's usage error, not a bad number */
	LEN_OK("4096", 4096);
	LEN_OK("0x1000", 4096);
	LEN_OK("0X1F", 31);
	LEN_OK("4K", 4 * KIB);
	LEN_OK("4KiB", 4 * KIB);
	LEN_OK("1M", MIB);
	LEN_OK("1MiB", MIB);
	LEN_OK("64M", 64 * MIB);
	LEN_OK("2G", 2 * GIB);
	LEN_OK("2GiB", 2 * GIB);
	LEN_OK("1T", TIB);
	LEN_OK("1TiB", TIB);
	LEN_OK("0x10K", 16 * KIB);
	LEN_OK("0x10KiB", 16 * KIB);
	LEN_OK("0K", 0);
	LEN_OK("0x4B", 0x4b); /* B is a hex digit, not a suffix */
	LEN_OK("010M", 10 * MIB);
	/* the largest of each */
	LEN_OK("18446744073709551615", UINT64_MAX);
	LEN_OK("0xffffffffffffffff", UINT64_MAX);
	LEN_OK("18014398509481983K", UINT64_MAX & ~(KIB - 1));
	LEN_OK("17592186044415M", UINT64_MAX & ~(MIB - 1));
	LEN_OK("17179869183G", UINT64_MAX & ~(GIB - 1));
	LEN_OK("16777215T", UINT64_MAX & ~(TIB - 1));
	LEN_OK("16777215TiB", UINT64_MAX & ~(TIB - 1));
	LEN_OK("0xffffffT", UINT64_MAX & ~(TIB - 1));
	/* every spelling in any case, all powers of 1024 */
	LEN_OK("4k", 4 * KIB);
	LEN_OK("4kb", 4 * KIB);
	LEN_OK("4KB", 4 * KIB);
	LEN_OK("4kib", 4 * KIB);
	LEN_OK("4KIB", 4 * KIB);
	LEN_OK("4kiB", 4 * KIB);
	LEN_OK("1m", MIB);
	LEN_OK("1mb", MIB);
	LEN_OK("2g", 2 * GIB);
	LEN_OK("2Gb", 2 * GIB);
	LEN_OK("1t", TIB);
	LEN_OK("1tib", TIB);
	LEN_OK("16777215tb", UINT64_MAX & ~(TIB - 1));
}

#define ADDR_OK(s, v, d)  addr_ok(__FILE__, __LINE__, s, v, d)
#define ADDR_ERR(s, e)    addr_err(__FILE__, __LINE__, s, e)

static void addr_ok(const char *file, int line, const char *s, uint64_t want, bool want_decimal)
{
	uint64_t v = 0;
	bool decimal = !want_decimal;
	int r = args_parse_addr(s, &v, &decimal);
	if (r == 0 && v == want && decimal == want_decimal)
		return;
	print_error("args_parse_addr(\"%s\"): got %s, 0x%" PRIx64 " (%s); want 0, 0x%" PRIx64 " (%s)\n", s,
		    errname(r), v, decimal ? "decimal" : "hex", want, want_decimal ? "decimal" : "hex");
	_fail(file, line);
}

static void addr_err(const char *file, int line, const char *s, int want)
{
	uint64_t v = 7;
	int r = args_parse_addr(s, &v, NULL);
	if (r == want && v == 7)
		return;
	print_error("args_parse_addr(\"%s\"): got %s; want %s and the output untouched\n", s, errname(r), errname(want));
	_fail(file, line);
}

static void test_addr(void **state)
{
	(void)state;
	/* as pvmmap, pmap and /proc/PID/maps print them: hex */
	ADDR_OK("0000555c75e15000", UINT64_C(0x555c75e15000), false);
	ADDR_OK("0000555555554000", UINT64_C(0x555555554000), false);
	ADDR_OK("7ffd1234a000", UINT64_C(0x7ffd1234a000), false);
	ADDR_OK("00400000", UINT64_C(0x400000), false);
	ADDR_OK("ffffffffff600000", UINT64_C(0xffffffffff600000), false);
	ADDR_OK("0x7f0000000000", UINT64_C(0x7f0000000000), false);
	ADDR_OK("0X1000", 0x1000, false);
	ADDR_OK("00", 0, false);
	ADDR_OK("0000000000000000", 0, false);
	/* decimal digits without a leading zero: decimal, as $((...)) prints */
	ADDR_OK("4096", 4096, true);
	ADDR_OK("0", 0, true);
	ADDR_OK("139637976727552", UINT64_C(0x7f0000000000), true);
	ADDR_OK("555555554000", UINT64_C(555555554000), true);
	/* hex letters make hex: "0b101" and "1e3" are addresses too */
	ADDR_OK("0b101", 0xb101, false);
	ADDR_OK("1e3", 0x1e3, false);
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
		if (strcmp(not_numbers[i], "0b101") != 0 && strcmp(not_numbers[i], "1e3") != 0)
			ADDR_ERR(not_numbers[i], -EINVAL);
	ADDR_ERR("4K", -EINVAL);
	ADDR_ERR("1000-2000", -EINVAL);
	ADDR_ERR("0xg000", -EINVAL);
	ADDR_ERR("00000000000000000000000000000000010000000000000000", -ERANGE);
	ADDR_ERR("18446744073709551616", -ERANGE);
	ADDR_ERR("0x10000000000000000", -ERANGE);
}

static void test_range(void **state)
{
	static const char *const bad[] = {
		"", "-", "1000", "-1000", "1000-", "1000--2000", "1000-2000-3000", "1000 -2000", "1000- 2000",
		"0x-2000", "1000-0x", "g000-2000", "1000-2000 ", "0x1000-0x2000k",
	};
	uint64_t a = 7, b = 7;

	(void)state;
	assert_int_equal(args_parse_range("555555554000-555555556000", &a, &b), 0);
	assert_true(a == UINT64_C(0x555555554000) && b == UINT64_C(0x555555556000));
	assert_int_equal(args_parse_range("0x1000-0X3000", &a, &b), 0);
	assert_true(a == 0x1000 && b == 0x3000);
	assert_int_equal(args_parse_range("0000000000001000-0000000000002000", &a, &b), 0);
	assert_true(a == 0x1000 && b == 0x2000);
	/* the caller judges order and alignment */
	assert_int_equal(args_parse_range("3000-1000", &a, &b), 0);
	assert_true(a == 0x3000 && b == 0x1000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a = b = 7;
		if (args_parse_range(bad[i], &a, &b) != -EINVAL || a != 7 || b != 7)
			fail_msg("args_parse_range(\"%s\") accepted or touched its output", bad[i]);
	}
	assert_int_equal(args_parse_range("10000000000000000-2", &a, &b), -ERANGE);
}

static void test_negative(void **state)
{
	(void)state;
	assert_true(args_negative("-1"));
	assert_true(args_negative("-4096"));
	assert_true(args_negative("-0x10"));
	assert_true(args_negative("-.5"));
	assert_false(args_negative("-"));
	assert_false(args_negative("--"));
	assert_false(args_negative("-n"));
	assert_false(args_negative("--to"));
	assert_false(args_negative("1"));
	assert_false(args_negative(""));
}

static void test_len_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
		LEN_ERR(not_numbers[i], -EINVAL);
	LEN_ERR("K", -EINVAL);
	LEN_ERR("KiB", -EINVAL);
	LEN_ERR("0xK", -EINVAL);
	LEN_ERR("1.5K", -EINVAL);
	LEN_ERR("1.5M", -EINVAL);
	LEN_ERR("4 K", -EINVAL);
	LEN_ERR("4K ", -EINVAL);
	LEN_ERR("-4K", -EINVAL);
	LEN_ERR("4KK", -EINVAL);
	LEN_ERR("4Ki", -EINVAL);
	LEN_ERR("4iB", -EINVAL);
	LEN_ERR("4B", -EINVAL);
	LEN_ERR("4Bi", -EINVAL);
	LEN_ERR("4KBB", -EINVAL);
	LEN_ERR("4KiBs", -EINVAL);
	LEN_ERR("4ib", -EINVAL);
	LEN_ERR("4P", -EINVAL);
	LEN_ERR("4PiB", -EINVAL);
	LEN_ERR("4E", -EINVAL);
	LEN_ERR("4k b", -EINVAL);
	/* overflow, with and without a suffix */
	LEN_ERR("18446744073709551616", -ERANGE);
	LEN_ERR("0x10000000000000000", -ERANGE);
	LEN_ERR("16777216T", -ERANGE);
	LEN_ERR("16777216TiB", -ERANGE);
	LEN_ERR("0x1000000T", -ERANGE);
	LEN_ERR("17179869184G", -ERANGE);
	LEN_ERR("17592186044416M", -ERANGE);
	LEN_ERR("18014398509481984K", -ERANGE);
	LEN_ERR("18446744073709551615K", -ERANGE);
	LEN_ERR("0xffffffffffffffffT", -ERANGE);
}

/* ---- pid ---------------------------------------------------------------------------- */

static void pid_ok(const char *file, int line, const char *s, pid_t want)
{
	pid_t v = -7;
	int r = args_parse_pid(s, &v);
	if (r == 0 && v == want)
		return;
	print_error("args_parse_pid(\"%s\"): got %s, %d; want 0, %d\n", s, errname(r), (int)v, (int)want);
	_fail(file, line);
}

static void pid_err(const char *file, int line, const char *s, int want)
{
	pid_t v = -7;
	int r = args_parse_pid(s, &v);
	if (r == want && v == -7)
		return;
	print_error("args_parse_pid(\"%s\"): got %s, %d; want %s and the output untouched\n", s, errname(r),
		    (int)v, errname(want));
	_fail(file, line);
}

#define PID_OK(s, v)  pid_ok(__FILE__, __LINE__, s, v)
#define PID_ERR(s, e) pid_err(__FILE__, __LINE__, s, e)

static void test_pid(void **state)
{
	(void)state;
	PID_OK("1", 1);
	PID_OK("4096", 4096);
	PID_OK("4194304", 4194304); /* PID_MAX_LIMIT */
	PID_OK("2147483647", INT_MAX);
	PID_OK("007", 7);           /* decimal, never octal */
	PID_ERR("0", -ERANGE);
	PID_ERR("00", -ERANGE);
	PID_ERR("2147483648", -ERANGE);
	PID_ERR("4294967295", -ERANGE);
	PID_ERR("4294967297", -ERANGE); /* not truncated to 1 */
	PID_ERR("18446744073709551615", -ERANGE);
	PID_ERR("18446744073709551616", -ERANGE);
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
		PID_ERR(not_numbers[i], -EINVAL);
	PID_ERR("1K", -EINVAL);
	PID_ERR("0x10", -EINVAL);
	PID_ERR("0x0", -EINVAL);
}

/*
 * A PID is decimal (args.h).  src/args.c args_parse_pid rejects "0x10" but only
 * checks for a lower-case x, so "0X10" is taken as pid 16.
 */
static void test_pid_rejects_upper_case_hex(void **state)
{
	(void)state;
	PID_ERR("0X10", -EINVAL);
	PID_ERR("0XFF", -EINVAL);
}

/* ---- seconds -------------------------------------------------------------------------- */

static void sec_ok(const char *file, int line, const char *s, double want)
{
	double v = -7;
	int r = args_parse_seconds(s, &v);
	if (r == 0 && v == want)
		return;
	print_error("args_parse_seconds(\"%s\"): got %s, %g; want 0, %g\n", s, errname(r), v, want);
	_fail(file, line);
}

static void sec_err(const char *file, int line, const char *s, int want)
{
	double v = -7;
	int r = args_parse_seconds(s, &v);
	if (r == want && v == -7)
		return;
	print_error("args_parse_seconds(\"%s\"): got %s, %g; want %s and the output untouched\n", s, errname(r), v,
		    errname(want));
	_fail(file, line);
}

#define SEC_OK(s, v)  sec_ok(__FILE__, __LINE__, s, v)
#define SEC_ERR(s, e) sec_err(__FILE__, __LINE__, s, e)

static void test_seconds(void **state)
{
	(void)state;
	SEC_OK("10", 10.0);
	SEC_OK("0.5", 0.5);
	SEC_OK("1", 1.0);
	SEC_OK("0.001", 0.001);
	SEC_OK("2.25", 2.25);
	SEC_OK("86400", 86400.0); /* at most a day */
	SEC_OK("010", 10.0);
	/* not more than 0, more than a day */
	SEC_ERR("0", -ERANGE);
	SEC_ERR("0.0", -ERANGE);
	SEC_ERR("0.000", -ERANGE);
	SEC_ERR("86400.5", -ERANGE);
	SEC_ERR("86401", -ERANGE);
	SEC_ERR("1000000", -ERANGE);
	/* not numbers, signs, infinities, NaN, overflow */
	SEC_ERR("", -EINVAL);
	SEC_ERR("-1", -EINVAL);
	SEC_ERR("-0.5", -EINVAL);
	SEC_ERR("+1", -EINVAL);
	SEC_ERR(" 1", -EINVAL);
	SEC_ERR("1 ", -EINVAL);
	SEC_ERR("1s", -EINVAL);
	SEC_ERR("10x", -EINVAL);
	SEC_ERR("nan", -EINVAL);
	SEC_ERR("NaN", -EINVAL);
	SEC_ERR("inf", -EINVAL);
	SEC_ERR("infinity", -EINVAL);
	SEC_ERR("-inf", -EINVAL);
	SEC_ERR("1e999", -EINVAL);
	SEC_ERR("1e-400", -EINVAL); /* underflow */
	SEC_ERR("0.5.5", -EINVAL);
	SEC_ERR("1,5", -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64_accepts),
		cmocka_unit_test(test_u64_rejects),
		cmocka_unit_test(test_len_accepts),
		cmocka_unit_test(test_len_rejects),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_pid_rejects_upper_case_hex),
		cmocka_unit_test(test_seconds),
	};
	return cmocka_run_group_tests_name("args", tests, NULL, NULL);
}
