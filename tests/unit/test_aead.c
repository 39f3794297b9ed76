/* SPDX-License-Identifier: ISC */
/*
 * test_aead.c: the AEAD wrapper: nonce layout, round trips, tamper, and
 * agreement with libsodium's own calls for the Noise nonce.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "aead.h"

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

Test(aead, nonce_layout)
{
	uint8_t n[AEAD_NONCE_LEN];
	const uint8_t le[12] = { 0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1 };
	const uint8_t be[12] = { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };

	aead_nonce(AEAD_CHACHAPOLY, 0x0102030405060708ULL, n);
	cr_assert(memcmp(n, le, 12) == 0);
	aead_nonce(AEAD_AESGCM, 0x0102030405060708ULL, n);
	cr_assert(memcmp(n, be, 12) == 0);
}

Test(aead, chachapoly_matches_libsodium)
{
	struct aead_key k;
	uint8_t ct[64], ref[64], n[12] = { 0 };
	unsigned long long rl;

	cr_assert_eq(aead_key_init(&k, AEAD_CHACHAPOLY, key), 0);
	cr_assert_eq(aead_seal(&k, 5, (const uint8_t *)"ad", 2,
	    (const uint8_t *)"payload", 7, ct), 0);
	n[4] = 5;	/* little-endian counter */
	crypto_aead_chacha20poly1305_ietf_encrypt(ref, &rl,
	    (const uint8_t *)"payload", 7, (const uint8_t *)"ad", 2, NULL, n,
	    key);
	cr_assert_eq(rl, 7 + AEAD_TAG_LEN);
	cr_assert(memcmp(ct, ref, rl) == 0);
	aead_key_wipe(&k);
	cr_assert_neq(aead_seal(&k, 0, NULL, 0, ct, 1, ct), 0,
	    "a wiped key must not encrypt");
}

static void
roundtrip(enum aead_cipher c)
{
	struct aead_key k;
	uint8_t pt[300], ct[300 + AEAD_TAG_LEN], out[300];
	size_t i;

	randombytes_buf(pt, sizeof pt);
	cr_assert_eq(aead_key_init(&k, c, key), 0);
	cr_assert_eq(aead_seal(&k, 42, pt, 16, pt, sizeof pt, ct), 0);
	cr_assert(memcmp(ct, pt, 32) != 0);
	cr_assert_eq(aead_open(&k, 42, pt, 16, ct, sizeof ct, out), 0);
	cr_assert(memcmp(out, pt, sizeof pt) == 0);
	/* Wrong counter, wrong AD, every flipped byte: all refused. */
	cr_assert_neq(aead_open(&k, 43, pt, 16, ct, sizeof ct, out), 0);
	cr_assert_neq(aead_open(&k, 42, pt, 15, ct, sizeof ct, out), 0);
	for (i = 0; i < sizeof ct; i += 7) {
		ct[i] ^= 1;
		cr_assert_neq(aead_open(&k, 42, pt, 16, ct, sizeof ct, out), 0);
		ct[i] ^= 1;
	}
	/* Truncated: shorter than a tag, or missing bytes. */
	cr_assert_neq(aead_open(&k, 42, pt, 16, ct, AEAD_TAG_LEN - 1, out), 0);
	cr_assert_neq(aead_open(&k, 42, pt, 16, ct, sizeof ct - 1, out), 0);
	/* Empty plaintext still authenticates. */
	cr_assert_eq(aead_seal(&k, 0, NULL, 0, NULL, 0, ct), 0);
	cr_assert_eq(aead_open(&k, 0, NULL, 0, ct, AEAD_TAG_LEN, out), 0);
	/* In place. */
	memcpy(out, pt, sizeof pt);
	memcpy(ct, pt, sizeof pt);
	cr_assert_eq(aead_seal(&k, 1, NULL, 0, ct, sizeof pt, ct), 0);
	cr_assert_eq(aead_open(&k, 1, NULL, 0, ct, sizeof ct, ct), 0);
	cr_assert(memcmp(ct, out, sizeof pt) == 0);
	aead_key_wipe(&k);
}

Test(aead, chachapoly_roundtrip)
{
	roundtrip(AEAD_CHACHAPOLY);
}

Test(aead, aesgcm_roundtrip)
{
	if (!aead_available(AEAD_AESGCM))
		cr_skip_test("no AES-NI on this CPU");
	roundtrip(AEAD_AESGCM);
}

Test(aead, ciphers_differ_and_unknown_refused)
{
	struct aead_key a, b;
	uint8_t ca[20], cb[20];

	cr_assert_eq(aead_available(AEAD_CHACHAPOLY), 1);
	cr_assert_eq(aead_available(0), 0);
	cr_assert_eq(aead_available(3), 0);
	cr_assert_neq(aead_key_init(&a, 3, key), 0);
	cr_assert_null(aead_name(3));
	cr_assert_str_eq(aead_name(AEAD_AESGCM), "AESGCM");
	if (!aead_available(AEAD_AESGCM))
		return;
	cr_assert_eq(aead_key_init(&a, AEAD_CHACHAPOLY, key), 0);
	cr_assert_eq(aead_key_init(&b, AEAD_AESGCM, key), 0);
	cr_assert_eq(aead_seal(&a, 0, NULL, 0, (const uint8_t *)"x", 1, ca), 0);
	cr_assert_eq(aead_seal(&b, 0, NULL, 0, (const uint8_t *)"x", 1, cb), 0);
	cr_assert(memcmp(ca, cb, 17) != 0);
	cr_assert_neq(aead_open(&b, 0, NULL, 0, ca, 17, cb), 0);
}
