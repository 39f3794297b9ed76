/* SPDX-License-Identifier: ISC */
/*
 * reg.c: registration with the server and the control channel
 * (PROTOCOL.md §2.1, §2.2).
 *
 * REG_HELLO -> REG_CHALLENGE -> CTRL Register -> Registered. Requests (and
 * the HELLO) are retransmitted after 250 ms, doubling, 5 times; each
 * retransmission is sealed again with a fresh counter, since counters are
 * never reused. A server that never answers makes us "unreachable" and we
 * start over with backoff 1, 2, 4 ... 30 s; one that refuses makes us
 * "rejected" with its message kept for status. Keepalives every
 * keepalive_s; three unanswered, or UNKNOWN_REG, and we register again.
 *
 * The server leg is UDP or TCP (regtcp.c), chosen per registration by
 * --server-transport: auto sends HELLO over UDP and, after REG_TCP_AFTER
 * unanswered tries, over TCP beside it; the first REG_CHALLENGE picks the
 * leg the registration lives on. Every later attempt starts with UDP again,
 * since the network that blocked it may have changed. Direct paths to
 * peers always use the UDP socket; RELAY packets take the server's leg.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "aead.h"
#include "buf.h"
#include "chan.h"
#include "log.h"
#include "reg.h"
#include "server.pb-c.h"
#include "token.h"
#include "wire.h"


/* --- sending ------------------------------------------------------------ */

void
reg_send_pkt(struct reg *r, const uint8_t *p, size_t len)
{
	if (r->use_tcp)
		regtcp_send(r, p, len);
	else if (r->have_srv)
		udp_send(r->a, (struct sockaddr *)&r->srv,
		    addr_len((struct sockaddr *)&r->srv), p, len);
}

static int
reg_seal_send(struct reg *r, const uint8_t *msg, size_t len)
{
	uint8_t pkt[AGENT_UDP_MTU];
	ssize_t n;

	if (!r->chan_ok)
		return -1;
	n = chan_seal(&r->chan, WIRE_CTRL, msg, len, pkt, sizeof(pkt));
	if (n < 0)
		return -1;
	reg_send_pkt(r, pkt, (size_t)n);
	return 0;
}

/* Pack and send one ServerMsg (no retransmission). */
int
reg_send_msg(struct reg *r, P2p__Srv__ServerMsg *m)
{
	uint8_t buf[AGENT_UDP_MTU];
	size_t len;

	len = p2p__srv__server_msg__get_packed_size(m);
	if (len > sizeof(buf) - CHAN_OVERHEAD) {
		log_warnx("%s: control message too big (%zu bytes)", __func__,
		    len);
		return -1;
	}
	p2p__srv__server_msg__pack(m, buf);
	return reg_seal_send(r, buf, len);
}

void
reg_req_free(struct reg_req *q)
{
	TAILQ_REMOVE(&q->r->reqs, q, entry);
	q->r->nreqs--;
	event_free(q->timer);
	free(q->msg);
	free(q);
}

static void
reg_req_timer(evutil_socket_t fd, short what, void *arg)
{
	struct reg_req *q = arg;
	struct reg *r = q->r;
	struct agent *a = r->a;

	if (q->tries >= REG_TRIES) {
		if (q->connect)
			a->hooks.connect_failed(a, q->peer,
			    P2P__IPC__CODE__ERR_TIMEOUT,
			    "the server did not answer the connect request");
		if (q->id == r->register_id) {
			reg_req_free(q);
			r->state = REG_UNREACHABLE;
			snprintf(r->error, sizeof(r->error),
			    "no answer from the server");
			reg_retry_later(r);
		} else
			reg_req_free(q);
		return;
	}
	(void)reg_seal_send(r, q->msg, q->len);
	reg_req_rearm(q);
}

/* The next try of q after this one: the timeout doubles with each. */
void
reg_req_rearm(struct reg_req *q)
{
	reg_timer_in(q->timer, (uint64_t)REG_RTO_US << q->tries);
	q->tries++;
}

/*
 * Queues a request for m (its id set here; peer set for a connect) and
 * sends it at once through fire, its timer's callback, which retransmits
 * it until answered. The request's id, or 0 when too many are pending, m
 * does not fit a packet or memory is short.
 */
uint32_t
reg_req_start(struct reg *r, P2p__Srv__ServerMsg *m, const char *peer,
    event_callback_fn fire)
{
	struct reg_req *q;
	uint32_t id;

	if (r->nreqs >= REG_MAX_PENDING || (q = calloc(1, sizeof(*q))) ==
	    NULL)
		return 0;
	if (++r->next_id == 0)
		r->next_id = 1;
	m->id = id = r->next_id;
	q->r = r;
	q->id = id;
	q->len = p2p__srv__server_msg__get_packed_size(m);
	if (q->len > AGENT_UDP_MTU - CHAN_OVERHEAD ||
	    (q->msg = malloc(q->len)) == NULL ||
	    (q->timer = evtimer_new(r->a->base, fire, q)) == NULL) {
		free(q->msg);
		free(q);
		return 0;
	}
	p2p__srv__server_msg__pack(m, q->msg);
	if (peer != NULL) {
		q->connect = 1;
		snprintf(q->peer, sizeof(q->peer), "%s", peer);
	}
	TAILQ_INSERT_TAIL(&r->reqs, q, entry);
	r->nreqs++;
	fire(-1, 0, q);
	return id;
}

/* Send a request (id set here) and retransmit it until answered. */
static int
reg_request(struct reg *r, P2p__Srv__ServerMsg *m, const char *peer)
{
	return reg_req_start(r, m, peer, reg_req_timer) == 0 ? -1 : 0;
}

static void
reg_clear_reqs(struct reg *r)
{
	struct reg_req *q;

	while ((q = TAILQ_FIRST(&r->reqs)) != NULL) {
		if (q->connect)
			r->a->hooks.connect_failed(r->a, q->peer,
			    P2P__IPC__CODE__ERR_FAILED,
			    "lost the registration with the server");
		reg_req_free(q);
	}
}

/* --- state machine ------------------------------------------------------- */

void
reg_timer_in(struct event *ev, uint64_t us)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(ev, &tv);
}

void
reg_retry_later(struct reg *r)
{
	r->phase = PH_IDLE;
	if (r->chan_ok)
		chan_wipe(&r->chan);
	r->chan_ok = 0;
	evtimer_del(r->ka);
	regtcp_close(r);
	log_debug("registration: next try in %d s", r->backoff);
	reg_timer_in(r->timer, (uint64_t)r->backoff * 1000000);
	r->backoff = r->backoff * 2 > REG_BACKOFF_MAX ? REG_BACKOFF_MAX :
	    r->backoff * 2;
}

/*
 * auto: UDP has not answered, so race a TCP connection against it, with
 * the same HELLO. A connection that cannot even start leaves UDP alone.
 */
static void
reg_try_tcp(struct reg *r)
{
	uint8_t pkt[WIRE_HELLO_LEN];

	if (r->tcp != NULL || wire_hello_build(pkt, sizeof(pkt),
	    r->eph_pk) < 0)
		return;
	log_info("no answer from the server over udp: trying tcp beside it");
	if (regtcp_open(r) == 0)
		regtcp_send(r, pkt, sizeof(pkt));
}

static void
reg_send_hello(struct reg *r)
{
	uint8_t pkt[WIRE_HELLO_LEN];

	if (wire_hello_build(pkt, sizeof(pkt), r->eph_pk) < 0)
		return;
	/* TCP delivers the first one; the timer still bounds the wait. */
	if (!r->use_tcp || r->tries == 0)
		reg_send_pkt(r, pkt, sizeof(pkt));
	if (r->mode == REG_MODE_AUTO && r->tries >= REG_TCP_AFTER)
		reg_try_tcp(r);
	reg_timer_in(r->timer, (uint64_t)REG_RTO_US << r->tries);
	r->tries++;
}

static void
reg_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;

	if (r->phase == PH_HELLO) {
		if (r->tries < REG_TRIES)
			reg_send_hello(r);
		else {
			r->state = REG_UNREACHABLE;
			snprintf(r->error, sizeof(r->error),
			    "no answer from the server");
			reg_retry_later(r);
		}
	} else if (r->phase == PH_IDLE)
		reg_start(r);
}

void
reg_start(struct reg *r)
{
	if (!r->have_srv)
		return;
	reg_clear_reqs(r);
	if (r->chan_ok)
		chan_wipe(&r->chan);
	r->chan_ok = 0;
	r->reg_id = 0;
	r->register_id = 0;
	evtimer_del(r->ka);
	if (r->state != REG_REJECTED && r->state != REG_UNREACHABLE)
		r->state = REG_REGISTERING;
	crypto_kx_keypair(r->eph_pk, r->eph_sk);
	r->phase = PH_HELLO;
	r->tries = 0;
	/* A connection carries one registration: each attempt opens its own. */
	regtcp_close(r);
	r->use_tcp = r->mode == REG_MODE_TCP;
	if (r->use_tcp && regtcp_open(r) == -1) {
		r->state = REG_UNREACHABLE;
		snprintf(r->error, sizeof(r->error), "cannot open a tcp "
		    "connection to the server");
		reg_retry_later(r);
		return;
	}
	reg_send_hello(r);
}

/* Which leg a registration (or its attempt) is using: for status. */
const char *
reg_transport_name(struct agent *a)
{
	return a->reg != NULL && a->reg->use_tcp ? "tcp" : "udp";
}

void
reg_tcp_lost(struct reg *r, const char *why)
{
	/* auto racing TCP against UDP: UDP may still answer. */
	if (!r->use_tcp || r->phase == PH_IDLE)
		return;
	if (r->phase == PH_UP) {
		log_info("registering again: the tcp connection to the server "
		    "ended (%s)", why);
		r->state = REG_REGISTERING;
	} else {
		r->state = REG_UNREACHABLE;
		snprintf(r->error, sizeof(r->error), "tcp to the server: %s",
		    why);
	}
	/* Nothing sent on that connection will be answered. */
	reg_clear_reqs(r);
	evtimer_del(r->timer);
	reg_retry_later(r);
}

static void
reg_keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	struct reg *r = arg;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Keepalive k = P2P__SRV__KEEPALIVE__INIT;

	if (r->ka_missed >= REG_KA_MISSED) {
		log_info("server did not answer %d keepalives: registering "
		    "again", REG_KA_MISSED);
		r->state = REG_REGISTERING;
		reg_start(r);
		return;
	}
	if (++r->next_id == 0)
		r->next_id = 1;
	m.id = r->next_id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE;
	m.keepalive = &k;
	(void)reg_send_msg(r, &m);
	r->ka_missed++;
	reg_timer_in(r->ka, (uint64_t)r->keepalive_s * 1000000);
}

static int
reg_local_addr_ok(const struct sockaddr *sa, unsigned flags)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (!(flags & IFF_UP) || (flags & IFF_LOOPBACK))
		return 0;
	if (sa->sa_family == AF_INET)
		return 1;
	return sa->sa_family == AF_INET6 &&
	    !IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) &&
	    !IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
}

int
reg_local_addrs(struct agent *a, struct sockaddr_storage *out, size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (getifaddrs(&ifa) == -1)
		return 0;
	for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
		if (i->ifa_addr == NULL ||
		    !reg_local_addr_ok(i->ifa_addr, i->ifa_flags))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n], i->ifa_addr, addr_len(i->ifa_addr));
		if (out[n].ss_family == AF_INET)
			((struct sockaddr_in *)&out[n])->sin_port =
			    htons(a->udp_port);
		else
			((struct sockaddr_in6 *)&out[n])->sin6_port =
			    htons(a->udp_port);
		n++;
	}
	freeifaddrs(ifa);
	return (int)n;
}

static void
reg_send_register(struct reg *r, const uint8_t server_eph[32],
    const uint8_t challenge[32])
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Register rg = P2P__SRV__REGISTER__INIT;
	P2p__Srv__Addr pbs[AGENT_MAX_ADDRS], *pbp[AGENT_MAX_ADDRS];
	struct sockaddr_storage ss[AGENT_MAX_ADDRS];
	uint8_t ipbuf[AGENT_MAX_ADDRS][16];
	uint8_t signed_msg[sizeof(REG_SIG_LABEL) - 1 + 96], sig[64];
	struct agent *a = r->a;
	int i, n, k = 0;

	memcpy(signed_msg, REG_SIG_LABEL, sizeof(REG_SIG_LABEL) - 1);
	memcpy(signed_msg + 16, challenge, 32);
	memcpy(signed_msg + 48, r->eph_pk, 32);
	memcpy(signed_msg + 80, server_eph, 32);
	crypto_sign_detached(sig, NULL, signed_msg, sizeof(signed_msg),
	    a->id_sk);
	n = reg_local_addrs(a, ss, AGENT_MAX_ADDRS);
	for (i = 0; i < n; i++) {
		p2p__srv__addr__init(&pbs[k]);
		if (addr_to_pb((struct sockaddr *)&ss[i], &pbs[k],
		    ipbuf[k]) == 0) {
			pbp[k] = &pbs[k];
			k++;
		}
	}
	rg.wire_version = WIRE_VERSION;
	rg.token = a->token;
	rg.identity_key.data = a->id_pk;
	rg.identity_key.len = 32;
	rg.signature.data = sig;
	rg.signature.len = sizeof(sig);
	rg.n_local_addrs = (size_t)k;
	rg.local_addrs = pbp;
	rg.aesni = aead_available(AEAD_AESGCM);
	rg.software = REG_SOFTWARE;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTER;
	m.register_ = &rg;
	r->phase = PH_REGISTER;
	if (reg_request(r, &m, NULL) == -1) {
		log_warnx("%s: cannot send Register", __func__);
		return;
	}
	r->register_id = m.id;
}

static void
reg_challenge_in(struct reg *r, const uint8_t *pkt, size_t len, int tcp)
{
	uint8_t server_eph[32], challenge[32];
	uint32_t pending_id;

	if (r->phase != PH_HELLO || wire_challenge_parse(pkt, len,
	    &pending_id, server_eph, challenge) == -1) {
		r->a->ctr.dropped++;
		return;
	}
	evtimer_del(r->timer);
	/* The first leg to answer carries this registration. */
	if (tcp != r->use_tcp)
		log_info("the server answered over %s first: registering there",
		    tcp ? "tcp" : "udp");
	r->use_tcp = tcp;
	if (!tcp)
		regtcp_close(r);
	if (chan_init_kx_client(&r->chan, r->eph_pk, r->eph_sk, server_eph,
	    pending_id) == -1) {
		r->a->ctr.dropped++;
		reg_retry_later(r);
		return;
	}
	r->chan_ok = 1;
	reg_send_register(r, server_eph, challenge);
}

/*
 * A packet from the server over either leg. Once a registration has a leg,
 * packets from the other one are not about it: a forged UDP UNKNOWN_REG
 * cannot end a TCP registration.
 */
static void
reg_packet(struct reg *r, const uint8_t *pkt, size_t len, int tcp)
{
	struct agent *a = r->a;
	uint8_t sv = 0, rv = 0;
	uint32_t id;

	if (tcp != r->use_tcp && r->phase != PH_HELLO) {
		a->ctr.dropped++;
		return;
	}
	switch (pkt[0]) {
	case WIRE_REG_CHALLENGE:
		reg_challenge_in(r, pkt, len, tcp);
		break;
	case WIRE_CTRL:
		reg_ctrl_in(r, pkt, len);
		break;
	case WIRE_RELAY:
		r->a->hooks.relay_in(r, pkt, len);
		break;
	case WIRE_UNKNOWN_REG:
		if (wire_unknown_reg_parse(pkt, len, &id) == -1 ||
		    r->phase != PH_UP || id != r->reg_id) {
			a->ctr.dropped++;
			break;
		}
		reg_reregister(r, "server does not know our registration");
		break;
	case WIRE_VERSION_ERROR:
		if (wire_version_error_parse(pkt, len, &sv, &rv) == -1) {
			a->ctr.dropped++;
			break;
		}
		log_warnx("server speaks wire version %u, this agent speaks %u",
		    sv, WIRE_VERSION);
		snprintf(r->error, sizeof(r->error), "server speaks wire "
		    "version %u, this agent speaks %u", sv, WIRE_VERSION);
		r->state = REG_REJECTED;
		evtimer_del(r->timer);
		r->backoff = REG_BACKOFF_MAX;
		reg_retry_later(r);
		break;
	default:
		a->ctr.dropped++;
		break;
	}
}

void
reg_input(struct agent *a, const uint8_t *pkt, size_t len,
    const struct sockaddr *src, socklen_t srclen)
{
	struct reg *r = a->reg;

	if (r == NULL || !r->have_srv ||
	    !addr_equal(src, (struct sockaddr *)&r->srv)) {
		a->ctr.dropped++;
		return;
	}
	reg_packet(r, pkt, len, 0);
}

/* The checks udp.c makes on a datagram, for one that came over TCP. */
void
reg_tcp_input(struct reg *r, const uint8_t *pkt, size_t len)
{
	struct agent *a = r->a;
	uint8_t type = 0;

	a->ctr.packets_in++;
	a->ctr.bytes_in += len;
	if (wire_agent_dest(pkt, len, &type) == WIRE_DEST_SERVER)
		reg_packet(r, pkt, len, 1);
	else
		a->ctr.dropped++;
}

static int
reg_mode_parse(const char *s, enum reg_mode *m)
{
	if (s == NULL || strcmp(s, "auto") == 0)
		*m = REG_MODE_AUTO;
	else if (strcmp(s, "udp") == 0)
		*m = REG_MODE_UDP;
	else if (strcmp(s, "tcp") == 0)
		*m = REG_MODE_TCP;
	else
		return -1;
	return 0;
}

/* --- public ---------------------------------------------------------------- */

int
reg_init(struct agent *a)
{
	struct reg *r;
	socklen_t len;
	char err[256];

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	a->reg = r;
	r->a = a;
	r->backoff = 1;
	r->keepalive_s = (uint32_t)a->conf.keepalive_s;
	r->state = REG_REGISTERING;
	TAILQ_INIT(&r->reqs);
	r->timer = evtimer_new(a->base, reg_timer_cb, r);
	r->ka = evtimer_new(a->base, reg_keepalive_cb, r);
	if (r->timer == NULL || r->ka == NULL)
		return -1;
	if (addr_parse(a->conf.server, &r->srv, &len, 3478, err,
	    sizeof(err)) == -1) {
		log_warnx("--server: %s", err);
		return -1;
	}
	addr_normalize(&r->srv);
	if (reg_mode_parse(a->conf.server_transport, &r->mode) == -1) {
		log_warnx("--server-transport: '%s' is not auto, udp or tcp",
		    a->conf.server_transport);
		return -1;
	}
	if (addr_parse(a->conf.server_tcp != NULL ? a->conf.server_tcp :
	    a->conf.server, &r->srv_tcp, &len, addr_port((struct sockaddr *)
	    &r->srv), err, sizeof(err)) == -1) {
		log_warnx("--server-tcp: %s", err);
		return -1;
	}
	r->have_srv = 1;
	reg_start(r);
	return 0;
}

void
reg_free(struct agent *a)
{
	struct reg *r = a->reg;

	if (r == NULL)
		return;
	while (!TAILQ_EMPTY(&r->reqs))
		reg_req_free(TAILQ_FIRST(&r->reqs));
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->ka != NULL)
		event_free(r->ka);
	regtcp_close(r);
	if (r->chan_ok)
		chan_wipe(&r->chan);
	sodium_memzero(r->eph_sk, sizeof(r->eph_sk));
	free(r);
	a->reg = NULL;
}

void
reg_shutdown(struct agent *a)
{
	struct reg *r = a->reg;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Deregister d = P2P__SRV__DEREGISTER__INIT;

	if (r == NULL || r->phase != PH_UP)
		return;
	if (++r->next_id == 0)
		r->next_id = 1;
	m.id = r->next_id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_DEREGISTER;
	m.deregister = &d;
	(void)reg_send_msg(r, &m);
	evtimer_del(r->ka);
	evtimer_del(r->timer);
	while (!TAILQ_EMPTY(&r->reqs))
		reg_req_free(TAILQ_FIRST(&r->reqs));
	r->phase = PH_IDLE;
}

int
reg_connect(struct agent *a, const char *peer_id)
{
	struct reg *r = a->reg;
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__ConnectRequest cr = P2P__SRV__CONNECT_REQUEST__INIT;

	if (r == NULL || r->phase != PH_UP)
		return -1;
	cr.peer_id = (char *)peer_id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_CONNECT;
	m.connect = &cr;
	return reg_request(r, &m, peer_id);
}

enum reg_state
reg_state(struct agent *a)
{
	return a->reg != NULL ? a->reg->state : REG_UNREACHABLE;
}

const char *
reg_state_name(enum reg_state s)
{
	switch (s) {
	case REG_REGISTERED:
		return "registered";
	case REG_UNREACHABLE:
		return "unreachable";
	case REG_REJECTED:
		return "rejected";
	default:
		return "registering";
	}
}

const char *
reg_error(struct agent *a)
{
	return a->reg != NULL ? a->reg->error : "";
}

void
reg_public_addr(struct agent *a, char *buf, size_t len)
{
	if (a->reg == NULL || !a->reg->have_public) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	addr_fmt((struct sockaddr *)&a->reg->public, buf, len);
}
