/* SPDX-License-Identifier: ISC */
/*
 * pcp.h: the messages of the two port mapping protocols routers speak on
 * UDP port 5351: NAT-PMP (RFC 6886, "version 0") and PCP (RFC 6887,
 * version 2), as pure code: requests are built into the caller's buffer,
 * answers parsed into struct pcp_answer. No sockets, no clock.
 *
 * Only what p2pd asks for is built: NAT-PMP's external address request
 * and UDP mapping, PCP's ANNOUNCE and MAP for UDP over IPv4. pcp_parse()
 * takes either version (the first byte says which) and checks everything
 * an answer must be before the caller looks at it: its length (NAT-PMP: 12
 * or 16 bytes on success, 8-16 on error; PCP: 24-1100 bytes, a multiple of
 * 4, options that fit), the response bit, a known opcode. Whether it
 * answers the caller's request (nonce, port, protocol) and whether its
 * external address can be used are the caller's checks; pcp_addr_public()
 * helps with the latter.
 *
 * pcp_gateway_parse() reads the default gateway from the text of
 * /proc/net/route: the router that NAT-PMP and PCP talk to.
 */
#ifndef P2P_PCP_H
#define P2P_PCP_H

#include <stddef.h>
#include <stdint.h>

#define PCP_PORT		5351
#define PCP_MSG_MAX		1100	/* RFC 6887 §7: no message is longer */
#define PCP_NONCE_LEN		12
#define PCP_MAP_LEN		60	/* header 24 + MAP payload 36 */
#define PCP_ANNOUNCE_LEN	24
#define NATPMP_ADDR_LEN		2
#define NATPMP_MAP_LEN		12

#define PCP_V_NATPMP		0
#define PCP_V_PCP		2

/* Opcodes, without the response bit (NAT-PMP's 128, PCP's R bit). */
#define NATPMP_OP_ADDR		0
#define NATPMP_OP_MAP_UDP	1
#define PCP_OP_ANNOUNCE		0
#define PCP_OP_MAP		1

/* Result codes that change what the client does. */
#define PCP_RES_SUCCESS		0
#define PCP_RES_UNSUPP_VERSION	1	/* both versions */
#define PCP_PROTO_UDP		17

/* What pcp_parse() refuses. */
enum pcp_err {
	PCP_ERR_LENGTH = -1,	/* too short, too long, or not the opcode's */
	PCP_ERR_VERSION = -2,	/* neither 0 nor 2 */
	PCP_ERR_REQUEST = -3,	/* a request, not an answer */
	PCP_ERR_OPCODE = -4,	/* an opcode p2pd never sends */
	PCP_ERR_OPTION = -5	/* PCP options that do not fit */
};

struct pcp_answer {
	int		 version;	/* PCP_V_NATPMP or PCP_V_PCP */
	int		 opcode;	/* without the response bit */
	int		 result;	/* the router's result code */
	uint32_t	 epoch;		/* seconds since its mappings began */
	uint32_t	 lifetime;	/* granted (MAP), seconds */
	uint16_t	 internal_port;	/* MAP */
	uint16_t	 external_port;	/* MAP: the mapped port */
	uint32_t	 external_ip;	/* host order; NAT-PMP MAP has none (0) */
	int		 has_ip;	/* external_ip came with the answer */
	uint8_t		 protocol;	/* PCP MAP */
	uint8_t		 nonce[PCP_NONCE_LEN];	/* PCP MAP */
};

/* Requests: each returns its length, or 0 if cap is too small. Addresses
 * are IPv4 in host order; lifetime 0 deletes a mapping. */
size_t	pcp_natpmp_addr_req(uint8_t *buf, size_t cap);
size_t	pcp_natpmp_map_req(uint8_t *buf, size_t cap, uint16_t internal_port,
	    uint16_t external_port, uint32_t lifetime);
size_t	pcp_announce_req(uint8_t *buf, size_t cap, uint32_t client_ip);
size_t	pcp_map_req(uint8_t *buf, size_t cap, uint32_t client_ip,
	    const uint8_t nonce[PCP_NONCE_LEN], uint16_t internal_port,
	    uint16_t external_port, uint32_t external_ip, uint32_t lifetime);

/* An answer from the router: 0, or a negative enum pcp_err. */
int	pcp_parse(const uint8_t *p, size_t len, struct pcp_answer *a)
	    __attribute__((warn_unused_result));

/* The router's result code in words ("NOT_AUTHORIZED", ...). */
const char	*pcp_result_str(int version, int result);
/* What pcp_parse()'s error means, in words. */
const char	*pcp_err_str(int err);

/* 1 if ip (host order) can be a public address: not unspecified, private,
 * shared (100.64/10), loopback, link-local, documentation, benchmarking,
 * multicast or reserved. A router behind another NAT reports such an
 * address, and a mapping there is not reachable from outside. */
int	pcp_addr_public(uint32_t ip);

/* The default IPv4 gateway from /proc/net/route's text (the route with
 * destination and mask 0 and the gateway flag, lowest metric first), in
 * host order: 0, or -1 if there is none. */
int	pcp_gateway_parse(const char *text, size_t len, uint32_t *gw)
	    __attribute__((warn_unused_result));

#endif /* P2P_PCP_H */
