/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See fdcount.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>

#include "fdcount.h"

int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int fds_before(void **state)
{
	static int n;

	n = count_fds();
	*state = &n;
	return 0;
}

int fds_after(void **state)
{
	const int *n = *state;

	assert_int_equal(count_fds(), *n);
	return 0;
}
