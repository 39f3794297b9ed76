/* SPDX-License-Identifier: ISC */
/*
 * test_ipcmsg.c: IPC frame header and validating pack/unpack (proto/ipcmsg).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ipcmsg.h"
#include "ipcmsg_arena.h"

static uint8_t *
pack_frame(P2p__Ipc__Frame *f, size_t *len)
{
	uint8_t	*b = ipcmsg_pack(f, len);

	cr_assert_not_null(b);
	return b;
}

/* Pack, check the header, unpack; returns NULL and err when refused. */
static P2p__Ipc__Frame *
roundtrip(P2p__Ipc__Frame *f, char *err, size_t errlen)
{
	P2p__Ipc__Frame	*g;
	uint8_t		*b, ver;
	size_t		 len;
	uint32_t	 blen;

	b = pack_frame(f, &len);
	cr_assert_eq(ipcmsg_hdr_parse(b, len, &blen, &ver), IPC_HDR_OK);
	cr_assert_eq(ver, IPC_VERSION);
	cr_assert_eq(blen + IPC_HDR_LEN, len);
	g = ipcmsg_unpack(b + IPC_HDR_LEN, blen, err, errlen);
	free(b);
	return g;
}

static P2p__Ipc__Frame
req_frame(P2p__Ipc__Request *q)
{
	P2p__Ipc__Frame	f = P2P__IPC__FRAME__INIT;

	f.kind_case = P2P__IPC__FRAME__KIND_REQUEST;
	f.request = q;
	return f;
}

Test(ipcmsg_hdr, short_headers)
{
	uint8_t		hdr[IPC_HDR_LEN];
	uint32_t	blen;
	uint8_t		ver;
	size_t		i;

	ipcmsg_hdr_write(hdr, 10);
	for (i = 0; i < IPC_HDR_LEN; i++)
		cr_assert_eq(ipcmsg_hdr_parse(hdr, i, &blen, &ver),
		    IPC_HDR_SHORT, "len %zu", i);
	cr_assert_eq(ipcmsg_hdr_parse(hdr, IPC_HDR_LEN, &blen, &ver),
	    IPC_HDR_OK);
	cr_assert_eq(blen, 10);
}

Test(ipcmsg_hdr, layout_is_big_endian)
{
	uint8_t	hdr[IPC_HDR_LEN];
	uint8_t	want[IPC_HDR_LEN] = { 'P', '2', 1, 0, 0x00, 0x01, 0x02, 0x03 };

	ipcmsg_hdr_write(hdr, 0x010203);
	cr_assert_arr_eq(hdr, want, IPC_HDR_LEN);
}

Test(ipcmsg_hdr, bad_magic)
{
	uint8_t		hdr[IPC_HDR_LEN];
	uint32_t	blen;
	uint8_t		ver;

	ipcmsg_hdr_write(hdr, 4);
	hdr[0] = 'X';
	cr_assert_eq(ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver),
	    IPC_HDR_BAD_MAGIC);
	ipcmsg_hdr_write(hdr, 4);
	hdr[1] = '3';
	cr_assert_eq(ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver),
	    IPC_HDR_BAD_MAGIC);
}

Test(ipcmsg_hdr, other_version_is_reported)
{
	uint8_t		hdr[IPC_HDR_LEN];
	uint32_t	blen;
	uint8_t		ver = 0;
	char		buf[128];

	ipcmsg_hdr_write(hdr, 4);
	hdr[2] = 7;
	cr_assert_eq(ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver),
	    IPC_HDR_BAD_VERSION);
	cr_assert_eq(ver, 7);
	ipcmsg_hdr_strerror(IPC_HDR_BAD_VERSION, ver, blen, buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "7"), "%s", buf);
	cr_assert_not_null(strstr(buf, "1"), "%s", buf);
}

Test(ipcmsg_hdr, too_big_before_buffering)
{
	uint8_t		hdr[IPC_HDR_LEN];
	uint32_t	blen = 0;
	uint8_t		ver;
	char		buf[128];

	ipcmsg_hdr_write(hdr, IPC_MAX_FRAME);
	cr_assert_eq(ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver),
	    IPC_HDR_OK);
	ipcmsg_hdr_write(hdr, IPC_MAX_FRAME + 1);
	cr_assert_eq(ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver),
	    IPC_HDR_TOO_BIG);
	cr_assert_eq(blen, IPC_MAX_FRAME + 1);
	ipcmsg_hdr_write(hdr, UINT32_MAX);
	cr_assert_eq(ipcmsg_hdr_parse(hdr, sizeof(hdr), &blen, &ver),
	    IPC_HDR_TOO_BIG);
	ipcmsg_hdr_strerror(IPC_HDR_TOO_BIG, 1, blen, buf, sizeof(buf));
	cr_assert_not_null(strstr(buf, "4294967295"), "%s", buf);
}

Test(ipcmsg_pack, every_request_roundtrips)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__StatusReq	st = P2P__IPC__STATUS_REQ__INIT;
	P2p__Ipc__PeersReq	pe = P2P__IPC__PEERS_REQ__INIT;
	P2p__Ipc__ConnectReq	co = P2P__IPC__CONNECT_REQ__INIT;
	P2p__Ipc__DisconnectReq	di = P2P__IPC__DISCONNECT_REQ__INIT;
	P2p__Ipc__SendReq	se = P2P__IPC__SEND_REQ__INIT;
	P2p__Ipc__BindReq	bi = P2P__IPC__BIND_REQ__INIT;
	P2p__Ipc__UnbindReq	un = P2P__IPC__UNBIND_REQ__INIT;
	P2p__Ipc__RecvReq	re = P2P__IPC__RECV_REQ__INIT;
	P2p__Ipc__RecvCancelReq	rc = P2P__IPC__RECV_CANCEL_REQ__INIT;
	P2p__Ipc__SubscribeReq	su = P2P__IPC__SUBSCRIBE_REQ__INIT;
	P2p__Ipc__PingReq	pi = P2P__IPC__PING_REQ__INIT;
	P2p__Ipc__PipeOpenReq	po = P2P__IPC__PIPE_OPEN_REQ__INIT;
	P2p__Ipc__PipeWriteReq	pw = P2P__IPC__PIPE_WRITE_REQ__INIT;
	P2p__Ipc__PipeAckReq	pa = P2P__IPC__PIPE_ACK_REQ__INIT;
	P2p__Ipc__PipeCloseReq	pc = P2P__IPC__PIPE_CLOSE_REQ__INIT;
	P2p__Ipc__Frame		f, *g;
	char			err[256];
	int			op;

	co.peer_id = "bob"; co.timeout_ms = 1234;
	di.peer_id = "bob";
	se.peer_id = "bob"; se.service = "chat"; se.more = 1; se.sync = 1;
	se.data.data = (uint8_t *)"hello"; se.data.len = 5;
	bi.service = "chat"; un.service = "chat";
	re.service = "chat"; re.count = 3; re.wait_ms = UINT32_MAX;
	rc.service = "chat";
	pi.peer_id = "bob.example-1_x"; pi.timeout_ms = 5;
	po.peer_id = "bob"; po.name = "backup"; po.timeout_ms = 30000;
	pw.pipe_id = 9; pw.eof = 1; pw.data.data = (uint8_t *)"xyz";
	pw.data.len = 3;
	pa.pipe_id = 9; pa.bytes = 1ULL << 40; pa.done = 1;
	pc.pipe_id = 9;
	for (op = P2P__IPC__REQUEST__OP_STATUS;
	    op <= P2P__IPC__REQUEST__OP_PIPE_CLOSE; op++) {
		q.id = 1000 + op;
		q.op_case = op;
		switch (op) {
		case 10: q.status = &st; break;
		case 11: q.peers = &pe; break;
		case 12: q.connect = &co; break;
		case 13: q.disconnect = &di; break;
		case 14: q.send = &se; break;
		case 15: q.bind = &bi; break;
		case 16: q.unbind = &un; break;
		case 17: q.recv = &re; break;
		case 18: q.recv_cancel = &rc; break;
		case 19: q.subscribe = &su; break;
		case 20: q.ping = &pi; break;
		case 21: q.pipe_open = &po; break;
		case 22: q.pipe_write = &pw; break;
		case 23: q.pipe_ack = &pa; break;
		case 24: q.pipe_close = &pc; break;
		}
		f = req_frame(&q);
		g = roundtrip(&f, err, sizeof(err));
		cr_assert_not_null(g, "op %d refused: %s", op, err);
		cr_assert_eq(g->kind_case, P2P__IPC__FRAME__KIND_REQUEST);
		cr_assert_eq(g->request->id, (uint32_t)(1000 + op));
		cr_assert_eq((int)g->request->op_case, op);
		switch (op) {
		case 12:
			cr_assert_str_eq(g->request->connect->peer_id, "bob");
			cr_assert_eq(g->request->connect->timeout_ms, 1234);
			break;
		case 14:
			cr_assert_str_eq(g->request->send->service, "chat");
			cr_assert_eq(g->request->send->data.len, 5);
			cr_assert_eq(memcmp(g->request->send->data.data,
			    "hello", 5), 0);
			cr_assert(g->request->send->more);
			cr_assert(g->request->send->sync);
			break;
		case 17:
			cr_assert_eq(g->request->recv->count, 3);
			cr_assert_eq(g->request->recv->wait_ms, UINT32_MAX);
			break;
		case 21:
			cr_assert_str_eq(g->request->pipe_open->name, "backup");
			break;
		case 22:
			cr_assert(g->request->pipe_write->eof);
			cr_assert_eq(g->request->pipe_write->data.len, 3);
			break;
		case 23:
			cr_assert_eq(g->request->pipe_ack->bytes, 1ULL << 40);
			cr_assert(g->request->pipe_ack->done);
			break;
		}
		ipcmsg_free(g);
	}
}

Test(ipcmsg_pack, events_and_responses_roundtrip)
{
	P2p__Ipc__Frame		f = P2P__IPC__FRAME__INIT, *g;
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__Message	m = P2P__IPC__MESSAGE__INIT;
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	char			err[256];

	m.from = "alice"; m.service = "default"; m.group = "team";
	m.data.data = (uint8_t *)"\xff\x00hi"; m.data.len = 4;
	e.ev_case = P2P__IPC__EVENT__EV_MESSAGE;
	e.message = &m;
	f.kind_case = P2P__IPC__FRAME__KIND_EVENT;
	f.event = &e;
	g = roundtrip(&f, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_assert_str_eq(g->event->message->from, "alice");
	cr_assert_str_eq(g->event->message->group, "team");
	cr_assert_eq(g->event->message->data.len, 4);
	ipcmsg_free(g);

	/* A response with an error and no result is fine. */
	r.id = 7; r.code = P2P__IPC__CODE__ERR_NOT_REGISTERED;
	r.error = "peer bob is not registered";
	f.kind_case = P2P__IPC__FRAME__KIND_RESPONSE;
	f.response = &r;
	g = roundtrip(&f, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_assert_eq(g->response->code, P2P__IPC__CODE__ERR_NOT_REGISTERED);
	cr_assert_str_eq(g->response->error, "peer bob is not registered");
	ipcmsg_free(g);
}

Test(ipcmsg_unpack, not_set_oneofs_rejected)
{
	P2p__Ipc__Frame		f = P2P__IPC__FRAME__INIT;
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	char			err[256];

	err[0] = '\0';
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
	cr_assert_neq(err[0], '\0');
	q.id = 5;
	f = req_frame(&q);
	err[0] = '\0';
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "request 5"), "%s", err);
	f.kind_case = P2P__IPC__FRAME__KIND_EVENT;
	f.event = &e;
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
}

static P2p__Ipc__Frame *
connect_to(const char *peer, char *err, size_t errlen)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__ConnectReq	co = P2P__IPC__CONNECT_REQ__INIT;
	P2p__Ipc__Frame		f;

	co.peer_id = (char *)peer;
	q.op_case = P2P__IPC__REQUEST__OP_CONNECT;
	q.connect = &co;
	f = req_frame(&q);
	return roundtrip(&f, err, errlen);
}

Test(ipcmsg_unpack, invalid_names_rejected)
{
	const char	*bad[] = { "", "bad name", "a/b", "é", "bob\n",
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1234" };
	char		 err[256];
	size_t		 i;
	P2p__Ipc__Frame	*g;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_assert_null(connect_to(bad[i], err, sizeof(err)), "'%s'",
		    bad[i]);
		cr_assert_not_null(strstr(err, "peer id"), "%s", err);
	}
	g = connect_to("0123456789012345678901234567890123456789012345678901"
	    "234567890123", err, sizeof(err));
	cr_assert_not_null(g, "64 characters are allowed: %s", err);
	ipcmsg_free(g);
}

Test(ipcmsg_unpack, invalid_service_rejected)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__BindReq	b = P2P__IPC__BIND_REQ__INIT;
	P2p__Ipc__Frame		f, *g;
	char			err[256];

	b.service = "x y";
	q.op_case = P2P__IPC__REQUEST__OP_BIND;
	q.bind = &b;
	f = req_frame(&q);
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "service"), "%s", err);
	b.service = "";		/* empty = "default" */
	g = roundtrip(&f, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	ipcmsg_free(g);
}

Test(ipcmsg_unpack, oversized_chunk_rejected)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__SendReq	s = P2P__IPC__SEND_REQ__INIT;
	P2p__Ipc__Frame		f, *g;
	char			err[256];
	uint8_t			*data;

	data = calloc(1, IPC_MAX_CHUNK + 1);
	s.peer_id = "bob";
	s.data.data = data;
	s.data.len = IPC_MAX_CHUNK + 1;
	q.op_case = P2P__IPC__REQUEST__OP_SEND;
	q.send = &s;
	f = req_frame(&q);
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "chunk"), "%s", err);
	s.data.len = IPC_MAX_CHUNK;
	g = roundtrip(&f, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	ipcmsg_free(g);
	free(data);
}

Test(ipcmsg_pack, too_big_frame_not_packed)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__SendReq	s = P2P__IPC__SEND_REQ__INIT;
	P2p__Ipc__Frame		f;
	size_t			len = 0;
	uint8_t			*data;

	data = calloc(1, IPC_MAX_FRAME);
	s.peer_id = "bob";
	s.data.data = data;
	s.data.len = IPC_MAX_FRAME;
	q.op_case = P2P__IPC__REQUEST__OP_SEND;
	q.send = &s;
	f = req_frame(&q);
	cr_assert_null(ipcmsg_pack(&f, &len));
	cr_assert_null(ipcmsg_unpack(data, IPC_MAX_FRAME + 1, NULL, 0));
	free(data);
}

Test(ipcmsg_unpack, truncated_bodies_rejected)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__SendReq	s = P2P__IPC__SEND_REQ__INIT;
	P2p__Ipc__Frame		f, *g;
	uint8_t			*b;
	size_t			 len, cut;
	char			 err[256];

	s.peer_id = "bob";
	s.service = "chat";
	s.data.data = (uint8_t *)"some payload";
	s.data.len = 12;
	q.id = 3;
	q.op_case = P2P__IPC__REQUEST__OP_SEND;
	q.send = &s;
	f = req_frame(&q);
	b = pack_frame(&f, &len);
	/* Every cut is refused: a field cut short or the oneof missing. */
	for (cut = 0; cut < len - IPC_HDR_LEN; cut++) {
		g = ipcmsg_unpack(b + IPC_HDR_LEN, cut, err, sizeof(err));
		cr_assert_null(g, "prefix of %zu bytes accepted", cut);
	}
	g = ipcmsg_unpack(b + IPC_HDR_LEN, len - IPC_HDR_LEN, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	ipcmsg_free(g);
	free(b);
}

Test(ipcmsg_unpack, garbage_rejected)
{
	uint8_t		buf[512];
	unsigned int	seed = 12345;
	size_t		i, n, ok = 0;
	char		err[256];
	P2p__Ipc__Frame	*g;

	for (n = 0; n < 2000; n++) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)rand_r(&seed);
		g = ipcmsg_unpack(buf, 1 + n % sizeof(buf), err, sizeof(err));
		if (g != NULL) {
			/* Whatever passes must be usable as validated. */
			cr_assert_neq(g->kind_case,
			    P2P__IPC__FRAME__KIND__NOT_SET);
			ok++;
		}
		ipcmsg_free(g);
	}
	cr_assert_lt(ok, 2000);
}

static P2p__Ipc__Frame *
group_req(P2p__Ipc__GroupOp op, const char *name, char *err, size_t errlen)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__GroupReq	gr = P2P__IPC__GROUP_REQ__INIT;
	P2p__Ipc__Frame		f;

	gr.op = op;
	gr.name = (char *)name;
	q.id = 9;
	q.op_case = P2P__IPC__REQUEST__OP_GROUP;
	q.group = &gr;
	f = req_frame(&q);
	err[0] = '\0';
	return roundtrip(&f, err, errlen);
}

Test(ipcmsg_group, requests_validated)
{
	P2p__Ipc__Frame	*g;
	char		 err[256];

	g = group_req(P2P__IPC__GROUP_OP__GROUP_JOIN, "lobby", err,
	    sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_assert_eq(g->request->group->op, P2P__IPC__GROUP_OP__GROUP_JOIN);
	cr_assert_str_eq(g->request->group->name, "lobby");
	ipcmsg_free(g);
	/* list takes no name; every other operation needs one. */
	g = group_req(P2P__IPC__GROUP_OP__GROUP_LIST, "", err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	ipcmsg_free(g);
	cr_assert_null(group_req(P2P__IPC__GROUP_OP__GROUP_CREATE, "", err,
	    sizeof(err)));
	cr_assert_not_null(strstr(err, "group is empty"), "%s", err);
	cr_assert_null(group_req(P2P__IPC__GROUP_OP__GROUP_SHOW, "a b", err,
	    sizeof(err)));
	cr_assert_not_null(strstr(err, "invalid group"), "%s", err);
	cr_assert_null(group_req(P2P__IPC__GROUP_OP__GROUP_NONE, "lobby", err,
	    sizeof(err)));
	cr_assert_not_null(strstr(err, "unknown group operation"), "%s", err);
	cr_assert_null(group_req((P2p__Ipc__GroupOp)99, "lobby", err,
	    sizeof(err)));
}

Test(ipcmsg_group, send_group_name_validated)
{
	P2p__Ipc__Request	q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__SendReq	se = P2P__IPC__SEND_REQ__INIT;
	P2p__Ipc__Frame		f, *g;
	char			err[256];

	se.peer_id = "bob";
	se.group = "lobby";
	q.op_case = P2P__IPC__REQUEST__OP_SEND;
	q.send = &se;
	f = req_frame(&q);
	g = roundtrip(&f, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_assert_str_eq(g->request->send->group, "lobby");
	ipcmsg_free(g);
	se.group = "lob/by";
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "group"), "%s", err);
}

static P2p__Ipc__Frame *
group_event(const char *kind, const char *group, const char *peer,
    char **missing, size_t n, char *err, size_t errlen)
{
	P2p__Ipc__Frame		f = P2P__IPC__FRAME__INIT;
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__GroupEvent	ge = P2P__IPC__GROUP_EVENT__INIT;

	ge.event = (char *)kind;
	ge.group = (char *)group;
	ge.peer_id = (char *)peer;
	ge.missing = missing;
	ge.n_missing = n;
	ge.missing_count = (uint32_t)n;
	e.ev_case = P2P__IPC__EVENT__EV_GROUP_EVENT;
	e.group_event = &ge;
	f.kind_case = P2P__IPC__FRAME__KIND_EVENT;
	f.event = &e;
	err[0] = '\0';
	return roundtrip(&f, err, errlen);
}

Test(ipcmsg_group, events_validated)
{
	char		*miss[] = { "carol", "dave" }, *badmiss[] = { "x y" };
	P2p__Ipc__Frame	*g;
	char		 err[256];

	g = group_event("join_complete", "lobby", "bob", miss, 2, err,
	    sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_assert_eq(g->event->group_event->n_missing, 2);
	cr_assert_str_eq(g->event->group_event->missing[1], "dave");
	cr_assert_eq(g->event->group_event->missing_count, 2);
	ipcmsg_free(g);
	g = group_event("group_destroyed", "lobby", "", NULL, 0, err,
	    sizeof(err));
	cr_assert_not_null(g, "%s", err);
	ipcmsg_free(g);
	cr_assert_null(group_event("member_kick", "lobby", "bob", NULL, 0,
	    err, sizeof(err)));
	cr_assert_not_null(strstr(err, "unknown group event"), "%s", err);
	cr_assert_null(group_event("member_join", "", "bob", NULL, 0, err,
	    sizeof(err)));
	cr_assert_null(group_event("member_join", "lobby", "b\nob", NULL, 0,
	    err, sizeof(err)));
	cr_assert_null(group_event("join_complete", "lobby", "bob", badmiss,
	    1, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "missing"), "%s", err);
}

Test(ipcmsg_group, response_names_validated)
{
	P2p__Ipc__Frame		f = P2P__IPC__FRAME__INIT, *g;
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__GroupResp	gr = P2P__IPC__GROUP_RESP__INIT;
	P2p__Ipc__GroupInfo	gi = P2P__IPC__GROUP_INFO__INIT, *gis[1];
	P2p__Ipc__GroupMember	m = P2P__IPC__GROUP_MEMBER__INIT, *ms[1];
	char			err[256];

	m.peer_id = "alice";
	m.online = 1;
	ms[0] = &m;
	gi.name = "lobby";
	gi.members = ms;
	gi.n_members = 1;
	gi.member_count = 1;
	gis[0] = &gi;
	gr.groups = gis;
	gr.n_groups = 1;
	r.result_case = P2P__IPC__RESPONSE__RESULT_GROUP;
	r.group = &gr;
	f.kind_case = P2P__IPC__FRAME__KIND_RESPONSE;
	f.response = &r;
	g = roundtrip(&f, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_assert(g->response->group->groups[0]->members[0]->online);
	ipcmsg_free(g);
	m.peer_id = "al ice";
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "member peer id"), "%s", err);
	m.peer_id = "alice";
	gi.name = "";
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
}

/* The pushed session figures (PeerStats) are checked like a peers answer. */
Test(ipcmsg_unpack, peer_stats_validated)
{
	P2p__Ipc__Frame		f = P2P__IPC__FRAME__INIT, *g;
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PeersResp	pr = P2P__IPC__PEERS_RESP__INIT;
	P2p__Ipc__PeerInfo	pi = P2P__IPC__PEER_INFO__INIT, *pis[2];
	char			err[256];

	pi.peer_id = "bob";
	pi.queued_bytes = 12345;
	pi.min_rtt_ms = 1.5;
	pis[0] = &pi;
	pr.peers = pis;
	pr.n_peers = 1;
	pr.watching = 1;
	e.ev_case = P2P__IPC__EVENT__EV_PEER_STATS;
	e.peer_stats = &pr;
	f.kind_case = P2P__IPC__FRAME__KIND_EVENT;
	f.event = &e;
	g = roundtrip(&f, err, sizeof(err));
	cr_assert_not_null(g, "%s", err);
	cr_assert_eq(g->event->peer_stats->peers[0]->queued_bytes, 12345);
	cr_assert(g->event->peer_stats->watching);
	ipcmsg_free(g);
	pi.peer_id = "b/ob";
	cr_assert_null(roundtrip(&f, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "peer id"), "%s", err);
}

/*
 * Frames unpacked into an arena: the same fields as unpacked with malloc,
 * a frame larger than the first block takes more blocks, and after a reset
 * the arena holds one block that the next frames fit in.
 */
Test(ipcmsg_arena, frames_unpack_into_it)
{
	P2p__Ipc__Request	 q = P2P__IPC__REQUEST__INIT;
	P2p__Ipc__SendReq	 s = P2P__IPC__SEND_REQ__INIT;
	P2p__Ipc__Frame		 f = req_frame(&q), *g;
	struct ipcmsg_arena	 ar;
	static uint8_t		 data[5000];
	uint8_t			*b;
	size_t			 len, i, sz;
	char			 err[256];

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	q.id = 9;
	q.op_case = P2P__IPC__REQUEST__OP_SEND;
	q.send = &s;
	s.peer_id = "bob";
	s.service = "chat";
	ipcmsg_arena_init(&ar, 512);
	for (sz = 10; sz <= sizeof(data); sz *= 10) {
		s.data.data = data;
		s.data.len = sz;
		b = pack_frame(&f, &len);
		for (i = 0; i < 3; i++) {
			g = ipcmsg_unpack_with(b + IPC_HDR_LEN,
			    len - IPC_HDR_LEN, &ar.alloc, err, sizeof(err));
			cr_assert_not_null(g, "%s", err);
			cr_assert_eq(g->request->id, 9);
			cr_assert_str_eq(g->request->send->peer_id, "bob");
			cr_assert_str_eq(g->request->send->service, "chat");
			cr_assert_eq(g->request->send->data.len, sz);
			cr_assert_eq(memcmp(g->request->send->data.data, data,
			    sz), 0);
			ipcmsg_arena_reset(&ar);
		}
		free(b);
	}
	/* A refused frame leaves nothing behind either. */
	cr_assert_null(ipcmsg_unpack_with(data, 100, &ar.alloc, err,
	    sizeof(err)));
	ipcmsg_arena_reset(&ar);
	ipcmsg_arena_free(&ar);
	ipcmsg_arena_free(&ar);	/* twice is harmless */
}
