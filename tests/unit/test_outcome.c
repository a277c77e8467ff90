/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one table of exit statuses (src/outcome.c): every error code of the
 * contract gives the status docs/interface.md numbers it with.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "outcome.h"
#include "pvmmap.h"
#include "reasons.h"

static void test_operation_errors(void **state)
{
	(void)state;
	assert_int_equal(outcome_of_error("interrupted"), PVMMAP_ROLLED_BACK);
	assert_int_equal(outcome_of_error("rolled-back"), PVMMAP_ROLLED_BACK);
	assert_int_equal(outcome_of_error("unsupported"), PVMMAP_ROLLED_BACK);
	assert_int_equal(outcome_of_error("busy"), PVMMAP_ROLLED_BACK);
	assert_int_equal(outcome_of_error("left-over"), PVMMAP_LEFT_OVER);
	assert_int_equal(outcome_of_error("error"), PVMMAP_PROCESS);
	assert_int_equal(outcome_of_error("usage"), PVMMAP_USAGE);
}

static void test_process_reasons(void **state)
{
	(void)state;
	for (int r = R_NONE + 1; r < R__COUNT; r++) {
		const struct reason_info *ri = reason_info((enum reason)r);
		if (ri->scope == SCOPE_PROCESS)
			assert_int_equal(outcome_of_error(ri->code), PVMMAP_PROCESS);
	}
}

static void test_statuses(void **state)
{
	(void)state;
	/* docs/interface.md's exit statuses, and pvmmap.1's 6 and 7 */
	assert_int_equal(PVMMAP_DONE, 0);
	assert_int_equal(PVMMAP_REFUSED, 1);
	assert_int_equal(PVMMAP_USAGE, 2);
	assert_int_equal(PVMMAP_PROCESS, 3);
	assert_int_equal(PVMMAP_ROLLED_BACK, 4);
	assert_int_equal(PVMMAP_LEFT_OVER, 5);
	assert_int_equal(PVMMAP_DEFERRED, 6);
	assert_int_equal(PVMMAP_WRITE_ERROR, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operation_errors),
		cmocka_unit_test(test_process_reasons),
		cmocka_unit_test(test_statuses),
	};
	return cmocka_run_group_tests_name("outcome", tests, NULL, NULL);
}
