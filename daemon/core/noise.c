/* SPDX-License-Identifier: ISC */
/*
 * noise.c: Noise HandshakeState for IK, XX, NK, IKpsk2 and XXpsk3
 * (Noise specification revision 34, §5 and §9), on libsodium.
 *
 * The patterns are token tables, interpreted by one writer and one reader,
 * as the specification describes them, so every pattern shares the code
 * that the test vectors check.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "noise.h"
#include "noise_sym.h"

enum tok { T_END = 0, T_E, T_S, T_EE, T_ES, T_SE, T_SS, T_PSK };

#define MAXMSGS 3
#define MAXTOKS 6

struct pattern {
	enum noise_pattern	 id;
	const char		*name;
	int			 nmsgs;
	int			 psk;
	int			 pre_rs;	/* responder's s is pre-known */
	enum tok		 msgs[MAXMSGS][MAXTOKS];
};

static const struct pattern patterns[] = {
	{ NOISE_IK, "IK", 2, 0, 1, {
	    { T_E, T_ES, T_S, T_SS },
	    { T_E, T_EE, T_SE } } },
	{ NOISE_XX, "XX", 3, 0, 0, {
	    { T_E },
	    { T_E, T_EE, T_S, T_ES },
	    { T_S, T_SE } } },
	{ NOISE_NK, "NK", 2, 0, 1, {
	    { T_E, T_ES },
	    { T_E, T_EE } } },
	{ NOISE_IKPSK2, "IKpsk2", 2, 1, 1, {
	    { T_E, T_ES, T_S, T_SS },
	    { T_E, T_EE, T_SE, T_PSK } } },
	{ NOISE_XXPSK3, "XXpsk3", 3, 1, 0, {
	    { T_E },
	    { T_E, T_EE, T_S, T_ES },
	    { T_S, T_SE, T_PSK } } },
};

static const char *hash_names[] = { NULL, "BLAKE2b", "SHA256", "SHA512" };

static const struct pattern *
noise_pattern_get(enum noise_pattern id)
{
	size_t i;

	for (i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
		if (patterns[i].id == id)
			return &patterns[i];
	return NULL;
}

static int
noise_dh(uint8_t out[NOISE_DHLEN], const uint8_t sk[NOISE_DHLEN],
    const uint8_t pk[NOISE_DHLEN])
{
	/* crypto_scalarmult refuses low-order points (all-zero output). */
	return crypto_scalarmult(out, sk, pk) == 0 ? 0 : -1;
}

static int
noise_mix_dh(struct noise_hs *hs, enum tok t)
{
	const uint8_t *sk, *pk;
	uint8_t shared[NOISE_DHLEN];
	int local_e, remote_e, rc;

	switch (t) {
	case T_EE:
		local_e = remote_e = 1;
		break;
	case T_SS:
		local_e = remote_e = 0;
		break;
	case T_ES:	/* initiator's e with responder's s */
		local_e = hs->initiator;
		remote_e = !hs->initiator;
		break;
	case T_SE:
	default:
		local_e = !hs->initiator;
		remote_e = hs->initiator;
		break;
	}
	if ((local_e ? !hs->has_e : !hs->has_s) ||
	    (remote_e ? !hs->has_re : !hs->has_rs))
		return -1;
	sk = local_e ? hs->e_sk : hs->s_sk;
	pk = remote_e ? hs->re : hs->rs;
	rc = noise_dh(shared, sk, pk);
	if (rc == 0)
		rc = noise_sym_mix_key(hs, shared, sizeof shared);
	sodium_memzero(shared, sizeof shared);
	return rc;
}

int
noise_parse_name(const char *name, enum noise_pattern *p, enum aead_cipher *c,
    enum noise_hash *h)
{
	char buf[128];
	size_t i;
	int pi, ci, hi;

	for (pi = 0; pi < (int)(sizeof patterns / sizeof patterns[0]); pi++)
		for (ci = AEAD_CHACHAPOLY; ci <= AEAD_AESGCM; ci++)
			for (hi = NOISE_BLAKE2B; hi <= NOISE_SHA512; hi++) {
				i = (size_t)snprintf(buf, sizeof buf,
				    "Noise_%s_25519_%s_%s", patterns[pi].name,
				    aead_name(ci), hash_names[hi]);
				if (i < sizeof buf && strcmp(buf, name) == 0) {
					*p = patterns[pi].id;
					*c = ci;
					*h = hi;
					return 0;
				}
			}
	return -1;
}

int
noise_protocol_name(char *buf, size_t len, enum noise_pattern p,
    enum aead_cipher c, enum noise_hash h)
{
	const struct pattern *pat = noise_pattern_get(p);
	int n;

	if (pat == NULL || aead_name(c) == NULL || h < NOISE_BLAKE2B ||
	    h > NOISE_SHA512)
		return -1;
	n = snprintf(buf, len, "Noise_%s_25519_%s_%s", pat->name,
	    aead_name(c), hash_names[h]);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int
noise_fail(struct noise_hs *hs)
{
	noise_hs_wipe(hs);
	hs->failed = 1;
	return -1;
}

int
noise_hs_init(struct noise_hs *hs, enum noise_pattern p, enum aead_cipher c,
    enum noise_hash hf, int initiator, const uint8_t *prologue, size_t plen,
    const uint8_t *s_sk, const uint8_t *rs_pk, const uint8_t *e_sk)
{
	const struct pattern *pat = noise_pattern_get(p);
	char name[64];

	memset(hs, 0, sizeof *hs);
	hs->failed = 1;
	if (sodium_init() < 0 || pat == NULL || !aead_available(c) ||
	    noise_protocol_name(name, sizeof name, p, c, hf) != 0 ||
	    (prologue == NULL && plen > 0))
		return -1;
	/* Only the IK and NK initiators know the remote static in advance;
	 * everyone has a static key but the NK initiator. */
	if ((pat->pre_rs && initiator) != (rs_pk != NULL) ||
	    (s_sk == NULL) != (p == NOISE_NK && initiator))
		return -1;
	hs->pattern = p;
	hs->cipher = c;
	hs->hash = hf;
	hs->hashlen = hf == NOISE_SHA256 ? 32 : 64;
	hs->initiator = initiator != 0;

	if (s_sk != NULL) {
		memcpy(hs->s_sk, s_sk, NOISE_DHLEN);
		crypto_scalarmult_base(hs->s_pk, hs->s_sk);
		hs->has_s = 1;
	}
	if (rs_pk != NULL) {
		memcpy(hs->rs, rs_pk, NOISE_DHLEN);
		hs->has_rs = 1;
	}
	if (e_sk != NULL) {
		memcpy(hs->e_sk, e_sk, NOISE_DHLEN);
		hs->fixed_e = 1;
	}

	/* InitializeSymmetric, prologue, pre-messages. */
	memset(hs->h, 0, sizeof hs->h);
	if (strlen(name) <= hs->hashlen)
		memcpy(hs->h, name, strlen(name));
	else
		noise_sym_hash2(hf, (const uint8_t *)name, strlen(name), NULL, 0,
		    hs->h);
	memcpy(hs->ck, hs->h, hs->hashlen);
	noise_sym_mix_hash(hs, prologue, plen);
	if (pat->pre_rs)
		noise_sym_mix_hash(hs, initiator ? hs->rs : hs->s_pk, NOISE_DHLEN);
	hs->failed = 0;
	return 0;
}

int
noise_hs_set_psk(struct noise_hs *hs, const uint8_t psk[NOISE_PSKLEN])
{
	const struct pattern *pat = noise_pattern_get(hs->pattern);

	if (hs->failed || pat == NULL || !pat->psk || hs->msg_index != 0)
		return -1;
	memcpy(hs->psk, psk, NOISE_PSKLEN);
	hs->has_psk = 1;
	return 0;
}

void
noise_hs_wipe(struct noise_hs *hs)
{
	aead_key_wipe(&hs->k);
	sodium_memzero(hs, sizeof *hs);
}

int
noise_hs_done(const struct noise_hs *hs)
{
	const struct pattern *pat = noise_pattern_get(hs->pattern);

	return !hs->failed && pat != NULL && hs->msg_index == pat->nmsgs;
}

/* The tokens that writing and reading a message process alike. */
static int
noise_mix_token(struct noise_hs *hs, enum tok t)
{
	if (t != T_PSK)
		return noise_mix_dh(hs, t);
	if (!hs->has_psk)
		return -1;
	return noise_sym_mix_key_and_hash(hs, hs->psk, NOISE_PSKLEN);
}

/* The tokens of the message due: at most MAXTOKS, or up to T_END. */
static size_t
noise_msg_tokens(const struct noise_hs *hs, const struct pattern *pat,
    const enum tok **toks)
{
	size_t n = 0;

	*toks = pat->msgs[hs->msg_index];
	while (n < MAXTOKS && (*toks)[n] != T_END)
		n++;
	return n;
}

int
noise_hs_my_turn(const struct noise_hs *hs)
{
	if (hs->failed || noise_hs_done(hs) || hs->pattern == 0)
		return 0;
	return (hs->msg_index % 2 == 0) == hs->initiator;
}

static int
noise_write_token(struct noise_hs *hs, const struct pattern *pat, enum tok t,
    struct wr *w)
{
	uint8_t *q;

	switch (t) {
	case T_E:
		if (hs->fixed_e)
			crypto_scalarmult_base(hs->e_pk, hs->e_sk);
		else
			crypto_box_keypair(hs->e_pk, hs->e_sk);
		hs->has_e = 1;
		wr_bytes(w, hs->e_pk, NOISE_DHLEN);
		noise_sym_mix_hash(hs, hs->e_pk, NOISE_DHLEN);
		if (pat->psk && noise_sym_mix_key(hs, hs->e_pk, NOISE_DHLEN) != 0)
			return -1;
		return w->err ? -1 : 0;
	case T_S:
		q = wr_reserve(w, NOISE_DHLEN + (hs->has_k ? AEAD_TAG_LEN : 0));
		if (q == NULL || !hs->has_s)
			return -1;
		return noise_sym_encrypt_and_hash(hs, hs->s_pk, NOISE_DHLEN, q);
	default:
		return noise_mix_token(hs, t);
	}
}

int
noise_write_message(struct noise_hs *hs, const uint8_t *payload, size_t plen,
    uint8_t *out, size_t cap, size_t *outlen)
{
	const struct pattern *pat = noise_pattern_get(hs->pattern);
	const enum tok *t;
	struct wr w;
	uint8_t *q;
	size_t i, n;

	if (!noise_hs_my_turn(hs) || (payload == NULL && plen > 0))
		return noise_fail(hs);
	if (cap > NOISE_MAX_MSG)
		cap = NOISE_MAX_MSG;
	wr_init(&w, out, cap);
	n = noise_msg_tokens(hs, pat, &t);
	for (i = 0; i < n; i++)
		if (noise_write_token(hs, pat, t[i], &w) != 0)
			return noise_fail(hs);
	q = wr_reserve(&w, plen + (hs->has_k ? AEAD_TAG_LEN : 0));
	if (q == NULL || noise_sym_encrypt_and_hash(hs, payload, plen, q) != 0)
		return noise_fail(hs);
	hs->msg_index++;
	*outlen = w.off;
	return 0;
}

static int
noise_read_token(struct noise_hs *hs, const struct pattern *pat, enum tok t,
    struct rd *r)
{
	const uint8_t *q;
	size_t n;

	switch (t) {
	case T_E:
		if (rd_copy(r, hs->re, NOISE_DHLEN) != 0)
			return -1;
		hs->has_re = 1;
		noise_sym_mix_hash(hs, hs->re, NOISE_DHLEN);
		if (pat->psk && noise_sym_mix_key(hs, hs->re, NOISE_DHLEN) != 0)
			return -1;
		return 0;
	case T_S:
		n = NOISE_DHLEN + (hs->has_k ? AEAD_TAG_LEN : 0);
		if (hs->has_rs || (q = rd_bytes(r, n)) == NULL)
			return -1;
		if (noise_sym_decrypt_and_hash(hs, q, n, hs->rs) != 0)
			return -1;
		hs->has_rs = 1;
		return 0;
	default:
		return noise_mix_token(hs, t);
	}
}

int
noise_read_message(struct noise_hs *hs, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t cap, size_t *plen)
{
	const struct pattern *pat = noise_pattern_get(hs->pattern);
	const enum tok *t;
	size_t ctlen, ptlen, i, n;
	struct rd r;

	if (hs->failed || noise_hs_done(hs) || noise_hs_my_turn(hs) ||
	    len > NOISE_MAX_MSG)
		return noise_fail(hs);
	rd_init(&r, msg, len);
	n = noise_msg_tokens(hs, pat, &t);
	for (i = 0; i < n; i++)
		if (noise_read_token(hs, pat, t[i], &r) != 0)
			return noise_fail(hs);
	ctlen = rd_left(&r);
	if (r.err || (hs->has_k && ctlen < AEAD_TAG_LEN))
		return noise_fail(hs);
	ptlen = ctlen - (hs->has_k ? AEAD_TAG_LEN : 0);
	if (ptlen > cap || (payload == NULL && ptlen > 0))
		return noise_fail(hs);
	if (noise_sym_decrypt_and_hash(hs, r.p + r.off, ctlen, payload) != 0) {
		if (ptlen > 0)
			sodium_memzero(payload, ptlen);
		return noise_fail(hs);
	}
	hs->msg_index++;
	*plen = ptlen;
	return 0;
}

int
noise_split(struct noise_hs *hs, uint8_t k1[NOISE_KEYLEN],
    uint8_t k2[NOISE_KEYLEN])
{
	uint8_t o1[NOISE_MAXHASHLEN], o2[NOISE_MAXHASHLEN];

	if (!noise_hs_done(hs) || !hs->has_k)
		return -1;
	noise_sym_hkdf(hs, NULL, 0, o1, o2, NULL);
	memcpy(k1, o1, NOISE_KEYLEN);
	memcpy(k2, o2, NOISE_KEYLEN);
	sodium_memzero(o1, sizeof o1);
	sodium_memzero(o2, sizeof o2);
	/* Keep h and rs (still useful to the caller), drop every secret. */
	aead_key_wipe(&hs->k);
	hs->has_k = 0;
	sodium_memzero(hs->ck, sizeof hs->ck);
	sodium_memzero(hs->s_sk, sizeof hs->s_sk);
	sodium_memzero(hs->e_sk, sizeof hs->e_sk);
	sodium_memzero(hs->psk, sizeof hs->psk);
	hs->has_s = hs->has_e = 0;
	return 0;
}

int
noise_handshake_hash(const struct noise_hs *hs, uint8_t *out, size_t *len)
{
	if (!noise_hs_done(hs))
		return -1;
	memcpy(out, hs->h, hs->hashlen);
	*len = hs->hashlen;
	return 0;
}

const uint8_t *
noise_remote_static(const struct noise_hs *hs)
{
	return (!hs->failed && hs->has_rs) ? hs->rs : NULL;
}
