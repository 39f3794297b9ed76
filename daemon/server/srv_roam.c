/* SPDX-License-Identifier: ISC */
/*
 * srv_roam.c: a registration's address moves only to where the agent
 * proves it receives (PROTOCOL.md §2.1, roaming; QUIC path validation).
 *
 * An authenticated CTRL or RELAY packet from another source address than
 * the session's makes that address the candidate: it gets a PathChallenge
 * (a random nonce, CTRL) at most every SRV_ROAM_RTO_US, and never more
 * bytes than SRV_ROAM_AMP times what arrived from it. Everything else the
 * server sends (replies, pushes, relayed packets) keeps going to the
 * validated address, and introductions keep naming it. The agent answers
 * with a PathResponse from the candidate; then the registration moves
 * there. So a token holder who spoofs its source cannot aim the server's
 * traffic at anyone: the victim gets a few challenges, each no larger
 * than three of the packets forged in its name.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "log.h"
#include "server.h"

static void
srv_roam_challenge(struct srv *s, struct srv_sess *x, uint64_t now)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__PathChallenge pc = P2P__SRV__PATH_CHALLENGE__INIT;
	size_t len;

	pc.nonce.data = x->cand_nonce;
	pc.nonce.len = sizeof(x->cand_nonce);
	m.body_case = P2P__SRV__SERVER_MSG__BODY_PATH_CHALLENGE;
	m.path_challenge = &pc;
	len = p2p__srv__server_msg__get_packed_size(&m) + CHAN_OVERHEAD;
	if (x->cand_tx + len > SRV_ROAM_AMP * x->cand_rx) {
		s->cnt.roam_limited++;
		return;
	}
	if (srv_ctrl_send(s, &x->chan, &m, (struct sockaddr *)&x->cand, NULL,
	    SRV_PKT_MAX) == 0) {
		x->cand_tx += len;
		x->cand_sent_us = now;
		s->cnt.roam_challenges++;
	}
}

void
srv_roam_seen(struct srv *s, struct srv_sess *x, const struct sockaddr *from,
    size_t len)
{
	uint64_t now;

	memset(&x->from, 0, sizeof(x->from));
	memcpy(&x->from, from, addr_len(from));
	if (x->tcp != NULL || addr_equal(from, (struct sockaddr *)&x->addr))
		return;
	now = srv_now_us();
	if (!x->cand_set || !addr_equal(from, (struct sockaddr *)&x->cand)) {
		memset(&x->cand, 0, sizeof(x->cand));
		memcpy(&x->cand, from, addr_len(from));
		randombytes_buf(x->cand_nonce, sizeof(x->cand_nonce));
		x->cand_set = 1;
		x->cand_rx = x->cand_tx = 0;
		x->cand_sent_us = 0;
	}
	x->cand_rx += len;
	if (x->cand_sent_us == 0 || now - x->cand_sent_us >= SRV_ROAM_RTO_US)
		srv_roam_challenge(s, x, now);
}

void
srv_roam_response(struct srv *s, struct srv_sess *x,
    const P2p__Srv__PathResponse *r)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!x->cand_set || r->nonce.len != sizeof(x->cand_nonce) ||
	    sodium_memcmp(r->nonce.data, x->cand_nonce,
	    sizeof(x->cand_nonce)) != 0 ||
	    !addr_equal((struct sockaddr *)&x->from,
	    (struct sockaddr *)&x->cand))
		return;
	log_info("peer %s moved from %s to %s", x->peer_id,
	    addr_fmt((struct sockaddr *)&x->addr, a, sizeof(a)),
	    addr_fmt((struct sockaddr *)&x->cand, b, sizeof(b)));
	x->addr = x->cand;
	x->cand_set = 0;
	s->cnt.roam_moves++;
	srv_reg_hello_known(&s->hello, &x->addr.sa);	/* validated */
	(void)state_touch(s->state, x->reg_id, (struct sockaddr *)&x->addr,
	    srv_now_us());
}
