/* SPDX-License-Identifier: ISC */
/*
 * srv_relay.c: the relay (PROTOCOL.md §2.6) and the agents' path reports.
 *
 * A RELAY packet is sealed on the sender's control channel, so only the
 * registered agent can send it, from wherever it is (an authenticated
 * packet from a new address makes the server check that address, as CTRL
 * does: srv_roam.c; what is relayed goes to validated addresses only). Its plaintext
 * names the destination by relay id (the peer's reg_id, given in
 * Introduce) and holds one p2pd peer packet, which stays end-to-end
 * encrypted: the relay cannot read, forge or replay it. The server forwards
 * only between two registrations whose peers it introduced (the policy's
 * decision), never to an address a client names, and re-seals the packet on
 * the receiver's control channel with the sender's relay id. RELAY_MAC is
 * the same with the body in the clear and a tag over the header, the body's
 * length, its first and last bytes (chan_mac_ad): what it carries is
 * encrypted and authenticated end to end already (the receiving agent
 * checks it), so the tag proves the sender and the counter its freshness
 * at the cost of Poly1305 over 56 bytes instead of ChaCha20 and Poly1305
 * over the whole packet. An agent gets RELAY_MAC if its Register said it
 * takes them. A packet that
 * fails any check is dropped without an answer, except UNKNOWN_REG for an
 * unknown reg_id (8 bytes, smaller than any RELAY).
 *
 * Quotas: --relay-rate (a token bucket of bytes per second, one second of
 * burst) and --relay-quota (bytes in all, per peer while its token lives,
 * across its registrations and, in a cluster, across nodes: srv_quota.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "log.h"
#include "server.h"
#include "srv_quota.h"
#include "wire.h"

#define SRV_TOUCH_US	1000000ULL	/* state_touch at most once a second */
#define SRV_BURST_MIN	65536ULL	/* a bucket holds at least this */

/* One p2pd packet that agents exchange: the only thing the relay carries. */
int
srv_relay_inner_ok(const uint8_t *pkt, size_t len)
{
	uint8_t type = 0;

	if (wire_classify(pkt, len, &type, NULL) != WIRE_CLASS_P2P)
		return 0;
	return type == WIRE_HS_INIT || type == WIRE_HS_RESP ||
	    type == WIRE_DATA;
}

/* Take len bytes from x's rate and byte quotas; -1 if over either. */
static int
srv_relay_charge(struct srv *s, struct srv_sess *x, size_t len, uint64_t now)
{
	uint64_t rate = s->conf.relay_rate, burst, add;

	if (s->conf.relay_quota != 0 &&
	    srv_quota_room(s, x, len, now) == -1)
		return -1;
	if (rate == 0) {
		srv_quota_use(s, x, len, now);
		return 0;
	}
	burst = rate > SRV_BURST_MIN ? rate : SRV_BURST_MIN;
	if (x->relay_refill_us == 0) {
		x->relay_tokens = burst;
		x->relay_refill_us = now;
	}
	if (now > x->relay_refill_us) {
		add = (now - x->relay_refill_us) * rate / 1000000;
		if (add > 0) {
			x->relay_tokens = x->relay_tokens + add > burst ?
			    burst : x->relay_tokens + add;
			x->relay_refill_us = now;
		}
	}
	if (x->relay_tokens < len)
		return -1;
	x->relay_tokens -= len;
	srv_quota_use(s, x, len, now);	/* kept across registrations */
	return 0;
}

void
srv_relay_input(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	const uint8_t *body;
	struct srv_sess *x, *y;
	uint32_t id = chan_peek_index(pkt, len), dst;
	uint64_t now;
	size_t inner;
	ssize_t n;

	if ((x = srv_sess_find(s, id)) == NULL) {
		srv_unknown_reg(s, id, len, from, tcp);
		return;
	}
	/* A TCP registration is only spoken for on its own connection. */
	if (x->tcp != tcp) {
		s->cnt.relay_auth_fail++;
		return;
	}
	if (pkt[0] == WIRE_RELAY_MAC) {
		n = ctlchan_open_mac(&x->chan, WIRE_RELAY_MAC, pkt, len);
		body = pkt + CHAN_HDR_LEN;
	} else {
		n = ctlchan_open(&x->chan, WIRE_RELAY, pkt, len,
		    s->scratch.relay_pt, SRV_PKT_MAX);
		body = s->scratch.relay_pt;
	}
	if (n < 0) {
		s->cnt.relay_auth_fail++;
		return;
	}
	/* Authenticated; a new address must prove itself (srv_roam.c). */
	srv_roam_seen(s, x, from, len);
	now = srv_now_us();
	if (now - x->touched_us >= SRV_TOUCH_US) {
		(void)state_touch(s->state, x->reg_id,
		    (struct sockaddr *)&x->addr, now);
		x->touched_us = now;
	}
	inner = (size_t)n - WIRE_RELAY_ID_LEN;
	if ((size_t)n < WIRE_RELAY_ID_LEN ||
	    !srv_relay_inner_ok(body + WIRE_RELAY_ID_LEN, inner)) {
		s->cnt.dropped_malformed++;
		return;
	}
	dst = (uint32_t)body[0] << 24 | (uint32_t)body[1] << 16 |
	    (uint32_t)body[2] << 8 | body[3];
	if ((y = srv_sess_find(s, dst)) == NULL && s->cluster != NULL) {
		/* Registered on another node: over the node channel. */
		srv_node_relay_out(s, x, dst, body + WIRE_RELAY_ID_LEN, inner,
		    now);
		return;
	}
	if (y == NULL || y == x ||
	    !state_intro_has(s->state, x->peer_id, y->peer_id)) {
		s->cnt.relay_dropped_policy++;
		x->relay.dropped++;
		return;
	}
	if (srv_relay_charge(s, x, inner, now) == -1) {
		s->cnt.relay_dropped_quota++;
		x->relay.dropped++;
		return;
	}
	if (srv_relay_deliver(s, y, x->reg_id, body + WIRE_RELAY_ID_LEN,
	    inner) == -1)
		return;
	x->relay.tx_packets++;
	x->relay.tx_bytes += inner;
}

/*
 * Deliver to y the peer packet inner, naming the sender src: as RELAY_MAC
 * if y takes them, else sealed on its channel. -1 if it failed.
 */
int
srv_relay_deliver(struct srv *s, struct srv_sess *y, uint32_t src,
    const uint8_t *inner, size_t len)
{
	uint8_t *out = s->scratch.relay_out, *pt;
	struct wr w;
	ssize_t m;

	if (len > SRV_PKT_MAX - CHAN_OVERHEAD - WIRE_RELAY_ID_LEN) {
		s->cnt.relay_dropped_policy++;
		return -1;
	}
	/* The body: src, then the packet (inner may already lie there). */
	pt = y->relay_mac ? out + CHAN_HDR_LEN : s->scratch.relay_pt;
	if (inner != pt + WIRE_RELAY_ID_LEN)
		memmove(pt + WIRE_RELAY_ID_LEN, inner, len);
	wr_init(&w, pt, WIRE_RELAY_ID_LEN);
	wr_u32(&w, src);
	if (y->relay_mac)
		m = ctlchan_seal_mac(&y->chan, WIRE_RELAY_MAC, pt,
		    WIRE_RELAY_ID_LEN + len, out, SRV_PKT_MAX);
	else
		m = ctlchan_seal(&y->chan, WIRE_RELAY, pt,
		    WIRE_RELAY_ID_LEN + len, out, SRV_PKT_MAX);
	if (m < 0) {
		s->cnt.relay_dropped_policy++;
		return -1;
	}
	srv_send(s, (struct sockaddr *)&y->addr, y->tcp, out, (size_t)m);
	y->relay.rx_packets++;
	y->relay.rx_bytes += len;
	s->cnt.relay_packets++;
	s->cnt.relay_bytes += len;
	return 0;
}

int
srv_relay_charge_for(struct srv *s, struct srv_sess *x, size_t len,
    uint64_t now)
{
	if (srv_relay_charge(s, x, len, now) == -1) {
		s->cnt.relay_dropped_quota++;
		x->relay.dropped++;
		return -1;
	}
	return 0;
}

/* --- path reports ------------------------------------------------------ */

static struct srv_path *
srv_path_find(const struct srv_sess *x, const char *peer_id)
{
	size_t i;

	for (i = 0; i < x->npaths; i++)
		if (strcmp(x->paths[i].peer_id, peer_id) == 0)
			return &x->paths[i];
	return NULL;
}

void
srv_path_report(struct srv *s, struct srv_sess *x,
    const P2p__Srv__PathReport *pr)
{
	struct srv_path *p, *np;
	uint8_t path;
	size_t cap;

	if (pr->peer_id == NULL || !p2p_name_valid(pr->peer_id) ||
	    pr->path == NULL) {
		s->cnt.dropped_malformed++;
		return;
	}
	s->cnt.path_reports++;
	if (strcmp(pr->path, "relay") == 0)
		path = SRV_PATH_RELAY;
	else if (strcmp(pr->path, "direct") == 0)
		path = SRV_PATH_DIRECT;
	else {
		/* "closed", or a word we do not know: forget the session. */
		if ((p = srv_path_find(x, pr->peer_id)) != NULL)
			*p = x->paths[--x->npaths];
		return;
	}
	if ((p = srv_path_find(x, pr->peer_id)) == NULL) {
		if (x->npaths == SRV_PATHS_MAX)
			return;
		if (x->npaths == x->pathcap) {
			cap = x->pathcap ? x->pathcap * 2 : 4;
			if ((np = reallocarray(x->paths, cap,
			    sizeof(*np))) == NULL)
				return;
			x->paths = np;
			x->pathcap = cap;
		}
		p = &x->paths[x->npaths++];
		memset(p, 0, sizeof(*p));
		memcpy(p->peer_id, pr->peer_id, strlen(pr->peer_id) + 1);
	}
	p->path = path;
}

const char *
srv_path_get(const struct srv_sess *x, const char *peer_id)
{
	const struct srv_path *p;

	if ((p = srv_path_find(x, peer_id)) == NULL)
		return NULL;
	return p->path == SRV_PATH_DIRECT ? "direct" : "relay";
}
