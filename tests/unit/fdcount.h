/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For every unit test that opens files or talks to processes: a cmocka
 * setup/teardown pair that fails the test when it leaves an fd open.
 *   #define T(f) cmocka_unit_test_setup_teardown(f, fds_before, fds_after)
 * Include after <cmocka.h>.
 */
#ifndef PVMMAP_TEST_FDCOUNT_H
#define PVMMAP_TEST_FDCOUNT_H

int count_fds(void);               /* entries of /proc/self/fd now */
int fds_before(void **state);
int fds_after(void **state);

#endif
