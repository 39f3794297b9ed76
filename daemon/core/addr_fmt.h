/* SPDX-License-Identifier: ISC */
/*
 * addr_fmt.h: socket addresses as pure code, for the core and both
 * daemons: format as "ip:port" / "[v6]:port", normalise IPv4-mapped IPv6 to
 * plain IPv4 (do this before any comparison or policy check), compare, and
 * the length and port of a sockaddr. No resolver, no protobuf, no state:
 * daemon/common/addr.h adds parsing (getaddrinfo) and the protobuf form.
 */
#ifndef P2P_ADDR_FMT_H
#define P2P_ADDR_FMT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for "[ffff:...:ffff]:65535" plus NUL. */
#define ADDR_STRLEN	64

/* Format into buf; returns buf ("?" for an unknown family or NULL). */
const char *addr_fmt(const struct sockaddr *sa, char *buf, size_t len);
/* IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes AF_INET; others unchanged. */
void	addr_normalize(struct sockaddr_storage *ss);
/* Length of the sockaddr for its family (0 if unknown). */
socklen_t addr_len(const struct sockaddr *sa);
/* 1 if same family, address and port (compare normalised addresses). */
int	addr_equal(const struct sockaddr *a, const struct sockaddr *b);
/* 1 if same family and address, whatever the ports. */
int	addr_equal_ip(const struct sockaddr *a, const struct sockaddr *b);
/* The port in host order (0 for an unknown family). */
uint16_t addr_port(const struct sockaddr *sa);
/*
 * The address as bytes to key a MAC or a hash with: family (4 or 6), IP,
 * port; its length, 0 for an unknown family.
 */
#define ADDR_KEY_MAX	19
size_t	addr_key(const struct sockaddr *sa, uint8_t out[ADDR_KEY_MAX]);

#endif /* P2P_ADDR_FMT_H */
