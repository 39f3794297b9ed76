/* SPDX-License-Identifier: ISC */
/*
 * noise_sym.h: the SymmetricState operations of noise.c's handshakes
 * (noise_sym.c). Internal to the Noise code: callers use noise.h.
 */
#ifndef P2P_NOISE_SYM_H
#define P2P_NOISE_SYM_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"

/* HASH(a || b) into out (the hash's length). */
void	noise_sym_hash2(enum noise_hash, const uint8_t *a, size_t alen,
	    const uint8_t *b, size_t blen, uint8_t *out);
/* HMAC-HASH(key, a || b). */
void	noise_sym_hmac(enum noise_hash, const uint8_t *key, size_t klen,
	    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	    uint8_t *out);
/* HKDF(ck, ikm) with two or three outputs (o3 may be NULL). */
void	noise_sym_hkdf(struct noise_hs *, const uint8_t *ikm, size_t ikmlen,
	    uint8_t *o1, uint8_t *o2, uint8_t *o3);
void	noise_sym_mix_hash(struct noise_hs *, const uint8_t *, size_t);
/* The cipher key from tk (its first 32 bytes), nonce 0: 0, or -1. */
int	noise_sym_set_k(struct noise_hs *, const uint8_t *tk);
int	noise_sym_mix_key(struct noise_hs *, const uint8_t *ikm, size_t);
int	noise_sym_mix_key_and_hash(struct noise_hs *, const uint8_t *ikm,
	    size_t);
/* EncryptAndHash into out (len + 16 bytes once a key is set). */
int	noise_sym_encrypt_and_hash(struct noise_hs *, const uint8_t *pt,
	    size_t len, uint8_t *out);
/* DecryptAndHash; ct and pt may overlap. */
int	noise_sym_decrypt_and_hash(struct noise_hs *, const uint8_t *ct,
	    size_t len, uint8_t *pt);

#endif
