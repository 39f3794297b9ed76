/* SPDX-License-Identifier: ISC */
/*
 * nodemsg.c: node-to-node packets (nodemsg.h).
 */
#include <string.h>

#include <sodium.h>

#include "aead.h"
#include "buf.h"
#include "nodemsg.h"
#include "replay.h"
#include "wire.h"

#define NODEMSG_CTX	"p2pd-node-v1"

/* The key of a sender's run for one AEAD (ChaCha's input has no suffix). */
static void
nodemsg_key(const struct nodemsg *n, uint8_t slot, uint32_t epoch, int aead,
    uint8_t key[32])
{
	uint8_t in[sizeof(NODEMSG_CTX) - 1 + 6];
	size_t off = sizeof(NODEMSG_CTX) - 1;

	memcpy(in, NODEMSG_CTX, off);
	in[off] = slot;
	in[off + 1] = (uint8_t)(epoch >> 24);
	in[off + 2] = (uint8_t)(epoch >> 16);
	in[off + 3] = (uint8_t)(epoch >> 8);
	in[off + 4] = (uint8_t)epoch;
	in[off + 5] = NODEMSG_AES;
	crypto_generichash(key, 32, in, aead == NODEMSG_AES ? off + 6 : off + 5,
	    n->root, sizeof(n->root));
}

static int
nodemsg_aes_key(const struct nodemsg *n, uint8_t slot, uint32_t epoch,
    struct aead_key *k)
{
	uint8_t key[32];
	int rc;

	nodemsg_key(n, slot, epoch, NODEMSG_AES, key);
	rc = aead_key_init(k, AEAD_AESGCM, key);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
nodemsg_init(struct nodemsg *n, const uint8_t *cluster_key, size_t keylen,
    uint8_t slot, uint32_t epoch)
{
	memset(n, 0, sizeof(*n));
	if (sodium_init() < 0 || keylen < 32 || slot == 0 || epoch == 0)
		return -1;
	crypto_generichash(n->root, sizeof(n->root), cluster_key, keylen,
	    NULL, 0);
	n->slot = slot;
	n->epoch = epoch;
	nodemsg_key(n, slot, epoch, NODEMSG_CHACHA, n->tx_key);
	n->aes = aead_available(AEAD_AESGCM) &&
	    nodemsg_aes_key(n, slot, epoch, &n->tx_aes) == 0;
	return 0;
}

void
nodemsg_wipe(struct nodemsg *n)
{
	sodium_memzero(n, sizeof(*n));
}

static void
nodemsg_put(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
nodemsg_hdr(uint8_t out[NODEMSG_HDR_LEN], uint8_t slot, int aead,
    uint32_t epoch, uint64_t ctr)
{
	out[0] = NODEMSG_TYPE;
	out[1] = WIRE_VERSION;
	out[2] = slot;
	out[3] = (uint8_t)aead;
	nodemsg_put(out + 4, epoch, 4);
	nodemsg_put(out + 8, ctr, 8);
}

ssize_t
nodemsg_seal(struct nodemsg *n, uint64_t now_ms, uint8_t kind, int aead,
    const uint8_t *body, size_t len, uint8_t *out, size_t cap)
{
	uint8_t *pt;
	int rc;

	if (n->epoch == 0 || cap < NODEMSG_OVERHEAD ||
	    len > cap - NODEMSG_OVERHEAD || n->tx_counter == UINT64_MAX - 1 ||
	    (aead != NODEMSG_CHACHA && (aead != NODEMSG_AES || !n->aes)))
		return -1;
	nodemsg_hdr(out, n->slot, aead, n->epoch, n->tx_counter);
	pt = out + NODEMSG_HDR_LEN;
	/* The plaintext is built in place and sealed in place. */
	if (len > 0 && body != pt + NODEMSG_PT_HDR)
		memmove(pt + NODEMSG_PT_HDR, body, len);
	nodemsg_put(pt, now_ms, 8);
	pt[8] = kind;
	if (aead == NODEMSG_AES)
		rc = aead_seal(&n->tx_aes, n->tx_counter, out, NODEMSG_HDR_LEN,
		    pt, NODEMSG_PT_HDR + len, pt);
	else
		rc = aead_chacha_seal(n->tx_key, n->tx_counter, out,
		    NODEMSG_HDR_LEN, pt, NODEMSG_PT_HDR + len, pt);
	if (rc != 0)
		return -1;
	n->tx_counter++;
	return (ssize_t)(NODEMSG_OVERHEAD + len);
}

/* Open with the key of the header's AEAD: 0, or -1 if the tag fails. */
static int
nodemsg_unseal(const struct nodemsg *n, struct nodemsg_rx *rx, int fresh,
    const uint8_t key[32], int aead, uint8_t slot, uint32_t epoch,
    uint64_t ctr, const uint8_t *pkt, size_t len, uint8_t *pt)
{
	struct aead_key tmp;
	int rc;

	if (aead == NODEMSG_CHACHA)
		return aead_chacha_open(key, ctr, pkt, NODEMSG_HDR_LEN,
		    pkt + NODEMSG_HDR_LEN, len - NODEMSG_HDR_LEN, pt);
	if (!fresh && rx->aes.set)
		return aead_open(&rx->aes, ctr, pkt, NODEMSG_HDR_LEN,
		    pkt + NODEMSG_HDR_LEN, len - NODEMSG_HDR_LEN, pt);
	/* The first AES packet of this run of the sender. */
	if (nodemsg_aes_key(n, slot, epoch, &tmp) != 0)
		return -1;
	rc = aead_open(&tmp, ctr, pkt, NODEMSG_HDR_LEN, pkt + NODEMSG_HDR_LEN,
	    len - NODEMSG_HDR_LEN, pt);
	if (rc == 0 && !fresh)
		rx->aes = tmp;	/* a fresh run's: set with its window */
	aead_key_wipe(&tmp);
	return rc;
}

ssize_t
nodemsg_open(struct nodemsg *n, uint64_t now_ms, const uint8_t *pkt,
    size_t len, uint8_t *pt, size_t cap, uint8_t *slotp, uint8_t *kind,
    const uint8_t **body)
{
	struct nodemsg_rx *rx;
	uint8_t key[32], slot;
	uint32_t epoch;
	int aead;
	uint64_t ctr, t;
	struct rd r;
	size_t ptlen;
	int fresh;

	rd_init(&r, pkt, len);
	if (len < NODEMSG_OVERHEAD || rd_u8(&r) != NODEMSG_TYPE ||
	    rd_u8(&r) != WIRE_VERSION)
		goto bad;
	slot = rd_u8(&r);
	aead = rd_u8(&r);
	if ((aead != NODEMSG_CHACHA && (aead != NODEMSG_AES || !n->aes)) ||
	    slot == 0 || slot == n->slot)
		goto bad;
	epoch = rd_u32(&r);
	ctr = rd_u64(&r);
	ptlen = len - NODEMSG_HDR_LEN - 16;
	if (r.err || epoch == 0 || ptlen > cap)
		goto bad;
	rx = &n->rx[slot];
	if (epoch < rx->epoch) {
		n->rx_stale++;
		return -1;		/* an earlier run of that node */
	}
	fresh = epoch != rx->epoch;
	if (fresh)
		nodemsg_key(n, slot, epoch, NODEMSG_CHACHA, key);
	else {
		memcpy(key, rx->key, sizeof(key));
		if (replay_check_ring(rx->top, rx->ring, NODEMSG_WORDS,
		    ctr) != 0) {
			n->rx_replayed++;
			return -1;
		}
	}
	if (nodemsg_unseal(n, rx, fresh, key, aead, slot, epoch, ctr, pkt,
	    len, pt) != 0) {
		sodium_memzero(key, sizeof(key));
		goto bad;
	}
	rd_init(&r, pt, ptlen);
	t = rd_u64(&r);
	*kind = rd_u8(&r);
	if (t > now_ms + NODEMSG_SKEW_MS || t + NODEMSG_AGE_MS < now_ms) {
		n->rx_stale++;
		sodium_memzero(key, sizeof(key));
		return -1;
	}
	if (fresh) {
		/* A sender's new run (restart): its keys, a new window. */
		sodium_memzero(rx, sizeof(*rx));
		rx->epoch = epoch;
		memcpy(rx->key, key, sizeof(key));
		if (aead == NODEMSG_AES)
			(void)nodemsg_aes_key(n, slot, epoch, &rx->aes);
	}
	sodium_memzero(key, sizeof(key));
	replay_update_ring(&rx->top, rx->ring, NODEMSG_WORDS, ctr);
	n->rx_ok++;
	*slotp = slot;
	*body = pt + NODEMSG_PT_HDR;
	return (ssize_t)(ptlen - NODEMSG_PT_HDR);
bad:
	n->rx_bad++;
	return -1;
}
