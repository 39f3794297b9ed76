/* SPDX-License-Identifier: ISC */
/*
 * srv_group.c: server-managed groups (srv_group.h, PROTOCOL.md §7): the
 * operations of the API and of the agents' requests, and the policy.
 *
 * Membership lives in the state (durable). Each operation is a write to the
 * state whose answer comes through a callback (state.h): an operation keeps
 * its arguments in a small context (struct gop) until the state answers,
 * then sends the events, starts the join's tracker (srv_group_track.c) and
 * the mesh introductions, and answers its own caller. On the memory backend
 * all of that happens before the call returns.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "srv_group_int.h"

/* One operation in flight. */
struct gop {
	struct srv_groups	*g;
	gname			 name;
	gname			 peer;
	uint64_t		 now_us;
	struct names		 mem;		/* destroy: the members */
	srv_group_done		 done;
	void			*arg;
	/* srv_group_request: the agent's view, and the steps of a join. */
	enum srv_group_op	 op;
	srv_group_req_done	 req_done;
	int			 created;	/* join made the group */
};

const char *
srv_group_strerror(enum srv_group_rc rc)
{
	switch (rc) {
	case SRV_GROUP_OK:
		return "ok";
	case SRV_GROUP_INVALID:
		return "invalid argument";
	case SRV_GROUP_NOT_FOUND:
		return "no such group";
	case SRV_GROUP_EXISTS:
		return "the group exists";
	case SRV_GROUP_NOT_MEMBER:
		return "not a member";
	case SRV_GROUP_ALREADY:
		return "already a member";
	case SRV_GROUP_DENIED:
		return "not allowed by the policy";
	case SRV_GROUP_FULL:
		return "too many groups or members";
	case SRV_GROUP_UNAVAILABLE:
		return "cluster state unavailable";
	}
	return "?";
}

struct srv_groups *
srv_group_new(struct state *st, const struct srv_group_conf *conf,
    const struct srv_group_io *io)
{
	struct srv_groups *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->st = st;
	g->conf = *conf;
	g->io = *io;
	return g;
}

void
srv_group_free(struct srv_groups *g)
{
	char err[512];

	if (g == NULL)
		return;
	track_free_all(g);
	if (g->sync_due_us != 0 && state_sync(g->st, err, sizeof(err)) !=
	    STATE_OK)
		log_warnx("groups not saved: %s", err);
	free(g);
}

static int
group_name_ok(const char *name)
{
	return name != NULL && p2p_name_valid(name);
}

static struct gop *
gop_new(struct srv_groups *g, const char *name, const char *peer,
    uint64_t now_us, srv_group_done done, void *arg)
{
	struct gop *o;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->g = g;
	snprintf(o->name, sizeof(o->name), "%s", name);
	if (peer != NULL)
		snprintf(o->peer, sizeof(o->peer), "%s", peer);
	o->now_us = now_us;
	o->done = done;
	o->arg = arg;
	return o;
}

static void
gop_finish(struct gop *o, enum srv_group_rc rc)
{
	if (o->done != NULL)
		o->done(rc, o->arg);
	free(o->mem.v);
	free(o);
}

/* A state answer that is not one of the expected ones. */
static enum srv_group_rc
gop_state_rc(enum state_rc rc)
{
	return rc == STATE_UNAVAILABLE ? SRV_GROUP_UNAVAILABLE :
	    SRV_GROUP_FULL;
}

static void
gop_created(const struct state_result *r, void *arg)
{
	struct gop *o = arg;

	if (r->rc == STATE_EXISTS) {
		gop_finish(o, SRV_GROUP_EXISTS);
		return;
	}
	if (r->rc != STATE_OK) {
		gop_finish(o, gop_state_rc(r->rc));
		return;
	}
	group_changed(o->g, o->now_us);
	log_info("group %s created", o->name);
	gop_finish(o, SRV_GROUP_OK);
}

void
srv_group_create_cb(struct srv_groups *g, const char *name,
    const struct state_attr *attrs, unsigned nattrs, int mesh, uint64_t now_us,
    srv_group_done done, void *arg)
{
	struct state_group sg;
	struct gop *o;
	unsigned i;

	if (!group_name_ok(name) || nattrs > STATE_GROUP_ATTRS)
		goto invalid;
	memset(&sg, 0, sizeof(sg));
	snprintf(sg.name, sizeof(sg.name), "%s", name);
	sg.mesh = mesh != 0;
	for (i = 0; i < nattrs; i++) {
		if (!p2p_name_valid(attrs[i].key) ||
		    !state_attr_value_valid(attrs[i].value))
			goto invalid;
		sg.attrs[i] = attrs[i];
	}
	sg.nattrs = nattrs;
	if ((o = gop_new(g, name, NULL, now_us, done, arg)) == NULL) {
		done(SRV_GROUP_FULL, arg);
		return;
	}
	state_group_create_cb(g->st, &sg, gop_created, o);
	return;
invalid:
	done(SRV_GROUP_INVALID, arg);
}

struct unshare_ctx {
	struct srv_groups	*g;
	struct state_peer	 me;
	const char		*group;
};

static void
unshare_one(const char *other, void *arg)
{
	struct unshare_ctx *c = arg;
	struct state_peer o;
	char reason[200];

	if (state_get(c->g->st, other, &o) != STATE_OK ||
	    srv_group_may_talk(c->g, &c->me, &o))
		return;
	snprintf(reason, sizeof(reason), "peers %s and %s no longer share a "
	    "group (%s)", c->me.peer_id, other, c->group);
	c->g->io.unshare(c->g->io.arg, c->me.peer_id, other, reason);
}

/* Policy groups: withdraw the introductions of peer that lost their group. */
static void
group_unshare(struct srv_groups *g, const char *peer, const char *group)
{
	struct unshare_ctx c;

	if (g->conf.open)
		return;
	c.g = g;
	c.group = group;
	if (state_get(g->st, peer, &c.me) != STATE_OK)
		return;		/* not registered: no introductions */
	(void)state_intro_each(g->st, peer, unshare_one, &c);
}

static void
gop_destroyed(const struct state_result *r, void *arg)
{
	struct gop *o = arg;
	struct srv_group_event ev;
	size_t i;

	if (r->rc != STATE_OK) {
		gop_finish(o, r->rc == STATE_NOT_FOUND ? SRV_GROUP_NOT_FOUND :
		    gop_state_rc(r->rc));
		return;
	}
	group_changed(o->g, o->now_us);
	track_drop_group(o->g, o->name);
	memset(&ev, 0, sizeof(ev));
	ev.type = SRV_GEV_DESTROYED;
	ev.group = o->name;
	group_push_all(o->g, &o->mem, &ev);
	group_notify(o->g, &ev);
	for (i = 0; i < o->mem.n; i++)
		group_unshare(o->g, o->mem.v[i], o->name);
	log_info("group %s destroyed", o->name);
	gop_finish(o, SRV_GROUP_OK);
}

void
srv_group_destroy_cb(struct srv_groups *g, const char *name, uint64_t now_us,
    srv_group_done done, void *arg)
{
	struct gop *o;

	if (!group_name_ok(name)) {
		done(SRV_GROUP_INVALID, arg);
		return;
	}
	if ((o = gop_new(g, name, NULL, now_us, done, arg)) == NULL) {
		done(SRV_GROUP_FULL, arg);
		return;
	}
	names_members(g, name, &o->mem);
	state_group_destroy_cb(g->st, name, gop_destroyed, o);
}

static void
gop_joined(const struct state_result *r, void *arg)
{
	struct gop *o = arg;
	struct srv_groups *g = o->g;
	struct state_group sg;
	size_t i;

	if (r->rc != STATE_OK) {
		gop_finish(o, r->rc == STATE_NOT_FOUND ? SRV_GROUP_NOT_FOUND :
		    r->rc == STATE_EXISTS ? SRV_GROUP_ALREADY :
		    gop_state_rc(r->rc));
		return;
	}
	group_changed(g, o->now_us);
	log_debug("group %s: %s joined", o->name, o->peer);
	names_members(g, o->name, &o->mem);
	track_join(g, o->name, o->peer, &o->mem, o->now_us);
	if (state_group_get(g->st, o->name, &sg) == STATE_OK && sg.mesh &&
	    sg.nmembers <= g->conf.mesh_max)
		for (i = 0; i < o->mem.n; i++)
			if (strcmp(o->mem.v[i], o->peer) != 0)
				g->io.introduce(g->io.arg, o->peer,
				    o->mem.v[i]);
	gop_finish(o, SRV_GROUP_OK);
}

void
srv_group_join_cb(struct srv_groups *g, const char *name, const char *peer_id,
    uint64_t now_us, srv_group_done done, void *arg)
{
	struct gop *o;

	if (!group_name_ok(name) || !group_name_ok(peer_id)) {
		done(SRV_GROUP_INVALID, arg);
		return;
	}
	if ((o = gop_new(g, name, peer_id, now_us, done, arg)) == NULL) {
		done(SRV_GROUP_FULL, arg);
		return;
	}
	state_member_add_cb(g->st, name, peer_id, gop_joined, o);
}

static void
gop_left(const struct state_result *r, void *arg)
{
	struct gop *o = arg;
	struct srv_group_event ev;

	if (r->rc != STATE_OK) {
		gop_finish(o, r->rc == STATE_NOT_FOUND ?
		    SRV_GROUP_NOT_MEMBER : gop_state_rc(r->rc));
		return;
	}
	group_changed(o->g, o->now_us);
	log_debug("group %s: %s left", o->name, o->peer);
	names_members(o->g, o->name, &o->mem);
	names_add(o->peer, &o->mem);	/* the leaver learns it too */
	memset(&ev, 0, sizeof(ev));
	ev.type = SRV_GEV_MEMBER_LEAVE;
	ev.group = o->name;
	ev.peer_id = o->peer;
	group_push_all(o->g, &o->mem, &ev);
	group_notify(o->g, &ev);
	track_drop_member(o->g, o->name, o->peer);
	group_unshare(o->g, o->peer, o->name);
	gop_finish(o, SRV_GROUP_OK);
}

void
srv_group_leave_cb(struct srv_groups *g, const char *name,
    const char *peer_id, uint64_t now_us, srv_group_done done, void *arg)
{
	struct state_group sg;
	struct gop *o;

	if (!group_name_ok(name) || !group_name_ok(peer_id)) {
		done(SRV_GROUP_INVALID, arg);
		return;
	}
	if (state_group_get(g->st, name, &sg) != STATE_OK) {
		done(SRV_GROUP_NOT_FOUND, arg);
		return;
	}
	if ((o = gop_new(g, name, peer_id, now_us, done, arg)) == NULL) {
		done(SRV_GROUP_FULL, arg);
		return;
	}
	state_member_del_cb(g->st, name, peer_id, gop_left, o);
}

size_t
srv_group_list(struct srv_groups *g, state_name_cb cb, void *arg)
{
	return state_group_each(g->st, cb, arg);
}

enum srv_group_rc
srv_group_show(struct srv_groups *g, const char *name, struct state_group *out,
    state_name_cb member_cb, void *arg)
{
	if (!group_name_ok(name))
		return SRV_GROUP_INVALID;
	if (state_group_get(g->st, name, out) != STATE_OK)
		return SRV_GROUP_NOT_FOUND;
	if (member_cb != NULL)
		(void)state_member_each(g->st, name, member_cb, arg);
	return SRV_GROUP_OK;
}

static int
token_grants(const struct state_peer *me, const char *group)
{
	unsigned i;

	for (i = 0; i < me->ngroups; i++)
		if (strcmp(me->groups[i], group) == 0)
			return 1;
	return 0;
}

static void
req_finish(struct gop *o, enum srv_group_rc rc)
{
	static const char *const opname[] = { "join", "leave", "create",
	    "destroy" };
	char msg[256];

	msg[0] = '\0';
	if (rc != SRV_GROUP_OK)
		snprintf(msg, sizeof(msg), "group %s: %s: %s", o->name,
		    opname[o->op <= SRV_GOP_DESTROY ? o->op : 0],
		    srv_group_strerror(rc));
	o->req_done(rc, msg, o->arg);
	free(o);
}

static void req_joined(enum srv_group_rc, void *);

/* A join of a missing group created it (or another node did): join now. */
static void
req_created(enum srv_group_rc rc, void *arg)
{
	struct gop *o = arg;

	if (rc != SRV_GROUP_OK && rc != SRV_GROUP_EXISTS) {
		req_finish(o, rc);
		return;
	}
	o->created = 1;
	srv_group_join_cb(o->g, o->name, o->peer, o->now_us, req_joined, o);
}

static void
req_joined(enum srv_group_rc rc, void *arg)
{
	struct gop *o = arg;

	if (rc == SRV_GROUP_NOT_FOUND && !o->created) {
		srv_group_create_cb(o->g, o->name, NULL, 0, 1, o->now_us,
		    req_created, o);
		return;
	}
	req_finish(o, rc);
}

static void
req_done(enum srv_group_rc rc, void *arg)
{
	req_finish(arg, rc);
}

void
srv_group_request_cb(struct srv_groups *g, const struct state_peer *me,
    enum srv_group_op op, const char *name, uint64_t now_us,
    srv_group_req_done done, void *arg)
{
	char msg[256];
	struct gop *o;

	if (!group_name_ok(name)) {
		done(SRV_GROUP_INVALID, "group: not a valid group name", arg);
		return;
	}
	if (!g->conf.open && (op == SRV_GOP_CREATE || op == SRV_GOP_DESTROY)) {
		snprintf(msg, sizeof(msg), "group %s: under policy groups, "
		    "groups are created and destroyed by the server's API",
		    name);
		done(SRV_GROUP_DENIED, msg, arg);
		return;
	}
	if (!g->conf.open && !token_grants(me, name)) {
		snprintf(msg, sizeof(msg), "group %s: the token of peer %s "
		    "does not grant it", name, me->peer_id);
		done(SRV_GROUP_DENIED, msg, arg);
		return;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		done(SRV_GROUP_FULL, "group: out of memory", arg);
		return;
	}
	o->g = g;
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->peer, sizeof(o->peer), "%s", me->peer_id);
	o->now_us = now_us;
	o->op = op;
	o->req_done = done;
	o->arg = arg;
	switch (op) {
	case SRV_GOP_JOIN:
		srv_group_join_cb(g, name, me->peer_id, now_us, req_joined, o);
		break;
	case SRV_GOP_LEAVE:
		srv_group_leave_cb(g, name, me->peer_id, now_us, req_done, o);
		break;
	case SRV_GOP_CREATE:
		srv_group_create_cb(g, name, NULL, 0, 1, now_us, req_done, o);
		break;
	case SRV_GOP_DESTROY:
		srv_group_destroy_cb(g, name, now_us, req_done, o);
		break;
	default:
		req_finish(o, SRV_GROUP_INVALID);
		break;
	}
}

struct share_ctx {
	struct srv_groups	*g;
	const char		*other;
	int			 found;
};

static void
share_check(const char *group, void *arg)
{
	struct share_ctx *c = arg;

	if (!c->found && state_member_has(c->g->st, group, c->other))
		c->found = 1;
}

int
srv_group_may_talk(struct srv_groups *g, const struct state_peer *a,
    const struct state_peer *b)
{
	struct share_ctx c;
	struct state_group sg;
	unsigned i;

	if (g != NULL && g->conf.open)
		return 1;
	/*
	 * A token group counts only while no server-managed group has its
	 * name: once one exists, its member list decides (the token then
	 * only grants the right to join it).
	 */
	for (i = 0; i < a->ngroups; i++)
		if (token_grants(b, a->groups[i]) && (g == NULL ||
		    state_group_get(g->st, a->groups[i], &sg) ==
		    STATE_NOT_FOUND))
			return 1;
	if (g == NULL)
		return 0;
	c.g = g;
	c.other = b->peer_id;
	c.found = 0;
	(void)state_peer_groups(g->st, a->peer_id, share_check, &c);
	return c.found;
}

void
srv_group_set_open(struct srv_groups *g, int open)
{
	if (g != NULL)
		g->conf.open = open;
}
