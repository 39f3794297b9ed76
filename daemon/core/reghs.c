/* SPDX-License-Identifier: ISC */
/*
 * reghs.c: the registration handshake (PROTOCOL.md §2.1) on noise.c's NK
 * pattern, and the stateless cookie of its first exchange. See reghs.h.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "reghs.h"

#define REGHS_COOKIE_CTX	"p2pd-cookie"

int
reghs_key_from_b64(const char *s, uint8_t key[REGHS_KEY_LEN])
{
	const char *end;
	size_t len;

	if (s == NULL || strlen(s) != REGHS_KEY_B64_LEN ||
	    sodium_base642bin(key, REGHS_KEY_LEN, s, REGHS_KEY_B64_LEN, NULL,
	    &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != REGHS_KEY_LEN || end != s + REGHS_KEY_B64_LEN)
		return -1;
	return 0;
}

void
reghs_key_to_b64(const uint8_t key[REGHS_KEY_LEN],
    char out[REGHS_KEY_B64_LEN + 1])
{
	sodium_bin2base64(out, REGHS_KEY_B64_LEN + 1, key, REGHS_KEY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

void
reghs_key_id(const uint8_t pk[REGHS_KEY_LEN], uint8_t id[REGHS_KEY_ID_LEN])
{
	memcpy(id, pk, REGHS_KEY_ID_LEN);
}

void
reghs_sig_msg(const uint8_t server_pk[REGHS_KEY_LEN],
    const uint8_t e_pk[REGHS_KEY_LEN], uint8_t out[REGHS_SIG_MSG_LEN])
{
	size_t off = sizeof(REGHS_SIG_LABEL) - 1;

	memcpy(out, REGHS_SIG_LABEL, off);
	memcpy(out + off, server_pk, REGHS_KEY_LEN);
	memcpy(out + off + REGHS_KEY_LEN, e_pk, REGHS_KEY_LEN);
}

void
reghs_cookie_secret(const uint8_t master[32], uint64_t bucket, uint8_t out[32])
{
	crypto_generichash_state g;
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(bucket >> (56 - 8 * i));
	crypto_generichash_init(&g, master, 32, 32);
	crypto_generichash_update(&g, (const uint8_t *)REGHS_COOKIE_CTX,
	    sizeof(REGHS_COOKIE_CTX) - 1);
	crypto_generichash_update(&g, b, sizeof(b));
	crypto_generichash_final(&g, out, 32);
	sodium_memzero(&g, sizeof(g));
}

void
reghs_cookie(const uint8_t secret[32], const uint8_t addr[REGHS_ADDR_LEN],
    const uint8_t e_pk[REGHS_KEY_LEN], uint8_t out[REGHS_COOKIE_LEN])
{
	crypto_generichash_state g;

	crypto_generichash_init(&g, secret, 32, REGHS_COOKIE_LEN);
	crypto_generichash_update(&g, addr, REGHS_ADDR_LEN);
	crypto_generichash_update(&g, e_pk, REGHS_KEY_LEN);
	crypto_generichash_final(&g, out, REGHS_COOKIE_LEN);
	sodium_memzero(&g, sizeof(g));
}

int
reghs_addr_bytes(const uint8_t *ip, size_t iplen, uint16_t port,
    uint8_t out[REGHS_ADDR_LEN])
{
	memset(out, 0, REGHS_ADDR_LEN);
	if (iplen == 4) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, ip, 4);
	} else if (iplen == 16)
		memcpy(out, ip, 16);
	else
		return -1;
	out[16] = (uint8_t)(port >> 8);
	out[17] = (uint8_t)port;
	return 0;
}

static int
reghs_noise_init(struct reghs *st, int initiator, const uint8_t *s_sk,
    const uint8_t *rs_pk, const uint8_t *e_sk)
{
	return noise_hs_init(&st->hs, NOISE_NK, AEAD_CHACHAPOLY, NOISE_BLAKE2B,
	    initiator, (const uint8_t *)REGHS_PROLOGUE,
	    sizeof(REGHS_PROLOGUE) - 1, s_sk, rs_pk, e_sk);
}

int
reghs_client_start(struct reghs *st, const uint8_t server_pk[32],
    const uint8_t e_sk[32])
{
	memset(st, 0, sizeof(*st));
	if (reghs_noise_init(st, 1, NULL, server_pk, e_sk) != 0)
		return -1;
	memcpy(st->server_pk, server_pk, REGHS_KEY_LEN);
	crypto_scalarmult_base(st->e_pk, e_sk);
	return 0;
}

int
reghs_init_write(struct reghs *st, const uint8_t cookie[16],
    const uint8_t *payload, size_t plen, uint8_t *out, size_t cap)
{
	uint8_t id[REGHS_KEY_ID_LEN];
	size_t n;
	int h;

	reghs_key_id(st->server_pk, id);
	if ((h = wire_reg_init_hdr_build(out, cap, id, cookie)) < 0 ||
	    noise_write_message(&st->hs, payload, plen, out + h,
	    cap - (size_t)h, &n) != 0)
		return -1;
	return h + (int)n;
}

/* Both ends' keys from a finished handshake, wiping the state's secrets. */
static int
reghs_split(struct noise_hs *hs, int initiator, struct reghs_keys *keys)
{
	uint8_t k1[32], k2[32];

	if (noise_split(hs, k1, k2) != 0)
		return -1;
	memcpy(keys->tx, initiator ? k1 : k2, 32);
	memcpy(keys->rx, initiator ? k2 : k1, 32);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	return 0;
}

int
reghs_accept_read(const struct reghs *st, const uint8_t *pkt, size_t len,
    uint8_t *payload, size_t cap, size_t *plen, struct reghs_keys *keys)
{
	struct noise_hs hs;
	int h, rc = -1;

	if ((h = wire_reg_accept_hdr_parse(pkt, len)) < 0)
		return -1;
	/* A copy: a forged reply must not spend the real one's state. */
	hs = st->hs;
	if (noise_read_message(&hs, pkt + h, len - (size_t)h, payload, cap,
	    plen) == 0 && noise_hs_done(&hs))
		rc = reghs_split(&hs, 1, keys);
	noise_hs_wipe(&hs);
	return rc;
}

int
reghs_init_peek(const uint8_t *pkt, size_t len, uint8_t key_id[4],
    uint8_t cookie[16], uint8_t e_pk[32])
{
	int h;

	if ((h = wire_reg_init_hdr_parse(pkt, len, key_id, cookie)) < 0 ||
	    len - (size_t)h < REGHS_MSG_OVERHEAD)
		return -1;
	memcpy(e_pk, pkt + h, REGHS_KEY_LEN);
	return 0;
}

int
reghs_init_read(struct reghs *st, const uint8_t server_sk[32],
    const uint8_t *pkt, size_t len, uint8_t *payload, size_t cap,
    size_t *plen)
{
	uint8_t id[REGHS_KEY_ID_LEN], cookie[REGHS_COOKIE_LEN];
	int h;

	memset(st, 0, sizeof(*st));
	if ((h = wire_reg_init_hdr_parse(pkt, len, id, cookie)) < 0 ||
	    reghs_noise_init(st, 0, server_sk, NULL, NULL) != 0)
		return -1;
	memcpy(st->server_pk, st->hs.s_pk, REGHS_KEY_LEN);
	if (noise_read_message(&st->hs, pkt + h, len - (size_t)h, payload,
	    cap, plen) != 0) {
		reghs_wipe(st);
		return -1;
	}
	memcpy(st->e_pk, st->hs.re, REGHS_KEY_LEN);
	return 0;
}

int
reghs_accept_write(struct reghs *st, const uint8_t *e_sk,
    const uint8_t *payload, size_t plen, uint8_t *out, size_t cap,
    struct reghs_keys *keys)
{
	size_t n;
	int h;

	if (e_sk != NULL) {
		/* Tests: a fixed ephemeral, as noise_hs_init takes it. */
		memcpy(st->hs.e_sk, e_sk, 32);
		st->hs.fixed_e = 1;
	}
	if ((h = wire_reg_accept_hdr_build(out, cap)) < 0 ||
	    noise_write_message(&st->hs, payload, plen, out + h,
	    cap - (size_t)h, &n) != 0 || reghs_split(&st->hs, 0, keys) != 0) {
		reghs_wipe(st);
		return -1;
	}
	return h + (int)n;
}

void
reghs_wipe(struct reghs *st)
{
	noise_hs_wipe(&st->hs);
	sodium_memzero(st, sizeof(*st));
}
