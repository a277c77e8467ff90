/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test points: every action that changes a process pvmmap holds calls
 * testpoint() after it.  With PVMMAP_DIE_AT=K in the environment (tests
 * only; documented in pvmmap.1) pvmmap sends itself SIGKILL right after
 * the K-th, so a test can kill it after each step of a transfer in turn
 * and check that the processes it held never notice.  PVMMAP_STOP_AT=K
 * (or a step's name) stops pvmmap there instead (SIGSTOP), so that a test
 * can act while pvmmap holds the processes and then let it go on.
 */
#ifndef PVMMAP_TESTPOINT_H
#define PVMMAP_TESTPOINT_H

void testpoint(void);

/* A step with a name: also PVMMAP_DIE_AT=NAME kills pvmmap right after
 * it (for an instant a step count cannot name reliably, such as a round
 * of a live transfer, whose number of steps depends on the source).
 * PVMMAP_STOP_AT=@name stops pvmmap there (SIGSTOP): a test changes a
 * process while pvmmap waits, then continues it (SIGCONT). */
void testpoint_named(const char *name);

/* A named instant that is no step (it changes nothing, so the numbers of
 * the steps stay as they were): only PVMMAP_DIE_AT=NAME and
 * PVMMAP_STOP_AT=NAME act on it. */
void testpoint_mark(const char *name);

/* For unit tests: die right after the @k-th step from now. */
void testpoint_die_after(long k);

#endif
