/* SPDX-License-Identifier: ISC */
/*
 * reghs.h: the registration handshake between an agent and the server
 * (PROTOCOL.md §2.1), as pure functions: no sockets, no clocks.
 *
 *   agent                                   server
 *   REG_HELLO  e.pub, padding to 128 B  ->
 *                                       <-  REG_CHALLENGE cookie, server keys
 *   REG_INIT   key_id, cookie, NK msg 1 ->       (no state, no DH: a MAC)
 *                                       <-  REG_ACCEPT NK msg 2
 *
 * Noise_NK_25519_ChaChaPoly_BLAKE2b, prologue REGHS_PROLOGUE: the agent
 * knows the server's static key (pinned, or from its token). Message 1
 * (tokens e, es) carries the Register, token included, readable only with
 * the server's static private key; message 2 (e, ee) carries Registered or
 * Error and is accepted only if it was made by the holder of that key for
 * this message 1. Its split gives the control channel's keys (chan.h).
 *
 * The cookie keeps the first exchange stateless: a MAC over the client's
 * address and ephemeral key under a secret of the current time bucket, so
 * a flood of spoofed REG_HELLOs costs the server one keyed hash each and
 * no memory; REG_INIT is only worked on (one X25519 to read it) when its
 * cookie proves that its sender received the REG_CHALLENGE at that
 * address.
 *
 * The agent proves its identity key inside message 1 with an Ed25519
 * signature over reghs_sig_msg(): the label, the server key and e.
 *
 * The agent side: reghs_client_start(), reghs_init_write(), then
 * reghs_accept_read() on each REG_ACCEPT until one opens; a forged one
 * leaves the state as it was. The server side: reghs_init_peek() (clear
 * fields, for the cookie check), reghs_init_read(), reghs_accept_write().
 * All return 0 (or a length) or -1; reghs_wipe() erases a state.
 */
#ifndef P2P_REGHS_H
#define P2P_REGHS_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"
#include "wire.h"

#define REGHS_KEY_LEN		32
#define REGHS_COOKIE_LEN	WIRE_COOKIE_LEN
#define REGHS_KEY_ID_LEN	WIRE_KEY_ID_LEN
#define REGHS_PROLOGUE		"p2pd-reg/2"
#define REGHS_NOISE_NAME	"Noise_NK_25519_ChaChaPoly_BLAKE2b"
#define REGHS_SIG_LABEL		"p2pd-register-v2"
#define REGHS_SIG_MSG_LEN	(sizeof(REGHS_SIG_LABEL) - 1 + 64)
/* Cookie secrets change every bucket; the current and previous are good. */
#define REGHS_BUCKET_S		30
/* Bytes a Noise message adds to its payload: e and the tag. */
#define REGHS_MSG_OVERHEAD	(32 + 16)

struct reghs {
	struct noise_hs	hs;
	uint8_t		server_pk[REGHS_KEY_LEN];
	uint8_t		e_pk[REGHS_KEY_LEN];	/* the agent's ephemeral */
};

/* The control channel's keys, from this side's view. */
struct reghs_keys {
	uint8_t		tx[32];
	uint8_t		rx[32];
};

/*
 * Keys as people handle them: standard base64 with padding, 44 characters
 * (as wg(8) prints keys). Parsing ignores nothing: -1 unless exactly that.
 */
#define REGHS_KEY_B64_LEN	44
int	reghs_key_from_b64(const char *s, uint8_t key[REGHS_KEY_LEN])
	    __attribute__((warn_unused_result));
void	reghs_key_to_b64(const uint8_t key[REGHS_KEY_LEN],
	    char out[REGHS_KEY_B64_LEN + 1]);

/* The key id a REG_INIT names: the first 4 bytes of the public key. */
void	reghs_key_id(const uint8_t pk[REGHS_KEY_LEN],
	    uint8_t id[REGHS_KEY_ID_LEN]);
/* What the agent's identity key signs: label || server_pk || e_pk. */
void	reghs_sig_msg(const uint8_t server_pk[REGHS_KEY_LEN],
	    const uint8_t e_pk[REGHS_KEY_LEN], uint8_t out[REGHS_SIG_MSG_LEN]);

/*
 * The cookie secret of a time bucket: keyed BLAKE2b-256 (key: master) of
 * "p2pd-cookie" || bucket u64. The cookie: keyed BLAKE2b-128 (key: that
 * secret) of addr (18 bytes: IPv6 or IPv4-mapped address, port u16) ||
 * e_pk. reghs_addr_bytes() builds addr from its parts.
 */
#define REGHS_ADDR_LEN	18
void	reghs_cookie_secret(const uint8_t master[32], uint64_t bucket,
	    uint8_t out[32]);
void	reghs_cookie(const uint8_t secret[32],
	    const uint8_t addr[REGHS_ADDR_LEN], const uint8_t e_pk[REGHS_KEY_LEN],
	    uint8_t out[REGHS_COOKIE_LEN]);
/* ip: 4 or 16 bytes (network order); port in host order. */
int	reghs_addr_bytes(const uint8_t *ip, size_t iplen, uint16_t port,
	    uint8_t out[REGHS_ADDR_LEN]);

/*
 * Agent: a handshake to server_pk with the ephemeral private key e_sk (the
 * one whose public key went in REG_HELLO); fills st->e_pk.
 */
int	reghs_client_start(struct reghs *st, const uint8_t server_pk[32],
	    const uint8_t e_sk[32]) __attribute__((warn_unused_result));
/* REG_INIT carrying payload; its length, or -1. */
int	reghs_init_write(struct reghs *st, const uint8_t cookie[16],
	    const uint8_t *payload, size_t plen, uint8_t *out, size_t cap)
	    __attribute__((warn_unused_result));
/*
 * Open a REG_ACCEPT: the payload (at most cap bytes) and the channel's keys.
 * st is not changed, so a forged reply does not end the wait for the real
 * one; after a success the caller wipes st.
 */
int	reghs_accept_read(const struct reghs *st, const uint8_t *pkt,
	    size_t len, uint8_t *payload, size_t cap, size_t *plen,
	    struct reghs_keys *keys) __attribute__((warn_unused_result));

/* Server: the clear fields of a REG_INIT (for the key and the cookie). */
int	reghs_init_peek(const uint8_t *pkt, size_t len,
	    uint8_t key_id[REGHS_KEY_ID_LEN], uint8_t cookie[REGHS_COOKIE_LEN],
	    uint8_t e_pk[REGHS_KEY_LEN]) __attribute__((warn_unused_result));
/* Read a REG_INIT with the static private key whose id it names. */
int	reghs_init_read(struct reghs *st, const uint8_t server_sk[32],
	    const uint8_t *pkt, size_t len, uint8_t *payload, size_t cap,
	    size_t *plen) __attribute__((warn_unused_result));
/* REG_ACCEPT carrying payload (e_sk: NULL for a random ephemeral). */
int	reghs_accept_write(struct reghs *st, const uint8_t *e_sk,
	    const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
	    struct reghs_keys *keys) __attribute__((warn_unused_result));

void	reghs_wipe(struct reghs *);

#endif /* P2P_REGHS_H */
