/* SPDX-License-Identifier: ISC */
/*
 * ctl_conn.c: `p2pctl connect`, `disconnect` and `ping`. Connect and ping
 * are answered by the engine (cb->done, cb->pong) when the session is up
 * or the echo is back; their timeouts are the engine's too.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define CTL_CONNECT_TIMEOUT_MS	30000
#define CTL_PING_TIMEOUT_MS	5000

void
ctl_connect(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__ConnectReq *cr = req->connect;

	if (strcmp(cr->peer_id, c->a->peer_id) == 0) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_USAGE,
		    "%s is this agent itself", cr->peer_id);
		return;
	}
	(void)engine_connect(c->a, cr->peer_id, c, req->id,
	    cr->timeout_ms ? cr->timeout_ms : CTL_CONNECT_TIMEOUT_MS);
}

void
ctl_disconnect(struct ipc_client *c, P2p__Ipc__Request *req)
{
	char reason[64];

	snprintf(reason, sizeof(reason), "disconnected by client pid %ld",
	    (long)c->pid);
	if (engine_disconnect(c->a, req->disconnect->peer_id, reason) == -1) {
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no session with %s", req->disconnect->peer_id);
		return;
	}
	ipc_reply(c, req->id, P2P__IPC__CODE__OK, NULL);
}

void
ctl_ping(struct ipc_client *c, P2p__Ipc__Request *req)
{
	if (engine_ping(c->a, req->ping->peer_id, c, req->id,
	    req->ping->timeout_ms ? req->ping->timeout_ms :
	    CTL_PING_TIMEOUT_MS) == -1)
		ipc_reply(c, req->id, P2P__IPC__CODE__ERR_NOT_FOUND,
		    "no session with %s (connect first)", req->ping->peer_id);
}

void
ctl_ping_reply(struct ipc_client *c, uint32_t id, uint64_t rtt_us)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PingResp pr = P2P__IPC__PING_RESP__INIT;

	pr.rtt_ms = (double)rtt_us / 1000.0;
	r.id = id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PING;
	r.ping = &pr;
	(void)ipc_send_resp(c, &r);
}
