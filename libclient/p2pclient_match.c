/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_match.c: matchmaking and group search (since 1.2, PROTOCOL.md
 * §7.1). Attributes are "KEY=VALUE" strings; the library checks their form
 * (a name, '=', a value of 1-64 bytes without control characters, at most
 * 8) so a bad one fails here with its name, and the agent applies the
 * rest of the rules (no key twice) with the same wording.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p2pclient_int.h"

#define P2PC_ATTRS_MAX	8
#define P2PC_VALUE_MAX	64
#define P2PC_NAME_MAX	64

struct p2pc_attrs {
	P2p__Ipc__Attr	 a[P2PC_ATTRS_MAX];
	P2p__Ipc__Attr	*p[P2PC_ATTRS_MAX];
	char		 key[P2PC_ATTRS_MAX][P2PC_NAME_MAX + 1];
	size_t		 n;
};

static int
p2pc_attr_one(struct p2pclient *c, const char *kv, struct p2pc_attrs *out)
{
	const char	*eq, *v;
	size_t		 klen, i;

	if (kv == NULL || (eq = strchr(kv, '=')) == NULL)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "attribute '%.80s': "
		    "expected KEY=VALUE", kv != NULL ? kv : "");
	klen = (size_t)(eq - kv);
	if (klen == 0 || klen > P2PC_NAME_MAX)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "attribute '%.80s': "
		    "the key must be 1 to 64 characters of [A-Za-z0-9._-]",
		    kv);
	memcpy(out->key[out->n], kv, klen);
	out->key[out->n][klen] = '\0';
	if (!p2pc_name_ok(out->key[out->n], 0))
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "attribute '%.80s': "
		    "the key must be 1 to 64 characters of [A-Za-z0-9._-]",
		    kv);
	v = eq + 1;
	if (*v == '\0' || strlen(v) > P2PC_VALUE_MAX)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "attribute %s: a value "
		    "of 1 to %d bytes is required", out->key[out->n],
		    P2PC_VALUE_MAX);
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return p2pc_seterr(c, P2PCLIENT_EINVAL, "attribute %s: "
			    "the value holds a control character",
			    out->key[out->n]);
	p2p__ipc__attr__init(&out->a[out->n]);
	out->a[out->n].key = out->key[out->n];
	out->a[out->n].value = (char *)v;
	out->p[out->n] = &out->a[out->n];
	out->n++;
	return 0;
}

static int
p2pc_attrs(struct p2pclient *c, const char *const *kv, size_t n,
    struct p2pc_attrs *out)
{
	size_t	i;
	int	rc;

	out->n = 0;
	if (n > P2PC_ATTRS_MAX)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "%zu attributes: at "
		    "most %d", n, P2PC_ATTRS_MAX);
	if (n > 0 && kv == NULL)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "attributes: NULL");
	for (i = 0; i < n; i++)
		if ((rc = p2pc_attr_one(c, kv[i], out)) != 0)
			return rc;
	return 0;
}

int64_t
p2pclient_match_async(struct p2pclient *c, const char *const *attrs,
    size_t nattrs, uint32_t size, uint32_t timeout_s)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__MatchReq	m = P2P__IPC__MATCH_REQ__INIT;
	struct p2pc_attrs	a;
	int			rc;

	if ((rc = p2pc_attrs(c, attrs, nattrs, &a)) != 0)
		return rc;
	if (size < 2 || size > 32)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "size %u: a match is "
		    "of 2 to 32 devices", size);
	if (timeout_s > 3600)
		return p2pc_seterr(c, P2PCLIENT_EINVAL, "timeout %u s: at "
		    "most 3600", timeout_s);
	m.attributes = a.p;
	m.n_attributes = a.n;
	m.size = size;
	m.timeout_s = timeout_s;
	q.op_case = P2P__IPC__REQUEST__OP_MATCH;
	q.match = &m;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int
p2pclient_match(struct p2pclient *c, const char *const *attrs, size_t nattrs,
    uint32_t size, uint32_t timeout_s, struct p2pclient_groups **out)
{
	struct p2pc_req	*r;
	int		 rc;

	*out = NULL;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pclient_match_async(c, attrs, nattrs, size,
	    timeout_s), &r)) != 0)
		return rc;
	return p2pc_groups_answer(c, r, out);
}

int64_t
p2pclient_match_cancel_async(struct p2pclient *c)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__MatchReq	m = P2P__IPC__MATCH_REQ__INIT;

	m.cancel = 1;
	q.op_case = P2P__IPC__REQUEST__OP_MATCH;
	q.match = &m;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int
p2pclient_match_cancel(struct p2pclient *c)
{
	struct p2pc_req	*r;
	int		 rc;

	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pclient_match_cancel_async(c), &r)) != 0)
		return rc;
	p2pc_req_release(c, r);
	return 0;
}

int64_t
p2pclient_group_search_async(struct p2pclient *c, const char *const *attrs,
    size_t nattrs)
{
	P2p__Ipc__Request	 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__GroupSearchReq s = P2P__IPC__GROUP_SEARCH_REQ__INIT;
	struct p2pc_attrs	 a;
	int			 rc;

	if ((rc = p2pc_attrs(c, attrs, nattrs, &a)) != 0)
		return rc;
	s.attributes = a.p;
	s.n_attributes = a.n;
	q.op_case = P2P__IPC__REQUEST__OP_GROUP_SEARCH;
	q.group_search = &s;
	return p2pc_submit(c, &q, P2PC_ASYNC);
}

int
p2pclient_group_search(struct p2pclient *c, const char *const *attrs,
    size_t nattrs, struct p2pclient_groups **out)
{
	struct p2pc_req	*r;
	int		 rc;

	*out = NULL;
	if ((rc = p2pc_wait_room(c)) != 0 ||
	    (rc = p2pc_call(c, p2pclient_group_search_async(c, attrs,
	    nattrs), &r)) != 0)
		return rc;
	return p2pc_groups_answer(c, r, out);
}
