/* SPDX-License-Identifier: ISC */
/*
 * addr.h: socket addresses for both daemons: parse "1.2.3.4:5", "[::1]:5" and
 * "host:port", and convert to and from the protobuf p2p.srv.Addr (ip 4 or 16
 * bytes + port). Formatting, normalising and comparing are the core's
 * (addr_fmt.h, included here), so the protocol core formats the same way.
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

#include "addr_fmt.h"
#include "server.pb-c.h"

/*
 * Parse s into ss/sslen. A missing ":port" takes default_port (0 allowed).
 * Returns 0, or -1 with a reason in err.
 */
int	addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
	    uint16_t default_port, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Every address s resolves to (a name may have several), at most max, each
 * once, in the resolver's order. Returns how many (at least 1), or -1 with
 * a reason in err.
 */
int	addr_parse_all(const char *s, struct sockaddr_storage *ss, size_t max,
	    uint16_t default_port, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

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

/* 127.0.0.0/8 or ::1. */
int	addr_is_loopback(const struct sockaddr *);

#endif /* P2P_ADDR_H */
