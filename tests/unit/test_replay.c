/* SPDX-License-Identifier: ISC */
/*
 * test_replay.c: RFC 6479 window edge cases.
 */
#include <criterion/criterion.h>

#include "replay.h"

/* What a receiver does: accept if fresh, then record. */
static int
take(struct replay *r, uint64_t c)
{
	if (replay_check(r, c) != 0)
		return -1;
	replay_update(r, c);
	return 0;
}

Test(replay, sequence_and_duplicates)
{
	struct replay r;
	uint64_t i;

	replay_init(&r);
	for (i = 0; i < 20000; i++) {
		cr_assert_eq(take(&r, i), 0, "fresh %lu refused",
		    (unsigned long)i);
		cr_assert_neq(take(&r, i), 0, "duplicate %lu accepted",
		    (unsigned long)i);
	}
}

Test(replay, counter_zero_first)
{
	struct replay r;

	replay_init(&r);
	cr_assert_eq(replay_check(&r, 0), 0);
	replay_update(&r, 0);
	cr_assert_neq(replay_check(&r, 0), 0);
	cr_assert_eq(replay_check(&r, 1), 0);
}

Test(replay, check_does_not_change_state)
{
	struct replay r;

	replay_init(&r);
	cr_assert_eq(replay_check(&r, 5), 0);
	cr_assert_eq(replay_check(&r, 5), 0);
	cr_assert_eq(replay_check(&r, 100000), 0);
	cr_assert_eq(take(&r, 3), 0, "a check must not move the window");
}

Test(replay, window_edges)
{
	struct replay r;
	uint64_t top = 10000;

	replay_init(&r);
	cr_assert_eq(take(&r, top), 0);
	/* The greatest and the REPLAY_WINDOW - 1 below it are in the window. */
	cr_assert_eq(replay_check(&r, top - (REPLAY_WINDOW - 1)), 0);
	cr_assert_neq(replay_check(&r, top - REPLAY_WINDOW), 0);
	cr_assert_neq(replay_check(&r, 0), 0);
	cr_assert_eq(take(&r, top - (REPLAY_WINDOW - 1)), 0);
	cr_assert_neq(take(&r, top - (REPLAY_WINDOW - 1)), 0);
	/* One more step and the old edge falls out. */
	cr_assert_eq(take(&r, top + 1), 0);
	cr_assert_neq(replay_check(&r, top - (REPLAY_WINDOW - 1)), 0);
	cr_assert_eq(replay_check(&r, top - (REPLAY_WINDOW - 2)), 0);
}

Test(replay, reordered_within_window)
{
	struct replay r;
	uint64_t i;

	replay_init(&r);
	cr_assert_eq(take(&r, 8000), 0);
	for (i = 7999; i >= 3; i -= 3)
		cr_assert_eq(take(&r, i), 0);
	for (i = 7999; i >= 3; i -= 3)
		cr_assert_neq(take(&r, i), 0);
	cr_assert_eq(take(&r, 7998), 0);
}

Test(replay, far_jump_clears_ring)
{
	struct replay r;
	uint64_t i, big = 1000000;

	replay_init(&r);
	for (i = 0; i < 8192; i++)
		cr_assert_eq(take(&r, i), 0);
	/* A jump of more than the ring: every old bit must be forgotten. */
	cr_assert_eq(take(&r, big), 0);
	for (i = big - (REPLAY_WINDOW - 1); i < big; i++)
		cr_assert_eq(replay_check(&r, i), 0, "stale bit at %lu",
		    (unsigned long)i);
	cr_assert_neq(replay_check(&r, 8191), 0);
	/* A jump by exactly one ring of words. */
	cr_assert_eq(take(&r, big + REPLAY_BITS), 0);
	cr_assert_eq(replay_check(&r, big + REPLAY_BITS - 64), 0);
	cr_assert_neq(replay_check(&r, big), 0);
}

Test(replay, ring_wraps_many_times)
{
	struct replay r;
	uint64_t i;

	replay_init(&r);
	/* Every other counter, over several trips round the ring. */
	for (i = 0; i < 5 * REPLAY_BITS; i += 2)
		cr_assert_eq(take(&r, i), 0);
	for (i = 5 * REPLAY_BITS - REPLAY_WINDOW + 1; i < 5 * REPLAY_BITS;
	    i++) {
		if (i % 2 == 0)
			cr_assert_neq(replay_check(&r, i), 0);
		else
			cr_assert_eq(replay_check(&r, i), 0, "%lu",
			    (unsigned long)i);
	}
}

Test(replay, huge_counters)
{
	struct replay r;

	replay_init(&r);
	cr_assert_neq(replay_check(&r, UINT64_MAX), 0);
	replay_update(&r, UINT64_MAX);
	cr_assert_eq(take(&r, UINT64_MAX - 1), 0);
	cr_assert_neq(take(&r, UINT64_MAX - 1), 0);
	cr_assert_eq(take(&r, UINT64_MAX - 2), 0);
	cr_assert_neq(replay_check(&r, 5), 0);
}
