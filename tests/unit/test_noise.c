/* SPDX-License-Identifier: ISC */
/*
 * test_noise.c: the Noise handshake against the cacophony test vectors
 * (tests/unit/vectors/noise-ik-xx.json, noise-nk.json), plus failure cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <sodium.h>

#include "noise.h"

#define MAXBUF 1024

struct side {
	struct noise_hs	hs;
	uint64_t	n;	/* transport counter */
	uint8_t		tx[32];
};

static size_t
hex(const char *s, uint8_t *out, size_t cap)
{
	size_t len = 0;

	cr_assert(sodium_hex2bin(out, cap, s, strlen(s), NULL, &len, NULL)
	    == 0, "bad hex %s", s);
	return len;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
load_vectors_file(const char *file)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	json_object *root, *vec;

	snprintf(path, sizeof path, "%s/tests/unit/vectors/%s",
	    top ? top : ".", file);
	root = json_object_from_file(path);
	cr_assert_not_null(root, "cannot read %s", path);
	cr_assert(json_object_object_get_ex(root, "vectors", &vec));
	json_object_get(vec);
	json_object_put(root);
	return vec;
}

static json_object *
load_vectors(void)
{
	return load_vectors_file("noise-ik-xx.json");
}

static void
init_side(struct noise_hs *hs, json_object *v, const char *who, int initiator,
    enum noise_pattern p, enum aead_cipher c, enum noise_hash h)
{
	uint8_t pro[256], s[32], e[32], rs[32], psk[32];
	char key[64];
	size_t plen;
	const char *rsx, *sx;
	json_object *psks;

	snprintf(key, sizeof key, "%s_prologue", who);
	plen = hex(jstr(v, key), pro, sizeof pro);
	snprintf(key, sizeof key, "%s_static", who);
	sx = jstr(v, key);
	if (sx != NULL)
		hex(sx, s, 32);
	snprintf(key, sizeof key, "%s_ephemeral", who);
	hex(jstr(v, key), e, 32);
	snprintf(key, sizeof key, "%s_remote_static", who);
	rsx = jstr(v, key);
	if (rsx != NULL)
		hex(rsx, rs, 32);
	cr_assert_eq(noise_hs_init(hs, p, c, h, initiator, pro, plen,
	    sx ? s : NULL, rsx ? rs : NULL, e), 0, "init %s",
	    jstr(v, "protocol_name"));
	snprintf(key, sizeof key, "%s_psks", who);
	if (json_object_object_get_ex(v, key, &psks)) {
		hex(json_object_get_string(json_object_array_get_idx(psks, 0)),
		    psk, 32);
		cr_assert_eq(noise_hs_set_psk(hs, psk), 0);
	}
}

/* Runs one vector; returns 1 if run, 0 if skipped. */
static int
run_vector(json_object *v)
{
	const char *name = jstr(v, "protocol_name");
	enum noise_pattern p;
	enum aead_cipher c;
	enum noise_hash h;
	struct side sd[2];
	json_object *msgs, *m;
	uint8_t pl[MAXBUF], ct[MAXBUF], out[MAXBUF], got[MAXBUF];
	uint8_t hash[64], hh[2][64], k[2][32];
	size_t i, nmsgs, pllen, ctlen, outlen, gotlen, hlen, hl[2];
	struct aead_key key;
	int snd, rcv, nhs;

	if (noise_parse_name(name, &p, &c, &h) != 0)
		return 0;	/* IKpsk1: not implemented */
	if (!aead_available(c))
		return 0;
	nhs = (p == NOISE_IK || p == NOISE_IKPSK2 || p == NOISE_NK) ? 2 : 3;
	init_side(&sd[0].hs, v, "init", 1, p, c, h);
	init_side(&sd[1].hs, v, "resp", 0, p, c, h);
	sd[0].n = sd[1].n = 0;
	cr_assert(json_object_object_get_ex(v, "messages", &msgs));
	nmsgs = json_object_array_length(msgs);
	cr_assert_gt(nmsgs, (size_t)nhs);
	for (i = 0; i < nmsgs; i++) {
		m = json_object_array_get_idx(msgs, i);
		pllen = hex(jstr(m, "payload"), pl, sizeof pl);
		ctlen = hex(jstr(m, "ciphertext"), ct, sizeof ct);
		snd = i % 2;
		rcv = !snd;
		if (i < (size_t)nhs) {
			cr_assert_eq(noise_hs_my_turn(&sd[snd].hs), 1);
			cr_assert_eq(noise_write_message(&sd[snd].hs, pl, pllen,
			    out, sizeof out, &outlen), 0, "%s msg %zu", name, i);
			cr_assert_eq(outlen, ctlen, "%s msg %zu len", name, i);
			cr_assert(memcmp(out, ct, ctlen) == 0,
			    "%s msg %zu differs", name, i);
			cr_assert_eq(noise_read_message(&sd[rcv].hs, ct, ctlen,
			    got, sizeof got, &gotlen), 0, "%s read %zu", name, i);
			cr_assert_eq(gotlen, pllen);
			cr_assert(memcmp(got, pl, pllen) == 0);
			if (i + 1 == (size_t)nhs) {
				cr_assert(noise_hs_done(&sd[0].hs));
				cr_assert(noise_hs_done(&sd[1].hs));
				cr_assert_eq(noise_handshake_hash(&sd[0].hs,
				    hh[0], &hl[0]), 0);
				cr_assert_eq(noise_handshake_hash(&sd[1].hs,
				    hh[1], &hl[1]), 0);
				hlen = hex(jstr(v, "handshake_hash"), hash,
				    sizeof hash);
				cr_assert_eq(hl[0], hlen);
				cr_assert(memcmp(hh[0], hash, hlen) == 0,
				    "%s handshake hash", name);
				cr_assert(memcmp(hh[1], hash, hlen) == 0);
				cr_assert_eq(noise_split(&sd[0].hs, k[0], k[1]),
				    0);
				memcpy(sd[0].tx, k[0], 32);
				cr_assert_eq(noise_split(&sd[1].hs, k[0], k[1]),
				    0);
				memcpy(sd[1].tx, k[1], 32);
			}
			continue;
		}
		/* Transport: sender's key, its own counter, empty AD. */
		cr_assert_eq(aead_key_init(&key, c, sd[snd].tx), 0);
		cr_assert_eq(aead_seal(&key, sd[snd].n, NULL, 0, pl, pllen, out),
		    0);
		cr_assert_eq(pllen + AEAD_TAG_LEN, ctlen);
		cr_assert(memcmp(out, ct, ctlen) == 0, "%s transport %zu",
		    name, i);
		cr_assert_eq(aead_open(&key, sd[snd].n, NULL, 0, ct, ctlen, got),
		    0);
		cr_assert(memcmp(got, pl, pllen) == 0);
		aead_key_wipe(&key);
		sd[snd].n++;
	}
	return 1;
}

Test(noise, cacophony_vectors)
{
	json_object *vec = load_vectors();
	size_t i, n = json_object_array_length(vec), ran = 0, ik = 0, xx = 0;
	const char *name;

	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(vec, i);
		name = jstr(v, "protocol_name");
		if (run_vector(v)) {
			ran++;
			if (strncmp(name, "Noise_IK_", 9) == 0)
				ik++;
			if (strncmp(name, "Noise_XX_", 9) == 0)
				xx++;
		}
	}
	/* Every plain IK and XX vector ran (AESGCM ones need AES-NI). */
	cr_assert_eq(ik, aead_available(AEAD_AESGCM) ? 6u : 3u);
	cr_assert_eq(xx, aead_available(AEAD_AESGCM) ? 6u : 3u);
	cr_log_info("%zu of %zu vectors run", ran, n);
	json_object_put(vec);
}

/* NK (the registration handshake, PROTOCOL.md §2.1): every vector runs. */
Test(noise, cacophony_nk_vectors)
{
	json_object *vec = load_vectors_file("noise-nk.json");
	size_t i, n = json_object_array_length(vec), ran = 0;

	for (i = 0; i < n; i++)
		ran += (size_t)run_vector(json_object_array_get_idx(vec, i));
	cr_assert_eq(ran, aead_available(AEAD_AESGCM) ? 6u : 3u);
	json_object_put(vec);
}

/* The NK initiator has no static key; the responder must have one. */
Test(noise, nk_static_keys)
{
	struct noise_hs hs;
	uint8_t k[32];

	memset(k, 7, sizeof k);
	cr_assert_eq(noise_hs_init(&hs, NOISE_NK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 1, NULL, 0, NULL, k, NULL), 0);
	cr_assert_eq(noise_hs_init(&hs, NOISE_NK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 1, NULL, 0, k, k, NULL), -1);
	cr_assert_eq(noise_hs_init(&hs, NOISE_NK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 0, NULL, 0, NULL, NULL, NULL), -1);
	cr_assert_eq(noise_hs_init(&hs, NOISE_NK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 0, NULL, 0, k, NULL, NULL), 0);
	/* IK still needs the initiator's static key. */
	cr_assert_eq(noise_hs_init(&hs, NOISE_IK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 1, NULL, 0, NULL, k, NULL), -1);
}

/* An IK pair with random keys; returns message 1 in m1. */
static void
ik_pair(struct noise_hs *ini, struct noise_hs *rsp, uint8_t *rsk,
    uint8_t *m1, size_t *m1len)
{
	uint8_t isk[32], rpk[32];

	randombytes_buf(isk, 32);
	randombytes_buf(rsk, 32);
	crypto_scalarmult_base(rpk, rsk);
	cr_assert_eq(noise_hs_init(ini, NOISE_IK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 1, (const uint8_t *)"pro", 3, isk, rpk, NULL), 0);
	cr_assert_eq(noise_hs_init(rsp, NOISE_IK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 0, (const uint8_t *)"pro", 3, rsk, NULL, NULL), 0);
	cr_assert_eq(noise_write_message(ini, (const uint8_t *)"hello", 5, m1,
	    MAXBUF, m1len), 0);
	cr_assert_eq(*m1len, 32 + 48 + 5 + 16);
}

Test(noise, ik_roundtrip_random_keys)
{
	struct noise_hs a, b;
	uint8_t rsk[32], m1[MAXBUF], m2[MAXBUF], p[MAXBUF];
	uint8_t a1[32], a2[32], b1[32], b2[32], ha[64], hb[64];
	size_t m1len, m2len, plen, hla, hlb;

	ik_pair(&a, &b, rsk, m1, &m1len);
	cr_assert_eq(noise_read_message(&b, m1, m1len, p, sizeof p, &plen), 0);
	cr_assert_eq(plen, 5);
	cr_assert(memcmp(p, "hello", 5) == 0);
	cr_assert(memcmp(noise_remote_static(&b), a.s_pk, 32) == 0);
	cr_assert_eq(noise_write_message(&b, NULL, 0, m2, sizeof m2, &m2len), 0);
	cr_assert_eq(noise_read_message(&a, m2, m2len, p, sizeof p, &plen), 0);
	cr_assert_eq(plen, 0);
	cr_assert_eq(noise_split(&a, a1, a2), 0);
	cr_assert_eq(noise_split(&b, b1, b2), 0);
	cr_assert(memcmp(a1, b1, 32) == 0 && memcmp(a2, b2, 32) == 0);
	cr_assert(memcmp(a1, a2, 32) != 0);
	cr_assert_eq(noise_handshake_hash(&a, ha, &hla), 0);
	cr_assert_eq(noise_handshake_hash(&b, hb, &hlb), 0);
	cr_assert(hla == 64 && memcmp(ha, hb, 64) == 0);
	/* Handshake over: no more messages, no second split. */
	cr_assert_neq(noise_write_message(&a, NULL, 0, m2, sizeof m2, &m2len),
	    0);
}

Test(noise, tampered_message_fails_at_every_byte)
{
	struct noise_hs a, b;
	uint8_t rsk[32], m1[MAXBUF], p[MAXBUF];
	size_t m1len, plen, i;
	struct noise_hs b0;

	ik_pair(&a, &b, rsk, m1, &m1len);
	b0 = b;
	for (i = 0; i < m1len; i++) {
		b = b0;
		m1[i] ^= 0x40;
		cr_assert_neq(noise_read_message(&b, m1, m1len, p, sizeof p,
		    &plen), 0, "flip at %zu accepted", i);
		m1[i] ^= 0x40;
		/* A failed state stays failed. */
		cr_assert_neq(noise_read_message(&b, m1, m1len, p, sizeof p,
		    &plen), 0);
	}
	b = b0;
	cr_assert_eq(noise_read_message(&b, m1, m1len, p, sizeof p, &plen), 0);
}

Test(noise, truncated_and_extended_messages_fail)
{
	struct noise_hs a, b, b0;
	uint8_t rsk[32], m1[MAXBUF], p[MAXBUF];
	size_t m1len, plen, i;

	ik_pair(&a, &b, rsk, m1, &m1len);
	b0 = b;
	for (i = 0; i < m1len; i++) {
		b = b0;
		cr_assert_neq(noise_read_message(&b, m1, i, p, sizeof p, &plen),
		    0, "truncated to %zu accepted", i);
	}
	b = b0;
	m1[m1len] = 0;
	cr_assert_neq(noise_read_message(&b, m1, m1len + 1, p, sizeof p,
	    &plen), 0);
	/* Payload buffer too small. */
	b = b0;
	cr_assert_neq(noise_read_message(&b, m1, m1len, p, 4, &plen), 0);
}

Test(noise, wrong_remote_static_fails)
{
	struct noise_hs a, b;
	uint8_t isk[32], rsk[32], other[32], opk[32], m1[MAXBUF], p[MAXBUF];
	size_t m1len, plen;

	randombytes_buf(isk, 32);
	randombytes_buf(rsk, 32);
	randombytes_buf(other, 32);
	crypto_scalarmult_base(opk, other);
	/* Initiator believes the responder's key is opk. */
	cr_assert_eq(noise_hs_init(&a, NOISE_IK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 1, NULL, 0, isk, opk, NULL), 0);
	cr_assert_eq(noise_hs_init(&b, NOISE_IK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 0, NULL, 0, rsk, NULL, NULL), 0);
	cr_assert_eq(noise_write_message(&a, NULL, 0, m1, sizeof m1, &m1len),
	    0);
	cr_assert_neq(noise_read_message(&b, m1, m1len, p, sizeof p, &plen),
	    0);
	cr_assert_null(noise_remote_static(&b));
}

Test(noise, bad_arguments)
{
	struct noise_hs a;
	uint8_t k[32] = { 1 }, out[16];
	size_t olen;

	/* IK initiator needs rs; a responder must not have one. */
	cr_assert_neq(noise_hs_init(&a, NOISE_IK, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 1, NULL, 0, k, NULL, NULL), 0);
	cr_assert_neq(noise_hs_init(&a, NOISE_XX, AEAD_CHACHAPOLY,
	    NOISE_BLAKE2B, 0, NULL, 0, k, k, NULL), 0);
	cr_assert_neq(noise_hs_init(&a, 9, AEAD_CHACHAPOLY, NOISE_BLAKE2B, 1,
	    NULL, 0, k, NULL, NULL), 0);
	cr_assert_neq(noise_hs_init(&a, NOISE_XX, 7, NOISE_BLAKE2B, 1, NULL, 0,
	    k, NULL, NULL), 0);
	/* Output buffer too small: error, not overflow. */
	cr_assert_eq(noise_hs_init(&a, NOISE_XX, AEAD_CHACHAPOLY, NOISE_SHA256,
	    1, NULL, 0, k, NULL, NULL), 0);
	cr_assert_eq(noise_hs_my_turn(&a), 1);
	cr_assert_neq(noise_write_message(&a, NULL, 0, out, sizeof out, &olen),
	    0);
	/* psk on a non-psk pattern; psk pattern without a psk. */
	cr_assert_eq(noise_hs_init(&a, NOISE_XX, AEAD_CHACHAPOLY, NOISE_SHA256,
	    1, NULL, 0, k, NULL, NULL), 0);
	cr_assert_neq(noise_hs_set_psk(&a, k), 0);
	cr_assert_eq(noise_hs_init(&a, NOISE_IKPSK2, AEAD_CHACHAPOLY,
	    NOISE_SHA256, 0, NULL, 0, k, NULL, NULL), 0);
	cr_assert_neq(noise_hs_my_turn(&a), 1);
}

Test(noise, names)
{
	enum noise_pattern p;
	enum aead_cipher c;
	enum noise_hash h;
	char buf[64];

	cr_assert_eq(noise_parse_name("Noise_IK_25519_AESGCM_BLAKE2b", &p, &c,
	    &h), 0);
	cr_assert(p == NOISE_IK && c == AEAD_AESGCM && h == NOISE_BLAKE2B);
	cr_assert_neq(noise_parse_name("Noise_IKpsk1_25519_AESGCM_SHA256", &p,
	    &c, &h), 0);
	cr_assert_neq(noise_parse_name("Noise_IK_448_AESGCM_SHA256", &p, &c,
	    &h), 0);
	cr_assert_eq(noise_protocol_name(buf, sizeof buf, NOISE_XXPSK3,
	    AEAD_CHACHAPOLY, NOISE_SHA512), 0);
	cr_assert_str_eq(buf, "Noise_XXpsk3_25519_ChaChaPoly_SHA512");
	cr_assert_neq(noise_protocol_name(buf, 8, NOISE_XX, AEAD_CHACHAPOLY,
	    NOISE_SHA512), 0);
}
