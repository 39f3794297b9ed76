/* SPDX-License-Identifier: ISC */
/*
 * test_agent_pindex.c: the receiver index table (daemon/agent/pindex.c)
 * against a plain array: after any mix of adds and deletes every index
 * still in the model is found with its session and every deleted one is
 * gone, however the probe runs were shifted.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

#define N	5000

static uint32_t	 idx[N];
static int	 live[N];

/* A small xorshift, so that each run tries the same sequence. */
static uint32_t
rnd(uint32_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 17;
	*st ^= *st << 5;
	return *st;
}

static struct session *
fake(size_t i)
{
	return (struct session *)(uintptr_t)(0x1000 + i * 16);
}

static void
check_all(struct agent *a)
{
	size_t i;

	for (i = 0; i < N; i++) {
		if (live[i])
			cr_assert_eq(pindex_get(a, idx[i]), fake(i),
			    "index %zu (%08x) lost", i, idx[i]);
		else if (idx[i] != 0)
			cr_assert_null(pindex_get(a, idx[i]),
			    "index %zu (%08x) still there", i, idx[i]);
	}
}

Test(pindex, add_find_delete)
{
	struct agent a;
	uint32_t st = 12345;
	size_t i, j;

	memset(&a, 0, sizeof(a));
	cr_assert_null(pindex_get(&a, 7));
	cr_assert_eq(pindex_add(&a, 0, fake(0)), -1, "index 0 is free");
	for (i = 0; i < N; i++) {
		do
			idx[i] = rnd(&st);
		while (idx[i] == 0 || pindex_get(&a, idx[i]) != NULL);
		cr_assert_eq(pindex_add(&a, idx[i], fake(i)), 0);
		live[i] = 1;
	}
	cr_assert_eq(pindex_add(&a, idx[3], fake(9)), -1, "a duplicate");
	check_all(&a);
	/* Delete in a scattered order, checking now and then. */
	for (j = 0; j < 20000; j++) {
		i = rnd(&st) % N;
		if (live[i]) {
			pindex_del(&a, idx[i]);
			live[i] = 0;
		} else {
			cr_assert_eq(pindex_add(&a, idx[i], fake(i)), 0);
			live[i] = 1;
		}
		if (j % 2500 == 0)
			check_all(&a);
	}
	check_all(&a);
	pindex_del(&a, 0);
	pindex_del(&a, 0xdeadbeef);
	pindex_free(&a);
	cr_assert_null(a.pindex);
}

/* Indices that all want the same home slot still work (long runs). */
Test(pindex, one_home)
{
	struct agent a;
	size_t i;

	memset(&a, 0, sizeof(a));
	/* idx * golden ratio mod 2^32 spreads these; take multiples of a
	 * large power of two so the low bits that pick the slot repeat. */
	for (i = 0; i < 40; i++)
		cr_assert_eq(pindex_add(&a, (uint32_t)(i + 1) << 20, fake(i)),
		    0);
	for (i = 0; i < 40; i += 3)
		pindex_del(&a, (uint32_t)(i + 1) << 20);
	for (i = 0; i < 40; i++)
		cr_assert_eq(pindex_get(&a, (uint32_t)(i + 1) << 20),
		    i % 3 == 0 ? NULL : fake(i));
	pindex_free(&a);
}
