/* SPDX-License-Identifier: ISC */
/*
 * srvclient: drives a running p2p-server through registration and
 * signalling over UDP and TCP and checks every answer (PROTOCOL.md §2.1,
 * §2.2, §5). It mints its own tokens from the secret file, so it can also
 * present expired and forged ones.
 * usage: srvclient PORT SECRET_FILE [open]  (server on 127.0.0.1; "open"
 *        when it runs with --policy open)
 *        srvclient PORT SECRET_FILE groups|groups-open|groups-restarted
 *        (server-managed groups, PROTOCOL.md §7; "groups" wants a server
 *        with --join-timeout 2; groups-restarted checks what "groups"
 *        left after a restart)
 *        srvclient PORT SECRET_FILE match  (matchmaking by agents,
 *        PROTOCOL.md §7.1; policy groups)
 *        srvclient PORT SECRET_FILE reintro PORT_B PORT_C  (three nodes
 *        of a cluster: a NatReport re-introduces its peer to the relayed
 *        peers on other nodes, docs/CLUSTER.md)
 * Prints one line per check; exits 0 when all pass, 1 at the first failure.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "chan.h"
#include "regclient.h"
#include "reghs.h"
#include "secret.h"
#include "server.pb-c.h"
#include "token.h"
#include "wire.h"

struct cl {
	const char	*name;
	int		 fd;
	int		 tcp;
	struct chan	 ch;
	uint8_t		 pk[32], sk[64];
	uint32_t	 next_id;
	uint32_t	 reg_id;
	uint32_t	 rtt_us;	/* said at registration (0: none) */
	int		 noack;		/* do not acknowledge pushes */
	uint32_t	 seen[64];	/* push_seqs seen: drop duplicates */
	unsigned	 nseen;
	char		 ev[2048];	/* group events, in order */
	char		 other[2048];	/* replies, introductions, ... */
	char		 group[P2P_NAME_MAX + 1];	/* a match's */
};

static struct sockaddr_in srv;
static uint8_t secret[SECRET_MAX];
static size_t secretlen;
static int checks;

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void
ok(const char *what)
{
	checks++;
	printf("ok %d - %s\n", checks, what);
}

static void
cl_open(struct cl *c, const char *name, int tcp, const uint8_t *seed)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->tcp = tcp;
	c->next_id = 1;
	c->fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (c->fd == -1 || connect(c->fd, (struct sockaddr *)&srv,
	    sizeof(srv)) == -1)
		fail("%s: cannot connect", name);
	if (seed != NULL)
		crypto_sign_seed_keypair(c->pk, c->sk, seed);
	else
		crypto_sign_keypair(c->pk, c->sk);
}

static void
cl_send(struct cl *c, const uint8_t *p, size_t n)
{
	if (rc_send(c->fd, c->tcp, p, n) == -1)
		fail("%s: send", c->name);
}

/* One packet within 2 s, or -1. */
static ssize_t
cl_recv(struct cl *c, uint8_t *p, size_t cap)
{
	return rc_recv(c->fd, c->tcp, p, cap, 2000);
}

static void
cl_send_msg(struct cl *c, P2p__Srv__ServerMsg *m)
{
	uint8_t pt[2048], out[2100];
	size_t n = p2p__srv__server_msg__get_packed_size(m);
	ssize_t k;

	p2p__srv__server_msg__pack(m, pt);
	if ((k = chan_seal(&c->ch, WIRE_CTRL, pt, n, out, sizeof(out))) < 0)
		fail("%s: seal", c->name);
	cl_send(c, out, (size_t)k);
}

/* The next ServerMsg; acknowledges pushes. */
static P2p__Srv__ServerMsg *
cl_recv_msg(struct cl *c)
{
	P2p__Srv__ServerMsg *m, ack = P2P__SRV__SERVER_MSG__INIT;
	uint8_t b[2048], pt[2048];
	ssize_t n;

	for (;;) {
		if ((n = cl_recv(c, b, sizeof(b))) < 0)
			fail("%s: no answer from the server", c->name);
		if (b[0] != WIRE_CTRL)
			continue;
		n = chan_open(&c->ch, WIRE_CTRL, b, (size_t)n, pt, sizeof(pt),
		    NULL);
		if (n < 0)
			fail("%s: CTRL packet does not open", c->name);
		if ((m = p2p__srv__server_msg__unpack(NULL, (size_t)n, pt))
		    == NULL)
			fail("%s: bad ServerMsg", c->name);
		if (m->push_seq != 0 && !c->noack) {
			ack.ack_push = m->push_seq;
			cl_send_msg(c, &ack);
		}
		return m;
	}
}

static void
mint(char *out, size_t cap, const char *peer, const char *group,
    int64_t issued_off, int64_t ttl, const uint8_t *key, size_t keylen)
{
	struct token t;

	memset(&t, 0, sizeof(t));
	t.version = TOKEN_VERSION;
	t.issued_at = (uint64_t)((int64_t)time(NULL) + issued_off);
	t.expires_at = (uint64_t)((int64_t)t.issued_at + ttl);
	snprintf(t.peer_id, sizeof(t.peer_id), "%s", peer);
	snprintf(t.groups[0], sizeof(t.groups[0]), "%s", group);
	t.ngroups = 1;
	if (token_mint(&t, key, keylen, out, cap) < 0)
		fail("cannot mint a token");
}

/* The steps of a registration (regclient.h), failing the run on error. */
#define cl_hs rc_hs

static void
cl_hello(struct cl *c, struct cl_hs *h)
{
	if (rc_hello(c->fd, c->tcp, h) == -1)
		fail("%s: no REG_CHALLENGE", c->name);
	if (h->challenge_len > h->hello_len || h->nkeys == 0)
		fail("%s: REG_CHALLENGE of %zu bytes with %u keys for a HELLO "
		    "of %zu", c->name, h->challenge_len, h->nkeys,
		    h->hello_len);
}

static void
cl_init_build(struct cl *c, struct cl_hs *h, const char *token, int badsig)
{
	if (rc_init_build(h, token, c->pk, c->sk, c->next_id++, badsig) == -1)
		fail("%s: cannot build REG_INIT", c->name);
}

static P2p__Srv__ServerMsg *
cl_accept(struct cl *c, struct cl_hs *h)
{
	P2p__Srv__ServerMsg *r;
	uint8_t b[2048];
	ssize_t n;

	if ((n = cl_recv(c, b, sizeof(b))) < 0 || b[0] != WIRE_REG_ACCEPT)
		fail("%s: no REG_ACCEPT", c->name);
	if ((size_t)n > h->init_len)
		fail("%s: REG_ACCEPT of %zd bytes for a REG_INIT of %zu",
		    c->name, n, h->init_len);
	if ((r = rc_accept_open(h, b, (size_t)n, &c->ch)) == NULL)
		fail("%s: REG_ACCEPT does not open with the server key",
		    c->name);
	if (r->body_case == P2P__SRV__SERVER_MSG__BODY_REGISTERED)
		c->reg_id = r->registered->reg_id;
	return r;
}

/*
 * HELLO, CHALLENGE, REG_INIT, REG_ACCEPT. Returns the reply (Registered
 * or Error); badsig corrupts the signature.
 */
static P2p__Srv__ServerMsg *
cl_register(struct cl *c, const char *token, int badsig)
{
	struct cl_hs h;

	cl_hello(c, &h);
	h.rtt_us = c->rtt_us;
	cl_init_build(c, &h, token, badsig);
	cl_send(c, h.init, h.init_len);
	return cl_accept(c, &h);
}

static void
expect_registered(struct cl *c, const char *token)
{
	P2p__Srv__ServerMsg *r = cl_register(c, token, 0);
	struct sockaddr_storage pub, me;
	socklen_t l = sizeof(me);
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_REGISTERED)
		fail("%s: not registered: %s", c->name, r->body_case ==
		    P2P__SRV__SERVER_MSG__BODY_ERROR ? r->error->message : "?");
	if (addr_from_pb(r->registered->public_addr, &pub, &l) == -1)
		fail("%s: no public address", c->name);
	l = sizeof(me);
	getsockname(c->fd, (struct sockaddr *)&me, &l);
	if (!addr_equal((struct sockaddr *)&pub, (struct sockaddr *)&me))
		fail("%s: public address %s, expected %s", c->name,
		    addr_fmt((struct sockaddr *)&pub, a, sizeof(a)),
		    addr_fmt((struct sockaddr *)&me, b, sizeof(b)));
	if (r->registered->keepalive_s == 0 || r->registered->expire_s == 0)
		fail("%s: no keepalive/expire", c->name);
	p2p__srv__server_msg__free_unpacked(r, NULL);
}

static void
expect_error(P2p__Srv__ServerMsg *r, P2p__Srv__ErrCode code,
    const char *text, const char *what)
{
	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_ERROR)
		fail("%s: expected an error, got body %d", what, r->body_case);
	if (r->error->code != code || strstr(r->error->message, text) == NULL)
		fail("%s: got error %d '%s', expected %d '%s'", what,
		    r->error->code, r->error->message, code, text);
	p2p__srv__server_msg__free_unpacked(r, NULL);
	ok(what);
}

static P2p__Srv__ServerMsg *
cl_connect(struct cl *c, const char *peer, uint32_t *id)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__ConnectRequest cr = P2P__SRV__CONNECT_REQUEST__INIT;

	cr.peer_id = (char *)peer;
	m.id = *id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_CONNECT;
	m.connect = &cr;
	cl_send_msg(c, &m);
	return cl_recv_msg(c);
}

static void
expect_introduce(P2p__Srv__ServerMsg *r, const struct cl *about,
    int initiator, const char *what)
{
	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_INTRODUCE ||
	    r->push_seq == 0 || strcmp(r->introduce->peer_id, about->name) ||
	    r->introduce->identity_key.len != 32 ||
	    memcmp(r->introduce->identity_key.data, about->pk, 32) != 0 ||
	    r->introduce->initiator != initiator ||
	    /* A TCP registration's source port is no UDP candidate. */
	    (r->introduce->public_addr == NULL) != (about->tcp != 0) ||
	    /* RELAY packets to it name its registration. */
	    r->introduce->relay_id == 0)
		fail("%s: not the expected Introduce", what);
	p2p__srv__server_msg__free_unpacked(r, NULL);
	ok(what);
}

/* connect a -> b succeeds: empty reply and Introduce, in either order. */
static void
expect_connect_ok(struct cl *a, struct cl *b, const char *what)
{
	P2p__Srv__ServerMsg *r;
	uint32_t id;
	int i, got_reply = 0, got_intro = 0;

	r = cl_connect(a, b->name, &id);
	for (i = 0; i < 2; i++) {
		if (i == 1)
			r = cl_recv_msg(a);
		if (r->body_case == P2P__SRV__SERVER_MSG__BODY__NOT_SET &&
		    r->id == id) {
			got_reply = 1;
			p2p__srv__server_msg__free_unpacked(r, NULL);
		} else {
			expect_introduce(r, b, 1,
			    "the requester is introduced as initiator");
			got_intro = 1;
		}
	}
	if (!got_reply || !got_intro)
		fail("connect: missing reply or introduction");
	ok(what);
	expect_introduce(cl_recv_msg(b), a, 0, "the target is introduced too");
}

static void
test_signalling(struct cl *alice, struct cl *bob, struct cl *carol,
    int open)
{
	P2p__Srv__ServerMsg *r;
	uint32_t id;

	r = cl_connect(alice, "dave", &id);
	expect_error(r, P2P__SRV__ERR_CODE__ERR_NOT_REGISTERED,
	    "peer dave is not registered", "connect to an unknown peer");
	r = cl_connect(alice, "bad id!", &id);
	expect_error(r, P2P__SRV__ERR_CODE__ERR_MALFORMED, "peer id",
	    "connect with a malformed peer id");
	if (open)
		expect_connect_ok(alice, carol, "policy open: no shared group "
		    "needed");
	else {
		r = cl_connect(alice, "carol", &id);
		expect_error(r, P2P__SRV__ERR_CODE__ERR_POLICY,
		    "peers alice and carol share no group",
		    "policy groups refuses peers without a shared group");
	}
	expect_connect_ok(alice, bob, "connect alice -> bob (TCP) succeeds");
}

/* A push that is not acknowledged comes again; once acknowledged, not. */
static void
test_push_retransmit(struct cl *alice, struct cl *erin)
{
	P2p__Srv__ServerMsg *r, ack = P2P__SRV__SERVER_MSG__INIT;
	uint8_t b[2048];
	uint32_t id, seq;
	int i;

	erin->noack = 1;
	r = cl_connect(alice, erin->name, &id);
	p2p__srv__server_msg__free_unpacked(r, NULL);
	p2p__srv__server_msg__free_unpacked(cl_recv_msg(alice), NULL);
	r = cl_recv_msg(erin);
	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_INTRODUCE)
		fail("erin: no Introduce");
	seq = r->push_seq;
	p2p__srv__server_msg__free_unpacked(r, NULL);
	r = cl_recv_msg(erin);
	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_INTRODUCE ||
	    r->push_seq != seq)
		fail("erin: the push was not sent again");
	p2p__srv__server_msg__free_unpacked(r, NULL);
	ok("an unacknowledged push is retransmitted with the same push_seq");
	ack.ack_push = seq;
	cl_send_msg(erin, &ack);
	for (i = 0; i < 2; i++) {
		struct pollfd pfd = { erin->fd, POLLIN, 0 };

		if (poll(&pfd, 1, 800) == 1 && read(erin->fd, b, sizeof(b)) > 0)
			fail("erin: push sent again after its ack");
	}
	ok("an acknowledged push is not sent again");
}

static void
test_keepalive(struct cl *c)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT, *r;
	P2p__Srv__Keepalive ka = P2P__SRV__KEEPALIVE__INIT;

	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE;
	m.keepalive = &ka;
	cl_send_msg(c, &m);
	r = cl_recv_msg(c);
	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_KEEPALIVE_ACK ||
	    r->id != m.id || r->keepalive_ack->public_addr == NULL ||
	    r->keepalive_ack->public_addr->ip.len != 4)
		fail("%s: no KeepaliveAck", c->name);
	p2p__srv__server_msg__free_unpacked(r, NULL);
	ok("keepalive is acknowledged with the public address");
}

static void
test_raw(struct cl *c)
{
	uint8_t b[64], pkt[64];
	ssize_t n;
	uint8_t sv, rv;
	uint32_t id;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = WIRE_CTRL;
	pkt[1] = 7;
	cl_send(c, pkt, 40);
	if ((n = cl_recv(c, b, sizeof(b))) != WIRE_VERSION_ERROR_LEN ||
	    wire_version_error_parse(b, (size_t)n, &sv, &rv) == -1 ||
	    sv != WIRE_VERSION || rv != 7)
		fail("no VERSION_ERROR for version 7");
	ok("wire version 7 gets VERSION_ERROR naming both versions");
	pkt[1] = WIRE_VERSION;
	pkt[4] = 0xde; pkt[5] = 0xad; pkt[6] = 0xbe; pkt[7] = 0xef;
	cl_send(c, pkt, 40);
	if ((n = cl_recv(c, b, sizeof(b))) < 0 ||
	    wire_unknown_reg_parse(b, (size_t)n, &id) == -1 || id != 0xdeadbeef)
		fail("no UNKNOWN_REG");
	ok("an unknown reg_id gets UNKNOWN_REG");
}

/* Nothing comes back within 800 ms. */
static void
expect_silence(struct cl *c, const char *what)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };

	if (poll(&pfd, 1, 800) == 1)
		fail("%s: the server answered", what);
	ok(what);
}

/*
 * The server's side of the handshake (PROTOCOL.md §2.1): a bad cookie gets
 * a fresh one and nothing else, a REG_INIT to a key the server does not
 * hold or that was tampered with gets nothing, and a REG_INIT sent again
 * (lost REG_ACCEPT, or a replay) gets the same REG_ACCEPT while the agent
 * has not used the channel, nothing after, and never a new registration.
 */
static void
test_reg_auth(struct cl *c, const char *token)
{
	P2p__Srv__ServerMsg *r;
	struct cl_hs h;
	uint8_t b[2048], ck[16], keys[WIRE_CHALLENGE_KEYS][32];
	unsigned nk;
	uint32_t reg;
	ssize_t n;

	cl_hello(c, &h);
	cl_init_build(c, &h, token, 0);
	h.init[WIRE_HDR_LEN + WIRE_KEY_ID_LEN] ^= 1;	/* the cookie */
	cl_send(c, h.init, h.init_len);
	if ((n = cl_recv(c, b, sizeof(b))) < 0 || wire_challenge_parse(b,
	    (size_t)n, ck, keys, &nk) == -1 || (size_t)n > h.init_len)
		fail("a bad cookie did not get a fresh REG_CHALLENGE");
	ok("a REG_INIT with a bad cookie gets a fresh REG_CHALLENGE, no larger");
	expect_silence(c, "... and nothing else");
	h.init[WIRE_HDR_LEN + WIRE_KEY_ID_LEN] ^= 1;
	h.init[WIRE_HDR_LEN] ^= 0xff;			/* the key id */
	cl_send(c, h.init, h.init_len);
	expect_silence(c, "a REG_INIT to a key the server does not hold: "
	    "no answer");
	h.init[WIRE_HDR_LEN] ^= 0xff;
	h.init[h.init_len - 3] ^= 1;			/* the ciphertext */
	cl_send(c, h.init, h.init_len);
	expect_silence(c, "a tampered REG_INIT: no answer");
	h.init[h.init_len - 3] ^= 1;
	cl_send(c, h.init, h.init_len);
	r = cl_accept(c, &h);
	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_REGISTERED)
		fail("%s: not registered", c->name);
	reg = r->registered->reg_id;
	p2p__srv__server_msg__free_unpacked(r, NULL);
	memcpy(b, h.accept, h.accept_len);
	cl_send(c, h.init, h.init_len);
	if ((n = cl_recv(c, h.accept, sizeof(h.accept))) != (ssize_t)
	    h.accept_len || memcmp(b, h.accept, (size_t)n) != 0)
		fail("a resent REG_INIT did not get the same REG_ACCEPT");
	ok("a resent REG_INIT gets the same REG_ACCEPT (same registration)");
	test_keepalive(c);
	cl_send(c, h.init, h.init_len);
	expect_silence(c, "once the channel is used, a replayed REG_INIT "
	    "gets nothing");
	test_keepalive(c);
	if (c->reg_id != reg)
		fail("the registration changed");
	ok("... and the registration is the same");
}

static void
test_deregister(struct cl *c)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT, *r;
	P2p__Srv__Deregister d = P2P__SRV__DEREGISTER__INIT;
	P2p__Srv__Keepalive ka = P2P__SRV__KEEPALIVE__INIT;
	uint8_t b[64];
	uint32_t id;
	ssize_t n;

	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_DEREGISTER;
	m.deregister = &d;
	cl_send_msg(c, &m);
	r = cl_recv_msg(c);
	if (r->id != m.id || r->body_case != P2P__SRV__SERVER_MSG__BODY__NOT_SET)
		fail("deregister: no empty reply");
	p2p__srv__server_msg__free_unpacked(r, NULL);
	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE;
	m.keepalive = &ka;
	cl_send_msg(c, &m);
	if ((n = cl_recv(c, b, sizeof(b))) < 0 ||
	    wire_unknown_reg_parse(b, (size_t)n, &id) == -1 || id != c->reg_id)
		fail("after deregister: no UNKNOWN_REG");
	ok("deregister, then the reg_id is unknown");
}

/* Groups ---------------------------------------------------------------- */

static void
mint_groups(char *out, size_t cap, const char *peer, const char *groups)
{
	struct token t;
	char list[256], *g, *save = NULL;

	memset(&t, 0, sizeof(t));
	t.version = TOKEN_VERSION;
	t.issued_at = (uint64_t)time(NULL);
	t.expires_at = t.issued_at + 3600;
	snprintf(t.peer_id, sizeof(t.peer_id), "%s", peer);
	snprintf(list, sizeof(list), "%s", groups);
	for (g = strtok_r(list, ",", &save); g != NULL;
	    g = strtok_r(NULL, ",", &save))
		snprintf(t.groups[t.ngroups++], sizeof(t.groups[0]), "%s", g);
	if (token_mint(&t, secret, secretlen, out, cap) < 0)
		fail("cannot mint a token");
}

/* Registered over UDP saying a round trip of rtt_us to its node. */
static void
cl_up_rtt(struct cl *c, const char *name, const char *groups,
    uint32_t rtt_us)
{
	char tok[TOKEN_MAX_LEN + 1];

	mint_groups(tok, sizeof(tok), name, groups);
	cl_open(c, name, 0, NULL);
	c->rtt_us = rtt_us;
	expect_registered(c, tok);
}

static void
cl_up(struct cl *c, const char *name, int tcp, const char *groups)
{
	char tok[TOKEN_MAX_LEN + 1];

	if (!tcp) {
		cl_up_rtt(c, name, groups, 0);
		return;
	}
	mint_groups(tok, sizeof(tok), name, groups);
	cl_open(c, name, tcp, NULL);
	expect_registered(c, tok);
}

static void
cl_log(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cl_log(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(buf);

	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

static void	cl_note_match(struct cl *, const P2p__Srv__ServerMsg *);

/* An Introduce: "introduce:PEER;" then what it says of the peer's NAT. */
static void
cl_note_intro(struct cl *c, const P2p__Srv__Introduce *in)
{
	struct sockaddr_storage ss;
	socklen_t l;
	char a[ADDR_STRLEN];

	cl_log(c->other, sizeof(c->other), "introduce:%s;", in->peer_id);
	if (in->nat_type != NULL && in->nat_type[0] != '\0' &&
	    strcmp(in->nat_type, "unknown") != 0)
		cl_log(c->other, sizeof(c->other), "nat:%s=%s;", in->peer_id,
		    in->nat_type);
	l = sizeof(ss);
	if (in->portmap_addr != NULL &&
	    addr_from_pb(in->portmap_addr, &ss, &l) == 0)
		cl_log(c->other, sizeof(c->other), "pm:%s=%s;", in->peer_id,
		    addr_fmt((struct sockaddr *)&ss, a, sizeof(a)));
	l = sizeof(ss);
	if (in->other_public != NULL &&
	    addr_from_pb(in->other_public, &ss, &l) == 0)
		cl_log(c->other, sizeof(c->other), "oth:%s=%s;", in->peer_id,
		    addr_fmt((struct sockaddr *)&ss, a, sizeof(a)));
	if (in->punch_in_us != 0)
		cl_log(c->other, sizeof(c->other), "punch:%s=%u;",
		    in->peer_id, in->punch_in_us);
}

/* Note one decoded message in c->ev / c->other; drops duplicate pushes. */
static void
cl_note(struct cl *c, P2p__Srv__ServerMsg *m)
{
	static const char *kind[] = { "?", "join", "leave", "destroyed",
	    "complete" };
	P2p__Srv__GroupEvent *ge;
	unsigned i;

	if (m->push_seq != 0) {
		for (i = 0; i < c->nseen; i++)
			if (c->seen[i] == m->push_seq)
				return;
		if (c->nseen < 64)
			c->seen[c->nseen++] = m->push_seq;
	}
	switch (m->body_case) {
	case P2P__SRV__SERVER_MSG__BODY_GROUP_EVENT:
		ge = m->group_event;
		if (ge->kind > 4)
			fail("%s: group event kind %d", c->name, ge->kind);
		cl_log(c->ev, sizeof(c->ev), "%s:%s", kind[ge->kind],
		    ge->group);
		if (ge->kind != P2P__SRV__GROUP_EVENT_KIND__GEV_GROUP_DESTROYED)
			cl_log(c->ev, sizeof(c->ev), ":%s", ge->peer_id);
		if (ge->kind == P2P__SRV__GROUP_EVENT_KIND__GEV_JOIN_COMPLETE) {
			cl_log(c->ev, sizeof(c->ev), ":");
			for (i = 0; i < ge->n_missing; i++)
				cl_log(c->ev, sizeof(c->ev), "%s%s", i ? "," :
				    "", ge->missing[i]);
		}
		cl_log(c->ev, sizeof(c->ev), ";");
		break;
	case P2P__SRV__SERVER_MSG__BODY_INTRODUCE:
		cl_note_intro(c, m->introduce);
		break;
	case P2P__SRV__SERVER_MSG__BODY_WITHDRAW:
		cl_log(c->other, sizeof(c->other), "withdraw:%s:%s;",
		    m->withdraw->peer_id, m->withdraw->reason);
		break;
	case P2P__SRV__SERVER_MSG__BODY_ERROR:
		cl_log(c->other, sizeof(c->other), "error:%u:%d:%s;", m->id,
		    m->error->code, m->error->message);
		break;
	case P2P__SRV__SERVER_MSG__BODY__NOT_SET:
		cl_log(c->other, sizeof(c->other), "reply:%u;", m->id);
		break;
	case P2P__SRV__SERVER_MSG__BODY_MATCH_TICKET:
	case P2P__SRV__SERVER_MSG__BODY_MATCH_RESULT:
	case P2P__SRV__SERVER_MSG__BODY_GROUP_SEARCH_REPLY:
		cl_note_match(c, m);
		break;
	default:
		cl_log(c->other, sizeof(c->other), "body%d:%u;", m->body_case,
		    m->id);
		break;
	}
}

/*
 * Read what arrives for the clients (acknowledging pushes) until none has
 * sent anything for quiet_ms, or until `until` appears in the events of
 * cs[0] (when not NULL), at most max_ms.
 */
static void
collect(struct cl **cs, int n, int quiet_ms, const char *until, int max_ms)
{
	struct pollfd pfd[8];
	P2p__Srv__ServerMsg *m;
	struct timespec t0, t1;
	int i, k;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = cs[i]->fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if ((k = poll(pfd, (nfds_t)n, quiet_ms)) <= 0 && until == NULL)
			return;
		for (i = 0; k > 0 && i < n; i++)
			if (pfd[i].revents & POLLIN) {
				m = cl_recv_msg(cs[i]);
				cl_note(cs[i], m);
				p2p__srv__server_msg__free_unpacked(m, NULL);
			}
		if (until != NULL && strstr(cs[0]->ev, until) != NULL)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
		    1000000 > max_ms)
			return;
	}
}

static void
cl_clear(struct cl *c)
{
	c->ev[0] = c->other[0] = '\0';
}

/* Send a group request (body one of the Group* cases); returns its id. */
static uint32_t
cl_group(struct cl *c, P2p__Srv__ServerMsg__BodyCase body, const char *name)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupJoin j = P2P__SRV__GROUP_JOIN__INIT;
	P2p__Srv__GroupLeave l = P2P__SRV__GROUP_LEAVE__INIT;
	P2p__Srv__GroupCreate cr = P2P__SRV__GROUP_CREATE__INIT;
	P2p__Srv__GroupDestroy d = P2P__SRV__GROUP_DESTROY__INIT;
	P2p__Srv__GroupList li = P2P__SRV__GROUP_LIST__INIT;

	j.group = l.group = cr.group = d.group = (char *)name;
	m.id = c->next_id++;
	m.body_case = body;
	switch (body) {
	case P2P__SRV__SERVER_MSG__BODY_GROUP_JOIN:
		m.group_join = &j;
		break;
	case P2P__SRV__SERVER_MSG__BODY_GROUP_LEAVE:
		m.group_leave = &l;
		break;
	case P2P__SRV__SERVER_MSG__BODY_GROUP_CREATE:
		m.group_create = &cr;
		break;
	case P2P__SRV__SERVER_MSG__BODY_GROUP_DESTROY:
		m.group_destroy = &d;
		break;
	default:
		m.group_list = &li;
		break;
	}
	cl_send_msg(c, &m);
	return m.id;
}

#define JOIN	P2P__SRV__SERVER_MSG__BODY_GROUP_JOIN
#define LEAVE	P2P__SRV__SERVER_MSG__BODY_GROUP_LEAVE
#define CREATE	P2P__SRV__SERVER_MSG__BODY_GROUP_CREATE
#define DESTROY	P2P__SRV__SERVER_MSG__BODY_GROUP_DESTROY

static void
expect_str(const char *got, const char *want, const char *who,
    const char *what)
{
	if (strcmp(got, want) != 0)
		fail("%s: %s: got '%s', expected '%s'", who, what, got, want);
}

static void
expect_has(const char *got, const char *want, const char *who,
    const char *what)
{
	if (strstr(got, want) == NULL)
		fail("%s: %s: '%s' does not contain '%s'", who, what, got,
		    want);
}

/* A request answered with an error whose message holds text. */
static void
expect_group_error(struct cl *c, P2p__Srv__ServerMsg__BodyCase body,
    const char *name, P2p__Srv__ErrCode code, const char *text,
    const char *what)
{
	char want[64];
	uint32_t id;

	cl_clear(c);
	id = cl_group(c, body, name);
	collect(&c, 1, 300, NULL, 3000);
	snprintf(want, sizeof(want), "error:%u:%d:", id, code);
	expect_has(c->other, want, c->name, what);
	expect_has(c->other, text, c->name, what);
	if (c->ev[0] != '\0')
		fail("%s: %s: events '%s'", c->name, what, c->ev);
	ok(what);
}

/* The groups of c through GroupList, as "name:m1,m2;" */
static void
cl_list(struct cl *c, char *out, size_t cap)
{
	P2p__Srv__ServerMsg *r;
	P2p__Srv__GroupListReply *lr;
	uint32_t id = cl_group(c, P2P__SRV__SERVER_MSG__BODY_GROUP_LIST, NULL);
	size_t i, j;

	out[0] = '\0';
	for (;;) {
		r = cl_recv_msg(c);
		if (r->id == id)
			break;
		cl_note(c, r);
		p2p__srv__server_msg__free_unpacked(r, NULL);
	}
	if (r->body_case != P2P__SRV__SERVER_MSG__BODY_GROUP_LIST_REPLY)
		fail("%s: GroupList: body %d", c->name, r->body_case);
	lr = r->group_list_reply;
	for (i = 0; i < lr->n_groups; i++) {
		cl_log(out, cap, "%s:", lr->groups[i]->name);
		for (j = 0; j < lr->groups[i]->n_members; j++)
			cl_log(out, cap, "%s%s", j ? "," : "",
			    lr->groups[i]->members[j]);
		cl_log(out, cap, ";");
	}
	p2p__srv__server_msg__free_unpacked(r, NULL);
}

static double
elapsed_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void
test_groups(void)
{
	struct cl alice, bob, carol, erin, *all[4], *ab[2];
	struct timespec t0;
	uint32_t id;
	char buf[512], want[128];
	double dt;
	int i;

	cl_up(&alice, "alice", 0, "lobby,team");
	cl_up(&bob, "bob", 1, "lobby");
	cl_up(&carol, "carol", 0, "other");
	cl_up(&erin, "erin", 0, "lobby");
	all[0] = &alice; all[1] = &bob; all[2] = &erin; all[3] = &carol;
	ok("alice, bob (TCP), carol and erin register");

	expect_group_error(&carol, JOIN, "lobby", P2P__SRV__ERR_CODE__ERR_POLICY,
	    "does not grant", "policy groups: joining an ungranted group is "
	    "refused");
	expect_group_error(&alice, CREATE, "team",
	    P2P__SRV__ERR_CODE__ERR_POLICY, "server's API",
	    "policy groups: agents may not create groups");
	expect_group_error(&alice, JOIN, "bad name!",
	    P2P__SRV__ERR_CODE__ERR_MALFORMED, "not a valid group name",
	    "a malformed group name is refused");

	cl_clear(&alice);
	id = cl_group(&alice, JOIN, "lobby");
	collect(all, 1, 500, NULL, 3000);
	expect_str(alice.ev, "join:lobby:alice;complete:lobby:alice:;",
	    "alice", "own join");
	snprintf(want, sizeof(want), "reply:%u;", id);
	expect_has(alice.other, want, "alice", "join reply");
	ok("joining a granted group that does not exist creates it; "
	    "member_join then join_complete");
	expect_group_error(&alice, JOIN, "lobby", P2P__SRV__ERR_CODE__ERR_EXISTS,
	    "already a member", "joining twice is refused");

	for (i = 0; i < 4; i++)
		cl_clear(all[i]);
	(void)cl_group(&bob, JOIN, "lobby");
	collect(all, 2, 500, NULL, 3000);
	expect_str(alice.ev, "join:lobby:bob;complete:lobby:bob:;", "alice",
	    "bob's join");
	expect_str(bob.ev, "join:lobby:bob;complete:lobby:bob:;", "bob",
	    "bob's join");
	expect_has(alice.other, "introduce:bob;", "alice", "mesh");
	expect_has(bob.other, "introduce:alice;", "bob", "mesh");
	ok("member_join and join_complete reach every member in order");
	ok("a mesh group introduces the new member to the others");

	/* erin never acknowledges: join_complete comes at the timeout. */
	for (i = 0; i < 4; i++)
		cl_clear(all[i]);
	erin.noack = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)cl_group(&erin, JOIN, "lobby");
	collect(all, 3, 200, "complete:lobby:erin", 8000);
	dt = elapsed_since(&t0);
	collect(all, 3, 300, NULL, 2000);
	expect_str(alice.ev, "join:lobby:erin;complete:lobby:erin:erin;",
	    "alice", "erin's join");
	expect_str(bob.ev, "join:lobby:erin;complete:lobby:erin:erin;", "bob",
	    "erin's join");
	if (dt < 1.5 || dt > 4.5)
		fail("join_complete after %.1f s, --join-timeout is 2", dt);
	printf("# join_complete after %.2f s naming erin\n", dt);
	ok("join_complete after the timeout lists the member that did not "
	    "acknowledge");
	erin.noack = 0;
	collect(all, 3, 300, NULL, 9000);	/* erin's retransmissions */

	/* alice leaves: she and bob share no group any more. */
	for (i = 0; i < 4; i++)
		cl_clear(all[i]);
	(void)cl_group(&alice, LEAVE, "lobby");
	collect(all, 3, 500, NULL, 3000);
	expect_str(alice.ev, "leave:lobby:alice;", "alice", "own leave");
	expect_str(bob.ev, "leave:lobby:alice;", "bob", "alice's leave");
	expect_str(erin.ev, "leave:lobby:alice;", "erin", "alice's leave");
	expect_has(bob.other, "withdraw:alice:peers alice and bob no longer "
	    "share a group (lobby);", "bob", "withdraw");
	expect_has(alice.other, "withdraw:bob:", "alice", "withdraw");
	ok("member_leave reaches every member, the leaver included");
	ok("leaving the last shared group withdraws the introduction with "
	    "the reason");
	ab[0] = &alice;
	ab[1] = &bob;
	cl_clear(&alice);
	expect_error(cl_connect(&alice, "bob", &id),
	    P2P__SRV__ERR_CODE__ERR_POLICY, "share no group",
	    "a token group replaced by a managed one no longer allows a "
	    "session");
	expect_group_error(&alice, LEAVE, "lobby",
	    P2P__SRV__ERR_CODE__ERR_NO_GROUP, "not a member",
	    "leaving a group one is not in is refused");
	(void)ab;

	cl_list(&bob, buf, sizeof(buf));
	expect_str(buf, "lobby:bob,erin;", "bob", "GroupList");
	ok("GroupList shows the asker's groups with members in join order");

	/* alice joins again (the restart check expects three members). */
	for (i = 0; i < 4; i++)
		cl_clear(all[i]);
	(void)cl_group(&alice, JOIN, "lobby");
	collect(all, 3, 500, NULL, 3000);
	expect_str(erin.ev, "join:lobby:alice;complete:lobby:alice:;", "erin",
	    "alice's second join");
	expect_has(alice.other, "introduce:erin;", "alice", "mesh again");
}

static void
test_groups_open(void)
{
	struct cl alice, bob, carol, *all[3];
	char buf[512];
	int i;

	cl_up(&alice, "alice", 0, "a");
	cl_up(&bob, "bob", 0, "b");
	cl_up(&carol, "carol", 1, "c");
	all[0] = &bob; all[1] = &alice; all[2] = &carol;
	(void)cl_group(&alice, CREATE, "free");
	collect(all + 1, 1, 300, NULL, 2000);
	expect_has(alice.other, "reply:", "alice", "create");
	expect_group_error(&alice, CREATE, "free",
	    P2P__SRV__ERR_CODE__ERR_EXISTS, "exists",
	    "policy open: creating an existing group is refused");
	(void)cl_group(&bob, JOIN, "free");
	collect(all, 3, 500, NULL, 3000);
	(void)cl_group(&carol, JOIN, "free");
	collect(all, 3, 500, NULL, 3000);
	expect_str(bob.ev, "join:free:bob;complete:free:bob:;join:free:carol;"
	    "complete:free:carol:;", "bob", "joins");
	ok("policy open: agents create groups and join any group");
	for (i = 0; i < 3; i++)
		cl_clear(all[i]);
	(void)cl_group(&alice, DESTROY, "free");
	collect(all, 3, 500, NULL, 3000);
	expect_str(bob.ev, "destroyed:free;", "bob", "destroy");
	expect_str(carol.ev, "destroyed:free;", "carol", "destroy");
	expect_str(alice.ev, "", "alice", "destroy (not a member)");
	ok("policy open: destroy sends group_destroyed to every member");
	cl_list(&bob, buf, sizeof(buf));
	expect_str(buf, "", "bob", "GroupList after destroy");
	expect_connect_ok(&alice, &bob, "policy open: sessions without a "
	    "shared group");
}

static void
test_groups_restarted(void)
{
	struct cl bob;
	char buf[512];

	cl_up(&bob, "bob", 0, "lobby");
	cl_list(&bob, buf, sizeof(buf));
	expect_str(buf, "lobby:bob,erin,alice;", "bob", "GroupList");
	ok("groups and memberships survive a server restart");
}

/* Matchmaking ----------------------------------------------------------- */

static void
cl_note_attrs(struct cl *c, P2p__Srv__Attr **a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cl_log(c->other, sizeof(c->other), "%s%s=%s", i ? "," : "",
		    a[i]->key, a[i]->value);
}

/* "ticket:ID:ATTRS;", "result:TICKET:OUTCOME:GROUP:ATTRS:MEMBERS;", ... */
static void
cl_note_match(struct cl *c, const P2p__Srv__ServerMsg *m)
{
	const P2p__Srv__GroupInfo *g;
	size_t i, j;

	switch (m->body_case) {
	case P2P__SRV__SERVER_MSG__BODY_MATCH_TICKET:
		cl_log(c->other, sizeof(c->other), "ticket:%llu:",
		    (unsigned long long)m->match_ticket->ticket);
		cl_note_attrs(c, m->match_ticket->attributes,
		    m->match_ticket->n_attributes);
		cl_log(c->other, sizeof(c->other), ";");
		break;
	case P2P__SRV__SERVER_MSG__BODY_MATCH_RESULT:
		cl_log(c->other, sizeof(c->other), "result:%llu:%d:",
		    (unsigned long long)m->match_result->ticket,
		    m->match_result->outcome);
		if ((g = m->match_result->group) != NULL) {
			snprintf(c->group, sizeof(c->group), "%s", g->name);
			cl_log(c->other, sizeof(c->other), "group:");
			cl_note_attrs(c, g->attributes, g->n_attributes);
			cl_log(c->other, sizeof(c->other), ":");
			for (i = 0; i < g->n_members; i++)
				cl_log(c->other, sizeof(c->other), "%s%s",
				    i ? "," : "", g->members[i]);
			if (g->expires_at == 0)
				cl_log(c->other, sizeof(c->other), ":noexp");
		}
		cl_log(c->other, sizeof(c->other), ";");
		break;
	default:
		cl_log(c->other, sizeof(c->other), "search:%u:", m->id);
		for (i = 0; i < m->group_search_reply->n_groups; i++) {
			g = m->group_search_reply->groups[i];
			cl_log(c->other, sizeof(c->other), "%s%s=",
			    i ? "|" : "", strncmp(g->name, "m-", 2) == 0 ?
			    "m-" : g->name);
			for (j = 0; j < g->n_attributes; j++)
				cl_log(c->other, sizeof(c->other), "%s%s=%s",
				    j ? "," : "", g->attributes[j]->key,
				    g->attributes[j]->value);
		}
		cl_log(c->other, sizeof(c->other), ";");
		break;
	}
}

/* Send a MatchRequest: attrs "k=v,k=v" (or ""); returns its id. */
static uint32_t
cl_match(struct cl *c, uint64_t ticket, const char *attrs, uint32_t size,
    uint32_t timeout_s)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__MatchRequest mr = P2P__SRV__MATCH_REQUEST__INIT;
	P2p__Srv__Attr a[10], *ap[10];
	char buf[512], *kv, *save = NULL, *eq;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", attrs);
	for (kv = strtok_r(buf, ",", &save); kv != NULL && n < 10;
	    kv = strtok_r(NULL, ",", &save)) {
		p2p__srv__attr__init(&a[n]);
		if ((eq = strchr(kv, '=')) != NULL)
			*eq++ = '\0';
		a[n].key = kv;
		a[n].value = eq != NULL ? eq : (char *)"";
		ap[n] = &a[n];
		n++;
	}
	mr.ticket = ticket;
	mr.attributes = ap;
	mr.n_attributes = n;
	mr.size = size;
	mr.timeout_s = timeout_s;
	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_MATCH_REQUEST;
	m.match_request = &mr;
	cl_send_msg(c, &m);
	return m.id;
}

static uint32_t
cl_match_cancel(struct cl *c, uint64_t ticket)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__MatchCancel mc = P2P__SRV__MATCH_CANCEL__INIT;

	mc.ticket = ticket;
	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_MATCH_CANCEL;
	m.match_cancel = &mc;
	cl_send_msg(c, &m);
	return m.id;
}

static uint32_t
cl_search(struct cl *c, const char *key, const char *value)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupSearch gs = P2P__SRV__GROUP_SEARCH__INIT;
	P2p__Srv__Attr a = P2P__SRV__ATTR__INIT, *ap = &a;

	a.key = (char *)key;
	a.value = (char *)value;
	gs.attributes = &ap;
	gs.n_attributes = 1;
	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_SEARCH;
	m.group_search = &gs;
	cl_send_msg(c, &m);
	return m.id;
}

/* Collect for c until text is in c->other, at most max_ms. */
static void
collect_other(struct cl *c, const char *text, int max_ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (strstr(c->other, text) == NULL &&
	    elapsed_since(&t0) * 1000 < max_ms)
		collect(&c, 1, 100, NULL, 200);
}

/* A MatchRequest refused with code and text. */
static void
expect_match_error(struct cl *c, uint64_t ticket, const char *attrs,
    uint32_t size, P2p__Srv__ErrCode code, const char *text,
    const char *what)
{
	char want[64];
	uint32_t id;

	cl_clear(c);
	id = cl_match(c, ticket, attrs, size, 10);
	collect(&c, 1, 300, NULL, 3000);
	snprintf(want, sizeof(want), "error:%u:%d:", id, code);
	expect_has(c->other, want, c->name, what);
	expect_has(c->other, text, c->name, what);
	ok(what);
}

static void
test_match(void)
{
	struct cl alice, bob, carol, dave, carol2, erin, frank, *all[4];
	uint8_t seed[32];
	char tok[TOKEN_MAX_LEN + 1], want[256];
	struct timespec t0;
	uint32_t id;
	double dt;
	int i;

	cl_up(&alice, "alice", 0, "lobby");
	cl_up(&bob, "bob", 1, "lobby");
	randombytes_buf(seed, sizeof(seed));
	mint_groups(tok, sizeof(tok), "carol", "other");
	cl_open(&carol, "carol", 0, seed);
	expect_registered(&carol, tok);
	all[0] = &alice; all[1] = &bob; all[2] = &carol;
	ok("alice, bob (TCP) and carol register");

	expect_match_error(&alice, 0, "map=dunes", 2,
	    P2P__SRV__ERR_CODE__ERR_MALFORMED, "must not be 0",
	    "a ticket id 0 is refused");
	expect_match_error(&alice, 1, "map=dunes", 1,
	    P2P__SRV__ERR_CODE__ERR_MALFORMED, "size 1",
	    "a match of size 1 is refused");
	expect_match_error(&alice, 1, "map=dunes", 100000,
	    P2P__SRV__ERR_CODE__ERR_MALFORMED, "size 100000",
	    "a huge size is refused");
	expect_match_error(&alice, 1, "m ap=dunes", 2,
	    P2P__SRV__ERR_CODE__ERR_MALFORMED, "m ap",
	    "a malformed attribute key is refused");
	expect_match_error(&alice, 1, "map=", 2,
	    P2P__SRV__ERR_CODE__ERR_MALFORMED, "attribute map",
	    "an empty value is refused");
	expect_match_error(&alice, 1, "map=a,map=b", 2,
	    P2P__SRV__ERR_CODE__ERR_MALFORMED, "twice",
	    "a key given twice is refused");
	expect_match_error(&alice, 1, "a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1",
	    2, P2P__SRV__ERR_CODE__ERR_MALFORMED, "too many",
	    "too many attributes are refused");

	/* alice and bob: the same attributes in another order. */
	cl_clear(&alice);
	id = cl_match(&alice, 11, "mode=duel,map=dunes", 2, 20);
	collect(all, 1, 300, NULL, 3000);
	snprintf(want, sizeof(want), "ticket:11:map=dunes,mode=duel;");
	expect_str(alice.other, want, "alice", "MatchTicket");
	ok("a ticket is answered with its attributes sorted");
	expect_match_error(&alice, 12, "map=mesa", 2,
	    P2P__SRV__ERR_CODE__ERR_EXISTS, "already holds",
	    "a device holds one waiting ticket");
	for (i = 0; i < 3; i++)
		cl_clear(all[i]);
	(void)cl_match(&bob, 21, "map=dunes,mode=duel", 2, 20);
	collect(all, 2, 200, "complete:m-", 5000);
	collect(all, 2, 500, NULL, 3000);
	expect_has(bob.other, "ticket:21:", "bob", "MatchTicket");
	expect_has(alice.other, "result:11:1:group:map=dunes,mode=duel:"
	    "alice,bob;", "alice", "MatchResult");
	expect_has(bob.other, "result:21:1:group:map=dunes,mode=duel:"
	    "alice,bob;", "bob", "MatchResult");
	if (strcmp(alice.group, bob.group) != 0 ||
	    strncmp(alice.group, "m-", 2) != 0)
		fail("alice in %s, bob in %s", alice.group, bob.group);
	ok("two compatible tickets make one match group carrying their "
	    "attributes, members in the order they asked");
	snprintf(want, sizeof(want), "join:%s:alice;", bob.group);
	expect_has(alice.ev, want, "alice", "member_join");
	snprintf(want, sizeof(want), "join:%s:bob;", bob.group);
	expect_has(alice.ev, want, "alice", "member_join");
	expect_has(bob.ev, want, "bob", "member_join");
	snprintf(want, sizeof(want), "complete:%s:bob:", bob.group);
	expect_has(bob.ev, want, "bob", "join_complete");
	expect_has(alice.other, "introduce:bob;", "alice", "mesh");
	expect_has(bob.other, "introduce:alice;", "bob", "mesh");
	ok("its members get member_join, join_complete and introductions");
	if (carol.ev[0] != '\0' || carol.other[0] != '\0')
		fail("carol heard '%s' '%s'", carol.ev, carol.other);
	expect_connect_ok(&bob, &alice, "policy groups: match members may "
	    "talk");

	cl_clear(&bob);
	id = cl_search(&bob, "map", "dunes");
	collect(all + 1, 1, 300, NULL, 3000);
	snprintf(want, sizeof(want), "search:%u:m-=map=dunes,mode=duel;", id);
	expect_str(bob.other, want, "bob", "GroupSearch");
	cl_clear(&carol);
	id = cl_search(&carol, "map", "dunes");
	collect(all + 2, 1, 300, NULL, 3000);
	snprintf(want, sizeof(want), "search:%u:;", id);
	expect_str(carol.other, want, "carol", "GroupSearch");
	ok("GroupSearch finds the match group for a member, not for others "
	    "under policy groups");

	/* A timeout; a cancel; a second cancel. */
	cl_clear(&carol);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)cl_match(&carol, 31, "map=mesa", 2, 1);
	collect_other(&carol, "result:31:", 4000);
	dt = elapsed_since(&t0);
	expect_has(carol.other, "result:31:2:;", "carol", "timeout");
	if (dt > 3.5)
		fail("the timeout of 1 s came after %.1f s", dt);
	printf("# a 1 s ticket timed out after %.2f s\n", dt);
	ok("an unmatched ticket is told of its timeout");
	cl_clear(&carol);
	(void)cl_match(&carol, 32, "map=mesa", 3, 30);
	id = cl_match_cancel(&carol, 32);
	collect_other(&carol, "result:32:", 3000);
	snprintf(want, sizeof(want), "reply:%u;", id);
	expect_has(carol.other, want, "carol", "cancel reply");
	expect_has(carol.other, "result:32:3:;", "carol", "cancelled");
	cl_clear(&carol);
	id = cl_match_cancel(&carol, 32);
	collect(all + 2, 1, 300, NULL, 3000);
	snprintf(want, sizeof(want), "error:%u:%d:", id,
	    P2P__SRV__ERR_CODE__ERR_NO_TICKET);
	expect_has(carol.other, want, "carol", "second cancel");
	ok("a cancelled ticket is told so; a second cancel is ERR_NO_TICKET");

	/* The match group goes with its last member. */
	for (i = 0; i < 2; i++)
		cl_clear(all[i]);
	(void)cl_group(&alice, LEAVE, alice.group);
	collect(all, 2, 400, NULL, 3000);
	snprintf(want, sizeof(want), "leave:%s:alice;", alice.group);
	expect_has(bob.ev, want, "bob", "alice leaves the match group");
	(void)cl_group(&bob, LEAVE, bob.group);
	collect(all, 2, 400, NULL, 3000);
	cl_clear(&bob);
	id = cl_search(&bob, "map", "dunes");
	collect(all + 1, 1, 300, NULL, 3000);
	snprintf(want, sizeof(want), "search:%u:;", id);
	expect_str(bob.other, want, "bob", "GroupSearch after the leaves");
	ok("members may leave a match group; it goes with the last one");

	/* A ticket outlives its agent registering again. */
	cl_clear(&carol);
	(void)cl_match(&carol, 41, "map=canyon", 2, 30);
	collect(all + 2, 1, 300, NULL, 3000);
	expect_has(carol.other, "ticket:41:", "carol", "ticket 41");
	cl_open(&carol2, "carol", 0, seed);
	expect_registered(&carol2, tok);
	cl_clear(&carol2);
	(void)cl_match(&carol2, 41, "map=canyon", 2, 30);
	all[3] = &carol2;
	collect(all + 3, 1, 300, NULL, 3000);
	expect_has(carol2.other, "ticket:41:", "carol", "ticket 41 again");
	cl_up(&dave, "dave", 0, "other");
	cl_clear(&dave);
	(void)cl_match(&dave, 51, "map=canyon", 2, 30);
	all[0] = &dave;
	all[1] = &carol2;
	collect(all, 2, 200, "complete:m-", 5000);
	collect(all, 2, 400, NULL, 3000);
	collect_other(&carol2, "result:41:", 3000);
	expect_has(carol2.other, "result:41:1:group:map=canyon:carol,dave;",
	    "carol", "matched after registering again");
	expect_has(dave.other, "result:51:1:group:map=canyon:carol,dave;",
	    "dave", "matched");
	ok("a ticket survives its agent registering again and is matched "
	    "there");

	/* A device gone mid-ticket: its ticket ends after the grace. */
	cl_up(&erin, "erin", 0, "other");
	cl_clear(&erin);
	(void)cl_match(&erin, 61, "map=tundra", 2, 60);
	all[0] = &erin;
	collect(all, 1, 300, NULL, 3000);
	expect_has(erin.other, "ticket:61:", "erin", "ticket 61");
	test_deregister(&erin);
	printf("# erin deregistered; waiting out the 15 s grace\n");
	sleep(26);	/* noticed within a 5 s sweep, ended 15 s later */
	cl_up(&frank, "frank", 0, "other");
	cl_clear(&frank);
	(void)cl_match(&frank, 71, "map=tundra", 2, 1);
	collect_other(&frank, "result:71:", 4000);
	expect_has(frank.other, "result:71:2:;", "frank",
	    "no match with a device that is gone");
	ok("the ticket of a device gone mid-ticket ends after the grace");
}

static void
cl_path(struct cl *c, const char *peer, const char *path)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__PathReport pr = P2P__SRV__PATH_REPORT__INIT;

	pr.peer_id = (char *)peer;
	pr.path = (char *)path;
	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_PATH_REPORT;
	m.path_report = &pr;
	cl_send_msg(c, &m);
}

/*
 * A NatReport of type, with a port mapping on 127.0.0.1 (pm_port, 0:
 * none) and a reflexive address on IPv6 (oth_port on ALICE_OTHER, 0: none).
 */
#define ALICE_OTHER	"2001:db8::a"
static void
cl_nat(struct cl *c, const char *type, in_port_t pm_port, in_port_t oth_port)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__NatReport nr = P2P__SRV__NAT_REPORT__INIT;
	P2p__Srv__Addr pm = P2P__SRV__ADDR__INIT, oth = P2P__SRV__ADDR__INIT;
	struct sockaddr_in pm4;
	struct sockaddr_in6 o6;
	uint8_t ip4[16], ip6[16];

	memset(&pm4, 0, sizeof(pm4));
	pm4.sin_family = AF_INET;
	pm4.sin_port = htons(pm_port);
	pm4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&o6, 0, sizeof(o6));
	o6.sin6_family = AF_INET6;
	o6.sin6_port = htons(oth_port);
	if (inet_pton(AF_INET6, ALICE_OTHER, &o6.sin6_addr) != 1)
		fail("inet_pton");
	if (pm_port != 0 && addr_to_pb((struct sockaddr *)&pm4, &pm, ip4) == 0)
		nr.portmap_addr = &pm;
	if (oth_port != 0 && addr_to_pb((struct sockaddr *)&o6, &oth, ip6) ==
	    0)
		nr.other_reflexive = &oth;
	nr.nat_type = (char *)type;
	nr.nat_mapping = (char *)"address-and-port-dependent";
	nr.nat_filtering = (char *)"address-and-port-dependent";
	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_NAT_REPORT;
	m.nat_report = &nr;
	cl_send_msg(c, &m);
}

/* c connects to peer; both Introduces arrive (c's and to's). */
static void
cl_connect_both(struct cl *c, struct cl *to, const char *what)
{
	P2p__Srv__ServerMsg *r;
	char want[80];
	uint32_t id;

	cl_clear(c);
	cl_clear(to);
	r = cl_connect(c, to->name, &id);
	cl_note(c, r);
	p2p__srv__server_msg__free_unpacked(r, NULL);
	snprintf(want, sizeof(want), "introduce:%s;", to->name);
	collect_other(c, want, 3000);
	expect_has(c->other, want, c->name, what);
	snprintf(want, sizeof(want), "introduce:%s;", c->name);
	collect_other(to, want, 3000);
	expect_has(to->other, want, to->name, what);
}

/*
 * The start times of an introduction of a and b (srv_signal.c): T = 4
 * round trips of the slower, at least 100 ms; each is told T less its own
 * half round trip.
 */
static void
expect_punch(struct cl *a, struct cl *b, const char *what)
{
	uint32_t t, r = a->rtt_us > b->rtt_us ? a->rtt_us : b->rtt_us;
	char wa[80], wb[80];

	t = 4 * r < 100000 ? 100000 : 4 * r;
	snprintf(wa, sizeof(wa), "punch:%s=%u;", b->name, t - a->rtt_us / 2);
	expect_has(a->other, wa, a->name, what);
	snprintf(wb, sizeof(wb), "punch:%s=%u;", a->name, t - b->rtt_us / 2);
	expect_has(b->other, wb, b->name, what);
	printf("# %s: %s (rtt %u us) told %s %s (rtt %u us) told %s\n", what,
	    a->name, a->rtt_us, wa, b->name, b->rtt_us, wb);
}

/*
 * Three nodes of a cluster (PORT, PORT_B, PORT_C): alice on the first, bob
 * on the second, carol and dave on the third. bob reports his session with
 * alice on the relay, carol hers as direct. alice's NatReport with a new
 * type (a port mapping, an IPv6 reflexive address) reaches bob as a fresh
 * Introduce from his own node, with all three, and not carol; the same
 * report again re-introduces nobody; and an introduction made later by the
 * third node carries them (they are in the cluster's state, not only on
 * alice's node). Introductions across nodes are timed like those on one
 * node (both sides told one start, from the round trips they said).
 * Then it says "waiting for redis" and waits for a line on its input
 * (the test restarts Redis empty meanwhile): a peer registered after that
 * is introduced to alice with her NAT type, mapping, address and timing.
 */
static void
test_reintro(const char *port_b, const char *port_c)
{
	struct cl alice, bob, carol, dave, erin, frank, grace, gina;
	in_port_t port_a = srv.sin_port;
	struct cl *all[4] = { &bob, &carol, &alice, &dave };
	const char *facts = "introduce:alice;nat:alice=symmetric;"
	    "pm:alice=127.0.0.1:40000;oth:alice=[" ALICE_OTHER "]:4000;";
	char line[16];
	int i;

	cl_up_rtt(&alice, "alice", "g1", 20000);
	srv.sin_port = htons((uint16_t)atoi(port_b));
	cl_up(&bob, "bob", 0, "g1");
	cl_up_rtt(&erin, "erin", "g1", 30000);
	srv.sin_port = htons((uint16_t)atoi(port_c));
	cl_up(&carol, "carol", 0, "g1");
	cl_up(&dave, "dave", 0, "g1");
	cl_up_rtt(&frank, "frank", "g1", 80000);
	cl_up_rtt(&grace, "grace", "g1", 10000);
	srv.sin_port = port_a;
	collect(all, 4, 300, NULL, 1000);	/* the nodes' NodeList pushes */
	ok("alice, bob, carol and dave register on three nodes");
	cl_connect_both(&alice, &bob, "connect a-b");
	cl_connect_both(&carol, &alice, "connect c-a");
	ok("connects across nodes: alice (a) and bob (b), carol (c) and "
	    "alice");
	cl_path(&alice, "bob", "relay");
	cl_path(&bob, "alice", "relay");
	cl_path(&alice, "carol", "direct");
	cl_path(&carol, "alice", "direct");
	usleep(300000);		/* the path reports are in before the NAT's */
	for (i = 0; i < 4; i++)
		cl_clear(all[i]);
	cl_nat(&alice, "symmetric", 40000, 4000);
	collect_other(&bob, "oth:alice=", 5000);
	expect_has(bob.other, facts, "bob", "alice's new NAT type");
	ok("alice's new NAT type, mapping and IPv6 address reach her relayed "
	    "peer on another node");
	collect(all, 4, 1000, NULL, 1500);
	if (strstr(carol.other, "introduce:alice;") != NULL)
		fail("carol (a direct session) was introduced to alice again: "
		    "%s", carol.other);
	ok("a peer with a direct session is not introduced again");
	cl_clear(&bob);
	cl_nat(&alice, "symmetric", 40000, 4000);
	collect(all, 4, 1000, NULL, 1500);
	if (strstr(bob.other, "introduce:alice;") != NULL)
		fail("the same NAT report again re-introduced alice: %s",
		    bob.other);
	ok("the same NAT report again re-introduces nobody");
	cl_clear(&dave);
	cl_connect_both(&dave, &alice, "connect c-a again");
	expect_has(dave.other, facts, "dave", "connect");
	ok("an introduction by another node carries alice's NAT type, "
	    "mapping and IPv6 address");

	/* Timed starts: on one node, and across nodes from either side. */
	cl_connect_both(&grace, &frank, "connect c-c");
	expect_punch(&grace, &frank, "one node");
	cl_connect_both(&erin, &frank, "connect b-c");
	expect_punch(&erin, &frank, "across nodes");
	cl_connect_both(&frank, &alice, "connect c-a (timed)");
	expect_punch(&frank, &alice, "across nodes, the other way");
	ok("introductions across nodes give both sides one start time");

	printf("# waiting for redis (a line on the input goes on)\n");
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		fail("no line on the input");
	srv.sin_port = htons((uint16_t)atoi(port_b));
	cl_up_rtt(&gina, "gina", "g1", 50000);
	srv.sin_port = port_a;
	cl_connect_both(&gina, &alice, "connect b-a after the restart");
	expect_has(gina.other, facts, "gina", "after redis restarted empty");
	expect_punch(&gina, &alice, "after redis restarted empty");
	ok("after Redis restarted empty, an introduction by another node "
	    "still carries alice's NAT type, mapping, IPv6 address and "
	    "timing");
}

int
main(int argc, char **argv)
{
	struct cl alice, bob, carol, erin, frank, mallory, x;
	char ta[TOKEN_MAX_LEN + 1], tb[TOKEN_MAX_LEN + 1];
	char tc[TOKEN_MAX_LEN + 1], tx[TOKEN_MAX_LEN + 1], err[512];
	uint8_t seed[32], forged[32];

	int policy_open = argc == 4 && strcmp(argv[3], "open") == 0;
	const char *groups = argc == 4 && (strncmp(argv[3], "groups", 6) == 0 ||
	    strcmp(argv[3], "match") == 0) ? argv[3] : NULL;
	int reintro = argc == 6 && strcmp(argv[3], "reintro") == 0;

	if (argc != 3 && !policy_open && groups == NULL && !reintro) {
		fprintf(stderr, "usage: srvclient PORT SECRET_FILE "
		    "[open|groups|groups-open|groups-restarted|match|"
		    "reintro PORT_B PORT_C]\n");
		return 2;
	}
	if (sodium_init() == -1 ||
	    secret_load(argv[2], secret, &secretlen, err, sizeof(err)) == -1)
		fail("%s", err);
	memset(&srv, 0, sizeof(srv));
	srv.sin_family = AF_INET;
	srv.sin_port = htons((uint16_t)atoi(argv[1]));
	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	randombytes_buf(seed, sizeof(seed));
	if (reintro) {
		test_reintro(argv[4], argv[5]);
		printf("all %d checks passed\n", checks);
		return 0;
	}
	if (groups != NULL) {
		if (strcmp(groups, "groups") == 0)
			test_groups();
		else if (strcmp(groups, "groups-open") == 0)
			test_groups_open();
		else if (strcmp(groups, "groups-restarted") == 0)
			test_groups_restarted();
		else if (strcmp(groups, "match") == 0)
			test_match();
		else
			fail("unknown mode %s", groups);
		printf("all %d checks passed\n", checks);
		return 0;
	}

	mint(ta, sizeof(ta), "alice", "g1", 0, 3600, secret, secretlen);
	mint(tb, sizeof(tb), "bob", "g1", 0, 3600, secret, secretlen);
	mint(tc, sizeof(tc), "carol", "g2", 0, 3600, secret, secretlen);
	cl_open(&alice, "alice", 0, seed);
	expect_registered(&alice, ta);
	ok("alice registers over UDP");
	cl_open(&bob, "bob", 1, NULL);
	expect_registered(&bob, tb);
	ok("bob registers over TCP");
	cl_open(&carol, "carol", 0, NULL);
	expect_registered(&carol, tc);
	ok("carol registers over UDP");
	test_keepalive(&alice);
	test_keepalive(&bob);
	test_signalling(&alice, &bob, &carol, policy_open);
	mint(tx, sizeof(tx), "erin", "g1", 0, 3600, secret, secretlen);
	cl_open(&erin, "erin", 0, NULL);
	expect_registered(&erin, tx);
	test_push_retransmit(&alice, &erin);

	cl_open(&mallory, "mallory", 0, NULL);
	expect_error(cl_register(&mallory, ta, 0),
	    P2P__SRV__ERR_CODE__ERR_KEY_MISMATCH,
	    "peer alice is registered with another identity key",
	    "a stolen token with another key is refused");
	mint(tx, sizeof(tx), "mallory", "g1", -7200, 3600, secret, secretlen);
	expect_error(cl_register(&mallory, tx, 0),
	    P2P__SRV__ERR_CODE__ERR_TOKEN_EXPIRED, "expired",
	    "an expired token is refused");
	randombytes_buf(forged, sizeof(forged));
	mint(tx, sizeof(tx), "mallory", "g1", 0, 3600, forged, sizeof(forged));
	expect_error(cl_register(&mallory, tx, 0),
	    P2P__SRV__ERR_CODE__ERR_TOKEN_INVALID, "",
	    "a forged token is refused");
	mint(tx, sizeof(tx), "mallory", "g1", 0, 3600, secret, secretlen);
	expect_error(cl_register(&mallory, tx, 1),
	    P2P__SRV__ERR_CODE__ERR_BAD_SIGNATURE, "signature",
	    "a bad registration signature is refused");
	expect_error(cl_register(&mallory, "p2pt.garbage", 0),
	    P2P__SRV__ERR_CODE__ERR_TOKEN_INVALID, "",
	    "a garbage token is refused");

	test_raw(&carol);
	test_deregister(&carol);
	mint(tx, sizeof(tx), "frank", "g1", 0, 3600, secret, secretlen);
	cl_open(&frank, "frank", 0, NULL);
	test_reg_auth(&frank, tx);

	/* alice restarts: same key, new socket, replaces the registration. */
	cl_open(&x, "alice", 0, seed);
	expect_registered(&x, ta);
	ok("the same key re-registers (restart) from a new address");
	test_keepalive(&x);
	printf("all %d checks passed\n", checks);
	return 0;
}
