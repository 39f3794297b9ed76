/*
 * srvclient: drives a running p2p-server through registration and
 * signalling over UDP and TCP and checks every answer (PROTOCOL.md §2.1,
 * §2.2, §5). It mints its own tokens from the secret file, so it can also
 * present expired and forged ones.
 * usage: srvclient PORT SECRET_FILE [open]  (server on 127.0.0.1; "open"
 *        when it runs with --policy open)
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
	int		 noack;		/* do not acknowledge pushes */
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
	uint8_t b[4096];

	if (c->tcp) {
		b[0] = (uint8_t)(n >> 8);
		b[1] = (uint8_t)n;
		memcpy(b + 2, p, n);
		p = b;
		n += 2;
	}
	if (write(c->fd, p, n) != (ssize_t)n)
		fail("%s: send", c->name);
}

static int
readn(int fd, uint8_t *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One packet within 2 s, or -1. */
static ssize_t
cl_recv(struct cl *c, uint8_t *p, size_t cap)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	uint8_t h[2];
	size_t n;

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	if (!c->tcp)
		return read(c->fd, p, cap);
	if (readn(c->fd, h, 2) == -1)
		return -1;
	n = ((size_t)h[0] << 8) | h[1];
	if (n > cap || readn(c->fd, p, n) == -1)
		return -1;
	return (ssize_t)n;
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

/*
 * HELLO, CHALLENGE, Register. Returns the reply (Registered or Error);
 * badsig corrupts the signature.
 */
static P2p__Srv__ServerMsg *
cl_register(struct cl *c, const char *token, int badsig)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT, *r;
	P2p__Srv__Register reg = P2P__SRV__REGISTER__INIT;
	uint8_t epk[32], esk[32], spk[32], chal[32], b[256], sig[64];
	uint8_t sm[16 + 96];
	uint32_t pending;
	ssize_t n;
	int k;

	crypto_kx_keypair(epk, esk);
	if ((k = wire_hello_build(b, sizeof(b), epk)) < 0)
		fail("hello");
	cl_send(c, b, (size_t)k);
	if ((n = cl_recv(c, b, sizeof(b))) < 0 ||
	    wire_challenge_parse(b, (size_t)n, &pending, spk, chal) == -1)
		fail("%s: no REG_CHALLENGE", c->name);
	if (chan_init_kx_client(&c->ch, epk, esk, spk, pending) == -1)
		fail("kx");
	memcpy(sm, "p2pd-register-v1", 16);
	memcpy(sm + 16, chal, 32);
	memcpy(sm + 48, epk, 32);
	memcpy(sm + 80, spk, 32);
	crypto_sign_detached(sig, NULL, sm, sizeof(sm), c->sk);
	if (badsig)
		sig[3] ^= 1;
	reg.wire_version = WIRE_VERSION;
	reg.token = (char *)token;
	reg.identity_key.data = c->pk;
	reg.identity_key.len = 32;
	reg.signature.data = sig;
	reg.signature.len = 64;
	m.id = c->next_id++;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTER;
	m.register_ = &reg;
	cl_send_msg(c, &m);
	r = cl_recv_msg(c);
	if (r->id != m.id)
		fail("%s: reply id %u, request %u", c->name, r->id, m.id);
	if (r->body_case == P2P__SRV__SERVER_MSG__BODY_REGISTERED) {
		c->reg_id = r->registered->reg_id;
		c->ch.remote_index = c->reg_id;
	}
	return r;
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
	    r->introduce->public_addr == NULL)
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

int
main(int argc, char **argv)
{
	struct cl alice, bob, carol, erin, mallory, x;
	char ta[TOKEN_MAX_LEN + 1], tb[TOKEN_MAX_LEN + 1];
	char tc[TOKEN_MAX_LEN + 1], tx[TOKEN_MAX_LEN + 1], err[512];
	uint8_t seed[32], forged[32];

	int policy_open = argc == 4 && strcmp(argv[3], "open") == 0;

	if (argc != 3 && !policy_open) {
		fprintf(stderr, "usage: srvclient PORT SECRET_FILE [open]\n");
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

	/* alice restarts: same key, new socket, replaces the registration. */
	cl_open(&x, "alice", 0, seed);
	expect_registered(&x, ta);
	ok("the same key re-registers (restart) from a new address");
	test_keepalive(&x);
	printf("all %d checks passed\n", checks);
	return 0;
}
