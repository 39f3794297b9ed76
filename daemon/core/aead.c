/* SPDX-License-Identifier: ISC */
/*
 * aead.c: ChaCha20-Poly1305 (IETF) and AES-256-GCM with Noise nonces.
 */
#include <string.h>

#include "aead.h"

int
aead_available(enum aead_cipher c)
{
	if (sodium_init() < 0)
		return 0;
	switch (c) {
	case AEAD_CHACHAPOLY:
		return 1;
	case AEAD_AESGCM:
		return crypto_aead_aes256gcm_is_available();
	}
	return 0;
}

const char *
aead_name(enum aead_cipher c)
{
	switch (c) {
	case AEAD_CHACHAPOLY:
		return "ChaChaPoly";
	case AEAD_AESGCM:
		return "AESGCM";
	}
	return NULL;
}

void
aead_nonce(enum aead_cipher c, uint64_t counter, uint8_t nonce[AEAD_NONCE_LEN])
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++) {
		if (c == AEAD_AESGCM)
			nonce[4 + i] = (uint8_t)(counter >> (56 - 8 * i));
		else
			nonce[4 + i] = (uint8_t)(counter >> (8 * i));
	}
}

int
aead_key_init(struct aead_key *k, enum aead_cipher c,
    const uint8_t key[AEAD_KEY_LEN])
{
	memset(k, 0, sizeof *k);
	if (!aead_available(c))
		return -1;
	if (c == AEAD_AESGCM) {
		if (crypto_aead_aes256gcm_beforenm(&k->u.aes, key) != 0)
			return -1;
	} else
		memcpy(k->u.chacha, key, AEAD_KEY_LEN);
	k->cipher = c;
	k->set = 1;
	return 0;
}

void
aead_key_wipe(struct aead_key *k)
{
	sodium_memzero(k, sizeof *k);
}

int
aead_seal(const struct aead_key *k, uint64_t counter, const uint8_t *ad,
    size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *ct)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	unsigned long long clen;
	int rc;

	if (!k->set)
		return -1;
	aead_nonce(k->cipher, counter, nonce);
	if (k->cipher == AEAD_AESGCM)
		rc = crypto_aead_aes256gcm_encrypt_afternm(ct, &clen, pt, ptlen,
		    ad, adlen, NULL, nonce, &k->u.aes);
	else
		return aead_chacha_seal(k->u.chacha, counter, ad, adlen, pt,
		    ptlen, ct);
	return rc == 0 ? 0 : -1;
}

int
aead_chacha_seal(const uint8_t key[AEAD_KEY_LEN], uint64_t counter,
    const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen,
    uint8_t *ct)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	unsigned long long clen;

	aead_nonce(AEAD_CHACHAPOLY, counter, nonce);
	return crypto_aead_chacha20poly1305_ietf_encrypt(ct, &clen, pt, ptlen,
	    ad, adlen, NULL, nonce, key) == 0 ? 0 : -1;
}

int
aead_chacha_open(const uint8_t key[AEAD_KEY_LEN], uint64_t counter,
    const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen,
    uint8_t *pt)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	unsigned long long plen;

	if (ctlen < AEAD_TAG_LEN)
		return -1;
	aead_nonce(AEAD_CHACHAPOLY, counter, nonce);
	return crypto_aead_chacha20poly1305_ietf_decrypt(pt, &plen, NULL, ct,
	    ctlen, ad, adlen, nonce, key) == 0 ? 0 : -1;
}

int
aead_open(const struct aead_key *k, uint64_t counter, const uint8_t *ad,
    size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
	uint8_t nonce[AEAD_NONCE_LEN];
	unsigned long long plen;
	int rc;

	if (!k->set || ctlen < AEAD_TAG_LEN)
		return -1;
	aead_nonce(k->cipher, counter, nonce);
	if (k->cipher == AEAD_AESGCM)
		rc = crypto_aead_aes256gcm_decrypt_afternm(pt, &plen, NULL, ct,
		    ctlen, ad, adlen, nonce, &k->u.aes);
	else
		return aead_chacha_open(k->u.chacha, counter, ad, adlen, ct,
		    ctlen, pt);
	return rc == 0 ? 0 : -1;
}
