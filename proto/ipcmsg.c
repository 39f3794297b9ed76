/* SPDX-License-Identifier: ISC */
/*
 * ipcmsg.c: IPC frame header codec and validating pack/unpack of
 * p2p.ipc.Frame (see ipcmsg.h and docs/PROTOCOL.md, "IPC").
 *
 * protobuf-c's unpack is memory safe but does not validate: it accepts
 * frames whose oneofs are unset and strings of any content. Everything a
 * handler relies on is checked here once, so handlers on both sides can
 * switch on the oneof cases and use names without checking again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errf.h"
#include "ipcmsg.h"

#define IPC_MAGIC0	0x50	/* 'P' */
#define IPC_MAGIC1	0x32	/* '2' */
#define IPC_NAME_MAX	64

enum ipc_hdr_status
ipcmsg_hdr_parse(const uint8_t *buf, size_t len, uint32_t *body_len,
    uint8_t *version)
{
	struct rd	r;
	uint8_t		m0, m1, v;
	uint32_t	blen;

	if (len < IPC_HDR_LEN)
		return IPC_HDR_SHORT;
	rd_init(&r, buf, len);
	m0 = rd_u8(&r);
	m1 = rd_u8(&r);
	v = rd_u8(&r);
	(void)rd_u8(&r);	/* reserved: ignored, for later flags */
	blen = rd_u32(&r);
	if (version != NULL)
		*version = v;
	if (body_len != NULL)
		*body_len = blen;
	if (m0 != IPC_MAGIC0 || m1 != IPC_MAGIC1)
		return IPC_HDR_BAD_MAGIC;
	if (v != IPC_VERSION)
		return IPC_HDR_BAD_VERSION;
	if (blen > IPC_MAX_FRAME)
		return IPC_HDR_TOO_BIG;
	return IPC_HDR_OK;
}

void
ipcmsg_hdr_write(uint8_t out[IPC_HDR_LEN], uint32_t body_len)
{
	uint8_t		hdr[IPC_HDR_LEN];
	struct wr	w;

	/* Via a local copy: GCC misreads wr_* writes into array parameters. */
	wr_init(&w, hdr, sizeof(hdr));
	wr_u8(&w, IPC_MAGIC0);
	wr_u8(&w, IPC_MAGIC1);
	wr_u8(&w, IPC_VERSION);
	wr_u8(&w, 0);
	wr_u32(&w, body_len);
	memcpy(out, hdr, sizeof(hdr));
}

const char *
ipcmsg_hdr_strerror(enum ipc_hdr_status st, uint8_t version,
    uint32_t body_len, char *buf, size_t len)
{
	switch (st) {
	case IPC_HDR_OK:
		snprintf(buf, len, "no error");
		break;
	case IPC_HDR_SHORT:
		snprintf(buf, len, "IPC frame header shorter than %d bytes",
		    IPC_HDR_LEN);
		break;
	case IPC_HDR_BAD_MAGIC:
		snprintf(buf, len, "bad IPC magic: not a p2pd IPC stream");
		break;
	case IPC_HDR_BAD_VERSION:
		snprintf(buf, len, "IPC version %u received, this side speaks "
		    "IPC version %d", version, IPC_VERSION);
		break;
	case IPC_HDR_TOO_BIG:
		snprintf(buf, len, "IPC frame of %u bytes is larger than the "
		    "maximum of %d", body_len, IPC_MAX_FRAME);
		break;
	default:
		snprintf(buf, len, "unknown IPC header status %d", (int)st);
		break;
	}
	return buf;
}

uint8_t *
ipcmsg_pack(const P2p__Ipc__Frame *f, size_t *len)
{
	uint8_t	*out;
	size_t	 blen;

	blen = ipcmsg_packed_size(f);
	if (blen > IPC_MAX_FRAME)
		return NULL;
	if ((out = malloc(IPC_HDR_LEN + blen)) == NULL)
		return NULL;
	ipcmsg_pack_into(f, out, blen);
	*len = IPC_HDR_LEN + blen;
	return out;
}

size_t
ipcmsg_packed_size(const P2p__Ipc__Frame *f)
{
	return p2p__ipc__frame__get_packed_size(f);
}

void
ipcmsg_pack_into(const P2p__Ipc__Frame *f, uint8_t *out, size_t blen)
{
	ipcmsg_hdr_write(out, (uint32_t)blen);
	(void)p2p__ipc__frame__pack(f, out + IPC_HDR_LEN);
}

/* Validation: each check returns 0, or -1 with a reason in err. */

int
ipcmsg_name_ok(const char *s, int empty_ok)
{
	size_t	i;

	if (s == NULL)
		return 0;
	if (s[0] == '\0')
		return empty_ok;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= IPC_NAME_MAX)
			return 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	}
	return 1;
}

static int
ipcmsg_check_name(const char *what, const char *s, int empty_ok, char *err,
    size_t errlen)
{
	if (ipcmsg_name_ok(s, empty_ok))
		return 0;
	if (s == NULL || s[0] == '\0')
		return errf(err, errlen, "%s is empty", what);
	return errf(err, errlen, "invalid %s: must be 1-64 characters "
	    "of A-Z a-z 0-9 . _ -", what);
}

static int
ipcmsg_check_chunk(const char *what, size_t len, char *err, size_t errlen)
{
	if (len <= IPC_MAX_CHUNK)
		return 0;
	return errf(err, errlen, "%s chunk of %zu bytes is larger than "
	    "the maximum of %d", what, len, IPC_MAX_CHUNK);
}

#define NAME(what, s)		ipcmsg_check_name(what, s, 0, err, errlen)
#define NAME_OR_EMPTY(what, s)	ipcmsg_check_name(what, s, 1, err, errlen)

static int
ipcmsg_check_group_req(const P2p__Ipc__GroupReq *g, char *err, size_t errlen)
{
	switch (g->op) {
	case P2P__IPC__GROUP_OP__GROUP_LIST:
		return NAME_OR_EMPTY("group", g->name);
	case P2P__IPC__GROUP_OP__GROUP_CREATE:
	case P2P__IPC__GROUP_OP__GROUP_DESTROY:
	case P2P__IPC__GROUP_OP__GROUP_JOIN:
	case P2P__IPC__GROUP_OP__GROUP_LEAVE:
	case P2P__IPC__GROUP_OP__GROUP_SHOW:
		return NAME("group", g->name);
	default:
		return errf(err, errlen, "unknown group operation %d",
		    (int)g->op);
	}
}

/*
 * Attributes: their number bounded and every key a name, every value
 * present and short (PROTOCOL.md §7.1 has the full rules: the agent
 * applies them and answers a bad ticket with ERR_USAGE naming the
 * attribute, rather than closing the client).
 */
#define IPC_ATTRS_MAX	16
#define IPC_VALUE_MAX	64

static int
ipcmsg_check_attrs(P2p__Ipc__Attr **a, size_t n, char *err, size_t errlen)
{
	size_t	i;

	if (n > IPC_ATTRS_MAX)
		return errf(err, errlen, "%zu attributes, more than %d", n,
		    IPC_ATTRS_MAX);
	for (i = 0; i < n; i++) {
		if (a[i] == NULL || a[i]->value == NULL)
			return errf(err, errlen, "empty attribute entry");
		if (NAME("attribute key", a[i]->key) == -1)
			return -1;
		if (strlen(a[i]->value) > IPC_VALUE_MAX)
			return errf(err, errlen, "attribute %s: value longer "
			    "than %d bytes", a[i]->key, IPC_VALUE_MAX);
	}
	return 0;
}

/* Names in a GroupResp, so clients can print them without checking. */
static int
ipcmsg_check_group_resp(const P2p__Ipc__GroupResp *g, char *err,
    size_t errlen)
{
	size_t	i, j;

	for (i = 0; i < g->n_groups; i++) {
		if (g->groups[i] == NULL)
			return errf(err, errlen, "empty group entry");
		if (NAME("group", g->groups[i]->name) == -1 ||
		    ipcmsg_check_attrs(g->groups[i]->attributes,
		    g->groups[i]->n_attributes, err, errlen) == -1)
			return -1;
		for (j = 0; j < g->groups[i]->n_members; j++) {
			if (g->groups[i]->members[j] == NULL)
				return errf(err, errlen,
				    "empty member entry");
			if (NAME("member peer id",
			    g->groups[i]->members[j]->peer_id) == -1)
				return -1;
		}
	}
	return 0;
}

static int
ipcmsg_check_group_event(const P2p__Ipc__GroupEvent *g, char *err,
    size_t errlen)
{
	size_t	i;

	if (g->event == NULL || (strcmp(g->event, "member_join") != 0 &&
	    strcmp(g->event, "member_leave") != 0 &&
	    strcmp(g->event, "group_destroyed") != 0 &&
	    strcmp(g->event, "join_complete") != 0))
		return errf(err, errlen, "unknown group event");
	if (NAME("group", g->group) == -1 ||
	    NAME_OR_EMPTY("peer id", g->peer_id) == -1)
		return -1;
	for (i = 0; i < g->n_missing; i++) {
		if (NAME("missing peer id", g->missing[i]) == -1)
			return -1;
	}
	return 0;
}

static int
ipcmsg_check_request(const P2p__Ipc__Request *q, char *err, size_t errlen)
{
	switch (q->op_case) {
	case P2P__IPC__REQUEST__OP_STATUS:
	case P2P__IPC__REQUEST__OP_PEERS:
	case P2P__IPC__REQUEST__OP_SUBSCRIBE:
	case P2P__IPC__REQUEST__OP_PIPE_ACK:
	case P2P__IPC__REQUEST__OP_PIPE_CLOSE:
	case P2P__IPC__REQUEST__OP_NAT:
		return 0;
	case P2P__IPC__REQUEST__OP_CONNECT:
		return NAME("peer id", q->connect->peer_id);
	case P2P__IPC__REQUEST__OP_DISCONNECT:
		return NAME("peer id", q->disconnect->peer_id);
	case P2P__IPC__REQUEST__OP_SEND:
		if (NAME("peer id", q->send->peer_id) == -1 ||
		    NAME_OR_EMPTY("service", q->send->service) == -1 ||
		    NAME_OR_EMPTY("group", q->send->group) == -1)
			return -1;
		return ipcmsg_check_chunk("send", q->send->data.len, err,
		    errlen);
	case P2P__IPC__REQUEST__OP_BIND:
		return NAME_OR_EMPTY("service", q->bind->service);
	case P2P__IPC__REQUEST__OP_UNBIND:
		return NAME_OR_EMPTY("service", q->unbind->service);
	case P2P__IPC__REQUEST__OP_RECV:
		return NAME_OR_EMPTY("service", q->recv->service);
	case P2P__IPC__REQUEST__OP_RECV_CANCEL:
		return NAME_OR_EMPTY("service", q->recv_cancel->service);
	case P2P__IPC__REQUEST__OP_PING:
		return NAME("peer id", q->ping->peer_id);
	case P2P__IPC__REQUEST__OP_PIPE_OPEN:
		if (NAME("peer id", q->pipe_open->peer_id) == -1)
			return -1;
		return NAME_OR_EMPTY("pipe name", q->pipe_open->name);
	case P2P__IPC__REQUEST__OP_PIPE_WRITE:
		return ipcmsg_check_chunk("pipe write",
		    q->pipe_write->data.len, err, errlen);
	case P2P__IPC__REQUEST__OP_GROUP:
		return ipcmsg_check_group_req(q->group, err, errlen);
	case P2P__IPC__REQUEST__OP_MATCH:
		return ipcmsg_check_attrs(q->match->attributes,
		    q->match->n_attributes, err, errlen);
	case P2P__IPC__REQUEST__OP_GROUP_SEARCH:
		return ipcmsg_check_attrs(q->group_search->attributes,
		    q->group_search->n_attributes, err, errlen);
	default:
		return errf(err, errlen, "request %u has no operation "
		    "(or one this side does not know)", q->id);
	}
}

/* A peer list: the answer to peers, and the PeerStats pushes. */
static int
ipcmsg_check_peers(const P2p__Ipc__PeersResp *pr, char *err, size_t errlen)
{
	size_t	i;

	for (i = 0; i < pr->n_peers; i++) {
		if (pr->peers[i] == NULL)
			return errf(err, errlen, "empty peer entry");
		if (NAME("peer id", pr->peers[i]->peer_id) == -1)
			return -1;
	}
	return 0;
}

static int
ipcmsg_check_response(const P2p__Ipc__Response *p, char *err, size_t errlen)
{
	if (p->result_case == P2P__IPC__RESPONSE__RESULT_GROUP)
		return ipcmsg_check_group_resp(p->group, err, errlen);
	if (p->result_case != P2P__IPC__RESPONSE__RESULT_PEERS)
		return 0;
	return ipcmsg_check_peers(p->peers, err, errlen);
}

static int
ipcmsg_check_event(const P2p__Ipc__Event *e, char *err, size_t errlen)
{
	switch (e->ev_case) {
	case P2P__IPC__EVENT__EV_MESSAGE:
		if (NAME("sender peer id", e->message->from) == -1 ||
		    NAME_OR_EMPTY("service", e->message->service) == -1 ||
		    NAME_OR_EMPTY("group", e->message->group) == -1)
			return -1;
		return ipcmsg_check_chunk("message", e->message->data.len,
		    err, errlen);
	case P2P__IPC__EVENT__EV_PEER_STATE:
		return NAME("peer id", e->peer_state->peer_id);
	case P2P__IPC__EVENT__EV_PIPE_DATA:
		return ipcmsg_check_chunk("pipe data", e->pipe_data->data.len,
		    err, errlen);
	case P2P__IPC__EVENT__EV_PIPE_CLOSED:
		return 0;
	case P2P__IPC__EVENT__EV_GROUP_EVENT:
		return ipcmsg_check_group_event(e->group_event, err, errlen);
	case P2P__IPC__EVENT__EV_PEER_STATS:
		return ipcmsg_check_peers(e->peer_stats, err, errlen);
	default:
		return errf(err, errlen, "event of unknown kind");
	}
}

P2p__Ipc__Frame *
ipcmsg_unpack(const uint8_t *body, size_t len, char *err, size_t errlen)
{
	return ipcmsg_unpack_with(body, len, NULL, err, errlen);
}

P2p__Ipc__Frame *
ipcmsg_unpack_with(const uint8_t *body, size_t len, ProtobufCAllocator *al,
    char *err, size_t errlen)
{
	P2p__Ipc__Frame	*f;
	int		 rc;

	if (len > IPC_MAX_FRAME) {
		errf(err, errlen, "IPC frame of %zu bytes is larger "
		    "than the maximum of %d", len, IPC_MAX_FRAME);
		return NULL;
	}
	f = p2p__ipc__frame__unpack(al, len, body);
	if (f == NULL) {
		errf(err, errlen, "malformed IPC frame (%zu bytes)",
		    len);
		return NULL;
	}
	switch (f->kind_case) {
	case P2P__IPC__FRAME__KIND_REQUEST:
		rc = ipcmsg_check_request(f->request, err, errlen);
		break;
	case P2P__IPC__FRAME__KIND_RESPONSE:
		rc = ipcmsg_check_response(f->response, err, errlen);
		break;
	case P2P__IPC__FRAME__KIND_EVENT:
		rc = ipcmsg_check_event(f->event, err, errlen);
		break;
	default:
		rc = errf(err, errlen, "IPC frame is neither request, "
		    "response nor event");
		break;
	}
	if (rc == -1) {
		ipcmsg_free_with(f, al);
		return NULL;
	}
	return f;
}

void
ipcmsg_free(P2p__Ipc__Frame *f)
{
	ipcmsg_free_with(f, NULL);
}

void
ipcmsg_free_with(P2p__Ipc__Frame *f, ProtobufCAllocator *al)
{
	if (f != NULL)
		p2p__ipc__frame__free_unpacked(f, al);
}
