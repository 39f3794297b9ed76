/* SPDX-License-Identifier: ISC */
/*
 * regmitm: an attacker of the registration (PROTOCOL.md §2.1), for the
 * tests of the server's authentication (regauth.sh).
 *
 *   regmitm proxy PORT UPSTREAM-IP:PORT MODE TOKEN-FILE STATS-FILE
 *       a UDP relay on PORT (to stand in the path, e.g. behind an nftables
 *       redirect on a router) towards the real server. MODE:
 *         forward  pass everything as it is
 *         rewrite  offer our own key in REG_CHALLENGE, flip a byte of every
 *                  REG_INIT and REG_ACCEPT, and answer each REG_INIT with a
 *                  REG_ACCEPT of our own
 *         fake     answer everything ourselves, as a server that does not
 *                  hold the real key: REG_CHALLENGE offering our key,
 *                  REG_ACCEPT made with it (the upstream is never asked)
 *       With PORT 0 the port bound is written to STATS-FILE.port.
 *       SIGUSR1 switches to forward. After every packet STATS-FILE holds
 *       "hello N challenge N init N accept N other N rewritten N
 *       token_seen N token_read N": token_seen counts packets in which the
 *       text of the token in TOKEN-FILE appears, token_read the REG_INITs
 *       we could open (sealed to our key: an agent that took it unchecked).
 *   regmitm spoof SRC-IP:PORT DST-IP:PORT KIND [REG-ID]
 *       one datagram from a forged source (a raw socket; root): KIND is
 *       unknown-reg (for REG-ID), version-error, or introduce (a CTRL for
 *       REG-ID carrying an Introduce of "mallory", sealed with a key of
 *       our own: what a forger without the channel's keys can do).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "chan.h"
#include "rawudp.h"
#include "reghs.h"
#include "server.pb-c.h"
#include "wire.h"

#define CLIENTS	16

static volatile sig_atomic_t to_forward;

struct client {
	struct sockaddr_in	 addr;
	int			 fd;	/* towards the upstream */
};

static struct {
	unsigned long	hello, challenge, init, accept, other, rewritten;
	unsigned long	token_seen, token_read;
} st;

static uint8_t my_sk[32], my_pk[32];
static char token[4096];

static void
on_usr1(int sig)
{
	(void)sig;
	to_forward = 1;
}


static void
stats(const char *path)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return;
	fprintf(f, "hello %lu challenge %lu init %lu accept %lu other %lu "
	    "rewritten %lu token_seen %lu token_read %lu\n", st.hello,
	    st.challenge, st.init, st.accept, st.other, st.rewritten,
	    st.token_seen, st.token_read);
	fclose(f);
	rename(tmp, path);
}

static void
count(const uint8_t *p, size_t n)
{
	size_t tl = strlen(token);

	if (tl > 0 && n >= tl && memmem(p, n, token, tl) != NULL)
		st.token_seen++;
	if (n == 0)
		return;
	switch (p[0]) {
	case WIRE_REG_HELLO:
		st.hello++;
		break;
	case WIRE_REG_CHALLENGE:
		st.challenge++;
		break;
	case WIRE_REG_INIT:
		st.init++;
		break;
	case WIRE_REG_ACCEPT:
		st.accept++;
		break;
	default:
		st.other++;
	}
}

/* A REG_CHALLENGE offering our key, with a cookie that means nothing. */
static size_t
fake_challenge(uint8_t *out, size_t cap)
{
	uint8_t cookie[16];
	int n;

	randombytes_buf(cookie, sizeof(cookie));
	n = wire_challenge_build(out, cap, cookie, my_pk, 1);
	return n > 0 ? (size_t)n : 0;
}

/*
 * Answer a REG_INIT as a server holding our key would: if it was sealed to
 * our key, read it (the token is ours) and accept; if not, a REG_ACCEPT of
 * a handshake of our own, which no agent that checks can open.
 */
static size_t
fake_accept(const uint8_t *init, size_t len, uint8_t *out, size_t cap)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Registered rd = P2P__SRV__REGISTERED__INIT;
	struct reghs hs, me;
	struct reghs_keys k;
	uint8_t pt[2048], e_sk[32], tmp[2048], cookie[16] = { 0 };
	size_t plen, ml;
	int n;

	rd.reg_id = 0x4d49544d;	/* "MITM" */
	m.id = 1;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTERED;
	m.registered = &rd;
	ml = p2p__srv__server_msg__get_packed_size(&m);
	if (reghs_init_read(&hs, my_sk, init, len, pt, sizeof(pt),
	    &plen) == 0) {
		st.token_read++;
		if (strlen(token) > 0 && memmem(pt, plen, token,
		    strlen(token)) != NULL)
			st.token_seen++;
	} else {
		randombytes_buf(e_sk, sizeof(e_sk));
		if (reghs_client_start(&me, my_pk, e_sk) != 0 ||
		    (n = reghs_init_write(&me, cookie, (const uint8_t *)"x", 1,
		    tmp, sizeof(tmp))) < 0 ||
		    reghs_init_read(&hs, my_sk, tmp, (size_t)n, pt, sizeof(pt),
		    &plen) != 0)
			return 0;
		reghs_wipe(&me);
	}
	p2p__srv__server_msg__pack(&m, pt);
	n = reghs_accept_write(&hs, NULL, pt, ml, out, cap, &k);
	return n > 0 ? (size_t)n : 0;
}

static struct client *
client_for(struct client *cl, const struct sockaddr_in *from,
    const struct sockaddr_in *up)
{
	int i;

	for (i = 0; i < CLIENTS; i++)
		if (cl[i].fd != -1 && cl[i].addr.sin_port == from->sin_port &&
		    cl[i].addr.sin_addr.s_addr == from->sin_addr.s_addr)
			return &cl[i];
	for (i = 0; i < CLIENTS; i++)
		if (cl[i].fd == -1) {
			cl[i].addr = *from;
			cl[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (cl[i].fd == -1 || connect(cl[i].fd,
			    (const struct sockaddr *)up, sizeof(*up)) == -1) {
				perror("regmitm: upstream socket");
				exit(1);
			}
			return &cl[i];
		}
	return NULL;
}

static int
cmd_proxy(int argc, char **argv)
{
	struct client cl[CLIENTS];
	struct pollfd pfd[CLIENTS + 1];
	struct sockaddr_in me, up, from;
	socklen_t fl;
	uint8_t b[2048], out[2048];
	const char *mode, *statsf;
	ssize_t n;
	size_t on;
	FILE *f;
	int lfd, i, np;

	if (argc != 5 || rawudp_parse(argv[1], &up) == -1)
		return 2;
	mode = argv[2];
	statsf = argv[4];
	if ((f = fopen(argv[3], "r")) != NULL) {
		if (fgets(token, sizeof(token), f) == NULL)
			token[0] = '\0';
		token[strcspn(token, "\r\n")] = '\0';
		fclose(f);
	}
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons((uint16_t)atoi(argv[0]));
	if ((lfd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&me, sizeof(me)) == -1) {
		perror("regmitm: bind");
		return 1;
	}
	if (me.sin_port == 0) {
		char pf[4200];

		fl = sizeof(me);
		snprintf(pf, sizeof(pf), "%s.port", statsf);
		if (getsockname(lfd, (struct sockaddr *)&me, &fl) == -1 ||
		    (f = fopen(pf, "w")) == NULL)
			return 1;
		fprintf(f, "%u\n", ntohs(me.sin_port));
		fclose(f);
	}
	for (i = 0; i < CLIENTS; i++)
		cl[i].fd = -1;
	signal(SIGUSR1, on_usr1);
	stats(statsf);
	for (;;) {
		if (to_forward)
			mode = "forward";
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0, np = 1; i < CLIENTS; i++)
			if (cl[i].fd != -1) {
				pfd[np].fd = cl[i].fd;
				pfd[np++].events = POLLIN;
			}
		if (poll(pfd, (nfds_t)np, 200) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			fl = sizeof(from);
			n = recvfrom(lfd, b, sizeof(b), 0, (struct sockaddr *)&from,
			    &fl);
			if (n <= 0)
				continue;
			count(b, (size_t)n);
			on = 0;
			if (strcmp(mode, "fake") == 0 || (strcmp(mode,
			    "rewrite") == 0 && b[0] == WIRE_REG_INIT)) {
				if (b[0] == WIRE_REG_HELLO)
					on = fake_challenge(out, sizeof(out));
				else if (b[0] == WIRE_REG_INIT)
					on = fake_accept(b, (size_t)n, out,
					    sizeof(out));
				if (on > 0)
					(void)sendto(lfd, out, on, 0,
					    (struct sockaddr *)&from, fl);
			}
			if (strcmp(mode, "rewrite") == 0 && b[0] ==
			    WIRE_REG_INIT && n > 60) {
				b[n - 20] ^= 0x40;
				st.rewritten++;
			}
			if (strcmp(mode, "fake") != 0) {
				struct client *c = client_for(cl, &from, &up);

				if (c != NULL)
					(void)send(c->fd, b, (size_t)n, 0);
			}
			stats(statsf);
		}
		for (i = 0; i < CLIENTS; i++) {
			if (cl[i].fd == -1)
				continue;
			n = recv(cl[i].fd, b, sizeof(b), MSG_DONTWAIT);
			if (n <= 0)
				continue;
			count(b, (size_t)n);
			if (strcmp(mode, "rewrite") == 0) {
				if (b[0] == WIRE_REG_CHALLENGE && n >= 52) {
					/* offer our key in the first slot */
					memcpy(b + WIRE_CHALLENGE_MIN, my_pk,
					    32);
					st.rewritten++;
				} else if (b[0] == WIRE_REG_ACCEPT) {
					b[n - 1] ^= 0x01;
					st.rewritten++;
				}
			}
			(void)sendto(lfd, b, (size_t)n, 0,
			    (struct sockaddr *)&cl[i].addr,
			    sizeof(cl[i].addr));
			stats(statsf);
		}
	}
}

/* A CTRL for reg_id with an Introduce of "mallory", on a key of our own. */
static size_t
forged_introduce(uint32_t reg_id, uint8_t *out, size_t cap)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Introduce in = P2P__SRV__INTRODUCE__INIT;
	uint8_t k1[32], k2[32], idk[32], pt[512];
	struct chan c;
	size_t len;
	ssize_t n;

	randombytes_buf(k1, sizeof(k1));
	randombytes_buf(k2, sizeof(k2));
	randombytes_buf(idk, sizeof(idk));
	in.peer_id = (char *)"mallory";
	in.identity_key.data = idk;
	in.identity_key.len = 32;
	in.initiator = 1;
	in.relay_id = 7;
	m.push_seq = 1000;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_INTRODUCE;
	m.introduce = &in;
	len = p2p__srv__server_msg__get_packed_size(&m);
	p2p__srv__server_msg__pack(&m, pt);
	if (chan_init(&c, AEAD_CHACHAPOLY, k1, k2, reg_id) != 0 ||
	    (n = chan_seal(&c, WIRE_CTRL, pt, len, out, cap)) < 0)
		return 0;
	return (size_t)n;
}

static int
cmd_spoof(int argc, char **argv)
{
	struct sockaddr_in src, dst;
	uint8_t body[1400];
	uint32_t reg_id = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 0;
	int fd, n;

	if (argc < 3 || rawudp_parse(argv[0], &src) == -1 ||
	    rawudp_parse(argv[1], &dst) == -1)
		return 2;
	if (strcmp(argv[2], "unknown-reg") == 0)
		n = wire_unknown_reg_build(body, sizeof(body), reg_id);
	else if (strcmp(argv[2], "version-error") == 0)
		n = wire_version_error_build(body, sizeof(body), 7);
	else if (strcmp(argv[2], "introduce") == 0)
		n = (int)forged_introduce(reg_id, body, sizeof(body));
	else
		return 2;
	if (n <= 0)
		return 1;
	if (strcmp(argv[2], "version-error") == 0)
		body[1] = 7;	/* "the server speaks version 7" */
	if ((fd = rawudp_open()) == -1) {
		perror("regmitm: raw socket (root?)");
		return 77;
	}
	if (rawudp_send(fd, &src, &dst, body, (size_t)n) == -1) {
		perror("regmitm: sendto");
		return 1;
	}
	close(fd);
	printf("sent %s (%d bytes) as %s\n", argv[2], n, argv[0]);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(my_sk, sizeof(my_sk));
	crypto_scalarmult_base(my_pk, my_sk);
	if (argc > 1 && strcmp(argv[1], "proxy") == 0)
		return cmd_proxy(argc - 2, argv + 2);
	if (argc > 1 && strcmp(argv[1], "spoof") == 0)
		return cmd_spoof(argc - 2, argv + 2);
	fprintf(stderr, "usage: regmitm proxy|spoof ... (see the source)\n");
	return 2;
}
