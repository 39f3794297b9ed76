/* SPDX-License-Identifier: ISC */
/*
 * srv_ctrl.c: CTRL packets of established registrations: open (tag, replay
 * window), unpack the ServerMsg, note ack_push, dispatch requests from a
 * table (answers leave through srv_ctrl_out.c). Group requests go to
 * srv_group.c, which applies the policy.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "candfilter.h"
#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "state_redis.h"
#include "wire.h"

typedef void (*srv_handler)(struct srv *, struct srv_sess *,
    const P2p__Srv__ServerMsg *);

static void
srv_reply_empty(struct srv *s, struct srv_sess *x, uint32_t id)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;

	m.id = id;
	(void)srv_ctrl_send(s, &x->chan, &m, (struct sockaddr *)&x->addr,
	    x->tcp, SRV_PKT_MAX);
}

static void
srv_h_keepalive(struct srv *s, struct srv_sess *x, const P2p__Srv__ServerMsg *m)
{
	P2p__Srv__ServerMsg r = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__KeepaliveAck ka = P2P__SRV__KEEPALIVE_ACK__INIT;
	P2p__Srv__Addr pa = P2P__SRV__ADDR__INIT;
	uint8_t ip[16];

	if (m->keepalive != NULL)
		srv_sess_rtt(x, m->keepalive->rtt_us);
	if (addr_to_pb((struct sockaddr *)&x->addr, &pa, ip) == 0)
		ka.public_addr = &pa;
	r.id = m->id;
	r.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE_ACK;
	r.keepalive_ack = &ka;
	(void)srv_ctrl_send(s, &x->chan, &r, (struct sockaddr *)&x->addr,
	    x->tcp, SRV_PKT_MAX);
}

static void
srv_h_connect(struct srv *s, struct srv_sess *x, const P2p__Srv__ServerMsg *m)
{
	srv_connect(s, x, m->id, m->connect);
}

static void
srv_h_deregister(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	uint32_t reg_id = x->reg_id;

	log_info("peer %s deregistered", x->peer_id);
	srv_reply_empty(s, x, m->id);
	state_unregister_cb(s->state, reg_id, NULL, NULL);
	srv_sess_drop(s, reg_id);	/* x is gone */
}

/* A group request waiting for the state's answer. */
struct srv_group_req {
	struct srv	*srv;
	uint32_t	 reg_id;
	uint32_t	 msg_id;
};

static void
srv_group_answer(enum srv_group_rc rc, const char *msg, void *arg)
{
	struct srv_group_req *q = arg;
	struct srv *s = q->srv;
	struct srv_sess *x = srv_sess_find(s, q->reg_id);
	P2p__Srv__ErrCode code;

	if (x == NULL)
		goto out;	/* the agent went away meanwhile */
	switch (rc) {
	case SRV_GROUP_OK:
		srv_reply_empty(s, x, q->msg_id);
		goto out;
	case SRV_GROUP_NOT_FOUND:
	case SRV_GROUP_NOT_MEMBER:
		code = P2P__SRV__ERR_CODE__ERR_NO_GROUP;
		break;
	case SRV_GROUP_EXISTS:
	case SRV_GROUP_ALREADY:
		code = P2P__SRV__ERR_CODE__ERR_EXISTS;
		break;
	case SRV_GROUP_DENIED:
		code = P2P__SRV__ERR_CODE__ERR_POLICY;
		break;
	case SRV_GROUP_FULL:
	case SRV_GROUP_UNAVAILABLE:
		code = P2P__SRV__ERR_CODE__ERR_BUSY;
		break;
	case SRV_GROUP_INVALID:
	default:
		code = P2P__SRV__ERR_CODE__ERR_MALFORMED;
		break;
	}
	srv_ctrl_error(s, &x->chan, q->msg_id, code, msg,
	    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
out:
	free(q);
}

static void
srv_h_group(struct srv *s, struct srv_sess *x, const P2p__Srv__ServerMsg *m)
{
	struct srv_groups *g = s->groups;
	struct srv_group_req *q;
	enum srv_group_op op;
	struct state_peer me;
	const char *name;

	switch (m->body_case) {
	case P2P__SRV__SERVER_MSG__BODY_GROUP_JOIN:
		op = SRV_GOP_JOIN;
		name = m->group_join->group;
		break;
	case P2P__SRV__SERVER_MSG__BODY_GROUP_LEAVE:
		op = SRV_GOP_LEAVE;
		name = m->group_leave->group;
		break;
	case P2P__SRV__SERVER_MSG__BODY_GROUP_CREATE:
		op = SRV_GOP_CREATE;
		name = m->group_create->group;
		break;
	default:
		op = SRV_GOP_DESTROY;
		name = m->group_destroy->group;
		break;
	}
	if (state_get_reg(s->state, x->reg_id, &me) != STATE_OK)
		return;
	if (g == NULL || (q = calloc(1, sizeof(*q))) == NULL) {
		srv_ctrl_error(s, &x->chan, m->id,
		    P2P__SRV__ERR_CODE__ERR_INTERNAL, "groups are not enabled "
		    "on this server", (struct sockaddr *)&x->addr, x->tcp,
		    SRV_PKT_MAX);
		return;
	}
	q->srv = s;
	q->reg_id = x->reg_id;
	q->msg_id = m->id;
	srv_group_request_cb(g, &me, op, name, srv_now_us(), srv_group_answer,
	    q);
}

/* GroupList: the asker's groups, with as many members as one packet holds. */
#define SRV_LIST_GROUPS	16

struct srv_list_ctx {
	struct srv_groups	*g;
	P2p__Srv__ServerMsg	*m;
	P2p__Srv__GroupListReply *r;
	struct srv_ginfo	 gi[SRV_LIST_GROUPS];
	P2p__Srv__GroupInfo	*infop[SRV_LIST_GROUPS];
	char			(*mem)[P2P_NAME_MAX + 1];
	char			*memp[STATE_GROUP_MEMBERS];
	size_t			 nmem;
	P2p__Srv__GroupInfo	*cur;
};

#define SRV_LIST_ROOM	(SRV_PKT_MAX - CHAN_OVERHEAD - 32)

static void
srv_list_member(const char *peer_id, void *arg)
{
	struct srv_list_ctx *c = arg;

	if (c->r->truncated || c->nmem >= STATE_GROUP_MEMBERS)
		return;
	snprintf(c->mem[c->nmem], sizeof(c->mem[0]), "%s", peer_id);
	c->memp[c->nmem] = c->mem[c->nmem];
	if (c->cur->n_members == 0)
		c->cur->members = &c->memp[c->nmem];
	c->cur->n_members++;
	c->nmem++;
	if (p2p__srv__server_msg__get_packed_size(c->m) > SRV_LIST_ROOM) {
		c->cur->n_members--;
		c->nmem--;
		c->r->truncated = 1;
	}
}

static void
srv_list_group(const char *name, void *arg)
{
	struct srv_list_ctx *c = arg;
	struct state_group sg;
	size_t i = c->r->n_groups;

	if (c->r->truncated || i >= SRV_LIST_GROUPS) {
		c->r->truncated = 1;
		return;
	}
	if (srv_group_show(c->g, name, &sg, NULL, NULL) != SRV_GROUP_OK)
		return;
	srv_ginfo_fill(&c->gi[i], &sg);	/* with its attributes */
	c->infop[i] = &c->gi[i].info;
	c->r->groups = c->infop;
	c->r->n_groups++;
	if (p2p__srv__server_msg__get_packed_size(c->m) > SRV_LIST_ROOM) {
		c->r->n_groups--;
		c->r->truncated = 1;
		return;
	}
	c->cur = &c->gi[i].info;
	(void)srv_group_show(c->g, name, &sg, srv_list_member, c);
}

static void
srv_h_group_list(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	P2p__Srv__ServerMsg r = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupListReply lr = P2P__SRV__GROUP_LIST_REPLY__INIT;
	struct srv_list_ctx *c = NULL;

	if (s->groups == NULL || (c = calloc(1, sizeof(*c))) == NULL ||
	    (c->mem = calloc(STATE_GROUP_MEMBERS, sizeof(*c->mem))) == NULL) {
		free(c);
		srv_ctrl_error(s, &x->chan, m->id,
		    P2P__SRV__ERR_CODE__ERR_INTERNAL, "groups are not "
		    "available", (struct sockaddr *)&x->addr, x->tcp,
		    SRV_PKT_MAX);
		return;
	}
	c->g = s->groups;
	c->m = &r;
	c->r = &lr;
	r.id = m->id;
	r.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_LIST_REPLY;
	r.group_list_reply = &lr;
	(void)state_peer_groups(s->state, x->peer_id, srv_list_group, c);
	(void)srv_ctrl_send(s, &x->chan, &r, (struct sockaddr *)&x->addr,
	    x->tcp, SRV_PKT_MAX);
	free(c->mem);
	free(c);
}

static void
srv_h_path_report(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	srv_path_report(s, x, m->path_report);
}

/* w if it is one of the words in list (NULL-terminated), else "unknown". */
static const char *
srv_nat_word(const char *w, const char *const *list)
{
	for (; *list != NULL; list++)
		if (w != NULL && strcmp(w, *list) == 0)
			return *list;
	return "unknown";
}

/*
 * The port mapping of a NatReport: kept only on the agent's own public
 * IPv4 address (so peers are never sent to probe anyone else), else none.
 * 1 if it changed.
 */
static int
srv_nat_portmap(struct srv *s, struct srv_sess *x, const P2p__Srv__Addr *pa)
{
	struct sockaddr_storage ss;
	struct sockaddr_in pm, *me = (struct sockaddr_in *)&x->addr;
	socklen_t len;

	memset(&pm, 0, sizeof(pm));
	if (pa != NULL && addr_from_pb(pa, &ss, &len) == 0 &&
	    ss.ss_family == AF_INET && me->sin_family == AF_INET &&
	    ((struct sockaddr_in *)&ss)->sin_port != 0 &&
	    ((struct sockaddr_in *)&ss)->sin_addr.s_addr ==
	    me->sin_addr.s_addr)
		memcpy(&pm, &ss, sizeof(pm));
	else if (pa != NULL)
		s->cnt.dropped_malformed++;
	if (memcmp(&pm, &x->portmap, sizeof(pm)) == 0)
		return 0;
	x->portmap = pm;
	return 1;
}

/*
 * Its reflexive address on the other family (STUN to Registered's
 * other_family): the agent's word, kept like its host addresses (of the
 * other family than its registration, one a peer may probe), else none.
 * 1 if it changed.
 */
static int
srv_nat_other(struct srv *s, struct srv_sess *x, const P2p__Srv__Addr *pa)
{
	struct sockaddr_storage ss;
	union srv_addr o;
	socklen_t len;

	memset(&o, 0, sizeof(o));
	if (pa != NULL && addr_from_pb(pa, &ss, &len) == 0 &&
	    ss.ss_family != x->addr.sa.sa_family &&
	    addr_port((struct sockaddr *)&ss) != 0 &&
	    cand_host_ok(pa->ip.data, pa->ip.len))
		memcpy(&o, &ss, addr_len((struct sockaddr *)&ss));
	else if (pa != NULL)
		s->cnt.dropped_malformed++;
	if (memcmp(&o, &x->other, sizeof(o)) == 0)
		return 0;
	x->other = o;
	return 1;
}

/*
 * What x's NatReports said, with its round trip, into the other nodes'
 * views (state_redis_nat): their introductions carry it and time their
 * punching with it (srv_signal.c).
 */
static void
srv_nat_publish(struct srv *s, const struct srv_sess *x)
{
	struct state_peer p;

	if (!state_redis_is(s->state) ||
	    state_get_reg(s->state, x->reg_id, &p) != STATE_OK)
		return;
	p.nat = state_nat_index(x->nat_type);
	p.portmap = x->portmap;
	memset(&p.other, 0, sizeof(p.other));
	if (x->other.sa.sa_family != 0)
		memcpy(&p.other, &x->other, addr_len(&x->other.sa));
	p.rtt_us = x->rtt_us;
	state_redis_nat(s->state, &p);
}

/* NatReport: kept for Introduce and /v1/peers; no reply is expected. */
static void
srv_h_nat_report(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	static const char *const types[] = { "open", "full-cone",
	    "restricted", "port-restricted", "symmetric", "blocked",
	    "unknown", NULL };
	static const char *const behs[] = { "endpoint-independent",
	    "address-dependent", "address-and-port-dependent", "unknown",
	    NULL };
	const P2p__Srv__NatReport *r = m->nat_report;
	const char *was = x->nat_type;
	int moved;

	s->cnt.nat_reports++;
	moved = srv_nat_portmap(s, x, r->portmap_addr);
	moved |= srv_nat_other(s, x, r->other_reflexive);
	x->nat_type = srv_nat_word(r->nat_type, types);
	x->nat_mapping = srv_nat_word(r->nat_mapping, behs);
	x->nat_filtering = srv_nat_word(r->nat_filtering, behs);
	log_debug("%s: nat %s (mapping %s, filtering %s)", x->peer_id,
	    x->nat_type, x->nat_mapping, x->nat_filtering);
	if (strcmp(x->nat_type, was) == 0 && !moved)
		return;
	srv_nat_publish(s, x);
	srv_reintroduce(s, x);
}

static void
srv_h_path_response(struct srv *s, struct srv_sess *x,
    const P2p__Srv__ServerMsg *m)
{
	srv_roam_response(s, x, m->path_response);
}

static const struct {
	P2p__Srv__ServerMsg__BodyCase	 body;
	srv_handler			 fn;
} srv_handlers[] = {
	{ P2P__SRV__SERVER_MSG__BODY_KEEPALIVE, srv_h_keepalive },
	{ P2P__SRV__SERVER_MSG__BODY_CONNECT, srv_h_connect },
	{ P2P__SRV__SERVER_MSG__BODY_DEREGISTER, srv_h_deregister },
	{ P2P__SRV__SERVER_MSG__BODY_GROUP_JOIN, srv_h_group },
	{ P2P__SRV__SERVER_MSG__BODY_GROUP_LEAVE, srv_h_group },
	{ P2P__SRV__SERVER_MSG__BODY_GROUP_CREATE, srv_h_group },
	{ P2P__SRV__SERVER_MSG__BODY_GROUP_DESTROY, srv_h_group },
	{ P2P__SRV__SERVER_MSG__BODY_GROUP_LIST, srv_h_group_list },
	{ P2P__SRV__SERVER_MSG__BODY_PATH_REPORT, srv_h_path_report },
	{ P2P__SRV__SERVER_MSG__BODY_NAT_REPORT, srv_h_nat_report },
	{ P2P__SRV__SERVER_MSG__BODY_MATCH_REQUEST, srv_h_match_request },
	{ P2P__SRV__SERVER_MSG__BODY_MATCH_CANCEL, srv_h_match_cancel },
	{ P2P__SRV__SERVER_MSG__BODY_GROUP_SEARCH, srv_h_group_search },
	{ P2P__SRV__SERVER_MSG__BODY_PATH_RESPONSE, srv_h_path_response },
};

static void
srv_dispatch(struct srv *s, struct srv_sess *x, const P2p__Srv__ServerMsg *m)
{
	size_t i;

	if (m->ack_push != 0)
		srv_push_ack(s, x, m->ack_push);
	if (m->body_case == P2P__SRV__SERVER_MSG__BODY__NOT_SET) {
		if (m->id != 0)	/* a request must ask for something */
			srv_ctrl_error(s, &x->chan, m->id,
			    P2P__SRV__ERR_CODE__ERR_MALFORMED,
			    "request without a body",
			    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
		return;
	}
	for (i = 0; i < sizeof(srv_handlers) / sizeof(srv_handlers[0]); i++)
		if (srv_handlers[i].body == m->body_case) {
			srv_handlers[i].fn(s, x, m);
			return;
		}
	s->cnt.dropped_malformed++;
	srv_ctrl_error(s, &x->chan, m->id, P2P__SRV__ERR_CODE__ERR_MALFORMED,
	    "the server does not accept this message",
	    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
}

void
srv_ctrl_input(struct srv *s, struct srv_sess *x, const uint8_t *pkt,
    size_t len, const struct sockaddr *from, struct srv_tcp *tcp)
{
	P2p__Srv__ServerMsg *m;
	uint8_t pt[SRV_PKT_MAX];
	ssize_t n;

	/* A TCP registration is only spoken for on its own connection. */
	if (x->tcp != tcp) {
		s->cnt.ctrl_auth_fail++;
		return;
	}
	n = ctlchan_open(&x->chan, WIRE_CTRL, pkt, len, pt, sizeof(pt));
	if (n < 0) {
		s->cnt.ctrl_auth_fail++;
		return;
	}
	/* The agent has the channel's keys: no REG_ACCEPT to resend. */
	if (x->accept != NULL) {
		free(x->accept);
		x->accept = NULL;
		x->accept_len = 0;
	}
	/* Authenticated; a new address must prove itself (srv_roam.c). */
	srv_roam_seen(s, x, from, len);
	(void)state_touch(s->state, x->reg_id, (struct sockaddr *)&x->addr,
	    srv_now_us());
	if ((m = p2p__srv__server_msg__unpack(NULL, (size_t)n, pt)) == NULL) {
		s->cnt.dropped_malformed++;
		srv_ctrl_error(s, &x->chan, 0, P2P__SRV__ERR_CODE__ERR_MALFORMED,
		    "cannot decode ServerMsg", (struct sockaddr *)&x->addr, tcp,
		    SRV_PKT_MAX);
		return;
	}
	srv_dispatch(s, x, m);
	p2p__srv__server_msg__free_unpacked(m, NULL);
}
