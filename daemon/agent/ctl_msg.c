/* SPDX-License-Identifier: ISC */
/*
 * ctl_msg.c: `p2pctl send` (SendReq). A message of one chunk goes to the
 * engine straight from the request; one in chunks (more=true) is
 * assembled in the client's buffer first, and a group message gets the
 * group header in front (group_hdr.h). The buffer is kept for the next
 * message. A send the engine has to queue stops this client's requests
 * until the engine says it left the queue (cb->dequeued): back-pressure,
 * not memory growth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "group_hdr.h"

/* The assembled message is dropped (its buffer stays for the next one). */
static void
ctl_msg_reset(struct ipc_client *c)
{
	c->sa.active = 0;
	c->sa.len = 0;
}

/* Make room for len bytes in the assembly buffer. */
static int
ctl_msg_room(struct ipc_client *c, size_t len)
{
	size_t cap;
	uint8_t *nb;

	if (len <= c->sa.cap && c->sa.buf != NULL)
		return 0;
	/* Doubling: a message of n chunks costs O(size). */
	cap = c->sa.cap * 2 > len ? c->sa.cap * 2 : len;
	if (cap > c->a->conf.max_message + GROUP_HDR_MAX)
		cap = c->a->conf.max_message + GROUP_HDR_MAX;
	if ((nb = realloc(c->sa.buf, cap ? cap : 1)) == NULL)
		return -1;
	c->sa.buf = nb;
	c->sa.cap = cap;
	return 0;
}

void
ctl_msg_gone(struct ipc_client *c)
{
	free(c->sa.buf);
	memset(&c->sa, 0, sizeof(c->sa));
}

/*
 * A group message goes on the reserved stream with the group header in
 * front, so the receiving agent knows its group and service.
 */
static int
ctl_msg_group(struct ipc_client *c, uint32_t id, const P2p__Ipc__SendReq *sr,
    const uint8_t *data, size_t len)
{
	uint8_t hdr[GROUP_HDR_MAX];
	size_t hl;

	hl = group_hdr_write(hdr, sr->group, ctl_service(sr->service));
	if (len + hl > c->a->conf.max_message) {
		ctl_msg_reset(c);
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE, "group message "
		    "larger than %zu bytes", c->a->conf.max_message - hl);
		return -1;
	}
	if (ctl_msg_room(c, len + hl) == -1) {
		ctl_msg_reset(c);
		ipc_reply(c, id, P2P__IPC__CODE__ERR_FAILED, "out of memory");
		return -1;
	}
	if (data != c->sa.buf && len > 0)
		memcpy(c->sa.buf + hl, data, len);
	else if (len > 0)
		memmove(c->sa.buf + hl, c->sa.buf, len);
	memcpy(c->sa.buf, hdr, hl);
	c->sa.len = len + hl;
	return 0;
}

/* SendReq.priority (0 normal, 1 high, 2 low) as the transport's class. */
static const int ctl_msg_prio[] = {
	TP_PRIO_NORMAL, TP_PRIO_HIGH, TP_PRIO_LOW
};

/* The request may be sent at all: service, mode, channel, priority,
 * chunking. */
static int
ctl_msg_check(struct ipc_client *c, uint32_t id, const P2p__Ipc__SendReq *sr)
{
	if (strcmp(ctl_service(sr->service), GROUP_SERVICE) == 0) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE,
		    "service %s is reserved for group messages",
		    GROUP_SERVICE);
		return -1;
	}
	if (sr->mode > TP_MODE_UNRELIABLE || sr->channel >= TP_CHANNELS) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE,
		    "mode %u / channel %u: modes are 0..3, channels 0..%d",
		    sr->mode, sr->channel, TP_CHANNELS - 1);
		return -1;
	}
	if (sr->priority >= sizeof(ctl_msg_prio) / sizeof(ctl_msg_prio[0])) {
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE,
		    "priority %u: priorities are 0 (normal), 1 (high) and "
		    "2 (low)", sr->priority);
		return -1;
	}
	if (c->sa.active && (c->sa.id != id ||
	    strcmp(c->sa.peer, sr->peer_id) != 0 ||
	    strcmp(c->sa.service, ctl_service(sr->service)) != 0)) {
		ctl_msg_reset(c);
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE,
		    "a chunked message was interrupted by another request");
		return -1;
	}
	if (c->sa.len + sr->data.len > c->a->conf.max_message) {
		ctl_msg_reset(c);
		ipc_reply(c, id, P2P__IPC__CODE__ERR_USAGE,
		    "message larger than %zu bytes (--max-message)",
		    c->a->conf.max_message);
		return -1;
	}
	return 0;
}

void
ctl_send(struct ipc_client *c, P2p__Ipc__Request *req)
{
	const P2p__Ipc__SendReq *sr = req->send;
	struct engine_msg m;
	int group = sr->group != NULL && sr->group[0] != '\0';

	if (ctl_msg_check(c, req->id, sr) == -1)
		return;
	memset(&m, 0, sizeof(m));
	m.data = sr->data.data;
	m.len = sr->data.len;
	if (c->sa.active || sr->more) {
		if (ctl_msg_room(c, c->sa.len + sr->data.len) == -1) {
			ctl_msg_reset(c);
			ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED,
			    "out of memory");
			return;
		}
		if (sr->data.len > 0)
			memcpy(c->sa.buf + c->sa.len, sr->data.data,
			    sr->data.len);
		c->sa.len += sr->data.len;
		m.data = c->sa.buf;
		m.len = c->sa.len;
	}
	if (sr->more) {
		c->sa.active = 1;
		c->sa.id = req->id;
		snprintf(c->sa.peer, sizeof(c->sa.peer), "%s", sr->peer_id);
		snprintf(c->sa.service, sizeof(c->sa.service), "%s",
		    ctl_service(sr->service));
		return;
	}
	if (group) {
		if (ctl_msg_group(c, req->id, sr, m.data, m.len) == -1)
			return;
		m.data = c->sa.buf;
		m.len = c->sa.len;
		m.service = GROUP_SERVICE;
	} else {
		m.service = ctl_service(sr->service);
		m.mode = sr->mode;
		m.channel = sr->channel;
	}
	m.prio = (unsigned)ctl_msg_prio[sr->priority];
	m.sync = sr->sync;
	ctl_msg_reset(c);
	/* The engine copies what it has to keep: the buffer is free again. */
	if (engine_send(c->a, sr->peer_id, &m, c, req->id))
		ipc_client_pause(c);
}
