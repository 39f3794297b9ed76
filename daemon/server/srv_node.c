/* SPDX-License-Identifier: ISC */
/*
 * srv_node.c: what cluster nodes send each other on their --listen UDP port
 * (nodemsg.h, PROTOCOL.md §8), sealed with the cluster key: relayed packets
 * for a peer registered on another node (agent -> node A -> node B ->
 * agent; never through Redis). A node accepts nothing else from another
 * node, and a NODE packet from anywhere else fails its tag.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "cluster.h"
#include "log.h"
#include "nodemsg.h"
#include "server.h"
#include "wire.h"

#define SRV_NODE_RELAY_HDR	8	/* dst reg_id u32, src reg_id u32 */

static uint64_t
srv_node_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
srv_node_drop(struct srv *s, struct srv_sess *x)
{
	s->cnt.relay_dropped_policy++;
	if (x != NULL)
		x->relay.dropped++;
}

/* x sends pkt to dst, registered on another node (if the cluster says so). */
void
srv_node_relay_out(struct srv *s, struct srv_sess *x, uint32_t dst,
    const uint8_t *pkt, size_t len, uint64_t now)
{
	uint8_t *out = s->scratch.node_out, *body = out + NODEMSG_BODY_OFF;
	struct cluster *cl = s->cluster;
	struct state_peer peer;
	struct wr w;
	ssize_t n;
	int aead;

	if (state_get_reg(s->state, dst, &peer) != STATE_OK ||
	    peer.node == 0 || peer.node == cl->slot ||
	    !cl->node_addr_ok[peer.node] ||
	    !state_intro_has(s->state, x->peer_id, peer.peer_id)) {
		srv_node_drop(s, x);
		return;
	}
	if (srv_relay_charge_for(s, x, len, now) == -1 ||
	    len > SRV_PKT_MAX - NODEMSG_OVERHEAD - SRV_NODE_RELAY_HDR)
		return;
	/* The body is built where the seal wants it: no copy there. */
	wr_init(&w, body, SRV_PKT_MAX - NODEMSG_OVERHEAD);
	wr_u32(&w, dst);
	wr_u32(&w, x->reg_id);
	wr_bytes(&w, pkt, len);
	aead = cl->nodes[peer.node].aes && cl->nm->aes ? NODEMSG_AES :
	    NODEMSG_CHACHA;
	n = nodemsg_seal(cl->nm, srv_node_now_ms(), NODEMSG_RELAY, aead, body,
	    w.off, out, SRV_PKT_MAX);
	if (w.err || n < 0) {
		srv_node_drop(s, x);
		return;
	}
	s->cnt.node_sent++;
	if (aead == NODEMSG_AES)
		s->cnt.node_sent_aes++;
	srv_send(s, (struct sockaddr *)&cl->node_addr[peer.node], NULL, out,
	    (size_t)n);
	x->relay.tx_packets++;
	x->relay.tx_bytes += len;
	cl->relay_out_bytes += len;
}

/* A packet relayed by node slot for a registration of ours. */
static void
srv_node_relay_in(struct srv *s, uint8_t slot, uint8_t *body, size_t len)
{
	struct state_peer src;
	struct srv_sess *y;
	uint32_t dst, from;
	struct rd r;

	rd_init(&r, body, len);
	dst = rd_u32(&r);
	from = rd_u32(&r);
	if (r.err || !srv_relay_inner_ok(body + SRV_NODE_RELAY_HDR,
	    len - SRV_NODE_RELAY_HDR)) {
		s->cnt.dropped_malformed++;
		return;
	}
	/* The sender node's word is checked against our own view. */
	if ((y = srv_sess_find(s, dst)) == NULL ||
	    state_get_reg(s->state, from, &src) != STATE_OK ||
	    src.node != slot ||
	    !state_intro_has(s->state, src.peer_id, y->peer_id)) {
		srv_node_drop(s, NULL);
		return;
	}
	(void)srv_relay_deliver(s, y, from, body + SRV_NODE_RELAY_HDR,
	    len - SRV_NODE_RELAY_HDR);
}

void
srv_node_input(struct srv *s, const uint8_t *pkt, size_t len,
    const struct sockaddr *from, struct srv_tcp *tcp)
{
	uint8_t *pt = s->scratch.node_pt;
	struct cluster *cl = s->cluster;
	const uint8_t *body;
	uint8_t slot, kind;
	ssize_t n;

	(void)from;
	if (cl == NULL || cl->nm == NULL || tcp != NULL) {
		s->cnt.dropped_malformed++;
		return;
	}
	n = nodemsg_open(cl->nm, srv_node_now_ms(), pkt, len, pt, SRV_PKT_MAX,
	    &slot, &kind, &body);
	if (n < 0) {
		s->cnt.node_dropped++;
		return;
	}
	switch (kind) {
	case NODEMSG_RELAY:
		srv_node_relay_in(s, slot, pt + (body - pt), (size_t)n);
		break;
	default:
		s->cnt.dropped_malformed++;	/* a kind we do not know */
		break;
	}
}
