/* SPDX-License-Identifier: ISC */
/*
 * test_client_abi.c: the rules of libp2pclient's ABI (docs/ABI.md) as an
 * application sees them: the version, size fields in every struct the
 * library fills, arrays of pointers, callbacks checked by their size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ipcmsg.h"
#include "p2pclient.h"

#include "test_client_conn.h"
#include "test_client_fake.h"
#include "test_client_script.h"

Test(client_abi, version_matches_header)
{
	char	want[32];

	snprintf(want, sizeof(want), "%d.%d.%d", P2PCLIENT_VERSION_MAJOR,
	    P2PCLIENT_VERSION_MINOR, P2PCLIENT_VERSION_PATCH);
	cr_assert_str_eq(P2PCLIENT_VERSION_STRING, want);
	cr_assert_str_eq(p2pclient_version(), want);
}

static int
peers_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__Response	 r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__PeersResp	 pr = P2P__IPC__PEERS_RESP__INIT;
	P2p__Ipc__PeerInfo	 pi[3], *pp[3];
	static const char	*ids[3] = { "bob", "carol", "dave" };
	size_t			 i;

	if (q->op_case != P2P__IPC__REQUEST__OP_PEERS)
		return 0;
	for (i = 0; i < 3; i++) {
		p2p__ipc__peer_info__init(&pi[i]);
		pi[i].peer_id = (char *)ids[i];
		pi[i].path = "relay";
		pi[i].state = "up";
		pi[i].congestion = "cubic";
		pi[i].max_message = 1000 + i;
		pp[i] = &pi[i];
	}
	pr.n_peers = 3;
	pr.peers = pp;
	r.id = q->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PEERS;
	r.peers = &pr;
	agent_respond(fd, &r);
	return 1;
}

/* The struct the application sees carries its size; arrays hold pointers. */
Test(client_abi, peers_are_sized_pointers)
{
	struct p2pclient	*c = client_start(agent_one(peers_answer));
	struct p2pclient_peers	*ps;
	struct p2pclient_peer	 old;
	size_t			 i;

	cr_assert_eq(p2pclient_peers(c, &ps), 0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(ps->size, sizeof(*ps));
	cr_assert_eq(ps->n, 3);
	for (i = 0; i < ps->n; i++) {
		cr_assert_eq(ps->v[i]->size, sizeof(struct p2pclient_peer));
		cr_assert(P2PCLIENT_HAS(struct p2pclient_peer, ps->v[i],
		    max_message));
		cr_assert_eq(ps->v[i]->max_message, 1000 + i);
	}
	cr_assert_str_eq(ps->v[2]->peer_id, "dave");
	/* A struct from an older library ends before the newer fields. */
	memset(&old, 0, sizeof(old));
	old.size = offsetof(struct p2pclient_peer, congestion);
	cr_assert(P2PCLIENT_HAS(struct p2pclient_peer, &old, path_changes));
	cr_assert(!P2PCLIENT_HAS(struct p2pclient_peer, &old, congestion));
	cr_assert(!P2PCLIENT_HAS(struct p2pclient_peer, &old, max_message));
	p2pclient_peers_free(ps);
	client_finish(c);
}

static int
status_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__StatusResp	s = P2P__IPC__STATUS_RESP__INIT;

	if (q->op_case != P2P__IPC__REQUEST__OP_STATUS)
		return 0;
	s.peer_id = "alice";
	s.server_state = "registered";
	agent_status(fd, q->id, &s);
	return 1;
}

Test(client_abi, status_is_sized)
{
	struct p2pclient	*c = client_start(agent_one(status_answer));
	struct p2pclient_status	*st;

	cr_assert_eq(p2pclient_status(c, &st), 0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(st->size, sizeof(*st));
	cr_assert(P2PCLIENT_HAS(struct p2pclient_status, st, bytes_out));
	cr_assert_str_eq(st->peer_id, "alice");
	p2pclient_status_free(st);
	client_finish(c);
}

static void
script_two_states(int fd)
{
	uint32_t	id;

	if (agent_ack_first(fd, &id) == -1)
		return;
	agent_peer_state(fd, "bob", "up", "relay", NULL);
	/* The second one after the client's next request. */
	if (agent_ack_first(fd, &id) == -1)
		return;
	agent_peer_state(fd, "bob", "up", "direct", NULL);
	while (agent_ack_first(fd, &id) == 0)
		;	/* until the client hangs up */
}

static int	states_seen;

static void
on_state(struct p2pclient *c, const char *peer, const char *state,
    const char *path, const char *reason, void *arg)
{
	states_seen++;
}

/*
 * Callbacks: a size of 0 (an application that did not set it) is refused
 * and changes nothing; a newer application's larger struct is taken when
 * the callbacks this library lacks are unset, refused when they are set.
 */
Test(client_abi, callbacks_checked_by_size)
{
	struct p2pclient		*c = client_start(script_two_states);
	struct {
		struct p2pclient_callbacks	cb;
		void				(*newer)(void);
	} big;
	struct p2pclient_event		*ev;

	memset(&big, 0, sizeof(big));
	big.cb.on_peer_state = on_state;
	cr_assert_eq(p2pclient_set_callbacks(c, &big.cb, NULL),
	    P2PCLIENT_EINVAL);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "size"));
	big.cb.size = sizeof(big);
	big.newer = (void (*)(void))abort;
	cr_assert_eq(p2pclient_set_callbacks(c, &big.cb, NULL),
	    P2PCLIENT_EINVAL);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "newer"));
	/* Neither call installed anything: the first event is queued. */
	cr_assert_eq(p2pclient_subscribe(c), 0);
	cr_assert_eq(p2pclient_next_event(c, 5000, &ev), 0);
	cr_assert_eq(ev->size, sizeof(*ev));
	cr_assert_eq(ev->type, P2PCLIENT_EV_PEER_STATE);
	cr_assert_str_eq(ev->path, "relay");
	p2pclient_event_free(ev);
	cr_assert_eq(states_seen, 0);
	/* The larger struct with its unknown callback unset is fine. */
	big.newer = NULL;
	cr_assert_eq(p2pclient_set_callbacks(c, &big.cb, NULL), 0);
	cr_assert_eq(p2pclient_bind(c, "x"), 0);
	while (states_seen < 1)
		cr_assert_eq(p2pclient_poll(c, 5000), 0);
	cr_assert_eq(p2pclient_next_event(c, 0, &ev), P2PCLIENT_ETIMEDOUT);
	cr_assert_null(ev);
	client_finish(c);
}
