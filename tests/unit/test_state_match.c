/* SPDX-License-Identifier: ISC */
/*
 * test_state_match.c: matchmaking tickets in the memory backend (state.h):
 * pools, the match made in one step, a device's one ticket, ends, caps,
 * the hooks, and the view calls a cluster node uses.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

#define NOW_MS	1700000000000ULL

static struct state *st;
static char log_buf[4096];

static void
hook_matched(const char *group, const struct state_ticket *t, size_t n,
    void *arg)
{
	size_t i, len = strlen(log_buf);

	(void)arg;
	len += (size_t)snprintf(log_buf + len, sizeof(log_buf) - len,
	    "matched:%s:", group);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(log_buf + len, sizeof(log_buf) - len,
		    "%s%s/%s", i ? "," : "", t[i].peer_id, t[i].group);
	snprintf(log_buf + len, sizeof(log_buf) - len, ";");
}

static void
hook_ended(const struct state_ticket *t, enum state_ticket_end why, void *arg)
{
	size_t len = strlen(log_buf);

	(void)arg;
	snprintf(log_buf + len, sizeof(log_buf) - len, "ended:%s:%s;",
	    t->peer_id, state_ticket_end_word(why));
}

static void
setup(void)
{
	struct state_match_hooks h = { hook_matched, hook_ended, NULL };

	cr_assert_not_null(st = state_mem_new(16));
	state_match_hooks(st, &h);
	log_buf[0] = '\0';
}

static void
teardown(void)
{
	state_free(st);
}

TestSuite(state_match, .init = setup, .fini = teardown);

static struct state_ticket
tk(const char *peer, uint64_t id, unsigned size, const char *map,
    enum state_ticket_kind kind)
{
	struct state_ticket t;

	memset(&t, 0, sizeof(t));
	snprintf(t.peer_id, sizeof(t.peer_id), "%s", peer);
	t.id = id;
	t.size = size;
	snprintf(t.attrs[0].key, sizeof(t.attrs[0].key), "map");
	snprintf(t.attrs[0].value, sizeof(t.attrs[0].value), "%s", map);
	t.nattrs = 1;
	t.kind = kind;
	t.node = 0;
	t.deadline_ms = NOW_MS + 30000;
	return t;
}

static void
keep(const struct state_match_result *r, void *arg)
{
	*(struct state_match_result *)arg = *r;
}

static struct state_match_result
add_r(struct state_ticket t, const char *group)
{
	struct state_match_result r;

	memset(&r, 0, sizeof(r));
	r.rc = STATE_UNAVAILABLE;
	state_match_add_cb(st, &t, group, 1700003600, NOW_MS, keep, &r);
	return r;
}

static struct state_match_result
del_r(const char *peer, uint64_t id, enum state_ticket_end why)
{
	struct state_match_result r;

	memset(&r, 0, sizeof(r));
	r.rc = STATE_UNAVAILABLE;
	state_match_del_cb(st, peer, id, why, keep, &r);
	return r;
}

static void
collect(const char *name, void *arg)
{
	strcat(arg, name);
	strcat(arg, ",");
}

Test(state_match, a_full_pool_makes_the_group_in_one_step)
{
	struct state_match_result r;
	struct state_ticket t;
	struct state_group g;
	char buf[256] = "";

	r = add_r(tk("carol", 3, 2, "port", STATE_TICKET_AGENT), "m-0");
	cr_assert_eq(r.rc, STATE_OK);
	cr_assert_not(r.matched);
	r = add_r(tk("alice", 1, 3, "dunes", STATE_TICKET_AGENT), "m-1");
	cr_assert_eq(r.rc, STATE_OK);
	cr_assert_not(r.matched, "one of three");
	r = add_r(tk("bob", 2, 3, "dunes", STATE_TICKET_API), "m-2");
	cr_assert_not(r.matched, "two of three");
	r = add_r(tk("dave", 4, 2, "dunes", STATE_TICKET_AGENT), "m-3");
	cr_assert_not(r.matched, "same map, another size: another pool");
	cr_assert_eq(state_group_get(st, "m-4", &g), STATE_NOT_FOUND);
	cr_assert_str_eq(log_buf, "");
	r = add_r(tk("erin", 5, 3, "dunes", STATE_TICKET_AGENT), "m-4");
	cr_assert_eq(r.rc, STATE_OK);
	cr_assert(r.matched);
	cr_assert_str_eq(r.group, "m-4");
	cr_assert_str_eq(log_buf, "matched:m-4:alice/m-4,bob/m-4,erin/m-4;");
	cr_assert_eq(state_group_get(st, "m-4", &g), STATE_OK);
	cr_assert(g.mesh);
	cr_assert_eq(g.expires_at, 1700003600);
	cr_assert_eq(g.nattrs, 1);
	cr_assert_str_eq(g.attrs[0].key, "map");
	cr_assert_str_eq(g.attrs[0].value, "dunes");
	cr_assert_eq(state_member_each(st, "m-4", collect, buf), 3);
	cr_assert_str_eq(buf, "alice,bob,erin,", "members in the order they "
	    "asked");
	/* An agent's matched ticket is kept (with the group), an API one not. */
	cr_assert_eq(state_match_get(st, "alice", &t), STATE_OK);
	cr_assert_str_eq(t.group, "m-4");
	cr_assert_eq(t.deadline_ms, NOW_MS + 30000);
	cr_assert_eq(state_match_get(st, "bob", &t), STATE_NOT_FOUND);
	cr_assert_eq(state_match_get(st, "dave", &t), STATE_OK);
	cr_assert_str_eq(t.group, "");
	buf[0] = '\0';
	cr_assert_eq(state_groups_expired(st, 1700003599, collect, buf), 0);
	cr_assert_eq(state_groups_expired(st, 1700003600, collect, buf), 1);
	cr_assert_str_eq(buf, "m-4,");
}

Test(state_match, one_ticket_per_device)
{
	struct state_match_result r;
	struct state_ticket t;

	cr_assert_eq(add_r(tk("alice", 7, 2, "dunes", STATE_TICKET_AGENT),
	    "m-1").rc, STATE_OK);
	r = add_r(tk("alice", 7, 2, "dunes", STATE_TICKET_AGENT), "m-2");
	cr_assert_eq(r.rc, STATE_EXISTS, "the same ticket again");
	cr_assert_not(r.matched);
	r = add_r(tk("alice", 8, 2, "port", STATE_TICKET_AGENT), "m-3");
	cr_assert_eq(r.rc, STATE_CONFLICT, "another while one waits");
	cr_assert_eq(state_match_get(st, "alice", &t), STATE_OK);
	cr_assert_eq(t.id, 7);
	/* Matched: the same id learns its group; a new id replaces it. */
	cr_assert(add_r(tk("bob", 9, 2, "dunes", STATE_TICKET_AGENT),
	    "m-4").matched);
	r = add_r(tk("alice", 7, 2, "dunes", STATE_TICKET_AGENT), "m-5");
	cr_assert_eq(r.rc, STATE_EXISTS);
	cr_assert(r.matched);
	cr_assert_str_eq(r.group, "m-4");
	log_buf[0] = '\0';
	r = add_r(tk("alice", 10, 2, "dunes", STATE_TICKET_AGENT), "m-6");
	cr_assert_eq(r.rc, STATE_OK);
	cr_assert_not(r.matched);
	cr_assert_str_eq(log_buf, "ended:alice:replaced;");
	cr_assert_eq(state_match_get(st, "alice", &t), STATE_OK);
	cr_assert_eq(t.id, 10);
	cr_assert_str_eq(t.group, "");
}

static void
count_pool(const struct state_ticket *t, size_t waiting, void *arg)
{
	char *buf = arg;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s/%u:%zu;", t->attrs[0].value,
	    t->size, waiting);
}

Test(state_match, ends_free_the_pool)
{
	struct state_match_result r;
	char buf[512] = "";

	cr_assert_eq(add_r(tk("alice", 1, 2, "dunes", STATE_TICKET_AGENT),
	    "m-1").rc, STATE_OK);
	cr_assert_eq(state_match_pools(st, count_pool, buf), 1);
	r = del_r("alice", 2, STATE_END_CANCELLED);
	cr_assert_eq(r.rc, STATE_NOT_FOUND, "another id");
	r = del_r("alice", 1, STATE_END_CANCELLED);
	cr_assert_eq(r.rc, STATE_OK);
	cr_assert_not(r.matched);
	cr_assert_str_eq(log_buf, "ended:alice:cancelled;");
	r = del_r("alice", 0, STATE_END_CANCELLED);
	cr_assert_eq(r.rc, STATE_NOT_FOUND, "gone");
	/* A cancelled ticket no longer counts towards its pool. */
	cr_assert_not(add_r(tk("bob", 3, 2, "dunes", STATE_TICKET_AGENT),
	    "m-2").matched);
	buf[0] = '\0';
	cr_assert_eq(state_group_each(st, collect, buf), 0);
}

static void
count_ticket(const struct state_ticket *t, void *arg)
{
	(*(int *)arg)++;
	cr_assert_neq(t->id, 0);
}

Test(state_match, pools_and_walks)
{
	char buf[512] = "";
	int n = 0;

	cr_assert_eq(add_r(tk("a", 1, 3, "dunes", STATE_TICKET_AGENT),
	    "m-1").rc, STATE_OK);
	cr_assert_eq(add_r(tk("b", 2, 3, "dunes", STATE_TICKET_AGENT),
	    "m-2").rc, STATE_OK);
	cr_assert_eq(add_r(tk("c", 3, 2, "port", STATE_TICKET_API),
	    "m-3").rc, STATE_OK);
	cr_assert_eq(state_match_pools(st, count_pool, buf), 2);
	cr_assert(strstr(buf, "dunes/3:2;") != NULL, "%s", buf);
	cr_assert(strstr(buf, "port/2:1;") != NULL, "%s", buf);
	cr_assert_eq(state_match_each(st, count_ticket, &n), 3);
	cr_assert_eq(n, 3);
}

static void
del_each(const struct state_ticket *t, void *arg)
{
	(void)arg;
	(void)del_r(t->peer_id, t->id, STATE_END_TIMEOUT);
}

Test(state_match, walks_survive_changes)
{
	cr_assert_eq(add_r(tk("a", 1, 3, "dunes", STATE_TICKET_AGENT),
	    "m-1").rc, STATE_OK);
	cr_assert_eq(add_r(tk("b", 2, 3, "x", STATE_TICKET_AGENT),
	    "m-2").rc, STATE_OK);
	cr_assert_eq(state_match_each(st, del_each, NULL), 2);
	cr_assert_eq(state_match_each(st, del_each, NULL), 0);
	cr_assert(strstr(log_buf, "ended:a:timeout;") != NULL);
	cr_assert(strstr(log_buf, "ended:b:timeout;") != NULL);
}

Test(state_match, refused_when_no_group_can_be_made)
{
	struct state_group g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "taken");
	cr_assert_eq(state_group_create(st, &g), STATE_OK);
	cr_assert_eq(add_r(tk("a", 1, 2, "dunes", STATE_TICKET_AGENT),
	    "m-1").rc, STATE_OK);
	cr_assert_eq(add_r(tk("b", 2, 2, "dunes", STATE_TICKET_AGENT),
	    "taken").rc, STATE_FULL, "the group name is in use");
	cr_assert_eq(add_r(tk("b", 2, 2, "dunes", STATE_TICKET_AGENT),
	    "m-2").rc, STATE_OK);
	cr_assert_eq(add_r(tk("c", 0, 2, "dunes", STATE_TICKET_AGENT),
	    "m-3").rc, STATE_FULL, "no ticket id");
	cr_assert_eq(add_r(tk("c", 3, 1, "dunes", STATE_TICKET_AGENT),
	    "m-3").rc, STATE_FULL, "size 1");
}

Test(state_match, a_view_mirrors_without_matching)
{
	struct state *v;
	struct state_ticket t = tk("alice", 5, 2, "dunes", STATE_TICKET_API),
	    old;

	cr_assert_not_null(v = state_mem_new(16));
	cr_assert_eq(state_mem_ticket_put(v, &t), 0);
	t = tk("bob", 6, 2, "dunes", STATE_TICKET_AGENT);
	cr_assert_eq(state_mem_ticket_put(v, &t), 0);
	cr_assert_eq(state_match_get(v, "bob", &old), STATE_OK);
	cr_assert_str_eq(old.group, "", "a view does not match");
	cr_assert_eq(state_mem_ticket_matched(v, "alice", 5, "m-9",
	    NOW_MS + 99999, &old), 0);
	cr_assert_str_eq(old.group, "m-9");
	cr_assert_eq(state_match_get(v, "alice", &old), STATE_NOT_FOUND,
	    "an API ticket goes when matched");
	cr_assert_eq(state_mem_ticket_matched(v, "bob", 6, "m-9",
	    NOW_MS + 99999, NULL), 0);
	cr_assert_eq(state_match_get(v, "bob", &old), STATE_OK);
	cr_assert_str_eq(old.group, "m-9");
	cr_assert_eq(old.deadline_ms, NOW_MS + 99999);
	cr_assert_eq(state_mem_ticket_drop(v, "bob", 7, NULL), -1);
	cr_assert_eq(state_mem_ticket_drop(v, "bob", 6, &old), 0);
	cr_assert_eq(state_match_get(v, "bob", &old), STATE_NOT_FOUND);
	state_free(v);
}

Test(state_match, end_words)
{
	enum state_ticket_end e;

	cr_assert_eq(state_ticket_end_parse("timeout", &e), 0);
	cr_assert_eq(e, STATE_END_TIMEOUT);
	cr_assert_str_eq(state_ticket_end_word(STATE_END_GONE), "gone");
	cr_assert_eq(state_ticket_end_parse("later", &e), -1);
}

Test(state_match, match_groups_persist_their_lifetime)
{
	struct state *st2;
	struct state_group g;
	char dir[256], path[300], err[512];
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_state_match.XXXXXX",
	    t != NULL ? t : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/groups", dir);
	cr_assert_eq(state_mem_persist(st, path, err, sizeof(err)), 0, "%s",
	    err);
	(void)add_r(tk("a", 1, 2, "dunes", STATE_TICKET_AGENT), "m-1");
	cr_assert(add_r(tk("b", 2, 2, "dunes", STATE_TICKET_AGENT),
	    "m-2").matched);
	cr_assert_eq(state_sync(st, err, sizeof(err)), STATE_OK, "%s", err);
	cr_assert_not_null(st2 = state_mem_new(4));
	cr_assert_eq(state_mem_persist(st2, path, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_eq(state_group_get(st2, "m-2", &g), STATE_OK);
	cr_assert_eq(g.expires_at, 1700003600);
	cr_assert_eq(g.nmembers, 2);
	cr_assert_str_eq(g.attrs[0].value, "dunes");
	state_free(st2);
	unlink(path);
	rmdir(dir);
}
