/* SPDX-License-Identifier: ISC */
/*
 * wire.h: demultiplexing of the shared UDP port and the clear headers of the
 * p2pd packets (docs/PROTOCOL.md §1 and §2).
 *
 * wire_classify() looks at the first bytes of a datagram only: it tells STUN
 * from p2pd packets from junk, and for p2pd packets checks the wire version
 * and the minimum length of the type, so the caller can dispatch without
 * further checks. A packet of 0x50-0x5f (other than VERSION_ERROR) with
 * another version and at least 3 bytes is WIRE_CLASS_BAD_VERSION: the server
 * answers it with VERSION_ERROR, which is then never larger than the
 * request. An unknown type, or a packet shorter than its type's minimum
 * (wire_min_len()), is WIRE_CLASS_JUNK.
 *
 * The build functions write one whole packet into out (cap bytes) and return
 * its length, or -1 if cap is too small. The parse functions check the type,
 * version and exact length of an untrusted packet and return 0 or -1; they
 * write their outputs only on success. CTRL, HS_* and DATA carry ciphertext:
 * only their clear headers are here (wire_hdr_*), the sealing is chan.c's.
 */
#ifndef P2P_WIRE_H
#define P2P_WIRE_H

#include <stddef.h>
#include <stdint.h>

/*
 * 2: the registration handshake authenticates the server (PROTOCOL.md §2.1);
 * agents and servers of version 1 get VERSION_ERROR.
 */
#define WIRE_VERSION		2

enum wire_type {
	WIRE_REG_HELLO		= 0x50,
	WIRE_REG_CHALLENGE	= 0x51,
	WIRE_CTRL		= 0x52,
	WIRE_HS_INIT		= 0x53,
	WIRE_HS_RESP		= 0x54,
	WIRE_DATA		= 0x55,
	WIRE_UNKNOWN_REG	= 0x56,
	WIRE_RELAY		= 0x57,
	WIRE_NODE		= 0x58,	/* cluster node to node (nodemsg.h) */
	WIRE_REG_INIT		= 0x59,
	WIRE_REG_ACCEPT		= 0x5a,
	WIRE_COOKIE_REPLY	= 0x5b,	/* agent -> agent, under load */
	WIRE_RELAY_MAC		= 0x5c,	/* RELAY, body in the clear + tag */
	WIRE_VERSION_ERROR	= 0x5f
};

enum wire_class {
	WIRE_CLASS_JUNK,
	WIRE_CLASS_STUN,
	WIRE_CLASS_P2P,
	WIRE_CLASS_BAD_VERSION
};

#define WIRE_HDR_LEN		4	/* type, version, b2, b3 */
#define WIRE_HELLO_LEN		128
/*
 * REG_CHALLENGE: header (b2 = number of server keys, 0-2), cookie[16], the
 * server's public keys: 20 to 84 bytes, always below the HELLO's 128.
 */
#define WIRE_COOKIE_LEN		16
#define WIRE_CHALLENGE_MIN	(WIRE_HDR_LEN + WIRE_COOKIE_LEN)
#define WIRE_CHALLENGE_KEYS	2
#define WIRE_CHALLENGE_MAX	(WIRE_CHALLENGE_MIN + WIRE_CHALLENGE_KEYS * 32)
/*
 * REG_INIT: header, key_id[4] (the first bytes of the server key it is
 * sealed to), cookie[16], then Noise NK message 1 (e, payload + tag).
 * REG_ACCEPT: header, then Noise NK message 2 (e, payload + tag).
 */
#define WIRE_KEY_ID_LEN		4
#define WIRE_REG_INIT_HDR_LEN	(WIRE_HDR_LEN + WIRE_KEY_ID_LEN + \
				    WIRE_COOKIE_LEN)
#define WIRE_REG_ACCEPT_HDR_LEN	WIRE_HDR_LEN
#define WIRE_UNKNOWN_REG_LEN	8
#define WIRE_VERSION_ERROR_LEN	3
#define WIRE_CTRL_HDR_LEN	16	/* hdr, reg_id u32, counter u64 */
/*
 * RELAY (PROTOCOL.md §2.6) has the CTRL header and is sealed on the
 * registration's control channel; its plaintext is the other peer's
 * relay id (u32) and one whole HS_INIT, HS_RESP or DATA packet.
 * RELAY_MAC carries the same body in the clear (those packets are encrypted
 * and authenticated end to end already), followed by a tag over the header,
 * the body's length, its first and last bytes (chan.h: chan_mac_ad).
 */
#define WIRE_RELAY_ID_LEN	4
#define WIRE_NODE_MIN_LEN	41	/* = NODEMSG_OVERHEAD */
#define WIRE_DATA_HDR_LEN	16	/* hdr, receiver_index u32, counter u64 */
#define WIRE_HS_INIT_HDR_LEN	8	/* hdr, sender_index u32 */
#define WIRE_HS_RESP_HDR_LEN	12	/* hdr, sender_index, receiver_index */
#define WIRE_AEAD_TAG_LEN	16
#define WIRE_MAC_LEN		16	/* mac1, mac2 at the end of HS_INIT */
#define WIRE_COOKIE_REPLY_LEN	64
#define WIRE_KEY_LEN		32

/* Cipher ids carried in b2 of HS_INIT. */
#define WIRE_CIPHER_CHACHAPOLY	1
#define WIRE_CIPHER_AESGCM	2

#define P2P_NAME_MAX		64

/*
 * Classify a datagram. type and version (either may be NULL) receive the
 * first two bytes when the class is P2P or BAD_VERSION.
 */
enum wire_class	wire_classify(const uint8_t *pkt, size_t len, uint8_t *type,
		    uint8_t *version);

/* The smallest valid length of a packet of that type, 0 if unknown. */
size_t		wire_min_len(uint8_t type);

/*
 * What an agent accepts a datagram as, from its first bytes: one of the
 * server's packets (REG_CHALLENGE, REG_ACCEPT, CTRL, RELAY, UNKNOWN_REG, and
 * VERSION_ERROR, which is classified BAD_VERSION), a peer's (HS_INIT,
 * HS_RESP, DATA), or nothing (junk, bad version, a type agents never get).
 */
enum wire_dest {
	WIRE_DEST_NONE,
	WIRE_DEST_SERVER,
	WIRE_DEST_PEER
};
enum wire_dest	wire_agent_dest(const uint8_t *pkt, size_t len, uint8_t *type);

/* "REG_HELLO", ..., or "UNKNOWN" for logs. */
const char	*wire_type_name(uint8_t type);

/* 1 if s is 1..64 characters of [A-Za-z0-9._-], else 0. */
int		p2p_name_valid(const char *s);
/* The same for a counted, not NUL-terminated string. */
int		p2p_name_valid_len(const char *s, size_t len);

int	wire_hello_build(uint8_t *out, size_t cap, const uint8_t eph[32]);
int	wire_hello_parse(const uint8_t *pkt, size_t len, uint8_t eph[32]);

/* keys: nkeys (0..WIRE_CHALLENGE_KEYS) public keys of 32 bytes each. */
int	wire_challenge_build(uint8_t *out, size_t cap,
	    const uint8_t cookie[WIRE_COOKIE_LEN], const uint8_t *keys,
	    unsigned nkeys);
int	wire_challenge_parse(const uint8_t *pkt, size_t len,
	    uint8_t cookie[WIRE_COOKIE_LEN],
	    uint8_t keys[WIRE_CHALLENGE_KEYS][32], unsigned *nkeys);

/*
 * REG_INIT and REG_ACCEPT headers; the Noise message follows (reghs.h).
 * The parse functions return the header length or -1 (type, version, or
 * shorter than wire_min_len()).
 */
int	wire_reg_init_hdr_build(uint8_t *out, size_t cap,
	    const uint8_t key_id[WIRE_KEY_ID_LEN],
	    const uint8_t cookie[WIRE_COOKIE_LEN]);
int	wire_reg_init_hdr_parse(const uint8_t *pkt, size_t len,
	    uint8_t key_id[WIRE_KEY_ID_LEN], uint8_t cookie[WIRE_COOKIE_LEN]);
int	wire_reg_accept_hdr_build(uint8_t *out, size_t cap);
int	wire_reg_accept_hdr_parse(const uint8_t *pkt, size_t len);

int	wire_unknown_reg_build(uint8_t *out, size_t cap, uint32_t reg_id);
int	wire_unknown_reg_parse(const uint8_t *pkt, size_t len, uint32_t *reg_id);

int	wire_version_error_build(uint8_t *out, size_t cap,
	    uint8_t received_version);
int	wire_version_error_parse(const uint8_t *pkt, size_t len,
	    uint8_t *server_version, uint8_t *received_version);

/*
 * Clear headers of the encrypted packets. The build functions write only the
 * header (the caller appends ciphertext and uses the header as associated
 * data); the parse functions check type, version and that at least a header
 * and an AEAD tag follow, and return the header length (payload starts there)
 * or -1.
 */
int	wire_ctrl_hdr_build(uint8_t *out, size_t cap, uint32_t reg_id,
	    uint64_t counter);
int	wire_ctrl_hdr_parse(const uint8_t *pkt, size_t len, uint32_t *reg_id,
	    uint64_t *counter);

int	wire_data_hdr_build(uint8_t *out, size_t cap, uint32_t receiver_index,
	    uint64_t counter);
int	wire_data_hdr_parse(const uint8_t *pkt, size_t len,
	    uint32_t *receiver_index, uint64_t *counter);

int	wire_hs_init_hdr_build(uint8_t *out, size_t cap, uint8_t cipher,
	    uint32_t sender_index);
int	wire_hs_init_hdr_parse(const uint8_t *pkt, size_t len, uint8_t *cipher,
	    uint32_t *sender_index);

int	wire_hs_resp_hdr_build(uint8_t *out, size_t cap, uint32_t sender_index,
	    uint32_t receiver_index);
int	wire_hs_resp_hdr_parse(const uint8_t *pkt, size_t len,
	    uint32_t *sender_index, uint32_t *receiver_index);

#endif /* P2P_WIRE_H */
