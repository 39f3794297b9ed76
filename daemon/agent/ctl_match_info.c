/* SPDX-License-Identifier: ISC */
/*
 * ctl_match_info.c: the server's groups as the clients see them: a match
 * group, the groups of a search (PROTOCOL.md §7.1), and the attributes a
 * group carries in `p2pctl group show`. Everything from the server is
 * checked here before a client sees it: names, attributes (match.h's
 * rules) and counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"
#include "match.h"
#include "wire.h"

/* The attributes of one group, ready for an IPC GroupInfo. */
struct ctl_gattrs {
	unsigned		 n;
	struct match_attr	 v[MATCH_ATTRS_MAX];
	P2p__Ipc__Attr		 a[MATCH_ATTRS_MAX];
	P2p__Ipc__Attr		*p[MATCH_ATTRS_MAX];
	uint64_t		 expires_at;
};

/* -1 unless every attribute of a server's group is valid. */
static int
ctl_match_attrs_read(const P2p__Srv__GroupInfo *g, struct match_attr *out,
    unsigned *n)
{
	char	err[160];
	size_t	i;

	*n = 0;
	if (g->n_attributes > MATCH_ATTRS_MAX)
		return -1;
	for (i = 0; i < g->n_attributes; i++) {
		if (g->attributes[i] == NULL ||
		    g->attributes[i]->value == NULL ||
		    match_attr_set(&out[i], g->attributes[i]->key,
		    g->attributes[i]->value, strlen(g->attributes[i]->value),
		    err, sizeof(err)) == -1)
			return -1;
	}
	*n = (unsigned)g->n_attributes;
	return 0;
}

struct ctl_gattrs *
ctl_match_attrs_take(const P2p__Srv__GroupInfo *g)
{
	struct ctl_gattrs	*ga;
	unsigned		 i;

	if (g->n_attributes == 0 && g->expires_at == 0)
		return NULL;
	if ((ga = calloc(1, sizeof(*ga))) == NULL)
		return NULL;
	if (ctl_match_attrs_read(g, ga->v, &ga->n) == -1) {
		log_debug("group %s: the server sent bad attributes", g->name);
		free(ga);
		return NULL;
	}
	for (i = 0; i < ga->n; i++) {
		p2p__ipc__attr__init(&ga->a[i]);
		ga->a[i].key = ga->v[i].key;
		ga->a[i].value = ga->v[i].value;
		ga->p[i] = &ga->a[i];
	}
	ga->expires_at = g->expires_at;
	return ga;
}

void
ctl_match_attrs_put(const struct ctl_gattrs *ga, P2p__Ipc__GroupInfo *gi)
{
	if (ga == NULL)
		return;
	gi->attributes = (P2p__Ipc__Attr **)ga->p;
	gi->n_attributes = ga->n;
	gi->expires_at = ga->expires_at;
}

/* Names and counts of the server's groups, before a client sees them. */
static int
ctl_match_groups_ok(P2p__Srv__GroupInfo *const *sg, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		if (sg[i] == NULL || sg[i]->name == NULL ||
		    !p2p_name_valid(sg[i]->name) ||
		    sg[i]->n_attributes > MATCH_ATTRS_MAX ||
		    sg[i]->n_members > MATCH_SIZE_MAX)
			return 0;
		for (j = 0; j < sg[i]->n_members; j++)
			if (sg[i]->members[j] == NULL ||
			    !p2p_name_valid(sg[i]->members[j]))
				return 0;
	}
	return 1;
}

void
ctl_match_groups_reply(struct ipc_client *c, uint32_t req_id,
    P2p__Srv__GroupInfo *const *sg, size_t n, int truncated)
{
	P2p__Ipc__Response	 r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__GroupResp	 gr = P2P__IPC__GROUP_RESP__INIT;
	P2p__Ipc__GroupInfo	*infos = NULL, **iptrs = NULL;
	P2p__Ipc__GroupMember	*mems = NULL, **mptrs = NULL;
	struct ctl_gattrs	*attrs = NULL;
	size_t			 i, j, nm = 0, total = 0;

	if (c == NULL)
		return;
	if (!ctl_match_groups_ok(sg, n)) {
		ipc_reply(c, req_id, P2P__IPC__CODE__ERR_FAILED,
		    "the server answered with malformed groups");
		return;
	}
	for (i = 0; i < n; i++)
		total += sg[i]->n_members;
	infos = calloc(n + 1, sizeof(*infos));
	iptrs = calloc(n + 1, sizeof(*iptrs));
	attrs = calloc(n + 1, sizeof(*attrs));
	mems = calloc(total + 1, sizeof(*mems));
	mptrs = calloc(total + 1, sizeof(*mptrs));
	if (infos == NULL || iptrs == NULL || attrs == NULL || mems == NULL ||
	    mptrs == NULL) {
		ipc_reply(c, req_id, P2P__IPC__CODE__ERR_FAILED,
		    "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		p2p__ipc__group_info__init(&infos[i]);
		infos[i].name = sg[i]->name;
		infos[i].mesh = sg[i]->mesh;
		infos[i].member_count = sg[i]->member_count;
		infos[i].members = &mptrs[nm];
		for (j = 0; j < sg[i]->n_members; j++) {
			p2p__ipc__group_member__init(&mems[nm]);
			mems[nm].peer_id = sg[i]->members[j];
			mems[nm].online = strcmp(sg[i]->members[j],
			    c->a->peer_id) == 0 ||
			    engine_peer_up(c->a, sg[i]->members[j]);
			mptrs[nm] = &mems[nm];
			nm++;
		}
		infos[i].n_members = sg[i]->n_members;
		if (ctl_match_attrs_read(sg[i], attrs[i].v, &attrs[i].n) ==
		    -1) {
			ipc_reply(c, req_id, P2P__IPC__CODE__ERR_FAILED,
			    "the server sent group %s with bad attributes",
			    sg[i]->name);
			goto out;
		}
		for (j = 0; j < attrs[i].n; j++) {
			p2p__ipc__attr__init(&attrs[i].a[j]);
			attrs[i].a[j].key = attrs[i].v[j].key;
			attrs[i].a[j].value = attrs[i].v[j].value;
			attrs[i].p[j] = &attrs[i].a[j];
		}
		attrs[i].expires_at = sg[i]->expires_at;
		ctl_match_attrs_put(&attrs[i], &infos[i]);
		iptrs[i] = &infos[i];
	}
	gr.groups = iptrs;
	gr.n_groups = n;
	gr.truncated = truncated;
	r.id = req_id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_GROUP;
	r.group = &gr;
	(void)ipc_send_resp(c, &r);
out:
	free(infos);
	free(iptrs);
	free(attrs);
	free(mems);
	free(mptrs);
}

/* An IPC request's attributes under match.h's rules (sorted), or the
 * reason in err. */
int
ctl_match_attrs_in(P2p__Ipc__Attr **in, size_t n, struct match_attr *out,
    unsigned *nout, char *err, size_t errlen)
{
	size_t	i;

	if (n > MATCH_ATTRS_MAX) {
		snprintf(err, errlen, "%zu attributes: at most %d", n,
		    MATCH_ATTRS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (match_attr_set(&out[i], in[i]->key, in[i]->value,
		    strlen(in[i]->value), err, errlen) == -1)
			return -1;
	*nout = (unsigned)n;
	return match_attrs_check(out, *nout, err, errlen);
}
