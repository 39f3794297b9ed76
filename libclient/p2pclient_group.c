/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_group.c: server-managed groups: membership requests, the group
 * list, and group messages (one send per other member, each marked with
 * the group so the receiving agent shows it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pclient_int.h"

static int
p2pc_group_name(struct p2pclient *c, const char *group, int empty_ok)
{
	if (p2pc_name_ok(group, empty_ok))
		return 0;
	return p2pc_seterr(c, P2PCLIENT_EINVAL, "invalid group '%s': use "
	    "1-64 characters of A-Z a-z 0-9 . _ -", group != NULL ? group : "");
}

static int64_t
p2pc_group_req(struct p2pclient *c, P2p__Ipc__GroupOp op, const char *group)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__GroupReq	g = P2P__IPC__GROUP_REQ__INIT;

	g.op = op;
	g.name = (char *)(group != NULL ? group : "");
	q.op_case = P2P__IPC__REQUEST__OP_GROUP;
	q.group = &g;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int64_t
p2pclient_group_async(struct p2pclient *c, int op, const char *group)
{
	static const P2p__Ipc__GroupOp ops[] = {
		[P2PCLIENT_GROUP_CREATE] = P2P__IPC__GROUP_OP__GROUP_CREATE,
		[P2PCLIENT_GROUP_DESTROY] = P2P__IPC__GROUP_OP__GROUP_DESTROY,
		[P2PCLIENT_GROUP_JOIN] = P2P__IPC__GROUP_OP__GROUP_JOIN,
		[P2PCLIENT_GROUP_LEAVE] = P2P__IPC__GROUP_OP__GROUP_LEAVE,
	};

	if (op < P2PCLIENT_GROUP_CREATE || op > P2PCLIENT_GROUP_LEAVE)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "unknown group "
		    "operation %d", op);
	if (p2pc_group_name(c, group, 0))
		return P2PCLIENT_EINVAL;
	return p2pc_group_req(c, ops[op], group);
}

int
p2pclient_group(struct p2pclient *c, int op, const char *group)
{
	struct p2pc_req	*r;
	int		 rc;

	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pclient_group_async(c, op, group), &r)) != 0)
		return rc;
	p2pc_req_release(c, r);
	return 0;
}

void
p2pclient_groups_free(struct p2pclient_groups *gs)
{
	size_t	i, j;

	if (gs == NULL)
		return;
	for (i = 0; i < gs->n; i++) {
		for (j = 0; j < gs->v[i]->nattrs; j++)
			free(gs->v[i]->attrs[j]);
		free(gs->v[i]->attrs);
		for (j = 0; j < gs->v[i]->n; j++) {
			free(gs->v[i]->members[j]->peer_id);
			free(gs->v[i]->members[j]);
		}
		free(gs->v[i]->members);
		free(gs->v[i]->name);
		free(gs->v[i]);
	}
	free(gs->v);
	free(gs);
}

static int
p2pc_group_copy(struct p2pclient_group *g, const P2p__Ipc__GroupInfo *gi)
{
	struct p2pclient_group_member	*m;
	size_t				 j, n;

	g->size = sizeof(*g);
	if ((g->name = strdup(gi->name)) == NULL)
		return -1;
	g->mesh = gi->mesh;
	g->member_count = gi->member_count;
	g->expires_at = gi->expires_at;
	if (gi->n_attributes > 0 && (g->attrs = calloc(gi->n_attributes,
	    sizeof(*g->attrs))) == NULL)
		return -1;
	for (j = 0; j < gi->n_attributes; j++) {
		n = strlen(gi->attributes[j]->key) +
		    strlen(gi->attributes[j]->value) + 2;
		if ((g->attrs[j] = malloc(n)) == NULL)
			return -1;
		g->nattrs++;
		snprintf(g->attrs[j], n, "%s=%s", gi->attributes[j]->key,
		    gi->attributes[j]->value);
	}
	if (gi->n_members == 0)
		return 0;
	if ((g->members = calloc(gi->n_members, sizeof(*g->members))) == NULL)
		return -1;
	for (j = 0; j < gi->n_members; j++) {
		if ((m = calloc(1, sizeof(*m))) == NULL)
			return -1;
		g->members[g->n++] = m;
		m->size = sizeof(*m);
		if ((m->peer_id = strdup(gi->members[j]->peer_id)) == NULL)
			return -1;
		m->online = gi->members[j]->online;
	}
	return 0;
}

int
p2pc_groups_from(const P2p__Ipc__GroupResp *gr, struct p2pclient_groups **out)
{
	struct p2pclient_groups	*gs;
	size_t			 i;

	*out = NULL;
	if ((gs = calloc(1, sizeof(*gs))) == NULL ||
	    (gr->n_groups > 0 && (gs->v = calloc(gr->n_groups,
	    sizeof(*gs->v))) == NULL))
		goto nomem;
	gs->size = sizeof(*gs);
	gs->truncated = gr->truncated;
	for (i = 0; i < gr->n_groups; i++) {
		if ((gs->v[gs->n] = calloc(1, sizeof(**gs->v))) == NULL)
			goto nomem;
		if (p2pc_group_copy(gs->v[gs->n++], gr->groups[i]) == -1)
			goto nomem;
	}
	*out = gs;
	return 0;
nomem:
	p2pclient_groups_free(gs);
	return -1;
}

/* The group answer of a request r (released), into *out. */
int
p2pc_groups_answer(struct p2pclient *c, struct p2pc_req *r,
    struct p2pclient_groups **out)
{
	int	rc = 0;

	if (r->resp->result_case != P2P__IPC__RESPONSE__RESULT_GROUP)
		rc = p2pc_seterr(c, P2PCLIENT_EPROTO, "p2pd answered without "
		    "a group list");
	else if (p2pc_groups_from(r->resp->group, out) == -1)
		rc = p2pc_seterr(c, P2PCLIENT_ENOMEM, "out of memory");
	p2pc_req_release(c, r);
	return rc;
}

int
p2pclient_groups(struct p2pclient *c, const char *group,
    struct p2pclient_groups **out)
{
	struct p2pc_req	*r;
	int		 rc;

	*out = NULL;
	if (group != NULL && p2pc_group_name(c, group, 0))
		return P2PCLIENT_EINVAL;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pc_group_req(c, group != NULL ?
	    P2P__IPC__GROUP_OP__GROUP_SHOW : P2P__IPC__GROUP_OP__GROUP_LIST,
	    group), &r)) != 0)
		return rc;
	return p2pc_groups_answer(c, r, out);
}

int64_t
p2pclient_group_send_async(struct p2pclient *c, const char *peer,
    const char *group, const char *service, const void *data, size_t len,
    int flags)
{
	if (p2pc_group_name(c, group, 0))
		return P2PCLIENT_EINVAL;
	return p2pc_send_chunks(c, peer, service, group, data, len, flags,
	    P2PC_ASYNC);
}

int
p2pclient_group_send(struct p2pclient *c, const char *group,
    const char *service, const void *data, size_t len, int flags,
    size_t *nsent)
{
	struct p2pclient_groups	*gs = NULL;
	struct p2pclient_status	*st = NULL;
	struct p2pc_req		*r;
	size_t			 i;
	int			 rc;

	if (nsent != NULL)
		*nsent = 0;
	if ((rc = p2pclient_status(c, &st)) != 0 ||
	    (rc = p2pclient_groups(c, group, &gs)) != 0)
		goto out;
	if (gs->n != 1 || gs->v[0]->n < gs->v[0]->member_count) {
		rc = p2pc_seterr(c, P2PCLIENT_EFAILED, "the member list of "
		    "group %s is incomplete", group);
		goto out;
	}
	for (i = 0; i < gs->v[0]->n; i++) {
		if (strcmp(gs->v[0]->members[i]->peer_id, st->peer_id) == 0)
			continue;
		if ((rc = p2pc_wait_room(c)) != 0 ||
		    (rc = p2pc_call(c, p2pclient_group_send_async(c,
		    gs->v[0]->members[i]->peer_id, group, service, data, len,
		    flags), &r)) != 0)
			goto out;
		p2pc_req_release(c, r);
		if (nsent != NULL)
			(*nsent)++;
	}
out:
	p2pclient_status_free(st);
	p2pclient_groups_free(gs);
	return rc;
}
