/* SPDX-License-Identifier: ISC */
/*
 * test_client_match.c: libp2pclient 1.2's matchmaking against the fake
 * agent: the request as the agent gets it, the match group as the
 * application gets it (blocking, and through on_response for an event
 * loop), the agent's timeout and cancel answers, bad tickets refused by
 * name before anything is sent, and group search.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ipcmsg.h"
#include "p2pclient.h"

#include "test_client_fake.h"
#include "test_client_script.h"

static int	nmatch;		/* match requests the fake agent saw */

static struct p2pclient *
start(agent_fn script)
{
	struct p2pclient	*c;
	char			 err[256];

	nmatch = 0;
	fake_start(script);
	c = p2pclient_open(sockpath, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	return c;
}

static void
finish(struct p2pclient *c)
{
	p2pclient_close(c);
	fake_stop();
}

/* One group answer: m-1 (alice, bob) with map=dunes mode=duel. */
static void
agent_group(int fd, uint32_t id, const char *name, int members)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__GroupResp	gr = P2P__IPC__GROUP_RESP__INIT;
	P2p__Ipc__GroupInfo	gi = P2P__IPC__GROUP_INFO__INIT, *gip = &gi;
	P2p__Ipc__GroupMember	m[2] = { P2P__IPC__GROUP_MEMBER__INIT,
				    P2P__IPC__GROUP_MEMBER__INIT };
	P2p__Ipc__GroupMember	*mp[2] = { &m[0], &m[1] };
	P2p__Ipc__Attr		a[2] = { P2P__IPC__ATTR__INIT,
				    P2P__IPC__ATTR__INIT };
	P2p__Ipc__Attr		*ap[2] = { &a[0], &a[1] };

	m[0].peer_id = "alice";
	m[0].online = 1;
	m[1].peer_id = "bob";
	a[0].key = "map";
	a[0].value = "dunes";
	a[1].key = "mode";
	a[1].value = "duel";
	gi.name = (char *)name;
	gi.mesh = 1;
	gi.member_count = 2;
	if (members) {
		gi.members = mp;
		gi.n_members = 2;
	}
	gi.attributes = ap;
	gi.n_attributes = 2;
	gi.expires_at = 1800000000;
	gr.groups = &gip;
	gr.n_groups = 1;
	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_GROUP;
	r.group = &gr;
	agent_respond(fd, &r);
}

static int
attrs_are(P2p__Ipc__Attr **a, size_t n, const char *k0, const char *v0,
    const char *k1, const char *v1)
{
	return n == 2 && strcmp(a[0]->key, k0) == 0 &&
	    strcmp(a[0]->value, v0) == 0 && strcmp(a[1]->key, k1) == 0 &&
	    strcmp(a[1]->value, v1) == 0;
}

/* A match request for map=dunes mode=duel, size 2, 5 s: the group; with
 * size 3: "no match within 5 s"; a cancel: OK once, then not found. */
static int
handle_match(int fd, const P2p__Ipc__Request *q)
{
	static int cancels;

	if (q->op_case == P2P__IPC__REQUEST__OP_GROUP_SEARCH) {
		if (q->group_search->n_attributes == 1 &&
		    strcmp(q->group_search->attributes[0]->key, "map") == 0)
			agent_group(fd, q->id, "m-2", 0);
		else
			agent_error(fd, q->id, P2P__IPC__CODE__ERR_FAILED,
			    "unexpected search");
		return 1;
	}
	if (q->op_case != P2P__IPC__REQUEST__OP_MATCH)
		return 0;
	nmatch++;
	if (q->match->cancel) {
		if (cancels++ == 0)
			agent_ok(fd, q->id);
		else
			agent_error(fd, q->id, P2P__IPC__CODE__ERR_NOT_FOUND,
			    "this device has no ticket waiting");
		return 1;
	}
	if (!attrs_are(q->match->attributes, q->match->n_attributes, "map",
	    "dunes", "mode", "duel") || q->match->timeout_s != 5)
		agent_error(fd, q->id, P2P__IPC__CODE__ERR_USAGE,
		    "unexpected ticket");
	else if (q->match->size == 3)
		agent_error(fd, q->id, P2P__IPC__CODE__ERR_TIMEOUT,
		    "no match within 5 s");
	else
		agent_group(fd, q->id, "m-1", 1);
	return 1;
}

static const char *const duel[] = { "map=dunes", "mode=duel" };

Test(match, blocking_gets_the_group)
{
	struct p2pclient	*c = start(agent_all(handle_match));
	struct p2pclient_groups	*gs;
	const struct p2pclient_group *g;

	cr_assert_eq(p2pclient_match(c, duel, 2, 2, 5, &gs), 0, "%s",
	    p2pclient_errmsg(c));
	cr_assert_eq(gs->n, 1);
	g = gs->v[0];
	cr_assert(P2PCLIENT_HAS(struct p2pclient_group, g, expires_at));
	cr_assert_str_eq(g->name, "m-1");
	cr_assert_eq(g->n, 2);
	cr_assert_str_eq(g->members[1]->peer_id, "bob");
	cr_assert_eq(g->nattrs, 2);
	cr_assert_str_eq(g->attrs[0], "map=dunes");
	cr_assert_str_eq(g->attrs[1], "mode=duel");
	cr_assert_eq(g->expires_at, 1800000000);
	p2pclient_groups_free(gs);
	finish(c);
}

Test(match, timeout_is_etimedout_with_the_reason)
{
	struct p2pclient	*c = start(agent_all(handle_match));
	struct p2pclient_groups	*gs;

	cr_assert_eq(p2pclient_match(c, duel, 2, 3, 5, &gs),
	    P2PCLIENT_ETIMEDOUT);
	cr_assert_null(gs);
	cr_assert_str_eq(p2pclient_errmsg(c), "no match within 5 s");
	finish(c);
}

struct got {
	int	calls, code;
	char	name[16], attr[32];
	int64_t	id;
};

static void
on_resp(struct p2pclient *c, const struct p2pclient_response *r, void *arg)
{
	struct got *g = arg;

	(void)c;
	g->calls++;
	g->code = r->code;
	g->id = r->id;
	if (P2PCLIENT_HAS(struct p2pclient_response, r, groups) &&
	    r->groups != NULL && r->groups->n == 1) {
		snprintf(g->name, sizeof(g->name), "%s", r->groups->v[0]->name);
		if (r->groups->v[0]->nattrs > 0)
			snprintf(g->attr, sizeof(g->attr), "%s",
			    r->groups->v[0]->attrs[0]);
	}
}

Test(match, async_answer_goes_to_on_response)
{
	struct p2pclient	*c = start(agent_all(handle_match));
	struct p2pclient_callbacks cb;
	struct got		 g;
	int64_t			 id;

	memset(&g, 0, sizeof(g));
	memset(&cb, 0, sizeof(cb));
	cb.size = sizeof(cb);
	cb.on_response = on_resp;
	cr_assert_eq(p2pclient_set_callbacks(c, &cb, &g), 0);
	id = p2pclient_match_async(c, duel, 2, 2, 5);
	cr_assert_gt(id, 0, "%s", p2pclient_errmsg(c));
	while (g.calls == 0)
		cr_assert_eq(p2pclient_poll(c, 5000), 0);
	cr_assert_eq(g.id, id);
	cr_assert_eq(g.code, 0);
	cr_assert_str_eq(g.name, "m-1");
	cr_assert_str_eq(g.attr, "map=dunes");
	finish(c);
}

Test(match, bad_tickets_refused_by_name_before_sending)
{
	struct p2pclient	*c = start(agent_all(handle_match));
	const char *const	 nokv[] = { "map" };
	const char *const	 badkey[] = { "m ap=dunes" };
	const char *const	 empty[] = { "map=" };
	const char *const	 ctrl[] = { "map=du\tnes" };
	const char *const	 nine[] = { "a=1", "b=1", "c=1", "d=1", "e=1",
				    "f=1", "g=1", "h=1", "i=1" };
	struct p2pclient_groups	*gs;

	cr_assert_eq(p2pclient_match_async(c, nokv, 1, 2, 5), P2PCLIENT_EINVAL);
	cr_assert(strstr(p2pclient_errmsg(c), "'map': expected KEY=VALUE"));
	cr_assert_eq(p2pclient_match_async(c, badkey, 1, 2, 5),
	    P2PCLIENT_EINVAL);
	cr_assert(strstr(p2pclient_errmsg(c), "m ap=dunes"));
	cr_assert_eq(p2pclient_match_async(c, empty, 1, 2, 5), P2PCLIENT_EINVAL);
	cr_assert(strstr(p2pclient_errmsg(c), "attribute map: a value"));
	cr_assert_eq(p2pclient_match_async(c, ctrl, 1, 2, 5), P2PCLIENT_EINVAL);
	cr_assert(strstr(p2pclient_errmsg(c), "control character"));
	cr_assert_eq(p2pclient_match_async(c, nine, 9, 2, 5), P2PCLIENT_EINVAL);
	cr_assert(strstr(p2pclient_errmsg(c), "at most 8"));
	cr_assert_eq(p2pclient_match(c, duel, 2, 0, 5, &gs), P2PCLIENT_EINVAL);
	cr_assert(strstr(p2pclient_errmsg(c), "size 0"));
	cr_assert_eq(p2pclient_match_async(c, duel, 2, 1000000, 5),
	    P2PCLIENT_EINVAL);
	cr_assert_eq(p2pclient_match_async(c, duel, 2, 2, 3601),
	    P2PCLIENT_EINVAL);
	cr_assert(strstr(p2pclient_errmsg(c), "timeout 3601"));
	cr_assert_eq(p2pclient_group_search_async(c, nokv, 1),
	    P2PCLIENT_EINVAL);
	/* Nothing of it reached the agent. */
	cr_assert_eq(p2pclient_flush(c, 2000), 0);
	cr_assert_eq(nmatch, 0);
	finish(c);
}

Test(match, cancel_then_not_found)
{
	struct p2pclient	*c = start(agent_all(handle_match));

	cr_assert_eq(p2pclient_match_cancel(c), 0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(p2pclient_match_cancel(c), P2PCLIENT_ENOTFOUND);
	cr_assert(strstr(p2pclient_errmsg(c), "no ticket"));
	finish(c);
}

Test(match, group_search_lists_groups_with_attributes)
{
	struct p2pclient	*c = start(agent_all(handle_match));
	const char *const	 map[] = { "map=dunes" };
	struct p2pclient_groups	*gs;

	cr_assert_eq(p2pclient_group_search(c, map, 1, &gs), 0, "%s",
	    p2pclient_errmsg(c));
	cr_assert_eq(gs->n, 1);
	cr_assert_str_eq(gs->v[0]->name, "m-2");
	cr_assert_eq(gs->v[0]->n, 0);
	cr_assert_eq(gs->v[0]->member_count, 2);
	cr_assert_eq(gs->v[0]->nattrs, 2);
	cr_assert_str_eq(gs->v[0]->attrs[1], "mode=duel");
	p2pclient_groups_free(gs);
	finish(c);
}
