/* SPDX-License-Identifier: ISC */
/*
 * noise_sym.c: the Noise SymmetricState and CipherState (Noise
 * specification revision 34, §5.1-5.2) of a struct noise_hs: HASH, HMAC,
 * HKDF, MixHash, MixKey, MixKeyAndHash, EncryptAndHash, DecryptAndHash.
 * noise.c runs the handshake patterns on top of it.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "noise.h"
#include "noise_sym.h"

/* HASH(a || b). */
void
noise_sym_hash2(enum noise_hash hf, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, uint8_t *out)
{
	crypto_generichash_state g;
	crypto_hash_sha256_state s2;
	crypto_hash_sha512_state s5;

	switch (hf) {
	case NOISE_BLAKE2B:
		crypto_generichash_init(&g, NULL, 0, 64);
		crypto_generichash_update(&g, a, alen);
		crypto_generichash_update(&g, b, blen);
		crypto_generichash_final(&g, out, 64);
		break;
	case NOISE_SHA256:
		crypto_hash_sha256_init(&s2);
		crypto_hash_sha256_update(&s2, a, alen);
		crypto_hash_sha256_update(&s2, b, blen);
		crypto_hash_sha256_final(&s2, out);
		break;
	case NOISE_SHA512:
		crypto_hash_sha512_init(&s5);
		crypto_hash_sha512_update(&s5, a, alen);
		crypto_hash_sha512_update(&s5, b, blen);
		crypto_hash_sha512_final(&s5, out);
		break;
	}
}

/*
 * HMAC-BLAKE2b (RFC 2104 over BLAKE2b, block 128): libsodium has keyed
 * BLAKE2b but not this construction, which is what Noise specifies.
 * Noise keys are at most HASHLEN (64) bytes, below the block size.
 */
static void
noise_sym_hmac_blake2b(const uint8_t *key, size_t klen, const uint8_t *a,
    size_t alen, const uint8_t *b, size_t blen, uint8_t out[64])
{
	crypto_generichash_state g;
	uint8_t pad[128], inner[64];
	size_t i;

	memset(pad, 0, sizeof pad);
	memcpy(pad, key, klen);
	for (i = 0; i < sizeof pad; i++)
		pad[i] ^= 0x36;
	crypto_generichash_init(&g, NULL, 0, 64);
	crypto_generichash_update(&g, pad, sizeof pad);
	crypto_generichash_update(&g, a, alen);
	crypto_generichash_update(&g, b, blen);
	crypto_generichash_final(&g, inner, sizeof inner);
	for (i = 0; i < sizeof pad; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	crypto_generichash_init(&g, NULL, 0, 64);
	crypto_generichash_update(&g, pad, sizeof pad);
	crypto_generichash_update(&g, inner, sizeof inner);
	crypto_generichash_final(&g, out, 64);
	sodium_memzero(pad, sizeof pad);
	sodium_memzero(inner, sizeof inner);
	sodium_memzero(&g, sizeof g);
}

/* HMAC-HASH(key, a || b). */
void
noise_sym_hmac(enum noise_hash hf, const uint8_t *key, size_t klen,
    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t *out)
{
	crypto_auth_hmacsha256_state s2;
	crypto_auth_hmacsha512_state s5;

	switch (hf) {
	case NOISE_BLAKE2B:
		noise_sym_hmac_blake2b(key, klen, a, alen, b, blen, out);
		break;
	case NOISE_SHA256:
		crypto_auth_hmacsha256_init(&s2, key, klen);
		crypto_auth_hmacsha256_update(&s2, a, alen);
		crypto_auth_hmacsha256_update(&s2, b, blen);
		crypto_auth_hmacsha256_final(&s2, out);
		sodium_memzero(&s2, sizeof s2);
		break;
	case NOISE_SHA512:
		crypto_auth_hmacsha512_init(&s5, key, klen);
		crypto_auth_hmacsha512_update(&s5, a, alen);
		crypto_auth_hmacsha512_update(&s5, b, blen);
		crypto_auth_hmacsha512_final(&s5, out);
		sodium_memzero(&s5, sizeof s5);
		break;
	}
}

/* Noise HKDF(ck, ikm) with two or three outputs (o3 may be NULL). */
void
noise_sym_hkdf(struct noise_hs *hs, const uint8_t *ikm, size_t ikmlen,
    uint8_t *o1, uint8_t *o2, uint8_t *o3)
{
	uint8_t tk[NOISE_MAXHASHLEN], one = 1, two = 2, three = 3;
	size_t hl = hs->hashlen;

	noise_sym_hmac(hs->hash, hs->ck, hl, ikm, ikmlen, NULL, 0, tk);
	noise_sym_hmac(hs->hash, tk, hl, &one, 1, NULL, 0, o1);
	noise_sym_hmac(hs->hash, tk, hl, o1, hl, &two, 1, o2);
	if (o3 != NULL)
		noise_sym_hmac(hs->hash, tk, hl, o2, hl, &three, 1, o3);
	sodium_memzero(tk, sizeof tk);
}

void
noise_sym_mix_hash(struct noise_hs *hs, const uint8_t *data, size_t len)
{
	noise_sym_hash2(hs->hash, hs->h, hs->hashlen, data, len, hs->h);
}

int
noise_sym_set_k(struct noise_hs *hs, const uint8_t *tk)
{
	aead_key_wipe(&hs->k);
	hs->has_k = 0;
	if (aead_key_init(&hs->k, hs->cipher, tk) != 0)
		return -1;
	hs->has_k = 1;
	hs->n = 0;
	return 0;
}

int
noise_sym_mix_key(struct noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t ck[NOISE_MAXHASHLEN], tk[NOISE_MAXHASHLEN];
	int rc;

	noise_sym_hkdf(hs, ikm, len, ck, tk, NULL);
	memcpy(hs->ck, ck, hs->hashlen);
	rc = noise_sym_set_k(hs, tk);	/* truncated to 32 bytes */
	sodium_memzero(ck, sizeof ck);
	sodium_memzero(tk, sizeof tk);
	return rc;
}

int
noise_sym_mix_key_and_hash(struct noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t ck[NOISE_MAXHASHLEN], th[NOISE_MAXHASHLEN];
	uint8_t tk[NOISE_MAXHASHLEN];
	int rc;

	noise_sym_hkdf(hs, ikm, len, ck, th, tk);
	memcpy(hs->ck, ck, hs->hashlen);
	noise_sym_mix_hash(hs, th, hs->hashlen);
	rc = noise_sym_set_k(hs, tk);
	sodium_memzero(ck, sizeof ck);
	sodium_memzero(th, sizeof th);
	sodium_memzero(tk, sizeof tk);
	return rc;
}

/* EncryptAndHash into out (len + 16 bytes once a key is set). */
int
noise_sym_encrypt_and_hash(struct noise_hs *hs, const uint8_t *pt, size_t len,
    uint8_t *out)
{
	size_t outlen = len;

	if (hs->has_k) {
		if (hs->n == UINT64_MAX || aead_seal(&hs->k, hs->n, hs->h,
		    hs->hashlen, pt, len, out) != 0)
			return -1;
		hs->n++;
		outlen += AEAD_TAG_LEN;
	} else if (len > 0)
		memmove(out, pt, len);
	noise_sym_mix_hash(hs, out, outlen);
	return 0;
}

/* DecryptAndHash; ct and pt may overlap. */
int
noise_sym_decrypt_and_hash(struct noise_hs *hs, const uint8_t *ct, size_t len,
    uint8_t *pt)
{
	uint8_t nh[NOISE_MAXHASHLEN];

	noise_sym_hash2(hs->hash, hs->h, hs->hashlen, ct, len, nh);
	if (hs->has_k) {
		if (len < AEAD_TAG_LEN || hs->n == UINT64_MAX ||
		    aead_open(&hs->k, hs->n, hs->h, hs->hashlen, ct, len,
		    pt) != 0)
			return -1;
		hs->n++;
	} else if (len > 0)
		memmove(pt, ct, len);
	memcpy(hs->h, nh, hs->hashlen);
	return 0;
}

