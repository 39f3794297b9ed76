/* SPDX-License-Identifier: ISC */
/* test_state.c: the server state interface, memory backend (state.h). */
#include <criterion/criterion.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

#define NOW	1700000000ULL

static struct state *st;
static char tmpdirs[16][256];	/* made by tmpfile_path, removed after */
static int ntmpdirs;

static void
setup(void)
{
	cr_assert_not_null(st = state_mem_new(4));
}

static void
teardown(void)
{
	char p[300];
	int i;

	state_free(st);
	for (i = 0; i < ntmpdirs; i++) {
		if (snprintf(p, sizeof(p), "%s/groups", tmpdirs[i]) <
		    (int)sizeof(p))
			unlink(p);
		rmdir(tmpdirs[i]);
	}
	ntmpdirs = 0;
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

/*
 * Pins have their own budget: a burst of peers that register and go away
 * (pins until their tokens expire) never refuses the next live peers.
 */
Test(state, pins_never_refuse_registrations)
{
	uint32_t rep;
	char id[16];
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "gone%d", i);
		cr_assert_eq(reg(mkpeer(id, 1, 10 + i, NOW, NOW + 86400),
		    &rep), STATE_OK);
		cr_assert_eq(state_unregister(st, 10 + (uint32_t)i), STATE_OK);
	}
	cr_assert_eq(state_mem_pins(st), 4);
	cr_assert_eq(state_count(st), 0);
	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "live%d", i);
		cr_assert_eq(reg(mkpeer(id, 2, 20 + i, NOW, NOW + 86400),
		    &rep), STATE_OK, "live peer %d refused", i);
	}
	cr_assert_eq(state_count(st), 4);
	cr_assert_eq(reg(mkpeer("gone0", 2, 30, NOW - 1, NOW + 9), &rep),
	    STATE_KEY_MISMATCH, "a pin still holds its key");
	cr_assert_eq(reg(mkpeer("live9", 2, 31, NOW, NOW + 9), &rep),
	    STATE_FULL, "registrations keep their own cap");
}

Test(state, pins_over_budget_drop_the_oldest)
{
	uint32_t rep;
	char id[16];
	int i;

	state_mem_set_max_pins(st, 2);
	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "gone%d", i);
		cr_assert_eq(reg(mkpeer(id, 1, 10 + i, NOW, NOW + 86400),
		    &rep), STATE_OK);
		cr_assert_eq(state_unregister(st, 10 + (uint32_t)i), STATE_OK);
	}
	cr_assert_eq(state_mem_pins(st), 2);
	cr_assert_eq(reg(mkpeer("gone0", 2, 20, NOW - 1, NOW + 9), &rep),
	    STATE_OK, "the oldest pin went");
	cr_assert_eq(reg(mkpeer("gone3", 2, 21, NOW - 1, NOW + 9), &rep),
	    STATE_KEY_MISMATCH, "the newest pin stays");
	cr_assert_eq(state_expire(st, 1000, 1ULL << 62, NOW + 86400, NULL,
	    NULL), 0);
	cr_assert_eq(state_mem_pins(st), 0, "expired pins go");
}

/* Groups ---------------------------------------------------------------- */

static void
collect(const char *name, void *arg)
{
	char *buf = arg;

	strcat(buf, name);
	strcat(buf, ",");
}

static struct state_group
mkgroup(const char *name, int mesh)
{
	struct state_group g;

	memset(&g, 0, sizeof(g));
	snprintf(g.name, sizeof(g.name), "%s", name);
	g.mesh = mesh;
	return g;
}

Test(state, groups_members_in_join_order)
{
	struct state_group g = mkgroup("lobby", 1), out;
	char buf[512] = "";

	cr_assert_eq(state_group_create(st, &g), STATE_OK);
	cr_assert_eq(state_group_create(st, &g), STATE_EXISTS);
	cr_assert_eq(state_member_add(st, "lobby", "carol"), STATE_OK);
	cr_assert_eq(state_member_add(st, "lobby", "alice"), STATE_OK);
	cr_assert_eq(state_member_add(st, "lobby", "bob"), STATE_OK);
	cr_assert_eq(state_member_add(st, "lobby", "alice"), STATE_EXISTS);
	cr_assert_eq(state_member_add(st, "nope", "alice"), STATE_NOT_FOUND);
	cr_assert_eq(state_member_del(st, "lobby", "alice"), STATE_OK);
	cr_assert_eq(state_member_del(st, "lobby", "alice"), STATE_NOT_FOUND);
	cr_assert_eq(state_member_each(st, "lobby", collect, buf), 2);
	cr_assert_str_eq(buf, "carol,bob,");
	cr_assert_eq(state_group_get(st, "lobby", &out), STATE_OK);
	cr_assert_eq(out.nmembers, 2);
	cr_assert(out.mesh);
	cr_assert(state_member_has(st, "lobby", "bob"));
	cr_assert_not(state_member_has(st, "lobby", "alice"));
}

Test(state, destroy_takes_memberships)
{
	struct state_group a = mkgroup("a", 1), b = mkgroup("b", 0);
	char buf[512] = "";

	cr_assert_eq(state_group_create(st, &a), STATE_OK);
	cr_assert_eq(state_group_create(st, &b), STATE_OK);
	cr_assert_eq(state_member_add(st, "a", "alice"), STATE_OK);
	cr_assert_eq(state_member_add(st, "b", "alice"), STATE_OK);
	cr_assert_eq(state_peer_groups(st, "alice", collect, buf), 2);
	cr_assert_eq(state_group_destroy(st, "a"), STATE_OK);
	cr_assert_eq(state_group_destroy(st, "a"), STATE_NOT_FOUND);
	buf[0] = '\0';
	cr_assert_eq(state_peer_groups(st, "alice", collect, buf), 1);
	cr_assert_str_eq(buf, "b,");
	buf[0] = '\0';
	cr_assert_eq(state_group_each(st, collect, buf), 1);
	cr_assert_str_eq(buf, "b,");
}

static char *
tmpfile_path(char *dir, size_t n)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, n, "%s/test_state.XXXXXX", t != NULL ? t : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_lt(ntmpdirs, 16);
	snprintf(tmpdirs[ntmpdirs++], sizeof(tmpdirs[0]), "%s", dir);
	strcat(dir, "/groups");
	return dir;
}

Test(state, groups_persist_round_trip)
{
	struct state *st2;
	struct state_group g = mkgroup("raid-1", 0), out;
	char path[256], err[512], buf[512] = "";

	tmpfile_path(path, sizeof(path));
	cr_assert_eq(state_mem_persist(st, path, err, sizeof(err)), 0, "%s",
	    err);
	snprintf(g.attrs[0].key, sizeof(g.attrs[0].key), "map");
	snprintf(g.attrs[0].value, sizeof(g.attrs[0].value), "dust 2 (v3)");
	g.nattrs = 1;
	cr_assert_eq(state_group_create(st, &g), STATE_OK);
	cr_assert_eq(state_member_add(st, "raid-1", "bob"), STATE_OK);
	cr_assert_eq(state_member_add(st, "raid-1", "alice"), STATE_OK);
	cr_assert_eq(state_sync(st, err, sizeof(err)), STATE_OK, "%s", err);

	cr_assert_not_null(st2 = state_mem_new(4));
	cr_assert_eq(state_mem_persist(st2, path, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_eq(state_group_get(st2, "raid-1", &out), STATE_OK);
	cr_assert_not(out.mesh);
	cr_assert_eq(out.nattrs, 1);
	cr_assert_str_eq(out.attrs[0].key, "map");
	cr_assert_str_eq(out.attrs[0].value, "dust 2 (v3)");
	cr_assert_eq(state_member_each(st2, "raid-1", collect, buf), 2);
	cr_assert_str_eq(buf, "bob,alice,");
	/* A change is written only at the next sync. */
	cr_assert_eq(state_group_destroy(st2, "raid-1"), STATE_OK);
	cr_assert_eq(state_sync(st2, err, sizeof(err)), STATE_OK);
	state_free(st2);
	cr_assert_not_null(st2 = state_mem_new(4));
	cr_assert_eq(state_mem_persist(st2, path, err, sizeof(err)), 0);
	cr_assert_eq(state_group_get(st2, "raid-1", &out), STATE_NOT_FOUND);
	state_free(st2);
}

static void
expect_corrupt(const char *content, const char *want)
{
	struct state *st2;
	char path[256], err[512];
	FILE *f;

	tmpfile_path(path, sizeof(path));
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
	cr_assert_not_null(st2 = state_mem_new(4));
	cr_assert_eq(state_mem_persist(st2, path, err, sizeof(err)), -1,
	    "accepted: %s", content);
	cr_assert(strstr(err, want) != NULL, "error '%s', expected '%s'",
	    err, want);
	cr_assert(strstr(err, path) != NULL, "error '%s' does not name the "
	    "file", err);
	state_free(st2);
}

Test(state, corrupt_groups_file_names_its_line)
{
	expect_corrupt("p2p-groups 1\ngroup a mesh\nmember a bad id!\n",
	    ":3: expected 'member GROUP PEER_ID'");
	expect_corrupt("p2p-groups 2\n", ":1: not a groups file");
	expect_corrupt("p2p-groups 1\ngroup a mesh\nmember b x\n",
	    ":3: does not follow the line of its group");
	expect_corrupt("p2p-groups 1\ngroup a mesh\ngroup a mesh\n",
	    ":3: group defined twice");
	expect_corrupt("p2p-groups 1\ngroup a mesh\nmember a x\nmember a x\n",
	    ":4: member listed twice");
	expect_corrupt("p2p-groups 1\ngroup a mesh\nmember a x", ":3: truncated");
	expect_corrupt("", "empty file");
	expect_corrupt("p2p-groups 1\ngroup a sometimes\n", ":2: expected");
}

Test(state, missing_groups_file_is_a_first_start)
{
	char path[256], err[512];

	tmpfile_path(path, sizeof(path));
	cr_assert_eq(state_mem_persist(st, path, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_eq(state_group_each(st, collect, err), 0);
}
