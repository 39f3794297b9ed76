/* SPDX-License-Identifier: ISC */
/*
 * test_srv_group.c: server-managed groups (srv_group.h) over the memory
 * state, with a recording fake for pushes, withdrawals and introductions.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "srv_group.h"

#define T0	1000000ULL

static struct state *st;
static struct srv_groups *g;
static char events[8192];	/* "to:kind:group:peer[:missing];" */
static char actions[4096];	/* unshare / introduce */
static const char *online[8];	/* members whose agent is connected */
static uint64_t next_cookie;
static struct { char to[65]; uint64_t cookie; } pushed[256];
static size_t npushed;

static int
is_online(const char *id)
{
	size_t i;

	for (i = 0; i < 8 && online[i] != NULL; i++)
		if (strcmp(online[i], id) == 0)
			return 1;
	return 0;
}

static uint64_t
fake_push(void *arg, const char *to, const struct srv_group_event *ev)
{
	static const char *kind[] = { "?", "join", "leave", "destroyed",
	    "complete" };
	char line[512];
	size_t i;

	(void)arg;
	snprintf(line, sizeof(line), "%s:%s:%s:%s", to, kind[ev->type],
	    ev->group, ev->peer_id ? ev->peer_id : "");
	if (ev->type == SRV_GEV_JOIN_COMPLETE) {
		strcat(line, ":");
		for (i = 0; i < ev->nmissing; i++) {
			strcat(line, ev->missing[i]);
			strcat(line, i + 1 < ev->nmissing ? "," : "");
		}
	}
	strcat(line, ";");
	strcat(events, line);
	if (!is_online(to))
		return 0;
	cr_assert_lt(npushed, 256);
	snprintf(pushed[npushed].to, sizeof(pushed[0].to), "%s", to);
	pushed[npushed].cookie = ++next_cookie;
	return pushed[npushed++].cookie;
}

static void
fake_unshare(void *arg, const char *a, const char *b, const char *reason)
{
	(void)arg;
	cr_assert(strstr(reason, "no longer share") != NULL);
	strcat(actions, "unshare:");
	strcat(actions, a);
	strcat(actions, "-");
	strcat(actions, b);
	strcat(actions, ";");
	(void)state_intro_del(st, a, b);
}

static void
fake_introduce(void *arg, const char *a, const char *b)
{
	(void)arg;
	strcat(actions, "intro:");
	strcat(actions, a);
	strcat(actions, "-");
	strcat(actions, b);
	strcat(actions, ";");
}

/* Every agent that is online acknowledges its pushes. */
static void
ack_all_but(const char *who)
{
	size_t i, n = npushed;

	for (i = 0; i < n; i++)
		if (who == NULL || strcmp(pushed[i].to, who) != 0)
			srv_group_acked(g, pushed[i].to, pushed[i].cookie,
			    T0 + 1);
}

static void
start(int open, size_t mesh_max)
{
	struct srv_group_conf c = { mesh_max, 5000000, open };
	struct srv_group_io io = { fake_push, fake_unshare, fake_introduce,
	    NULL, NULL };

	events[0] = actions[0] = '\0';
	memset(online, 0, sizeof(online));
	npushed = 0;
	next_cookie = 0;
	cr_assert_not_null(st = state_mem_new(16));
	cr_assert_not_null(g = srv_group_new(st, &c, &io));
}

static void
setup(void)
{
	start(0, SRV_GROUP_MESH_MAX);
}

static void
teardown(void)
{
	srv_group_free(g);
	state_free(st);
}

TestSuite(srv_group, .init = setup, .fini = teardown);

static void
reg(const char *id, uint32_t reg_id, const char *tokgroup)
{
	struct state_peer p;
	uint32_t rep;

	memset(&p, 0, sizeof(p));
	snprintf(p.peer_id, sizeof(p.peer_id), "%s", id);
	memset(p.identity_key, (int)reg_id, 32);
	p.reg_id = reg_id;
	p.issued_at = 1;
	p.expires_at = UINT64_MAX / 2;
	if (tokgroup != NULL) {
		snprintf(p.groups[0], sizeof(p.groups[0]), "%s", tokgroup);
		p.ngroups = 1;
	}
	cr_assert_eq(state_register(st, &p, 100, &rep), STATE_OK);
}

static struct state_peer
peer(const char *id)
{
	struct state_peer p;

	cr_assert_eq(state_get(st, id, &p), STATE_OK);
	return p;
}

Test(srv_group, join_events_reach_every_member_in_order)
{
	online[0] = "alice";
	online[1] = "bob";
	cr_assert_eq(srv_group_create(g, "lobby", NULL, 0, 1, T0), 0);
	cr_assert_eq(srv_group_join(g, "lobby", "alice", T0), SRV_GROUP_OK);
	ack_all_but(NULL);
	cr_assert_str_eq(events, "alice:join:lobby:alice;"
	    "alice:complete:lobby:alice:;");
	events[0] = '\0';
	npushed = 0;
	cr_assert_eq(srv_group_join(g, "lobby", "bob", T0), SRV_GROUP_OK);
	cr_assert_eq(srv_group_join(g, "lobby", "bob", T0),
	    SRV_GROUP_ALREADY);
	cr_assert_str_eq(events, "alice:join:lobby:bob;bob:join:lobby:bob;",
	    "before the acks: %s", events);
	ack_all_but(NULL);
	cr_assert_str_eq(events, "alice:join:lobby:bob;bob:join:lobby:bob;"
	    "alice:complete:lobby:bob:;bob:complete:lobby:bob:;");
	events[0] = '\0';
	cr_assert_eq(srv_group_leave(g, "lobby", "alice", T0), SRV_GROUP_OK);
	cr_assert_eq(srv_group_leave(g, "lobby", "alice", T0),
	    SRV_GROUP_NOT_MEMBER);
	cr_assert_str_eq(events, "bob:leave:lobby:alice;"
	    "alice:leave:lobby:alice;");
	events[0] = '\0';
	cr_assert_eq(srv_group_destroy(g, "lobby", T0), SRV_GROUP_OK);
	cr_assert_str_eq(events, "bob:destroyed:lobby:;");
	cr_assert_eq(srv_group_destroy(g, "lobby", T0), SRV_GROUP_NOT_FOUND);
	cr_assert_eq(srv_group_join(g, "lobby", "bob", T0),
	    SRV_GROUP_NOT_FOUND);
}

Test(srv_group, join_complete_after_timeout_names_the_silent_member)
{
	online[0] = "alice";
	online[1] = "bob";
	online[2] = "carol";
	cr_assert_eq(srv_group_create(g, "g", NULL, 0, 1, T0), 0);
	cr_assert_eq(srv_group_join(g, "g", "alice", T0), 0);
	cr_assert_eq(srv_group_join(g, "g", "carol", T0), 0);
	/* dave has no agent connected: listed, but nobody waits for him. */
	cr_assert_eq(srv_group_join(g, "g", "dave", T0), 0);
	ack_all_but(NULL);
	events[0] = '\0';
	npushed = 0;
	cr_assert_eq(srv_group_join(g, "g", "bob", T0), 0);
	ack_all_but("carol");	/* carol was stopped (SIGSTOP) */
	cr_assert_null(strstr(events, "complete"), "too early: %s", events);
	cr_assert_eq(srv_group_next(g), T0 + 200000, "the sync comes first");
	srv_group_tick(g, T0 + 4999999);
	cr_assert_null(strstr(events, "complete"), "too early: %s", events);
	cr_assert_eq(srv_group_next(g), T0 + 5000000);
	srv_group_tick(g, T0 + 5000000);
	cr_assert(strstr(events, "alice:complete:g:bob:carol,dave;") != NULL,
	    "%s", events);
	cr_assert(strstr(events, "carol:complete:g:bob:carol,dave;") != NULL,
	    "%s", events);
	cr_assert_eq(srv_group_next(g), UINT64_MAX, "never blocks forever");
}

Test(srv_group, leaving_member_does_not_delay_join_complete)
{
	online[0] = "alice";
	online[1] = "bob";
	cr_assert_eq(srv_group_create(g, "g", NULL, 0, 1, T0), 0);
	cr_assert_eq(srv_group_join(g, "g", "alice", T0), 0);
	ack_all_but(NULL);
	npushed = 0;
	cr_assert_eq(srv_group_join(g, "g", "bob", T0), 0);
	ack_all_but("alice");
	events[0] = '\0';
	cr_assert_eq(srv_group_leave(g, "g", "alice", T0), 0);
	cr_assert(strstr(events, "bob:complete:g:bob:;") != NULL, "%s",
	    events);
}

Test(srv_group, policy_groups_agents_join_granted_groups_only)
{
	struct state_peer a;
	char msg[256];

	reg("alice", 1, "raid");
	a = peer("alice");
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_JOIN, "pvp", T0, msg,
	    sizeof(msg)), SRV_GROUP_DENIED);
	cr_assert(strstr(msg, "does not grant") != NULL, "%s", msg);
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_CREATE, "raid", T0,
	    msg, sizeof(msg)), SRV_GROUP_DENIED);
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_JOIN, "bad name!", T0,
	    msg, sizeof(msg)), SRV_GROUP_INVALID);
	/* A granted group that does not exist is created by the join. */
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_JOIN, "raid", T0, msg,
	    sizeof(msg)), SRV_GROUP_OK, "%s", msg);
	cr_assert(state_member_has(st, "raid", "alice"));
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_DESTROY, "raid", T0,
	    msg, sizeof(msg)), SRV_GROUP_DENIED);
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_LEAVE, "raid", T0, msg,
	    sizeof(msg)), SRV_GROUP_OK);
	/* The API is not bound by the policy. */
	cr_assert_eq(srv_group_create(g, "pvp", NULL, 0, 1, T0), 0);
	cr_assert_eq(srv_group_join(g, "pvp", "alice", T0), 0);
}

Test(srv_group, policy_open_agents_may_do_anything)
{
	struct state_peer a;
	char msg[256];

	teardown();
	start(1, SRV_GROUP_MESH_MAX);
	reg("alice", 1, NULL);
	a = peer("alice");
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_CREATE, "x", T0, msg,
	    sizeof(msg)), SRV_GROUP_OK, "%s", msg);
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_CREATE, "x", T0, msg,
	    sizeof(msg)), SRV_GROUP_EXISTS);
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_JOIN, "y", T0, msg,
	    sizeof(msg)), SRV_GROUP_OK);
	cr_assert_eq(srv_group_request(g, &a, SRV_GOP_DESTROY, "x", T0, msg,
	    sizeof(msg)), SRV_GROUP_OK);
}

Test(srv_group, sessions_need_a_shared_group_and_lose_it_on_leave)
{
	struct state_peer a, b;

	reg("alice", 1, "tok");
	reg("bob", 2, NULL);
	reg("carol", 3, "tok");
	a = peer("alice");
	b = peer("bob");
	cr_assert_not(srv_group_may_talk(g, &a, &b));
	cr_assert_eq(srv_group_create(g, "g1", NULL, 0, 0, T0), 0);
	cr_assert_eq(srv_group_create(g, "g2", NULL, 0, 0, T0), 0);
	cr_assert_eq(srv_group_join(g, "g1", "alice", T0), 0);
	cr_assert_eq(srv_group_join(g, "g1", "bob", T0), 0);
	cr_assert_eq(srv_group_join(g, "g2", "alice", T0), 0);
	cr_assert_eq(srv_group_join(g, "g2", "bob", T0), 0);
	cr_assert(srv_group_may_talk(g, &a, &b));
	cr_assert(srv_group_may_talk(g, &b, &a));
	cr_assert_eq(state_intro_add(st, "alice", "bob"), STATE_OK);
	cr_assert_eq(state_intro_add(st, "alice", "carol"), STATE_OK);
	cr_assert_eq(srv_group_leave(g, "g1", "bob", T0), 0);
	cr_assert_str_eq(actions, "", "still share g2: %s", actions);
	cr_assert_eq(srv_group_destroy(g, "g2", T0), 0);
	cr_assert_str_eq(actions, "unshare:alice-bob;", "%s", actions);
	cr_assert_not(srv_group_may_talk(g, &a, &b));
	/* alice and carol share their token group: untouched. */
	cr_assert(state_intro_has(st, "alice", "carol"));
	/* A managed group of that name replaces the token group. */
	cr_assert_eq(srv_group_create(g, "tok", NULL, 0, 0, T0), 0);
	cr_assert_eq(srv_group_join(g, "tok", "alice", T0), 0);
	cr_assert_eq(srv_group_join(g, "tok", "carol", T0), 0);
	a = peer("alice");
	b = peer("carol");
	cr_assert(srv_group_may_talk(g, &a, &b));
	cr_assert_eq(srv_group_leave(g, "tok", "carol", T0), 0);
	cr_assert_not(srv_group_may_talk(g, &a, &b));
	cr_assert_str_eq(actions, "unshare:alice-bob;unshare:carol-alice;",
	    "%s", actions);
	cr_assert_eq(srv_group_destroy(g, "tok", T0), 0);
	cr_assert(srv_group_may_talk(g, &a, &b), "token group again");
}

Test(srv_group, mesh_introduces_up_to_mesh_max)
{
	teardown();
	start(0, 3);
	reg("a", 1, NULL);
	reg("b", 2, NULL);
	reg("c", 3, NULL);
	reg("d", 4, NULL);
	cr_assert_eq(srv_group_create(g, "m", NULL, 0, 1, T0), 0);
	cr_assert_eq(srv_group_create(g, "n", NULL, 0, 0, T0), 0);
	cr_assert_eq(srv_group_join(g, "m", "a", T0), 0);
	cr_assert_eq(srv_group_join(g, "m", "b", T0), 0);
	cr_assert_eq(srv_group_join(g, "m", "c", T0), 0);
	cr_assert_str_eq(actions, "intro:b-a;intro:c-a;intro:c-b;");
	actions[0] = '\0';
	cr_assert_eq(srv_group_join(g, "m", "d", T0), 0);
	cr_assert_str_eq(actions, "", "beyond --mesh-max: on demand");
	cr_assert_eq(srv_group_join(g, "n", "a", T0), 0);
	cr_assert_eq(srv_group_join(g, "n", "b", T0), 0);
	cr_assert_str_eq(actions, "", "not a mesh group");
}

static void
collect(const char *name, void *arg)
{
	strcat(arg, name);
	strcat(arg, ",");
}

Test(srv_group, show_and_list)
{
	struct state_attr at = { "map", "de_dust" };
	struct state_attr bad = { "map", "line\nbreak" };
	struct state_group out;
	char buf[256] = "";

	cr_assert_eq(srv_group_create(g, "a", &at, 1, 1, T0), 0);
	cr_assert_eq(srv_group_create(g, "b", &bad, 1, 1, T0),
	    SRV_GROUP_INVALID);
	cr_assert_eq(srv_group_create(g, "a", NULL, 0, 1, T0),
	    SRV_GROUP_EXISTS);
	cr_assert_eq(srv_group_join(g, "a", "zed", T0), 0);
	cr_assert_eq(srv_group_show(g, "a", &out, NULL, NULL), 0);
	cr_assert_eq(out.nmembers, 1);
	cr_assert_str_eq(out.attrs[0].value, "de_dust");
	cr_assert_eq(srv_group_show(g, "b", &out, NULL, NULL),
	    SRV_GROUP_NOT_FOUND);
	cr_assert_eq(srv_group_list(g, collect, buf), 1);
	cr_assert_str_eq(buf, "a,");
}
