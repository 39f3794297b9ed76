/* SPDX-License-Identifier: ISC */
/*
 * test_srv_http.c: the group-event observer hook the HTTP API's /v1/events
 * stands on (srv_group_observe): each event once, whatever the member
 * count, in order (member_join before its join_complete), with the missing
 * list; removal; the cap.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "srv_group.h"

#define T0	1000000ULL

static struct state *st;
static struct srv_groups *g;
static char seen[4096];
static size_t pushes;

static uint64_t
fake_push(void *arg, const char *to, const struct srv_group_event *ev)
{
	(void)arg;
	(void)to;
	(void)ev;
	pushes++;
	return 0;	/* no agent connected: join_complete at once */
}

static void
fake_unshare(void *arg, const char *a, const char *b, const char *reason)
{
	(void)arg;
	(void)a;
	(void)b;
	(void)reason;
}

static void
fake_introduce(void *arg, const char *a, const char *b)
{
	(void)arg;
	(void)a;
	(void)b;
}

static void
observer(const struct srv_group_event *ev, void *arg)
{
	static const char *kind[] = { "?", "join", "leave", "destroyed",
	    "complete" };
	char line[256];
	size_t i;

	snprintf(line, sizeof(line), "%s%s:%s:%s", (const char *)arg,
	    kind[ev->type], ev->group, ev->peer_id ? ev->peer_id : "");
	for (i = 0; i < ev->nmissing; i++) {
		strcat(line, i ? "," : ":");
		strcat(line, ev->missing[i]);
	}
	strcat(line, ";");
	cr_assert_lt(strlen(seen) + strlen(line), sizeof(seen));
	strcat(seen, line);
}

static void
setup(void)
{
	struct srv_group_conf c = { 32, 5000000ULL, 0 };
	struct srv_group_io io;

	memset(&io, 0, sizeof(io));
	io.push = fake_push;
	io.unshare = fake_unshare;
	io.introduce = fake_introduce;
	seen[0] = '\0';
	pushes = 0;
	cr_assert_not_null(st = state_mem_new(100));
	cr_assert_not_null(g = srv_group_new(st, &c, &io));
}

static void
teardown(void)
{
	srv_group_free(g);
	state_free(st);
}

TestSuite(srv_http_events, .init = setup, .fini = teardown);

Test(srv_http_events, each_event_once_in_order)
{
	cr_assert_eq(srv_group_observe(g, observer, ""), 0);
	cr_assert_eq(srv_group_create(g, "lobby", NULL, 0, 1, T0),
	    SRV_GROUP_OK);
	cr_assert_eq(srv_group_join(g, "lobby", "alice", T0), SRV_GROUP_OK);
	cr_assert_eq(srv_group_join(g, "lobby", "bob", T0), SRV_GROUP_OK);
	cr_assert_eq(srv_group_join(g, "lobby", "carol", T0), SRV_GROUP_OK);
	cr_assert_eq(srv_group_leave(g, "lobby", "bob", T0), SRV_GROUP_OK);
	cr_assert_eq(srv_group_destroy(g, "lobby", T0), SRV_GROUP_OK);
	cr_assert_str_eq(seen,
	    "join:lobby:alice;complete:lobby:alice:alice;"
	    "join:lobby:bob;complete:lobby:bob:alice,bob;"
	    "join:lobby:carol;complete:lobby:carol:alice,bob,carol;"
	    "leave:lobby:bob;destroyed:lobby:;");
	/* The members got theirs one each: 1+2+3 joins and completes, 3
	 * leave (the leaver too), 2 destroyed. */
	cr_assert_eq(pushes, 2 * 6 + 3 + 2);
}

Test(srv_http_events, failures_emit_nothing)
{
	cr_assert_eq(srv_group_observe(g, observer, ""), 0);
	cr_assert_eq(srv_group_join(g, "nope", "alice", T0),
	    SRV_GROUP_NOT_FOUND);
	cr_assert_eq(srv_group_create(g, "lobby", NULL, 0, 1, T0),
	    SRV_GROUP_OK);
	cr_assert_eq(srv_group_join(g, "lobby", "alice", T0), SRV_GROUP_OK);
	seen[0] = '\0';
	cr_assert_eq(srv_group_join(g, "lobby", "alice", T0),
	    SRV_GROUP_ALREADY);
	cr_assert_eq(srv_group_leave(g, "lobby", "bob", T0),
	    SRV_GROUP_NOT_MEMBER);
	cr_assert_eq(srv_group_destroy(g, "other", T0), SRV_GROUP_NOT_FOUND);
	cr_assert_str_eq(seen, "");
}

Test(srv_http_events, unobserve_and_cap)
{
	static const char *tags[] = { "a.", "b.", "c.", "d.", "e." };
	int i;

	for (i = 0; i < SRV_GROUP_OBSERVERS; i++)
		cr_assert_eq(srv_group_observe(g, observer, (void *)tags[i]),
		    0);
	cr_assert_eq(srv_group_observe(g, observer, (void *)tags[4]), -1);
	srv_group_unobserve(g, observer, (void *)tags[0]);
	srv_group_unobserve(g, observer, (void *)tags[2]);
	srv_group_unobserve(g, observer, (void *)tags[4]);	/* not there */
	cr_assert_eq(srv_group_create(g, "lobby", NULL, 0, 1, T0),
	    SRV_GROUP_OK);
	cr_assert_eq(srv_group_destroy(g, "lobby", T0), SRV_GROUP_OK);
	cr_assert(strstr(seen, "b.destroyed:lobby:;") != NULL, "%s", seen);
	cr_assert(strstr(seen, "d.destroyed:lobby:;") != NULL, "%s", seen);
	cr_assert(strstr(seen, "a.") == NULL && strstr(seen, "c.") == NULL,
	    "%s", seen);
}
