/* SPDX-License-Identifier: ISC */
/*
 * srv_group.c: server-managed groups (srv_group.h, PROTOCOL.md §7).
 *
 * Membership lives in the state (durable); what is node-local and short-lived
 * lives here: the joins waiting for their member_join pushes to be
 * acknowledged (trackers, capped), and the time of the next state_sync.
 *
 * A join pushes member_join to every member, the joiner included, and keeps
 * a tracker of who has to acknowledge it. When the last connected member
 * acknowledges, or at the join timeout, join_complete goes to every member
 * with the members that did not acknowledge (members without a connected
 * agent are listed at once: they cannot delay it). So a stopped agent delays
 * join_complete by the timeout at most.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "srv_group.h"
#include "wire.h"

typedef char gname[P2P_NAME_MAX + 1];

struct track_ent {
	gname			 peer;
	uint64_t		 cookie;	/* 0: no agent connected */
	int			 acked;
};

struct track {
	gname			 group;
	gname			 joiner;
	uint64_t		 deadline_us;
	struct track_ent	*ents;
	size_t			 n;
	struct track		*next;
};

struct srv_groups {
	struct state		*st;
	struct srv_group_conf	 conf;
	struct srv_group_io	 io;
	struct track		*tracks;	/* oldest first */
	size_t			 ntracks;
	uint64_t		 sync_due_us;	/* 0: nothing to write */
	struct {
		srv_group_observer	 cb;
		void			*arg;
	}			 obs[SRV_GROUP_OBSERVERS];
	size_t			 nobs;
};

/* A growing list of names, for collecting members through callbacks. */
struct names {
	gname			*v;
	size_t			 n, cap;
	int			 oom;
};

static void
names_add(const char *name, void *arg)
{
	struct names *l = arg;
	void *nv;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		if ((nv = realloc(l->v, cap * sizeof(*l->v))) == NULL) {
			l->oom = 1;
			return;
		}
		l->v = nv;
		l->cap = cap;
	}
	snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", name);
}

static void
names_members(struct srv_groups *g, const char *group, struct names *l)
{
	memset(l, 0, sizeof(*l));
	(void)state_member_each(g->st, group, names_add, l);
}

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

int
srv_group_observe(struct srv_groups *g, srv_group_observer cb, void *arg)
{
	if (g->nobs == SRV_GROUP_OBSERVERS)
		return -1;
	g->obs[g->nobs].cb = cb;
	g->obs[g->nobs++].arg = arg;
	return 0;
}

void
srv_group_unobserve(struct srv_groups *g, srv_group_observer cb, void *arg)
{
	size_t i;

	for (i = 0; i < g->nobs; i++)
		if (g->obs[i].cb == cb && g->obs[i].arg == arg) {
			g->obs[i] = g->obs[--g->nobs];
			return;
		}
}

static void
group_notify(struct srv_groups *g, const struct srv_group_event *ev)
{
	size_t i;

	for (i = 0; i < g->nobs; i++)
		g->obs[i].cb(ev, g->obs[i].arg);
}

static void
track_free(struct track *t)
{
	free(t->ents);
	free(t);
}

void
srv_group_free(struct srv_groups *g)
{
	struct track *t;
	char err[512];

	if (g == NULL)
		return;
	while ((t = g->tracks) != NULL) {
		g->tracks = t->next;
		track_free(t);
	}
	if (g->sync_due_us != 0 && state_sync(g->st, err, sizeof(err)) !=
	    STATE_OK)
		log_warnx("groups not saved: %s", err);
	free(g);
}

static void
group_changed(struct srv_groups *g, uint64_t now_us)
{
	if (g->sync_due_us == 0) {
		g->sync_due_us = now_us + SRV_GROUP_SYNC_US;
		if (g->io.rearm != NULL)
			g->io.rearm(g->io.arg);
	}
}

static void
group_push_all(struct srv_groups *g, const struct names *to,
    const struct srv_group_event *ev)
{
	size_t i;

	for (i = 0; i < to->n; i++)
		(void)g->io.push(g->io.arg, to->v[i], ev);
}

/* Send join_complete for t to the group's members now; t is freed. */
static void
track_complete(struct srv_groups *g, struct track *t)
{
	struct srv_group_event ev;
	struct track **tp;
	struct names to;
	const char **missing;
	size_t i, n = 0;

	for (tp = &g->tracks; *tp != NULL; tp = &(*tp)->next)
		if (*tp == t) {
			*tp = t->next;
			g->ntracks--;
			break;
		}
	if ((missing = calloc(t->n + 1, sizeof(*missing))) == NULL) {
		track_free(t);
		return;
	}
	for (i = 0; i < t->n; i++)
		if (!t->ents[i].acked)
			missing[n++] = t->ents[i].peer;
	memset(&ev, 0, sizeof(ev));
	ev.type = SRV_GEV_JOIN_COMPLETE;
	ev.group = t->group;
	ev.peer_id = t->joiner;
	ev.missing = missing;
	ev.nmissing = n;
	if (n > 0)
		log_info("group %s: join of %s complete, %zu member(s) did not "
		    "acknowledge", t->group, t->joiner, n);
	names_members(g, t->group, &to);
	group_push_all(g, &to, &ev);
	group_notify(g, &ev);
	free(to.v);
	free(missing);
	track_free(t);
}

/* Complete t if every connected member acknowledged. */
static void
track_check(struct srv_groups *g, struct track *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->ents[i].cookie != 0 && !t->ents[i].acked)
			return;
	track_complete(g, t);
}

/* Forget the trackers of a group (destroyed). */
static void
track_drop_group(struct srv_groups *g, const char *group)
{
	struct track **tp = &g->tracks, *t;

	while ((t = *tp) != NULL) {
		if (strcmp(t->group, group) == 0) {
			*tp = t->next;
			g->ntracks--;
			track_free(t);
		} else
			tp = &t->next;
	}
}

/* A member left: it no longer has to acknowledge anything in group. */
static void
track_drop_member(struct srv_groups *g, const char *group, const char *peer)
{
	struct track *t, *next;
	size_t i;

	for (t = g->tracks; t != NULL; t = next) {
		next = t->next;
		if (strcmp(t->group, group) != 0)
			continue;
		for (i = 0; i < t->n; i++)
			if (strcmp(t->ents[i].peer, peer) == 0) {
				t->ents[i] = t->ents[--t->n];
				break;
			}
		track_check(g, t);
	}
}

static int
group_name_ok(const char *name)
{
	return name != NULL && p2p_name_valid(name);
}

enum srv_group_rc
srv_group_create(struct srv_groups *g, const char *name,
    const struct state_attr *attrs, unsigned nattrs, int mesh, uint64_t now_us)
{
	struct state_group sg;
	enum state_rc rc;
	unsigned i;

	if (!group_name_ok(name) || nattrs > STATE_GROUP_ATTRS)
		return SRV_GROUP_INVALID;
	memset(&sg, 0, sizeof(sg));
	snprintf(sg.name, sizeof(sg.name), "%s", name);
	sg.mesh = mesh != 0;
	for (i = 0; i < nattrs; i++) {
		if (!p2p_name_valid(attrs[i].key) ||
		    !state_attr_value_valid(attrs[i].value))
			return SRV_GROUP_INVALID;
		sg.attrs[i] = attrs[i];
	}
	sg.nattrs = nattrs;
	if ((rc = state_group_create(g->st, &sg)) == STATE_EXISTS)
		return SRV_GROUP_EXISTS;
	if (rc != STATE_OK)
		return SRV_GROUP_FULL;
	group_changed(g, now_us);
	log_info("group %s created", name);
	return SRV_GROUP_OK;
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

enum srv_group_rc
srv_group_destroy(struct srv_groups *g, const char *name, uint64_t now_us)
{
	struct srv_group_event ev;
	struct names mem;
	size_t i;

	if (!group_name_ok(name))
		return SRV_GROUP_INVALID;
	names_members(g, name, &mem);
	if (state_group_destroy(g->st, name) != STATE_OK) {
		free(mem.v);
		return SRV_GROUP_NOT_FOUND;
	}
	group_changed(g, now_us);
	track_drop_group(g, name);
	memset(&ev, 0, sizeof(ev));
	ev.type = SRV_GEV_DESTROYED;
	ev.group = name;
	group_push_all(g, &mem, &ev);
	group_notify(g, &ev);
	for (i = 0; i < mem.n; i++)
		group_unshare(g, mem.v[i], name);
	free(mem.v);
	log_info("group %s destroyed", name);
	return SRV_GROUP_OK;
}

enum srv_group_rc
srv_group_join(struct srv_groups *g, const char *name, const char *peer_id,
    uint64_t now_us)
{
	struct srv_group_event ev;
	struct state_group sg;
	struct names mem;
	struct track *t;
	enum state_rc rc;
	size_t i;

	if (!group_name_ok(name) || !group_name_ok(peer_id))
		return SRV_GROUP_INVALID;
	if ((rc = state_member_add(g->st, name, peer_id)) == STATE_NOT_FOUND)
		return SRV_GROUP_NOT_FOUND;
	if (rc == STATE_EXISTS)
		return SRV_GROUP_ALREADY;
	if (rc != STATE_OK)
		return SRV_GROUP_FULL;
	group_changed(g, now_us);
	log_debug("group %s: %s joined", name, peer_id);
	names_members(g, name, &mem);
	if (g->ntracks >= SRV_GROUP_TRACK_MAX)
		track_complete(g, g->tracks);	/* the oldest, early */
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->ents = calloc(mem.n + 1, sizeof(*t->ents))) == NULL) {
		free(t);
		t = NULL;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SRV_GEV_MEMBER_JOIN;
	ev.group = name;
	ev.peer_id = peer_id;
	for (i = 0; i < mem.n; i++) {
		uint64_t c = g->io.push(g->io.arg, mem.v[i], &ev);

		if (t != NULL) {
			memcpy(t->ents[t->n].peer, mem.v[i], sizeof(gname));
			t->ents[t->n++].cookie = c;
		}
	}
	group_notify(g, &ev);
	if (state_group_get(g->st, name, &sg) == STATE_OK && sg.mesh &&
	    sg.nmembers <= g->conf.mesh_max)
		for (i = 0; i < mem.n; i++)
			if (strcmp(mem.v[i], peer_id) != 0)
				g->io.introduce(g->io.arg, peer_id, mem.v[i]);
	free(mem.v);
	if (t != NULL) {
		struct track **tp = &g->tracks;

		snprintf(t->group, sizeof(t->group), "%s", name);
		snprintf(t->joiner, sizeof(t->joiner), "%s", peer_id);
		t->deadline_us = now_us + g->conf.join_timeout_us;
		while (*tp != NULL)
			tp = &(*tp)->next;
		*tp = t;
		g->ntracks++;
		if (g->io.rearm != NULL)
			g->io.rearm(g->io.arg);
		track_check(g, t);
	}
	return SRV_GROUP_OK;
}

enum srv_group_rc
srv_group_leave(struct srv_groups *g, const char *name, const char *peer_id,
    uint64_t now_us)
{
	struct srv_group_event ev;
	struct state_group sg;
	struct names mem;

	if (!group_name_ok(name) || !group_name_ok(peer_id))
		return SRV_GROUP_INVALID;
	if (state_group_get(g->st, name, &sg) != STATE_OK)
		return SRV_GROUP_NOT_FOUND;
	if (state_member_del(g->st, name, peer_id) != STATE_OK)
		return SRV_GROUP_NOT_MEMBER;
	group_changed(g, now_us);
	log_debug("group %s: %s left", name, peer_id);
	names_members(g, name, &mem);
	names_add(peer_id, &mem);	/* the leaver learns it too */
	memset(&ev, 0, sizeof(ev));
	ev.type = SRV_GEV_MEMBER_LEAVE;
	ev.group = name;
	ev.peer_id = peer_id;
	group_push_all(g, &mem, &ev);
	group_notify(g, &ev);
	free(mem.v);
	track_drop_member(g, name, peer_id);
	group_unshare(g, peer_id, name);
	return SRV_GROUP_OK;
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

enum srv_group_rc
srv_group_request(struct srv_groups *g, const struct state_peer *me,
    enum srv_group_op op, const char *name, uint64_t now_us, char *msg,
    size_t msglen)
{
	static const char *const opname[] = { "join", "leave", "create",
	    "destroy" };
	enum srv_group_rc rc;

	if (!group_name_ok(name)) {
		snprintf(msg, msglen, "group: not a valid group name");
		return SRV_GROUP_INVALID;
	}
	if (!g->conf.open && (op == SRV_GOP_CREATE || op == SRV_GOP_DESTROY)) {
		snprintf(msg, msglen, "group %s: under policy groups, groups "
		    "are created and destroyed by the server's API", name);
		return SRV_GROUP_DENIED;
	}
	if (!g->conf.open && !token_grants(me, name)) {
		snprintf(msg, msglen, "group %s: the token of peer %s does not "
		    "grant it", name, me->peer_id);
		return SRV_GROUP_DENIED;
	}
	switch (op) {
	case SRV_GOP_JOIN:
		rc = srv_group_join(g, name, me->peer_id, now_us);
		if (rc == SRV_GROUP_NOT_FOUND) {
			rc = srv_group_create(g, name, NULL, 0, 1, now_us);
			if (rc == SRV_GROUP_OK)
				rc = srv_group_join(g, name, me->peer_id,
				    now_us);
		}
		break;
	case SRV_GOP_LEAVE:
		rc = srv_group_leave(g, name, me->peer_id, now_us);
		break;
	case SRV_GOP_CREATE:
		rc = srv_group_create(g, name, NULL, 0, 1, now_us);
		break;
	case SRV_GOP_DESTROY:
		rc = srv_group_destroy(g, name, now_us);
		break;
	default:
		rc = SRV_GROUP_INVALID;
		break;
	}
	if (rc != SRV_GROUP_OK)
		snprintf(msg, msglen, "group %s: %s: %s", name,
		    opname[op <= SRV_GOP_DESTROY ? op : 0],
		    srv_group_strerror(rc));
	return rc;
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
srv_group_acked(struct srv_groups *g, const char *peer_id, uint64_t cookie,
    uint64_t now_us)
{
	struct track *t, *next;
	size_t i;

	(void)now_us;
	if (cookie == 0)
		return;
	for (t = g->tracks; t != NULL; t = next) {
		next = t->next;
		for (i = 0; i < t->n; i++)
			if (t->ents[i].cookie == cookie &&
			    strcmp(t->ents[i].peer, peer_id) == 0) {
				t->ents[i].acked = 1;
				track_check(g, t);
				break;
			}
	}
}

void
srv_group_tick(struct srv_groups *g, uint64_t now_us)
{
	struct track *t, *next;
	char err[512];

	for (t = g->tracks; t != NULL; t = next) {
		next = t->next;
		if (now_us >= t->deadline_us)
			track_complete(g, t);
	}
	if (g->sync_due_us != 0 && now_us >= g->sync_due_us) {
		if (state_sync(g->st, err, sizeof(err)) == STATE_OK)
			g->sync_due_us = 0;
		else {
			log_warnx("groups not saved (trying again): %s", err);
			g->sync_due_us = now_us + 1000000;
		}
	}
}

uint64_t
srv_group_next(struct srv_groups *g)
{
	uint64_t next = g->sync_due_us ? g->sync_due_us : UINT64_MAX;
	struct track *t;

	for (t = g->tracks; t != NULL; t = t->next)
		if (t->deadline_us < next)
			next = t->deadline_us;
	return next;
}

void
srv_group_set_open(struct srv_groups *g, int open)
{
	if (g != NULL)
		g->conf.open = open;
}
