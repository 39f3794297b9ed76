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
#include "agent.h"
#include "log.h"
#include "path.h"
#include "peer.h"
#include "wire.h"

static void	route_lossless(struct peer *);

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

/* Choose the method from both NAT types (ours tested, the peer's reported). */
static void
route_strategy(struct peer *p)
{
	const char *mine = nat_type(p->a), *theirs = p->nat_type;

	if (!p->path.cfg.enabled || !p->have_pub)
		return;
	if (route_symmetric(mine) && route_symmetric(theirs)) {
		/* The birthday method needs one side that maps
		 * endpoint-independently; checks still run, in case. */
		snprintf(p->path.why, sizeof(p->path.why), "both sides "
		    "behind symmetric NATs: the relay carries the session");
		return;
	}
	if (route_symmetric(mine) && route_cone(theirs))
		path_spray(&p->path, PATH_SPRAY_HARD,
		    (struct sockaddr *)&p->pub);
	else if (route_cone(mine) && route_symmetric(theirs))
		path_spray(&p->path, PATH_SPRAY_EASY,
		    (struct sockaddr *)&p->pub);
	if (p->path.spray != PATH_SPRAY_NONE)
		log_info("%s: %s NAT here, %s there: birthday method (%s side)",
		    p->id, mine, theirs, p->path.spray == PATH_SPRAY_HARD ?
		    "symmetric" : "cone");
}

/*
 * The peer's introduced addresses as candidates: its interfaces, and last
 * its public address when the server saw one. Known ones are ignored.
 */
static void
route_candidates(struct peer *p)
{
	size_t i;

	for (i = 0; i < p->naddrs; i++)
		(void)path_add(&p->path, (struct sockaddr *)&p->addrs[i],
		    p->have_pub && i + 1 == p->naddrs ? PATH_CAND_SRFLX :
		    PATH_CAND_HOST, agent_now());
}

void
route_init(struct peer *p)
{
	struct agent_conf *conf = &p->a->conf;
	struct path_cfg cfg;

	path_cfg_default(&cfg);
	cfg.enabled = !conf->no_direct;
	cfg.keepalive_us = (uint64_t)conf->keepalive_s * 1000000;
	cfg.spray_sockets = (unsigned)conf->birthday_sockets;
	cfg.spray_probes = (unsigned)conf->birthday_probes;
	cfg.spray_rate = (unsigned)conf->birthday_rate;
	path_init(&p->path, &cfg);
	route_candidates(p);
	p->path_reported = 0;
	route_strategy(p);
}

/* A fresh introduction of a peer we have a session with. */
void
route_update(struct peer *p)
{
	route_candidates(p);
	if (p->path.spray != PATH_SPRAY_NONE && p->have_pub)
		memcpy(&p->path.spray_to, &p->pub, sizeof(p->pub));
	path_retry(&p->path, agent_now());
	route_lossless(p);	/* either leg may have changed */
}

void
route_start(struct peer *p, uint64_t delay_us)
{
	path_start(&p->path, agent_now(), delay_us);
}

/* Send one peer packet on the session's current path. */
void
route_send(struct peer *p, const uint8_t *pkt, size_t len)
{
	struct agent *a = p->a;
	const struct sockaddr *d = NULL;

	if (p->state == PEER_UP)
		d = path_direct(&p->path);
	/* A suspect direct path: the relay carries the traffic while the
	 * path is checked (the checks themselves go direct). */
	if (d != NULL && (path_send_to(&p->path) != NULL || p->relay_id == 0 ||
	    reg_relay_send(a, p->relay_id, pkt, len) == -1)) {
		if (path_direct_local(&p->path) > 0)
			spray_send(p, path_direct_local(&p->path), d, pkt, len);
		else
			udp_send(a, d, addr_len(d), pkt, len);
		return;
	}
	if (d != NULL)
		return;		/* relayed above */
	if (p->relay_id != 0 && reg_relay_send(a, p->relay_id, pkt, len) == 0)
		return;
	if (p->have_remote)
		udp_send(a, (struct sockaddr *)&p->remote,
		    addr_len((struct sockaddr *)&p->remote), pkt, len);
	else
		a->ctr.dropped++;	/* no path at all: the transport resends */
}

/* Answer a handshake the way it came: src NULL means over the relay. */
void
route_reply(struct peer *p, const struct sockaddr *src, const uint8_t *pkt,
    size_t len)
{
	if (src != NULL)
		udp_send(p->a, src, addr_len(src), pkt, len);
	else if (reg_relay_send(p->a, p->relay_id, pkt, len) == -1)
		p->a->ctr.dropped++;
}

/* The session's traffic would take the relay, whose TCP leg is backed up. */
int
route_blocked(const struct peer *p)
{
	return path_send_to(&p->path) == NULL && p->relay_id != 0 &&
	    reg_relay_busy(p->a);
}

const char *
route_name(const struct peer *p)
{
	if (p->state != PEER_UP)
		return "connecting";
	if (path_direct(&p->path) != NULL)
		return "direct";
	return p->relay_id != 0 ? "relay" : "direct";
}

void
route_remote(const struct peer *p, char *buf, size_t len)
{
	const struct sockaddr *d;

	buf[0] = '\0';
	if (p->state != PEER_UP)
		return;
	if ((d = path_direct(&p->path)) != NULL)
		addr_fmt(d, buf, len);
	else if (p->relay_id != 0)
		reg_server_addr(p->a, buf, len);
	else if (p->have_remote)
		addr_fmt((struct sockaddr *)&p->remote, buf, len);
}

/*
 * On the relay with both agents on TCP, nothing is lost or reordered:
 * the transport must not resend inside TCP (tp_set_lossless).
 */
static void
route_lossless(struct peer *p)
{
	int on = p->tp != NULL && path_send_to(&p->path) == NULL &&
	    p->relay_id != 0 && p->peer_tcp &&
	    strcmp(reg_transport_name(p->a), "tcp") == 0;

	if (p->tp != NULL)
		tp_set_lossless(p->tp, on);
}

/* Tell the application and the server where the session's traffic goes. */
void
route_report(struct peer *p, const char *why)
{
	const char *name = route_name(p);

	route_lossless(p);
	events_peer_state(p->a, p->id, "up", name, why);
	reg_path_report(p->a, p->id, name);
	p->path_reported = 1;
}

/* Log when the direct path turns suspect or live again (was: before). */
static void
route_suspect(struct peer *p, int was)
{
	int now = p->path.active >= 0 && p->path.silent_since != 0;

	if (now == was)
		return;
	if (now)
		log_info("session with %s: direct path quiet; the relay carries "
		    "the traffic while it is checked", p->id);
	else if (p->path.active >= 0)
		log_info("session with %s: direct path answers again", p->id);
}

static int
route_is_suspect(const struct peer *p)
{
	return p->path.active >= 0 && p->path.silent_since != 0;
}

static void
route_event(struct peer *p, enum path_event ev)
{
	if (ev == PATH_EV_NONE)
		return;
	tp_path_changed(p->tp);
	log_info("session with %s: %s", p->id, p->path.why);
	if (ev == PATH_EV_RELAY)
		log_info("session with %s is back on the relay", p->id);
	route_report(p, p->path.why);
}

/* Seal one PATH_* frame alone in a DATA packet and send it to `to`. */
static void
route_frame_send(struct peer *p, uint8_t type, const uint8_t *nonce,
    const struct sockaddr *to, unsigned local)
{
	uint8_t pt[PATH_FRAME_LEN], pkt[PATH_FRAME_LEN + CHAN_OVERHEAD];
	ssize_t n;

	pt[0] = type;
	memcpy(pt + 1, nonce, PATH_NONCE_LEN);
	n = chan_seal(&p->chan, WIRE_DATA, pt, sizeof(pt), pkt, sizeof(pkt));
	if (n <= 0)
		return;
	if (local > 0)
		spray_send(p, local, to, pkt, (size_t)n);
	else
		udp_send(p->a, to, addr_len(to), pkt, (size_t)n);
}

int
route_frame(struct peer *p, const uint8_t *pt, size_t n,
    const struct sockaddr *src)
{
	int was;

	if (n != PATH_FRAME_LEN || (pt[0] != PATH_FRAME_CHALLENGE &&
	    pt[0] != PATH_FRAME_RESPONSE))
		return 0;
	/* Checks travel only on direct paths; one over the relay is junk. */
	if (src == NULL) {
		p->a->ctr.dropped++;
		return 1;
	}
	if (pt[0] == PATH_FRAME_CHALLENGE) {
		/* --no-direct: no direct path, in either direction. */
		if (!p->path.cfg.enabled) {
			p->a->ctr.dropped++;
			return 1;
		}
		/* Answer where it came from, from the socket it came to; no
		 * larger than the challenge. */
		route_frame_send(p, PATH_FRAME_RESPONSE, pt + 1, src,
		    p->a->rx_slot);
		path_on_packet(&p->path, src, p->a->rx_slot, agent_now());
		return 1;
	}
	was = route_is_suspect(p);
	route_event(p, path_on_response(&p->path, pt + 1, src,
	    p->a->rx_slot, agent_now()));
	route_suspect(p, was);
	return 1;
}

void
route_packet(struct peer *p, const struct sockaddr *src)
{
	int was = route_is_suspect(p);

	path_on_packet(&p->path, src, p->a->rx_slot, agent_now());
	route_suspect(p, was);
}

static int
route_busy(const struct peer *p)
{
	return p->tp != NULL && tp_bytes_in_flight(p->tp) > 0;
}

void
route_drive(struct peer *p, uint64_t now)
{
	struct sockaddr_storage to;
	uint8_t nonce[PATH_NONCE_LEN];
	unsigned local;
	int was = route_is_suspect(p);

	route_event(p, path_tick(&p->path, now, route_busy(p)));
	route_suspect(p, was);
	for (;;) {
		/* A fresh nonce only when the last one went out: most drives
		 * send no check, and getrandom() per packet costs. */
		if (!p->check_nonce_fresh) {
			randombytes_buf(p->check_nonce, sizeof(p->check_nonce));
			p->check_nonce_fresh = 1;
		}
		if (!path_next_check(&p->path, now, p->check_nonce, &to,
		    &local))
			break;
		memcpy(nonce, p->check_nonce, sizeof(nonce));
		p->check_nonce_fresh = 0;
		/* The hard side's sockets open with its first spray packet. */
		if (local > 0 && p->spray == NULL &&
		    spray_open(p, p->path.cfg.spray_sockets) == -1) {
			p->path.spray = PATH_SPRAY_NONE;
			continue;
		}
		route_frame_send(p, PATH_FRAME_CHALLENGE, nonce,
		    (struct sockaddr *)&to, local);
	}
	if (p->spray != NULL && !path_spray_needs_sockets(&p->path, now))
		spray_close(p, path_direct_local(&p->path));
}

uint64_t
route_next(const struct peer *p)
{
	return path_next_timeout(&p->path, route_busy(p));
}
