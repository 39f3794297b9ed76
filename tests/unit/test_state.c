/* test_state.c: the server state interface, memory backend (state.h). */
#include <criterion/criterion.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "state.h"

#define NOW	1700000000ULL

static struct state *st;

static void
setup(void)
{
	cr_assert_not_null(st = state_mem_new(4));
}

static void
teardown(void)
{
	state_free(st);
}

TestSuite(state, .init = setup, .fini = teardown);

static struct state_peer
mkpeer(const char *id, uint8_t key, uint32_t reg_id, uint64_t issued,
    uint64_t expires)
{
	struct state_peer p;
	struct sockaddr_in *sin = (struct sockaddr_in *)&p.public_addr;

	memset(&p, 0, sizeof(p));
	snprintf(p.peer_id, sizeof(p.peer_id), "%s", id);
	memset(p.identity_key, key, sizeof(p.identity_key));
	p.reg_id = reg_id;
	p.issued_at = issued;
	p.expires_at = expires;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)reg_id);
	p.last_seen_us = 1000;
	return p;
}

static enum state_rc
reg(struct state_peer p, uint32_t *replaced)
{
	return state_register(st, &p, NOW, replaced);
}

Test(state, register_and_lookup)
{
	struct state_peer out;
	uint32_t rep = 99;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(rep, 0);
	cr_assert_eq(state_get(st, "alice", &out), STATE_OK);
	cr_assert_eq(out.reg_id, 10);
	cr_assert_eq(state_get_reg(st, 10, &out), STATE_OK);
	cr_assert_str_eq(out.peer_id, "alice");
	cr_assert_eq(state_get(st, "bob", &out), STATE_NOT_FOUND);
	cr_assert_eq(state_get_reg(st, 11, &out), STATE_NOT_FOUND);
	cr_assert_eq(state_count(st), 1);
}

Test(state, same_key_replaces)
{
	struct state_peer out;
	uint32_t rep;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(reg(mkpeer("alice", 1, 20, NOW - 5, NOW + 3600), &rep),
	    STATE_OK, "same key, older token: still a restart");
	cr_assert_eq(rep, 10);
	cr_assert_eq(state_get_reg(st, 10, &out), STATE_NOT_FOUND);
	cr_assert_eq(state_get(st, "alice", &out), STATE_OK);
	cr_assert_eq(out.reg_id, 20);
	cr_assert_eq(state_count(st), 1);
}

Test(state, other_key_refused_unless_issued_later)
{
	struct state_peer out;
	uint32_t rep;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(reg(mkpeer("alice", 2, 20, NOW, NOW + 3600), &rep),
	    STATE_KEY_MISMATCH);
	cr_assert_eq(reg(mkpeer("alice", 2, 20, NOW - 1, NOW + 3600), &rep),
	    STATE_KEY_MISMATCH);
	cr_assert_eq(state_get(st, "alice", &out), STATE_OK);
	cr_assert_eq(out.reg_id, 10);
	cr_assert_eq(reg(mkpeer("alice", 2, 30, NOW + 1, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(rep, 10);
	cr_assert_eq(state_get(st, "alice", &out), STATE_OK);
	cr_assert_eq(out.identity_key[0], 2);
}

Test(state, pin_survives_deregister_until_token_expires)
{
	struct state_peer out;
	uint32_t rep;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 100), &rep),
	    STATE_OK);
	cr_assert_eq(state_unregister(st, 10), STATE_OK);
	cr_assert_eq(state_unregister(st, 10), STATE_NOT_FOUND);
	cr_assert_eq(state_get(st, "alice", &out), STATE_NOT_FOUND);
	cr_assert_eq(reg(mkpeer("alice", 2, 20, NOW, NOW + 100), &rep),
	    STATE_KEY_MISMATCH, "still pinned");
	/* Token expired: the pin goes, any key may register. */
	cr_assert_eq(state_register(st, &(struct state_peer){ 0 }, NOW, &rep),
	    STATE_FULL, "reg_id 0 refused");
	{
		struct state_peer p = mkpeer("alice", 2, 20, NOW, NOW + 300);

		cr_assert_eq(state_register(st, &p, NOW + 100, &rep),
		    STATE_OK);
	}
}

static int dropped;
static uint32_t dropped_id;

static void
on_drop(uint32_t reg_id, const char *peer_id, void *arg)
{
	dropped++;
	dropped_id = reg_id;
	cr_assert_str_eq(peer_id, (const char *)arg);
}

Test(state, expiry_drops_idle_and_keeps_active)
{
	struct state_peer out;
	uint32_t rep;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(reg(mkpeer("bob", 2, 11, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(state_touch(st, 11, NULL, 50000000), STATE_OK);
	cr_assert_eq(state_expire(st, 61000000, 60000000, NOW, on_drop,
	    "alice"), 1);
	cr_assert_eq(dropped, 1);
	cr_assert_eq(dropped_id, 10);
	cr_assert_eq(state_get(st, "alice", &out), STATE_NOT_FOUND);
	cr_assert_eq(state_get(st, "bob", &out), STATE_OK);
	cr_assert_eq(state_touch(st, 10, NULL, 1), STATE_NOT_FOUND);
}

Test(state, touch_updates_address)
{
	struct state_peer out;
	struct sockaddr_in sin;
	uint32_t rep;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 3600), &rep),
	    STATE_OK);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(4242);
	cr_assert_eq(state_touch(st, 10, (struct sockaddr *)&sin, 7),
	    STATE_OK);
	cr_assert_eq(state_get(st, "alice", &out), STATE_OK);
	cr_assert_eq(((struct sockaddr_in *)&out.public_addr)->sin_port,
	    htons(4242));
	cr_assert_eq(out.last_seen_us, 7);
}

static int seen;

static void
count_intro(const char *other, void *arg)
{
	seen++;
}

Test(state, introductions_go_with_registration)
{
	uint32_t rep;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(reg(mkpeer("bob", 2, 11, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(reg(mkpeer("carol", 3, 12, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(state_intro_add(st, "alice", "bob"), STATE_OK);
	cr_assert_eq(state_intro_add(st, "bob", "alice"), STATE_OK, "twice");
	cr_assert_eq(state_intro_add(st, "carol", "bob"), STATE_OK);
	cr_assert_eq(state_intro_add(st, "alice", "nobody"), STATE_NOT_FOUND);
	cr_assert_eq(state_intro_add(st, "alice", "alice"), STATE_NOT_FOUND);
	cr_assert(state_intro_has(st, "bob", "alice"));
	cr_assert_eq(state_intro_each(st, "bob", count_intro, NULL), 2);
	cr_assert_eq(seen, 2);
	cr_assert_eq(state_unregister(st, 11), STATE_OK);
	cr_assert_not(state_intro_has(st, "alice", "bob"));
	cr_assert_not(state_intro_has(st, "carol", "bob"));
	cr_assert_eq(state_intro_each(st, "alice", count_intro, NULL), 0);
	cr_assert_eq(state_intro_add(st, "alice", "carol"), STATE_OK);
	cr_assert_eq(state_intro_del(st, "carol", "alice"), STATE_OK);
	cr_assert_not(state_intro_has(st, "alice", "carol"));
	cr_assert_eq(state_intro_del(st, "carol", "alice"), STATE_NOT_FOUND);
}

Test(state, replacement_clears_introductions)
{
	uint32_t rep;

	cr_assert_eq(reg(mkpeer("alice", 1, 10, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(reg(mkpeer("bob", 2, 11, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_eq(state_intro_add(st, "alice", "bob"), STATE_OK);
	cr_assert_eq(reg(mkpeer("alice", 1, 12, NOW, NOW + 3600), &rep),
	    STATE_OK);
	cr_assert_not(state_intro_has(st, "bob", "alice"));
}

Test(state, table_is_capped)
{
	uint32_t rep;
	char id[16];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		cr_assert_eq(reg(mkpeer(id, 1, 10 + i, NOW, NOW + 9), &rep),
		    STATE_OK);
	}
	cr_assert_eq(reg(mkpeer("p9", 1, 99, NOW, NOW + 9), &rep),
	    STATE_FULL);
	cr_assert_eq(reg(mkpeer("p0", 1, 98, NOW, NOW + 9), &rep), STATE_OK,
	    "replacing needs no new slot");
	cr_assert_eq(reg(mkpeer("p1", 1, 98, NOW, NOW + 9), &rep), STATE_FULL,
	    "reg_id in use");
}
