/* SPDX-License-Identifier: ISC */
/*
 * srv_clock.c: the server's clocks: monotonic microseconds for timers and
 * rates, wall-clock seconds and milliseconds for tokens and tickets. The
 * protocol core takes these as arguments and never reads a clock itself.
 */
#include <stdint.h>
#include <time.h>

#include "server.h"

uint64_t
srv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
srv_now_unix(void)
{
	return (uint64_t)time(NULL);
}

uint64_t
srv_now_unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
