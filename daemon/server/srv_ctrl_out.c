/* SPDX-License-Identifier: ISC */
/*
 * srv_ctrl_out.c: the sealing of every CTRL packet the server sends on a
 * registration's control channel (answers, errors); below the handlers of
 * srv_ctrl.c, srv_signal.c, srv_roam.c and srv_match_ctrl.c, which all
 * answer through it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "server.h"
#include "wire.h"

int
srv_ctrl_send(struct srv *s, struct ctlchan *c, const P2p__Srv__ServerMsg *m,
    const struct sockaddr *to, struct srv_tcp *tcp, size_t maxlen)
{
	uint8_t pt[SRV_PKT_MAX], out[SRV_PKT_MAX];
	size_t plen = p2p__srv__server_msg__get_packed_size(m);
	ssize_t n;

	if (plen + CHAN_OVERHEAD > maxlen || plen + CHAN_OVERHEAD > sizeof(out))
		return -1;
	p2p__srv__server_msg__pack(m, pt);
	if ((n = ctlchan_seal(c, WIRE_CTRL, pt, plen, out, sizeof(out))) < 0)
		return -1;
	srv_send(s, to, tcp, out, (size_t)n);
	return 0;
}

void
srv_ctrl_error(struct srv *s, struct ctlchan *c, uint32_t id,
    P2p__Srv__ErrCode code, const char *msg, const struct sockaddr *to,
    struct srv_tcp *tcp, size_t maxlen)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Error e = P2P__SRV__ERROR__INIT;
	char buf[256];
	size_t n;

	snprintf(buf, sizeof(buf), "%s", msg);
	e.code = code;
	e.message = buf;
	m.id = id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_ERROR;
	m.error = &e;
	/* Never larger than the request: shorten the message if need be. */
	for (n = strlen(buf); srv_ctrl_send(s, c, &m, to, tcp, maxlen) == -1;
	    n /= 2) {
		if (n == 0)
			return;
		buf[n / 2] = '\0';
	}
}
