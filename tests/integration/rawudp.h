/* SPDX-License-Identifier: ISC */
/*
 * rawudp.h: UDP datagrams with a forged IPv4 source, for the attack tools
 * (regmitm, p2pattack). Needs root (a raw socket); rawudp_open() returns
 * -1 otherwise, and the caller says it cannot (exit 77 in a test).
 */
#ifndef P2P_RAWUDP_H
#define P2P_RAWUDP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

int	rawudp_open(void);
int	rawudp_send(int fd, const struct sockaddr_in *src,
	    const struct sockaddr_in *dst, const uint8_t *p, size_t n);
/* "a.b.c.d:port" into sin; -1 if it is not that. */
int	rawudp_parse(const char *s, struct sockaddr_in *sin);

#endif /* P2P_RAWUDP_H */
