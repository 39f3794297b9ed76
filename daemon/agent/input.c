/* SPDX-License-Identifier: ISC */
/*
 * input.c: where each packet the engine receives goes. Datagrams from the
 * agent's socket and the spray sockets (udp.c, spray.c) and peer packets
 * that came inside RELAY packets (reg_ctrl.c) arrive here through
 * a->hooks and are classified by their first bytes (wire.h): CTRL and
 * registration packets go to the server link (reg.c), HS_INIT and HS_RESP
 * and COOKIE_REPLY to the handshake (session_hs.c), DATA to the session whose receiver
 * index they carry (the index table); the server's STUN answers about our
 * other IP family to refl.c. Anything else is dropped and counted.
 */
#include <sys/socket.h>

#include "addr.h"
#include "chan.h"
#include "session.h"
#include "stun.h"
#include "wire.h"

/* A peer packet; src NULL: it came over the relay. */
static void
input_peer(struct agent *a, uint8_t type, const uint8_t *pkt, size_t len,
    const struct sockaddr *src)
{
	struct session *s;

	switch (type) {
	case WIRE_HS_INIT:
		session_hs_init_in(a, pkt, len, src);
		break;
	case WIRE_HS_RESP:
		session_hs_resp_in(a, pkt, len, src);
		break;
	case WIRE_COOKIE_REPLY:
		session_hs_cookie_in(a, pkt, len, src);
		break;
	case WIRE_DATA:
		s = session_by_index(a, chan_peek_index(pkt, len));
		if (s == NULL || s->state != SESS_UP) {
			AGENT_DROP(a, unknown_session);
			return;
		}
		session_input(s, pkt, len, src);
		break;
	default:
		AGENT_DROP(a, malformed);
		break;
	}
}

void
input_datagram(struct agent *a, const uint8_t *pkt, size_t len,
    struct sockaddr_storage *ss, unsigned slot)
{
	uint8_t type = 0;

	a->ctr.packets_in++;
	if (pkt == NULL) {	/* longer than AGENT_UDP_MTU */
		AGENT_DROP(a, malformed);
		return;
	}
	a->ctr.bytes_in += len;
	addr_normalize(ss);
	/* The server's STUN answer about our other family (refl.c). */
	if (slot == 0 && stun_is_stun(pkt, len) &&
	    refl_input(a, pkt, len, (struct sockaddr *)ss))
		return;
	switch (wire_agent_dest(pkt, len, &type)) {
	case WIRE_DEST_SERVER:
		/* A spray socket only carries a session's DATA. */
		if (slot != 0) {
			AGENT_DROP(a, malformed);
			break;
		}
		reg_input(a, pkt, len, (struct sockaddr *)ss,
		    addr_len((struct sockaddr *)ss));
		break;
	case WIRE_DEST_PEER:
		if (slot != 0 && type != WIRE_DATA) {
			AGENT_DROP(a, malformed);
			break;
		}
		a->rx_slot = slot;
		input_peer(a, type, pkt, len, (struct sockaddr *)ss);
		a->rx_slot = 0;
		break;
	default:
		AGENT_DROP(a, malformed);
		break;
	}
}

void
input_relayed(struct agent *a, uint8_t type, const uint8_t *pkt, size_t len)
{
	a->ctr.relay_bytes_in += len;
	input_peer(a, type, pkt, len, NULL);
}
