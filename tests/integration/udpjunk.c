/* SPDX-License-Identifier: ISC */
/*
 * udpjunk: send random, truncated and near-valid datagrams to a UDP port
 * (and junk frames over TCP) to check that a server survives them.
 * usage: udpjunk HOST PORT COUNT [SEED]
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wire.h"

static void
fill(unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)rand();
}

/* Shapes that pass the first checks: STUN header, p2pd types, versions. */
static size_t
shape(unsigned char *b, size_t cap, int i)
{
	size_t n = (size_t)rand() % cap;

	fill(b, n);
	if (n < 8)
		return n;
	switch (i % 6) {
	case 0:			/* STUN-looking */
		b[0] = 0x00; b[1] = 0x01;
		b[4] = 0x21; b[5] = 0x12; b[6] = 0xa4; b[7] = 0x42;
		b[2] = (unsigned char)((n - 20) >> 8);
		b[3] = (unsigned char)(n - 20);
		break;
	case 1:			/* p2pd type, right version */
		b[0] = (unsigned char)(0x50 + rand() % 16);
		b[1] = WIRE_VERSION;
		break;
	case 2:			/* wrong version */
		b[0] = 0x52;
		b[1] = (unsigned char)(WIRE_VERSION + 1 + rand() % 200);
		break;
	case 3:			/* REG_HELLO of any length */
		b[0] = WIRE_REG_HELLO; b[1] = WIRE_VERSION;
		break;
	default:
		break;
	}
	return n;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	unsigned char b[1600];
	int fd, i, count;
	size_t n;

	if (argc < 4) {
		fprintf(stderr, "usage: udpjunk HOST PORT COUNT [SEED]\n");
		return 2;
	}
	count = atoi(argv[3]);
	srand(argc > 4 ? (unsigned)atoi(argv[4]) : 1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1) {
		fprintf(stderr, "udpjunk: bad IPv4 address %s\n", argv[1]);
		return 2;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return 1;
	for (i = 0; i < count; i++) {
		n = shape(b, sizeof(b), i);
		(void)sendto(fd, b, n, 0, (struct sockaddr *)&sin, sizeof(sin));
		if (i % 64 == 0)
			usleep(1000);	/* do not just overflow the buffer */
	}
	close(fd);
	/* TCP: a few connections with junk frames, then gone. */
	for (i = 0; i < 8; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			return 1;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			n = shape(b, sizeof(b), i);
			(void)write(fd, b, n);
		}
		close(fd);
	}
	printf("sent %d datagrams\n", count);
	return 0;
}
