/* SPDX-License-Identifier: ISC */
/*
 * p2ptest: a test tool for the integration scripts. It speaks the formats of
 * docs/PROTOCOL.md from its own code where that cross-checks the daemons (a
 * token minted here is a second implementation of §5), and sends the bad
 * input the daemons must survive.
 *
 *   p2ptest udpjunk HOST PORT COUNT SEED   random and truncated datagrams
 *   p2ptest stun HOST PORT                 STUN Binding; prints the mapped address
 *   p2ptest token SECRET-FILE PEER ISSUED-OFFSET TTL [VERSION [GROUP...]]
 *                                          mint a token, times relative to now;
 *                                          version 2 carries the server keys in
 *                                          $P2PTEST_KEYS (base64, space-separated)
 *   p2ptest ipcjunk SOCKET MODE            MODE: garbage|oversize|version|truncated|badproto
 *                                          exits 0 when p2pd closed the connection
 *   p2ptest relayjunk HOST PORT REG-ID COUNT  forged RELAY packets (§2.6) for that
 *                                          registration, with random counters and tags;
 *                                          prints the bytes of every reply, then
 *                                          "replies N largest L request R" 
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define WIRE_V	2	/* the wire version of PROTOCOL.md */

static int
udp_connect(const char *host, const char *port)
{
	struct addrinfo hints, *ai;
	int fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0) {
		fprintf(stderr, "p2ptest: cannot resolve %s\n", host);
		exit(2);
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd == -1 || connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		perror("p2ptest: udp socket");
		exit(2);
	}
	freeaddrinfo(ai);
	return fd;
}

static uint64_t rng_state;

static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
cmd_udpjunk(int argc, char **argv)
{
	static const uint8_t firsts[] = { 0x00, 0x01, 0x50, 0x51, 0x52, 0x53,
	    0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5f, 0x17, 0xff };
	uint8_t pkt[1500];
	long count, i;
	size_t len, j;
	int fd;

	if (argc != 4)
		return 2;
	fd = udp_connect(argv[0], argv[1]);
	count = atol(argv[2]);
	rng_state = strtoull(argv[3], NULL, 10);
	for (i = 0; i < count; i++) {
		len = rng() % (i % 3 == 0 ? 40 : sizeof(pkt));
		for (j = 0; j < len; j++)
			pkt[j] = (uint8_t)rng();
		if (len > 0)
			pkt[0] = firsts[rng() % sizeof(firsts)];
		if (len > 1 && pkt[0] >= 0x50 && pkt[0] <= 0x5f)
			pkt[1] = rng() % 4 ? WIRE_V : (uint8_t)rng();
		if (len >= 8 && pkt[0] <= 0x01) {	/* STUN-looking */
			pkt[4] = 0x21; pkt[5] = 0x12; pkt[6] = 0xa4; pkt[7] = 0x42;
		}
		(void)send(fd, pkt, len, 0);
		if (i % 64 == 0)
			usleep(1000);
	}
	close(fd);
	printf("sent %ld datagrams\n", count);
	return 0;
}

/*
 * Forged RELAY packets: a well-formed header naming a registration, then
 * random bytes where the ciphertext and tag go. Every reply is counted: the
 * relay may answer an unknown registration (UNKNOWN_REG, smaller than the
 * request) and nothing else.
 */
static int
cmd_relayjunk(int argc, char **argv)
{
	uint8_t pkt[200], resp[1500];
	struct pollfd pfd;
	unsigned long id;
	long count, i, replies = 0;
	size_t len, j, largest = 0;
	ssize_t n;
	int fd;

	if (argc != 4)
		return 2;
	fd = udp_connect(argv[0], argv[1]);
	id = strtoul(argv[2], NULL, 10);
	count = atol(argv[3]);
	randombytes_buf(&rng_state, sizeof(rng_state));
	len = 16 + 4 + 60 + 16;		/* header, relay id, a packet, tag */
	for (i = 0; i < count; i++) {
		for (j = 0; j < len; j++)
			pkt[j] = (uint8_t)rng();
		pkt[0] = 0x57;
		pkt[1] = WIRE_V;
		pkt[2] = pkt[3] = 0;
		pkt[4] = (uint8_t)(id >> 24);
		pkt[5] = (uint8_t)(id >> 16);
		pkt[6] = (uint8_t)(id >> 8);
		pkt[7] = (uint8_t)id;
		(void)send(fd, pkt, len, 0);
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 500) > 0) {
		if ((n = recv(fd, resp, sizeof(resp), 0)) < 0)
			break;
		replies++;
		if ((size_t)n > largest)
			largest = (size_t)n;
	}
	close(fd);
	printf("replies %ld largest %zu request %zu\n", replies, largest, len);
	return 0;
}

static uint32_t
crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffU;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return c ^ 0xffffffffU;
}

static int
cmd_stun(int argc, char **argv)
{
	uint8_t req[28], resp[1500], tx[12];
	struct pollfd pfd;
	uint32_t crc;
	ssize_t n;
	size_t off;
	int fd, try;

	if (argc != 2)
		return 2;
	fd = udp_connect(argv[0], argv[1]);
	randombytes_buf(tx, sizeof(tx));
	memset(req, 0, sizeof(req));
	req[1] = 0x01;				/* Binding request */
	req[3] = 8;				/* FINGERPRINT only */
	req[4] = 0x21; req[5] = 0x12; req[6] = 0xa4; req[7] = 0x42;
	memcpy(req + 8, tx, 12);
	req[20] = 0x80; req[21] = 0x28; req[23] = 4;
	crc = crc32(req, 20) ^ 0x5354554eU;
	req[24] = crc >> 24; req[25] = crc >> 16; req[26] = crc >> 8; req[27] = crc;
	for (try = 0; try < 3; try++) {
		(void)send(fd, req, sizeof(req), 0);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		if ((n = recv(fd, resp, sizeof(resp), 0)) < 20)
			continue;
		if (resp[0] != 0x01 || resp[1] != 0x01 || memcmp(resp + 8, tx, 12))
			continue;
		for (off = 20; off + 4 <= (size_t)n;) {
			unsigned type = resp[off] << 8 | resp[off + 1];
			unsigned alen = resp[off + 2] << 8 | resp[off + 3];

			if (off + 4 + alen > (size_t)n)
				break;
			if (type == 0x0020 && alen == 8 && resp[off + 5] == 1) {
				unsigned port = (resp[off + 6] << 8 | resp[off + 7]) ^ 0x2112;
				printf("%u.%u.%u.%u:%u\n", resp[off + 8] ^ 0x21,
				    resp[off + 9] ^ 0x12, resp[off + 10] ^ 0xa4,
				    resp[off + 11] ^ 0x42, port);
				return 0;
			}
			off += 4 + ((alen + 3) & ~3U);
		}
		fprintf(stderr, "p2ptest: response without XOR-MAPPED-ADDRESS\n");
		return 1;
	}
	fprintf(stderr, "p2ptest: no STUN response\n");
	return 1;
}

static size_t
read_secret(const char *path, uint8_t *key, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(key, 1, cap, fp);
	fclose(fp);
	while (n > 0 && (key[n - 1] == '\n' || key[n - 1] == '\r' ||
	    key[n - 1] == ' ' || key[n - 1] == '\t'))
		n--;
	return n;
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Version 2: n_keys u8, then the keys of $P2PTEST_KEYS (at most 2). */
static size_t
put_keys(uint8_t *body, size_t len)
{
	const char *env = getenv("P2PTEST_KEYS");
	char buf[256], *k, *save = NULL;
	size_t at = len++, kl;
	uint8_t n = 0;

	snprintf(buf, sizeof(buf), "%s", env != NULL ? env : "");
	for (k = strtok_r(buf, " ", &save); k != NULL && n < 2;
	    k = strtok_r(NULL, " ", &save)) {
		if (sodium_base642bin(body + len, 32, k, strlen(k), NULL, &kl,
		    NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || kl != 32) {
			fprintf(stderr, "p2ptest: bad key %s\n", k);
			exit(2);
		}
		len += 32;
		n++;
	}
	body[at] = n;
	return len;
}

/* PROTOCOL.md §5, written independently of daemon/core/token.c. */
static int
cmd_token(int argc, char **argv)
{
	uint8_t key[1024], body[2048 + 32];
	char out[4096];
	crypto_auth_hmacsha256_state st;
	size_t keylen, len = 0, l;
	uint64_t now = (uint64_t)time(NULL);
	int i;

	if (argc < 4)
		return 2;
	keylen = read_secret(argv[0], key, sizeof(key));
	body[len++] = argc > 4 ? (uint8_t)atoi(argv[4]) : 1;
	put64(body + len, now + strtoll(argv[2], NULL, 10));
	len += 8;
	put64(body + len, now + strtoll(argv[2], NULL, 10) + strtoll(argv[3], NULL, 10));
	len += 8;
	body[len++] = (uint8_t)(l = strlen(argv[1]));
	memcpy(body + len, argv[1], l);
	len += l;
	body[len++] = (uint8_t)(argc > 5 ? argc - 5 : 0);
	for (i = 5; i < argc; i++) {
		body[len++] = (uint8_t)(l = strlen(argv[i]));
		memcpy(body + len, argv[i], l);
		len += l;
	}
	if (body[0] == 2)
		len = put_keys(body, len);
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, body + len);
	len += 32;
	sodium_bin2base64(out, sizeof(out), body, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	printf("p2pt.%s\n", out);
	return 0;
}

static int
ipc_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror(path);
		exit(3);
	}
	return fd;
}

static int
cmd_ipcjunk(int argc, char **argv)
{
	uint8_t buf[4096], hdr[8] = { 'P', '2', 1, 0, 0, 0, 0, 0 };
	struct pollfd pfd;
	const char *mode;
	ssize_t n;
	size_t i, got = 0;
	int fd, r;

	if (argc != 2)
		return 2;
	fd = ipc_connect(argv[0]);
	mode = argv[1];
	randombytes_buf(buf, sizeof(buf));
	if (strcmp(mode, "garbage") == 0) {
		(void)write(fd, buf, sizeof(buf));
	} else if (strcmp(mode, "oversize") == 0) {
		hdr[4] = 0x40;			/* 1 GiB body announced */
		(void)write(fd, hdr, sizeof(hdr));
		(void)write(fd, buf, 1024);
	} else if (strcmp(mode, "version") == 0) {
		hdr[2] = 9;
		hdr[7] = 2;
		(void)write(fd, hdr, sizeof(hdr));
		(void)write(fd, "\x0a\x00", 2);
	} else if (strcmp(mode, "truncated") == 0) {
		hdr[7] = 100;
		(void)write(fd, hdr, sizeof(hdr));
		(void)write(fd, buf, 10);
		shutdown(fd, SHUT_WR);
	} else if (strcmp(mode, "badproto") == 0) {
		for (i = 0; i < 64; i++)
			buf[i] = 0xff;		/* invalid varints, unknown fields */
		hdr[7] = 64;
		(void)write(fd, hdr, sizeof(hdr));
		(void)write(fd, buf, 64);
	} else {
		return 2;
	}
	/* p2pd must close this connection; print what it said first. */
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, 3000)) <= 0) {
			fprintf(stderr, "p2ptest: p2pd kept the connection open\n");
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0) {
			perror("read");
			return 1;
		}
		for (i = 0; i < (size_t)n; i++)
			if (buf[i] >= 0x20 && buf[i] < 0x7f)
				putchar(buf[i]);
		got += (size_t)n;
	}
	printf("\nclosed after %zu bytes\n", got);
	return 0;
}

int
main(int argc, char **argv)
{
	int r = 2;

	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0)
		return 1;
	if (argc >= 2) {
		if (strcmp(argv[1], "udpjunk") == 0)
			r = cmd_udpjunk(argc - 2, argv + 2);
		else if (strcmp(argv[1], "stun") == 0)
			r = cmd_stun(argc - 2, argv + 2);
		else if (strcmp(argv[1], "token") == 0)
			r = cmd_token(argc - 2, argv + 2);
		else if (strcmp(argv[1], "ipcjunk") == 0)
			r = cmd_ipcjunk(argc - 2, argv + 2);
		else if (strcmp(argv[1], "relayjunk") == 0)
			r = cmd_relayjunk(argc - 2, argv + 2);
	}
	if (r == 2)
		fprintf(stderr, "usage: see the comment at the top of p2ptest.c\n");
	return r;
}
