/* SPDX-License-Identifier: ISC */
/*
 * hs.c: the p2pd peer handshake, HS_INIT / HS_RESP (PROTOCOL.md §2.3).
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "hs.h"

#define HS_PAYLOAD_MAX	(HS_TAI64N_LEN + 1 + HS_PEER_ID_MAX + 4)

int
hs_x25519_pk(uint8_t x_pk[32], const uint8_t ed_pk[32])
{
	if (sodium_init() < 0)
		return -1;
	return crypto_sign_ed25519_pk_to_curve25519(x_pk, ed_pk) == 0 ? 0 : -1;
}

int
hs_identity_from_ed25519(struct hs_identity *id, const uint8_t ed_sk[64])
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	int rc = -1;

	memset(id, 0, sizeof *id);
	if (sodium_init() < 0)
		return -1;
	/*
	 * Rebuild the pair from the seed: a key file whose public half does
	 * not match would otherwise give an identity nobody can talk to.
	 */
	if (crypto_sign_ed25519_sk_to_seed(seed, ed_sk) == 0 &&
	    crypto_sign_seed_keypair(id->ed_pk, id->ed_sk, seed) == 0 &&
	    sodium_memcmp(id->ed_sk, ed_sk, 64) == 0 &&
	    hs_x25519_pk(id->x_pk, id->ed_pk) == 0 &&
	    crypto_sign_ed25519_sk_to_curve25519(id->x_sk, ed_sk) == 0)
		rc = 0;
	sodium_memzero(seed, sizeof seed);
	if (rc != 0)
		hs_identity_wipe(id);
	return rc;
}

void
hs_identity_wipe(struct hs_identity *id)
{
	sodium_memzero(id, sizeof *id);
}

void
hs_tai64n(uint8_t out[HS_TAI64N_LEN], uint64_t now_unix_ns)
{
	struct wr w;

	wr_init(&w, out, HS_TAI64N_LEN);
	wr_u64(&w, ((uint64_t)1 << 62) + now_unix_ns / 1000000000ULL);
	wr_u32(&w, (uint32_t)(now_unix_ns % 1000000000ULL));
}

void
hs_wipe(struct hs *hs)
{
	noise_hs_wipe(&hs->noise);
	sodium_memzero(hs, sizeof *hs);
}

static int
hs_peer_id_ok(const char *id, size_t len)
{
	size_t i;

	if (len < 1 || len > HS_PEER_ID_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)id[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		    ch == '-'))
			return 0;
	}
	return 1;
}

static int
hs_noise_init(struct hs *hs, const struct hs_identity *self, int initiator,
    enum aead_cipher cipher, const uint8_t *rs)
{
	return noise_hs_init(&hs->noise, NOISE_IK, cipher, NOISE_BLAKE2B,
	    initiator, (const uint8_t *)HS_PROLOGUE, strlen(HS_PROLOGUE),
	    self->x_sk, rs, NULL);
}

/* Split, hand the keys out and drop the handshake secrets. */
static int
hs_complete(struct hs *hs, struct hs_result *res)
{
	uint8_t k1[NOISE_KEYLEN], k2[NOISE_KEYLEN];
	size_t hlen;
	int initiator = hs->noise.initiator;

	memset(res, 0, sizeof *res);
	if (noise_handshake_hash(&hs->noise, res->hash, &hlen) != 0 ||
	    noise_split(&hs->noise, k1, k2) != 0)
		return -1;
	memcpy(res->tx, initiator ? k1 : k2, 32);
	memcpy(res->rx, initiator ? k2 : k1, 32);
	sodium_memzero(k1, sizeof k1);
	sodium_memzero(k2, sizeof k2);
	res->cipher = hs->cipher;
	res->local_index = hs->local_index;
	res->remote_index = hs->remote_index;
	noise_hs_wipe(&hs->noise);
	hs->state = HS_DONE;
	return 0;
}

static int
hs_initiate_common(struct hs *hs, const struct hs_identity *self,
    const uint8_t peer_ed_pk[32], enum aead_cipher cipher,
    uint32_t local_index, const char *self_peer_id, uint32_t rekey_index,
    uint64_t now_unix_ns, uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t rs[32], payload[HS_PAYLOAD_MAX];
	size_t idlen, mlen;
	struct wr w, pw;

	hs_wipe(hs);
	idlen = self_peer_id != NULL ? strnlen(self_peer_id,
	    HS_PEER_ID_MAX + 1) : 0;
	if (!aead_available(cipher) || local_index == 0 ||
	    !hs_peer_id_ok(self_peer_id, idlen) ||
	    hs_x25519_pk(rs, peer_ed_pk) != 0 ||
	    hs_noise_init(hs, self, 1, cipher, rs) != 0)
		goto fail;

	hs_tai64n(payload, now_unix_ns);
	wr_init(&pw, payload, sizeof payload);
	(void)wr_reserve(&pw, HS_TAI64N_LEN);
	wr_u8(&pw, (uint8_t)idlen);
	wr_bytes(&pw, self_peer_id, idlen);
	if (rekey_index != 0)
		wr_u32(&pw, rekey_index);

	wr_init(&w, out, cap);
	wr_u8(&w, HS_TYPE_INIT);
	wr_u8(&w, HS_VERSION);
	wr_u8(&w, (uint8_t)cipher);
	wr_u8(&w, 0);
	wr_u32(&w, local_index);
	if (pw.err || w.err || wr_left(&w) < 2 * HS_MAC_LEN ||
	    noise_write_message(&hs->noise, payload, pw.off, out + w.off,
	    wr_left(&w) - 2 * HS_MAC_LEN, &mlen) != 0 ||
	    hs_mac1_seal(out, w.off + mlen + 2 * HS_MAC_LEN, rs) != 0)
		goto fail;
	hs->cipher = cipher;
	hs->local_index = local_index;
	hs->state = HS_INIT_SENT;
	*outlen = w.off + mlen + 2 * HS_MAC_LEN;
	/* What a COOKIE_REPLY to this HS_INIT is bound to (hs_cookie.c). */
	memcpy(hs->sent_mac1, out + *outlen - 2 * HS_MAC_LEN, HS_MAC_LEN);
	hs->cookie_open = 1;
	return 0;
fail:
	hs_wipe(hs);
	return -1;
}

int
hs_initiate(struct hs *hs, const struct hs_identity *self,
    const uint8_t peer_ed_pk[32], enum aead_cipher cipher,
    uint32_t local_index, const char *self_peer_id, uint64_t now_unix_ns,
    uint8_t *out, size_t cap, size_t *outlen)
{
	return hs_initiate_common(hs, self, peer_ed_pk, cipher, local_index,
	    self_peer_id, 0, now_unix_ns, out, cap, outlen);
}

int
hs_initiate_rekey(struct hs *hs, const struct hs_identity *self,
    const uint8_t peer_ed_pk[32], enum aead_cipher cipher,
    uint32_t local_index, const char *self_peer_id, uint32_t rekey_index,
    uint64_t now_unix_ns, uint8_t *out, size_t cap, size_t *outlen)
{
	if (rekey_index == 0)
		return -1;
	return hs_initiate_common(hs, self, peer_ed_pk, cipher, local_index,
	    self_peer_id, rekey_index, now_unix_ns, out, cap, outlen);
}

int
hs_finish(struct hs *hs, const uint8_t *pkt, size_t len,
    struct hs_result *res)
{
	struct noise_hs tmp;
	struct rd r;
	uint32_t sender, receiver;
	size_t plen;
	int rc = -1;

	if (hs->state != HS_INIT_SENT)
		return -1;
	rd_init(&r, pkt, len);
	if (rd_u8(&r) != HS_TYPE_RESP || rd_u8(&r) != HS_VERSION ||
	    rd_u8(&r) != 0 || rd_u8(&r) != 0)
		return -1;
	sender = rd_u32(&r);
	receiver = rd_u32(&r);
	if (r.err || sender == 0 || receiver != hs->local_index)
		return -1;
	/*
	 * Work on a copy: a forged HS_RESP (the index is visible on the
	 * wire) must not abort the handshake the real peer is answering.
	 */
	tmp = hs->noise;
	if (noise_read_message(&tmp, r.p + r.off, rd_left(&r), NULL, 0,
	    &plen) == 0 && noise_hs_done(&tmp)) {
		hs->noise = tmp;
		hs->remote_index = sender;
		rc = hs_complete(hs, res);
	}
	noise_hs_wipe(&tmp);
	return rc;
}

static int
hs_parse_payload(const uint8_t *p, size_t len, struct hs_init_info *info)
{
	struct rd r;
	size_t idlen;

	rd_init(&r, p, len);
	if (rd_copy(&r, info->timestamp, HS_TAI64N_LEN) != 0)
		return -1;
	idlen = rd_u8(&r);
	if (rd_copy(&r, info->peer_id, idlen) != 0 ||
	    !hs_peer_id_ok(info->peer_id, idlen))
		return -1;
	/* A rekey names the session it renews (§2.5); nothing else may follow. */
	info->rekey_index = 0;
	if (rd_left(&r) == 4 && (info->rekey_index = rd_u32(&r)) == 0)
		return -1;
	if (r.err || rd_left(&r) != 0)
		return -1;
	info->peer_id[idlen] = '\0';
	return 0;
}

int
hs_read_init(struct hs *hs, const struct hs_identity *self,
    const uint8_t *pkt, size_t len, struct hs_init_info *info)
{
	uint8_t payload[HS_PAYLOAD_MAX];
	const uint8_t *rs;
	enum aead_cipher cipher;
	struct rd r;
	size_t plen;

	hs_wipe(hs);
	memset(info, 0, sizeof *info);
	rd_init(&r, pkt, len);
	if (rd_u8(&r) != HS_TYPE_INIT || rd_u8(&r) != HS_VERSION)
		goto fail;
	cipher = (enum aead_cipher)rd_u8(&r);
	if (rd_u8(&r) != 0 || (info->sender_index = rd_u32(&r)) == 0 ||
	    r.err || len > HS_REKEY_INIT_MAX || len < HS_INIT_MIN ||
	    !aead_available(cipher))
		goto fail;
	/* mac1 before any Diffie-Hellman: garbage costs a hash. */
	if (!hs_mac1_ok(pkt, len, self->x_pk))
		goto fail;
	if (hs_noise_init(hs, self, 0, cipher, NULL) != 0 ||
	    noise_read_message(&hs->noise, r.p + r.off, rd_left(&r) -
	    2 * HS_MAC_LEN, payload, sizeof payload, &plen) != 0 ||
	    hs_parse_payload(payload, plen, info) != 0 ||
	    (rs = noise_remote_static(&hs->noise)) == NULL)
		goto fail;
	memcpy(info->peer_x_pk, rs, 32);
	info->cipher = cipher;
	hs->cipher = cipher;
	hs->remote_index = info->sender_index;
	hs->state = HS_INIT_READ;
	sodium_memzero(payload, sizeof payload);
	return 0;
fail:
	sodium_memzero(payload, sizeof payload);
	memset(info, 0, sizeof *info);
	hs_wipe(hs);
	return -1;
}

int
hs_respond(struct hs *hs, uint32_t local_index, uint8_t *out, size_t cap,
    size_t *outlen, struct hs_result *res)
{
	struct wr w;
	size_t mlen;

	if (hs->state != HS_INIT_READ || local_index == 0)
		goto fail;
	wr_init(&w, out, cap);
	wr_u8(&w, HS_TYPE_RESP);
	wr_u8(&w, HS_VERSION);
	wr_u8(&w, 0);
	wr_u8(&w, 0);
	wr_u32(&w, local_index);
	wr_u32(&w, hs->remote_index);
	if (w.err || noise_write_message(&hs->noise, NULL, 0, out + w.off,
	    wr_left(&w), &mlen) != 0)
		goto fail;
	hs->local_index = local_index;
	if (hs_complete(hs, res) != 0)
		goto fail;
	*outlen = w.off + mlen;
	return 0;
fail:
	hs_wipe(hs);
	return -1;
}

uint32_t
hs_resp_receiver_index(const uint8_t *pkt, size_t len)
{
	struct rd r;

	rd_init(&r, pkt, len);
	(void)rd_bytes(&r, 8);
	return rd_u32(&r);
}

uint32_t
hs_init_sender_index(const uint8_t *pkt, size_t len)
{
	struct rd r;

	rd_init(&r, pkt, len);
	(void)rd_bytes(&r, 4);
	return rd_u32(&r);
}
