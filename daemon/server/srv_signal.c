/* SPDX-License-Identifier: ISC */
/*
 * srv_signal.c: signalling (PROTOCOL.md §2.2). connect checks that the
 * target is registered and that the policy lets the two talk, records the
 * introduction in the state, and pushes Introduce to both agents (srv_push.c).
 *
 * It also binds the groups (srv_group.c) to the server: their events become
 * GroupEvent pushes, their acknowledgements feed join_complete, their
 * unsharing withdraws introductions, and one timer runs their deadlines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "addr.h"
#include "cluster.h"
#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "state_redis.h"
#include "wire.h"

/*
 * When two agents start punching (PROTOCOL.md §2.7; RakNet's timed
 * punching): T from now, 4 round trips of the slower one
 * (its handshake over the relay is done by then) but at least
 * SRV_PUNCH_MIN_US; each is told T less the half round trip its Introduce
 * takes to arrive, so that both start at the same moment and both first
 * checks leave before either arrives. 0 for both when either round trip is
 * unknown (an agent that does not say it): they then time it themselves.
 *
 * Two agents on this node: their sessions' round trips. An agent on
 * another node of a cluster: the round trips in the view (what each said
 * at its registration or last NatReport, state_redis_nat), for both, so
 * that the two nodes, each pushing to its own agent when the
 * introduction's event reaches it (at about the same moment: one publish
 * to both), compute the same numbers.
 */
#define SRV_PUNCH_MIN_US	100000U
static void
srv_punch_times(struct srv *s, const struct state_peer *a,
    const struct state_peer *b, uint32_t *ta, uint32_t *tb)
{
	struct srv_sess *xa = srv_sess_find(s, a->reg_id);
	struct srv_sess *xb = srv_sess_find(s, b->reg_id);
	uint32_t ra = a->rtt_us, rb = b->rtt_us, t;

	*ta = *tb = 0;
	if (xa != NULL && xb != NULL) {
		ra = xa->rtt_us;
		rb = xb->rtt_us;
	} else if (!state_redis_is(s->state))
		return;
	if (ra == 0 || rb == 0)
		return;
	if (ra > SRV_RTT_MAX_US)
		ra = SRV_RTT_MAX_US;
	if (rb > SRV_RTT_MAX_US)
		rb = SRV_RTT_MAX_US;
	t = 4 * (ra > rb ? ra : rb);
	if (t < SRV_PUNCH_MIN_US)
		t = SRV_PUNCH_MIN_US;
	*ta = t - ra / 2;
	*tb = t - rb / 2;
}

/*
 * Push Introduce{about} to the session of `to`, if it lives on this node;
 * punch_in_us: when `to` starts punching (srv_punch_times), 0: not timed.
 */
static void
srv_introduce(struct srv *s, const struct state_peer *to,
    const struct state_peer *about, int initiator, uint32_t punch_in_us)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Introduce in = P2P__SRV__INTRODUCE__INIT;
	P2p__Srv__Addr pub = P2P__SRV__ADDR__INIT, pm = P2P__SRV__ADDR__INIT;
	P2p__Srv__Addr oth = P2P__SRV__ADDR__INIT;
	uint8_t pm_ip[16], oth_ip[16];
	P2p__Srv__Addr loc[STATE_MAX_LOCAL], *locp[STATE_MAX_LOCAL];
	uint8_t ip[STATE_MAX_LOCAL + 1][16];
	const struct sockaddr_in *pmp;
	struct srv_sess *x, *ax;
	unsigned i, n = 0;

	if ((x = srv_sess_find(s, to->reg_id)) == NULL)
		return;
	in.peer_id = (char *)about->peer_id;
	in.identity_key.data = (uint8_t *)about->identity_key;
	in.identity_key.len = 32;
	/* A TCP registration's source port is no UDP candidate. */
	if (about->transport != STATE_TCP &&
	    addr_to_pb((const struct sockaddr *)&about->public_addr, &pub,
	    ip[STATE_MAX_LOCAL]) == 0)
		in.public_addr = &pub;
	for (i = 0; i < about->nlocal; i++) {
		p2p__srv__addr__init(&loc[n]);
		if (addr_to_pb((const struct sockaddr *)&about->local_addrs[i],
		    &loc[n], ip[n]) == 0) {
			locp[n] = &loc[n];
			n++;
		}
	}
	in.n_local_addrs = n;
	in.local_addrs = locp;
	in.aesni = about->aesni;
	in.initiator = initiator;
	/* RELAY packets to that peer name its registration (§2.6). */
	in.relay_id = about->reg_id;
	in.tcp = about->transport == STATE_TCP;
	in.punch_in_us = punch_in_us;
	/* Its NatReport: from its session here, else from the cluster's
	 * view (state_redis_nat, its other family's address too). */
	if ((ax = srv_sess_find(s, about->reg_id)) != NULL) {
		in.nat_type = (char *)ax->nat_type;
		pmp = &ax->portmap;
		/* Its reflexive address on the other family (NatReport). */
		if (ax->other.sa.sa_family != 0 && addr_to_pb(&ax->other.sa,
		    &oth, oth_ip) == 0)
			in.other_public = &oth;
	} else {
		in.nat_type = (char *)state_nat_type(about->nat);
		pmp = &about->portmap;
		if (about->other.ss_family != 0 && addr_to_pb(
		    (const struct sockaddr *)&about->other, &oth, oth_ip) == 0)
			in.other_public = &oth;
	}
	if (pmp->sin_port != 0 && addr_to_pb((const struct sockaddr *)pmp,
	    &pm, pm_ip) == 0)
		in.portmap_addr = &pm;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_INTRODUCE;
	m.introduce = &in;
	if (srv_push(x, &m) == -1)
		log_warnx("peer %s: cannot push the introduction of %s",
		    to->peer_id, about->peer_id);
}

/* An introduction being written to the state (connect or a mesh join). */
struct srv_intro_op {
	struct srv	*srv;
	char		 a[P2P_NAME_MAX + 1];	/* the initiator */
	char		 b[P2P_NAME_MAX + 1];
	uint32_t	 req_reg;	/* connect: the asker's reg_id */
	uint32_t	 msg_id;
};

static void
srv_intro_reply(struct srv *s, const struct srv_intro_op *op,
    P2p__Srv__ErrCode code, const char *msg)
{
	P2p__Srv__ServerMsg r = P2P__SRV__SERVER_MSG__INIT;
	struct srv_sess *x;

	if (op->req_reg == 0 || (x = srv_sess_find(s, op->req_reg)) == NULL)
		return;
	if (msg != NULL) {
		srv_ctrl_error(s, &x->chan, op->msg_id, code, msg,
		    (struct sockaddr *)&x->addr, x->tcp, SRV_PKT_MAX);
		return;
	}
	r.id = op->msg_id;
	(void)srv_ctrl_send(s, &x->chan, &r, (struct sockaddr *)&x->addr,
	    x->tcp, SRV_PKT_MAX);
}

static void
srv_intro_done(const struct state_result *res, void *arg)
{
	struct srv_intro_op *op = arg;
	struct srv *s = op->srv;
	struct state_peer a, b;
	uint32_t ta, tb;
	char msg[200];

	if (res->rc == STATE_UNAVAILABLE) {
		srv_intro_reply(s, op, P2P__SRV__ERR_CODE__ERR_BUSY,
		    "cluster state unavailable");
	} else if (res->rc != STATE_OK) {
		snprintf(msg, sizeof(msg), "too many introductions for %s or "
		    "%s", op->a, op->b);
		srv_intro_reply(s, op, P2P__SRV__ERR_CODE__ERR_BUSY, msg);
	} else if (state_get(s->state, op->a, &a) != STATE_OK ||
	    state_get(s->state, op->b, &b) != STATE_OK) {
		snprintf(msg, sizeof(msg), "peer %s is not registered", op->b);
		srv_intro_reply(s, op, P2P__SRV__ERR_CODE__ERR_NOT_REGISTERED,
		    msg);
	} else {
		s->cnt.introductions++;
		log_debug("%sintroducing %s and %s", op->req_reg ? "" :
		    "mesh: ", op->a, op->b);
		srv_punch_times(s, &a, &b, &ta, &tb);
		srv_introduce(s, &a, &b, 1, ta);
		srv_introduce(s, &b, &a, 0, tb);
		srv_intro_reply(s, op, 0, NULL);
	}
	free(op);
}

/* Record the introduction of a and b, then push it to both. */
static void
srv_intro_start(struct srv *s, const char *a, const char *b,
    uint32_t req_reg, uint32_t msg_id)
{
	struct srv_intro_op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL) {
		log_warnx("introducing %s and %s: out of memory", a, b);
		return;
	}
	op->srv = s;
	snprintf(op->a, sizeof(op->a), "%s", a);
	snprintf(op->b, sizeof(op->b), "%s", b);
	op->req_reg = req_reg;
	op->msg_id = msg_id;
	state_intro_add_cb(s->state, a, b, srv_intro_done, op);
}

/*
 * Testing knob: the next N connect requests are refused as a cluster node
 * without its state refuses them, so that a test can make a fresh
 * introduction fail at a moment it chooses (reintro.sh). The count lives
 * in the variable itself, which each refusal lowers.
 */
#define SRV_TEST_REFUSE_ENV	"P2P_SERVER_TEST_REFUSE_CONNECT"

static int
srv_test_refuse(void)
{
	const char *e = getenv(SRV_TEST_REFUSE_ENV);
	unsigned long n;
	char left[24];

	if (e == NULL || (n = strtoul(e, NULL, 10)) == 0)
		return 0;
	snprintf(left, sizeof(left), "%lu", n - 1);
	(void)setenv(SRV_TEST_REFUSE_ENV, left, 1);
	log_info("connect request refused (%s: %lu more)",
	    SRV_TEST_REFUSE_ENV, n - 1);
	return 1;
}

void
srv_connect(struct srv *s, struct srv_sess *x, uint32_t id,
    const P2p__Srv__ConnectRequest *req)
{
	struct state_peer me, peer;
	const struct sockaddr *to = (struct sockaddr *)&x->addr;
	char msg[200];
	P2p__Srv__ErrCode code = P2P__SRV__ERR_CODE__ERR_NOT_REGISTERED;

	if (req->peer_id == NULL || !p2p_name_valid(req->peer_id)) {
		srv_ctrl_error(s, &x->chan, id,
		    P2P__SRV__ERR_CODE__ERR_MALFORMED,
		    "connect: not a valid peer id", to, x->tcp, SRV_PKT_MAX);
		return;
	}
	if (state_get_reg(s->state, x->reg_id, &me) != STATE_OK)
		return;
	if (srv_test_refuse()) {
		code = P2P__SRV__ERR_CODE__ERR_BUSY;
		snprintf(msg, sizeof(msg), "cluster state unavailable (%s)",
		    SRV_TEST_REFUSE_ENV);
	} else if (strcmp(req->peer_id, me.peer_id) == 0) {
		code = P2P__SRV__ERR_CODE__ERR_POLICY;
		snprintf(msg, sizeof(msg), "peer %s cannot connect to itself",
		    me.peer_id);
	} else if (state_get(s->state, req->peer_id, &peer) != STATE_OK)
		snprintf(msg, sizeof(msg), "peer %s is not registered",
		    req->peer_id);
	else if (s->policy == SRV_POLICY_GROUPS &&
	    !srv_group_may_talk(s->groups, &me, &peer)) {
		code = P2P__SRV__ERR_CODE__ERR_POLICY;
		snprintf(msg, sizeof(msg), "peers %s and %s share no group",
		    me.peer_id, peer.peer_id);
	} else {
		srv_intro_start(s, me.peer_id, peer.peer_id, x->reg_id, id);
		return;
	}
	srv_ctrl_error(s, &x->chan, id, code, msg, to, x->tcp, SRV_PKT_MAX);
}

static void
srv_withdraw_one(struct srv *s, const char *to_id, const char *about,
    const char *reason)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Withdraw w = P2P__SRV__WITHDRAW__INIT;
	struct state_peer to;
	struct srv_sess *x;

	if (state_get(s->state, to_id, &to) != STATE_OK ||
	    (x = srv_sess_find(s, to.reg_id)) == NULL)
		return;
	w.peer_id = (char *)about;
	w.reason = (char *)reason;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_WITHDRAW;
	m.withdraw = &w;
	(void)srv_push(x, &m);
}

/* Another node introduced a and b: push to those registered here. */
void
srv_introduce_pair(struct srv *s, const char *a, const char *b)
{
	struct state_peer pa, pb;
	uint32_t ta, tb;

	if (state_get(s->state, a, &pa) != STATE_OK ||
	    state_get(s->state, b, &pb) != STATE_OK)
		return;
	srv_punch_times(s, &pa, &pb, &ta, &tb);
	srv_introduce(s, &pa, &pb, 1, ta);
	srv_introduce(s, &pb, &pa, 0, tb);
}

/*
 * x reported a NAT type, port mapping or reflexive address it had not
 * before (PROTOCOL.md §2.7): introduce x again to every peer whose session
 * with it x reports on the relay, so that peer re-plans its punching with
 * what x said, and that peer again to x, both with one start time, so
 * that the round both start then is timed like the first. Those
 * registered on other nodes of a cluster are told by their own node, which
 * learns of the report through Redis (srv_reintroduce_remote), untimed.
 */
void
srv_reintroduce(struct srv *s, struct srv_sess *x)
{
	struct state_peer me, peer;
	uint32_t tm, tp;
	size_t i, n = 0;

	if (state_get_reg(s->state, x->reg_id, &me) != STATE_OK)
		return;
	for (i = 0; i < x->npaths; i++)
		if (x->paths[i].path == SRV_PATH_RELAY &&
		    state_get(s->state, x->paths[i].peer_id, &peer) ==
		    STATE_OK && srv_sess_find(s, peer.reg_id) != NULL) {
			srv_punch_times(s, &me, &peer, &tm, &tp);
			srv_introduce(s, &peer, &me, 0, tp);
			if (tm != 0)
				srv_introduce(s, &me, &peer, 0, tm);
			n++;
		}
	s->cnt.reintroductions += n;
	if (n > 0)
		log_info("peer %s: NAT %s: introduced again to %zu relayed "
		    "peer(s)", x->peer_id, x->nat_type, n);
}

struct srv_reintro {
	struct srv		*s;
	const struct state_peer	*about;
	size_t			 n;
};

/* One introduced peer of ri->about: told if its session is relayed here. */
static void
srv_reintro_one(const char *other_id, void *arg)
{
	struct srv_reintro *ri = arg;
	struct state_peer peer;
	struct srv_sess *y;
	const char *path;

	if (state_get(ri->s->state, other_id, &peer) != STATE_OK ||
	    (y = srv_sess_find(ri->s, peer.reg_id)) == NULL ||
	    (path = srv_path_get(y, ri->about->peer_id)) == NULL ||
	    strcmp(path, "relay") != 0)
		return;
	srv_introduce(ri->s, &peer, ri->about, 0, 0);	/* not timed */
	ri->n++;
}

/*
 * Another node's registration peer_id sent a new NAT report (the view has
 * it): introduce it again to the peers registered here whose sessions with
 * it they report on the relay.
 */
void
srv_reintroduce_remote(struct srv *s, const char *peer_id)
{
	struct state_peer me;
	struct srv_reintro ri = { s, &me, 0 };

	if (state_get(s->state, peer_id, &me) != STATE_OK)
		return;
	(void)state_intro_each(s->state, peer_id, srv_reintro_one, &ri);
	s->cnt.reintroductions += ri.n;
	if (ri.n > 0)
		log_info("peer %s (another node): NAT %s: introduced again to "
		    "%zu relayed peer(s) here", peer_id,
		    state_nat_type(me.nat), ri.n);
}

/* Another node withdrew it: tell those registered here. */
void
srv_withdraw_push(struct srv *s, const char *a, const char *b,
    const char *reason)
{
	srv_withdraw_one(s, a, b, reason);
	srv_withdraw_one(s, b, a, reason);
}

int
srv_withdraw(struct srv *s, const char *a, const char *b, const char *reason)
{
	if (!state_intro_has(s->state, a, b))
		return -1;
	state_intro_del_cb(s->state, a, b, NULL, NULL);
	srv_withdraw_one(s, a, b, reason);
	srv_withdraw_one(s, b, a, reason);
	return 0;
}

/* Groups ---------------------------------------------------------------- */

static void
srv_groups_rearm_cb(void *arg)
{
	struct srv *s = arg;
	uint64_t next, now = srv_now_us(), d;
	struct timeval tv;

	if (s->groups == NULL || s->groups_ev == NULL)
		return;
	if ((next = srv_group_next(s->groups)) == UINT64_MAX) {
		event_del(s->groups_ev);
		return;
	}
	d = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(d / 1000000);
	tv.tv_usec = (suseconds_t)(d % 1000000);
	event_add(s->groups_ev, &tv);
}

static void
srv_groups_timer(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;

	srv_group_tick(s->groups, srv_now_us());
	srv_groups_rearm_cb(arg);
}

/* Push one GroupEvent; the missing list is cut to what one packet holds. */
static uint64_t
srv_groups_push(void *arg, const char *to, const struct srv_group_event *ev)
{
	static const P2p__Srv__GroupEventKind kind[] = {
		[SRV_GEV_MEMBER_JOIN] = P2P__SRV__GROUP_EVENT_KIND__GEV_MEMBER_JOIN,
		[SRV_GEV_MEMBER_LEAVE] =
		    P2P__SRV__GROUP_EVENT_KIND__GEV_MEMBER_LEAVE,
		[SRV_GEV_DESTROYED] =
		    P2P__SRV__GROUP_EVENT_KIND__GEV_GROUP_DESTROYED,
		[SRV_GEV_JOIN_COMPLETE] =
		    P2P__SRV__GROUP_EVENT_KIND__GEV_JOIN_COMPLETE,
	};
	struct srv *s = arg;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupEvent ge = P2P__SRV__GROUP_EVENT__INIT;
	struct state_peer sp;
	struct srv_sess *x;
	size_t room = SRV_PKT_MAX - CHAN_OVERHEAD - 64;

	if (state_get(s->state, to, &sp) != STATE_OK ||
	    (x = srv_sess_find(s, sp.reg_id)) == NULL)
		return 0;
	ge.kind = kind[ev->type];
	ge.group = (char *)ev->group;
	ge.peer_id = (char *)(ev->peer_id ? ev->peer_id : "");
	ge.missing = (char **)ev->missing;
	ge.missing_count = (uint32_t)ev->nmissing;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_EVENT;
	m.group_event = &ge;
	for (ge.n_missing = ev->nmissing; ge.n_missing > 0 &&
	    p2p__srv__server_msg__get_packed_size(&m) > room; ge.n_missing--)
		;
	if (srv_push(x, &m) == -1) {
		log_warnx("peer %s: cannot push a group event", to);
		return 0;
	}
	return (uint64_t)x->reg_id << 32 | m.push_seq;
}

static void
srv_groups_unshare(void *arg, const char *a, const char *b,
    const char *reason)
{
	if (srv_withdraw(arg, a, b, reason) == 0)
		log_info("withdrew the introduction of %s and %s: %s", a, b,
		    reason);
}

/* Mesh: introduce the joiner to a member, as connect would. */
static void
srv_groups_introduce(void *arg, const char *joiner, const char *member)
{
	struct srv *s = arg;
	struct state_peer a, b;

	if (state_get(s->state, joiner, &a) != STATE_OK ||
	    state_get(s->state, member, &b) != STATE_OK ||
	    state_intro_has(s->state, joiner, member))
		return;
	srv_intro_start(s, joiner, member, 0, 0);
}

int
srv_groups_start(struct srv *s, long mesh_max, long join_timeout_s,
    char *err, size_t errlen)
{
	struct srv_group_conf c;
	struct srv_group_io io;
	char path[4096];

	if (s->conf.state_dir != NULL) {
		snprintf(path, sizeof(path), "%s/groups", s->conf.state_dir);
		if (s->cluster != NULL) {
			if (cluster_import(s, path, err, errlen) == -1)
				return -1;
		} else if (state_mem_persist(s->state, path, err, errlen) ==
		    -1)
			return -1;
	}
	memset(&c, 0, sizeof(c));
	c.mesh_max = (size_t)mesh_max;
	c.join_timeout_us = (uint64_t)join_timeout_s * 1000000ULL;
	c.open = s->policy == SRV_POLICY_OPEN;
	memset(&io, 0, sizeof(io));
	io.push = srv_groups_push;
	io.unshare = srv_groups_unshare;
	io.introduce = srv_groups_introduce;
	io.rearm = srv_groups_rearm_cb;
	io.arg = s;
	if ((s->groups_ev = evtimer_new(s->base, srv_groups_timer, s)) ==
	    NULL || (s->groups = srv_group_new(s->state, &c, &io)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void
srv_groups_stop(struct srv *s)
{
	srv_group_free(s->groups);	/* writes what is not written yet */
	s->groups = NULL;
	if (s->groups_ev != NULL)
		event_free(s->groups_ev);
	s->groups_ev = NULL;
}
