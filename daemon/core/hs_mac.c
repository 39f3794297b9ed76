/* SPDX-License-Identifier: ISC */
/*
 * hs_mac.c: the two MACs at the end of HS_INIT and the COOKIE_REPLY
 * (PROTOCOL.md §2.3), WireGuard's answer to handshake floods.
 *
 * mac1 = BLAKE2b-128(key = BLAKE2b-256("p2pd-mac1" || responder's X25519
 * public key), HS_INIT up to mac1). Only whoever knows the responder's
 * static key (a peer the server introduced) can make it, and the responder
 * checks it before any Diffie-Hellman: garbage and initiations meant for
 * someone else cost one hash.
 *
 * mac2 = BLAKE2b-128(key = cookie, HS_INIT up to mac2), zero without a
 * cookie. A responder under load answers an HS_INIT whose mac2 is not
 * valid with a COOKIE_REPLY instead of working on it: the cookie is a MAC
 * of the initiator's address under a secret of the responder that changes
 * every HS_COOKIE_SECRET_S, sent encrypted (XChaCha20-Poly1305, key
 * BLAKE2b-256("p2pd-cookie" || responder's public key), the HS_INIT's
 * mac1 as associated data) so that only the initiator of that HS_INIT can
 * use it; the initiator then sends its HS_INIT again with mac2. A flood of
 * forged sources gets cookies it never sees and costs the responder one
 * hash per packet.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "hs.h"

#define HS_MAC1_LABEL	"p2pd-mac1"
#define HS_COOKIE_LABEL	"p2pd-cookie"

static void
hs_labelled_key(const char *label, const uint8_t pk[32], uint8_t key[32])
{
	crypto_generichash_state g;

	crypto_generichash_init(&g, NULL, 0, 32);
	crypto_generichash_update(&g, (const uint8_t *)label, strlen(label));
	crypto_generichash_update(&g, pk, 32);
	crypto_generichash_final(&g, key, 32);
}

static void
hs_mac(const uint8_t *key, size_t klen, const uint8_t *msg, size_t len,
    uint8_t out[HS_MAC_LEN])
{
	crypto_generichash(out, HS_MAC_LEN, msg, len, key, klen);
}

void
hs_mac1_key(const uint8_t x_pk[32], uint8_t key[32])
{
	hs_labelled_key(HS_MAC1_LABEL, x_pk, key);
}

void
hs_cookie_key(const uint8_t x_pk[32], uint8_t key[32])
{
	hs_labelled_key(HS_COOKIE_LABEL, x_pk, key);
}

int
hs_mac1_ok_key(const uint8_t *pkt, size_t len, const uint8_t key[32])
{
	uint8_t mac[HS_MAC_LEN];

	if (len < 2 * HS_MAC_LEN)
		return 0;
	hs_mac(key, 32, pkt, len - 2 * HS_MAC_LEN, mac);
	return sodium_memcmp(mac, pkt + len - 2 * HS_MAC_LEN, HS_MAC_LEN) == 0;
}

int
hs_mac1_seal(uint8_t *pkt, size_t len, const uint8_t responder_x_pk[32])
{
	uint8_t key[32];

	if (len < 2 * HS_MAC_LEN)
		return -1;
	hs_labelled_key(HS_MAC1_LABEL, responder_x_pk, key);
	hs_mac(key, sizeof(key), pkt, len - 2 * HS_MAC_LEN,
	    pkt + len - 2 * HS_MAC_LEN);
	memset(pkt + len - HS_MAC_LEN, 0, HS_MAC_LEN);
	return 0;
}

int
hs_mac1_ok(const uint8_t *pkt, size_t len, const uint8_t self_x_pk[32])
{
	uint8_t key[32];

	hs_mac1_key(self_x_pk, key);
	return hs_mac1_ok_key(pkt, len, key);
}

void
hs_mac2_seal(uint8_t *pkt, size_t len, const uint8_t cookie[HS_COOKIE_LEN])
{
	if (len < 2 * HS_MAC_LEN)
		return;
	hs_mac(cookie, HS_COOKIE_LEN, pkt, len - HS_MAC_LEN,
	    pkt + len - HS_MAC_LEN);
}

int
hs_mac2_ok(const uint8_t *pkt, size_t len, const uint8_t cookie[HS_COOKIE_LEN])
{
	uint8_t mac[HS_MAC_LEN];

	if (len < 2 * HS_MAC_LEN)
		return 0;
	hs_mac(cookie, HS_COOKIE_LEN, pkt, len - HS_MAC_LEN, mac);
	return sodium_memcmp(mac, pkt + len - HS_MAC_LEN, HS_MAC_LEN) == 0;
}

void
hs_cookie_make(const uint8_t secret[HS_COOKIE_SECRET_LEN], const uint8_t *addr,
    size_t addrlen, uint8_t cookie[HS_COOKIE_LEN])
{
	hs_mac(secret, HS_COOKIE_SECRET_LEN, addr, addrlen, cookie);
}

int
hs_cookie_reply_build(uint8_t *out, size_t cap, const uint8_t *init,
    size_t init_len, const uint8_t self_x_pk[32],
    const uint8_t cookie[HS_COOKIE_LEN])
{
	uint8_t key[32], nonce[24];
	int n;

	hs_cookie_key(self_x_pk, key);
	randombytes_buf(nonce, sizeof(nonce));
	n = hs_cookie_reply_seal(out, cap, init, init_len, key, nonce, cookie);
	sodium_memzero(key, sizeof(key));
	return n;
}

int
hs_cookie_reply_seal(uint8_t *out, size_t cap, const uint8_t *init,
    size_t init_len, const uint8_t key[32], const uint8_t nonce[24],
    const uint8_t cookie[HS_COOKIE_LEN])
{
	struct wr w;
	uint8_t *ct;
	uint32_t idx;

	if (init_len < HS_INIT_MIN || (idx = hs_init_sender_index(init,
	    init_len)) == 0)
		return -1;
	wr_init(&w, out, cap);
	wr_u8(&w, HS_TYPE_COOKIE);
	wr_u8(&w, HS_VERSION);
	wr_u8(&w, 0);
	wr_u8(&w, 0);
	wr_u32(&w, idx);
	wr_bytes(&w, nonce, 24);
	if ((ct = wr_reserve(&w, HS_COOKIE_LEN + 16)) == NULL || w.err)
		return -1;
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, cookie,
	    HS_COOKIE_LEN, init + init_len - 2 * HS_MAC_LEN, HS_MAC_LEN, NULL,
	    nonce, key);
	return (int)w.off;
}

int
hs_cookie_reply_open_for(const uint8_t *pkt, size_t len, uint32_t idx,
    const uint8_t mac1[HS_MAC_LEN], const uint8_t responder_x_pk[32],
    uint8_t cookie[HS_COOKIE_LEN])
{
	uint8_t key[32];
	struct rd r;
	const uint8_t *nonce, *ct;
	int rc;

	rd_init(&r, pkt, len);
	if (len != HS_COOKIE_REPLY_LEN || idx == 0 ||
	    rd_u8(&r) != HS_TYPE_COOKIE || rd_u8(&r) != HS_VERSION ||
	    rd_u8(&r) != 0 || rd_u8(&r) != 0 || rd_u32(&r) != idx ||
	    (nonce = rd_bytes(&r, 24)) == NULL ||
	    (ct = rd_bytes(&r, HS_COOKIE_LEN + 16)) == NULL)
		return -1;
	hs_labelled_key(HS_COOKIE_LABEL, responder_x_pk, key);
	rc = crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL, ct,
	    HS_COOKIE_LEN + 16, mac1, HS_MAC_LEN, nonce, key);
	sodium_memzero(key, sizeof(key));
	return rc == 0 ? 0 : -1;
}

int
hs_cookie_reply_open(const uint8_t *pkt, size_t len, const uint8_t *init,
    size_t init_len, const uint8_t responder_x_pk[32],
    uint8_t cookie[HS_COOKIE_LEN])
{
	if (init_len < HS_INIT_MIN)
		return -1;
	return hs_cookie_reply_open_for(pkt, len,
	    hs_init_sender_index(init, init_len),
	    init + init_len - 2 * HS_MAC_LEN, responder_x_pk, cookie);
}
