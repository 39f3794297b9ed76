/* SPDX-License-Identifier: ISC */
/*
 * noise.h: a Noise HandshakeState (Noise specification revision 34).
 *
 * Patterns IK, XX and NK, and the psk variants IKpsk2 and XXpsk3, over DH
 * 25519, ciphers ChaChaPoly / AESGCM and hashes BLAKE2b / SHA256 / SHA512,
 * all from libsodium. It is checked byte for byte against the cacophony
 * test vectors (tests/unit/test_noise.c).
 *
 * Use: noise_hs_init() (plus noise_hs_set_psk() for psk patterns), then
 * alternate noise_write_message() / noise_read_message() as the pattern
 * says; when noise_hs_done() is true, noise_split() gives the two transport
 * keys (k1 encrypts initiator -> responder, k2 the other way; transport
 * nonces are counters from 0, see aead.h) and the handshake state is wiped.
 *
 * Any failure (bad length, wrong turn, failed tag, invalid DH result) makes
 * the state unusable: every later call fails. Reads never write beyond cap,
 * and a failed read leaves nothing secret in the payload buffer.
 *
 * Ephemeral keys come from libsodium's RNG unless e_sk is given (tests).
 * A struct noise_hs holds secrets: noise_hs_wipe() it if abandoned.
 */
#ifndef P2P_NOISE_H
#define P2P_NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "aead.h"

#define NOISE_DHLEN		32
#define NOISE_KEYLEN		32
#define NOISE_PSKLEN		32
#define NOISE_MAXHASHLEN	64
#define NOISE_MAX_MSG		65535

enum noise_pattern {
	NOISE_IK = 1,
	NOISE_XX = 2,
	NOISE_IKPSK2 = 3,
	NOISE_XXPSK3 = 4,
	NOISE_NK = 5
};

enum noise_hash {
	NOISE_BLAKE2B = 1,
	NOISE_SHA256 = 2,
	NOISE_SHA512 = 3
};

struct noise_hs {
	enum noise_pattern	pattern;
	enum noise_hash		hash;
	enum aead_cipher	cipher;
	size_t			hashlen;
	int			initiator;
	int			msg_index;	/* next message of the pattern */
	int			failed;
	int			has_psk;

	uint8_t			h[NOISE_MAXHASHLEN];
	uint8_t			ck[NOISE_MAXHASHLEN];
	struct aead_key		k;
	int			has_k;
	uint64_t		n;

	uint8_t			s_sk[NOISE_DHLEN], s_pk[NOISE_DHLEN];
	uint8_t			e_sk[NOISE_DHLEN], e_pk[NOISE_DHLEN];
	uint8_t			rs[NOISE_DHLEN], re[NOISE_DHLEN];
	int			has_s, has_e, has_rs, has_re;
	int			fixed_e;
	uint8_t			psk[NOISE_PSKLEN];
};

/*
 * s_sk: our static private key (needed by both sides of IK and XX and by
 * the NK responder; NULL for the NK initiator, which has none).
 * rs_pk: the responder's static public key (IK and NK initiators only; NULL
 * otherwise). e_sk: a fixed ephemeral private key, NULL for a random one.
 */
int	noise_hs_init(struct noise_hs *, enum noise_pattern, enum aead_cipher,
	    enum noise_hash, int initiator, const uint8_t *prologue,
	    size_t prologue_len, const uint8_t *s_sk, const uint8_t *rs_pk,
	    const uint8_t *e_sk) __attribute__((warn_unused_result));
int	noise_hs_set_psk(struct noise_hs *, const uint8_t psk[NOISE_PSKLEN])
	    __attribute__((warn_unused_result));
void	noise_hs_wipe(struct noise_hs *);

/*
 * Parse "Noise_IK_25519_ChaChaPoly_BLAKE2b" and the like; -1 for anything
 * this module does not implement. noise_protocol_name() is the inverse.
 */
int	noise_parse_name(const char *, enum noise_pattern *, enum aead_cipher *,
	    enum noise_hash *);
int	noise_protocol_name(char *, size_t, enum noise_pattern,
	    enum aead_cipher, enum noise_hash);

/* 1 if it is our turn to write, 0 to read (or done / failed). */
int	noise_hs_my_turn(const struct noise_hs *);
int	noise_hs_done(const struct noise_hs *);

int	noise_write_message(struct noise_hs *, const uint8_t *payload,
	    size_t plen, uint8_t *out, size_t cap, size_t *outlen)
	    __attribute__((warn_unused_result));
int	noise_read_message(struct noise_hs *, const uint8_t *msg, size_t len,
	    uint8_t *payload, size_t cap, size_t *plen)
	    __attribute__((warn_unused_result));

/* Transport keys; also wipes the handshake secrets. Only once done. */
int	noise_split(struct noise_hs *, uint8_t k1[NOISE_KEYLEN],
	    uint8_t k2[NOISE_KEYLEN]) __attribute__((warn_unused_result));
/* h (hashlen bytes, at most NOISE_MAXHASHLEN); valid after the handshake. */
int	noise_handshake_hash(const struct noise_hs *, uint8_t *out,
	    size_t *len);
/* The remote static public key once learned (or given), else NULL. */
const uint8_t *noise_remote_static(const struct noise_hs *);

#endif /* P2P_NOISE_H */
