/* SPDX-License-Identifier: ISC */
/*
 * benchdata.h: what every contestant of the benchmarks moves, so that the
 * figures compare the same work: message seq of LEN bytes carries its
 * number in the first 4 bytes (the receiver checks order with it) and
 * bytes derived from it after that. Also the clock and the percentiles.
 */
#ifndef BENCHDATA_H
#define BENCHDATA_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_RTT_LEN	64	/* bytes of a ping-pong message */

static inline double
bench_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void
bench_fill(uint32_t seq, uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 4; i < len; i++)
		p[i] = (uint8_t)(seq * 131u + i * 7u);
	if (len >= 4) {
		p[0] = seq >> 24; p[1] = seq >> 16; p[2] = seq >> 8; p[3] = seq;
	}
}

/* The number carried by a message (0 when shorter than 4 bytes). */
static inline uint32_t
bench_seq(const uint8_t *p, size_t len)
{
	if (len < 4)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v and prints the p50 and p99 of n round trips (seconds) in µs. */
static inline void
bench_print_rtt(const char *who, double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp_double);
	printf("RESULT %s rtt_p50_us %.1f\n", who, v[n / 2] * 1e6);
	printf("RESULT %s rtt_p99_us %.1f\n", who, v[n * 99 / 100] * 1e6);
}

/* One bulk result: message size, count and the seconds it took. */
static inline void
bench_print_bulk(const char *who, size_t size, uint32_t count, double dt)
{
	if (dt <= 0)
		dt = 1e-9;
	if (size <= 100)
		printf("RESULT %s msg%zu_per_s %.0f\n", who, size, count / dt);
	else
		printf("RESULT %s bulk%zu_MBps %.1f\n", who, size,
		    (double)size * count / dt / 1e6);
}

/* Datagrams neither credited nor given up (late credits may overlap). */
static inline uint64_t
bench_inflight(uint64_t sent, uint64_t acked, uint64_t lost)
{
	return sent > acked + lost ? sent - acked - lost : 0;
}

/* Say what failed, prefixed with the program's name, and exit 1. */
static inline void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* A positive 32-bit count from the command line, or die naming it. */
static inline uint32_t
number(const char *s, const char *what)
{
	char		*end;
	unsigned long	 v;

	v = strtoul(s, &end, 10);
	if (*end != '\0' || v == 0 || v > UINT32_MAX)
		die("%s must be a positive number: %s", what, s);
	return (uint32_t)v;
}

#endif /* BENCHDATA_H */
