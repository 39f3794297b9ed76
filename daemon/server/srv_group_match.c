/* SPDX-License-Identifier: ISC */
/*
 * srv_group_match.c: what groups do for matchmaking (srv_group.h): the
 * member events and sessions of a match group the state made in one step,
 * the end of match groups (their lifetime, or their last member gone), and
 * the search of groups by attributes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "srv_group_int.h"

/*
 * As if the members had joined one by one in their order: member i's
 * member_join goes to members 0..i (its tracker waits for their
 * acknowledgements: join_complete), and i is introduced to 0..i-1 when
 * the group is small enough for a mesh.
 */
void
srv_group_formed(struct srv_groups *g, const char *group, uint64_t now_us)
{
	struct state_group sg;
	struct names mem, prefix;
	size_t i, j;

	if (state_group_get(g->st, group, &sg) != STATE_OK)
		return;		/* destroyed meanwhile */
	names_members(g, group, &mem);
	group_changed(g, now_us);
	prefix = mem;
	for (i = 0; i < mem.n; i++) {
		prefix.n = i + 1;
		track_join(g, group, mem.v[i], &prefix, now_us);
		if (!sg.mesh || mem.n > g->conf.mesh_max)
			continue;
		for (j = 0; j < i; j++)
			g->io.introduce(g->io.arg, mem.v[i], mem.v[j]);
	}
	free(mem.v);
}

static void
expire_done(enum srv_group_rc rc, void *arg)
{
	(void)rc;
	(void)arg;
}

struct expire_ctx {
	struct srv_groups	*g;
	uint64_t		 now_us;
	size_t			 n;
};

static void
expire_one(const char *name, void *arg)
{
	struct expire_ctx *c = arg;

	log_info("group %s: its lifetime is over", name);
	srv_group_destroy_cb(c->g, name, c->now_us, expire_done, NULL);
	c->n++;
}

size_t
srv_group_expire(struct srv_groups *g, uint64_t now_unix, uint64_t now_us)
{
	struct expire_ctx c = { g, now_us, 0 };

	(void)state_groups_expired(g->st, now_unix, expire_one, &c);
	return c.n;
}

/* A match group whose last member left has no more use. */
void
group_left_empty(struct srv_groups *g, const char *group, uint64_t now_us)
{
	struct state_group sg;

	if (state_group_get(g->st, group, &sg) != STATE_OK ||
	    sg.expires_at == 0 || sg.nmembers != 0)
		return;
	log_info("group %s: the last member left", group);
	srv_group_destroy_cb(g, group, now_us, expire_done, NULL);
}

struct search_ctx {
	struct srv_groups		*g;
	const struct state_peer		*me;
	const struct state_attr		*want;
	unsigned			 nwant;
	state_name_cb			 cb;
	void				*arg;
	size_t				 n;
};

static int
search_has(const struct state_group *sg, const struct state_attr *a)
{
	unsigned i;

	for (i = 0; i < sg->nattrs; i++)
		if (strcmp(sg->attrs[i].key, a->key) == 0)
			return strcmp(sg->attrs[i].value, a->value) == 0;
	return 0;
}

static int
search_visible(struct search_ctx *c, const char *name)
{
	unsigned i;

	if (c->me == NULL || c->g->conf.open ||
	    state_member_has(c->g->st, name, c->me->peer_id))
		return 1;
	for (i = 0; i < c->me->ngroups; i++)
		if (strcmp(c->me->groups[i], name) == 0)
			return 1;	/* its token lets it join */
	return 0;
}

static void
search_one(const char *name, void *arg)
{
	struct search_ctx *c = arg;
	struct state_group sg;
	unsigned i;

	if (state_group_get(c->g->st, name, &sg) != STATE_OK ||
	    !search_visible(c, name))
		return;
	for (i = 0; i < c->nwant; i++)
		if (!search_has(&sg, &c->want[i]))
			return;
	c->cb(name, c->arg);
	c->n++;
}

size_t
srv_group_search(struct srv_groups *g, const struct state_peer *me,
    const struct state_attr *want, unsigned nwant, state_name_cb cb,
    void *arg)
{
	struct search_ctx c;

	c.g = g;
	c.me = me;
	c.want = want;
	c.nwant = nwant;
	c.cb = cb;
	c.arg = arg;
	c.n = 0;
	(void)state_group_each(g->st, search_one, &c);
	return c.n;
}
