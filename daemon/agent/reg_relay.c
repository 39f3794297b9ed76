/* SPDX-License-Identifier: ISC */
/*
 * reg_relay.c: RELAY packets through the server (PROTOCOL.md §2.6), and
 * path reports.
 *
 * A peer packet (HS_INIT, HS_RESP, DATA) is sent to the server inside a
 * RELAY packet sealed on the control channel, naming the peer by the relay
 * id its introduction gave; the server forwards it re-sealed on the peer's
 * control channel, naming us. What arrives is authenticated twice: by the
 * control channel (it came through our server) and, inside, by the
 * session's own keys, which the server does not have.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "agent.h"
#include "buf.h"
#include "chan.h"
#include "log.h"
#include "reg.h"
#include "wire.h"

int
reg_relay_ok(struct agent *a)
{
	struct reg *r = a->reg;

	return r != NULL && r->chan_ok && r->phase == PH_UP &&
	    r->have_srv;
}

int
reg_relay_send(struct agent *a, uint32_t relay_id, const uint8_t *pkt,
    size_t len)
{
	uint8_t *pt = a->buf->relay_pt, *out = a->buf->relay_out;
	struct reg *r = a->reg;
	struct wr w;
	ssize_t n;

	if (!reg_relay_ok(a) || relay_id == 0 ||
	    len + WIRE_RELAY_ID_LEN > AGENT_UDP_MTU)
		return -1;
	wr_init(&w, pt, AGENT_UDP_MTU);
	wr_u32(&w, relay_id);
	wr_bytes(&w, pkt, len);
	if (w.err)
		return -1;
	n = chan_seal(&r->chan, WIRE_RELAY, pt, w.off, out, AGENT_UDP_MTU);
	if (n < 0)
		return -1;
	reg_send_pkt(r, out, (size_t)n);
	return 0;
}

int
reg_relay_busy(struct agent *a)
{
	struct reg *r = a->reg;

	return r != NULL && r->use_tcp && regtcp_busy(r);
}

void
reg_relay_in(struct reg *r, const uint8_t *pkt, size_t len)
{
	uint8_t *pt = r->a->buf->relay_in;
	const uint8_t *inner;
	uint8_t type = 0;
	uint32_t src;
	ssize_t n;

	if (!r->chan_ok || r->phase != PH_UP) {
		r->a->ctr.dropped++;
		return;
	}
	n = chan_open(&r->chan, WIRE_RELAY, pkt, len, pt, AGENT_UDP_MTU, NULL);
	if (n >= 0)
		r->auth_rx++;	/* the server is there (reg_check) */
	if (n < (ssize_t)WIRE_RELAY_ID_LEN) {
		r->a->ctr.dropped++;
		return;
	}
	src = (uint32_t)pt[0] << 24 | (uint32_t)pt[1] << 16 |
	    (uint32_t)pt[2] << 8 | pt[3];
	inner = pt + WIRE_RELAY_ID_LEN;
	n -= WIRE_RELAY_ID_LEN;
	if (wire_classify(inner, (size_t)n, &type, NULL) != WIRE_CLASS_P2P ||
	    (type != WIRE_HS_INIT && type != WIRE_HS_RESP &&
	    type != WIRE_DATA)) {
		r->a->ctr.dropped++;
		return;
	}
	(void)src;	/* the packet's own keys say whose it is */
	r->a->hooks.relayed(r->a, type, inner, (size_t)n);
}

void
reg_path_report(struct agent *a, const char *peer_id, const char *path)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__PathReport pr = P2P__SRV__PATH_REPORT__INIT;

	if (!reg_relay_ok(a))
		return;
	pr.peer_id = (char *)peer_id;
	pr.path = (char *)path;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_PATH_REPORT;
	m.path_report = &pr;
	(void)reg_send_msg(a->reg, &m);
}

void
reg_server_addr(struct agent *a, char *buf, size_t len)
{
	struct reg *r = a->reg;

	if (r == NULL || !r->have_srv) {
		snprintf(buf, len, "server");
		return;
	}
	addr_fmt((struct sockaddr *)(r->use_tcp ? &r->srv_tcp : &r->srv), buf,
	    len);
}
