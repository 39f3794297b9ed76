/* SPDX-License-Identifier: ISC */
/*
 * srv_group_track.c: the node-local, short-lived side of groups
 * (srv_group.h): the joins waiting for their member_join pushes to be
 * acknowledged (trackers, capped), join_complete, the observers (the HTTP
 * API's event streams) and the time of the next state_sync.
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
#include "srv_group_int.h"

void
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

void
names_members(struct srv_groups *g, const char *group, struct names *l)
{
	memset(l, 0, sizeof(*l));
	(void)state_member_each(g->st, group, names_add, l);
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

void
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
group_changed(struct srv_groups *g, uint64_t now_us)
{
	if (g->sync_due_us == 0) {
		g->sync_due_us = now_us + SRV_GROUP_SYNC_US;
		if (g->io.rearm != NULL)
			g->io.rearm(g->io.arg);
	}
}

void
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
void
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
void
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

void
track_join(struct srv_groups *g, const char *group, const char *joiner,
    const struct names *mem, uint64_t now_us)
{
	struct srv_group_event ev;
	struct track *t, **tp;
	size_t i;

	if (g->ntracks >= SRV_GROUP_TRACK_MAX)
		track_complete(g, g->tracks);	/* the oldest, early */
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->ents = calloc(mem->n + 1, sizeof(*t->ents))) == NULL) {
		free(t);
		t = NULL;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = SRV_GEV_MEMBER_JOIN;
	ev.group = group;
	ev.peer_id = joiner;
	for (i = 0; i < mem->n; i++) {
		uint64_t c = g->io.push(g->io.arg, mem->v[i], &ev);

		if (t != NULL) {
			memcpy(t->ents[t->n].peer, mem->v[i], sizeof(gname));
			t->ents[t->n++].cookie = c;
		}
	}
	group_notify(g, &ev);
	if (t == NULL)
		return;
	snprintf(t->group, sizeof(t->group), "%s", group);
	snprintf(t->joiner, sizeof(t->joiner), "%s", joiner);
	t->deadline_us = now_us + g->conf.join_timeout_us;
	for (tp = &g->tracks; *tp != NULL; tp = &(*tp)->next)
		;
	*tp = t;
	g->ntracks++;
	if (g->io.rearm != NULL)
		g->io.rearm(g->io.arg);
	track_check(g, t);
}

void
track_free_all(struct srv_groups *g)
{
	struct track *t;

	while ((t = g->tracks) != NULL) {
		g->tracks = t->next;
		track_free(t);
	}
	g->ntracks = 0;
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
srv_group_remote(struct srv_groups *g, enum srv_group_ev type,
    const char *group, const char *peer_id)
{
	struct srv_group_event ev;
	struct names to;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.group = group;
	ev.peer_id = peer_id;
	names_members(g, group, &to);
	if (type == SRV_GEV_MEMBER_LEAVE && peer_id != NULL)
		names_add(peer_id, &to);	/* the leaver learns it too */
	group_push_all(g, &to, &ev);	/* reaches this node's agents */
	group_notify(g, &ev);
	if (type == SRV_GEV_MEMBER_LEAVE && peer_id != NULL)
		track_drop_member(g, group, peer_id);
	else if (type == SRV_GEV_DESTROYED)
		track_drop_group(g, group);
	free(to.v);
}
