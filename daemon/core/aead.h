/* SPDX-License-Identifier: ISC */
/*
 * aead.h: AEAD keys with Noise nonces, over libsodium.
 *
 * Two ciphers, numbered as on the wire (PROTOCOL.md §2, b2 of HS_INIT):
 * IETF ChaCha20-Poly1305 everywhere, AES-256-GCM only where the CPU has
 * AES-NI (libsodium has no software AES-GCM; aead_available() says which).
 *
 * The nonce is never chosen by the caller: it is built from a 64-bit counter
 * exactly as the Noise specification does (4 zero bytes, then the counter
 * little-endian for ChaChaPoly, big-endian for AESGCM). The caller must never
 * reuse a counter with one key; chan.c and noise.c take care of that.
 *
 * aead_seal writes ptlen + AEAD_TAG_LEN bytes; aead_open returns -1 when the
 * tag does not verify (pt is then undefined and must not be used). Both
 * accept pt == ct (in place). A struct aead_key holds the expanded key:
 * wipe it with aead_key_wipe() when done. For AES-GCM the struct must be
 * 16-byte aligned (it is when embedded in any struct allocated normally).
 */
#ifndef P2P_AEAD_H
#define P2P_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define AEAD_KEY_LEN	32
#define AEAD_TAG_LEN	16
#define AEAD_NONCE_LEN	12

enum aead_cipher {
	AEAD_CHACHAPOLY = 1,
	AEAD_AESGCM = 2
};

struct aead_key {
	/* First member, so the alignment libsodium asks for holds. */
	union {
		crypto_aead_aes256gcm_state	aes;
		uint8_t				chacha[AEAD_KEY_LEN];
	} u;
	enum aead_cipher	cipher;
	int			set;
};

/* 1 if the cipher is known and runs on this CPU, else 0. */
int	aead_available(enum aead_cipher);
/* "ChaChaPoly" / "AESGCM" (the Noise names), NULL for an unknown id. */
const char *aead_name(enum aead_cipher);

int	aead_key_init(struct aead_key *, enum aead_cipher,
	    const uint8_t key[AEAD_KEY_LEN]) __attribute__((warn_unused_result));
void	aead_key_wipe(struct aead_key *);

/* Build the 12-byte nonce for a counter (exposed for tests). */
void	aead_nonce(enum aead_cipher, uint64_t counter,
	    uint8_t nonce[AEAD_NONCE_LEN]);

int	aead_seal(const struct aead_key *, uint64_t counter, const uint8_t *ad,
	    size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *ct)
	    __attribute__((warn_unused_result));
int	aead_open(const struct aead_key *, uint64_t counter, const uint8_t *ad,
	    size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
	    __attribute__((warn_unused_result));
/*
 * ChaCha20-Poly1305 with a raw 32-byte key, for channels that never use
 * AES-GCM and must stay small (struct aead_key holds an expanded AES state).
 */
int	aead_chacha_seal(const uint8_t key[AEAD_KEY_LEN], uint64_t counter,
	    const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen,
	    uint8_t *ct) __attribute__((warn_unused_result));
int	aead_chacha_open(const uint8_t key[AEAD_KEY_LEN], uint64_t counter,
	    const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen,
	    uint8_t *pt) __attribute__((warn_unused_result));

#endif /* P2P_AEAD_H */
