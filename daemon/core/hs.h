/* SPDX-License-Identifier: ISC */
/*
 * hs.h: the p2pd peer handshake (PROTOCOL.md §2.3).
 *
 * Noise_IK_25519_{ChaChaPoly|AESGCM}_BLAKE2b with prologue "p2pd/2"; the
 * static keys are the X25519 forms of the agents' Ed25519 identity keys.
 *
 *   HS_INIT = 0x53, 2, cipher, 0, sender_index u32, Noise message 1,
 *             mac1[16], mac2[16]
 *             message 1 payload: TAI64N timestamp[12] || id_len u8 || peer id
 *   HS_RESP = 0x54, 2, 0, 0, sender_index u32, receiver_index u32,
 *             Noise message 2 (empty payload)
 *
 * Initiator: hs_initiate() builds HS_INIT; hs_finish() consumes HS_RESP and
 * gives the session keys. Responder: hs_read_init() authenticates HS_INIT
 * and hands back who it claims to be (struct hs_init_info) so the caller
 * can check that the static key was introduced by the server and that the
 * timestamp is greater than the last one accepted from that key (memcmp on
 * the 12 bytes orders them); only then hs_respond() builds HS_RESP.
 *
 * A rekey (PROTOCOL.md §2.5) is the same handshake inside a running
 * session: hs_initiate_rekey() adds the responder's current index of that
 * session (rekey_index u32) after the peer id in the encrypted payload, so
 * it is authenticated like the rest; hs_read_init() reports it in
 * info->rekey_index (0 for a handshake that starts a new session).
 *
 * mac1 (hs_mac.c) is made by hs_initiate() and checked by hs_read_init()
 * before any Diffie-Hellman, so an HS_INIT that does not come from someone
 * who knows our static key costs one hash. mac2 and the COOKIE_REPLY are
 * for a responder under load (hs_mac2_ok(), hs_cookie_reply_build()); an
 * initiator that got a cookie seals mac2 into its HS_INIT with
 * hs_mac2_seal() before sending it again.
 *
 * A cipher that !aead_available() is refused on both sides. Every function
 * returns 0 or -1 and fails on any malformed, truncated, tampered or
 * out-of-turn input. After a failure the struct hs is wiped and can only be
 * initialised again, except hs_finish: the responder's index travels in
 * clear, so a forged HS_RESP must not abort the handshake; a failed
 * hs_finish leaves the hs waiting for the real answer (the caller's
 * retransmit timer bounds that). Secrets are wiped once the result is
 * handed out; the
 * caller wipes struct hs_result after chan_init(). now_unix_ns is the wall
 * clock (the core reads no clocks).
 */
#ifndef P2P_HS_H
#define P2P_HS_H

#include <stddef.h>
#include <stdint.h>

#include "aead.h"
#include "noise.h"

#define HS_TYPE_INIT		0x53
#define HS_TYPE_RESP		0x54
#define HS_TYPE_COOKIE		0x5b	/* COOKIE_REPLY (WIRE_COOKIE_REPLY) */
#define HS_VERSION		2	/* WIRE_VERSION */
#define HS_PROLOGUE		"p2pd/2"	/* the wire version is bound */
#define HS_TAI64N_LEN		12
#define HS_PEER_ID_MAX		64
#define HS_MAC_LEN		16
#define HS_COOKIE_LEN		16
#define HS_COOKIE_SECRET_LEN	32
#define HS_COOKIE_SECRET_S	120	/* a responder's cookie secret lives */
/* type, version, 0, 0, receiver_index, nonce[24], cookie + tag */
#define HS_COOKIE_REPLY_LEN	(8 + 24 + HS_COOKIE_LEN + 16)
/* 8-byte header, e, encrypted s, encrypted payload (timestamp, id), macs. */
#define HS_INIT_MIN		(8 + 32 + 48 + HS_TAI64N_LEN + 1 + 1 + 16 + \
				    2 * HS_MAC_LEN)
#define HS_INIT_MAX		(HS_INIT_MIN - 1 + HS_PEER_ID_MAX)
#define HS_REKEY_INIT_MAX	(HS_INIT_MAX + 4)	/* + rekey_index */
#define HS_RESP_LEN		(12 + 32 + 16)

struct hs_identity {
	uint8_t	ed_pk[32];
	uint8_t	ed_sk[64];
	uint8_t	x_pk[32];
	uint8_t	x_sk[32];
};

struct hs_result {
	enum aead_cipher	cipher;
	uint8_t			tx[32];
	uint8_t			rx[32];
	uint32_t		local_index;
	uint32_t		remote_index;
	uint8_t			hash[64];	/* Noise handshake hash */
};

struct hs_init_info {
	uint8_t			peer_x_pk[32];	/* initiator's X25519 static */
	uint8_t			timestamp[HS_TAI64N_LEN];
	char			peer_id[HS_PEER_ID_MAX + 1];
	uint32_t		sender_index;
	enum aead_cipher	cipher;
	uint32_t		rekey_index;	/* 0: not a rekey */
};

enum hs_state {
	HS_NONE = 0,
	HS_INIT_SENT,		/* initiator, waiting for HS_RESP */
	HS_INIT_READ,		/* responder, may answer */
	HS_DONE
};

struct hs {
	struct noise_hs		noise;
	enum hs_state		state;
	enum aead_cipher	cipher;
	uint32_t		local_index;
	uint32_t		remote_index;
	uint8_t			sent_mac1[HS_MAC_LEN];	/* initiator */
	int			cookie_open;	/* may take a COOKIE_REPLY */
};

int	hs_identity_from_ed25519(struct hs_identity *, const uint8_t ed_sk[64])
	    __attribute__((warn_unused_result));
void	hs_identity_wipe(struct hs_identity *);
/* X25519 form of an Ed25519 public key; -1 for an invalid key. */
int	hs_x25519_pk(uint8_t x_pk[32], const uint8_t ed_pk[32])
	    __attribute__((warn_unused_result));
/* TAI64N label (PROTOCOL.md §2.3) of a wall-clock time. */
void	hs_tai64n(uint8_t out[HS_TAI64N_LEN], uint64_t now_unix_ns);

int	hs_initiate(struct hs *, const struct hs_identity *self,
	    const uint8_t peer_ed_pk[32], enum aead_cipher, uint32_t local_index,
	    const char *self_peer_id, uint64_t now_unix_ns, uint8_t *out,
	    size_t cap, size_t *outlen) __attribute__((warn_unused_result));
int	hs_initiate_rekey(struct hs *, const struct hs_identity *self,
	    const uint8_t peer_ed_pk[32], enum aead_cipher, uint32_t local_index,
	    const char *self_peer_id, uint32_t rekey_index, uint64_t now_unix_ns,
	    uint8_t *out, size_t cap, size_t *outlen)
	    __attribute__((warn_unused_result));
int	hs_finish(struct hs *, const uint8_t *pkt, size_t len,
	    struct hs_result *) __attribute__((warn_unused_result));

int	hs_read_init(struct hs *, const struct hs_identity *self,
	    const uint8_t *pkt, size_t len, struct hs_init_info *)
	    __attribute__((warn_unused_result));
int	hs_respond(struct hs *, uint32_t local_index, uint8_t *out, size_t cap,
	    size_t *outlen, struct hs_result *)
	    __attribute__((warn_unused_result));

void	hs_wipe(struct hs *);
/* receiver_index of an HS_RESP packet (to find the hs); 0 if too short. */
uint32_t hs_resp_receiver_index(const uint8_t *pkt, size_t len);
/* sender_index of an HS_INIT packet; 0 if too short. */
uint32_t hs_init_sender_index(const uint8_t *pkt, size_t len);

/* hs_mac.c: mac1 and mac2 of an HS_INIT (its last 32 bytes), cookies. */
/* The keys of mac1 and of the COOKIE_REPLY for a static key, to keep. */
void	hs_mac1_key(const uint8_t x_pk[32], uint8_t key[32]);
void	hs_cookie_key(const uint8_t x_pk[32], uint8_t key[32]);
int	hs_mac1_ok_key(const uint8_t *pkt, size_t len, const uint8_t key[32]);
/* hs_cookie_reply_build with a kept key and the caller's unique nonce. */
int	hs_cookie_reply_seal(uint8_t *out, size_t cap, const uint8_t *init,
	    size_t init_len, const uint8_t key[32], const uint8_t nonce[24],
	    const uint8_t cookie[HS_COOKIE_LEN])
	    __attribute__((warn_unused_result));
int	hs_mac1_seal(uint8_t *pkt, size_t len, const uint8_t responder_x_pk[32]);
/* 1 if mac1 was made for self_x_pk, else 0 (and no DH was done). */
int	hs_mac1_ok(const uint8_t *pkt, size_t len, const uint8_t self_x_pk[32]);
void	hs_mac2_seal(uint8_t *pkt, size_t len,
	    const uint8_t cookie[HS_COOKIE_LEN]);
int	hs_mac2_ok(const uint8_t *pkt, size_t len,
	    const uint8_t cookie[HS_COOKIE_LEN]);
/* The cookie of a source address (any bytes) under the current secret. */
void	hs_cookie_make(const uint8_t secret[HS_COOKIE_SECRET_LEN],
	    const uint8_t *addr, size_t addrlen, uint8_t cookie[HS_COOKIE_LEN]);
/* COOKIE_REPLY to the HS_INIT init (HS_COOKIE_REPLY_LEN bytes, or -1). */
int	hs_cookie_reply_build(uint8_t *out, size_t cap, const uint8_t *init,
	    size_t init_len, const uint8_t self_x_pk[32],
	    const uint8_t cookie[HS_COOKIE_LEN])
	    __attribute__((warn_unused_result));
/* The cookie in a COOKIE_REPLY to the HS_INIT we sent: 0, or -1. */
int	hs_cookie_reply_open(const uint8_t *pkt, size_t len, const uint8_t *init,
	    size_t init_len, const uint8_t responder_x_pk[32],
	    uint8_t cookie[HS_COOKIE_LEN]) __attribute__((warn_unused_result));
/* The same, given the HS_INIT's sender_index and mac1 alone. */
int	hs_cookie_reply_open_for(const uint8_t *pkt, size_t len, uint32_t idx,
	    const uint8_t mac1[HS_MAC_LEN], const uint8_t responder_x_pk[32],
	    uint8_t cookie[HS_COOKIE_LEN]) __attribute__((warn_unused_result));

#endif /* P2P_HS_H */
