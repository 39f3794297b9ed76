/* SPDX-License-Identifier: ISC */
/* rawudp.c: UDP with a forged source. See rawudp.h. */
#include <sys/socket.h>

#include <netinet/ip.h>
#include <netinet/udp.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "rawudp.h"

int
rawudp_open(void)
{
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1)
		return -1;
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1)
		return -1;
	return fd;
}

static uint16_t
rawudp_csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

int
rawudp_send(int fd, const struct sockaddr_in *src, const struct sockaddr_in *dst,
    const uint8_t *p, size_t n)
{
	uint8_t pkt[2048];
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
	size_t len = sizeof(*ip) + sizeof(*udp) + n;

	if (len > sizeof(pkt))
		return -1;
	memset(pkt, 0, sizeof(*ip) + sizeof(*udp));
	ip->ihl = 5;
	ip->version = 4;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = src->sin_addr.s_addr;
	ip->daddr = dst->sin_addr.s_addr;
	ip->tot_len = htons((uint16_t)len);
	ip->check = rawudp_csum(ip, sizeof(*ip));
	udp->source = src->sin_port;
	udp->dest = dst->sin_port;
	udp->len = htons((uint16_t)(sizeof(*udp) + n));
	udp->check = 0;		/* optional over IPv4 */
	memcpy(pkt + sizeof(*ip) + sizeof(*udp), p, n);
	return sendto(fd, pkt, len, 0, (const struct sockaddr *)dst,
	    sizeof(*dst)) == (ssize_t)len ? 0 : -1;
}

int
rawudp_parse(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *c = strrchr(s, ':');

	if (c == NULL || (size_t)(c - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}
