/* SPDX-License-Identifier: ISC */
/*
 * stun.h: the STUN codec (RFC 8489 subset, RFC 5780 attributes; see
 * docs/PROTOCOL.md §6).
 *
 * Pure code: addresses are struct sockaddr_storage (AF_INET or AF_INET6),
 * nothing here opens a socket. Everything parsed is untrusted: stun_parse()
 * checks the header, the length (a multiple of 4 that matches the datagram),
 * the magic cookie, every attribute TLV and its padding, and FINGERPRINT
 * (which must be the last attribute) when present. MESSAGE-INTEGRITY is
 * recorded but not verified (HMAC-SHA1; p2pd does not use STUN credentials).
 *
 * The server side is one call, stun_server_reply(): it answers a Binding
 * request with the smallest success response the RFC allows
 * (XOR-MAPPED-ADDRESS + FINGERPRINT), or a 420 error listing the unknown
 * comprehension-required attributes, and drops everything else (returns 0).
 * stun_reply_build() is the general builder: it can also add RFC 5780's
 * OTHER-ADDRESS and RESPONSE-ORIGIN. No reply is larger than it must be.
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are reported and encoded as
 * IPv4, so that checks and comparisons see one form.
 */
#ifndef P2P_STUN_H
#define P2P_STUN_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define STUN_HDR_LEN		20
#define STUN_COOKIE		0x2112A442U
#define STUN_TXID_LEN		12
#define STUN_FINGERPRINT_XOR	0x5354554EU

/* Message types: class bits C1 (0x100) and C0 (0x010) around method 0x001. */
#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_INDICATION	0x0011
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_BINDING_ERROR	0x0111

/* Attributes. */
#define STUN_ATTR_MAPPED_ADDRESS	0x0001
#define STUN_ATTR_CHANGE_REQUEST	0x0003
#define STUN_ATTR_USERNAME		0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY	0x0008
#define STUN_ATTR_ERROR_CODE		0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES	0x000A
#define STUN_ATTR_REALM			0x0014
#define STUN_ATTR_NONCE			0x0015
#define STUN_ATTR_XOR_MAPPED_ADDRESS	0x0020
#define STUN_ATTR_PADDING		0x0026
#define STUN_ATTR_RESPONSE_PORT		0x0027
#define STUN_ATTR_SOFTWARE		0x8022
#define STUN_ATTR_ALTERNATE_SERVER	0x8023
#define STUN_ATTR_FINGERPRINT		0x8028
#define STUN_ATTR_RESPONSE_ORIGIN	0x802B
#define STUN_ATTR_OTHER_ADDRESS		0x802C

/* CHANGE-REQUEST flags (RFC 5780 §7.2). */
#define STUN_CHANGE_IP		0x04
#define STUN_CHANGE_PORT	0x02

/* At most this many unknown comprehension-required attributes are kept. */
#define STUN_MAX_UNKNOWN	8

/* Bits of stun_msg.has. */
#define STUN_HAS_MAPPED		0x0001	/* MAPPED-ADDRESS */
#define STUN_HAS_XOR_MAPPED	0x0002
#define STUN_HAS_OTHER		0x0004
#define STUN_HAS_ORIGIN		0x0008
#define STUN_HAS_CHANGE		0x0010
#define STUN_HAS_ERROR		0x0020
#define STUN_HAS_FINGERPRINT	0x0040	/* present and verified */
#define STUN_HAS_INTEGRITY	0x0080	/* present, not verified */
#define STUN_HAS_RESPONSE_PORT	0x0100	/* RFC 5780 RESPONSE-PORT */

struct stun_msg {
	uint16_t		 type;
	uint16_t		 length;	/* of the attributes */
	uint8_t			 txid[STUN_TXID_LEN];
	unsigned		 has;
	struct sockaddr_storage	 mapped;	/* XOR-MAPPED, else MAPPED */
	struct sockaddr_storage	 other;		/* OTHER-ADDRESS */
	struct sockaddr_storage	 origin;	/* RESPONSE-ORIGIN */
	uint32_t		 change;	/* CHANGE-REQUEST flags */
	uint16_t		 response_port;	/* RESPONSE-PORT, host order */
	uint16_t		 error_code;	/* 300..699 */
	unsigned		 nunknown;	/* kept, at most STUN_MAX_UNKNOWN */
	int			 unknown_overflow; /* more were seen */
	uint16_t		 unknown[STUN_MAX_UNKNOWN];
};

/* What a reply holds beyond XOR-MAPPED-ADDRESS and FINGERPRINT. */
struct stun_reply_opts {
	const struct sockaddr	*other;		/* OTHER-ADDRESS, or NULL */
	const struct sockaddr	*origin;	/* RESPONSE-ORIGIN, or NULL */
};

/* 1 if the datagram looks like STUN (RFC 7983 first byte + cookie). */
int	stun_is_stun(const uint8_t *pkt, size_t len);

/* Parse and validate a STUN message: 0, or -1 if malformed. */
int	stun_parse(const uint8_t *pkt, size_t len, struct stun_msg *msg);

/* A Binding request with FINGERPRINT; returns its length or 0 if cap is short. */
size_t	stun_build_binding_request(uint8_t *out, size_t cap,
	    const uint8_t txid[STUN_TXID_LEN]);

/* The same with CHANGE-REQUEST (flags STUN_CHANGE_*) for RFC 5780 tests. */
size_t	stun_build_binding_request_change(uint8_t *out, size_t cap,
	    const uint8_t txid[STUN_TXID_LEN], uint32_t change_flags);

/*
 * Server: the reply to the datagram req from address from, written into out;
 * returns its length, or 0 to drop (not a Binding request, malformed, a
 * response, cap too small, unsupported address family).
 */
size_t	stun_server_reply(const uint8_t *req, size_t len,
	    const struct sockaddr *from, uint8_t *out, size_t cap);

/*
 * The same with RFC 5780 options. A request with CHANGE-REQUEST or
 * RESPONSE-PORT is answered here as if it had none: deciding which socket
 * sends the reply, and to which port, is the caller's job (msg.change and
 * msg.response_port after stun_parse()). Without opts->other (no alternate
 * address) both get 420 listing them (RFC 5780 §6.1).
 */
size_t	stun_server_reply_opts(const uint8_t *req, size_t len,
	    const struct sockaddr *from, const struct stun_reply_opts *opts,
	    uint8_t *out, size_t cap);

/*
 * Build a Binding success response for txid: XOR-MAPPED-ADDRESS of mapped,
 * the options, FINGERPRINT. Returns the length or 0.
 */
size_t	stun_build_binding_success(uint8_t *out, size_t cap,
	    const uint8_t txid[STUN_TXID_LEN], const struct sockaddr *mapped,
	    const struct stun_reply_opts *opts);

/* A Binding error response (code 300..699, reason) with optional UNKNOWN-ATTRIBUTES. */
size_t	stun_build_binding_error(uint8_t *out, size_t cap,
	    const uint8_t txid[STUN_TXID_LEN], uint16_t code, const char *reason,
	    const uint16_t *unknown, unsigned nunknown);

/*
 * Client: a Binding success response to txid; stores the mapped address
 * (XOR-MAPPED-ADDRESS preferred). 0, or -1 if not that.
 */
int	stun_parse_binding_success(const uint8_t *pkt, size_t len,
	    const uint8_t txid[STUN_TXID_LEN], struct sockaddr_storage *mapped);

#endif /* P2P_STUN_H */
