/* SPDX-License-Identifier: ISC */
/*
 * test_agent_svc.c: inbox accounting of the agent's services (svc.h).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "svc.h"

#define K 1024

static struct svc_table t;

static void
setup(void)
{
	svc_table_init(&t, 64 * K, 100 * K, 3);
}

static void
teardown(void)
{
	svc_table_free(&t);
}

TestSuite(svc, .init = setup, .fini = teardown);

Test(svc, default_name_and_lookup)
{
	struct svc *a = svc_get(&t, "", 1);

	cr_assert_not_null(a);
	cr_assert_str_eq(a->name, "default");
	cr_assert_eq(svc_get(&t, NULL, 0), a);
	cr_assert_eq(svc_get(&t, "default", 1), a);
	cr_assert_null(svc_get(&t, "other", 0), "lookup must not create");
	cr_assert_eq(t.n, 1);
}

Test(svc, caps_number_of_services)
{
	cr_assert_not_null(svc_get(&t, "a", 1));
	cr_assert_not_null(svc_get(&t, "b", 1));
	cr_assert_not_null(svc_get(&t, "c", 1));
	cr_assert_null(svc_get(&t, "d", 1), "fourth service over the cap");
	cr_assert_eq(t.n, 3);
}

Test(svc, rejects_overlong_name)
{
	char name[100];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	cr_assert_null(svc_get(&t, name, 1));
}

Test(svc, room_never_exceeds_inbox)
{
	struct svc *s = svc_get(&t, "a", 1);

	cr_assert_eq(svc_room(&t, s), 64 * K);
	svc_reserve(&t, s, 40 * K);
	cr_assert_eq(svc_room(&t, s), 24 * K);
	svc_arrive(&t, s, 10 * K);
	/* arrived bytes still count until the application reads them */
	cr_assert_eq(svc_room(&t, s), 24 * K);
	cr_assert(svc_push(s, "bob", (const uint8_t *)"hello", 5, 10 * K) == 0);
	svc_reserve(&t, s, 24 * K);
	cr_assert_eq(svc_room(&t, s), 0, "full inbox grants nothing");
	free(svc_pop(&t, s));
	cr_assert_eq(svc_room(&t, s), 10 * K, "reading frees credit");
}

Test(svc, total_cap_shared_between_inboxes)
{
	struct svc *a = svc_get(&t, "a", 1);
	struct svc *b = svc_get(&t, "b", 1);

	svc_reserve(&t, a, 64 * K);
	cr_assert_eq(svc_room(&t, b), 36 * K, "total 100K minus 64K");
	svc_reserve(&t, b, 36 * K);
	cr_assert_eq(svc_room(&t, b), 0);
	svc_unreserve(&t, a, 64 * K);
	cr_assert_eq(svc_room(&t, b), 28 * K, "b limited by its own inbox");
	cr_assert_eq(t.total_used, 36 * K);
}

Test(svc, fifo_order_and_contents)
{
	struct svc *s = svc_get(&t, "q", 1);
	struct svc_msg *m;
	char buf[8];
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "m%d", i);
		svc_reserve(&t, s, 3);
		svc_arrive(&t, s, 3);
		cr_assert(svc_push(s, "alice", (uint8_t *)buf, 2, 3) == 0);
	}
	cr_assert_eq(s->nmsgs, 5);
	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "m%d", i);
		m = svc_pop(&t, s);
		cr_assert_not_null(m);
		cr_assert_str_eq(m->from, "alice");
		cr_assert_eq(m->len, 2);
		cr_assert(memcmp(m->data, buf, 2) == 0);
		free(m);
	}
	cr_assert_null(svc_pop(&t, s));
	cr_assert_eq(s->used, 0);
	cr_assert_eq(t.total_used, 0);
}

Test(svc, unbalanced_release_does_not_underflow)
{
	struct svc *s = svc_get(&t, "a", 1);

	svc_reserve(&t, s, 100);
	svc_unreserve(&t, s, 1000);
	svc_release(&t, s, 1000);
	cr_assert_eq(s->reserved, 0);
	cr_assert_eq(s->used, 0);
	cr_assert_eq(t.total_used, 0);
	/* arrival beyond the reservation still keeps the totals consistent */
	svc_arrive(&t, s, 50);
	cr_assert_eq(s->used, 50);
	cr_assert_eq(t.total_used, 50);
	svc_release(&t, s, 50);
	cr_assert_eq(t.total_used, 0);
}

Test(svc, gc_keeps_busy_services)
{
	struct svc *s = svc_get(&t, "a", 1);
	int holder;

	s->holder = &holder;
	svc_gc(&t, s);
	cr_assert_eq(svc_get(&t, "a", 0), s);
	s->holder = NULL;
	svc_reserve(&t, s, 1);
	svc_gc(&t, s);
	cr_assert_eq(svc_get(&t, "a", 0), s);
	svc_unreserve(&t, s, 1);
	svc_gc(&t, s);
	cr_assert_null(svc_get(&t, "a", 0));
	cr_assert_eq(t.n, 0);
}

/*
 * A full inbox of 1200-byte messages (2048-byte blocks), read out whole,
 * is kept whole as spares, and filling it again takes those blocks: a
 * reader that lags and catches up costs no allocation on the next fill.
 */
Test(svc, drained_full_inbox_is_kept_for_the_next_fill)
{
	struct svc *a = svc_get(&t, "bulk", 1);
	struct svc_msg *m;
	uint8_t data[1200];
	size_t n = 0, i;

	memset(data, 7, sizeof(data));
	while (svc_room(&t, a) >= sizeof(data)) {
		svc_arrive(&t, a, sizeof(data));
		cr_assert_eq(svc_push(a, "bob", data, sizeof(data),
		    sizeof(data)), 0);
		n++;
	}
	cr_assert_eq(n, 64 * K / sizeof(data));
	while ((m = svc_pop(&t, a)) != NULL)
		svc_msg_free(&t, m);
	cr_assert_eq(t.spare_bytes, n * 2048, "all %zu blocks kept", n);
	for (i = 0; i < n; i++) {
		svc_arrive(&t, a, sizeof(data));
		cr_assert_eq(svc_push(a, "bob", data, sizeof(data),
		    sizeof(data)), 0);
	}
	cr_assert_eq(t.spare_bytes, 0, "every block reused");
	while ((m = svc_pop(&t, a)) != NULL)
		svc_msg_free(&t, m);
}
