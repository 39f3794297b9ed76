/* SPDX-License-Identifier: ISC */
/*
 * route.c: which way a session's packets go (PROTOCOL.md §2.6, §2.7).
 *
 * Every session starts on the server relay: the handshake and the first
 * data go there, so a session is usable one relay round trip after the
 * introduction. Meanwhile the path selector (core path.c) checks the
 * peer's candidates with PATH_CHALLENGE packets, sent on our own UDP
 * socket; a PATH_RESPONSE (sealed with the session's keys, so only the peer
 * can make it) validates a direct path, and traffic moves there. When the
 * direct path goes quiet, traffic returns to the relay and punching is
 * tried again later. The transport sees one packet number space across
 * paths (PATH_* packets take counters the transport never acknowledges),
 * so a switch loses, duplicates and reorders nothing; its RTT and
 * congestion state are reset for the new path.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "engine.h"
#include "guard.h"
#include "log.h"
#include "path.h"
#include "peer.h"
#include "portmap.h"
#include "session.h"
#include "wire.h"

static void	route_lossless(struct session *);
static void	route_replan_at(struct session *, const char *, uint64_t);

/*
 * Our own re-plan waits this long for the server's fresh introductions
 * when it times the rounds (route_replan).
 */
#define ROUTE_REPLAN_WAIT_US	1000000ULL

static int
route_symmetric(const char *t)
{
	return strcmp(t, "symmetric") == 0;
}

/* A NAT that maps endpoint-independently (or none): the easy side. */
static int
route_cone(const char *t)
{
	return strcmp(t, "open") == 0 || strcmp(t, "full-cone") == 0 ||
	    strcmp(t, "restricted") == 0 || strcmp(t, "port-restricted") == 0;
}

/*
 * Choose the method from both NAT types (ours tested, the peer's reported).
 * Called again whenever one of them becomes known or changes: a session
 * introduced before the classification finished starts without the
 * birthday method and gets it here. 1 if the method changed.
 */
static int
route_strategy(struct session *s)
{
	const char *mine = nat_type(s->a), *theirs = s->p->nat_type;
	enum path_spray_role was = s->rt.path.spray, role = PATH_SPRAY_NONE;
	struct portmap_info pm;
	int tcp_here;

	if (!s->rt.path.cfg.enabled)
		return 0;
	/* No UDP, no punching: say which side (path_detail). */
	tcp_here = strcmp(reg_transport_name(s->a), "tcp") == 0;
	if (tcp_here || s->p->peer_tcp) {
		snprintf(s->rt.path.why, sizeof(s->rt.path.why), "%s the "
		    "server over TCP (UDP blocked or off): the relay carries the "
		    "session", !s->p->peer_tcp ? "this side reaches" :
		    tcp_here ? "both sides reach" : "the peer reaches");
		return 0;
	}
	if (!s->p->have_pub)
		return 0;
	if (route_symmetric(mine) && route_symmetric(theirs))
		/* The birthday method needs one side that maps
		 * endpoint-independently; a port mapping on either side is
		 * checked like any candidate. */
		snprintf(s->rt.path.why, sizeof(s->rt.path.why), "%s",
		    s->p->portmap.sin_port != 0 || natmap_get(s->a, &pm) == 0 ?
		    "both sides behind symmetric NATs: checking the port "
		    "mapping" : "both sides behind symmetric NATs and no port "
		    "mapping from either router: the relay carries the "
		    "session");
	else if (route_symmetric(mine) && route_cone(theirs))
		role = PATH_SPRAY_HARD;
	else if (route_cone(mine) && route_symmetric(theirs))
		role = PATH_SPRAY_EASY;
	/* Birthday probes go only to the peer's validated reflexive IP, and
	 * never to one of our networks (guard_send.c). */
	if (role != PATH_SPRAY_NONE && !guard_spray(s->a, s)) {
		snprintf(s->rt.path.why, sizeof(s->rt.path.why), "the peer's "
		    "public address may not be probed (loopback, reserved or "
		    "one of this host's networks): no birthday method");
		role = PATH_SPRAY_NONE;
	}
	if (role == PATH_SPRAY_NONE) {
		s->rt.path.spray = PATH_SPRAY_NONE;
		return was != PATH_SPRAY_NONE;
	}
	if (role == was)
		return 0;
	path_spray(&s->rt.path, role, (struct sockaddr *)&s->p->pub);
	if (s->rt.path.spray != PATH_SPRAY_NONE)
		log_info("%s: %s NAT here, %s there: birthday method (%s side)",
		    s->p->id, mine, theirs,
		    s->rt.path.spray == PATH_SPRAY_HARD ? "symmetric" : "cone");
	return s->rt.path.spray != was;
}

/*
 * The peer's introduced addresses as candidates, in the order they are
 * checked: its interfaces, the port its router mapped for it (reachable
 * whatever its NAT type), its reflexive address on its other IP family,
 * and last its public address when the server saw one. Known ones are
 * ignored.
 */
static void
route_candidates(struct session *s)
{
	const struct sockaddr *pm = (const struct sockaddr *)&s->p->portmap;
	size_t i;

	/* Never loopback, link-local, multicast..., nor our own LAN for a
	 * peer that is not on it (guard_send.c). */
	for (i = 0; i < s->p->nhost; i++)
		if (guard_cand(s->a, s, &s->p->addrs[i].sa))
			(void)path_add(&s->rt.path, &s->p->addrs[i].sa,
			    PATH_CAND_HOST, agent_now());
	if (s->p->portmap.sin_port != 0 && guard_cand(s->a, s, pm))
		(void)path_add(&s->rt.path, pm, PATH_CAND_MAPPED, agent_now());
	for (; i < s->p->naddrs; i++)
		if (guard_cand(s->a, s, &s->p->addrs[i].sa))
			(void)path_add(&s->rt.path, &s->p->addrs[i].sa,
			    PATH_CAND_SRFLX, agent_now());
}

void
route_init(struct session *s, const struct sockaddr *src)
{
	struct agent_conf *conf = &s->a->conf;
	struct path_cfg cfg;

	memset(&s->rt, 0, sizeof(s->rt));
	s->rt.have_remote = src != NULL;
	if (src != NULL)
		memcpy(&s->rt.remote, src, addr_len(src));
	path_cfg_default(&cfg);
	cfg.enabled = !conf->no_direct;
	cfg.keepalive_us = (uint64_t)conf->keepalive_s * 1000000;
	cfg.spray_sockets = (unsigned)conf->birthday_sockets;
	cfg.spray_probes = (unsigned)conf->birthday_probes;
	cfg.spray_rate = (unsigned)conf->birthday_rate;
	path_init(&s->rt.path, &cfg);
	route_candidates(s);
	(void)route_strategy(s);
	s->rt.relay_legs[0] = reg_current_id(s->a);
	s->rt.relay_legs[1] = s->p->relay_id;
}

/*
 * Either side registered again (a move to another cluster node, a failover,
 * a re-registration) since the session last looked: on the relay, that is
 * a new way to the peer, and what the old one lost (the node died) is no
 * reason to wait out the transport's backed-off probe timeout.
 */
static void
route_relay_moved(struct session *s)
{
	uint32_t self = reg_current_id(s->a), peer = s->p->relay_id;

	if (self == s->rt.relay_legs[0] && peer == s->rt.relay_legs[1])
		return;
	s->rt.relay_legs[0] = self;
	s->rt.relay_legs[1] = peer;
	if (self == 0 || peer == 0 || path_send_to(&s->rt.path) != NULL)
		return;
	log_info("session with %s: the relay moved (a registration changed): "
	    "probing at once", s->p->id);
	tp_path_moved(s->tp, agent_now());
	session_feed(s);
}

/* A fresh introduction of a peer we have a session with. */
void
route_update(struct session *s)
{
	route_relay_moved(s);
	route_candidates(s);
	if (s->rt.path.spray != PATH_SPRAY_NONE && s->p->have_pub)
		memcpy(&s->rt.path.spray_to, &s->p->pub,
		    addr_len(&s->p->pub.sa));
	/* At the moment the server gave both sides, if it gave one. */
	route_replan_at(s, "a fresh introduction", s->p->punch_at != 0 ?
	    s->p->punch_at : agent_now());
	route_lossless(s);	/* either leg may have changed */
}

/*
 * Something that decides the punching changed (PROTOCOL.md §2.7): a NAT
 * classification on either side, a new reflexive address, a port mapping,
 * the network. Choose the method again and, while the session is on the
 * relay, start a round at `at` instead of waiting out the backoff.
 */
static void
route_replan_at(struct session *s, const char *what, uint64_t at)
{
	if (path_direct(&s->rt.path) != NULL)
		return;
	if (route_strategy(s))
		log_info("session with %s: punching re-planned (%s)",
		    s->p->id, what);
	path_retry(&s->rt.path, at);
}

/*
 * Our side learned it, and told the server (NatReport). A server that
 * times the rounds answers with fresh introductions of both sides that
 * name one moment for both (route_update): the round waits for it (a
 * round of ours alone could reach the peer's NAT before the peer's own
 * packets left, which a bare Linux gateway takes as a new flow), at most
 * ROUTE_REPLAN_WAIT_US. Otherwise at once.
 */
void
route_replan(struct session *s, const char *what)
{
	route_replan_at(s, what, agent_now() + (s->p->timed ?
	    ROUTE_REPLAN_WAIT_US : 0));
}

/* Our side learned something that decides the punching: every session. */
void
route_replan_all(struct agent *a, const char *what)
{
	struct peer *p;

	for (p = peer_first(a); p != NULL; p = peer_next(p))
		if (p->s != NULL && p->s->state == SESS_UP && !p->s->dead)
			route_replan(p->s, what);
}

/*
 * The session is up: punching starts after delay_us, or at the moment the
 * server gave both sides in the introduction (PROTOCOL.md §2.7), at once
 * if that has passed.
 */
void
route_start(struct session *s, uint64_t delay_us)
{
	uint64_t now = agent_now();

	if (s->p->punch_at != 0)
		delay_us = s->p->punch_at > now ? s->p->punch_at - now : 0;
	path_start(&s->rt.path, now, delay_us);
}

/* Send one peer packet on the session's current path. */
void
route_send(struct session *s, const uint8_t *pkt, size_t len)
{
	struct agent *a = s->a;
	struct path *pa = &s->rt.path;
	const struct sockaddr *d = NULL;
	uint32_t relay = s->p->relay_id;

	if (s->state == SESS_UP)
		d = path_direct(pa);
	/* A suspect direct path: the relay carries the traffic while the
	 * path is checked (the checks themselves go direct). */
	if (d != NULL && (path_send_to(pa) != NULL || relay == 0 ||
	    reg_relay_send(a, relay, pkt, len) == -1)) {
		if (path_direct_local(pa) > 0)
			spray_send(s, path_direct_local(pa), d, pkt, len, 0);
		else
			udp_send(a, d, addr_len(d), pkt, len);
		return;
	}
	if (d != NULL)
		return;		/* relayed above */
	if (relay != 0 && reg_relay_send(a, relay, pkt, len) == 0)
		return;
	if (s->rt.have_remote)
		udp_send(a, (struct sockaddr *)&s->rt.remote,
		    addr_len((struct sockaddr *)&s->rt.remote), pkt, len);
	else
		AGENT_DROP(a, no_path);	/* none: the transport resends */
}

/* Answer a handshake the way it came: src NULL means over the relay. */
void
route_reply(struct session *s, const struct sockaddr *src, const uint8_t *pkt,
    size_t len)
{
	if (src != NULL)
		udp_send(s->a, src, addr_len(src), pkt, len);
	else if (reg_relay_send(s->a, s->p->relay_id, pkt, len) == -1)
		AGENT_DROP(s->a, no_path);
}

/* The session's traffic would take the relay, whose TCP leg is backed up. */
int
route_blocked(const struct session *s)
{
	return path_send_to(&s->rt.path) == NULL && s->p->relay_id != 0 &&
	    reg_relay_busy(s->a);
}

const char *
route_name(const struct session *s)
{
	if (s->state != SESS_UP)
		return "connecting";
	if (path_direct(&s->rt.path) != NULL)
		return "direct";
	return s->p->relay_id != 0 ? "relay" : "direct";
}

void
route_remote(const struct session *s, char *buf, size_t len)
{
	const struct sockaddr *d;

	buf[0] = '\0';
	if (s->state != SESS_UP)
		return;
	if ((d = path_direct(&s->rt.path)) != NULL)
		addr_fmt(d, buf, len);
	else if (s->p->relay_id != 0)
		reg_server_addr(s->a, buf, len);
	else if (s->rt.have_remote)
		addr_fmt((struct sockaddr *)&s->rt.remote, buf, len);
}

/*
 * On the relay with both agents on TCP, nothing is lost or reordered:
 * the transport must not resend inside TCP (tp_set_lossless).
 */
static void
route_lossless(struct session *s)
{
	int on = s->tp != NULL && path_send_to(&s->rt.path) == NULL &&
	    s->p->relay_id != 0 && s->p->peer_tcp &&
	    strcmp(reg_transport_name(s->a), "tcp") == 0;

	if (s->tp != NULL)
		tp_set_lossless(s->tp, on);
}

/* Tell the application and the server where the session's traffic goes. */
void
route_report(struct session *s, const char *why)
{
	const char *name = route_name(s);

	route_lossless(s);
	s->a->cb->peer_state(s->a->cb_arg, s->p->id, "up", name, why);
	reg_path_report(s->a, s->p->id, name);
	s->rt.reported = 1;
}

void
route_end(struct session *s)
{
	spray_close(s, 0);
	if (s->rt.reported)
		reg_path_report(s->a, s->p->id, "closed");
	s->rt.reported = 0;
}

/* Log when the direct path turns suspect or live again (was: before). */
static void
route_suspect(struct session *s, int was)
{
	int now = s->rt.path.active >= 0 && s->rt.path.silent_since != 0;

	if (now == was)
		return;
	if (now)
		log_info("session with %s: direct path quiet; the relay "
		    "carries the traffic while it is checked", s->p->id);
	else if (s->rt.path.active >= 0)
		log_info("session with %s: direct path answers again",
		    s->p->id);
}

static int
route_is_suspect(const struct session *s)
{
	return s->rt.path.active >= 0 && s->rt.path.silent_since != 0;
}

static void
route_event(struct session *s, enum path_event ev)
{
	if (ev == PATH_EV_NONE)
		return;
	tp_path_changed(s->tp);
	log_info("session with %s: %s", s->p->id, s->rt.path.why);
	if (ev == PATH_EV_RELAY)
		log_info("session with %s is back on the relay", s->p->id);
	route_report(s, s->rt.path.why);
}

/* A packet of the session from src: the path may follow the peer there. */
static void
route_on_packet(struct session *s, const struct sockaddr *src)
{
	unsigned changes = s->rt.path.changes;

	path_on_packet(&s->rt.path, src, s->a->rx_slot, agent_now());
	if (s->rt.path.changes != changes)	/* it followed the peer */
		route_event(s, PATH_EV_DIRECT);
}

/*
 * Seal one PATH_* frame alone in a DATA packet and send it to `to`; with
 * ttl > 0 (an opening check) at that IP TTL.
 */
static void
route_frame_send(struct session *s, uint8_t type, const uint8_t *nonce,
    const struct sockaddr *to, unsigned local, int ttl)
{
	uint8_t pt[PATH_FRAME_LEN], pkt[PATH_FRAME_LEN + CHAN_OVERHEAD];
	ssize_t n;

	pt[0] = type;
	memcpy(pt + 1, nonce, PATH_NONCE_LEN);
	n = chan_seal(&s->chan, WIRE_DATA, pt, sizeof(pt), pkt, sizeof(pkt));
	if (n <= 0)
		return;
	if (local > 0)
		spray_send(s, local, to, pkt, (size_t)n, ttl);
	else if (ttl > 0)
		udp_send_ttl(s->a, to, pkt, (size_t)n, ttl);
	else
		udp_send(s->a, to, addr_len(to), pkt, (size_t)n);
}

int
route_frame(struct session *s, const uint8_t *pt, size_t n,
    const struct sockaddr *src)
{
	int was;

	if (n != PATH_FRAME_LEN || (pt[0] != PATH_FRAME_CHALLENGE &&
	    pt[0] != PATH_FRAME_RESPONSE))
		return 0;
	/* Checks travel only on direct paths; one over the relay is junk. */
	if (src == NULL) {
		AGENT_DROP(s->a, malformed);
		return 1;
	}
	if (pt[0] == PATH_FRAME_CHALLENGE) {
		/* --no-direct: no direct path, in either direction. */
		if (!s->rt.path.cfg.enabled) {
			AGENT_DROP(s->a, malformed);
			return 1;
		}
		/* Answer where it came from, from the socket it came to; no
		 * larger than the challenge; only where the peer may be, at a
		 * capped rate (a peer that forges its source must not make us
		 * a reflector: guard.c). */
		if (!guard_probe_answer(s->a, s, src)) {
			AGENT_DROP(s->a, guard);
			return 1;
		}
		route_frame_send(s, PATH_FRAME_RESPONSE, pt + 1, src,
		    s->a->rx_slot, 0);
		route_on_packet(s, src);
		return 1;
	}
	was = route_is_suspect(s);
	route_event(s, path_on_response(&s->rt.path, pt + 1, src,
	    s->a->rx_slot, agent_now()));
	route_suspect(s, was);
	return 1;
}

void
route_packet(struct session *s, const struct sockaddr *src)
{
	int was = route_is_suspect(s);

	/* A peer that forges its source must not make us probe a third
	 * host: only its own IPs become candidates (guard.c). */
	if (src != NULL && !guard_prflx(s->a, s, src))
		return;

	route_on_packet(s, src);
	route_suspect(s, was);
}

static int
route_busy(const struct session *s)
{
	return s->tp != NULL && tp_bytes_in_flight(s->tp) > 0;
}

void
route_drive(struct session *s, uint64_t now)
{
	struct sockaddr_storage to;
	uint8_t nonce[PATH_NONCE_LEN];
	unsigned local;
	int was = route_is_suspect(s);

	route_event(s, path_tick(&s->rt.path, now, route_busy(s)));
	route_suspect(s, was);
	for (;;) {
		/* A fresh nonce only when the last one went out: most drives
		 * send no check, and getrandom() per packet costs. */
		if (!s->rt.check_nonce_fresh) {
			randombytes_buf(s->rt.check_nonce,
			    sizeof(s->rt.check_nonce));
			s->rt.check_nonce_fresh = 1;
		}
		if (!path_next_check(&s->rt.path, now, s->rt.check_nonce, &to,
		    &local))
			break;
		memcpy(nonce, s->rt.check_nonce, sizeof(nonce));
		s->rt.check_nonce_fresh = 0;
		/* Only where a check may go, at a capped rate per IP
		 * (guard_send.c): a peer must not make us a port scanner. */
		if (!guard_send(s->a, s, (struct sockaddr *)&to))
			continue;
		/* The hard side's sockets open with its first spray packet. */
		if (local > 0 && s->rt.spray == NULL &&
		    spray_open(s, s->rt.path.cfg.spray_sockets) == -1) {
			s->rt.path.spray = PATH_SPRAY_NONE;
			continue;
		}
		/* An opening check goes no further than our NAT's first
		 * router (lowttl.c, measured on IPv4): it opens our mapping
		 * without reaching the peer's NAT, which a bare Linux
		 * gateway would let it poison; the full-TTL checks after it
		 * find both open. */
		route_frame_send(s, PATH_FRAME_CHALLENGE, nonce,
		    (struct sockaddr *)&to, local, s->rt.path.check_opening &&
		    to.ss_family == AF_INET ? (int)s->a->low_ttl : 0);
	}
	if (s->rt.spray != NULL && !path_spray_needs_sockets(&s->rt.path, now))
		spray_close(s, path_direct_local(&s->rt.path));
}

uint64_t
route_next(const struct session *s)
{
	return path_next_timeout(&s->rt.path, route_busy(s));
}
