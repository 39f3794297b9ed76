/* SPDX-License-Identifier: ISC */
/*
 * addr.h: socket addresses for both daemons: parse "1.2.3.4:5", "[::1]:5" and
 * "host:port", format as "ip:port" / "[v6]:port", normalise IPv4-mapped IPv6
 * to plain IPv4 (do this before any comparison or policy check), compare, and
 * convert to and from the protobuf p2p.srv.Addr (ip 4 or 16 bytes + port).
 *
 * Nothing here keeps state. addr_parse() may resolve a name with getaddrinfo
 * (blocking); numeric forms never touch the resolver. Errors go to err as a
 * sentence naming the input.
 */
#ifndef P2P_ADDR_H
#define P2P_ADDR_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#include "server.pb-c.h"

/* Enough for "[ffff:...:ffff]:65535" plus NUL. */
#define ADDR_STRLEN	64

/*
 * Parse s into ss/sslen. A missing ":port" takes default_port (0 allowed).
 * Returns 0, or -1 with a reason in err.
 */
int	addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
	    uint16_t default_port, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* Format into buf; returns buf ("?" for an unknown family). */
const char *addr_fmt(const struct sockaddr *sa, char *buf, size_t len);
/* IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes AF_INET; others unchanged. */
void	addr_normalize(struct sockaddr_storage *ss);
/* Length of the sockaddr for its family (0 if unknown). */
socklen_t addr_len(const struct sockaddr *sa);
/* 1 if same family, address and port (compare normalised addresses). */
int	addr_equal(const struct sockaddr *a, const struct sockaddr *b);
uint16_t addr_port(const struct sockaddr *sa);

/*
 * Fill pb (already initialised by the caller with P2P__SRV__ADDR__INIT) from
 * sa; the ip bytes point into ipbuf (16 bytes), which must outlive pb.
 * Mapped addresses are sent as 4 bytes. Returns 0, -1 for another family.
 */
int	addr_to_pb(const struct sockaddr *sa, P2p__Srv__Addr *pb,
	    uint8_t ipbuf[16]);
/* -1 unless ip is 4 or 16 bytes and port <= 65535 (the input is untrusted). */
int	addr_from_pb(const P2p__Srv__Addr *pb, struct sockaddr_storage *ss,
	    socklen_t *sslen) __attribute__((warn_unused_result));

#endif /* P2P_ADDR_H */
