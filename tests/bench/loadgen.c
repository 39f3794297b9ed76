/* SPDX-License-Identifier: ISC */
/*
 * loadgen: registers many simulated peers with one or more p2p-server nodes
 * over UDP, speaking the registration protocol (PROTOCOL.md §2.1: REG_HELLO,
 * the cookie of REG_CHALLENGE, the Noise NK REG_INIT to the server's key and
 * its REG_ACCEPT) with the core's own code (wire.h, reghs.h, ctlchan.h,
 * token.h, server.proto), then keeps them registered with keepalives for a
 * while.
 *
 * usage: loadgen --secret-file F --peers N [--server HOST:PORT]... [--prefix P]
 *        [--window W] [--ttl S] [--hold S] [--rehome S]
 *
 * Peer i registers as PREFIXi with an identity key derived from its name,
 * with node i % (number of --server). REG_CHALLENGE names no client, so each
 * socket has one registration in flight at a time: W sockets (default 128)
 * run side by side. --hold S keeps every registration alive for S seconds
 * after the last one (a keepalive each keepalive_s the server asked for),
 * so a script can measure the servers meanwhile.
 *
 * Prints "key=value" lines: registered, refused, seconds, per_second,
 * keepalives, keepalive_acks, and the first refusal's reason.
 *
 * --relay COUNT (with --peers 2, a server with --policy open): the server's
 * relay alone, without agents. Peer 0 asks to connect to peer 1; once both
 * are introduced, peer 0 sends COUNT RELAY packets to peer 1, each holding
 * a peer packet of --relay-size bytes (default 1200: a DATA packet's header
 * and filler; the server forwards it as it would an agent's) as RELAY_MAC
 * packets, as agents send them (--relay-sealed: RELAY packets sealed on the
 * control channel, as agents of 1.3 and older do); the server checks each
 * and sends it on in the form the receiver takes. As tests/bench/turnbench
 * does against a TURN server, peer 1
 * returns a credit every WINDOW/4 packets through the relay too and peer 0
 * keeps at most WINDOW (--relay-window, default 64) in flight. Prints
 * relay_mb_per_s (peer packet bytes delivered), relay_pps, relay_lost
 * (loadgen_relay.c).
 *
 * --rehome S: after --hold, the peers behave as agents do when their node
 * dies, and the script kills one and sends SIGUSR1 (loadgen_rehome.c says
 * what they do and what it prints).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <poll.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "chan.h"
#include "loadgen.h"
#include "token.h"
#include "wire.h"

uint64_t
lg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

void
lg_peer_name(const struct lg *g, long i, char *out, size_t len)
{
	snprintf(out, len, "%s%ld", g->prefix, i);
}

/* The identity key of peer i: derived from its name, never stored. */
static void
peer_identity(const struct lg *g, long i, uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	char name[P2P_NAME_MAX + 1];

	lg_peer_name(g, i, name, sizeof(name));
	crypto_generichash(seed, sizeof(seed), (const uint8_t *)name,
	    strlen(name), NULL, 0);
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void
byreg_put(struct lg *g, uint32_t reg_id, long peer)
{
	size_t i = (reg_id * 2654435761U) % g->byreg_cap;
	long j;

	/* Peers that registered again left their old reg_id behind: past
	 * three quarters full, start over from the peers' current ones. */
	if (++g->byreg_used > g->byreg_cap / 4 * 3) {
		memset(g->byreg, 0, g->byreg_cap * sizeof(*g->byreg));
		g->byreg_used = 0;
		for (j = 0; j < g->n; j++)
			if (j != peer && g->peers[j].reg_id != 0)
				byreg_put(g, g->peers[j].reg_id, j);
		g->byreg_used++;
		i = (reg_id * 2654435761U) % g->byreg_cap;
	}
	while (g->byreg[i] != 0)
		i = (i + 1) % g->byreg_cap;
	g->byreg[i] = (uint32_t)peer + 1;
}

static long
byreg_get(struct lg *g, uint32_t reg_id)
{
	size_t i = (reg_id * 2654435761U) % g->byreg_cap;

	if (reg_id == 0)
		return -1;
	while (g->byreg[i] != 0) {
		if (g->peers[g->byreg[i] - 1].reg_id == reg_id)
			return (long)g->byreg[i] - 1;
		i = (i + 1) % g->byreg_cap;
	}
	return -1;
}

void
lg_send_to(struct lg *g, struct lg_sock *k, unsigned node, const uint8_t *pkt,
    size_t len)
{
	(void)sendto(k->fd, pkt, len, 0, (struct sockaddr *)&g->srv[node],
	    g->srvlen[node]);
}

/* A HELLO for k's peer: fresh, with a new ephemeral key; else the same
 * one again (a late REG_CHALLENGE to the first still works). */
void
lg_send_hello(struct lg *g, struct lg_sock *k, int fresh)
{
	uint8_t pkt[WIRE_HELLO_LEN];

	if (fresh)
		crypto_kx_keypair(k->eph_pk, k->eph_sk);
	if (wire_hello_build(pkt, sizeof(pkt), k->eph_pk) < 0)
		return;
	k->sent_us = lg_now_us();
	lg_send_to(g, k, g->peers[k->peer].node, pkt, sizeof(pkt));
}

/* Seal msg on p's channel and send it from k. */
void
lg_send_msg(struct lg *g, struct lg_sock *k, struct lg_peer *p,
    const P2p__Srv__ServerMsg *m)
{
	uint8_t pt[1500], out[1600];
	size_t len = p2p__srv__server_msg__get_packed_size(m);
	ssize_t n;

	if (len > sizeof(pt))
		return;
	p2p__srv__server_msg__pack(m, pt);
	if ((n = ctlchan_seal(&p->ch, WIRE_CTRL, pt, len, out,
	    sizeof(out))) > 0)
		lg_send_to(g, k, p->node, out, (size_t)n);
}

static void
start_next(struct lg *g, struct lg_sock *k)
{
	k->peer = -1;
	k->tries = 0;
	if (g->next >= g->n) {
		if (g->rh != NULL)
			(void)lg_rehome_take(g, k);
		return;
	}
	k->peer = g->next++;
	g->peers[k->peer].node = (uint8_t)(k->peer % g->nsrv);
	g->peers[k->peer].sock = (uint16_t)(k - g->socks);
	g->peers[k->peer].state = LG_HELLO;
	lg_send_hello(g, k, 1);
}

static void
on_challenge(struct lg *g, struct lg_sock *k, const uint8_t *pkt, size_t len)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Register r = P2P__SRV__REGISTER__INIT;
	struct lg_peer *p = &g->peers[k->peer];
	uint8_t keys[WIRE_CHALLENGE_KEYS][32], cookie[REGHS_COOKIE_LEN];
	uint8_t ipk[32], isk[64], sig[64], sm[REGHS_SIG_MSG_LEN];
	uint8_t pt[1500], out[2048];
	char name[P2P_NAME_MAX + 1], tok[TOKEN_MAX_LEN + 1];
	struct token t;
	unsigned nkeys;
	size_t plen;
	int n;

	if (p->state != LG_HELLO || wire_challenge_parse(pkt, len, cookie,
	    keys, &nkeys) == -1 || nkeys == 0)
		return;
	lg_peer_name(g, k->peer, name, sizeof(name));
	memset(&t, 0, sizeof(t));
	t.version = TOKEN_VERSION;
	snprintf(t.peer_id, sizeof(t.peer_id), "%s", name);
	t.issued_at = (uint64_t)time(NULL);
	t.expires_at = t.issued_at + (uint64_t)g->ttl;
	memcpy(t.keys[0], keys[0], 32);
	t.nkeys = 1;
	if (token_mint(&t, g->secret, g->secretlen, tok, sizeof(tok)) < 0)
		return;
	peer_identity(g, k->peer, ipk, isk);
	reghs_sig_msg(keys[0], k->eph_pk, sm);
	crypto_sign_detached(sig, NULL, sm, sizeof(sm), isk);
	sodium_memzero(isk, sizeof(isk));
	r.wire_version = WIRE_VERSION;
	r.token = tok;
	r.identity_key.data = ipk;
	r.identity_key.len = 32;
	r.signature.data = sig;
	r.signature.len = 64;
	r.software = (char *)"loadgen";
	r.relay_mac = !g->relay_sealed;
	m.id = 1;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTER;
	m.register_ = &r;
	if ((plen = p2p__srv__server_msg__get_packed_size(&m)) > sizeof(pt))
		return;
	p2p__srv__server_msg__pack(&m, pt);
	if (reghs_client_start(&k->hs, keys[0], k->eph_sk) != 0 ||
	    (n = reghs_init_write(&k->hs, cookie, pt, plen, out,
	    sizeof(out))) < 0 || (size_t)n > sizeof(k->init))
		return;
	memcpy(k->init, out, (size_t)n);
	k->init_len = (size_t)n;
	p->state = LG_REGISTER;
	if (g->rh != NULL)
		k->tries = 1;	/* the agent counts the INITs anew */
	k->sent_us = lg_now_us();
	lg_send_to(g, k, p->node, out, (size_t)n);
}

static void
on_accept(struct lg *g, struct lg_sock *k, const uint8_t *pkt, size_t len)
{
	struct lg_peer *p = &g->peers[k->peer];
	P2p__Srv__ServerMsg *m;
	struct reghs_keys keys;
	uint8_t pt[2048];
	size_t n;

	if (p->state != LG_REGISTER || reghs_accept_read(&k->hs, pkt, len, pt,
	    sizeof(pt), &n, &keys) != 0 ||
	    (m = p2p__srv__server_msg__unpack(NULL, n, pt)) == NULL)
		return;
	reghs_wipe(&k->hs);
	if (m->body_case == P2P__SRV__SERVER_MSG__BODY_REGISTERED) {
		p->reg_id = m->registered->reg_id;
		p->relay_mac = m->registered->relay_mac && !g->relay_sealed;
		ctlchan_init_keys(&p->ch, keys.tx, keys.rx, p->reg_id);
		if (m->registered->keepalive_s > 0)
			g->keepalive_s = m->registered->keepalive_s;
		p->ka_due_s = (uint32_t)((lg_now_us() - g->t0_us) / 1000000) +
		    g->keepalive_s;
		p->state = LG_DONE;
		byreg_put(g, p->reg_id, k->peer);
		if (g->rh != NULL)
			lg_rehome_registered(g, k->peer);
		else
			g->done++;
	} else if (g->rh != NULL) {
		p->state = LG_IDLE;
		lg_rehome_refused(g, k->peer);
	} else {
		if (g->refused++ == 0 && m->body_case ==
		    P2P__SRV__SERVER_MSG__BODY_ERROR &&
		    m->error->message != NULL)
			snprintf(g->reason, sizeof(g->reason), "%s",
			    m->error->message);
		p->state = LG_REFUSED;
	}
	sodium_memzero(&keys, sizeof(keys));
	p2p__srv__server_msg__free_unpacked(m, NULL);
	start_next(g, k);
}

/* Pushes and keepalive acks of registered peers: count, ack pushes. */
static void
on_ctrl_registered(struct lg *g, struct lg_sock *k, long i,
    const uint8_t *pkt, size_t len)
{
	P2p__Srv__ServerMsg *m, ack = P2P__SRV__SERVER_MSG__INIT;
	struct lg_peer *p = &g->peers[i];
	uint8_t pt[2048];
	ssize_t n;

	if ((n = ctlchan_open(&p->ch, WIRE_CTRL, pkt, len, pt,
	    sizeof(pt))) < 0 ||
	    (m = p2p__srv__server_msg__unpack(NULL, (size_t)n, pt)) == NULL)
		return;
	if (g->rh != NULL)
		lg_rehome_heard(g, i);
	if (m->body_case == P2P__SRV__SERVER_MSG__BODY_KEEPALIVE_ACK)
		g->acks++;
	if (m->body_case == P2P__SRV__SERVER_MSG__BODY_INTRODUCE)
		p->relay_to = m->introduce->relay_id;
	if (m->body_case == P2P__SRV__SERVER_MSG__BODY_MOVE &&
	    m->push_seq != 0) {
		if (g->moves++ == 0 && m->move->node_id != NULL &&
		    m->move->udp != NULL)
			snprintf(g->move_to, sizeof(g->move_to), "%.64s %.64s",
			    m->move->node_id, m->move->udp);
	}
	if (m->push_seq != 0) {
		ack.ack_push = m->push_seq;
		lg_send_msg(g, k, p, &ack);
	}
	p2p__srv__server_msg__free_unpacked(m, NULL);
}

static void
on_packet(struct lg *g, struct lg_sock *k, const uint8_t *pkt, size_t len)
{
	uint8_t type = 0, version = 0;
	uint32_t id;
	long i;

	if (wire_classify(pkt, len, &type, &version) != WIRE_CLASS_P2P)
		return;
	if (type == WIRE_REG_CHALLENGE && k->peer >= 0)
		on_challenge(g, k, pkt, len);
	else if (type == WIRE_REG_ACCEPT && k->peer >= 0)
		on_accept(g, k, pkt, len);
	else if (type == WIRE_CTRL) {
		id = chan_peek_index(pkt, len);
		if ((i = byreg_get(g, id)) >= 0)
			on_ctrl_registered(g, k, i, pkt, len);
	}
}

static void
retransmit(struct lg *g, uint64_t now)
{
	unsigned j;

	for (j = 0; j < g->nsocks; j++) {
		struct lg_sock *k = &g->socks[j];

		if (k->peer < 0 || now - k->sent_us < LG_RTO_US)
			continue;
		if (++k->tries > 10) {
			if (g->refused++ == 0)
				snprintf(g->reason, sizeof(g->reason),
				    "no answer from the server");
			g->peers[k->peer].state = LG_REFUSED;
			start_next(g, k);
			continue;
		}
		g->peers[k->peer].state = LG_HELLO;	/* start over */
		lg_send_hello(g, k, 1);
	}
}

/* A keepalive of p; the socket does not matter to the server. */
void
lg_send_keepalive(struct lg *g, struct lg_peer *p)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Keepalive ka = P2P__SRV__KEEPALIVE__INIT;

	m.body_case = P2P__SRV__SERVER_MSG__BODY_KEEPALIVE;
	m.keepalive = &ka;
	m.id = (uint32_t)(2 + (g->keepalives & 0xffffff));
	lg_send_msg(g, &g->socks[p->sock], p, &m);
	g->keepalives++;
}

/*
 * Keepalives due now. Due times are whole seconds: the peers are scanned
 * at most every 100 ms, so that a run of 100,000 peers does not spend
 * itself on the scan.
 */
static void
keepalives(struct lg *g, uint64_t now)
{
	uint32_t t = (uint32_t)((now - g->t0_us) / 1000000);
	long i;

	if (now - g->ka_scan_us < 100000ULL)
		return;
	g->ka_scan_us = now;
	for (i = 0; i < g->next; i++) {
		struct lg_peer *p = &g->peers[i];

		if (p->state != LG_DONE || p->ka_due_s > t)
			continue;
		p->ka_due_s = t + g->keepalive_s;
		lg_send_keepalive(g, p);
	}
}

void
lg_pump(struct lg *g, int ms)
{
	struct pollfd *pfd;
	uint8_t buf[2048];
	unsigned j;
	ssize_t n;
	int r;

	if ((pfd = calloc(g->nsocks, sizeof(*pfd))) == NULL)
		exit(1);
	for (j = 0; j < g->nsocks; j++) {
		pfd[j].fd = g->socks[j].fd;
		pfd[j].events = POLLIN;
	}
	r = poll(pfd, g->nsocks, ms);
	for (j = 0; r > 0 && j < g->nsocks; j++) {
		if (!(pfd[j].revents & POLLIN))
			continue;
		while ((n = recv(pfd[j].fd, buf, sizeof(buf), MSG_DONTWAIT)) >
		    0)
			on_packet(g, &g->socks[j], buf, (size_t)n);
	}
	free(pfd);
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen --secret-file F --peers N "
	    "[--server HOST:PORT]... [--prefix P] [--window W] [--ttl S] "
	    "[--hold S] [--rehome S] "
	    "[--relay COUNT [--relay-size B] [--relay-window W]\n"
	    "    [--relay-sealed]]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "secret-file", required_argument, NULL, 'k' },
		{ "peers", required_argument, NULL, 'n' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "window", required_argument, NULL, 'w' },
		{ "ttl", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'H' },
		{ "relay", required_argument, NULL, 'R' },
		{ "relay-size", required_argument, NULL, 'S' },
		{ "relay-window", required_argument, NULL, 'W' },
		{ "relay-sealed", no_argument, NULL, 'X' },
		{ "rehome", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct lg g;
	char err[256];
	long hold = 0, window = 128, relay = 0, relay_size = 1200;
	long relay_window = 64, rehome = 0;
	uint64_t t_end, t_reg;
	unsigned j;
	int c, rc;

	memset(&g, 0, sizeof(g));
	g.prefix = "lg";
	g.ttl = 3600;
	g.keepalive_s = 15;
	if (sodium_init() < 0)
		return 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			if (g.nsrv == LG_SERVERS || addr_parse(optarg,
			    &g.srv[g.nsrv], &g.srvlen[g.nsrv], 3478, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "loadgen: --server: %s\n", err);
				return 2;
			}
			g.nsrv++;
			break;
		case 'k':
			if (secret_load(optarg, g.secret, &g.secretlen, err,
			    sizeof(err)) == -1) {
				fprintf(stderr, "loadgen: %s\n", err);
				return 2;
			}
			break;
		case 'n':
			g.n = atol(optarg);
			break;
		case 'p':
			g.prefix = optarg;
			break;
		case 'w':
			window = atol(optarg);
			break;
		case 't':
			g.ttl = atol(optarg);
			break;
		case 'H':
			hold = atol(optarg);
			break;
		case 'R':
			relay = atol(optarg);
			break;
		case 'S':
			relay_size = atol(optarg);
			break;
		case 'W':
			relay_window = atol(optarg);
			break;
		case 'r':
			rehome = atol(optarg);
			break;
		case 'X':
			g.relay_sealed = 1;
			break;
		default:
			usage();
		}
	}
	if (g.nsrv == 0 || g.secretlen == 0 || g.n <= 0 || window <= 0 ||
	    window > 1024 || g.ttl <= 0 || relay < 0 || relay > UINT32_MAX ||
	    (relay > 0 && (g.n != 2 || relay_size < 64 ||
	    relay_size > 1400 || relay_window < 4 || relay_window > 4096)) ||
	    rehome < 0 || (rehome > 0 && (g.nsrv < 2 || relay > 0)))
		usage();
	if (rehome > 0)
		lg_rehome_arm();
	g.nsocks = (unsigned)window;
	g.byreg_cap = (size_t)g.n * 2 + 1;
	if ((g.peers = calloc((size_t)g.n, sizeof(*g.peers))) == NULL ||
	    (g.socks = calloc(g.nsocks, sizeof(*g.socks))) == NULL ||
	    (g.byreg = calloc(g.byreg_cap, sizeof(*g.byreg))) == NULL)
		return 1;
	for (j = 0; j < g.nsocks; j++) {
		int sz = 1 << 20;

		g.socks[j].fd = socket(g.srv[0].ss_family, SOCK_DGRAM, 0);
		if (g.socks[j].fd == -1) {
			perror("loadgen: socket");
			return 1;
		}
		(void)setsockopt(g.socks[j].fd, SOL_SOCKET, SO_RCVBUF, &sz,
		    sizeof(sz));
		g.socks[j].peer = -1;
	}
	g.t0_us = lg_now_us();
	for (j = 0; j < g.nsocks; j++)
		start_next(&g, &g.socks[j]);
	while (g.done + g.refused < g.n) {
		lg_pump(&g, 10);
		retransmit(&g, lg_now_us());
		keepalives(&g, lg_now_us());
	}
	t_reg = lg_now_us() - g.t0_us;
	printf("registered=%ld\nrefused=%ld\nseconds=%.3f\nper_second=%.0f\n",
	    g.done, g.refused, (double)t_reg / 1e6,
	    (double)g.done / ((double)t_reg / 1e6));
	if (g.refused > 0)
		printf("first_refusal=%s\n", g.reason);
	fflush(stdout);
	if (relay > 0 && g.refused == 0 && lg_relay_bench(&g, (uint32_t)relay,
	    (size_t)relay_size, (uint32_t)relay_window) == -1)
		return 1;
	t_end = lg_now_us() + (uint64_t)hold * 1000000ULL;
	while (lg_now_us() < t_end) {
		lg_pump(&g, 50);
		keepalives(&g, lg_now_us());
	}
	printf("keepalives=%llu\nkeepalive_acks=%llu\n",
	    (unsigned long long)g.keepalives, (unsigned long long)g.acks);
	if (g.moves > 0)
		printf("moves=%llu\nmove_to=%s\n",
		    (unsigned long long)g.moves, g.move_to);
	fflush(stdout);
	rc = g.refused > 0 ? 1 : 0;
	if (rehome > 0 && rc == 0)
		rc = lg_rehome_run(&g, rehome);
	for (j = 0; j < g.nsocks; j++)
		close(g.socks[j].fd);
	sodium_memzero(g.peers, (size_t)g.n * sizeof(*g.peers));
	free(g.peers);
	free(g.socks);
	free(g.byreg);
	return rc;
}
