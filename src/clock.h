/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one clock pvmmap measures with: CLOCK_MONOTONIC (never jumps). */
#ifndef PVMMAP_CLOCK_H
#define PVMMAP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double clock_now_s(void)
{
	return (double)clock_now_ns() / 1e9;
}

#endif
