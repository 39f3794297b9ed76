/* SPDX-License-Identifier: ISC */
/*
 * chan.c: sealing and opening CTRL / DATA packets (PROTOCOL.md §2.1, §2.4),
 * and the key sets of a rekeyed DATA channel (§2.5).
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "chan.h"

static int
chan_set_keys(struct chan *c, enum aead_cipher cipher, const uint8_t *tx,
    const uint8_t *rx)
{
	c->keys.cipher = cipher;
	if (aead_key_init(&c->keys.tx, cipher, tx) != 0 ||
	    aead_key_init(&c->keys.rx, cipher, rx) != 0) {
		chan_wipe(c);
		return -1;
	}
	return 0;
}

int
chan_init(struct chan *c, enum aead_cipher cipher, const uint8_t tx_key[32],
    const uint8_t rx_key[32], uint32_t remote_index)
{
	memset(c, 0, sizeof *c);
	replay_init(&c->rx_replay);
	c->remote_index = remote_index;
	return chan_set_keys(c, cipher, tx_key, rx_key);
}

/* The keys of one side of crypto_kx (kx: its client or server function). */
static int
chan_init_kx(struct chan *c, int (*kx)(unsigned char *, unsigned char *,
    const unsigned char *, const unsigned char *, const unsigned char *),
    const uint8_t pk[32], const uint8_t sk[32], const uint8_t peer_pk[32],
    uint32_t remote_index)
{
	uint8_t rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
	int rc = -1;

	memset(c, 0, sizeof *c);
	if (sodium_init() >= 0 && kx(rx, tx, pk, sk, peer_pk) == 0)
		rc = chan_init(c, AEAD_CHACHAPOLY, tx, rx, remote_index);
	sodium_memzero(rx, sizeof rx);
	sodium_memzero(tx, sizeof tx);
	return rc;
}

int
chan_init_kx_client(struct chan *c, const uint8_t client_pk[32],
    const uint8_t client_sk[32], const uint8_t server_pk[32],
    uint32_t remote_index)
{
	return chan_init_kx(c, crypto_kx_client_session_keys, client_pk,
	    client_sk, server_pk, remote_index);
}

int
chan_init_kx_server(struct chan *c, const uint8_t server_pk[32],
    const uint8_t server_sk[32], const uint8_t client_pk[32],
    uint32_t remote_index)
{
	return chan_init_kx(c, crypto_kx_server_session_keys, server_pk,
	    server_sk, client_pk, remote_index);
}

void
chan_wipe(struct chan *c)
{
	aead_key_wipe(&c->keys.tx);
	aead_key_wipe(&c->keys.rx);
	aead_key_wipe(&c->prev.rx);
	aead_key_wipe(&c->next.keys.tx);
	aead_key_wipe(&c->next.keys.rx);
	sodium_memzero(c, sizeof *c);
}

/* --- rekeying (PROTOCOL.md §2.5) ---------------------------------------- */

void
chan_rekey_cfg_default(struct chan_rekey_cfg *cfg, enum aead_cipher cipher)
{
	cfg->after_us = CHAN_REKEY_AFTER_US;
	cfg->max_packets = cipher == AEAD_AESGCM ? CHAN_AESGCM_MAX_PACKETS :
	    CHAN_CHACHAPOLY_MAX_PACKETS;
	cfg->max_fail = CHAN_REKEY_MAX_FAIL;
	cfg->overlap_us = CHAN_REKEY_OVERLAP_US;
}

void
chan_rekey_enable(struct chan *c, const struct chan_rekey_cfg *cfg,
    uint32_t local_index, int ours, uint64_t now)
{
	c->rekey_on = 1;
	c->rekey_cfg = *cfg;
	if (c->rekey_cfg.max_packets == 0) {
		struct chan_rekey_cfg d;

		chan_rekey_cfg_default(&d, c->keys.cipher);
		c->rekey_cfg.max_packets = d.max_packets;
	}
	/* Tiny test limits must still leave room to send the rekey. */
	if (c->rekey_cfg.max_packets < 8)
		c->rekey_cfg.max_packets = 8;
	c->local_index = local_index;
	c->key_born = now;
	c->key_tx_start = c->tx_counter;
	c->key_fail = 0;
	c->key_ours = ours;
	c->key_rx_seen = 0;
}

static void
chan_prev_drop(struct chan *c)
{
	aead_key_wipe(&c->prev.rx);
	sodium_memzero(&c->prev, sizeof c->prev);
	c->prev_until = 0;
}

static void
chan_next_drop(struct chan *c)
{
	aead_key_wipe(&c->next.keys.tx);
	aead_key_wipe(&c->next.keys.rx);
	sodium_memzero(&c->next, sizeof c->next);
}

/* Current becomes previous (rx only); keys become current. */
static void
chan_switch(struct chan *c, const struct chan_keys *keys, uint32_t local_index,
    uint32_t remote_index, uint64_t born, int ours)
{
	chan_prev_drop(c);
	c->prev.rx = c->keys.rx;
	c->prev.local_index = c->local_index;
	c->prev.set = 1;
	aead_key_wipe(&c->keys.tx);
	c->keys = *keys;
	c->local_index = local_index;
	c->remote_index = remote_index;
	c->key_born = born;
	c->key_tx_start = c->tx_counter;
	c->key_fail = 0;
	c->key_ours = ours;
	c->key_rx_seen = 0;
	c->rekeys++;
}

int
chan_rekey_install(struct chan *c, enum aead_cipher cipher,
    const uint8_t tx[32], const uint8_t rx[32], uint32_t local_index,
    uint32_t remote_index, int ours, uint64_t now)
{
	struct chan_keys k;

	memset(&k, 0, sizeof k);
	if (!c->rekey_on || local_index == 0 || remote_index == 0 ||
	    local_index == c->local_index)
		return -1;
	k.cipher = cipher;
	if (aead_key_init(&k.tx, cipher, tx) != 0 ||
	    aead_key_init(&k.rx, cipher, rx) != 0) {
		aead_key_wipe(&k.tx);
		aead_key_wipe(&k.rx);
		return -1;
	}
	chan_next_drop(c);
	if (ours)
		chan_switch(c, &k, local_index, remote_index, now, 1);
	else {
		c->next.keys = k;
		c->next.local_index = local_index;
		c->next.remote_index = remote_index;
		c->next.born = now;
		c->next.set = 1;
	}
	sodium_memzero(&k, sizeof k);
	return 0;
}

enum chan_rekey_why
chan_rekey_due(struct chan *c, uint64_t now)
{
	const struct chan_rekey_cfg *cfg = &c->rekey_cfg;
	uint64_t after;

	if (!c->rekey_on)
		return CHAN_REKEY_NO;
	/*
	 * The overlap runs from the first packet under the new key: until
	 * then the peer may still be sending under the old one.
	 */
	if (c->prev.set && c->prev_until == 0 && c->key_rx_seen)
		c->prev_until = now + cfg->overlap_us;
	if (c->prev.set && c->prev_until != 0 && now >= c->prev_until)
		chan_prev_drop(c);
	if (c->next.set)
		return CHAN_REKEY_NO;	/* answered one; wait for its use */
	/*
	 * Not before the peer used the current key: it may still be sending
	 * under the previous one, which a new key would push out.
	 */
	if (!c->key_rx_seen)
		return CHAN_REKEY_NO;
	if (c->tx_counter - c->key_tx_start >=
	    cfg->max_packets - cfg->max_packets / 4)
		return CHAN_REKEY_PACKETS;
	if (c->key_fail >= cfg->max_fail)
		return CHAN_REKEY_FAILURES;
	after = c->key_ours ? cfg->after_us : cfg->after_us + cfg->after_us / 4;
	if (now - c->key_born >= after)
		return CHAN_REKEY_TIME;
	return CHAN_REKEY_NO;
}

uint64_t
chan_rekey_next(const struct chan *c, int handshaking)
{
	uint64_t t = UINT64_MAX, after;

	if (!c->rekey_on)
		return UINT64_MAX;
	after = c->key_ours ? c->rekey_cfg.after_us :
	    c->rekey_cfg.after_us + c->rekey_cfg.after_us / 4;
	if (!handshaking && !c->next.set && c->key_rx_seen)
		t = c->key_born + after;
	if (c->prev.set && c->prev_until != 0 && c->prev_until < t)
		t = c->prev_until;
	return t;
}

int
chan_has_index(const struct chan *c, uint32_t idx)
{
	if (!c->rekey_on || idx == 0)
		return 0;
	return idx == c->local_index || (c->prev.set &&
	    idx == c->prev.local_index) || (c->next.set &&
	    idx == c->next.local_index);
}

const char *
chan_rekey_why_name(enum chan_rekey_why why)
{
	switch (why) {
	case CHAN_REKEY_TIME:
		return "key age";
	case CHAN_REKEY_PACKETS:
		return "packet limit of the cipher";
	case CHAN_REKEY_FAILURES:
		return "too many packets failed to decrypt";
	default:
		return "none";
	}
}

int
chan_hdr_build(uint8_t *out, size_t cap, uint8_t type, uint32_t index,
    uint64_t counter)
{
	struct wr w;

	wr_init(&w, out, cap);
	wr_u8(&w, type);
	wr_u8(&w, CHAN_VERSION);
	wr_u8(&w, 0);
	wr_u8(&w, 0);
	wr_u32(&w, index);
	wr_u64(&w, counter);
	return w.err ? -1 : 0;
}

int
chan_hdr_parse(const uint8_t *pkt, size_t len, uint8_t type, uint32_t *index,
    uint64_t *counter)
{
	struct rd r;

	rd_init(&r, pkt, len);
	if (rd_u8(&r) != type || rd_u8(&r) != CHAN_VERSION || rd_u8(&r) != 0 ||
	    rd_u8(&r) != 0)
		return -1;
	*index = rd_u32(&r);
	*counter = rd_u64(&r);
	if (r.err || rd_left(&r) < AEAD_TAG_LEN)
		return -1;
	return 0;
}

size_t
chan_mac_ad(uint8_t ad[CHAN_MAC_AD_MAX], const uint8_t *hdr,
    const uint8_t *body, size_t len)
{
	size_t head = len < CHAN_MAC_HEAD ? len : CHAN_MAC_HEAD;
	size_t tail = len < CHAN_MAC_TAIL ? len : CHAN_MAC_TAIL;
	size_t n = 0;

	memcpy(ad, hdr, CHAN_HDR_LEN);
	n += CHAN_HDR_LEN;
	ad[n++] = (uint8_t)(len >> 24);
	ad[n++] = (uint8_t)(len >> 16);
	ad[n++] = (uint8_t)(len >> 8);
	ad[n++] = (uint8_t)len;
	if (head > 0)
		memcpy(ad + n, body, head);
	n += head;
	if (tail > 0)
		memcpy(ad + n, body + len - tail, tail);
	return n + tail;
}

/*
 * Seal pt after the header: encrypted (mac 0), or in the clear with a tag
 * over header and body (mac 1: the AEAD of an empty plaintext with both as
 * associated data). Both take a counter from the same sequence, so a nonce
 * is never used twice under one key.
 */
static ssize_t
chan_seal_x(struct chan *c, uint8_t type, const uint8_t *pt, size_t ptlen,
    uint8_t *out, size_t cap, int mac)
{
	uint8_t ad[CHAN_MAC_AD_MAX];
	int rc;

	if (!c->keys.tx.set || c->tx_counter >= CHAN_MAX_COUNTER ||
	    (c->rekey_on && c->tx_counter - c->key_tx_start >=
	    c->rekey_cfg.max_packets) ||
	    ptlen > SSIZE_MAX - CHAN_OVERHEAD || (pt == NULL && ptlen > 0) ||
	    cap < CHAN_OVERHEAD || ptlen > cap - CHAN_OVERHEAD)
		return -1;
	if (mac && ptlen > 0)
		memmove(out + CHAN_HDR_LEN, pt, ptlen);
	if (chan_hdr_build(out, cap, type, c->remote_index, c->tx_counter) ==
	    -1)
		return -1;
	if (mac)
		rc = aead_seal(&c->keys.tx, c->tx_counter, ad, chan_mac_ad(ad,
		    out, out + CHAN_HDR_LEN, ptlen), NULL, 0,
		    out + CHAN_HDR_LEN + ptlen);
	else
		rc = aead_seal(&c->keys.tx, c->tx_counter, out, CHAN_HDR_LEN,
		    pt, ptlen, out + CHAN_HDR_LEN);
	if (rc != 0)
		return -1;
	c->tx_counter++;
	c->tx_packets++;
	return (ssize_t)(CHAN_OVERHEAD + ptlen);
}

ssize_t
chan_seal(struct chan *c, uint8_t type, const uint8_t *pt, size_t ptlen,
    uint8_t *out, size_t cap)
{
	return chan_seal_x(c, type, pt, ptlen, out, cap, 0);
}

ssize_t
chan_seal_mac(struct chan *c, uint8_t type, const uint8_t *body, size_t len,
    uint8_t *out, size_t cap)
{
	return chan_seal_x(c, type, body, len, out, cap, 1);
}

/* Open an encrypted packet into pt (mac 0) or check a MAC one (mac 1). */
static ssize_t
chan_open_x(struct chan *c, uint8_t type, const uint8_t *pkt, size_t len,
    uint8_t *pt, size_t cap, uint64_t *counter, int mac)
{
	const struct aead_key *key = &c->keys.rx;
	uint8_t none[1], ad[CHAN_MAC_AD_MAX];
	int rc;
	enum { CUR, PREV, NEXT } which = CUR;
	uint64_t ctr;
	uint32_t idx;
	size_t ptlen;

	if (chan_hdr_parse(pkt, len, type, &idx, &ctr) == -1 ||
	    !c->keys.rx.set)
		goto malformed;
	/* The index names the key (§2.5): one trial decryption at most. */
	if (c->rekey_on && idx != c->local_index) {
		if (c->next.set && idx == c->next.local_index) {
			key = &c->next.keys.rx;
			which = NEXT;
		} else if (c->prev.set && idx == c->prev.local_index) {
			key = &c->prev.rx;
			which = PREV;
		} else
			goto malformed;
	}
	ptlen = len - CHAN_OVERHEAD;
	if ((!mac && ptlen > cap) || ptlen > SSIZE_MAX)
		goto malformed;
	/*
	 * Tag first, then the window (PROTOCOL.md §2.4): a forged packet is
	 * counted as such and never touches the window.
	 */
	if (!mac)
		rc = aead_open(key, ctr, pkt, CHAN_HDR_LEN, pkt + CHAN_HDR_LEN,
		    len - CHAN_HDR_LEN, pt);
	else
		rc = aead_open(key, ctr, ad, chan_mac_ad(ad, pkt,
		    pkt + CHAN_HDR_LEN, ptlen), pkt + len - AEAD_TAG_LEN,
		    AEAD_TAG_LEN, none);
	if (rc != 0) {
		c->rx_fail++;
		if (which == CUR)
			c->key_fail++;
		return -1;
	}
	if (replay_check(&c->rx_replay, ctr) != 0) {
		if (!mac && ptlen > 0)
			sodium_memzero(pt, ptlen);
		c->rx_replayed++;
		return -1;
	}
	replay_update(&c->rx_replay, ctr);
	c->rx_ok++;
	if (which == NEXT) {
		/* The initiator uses the new keys: so do we from now on. */
		struct chan_next n = c->next;

		sodium_memzero(&c->next, sizeof c->next);
		chan_switch(c, &n.keys, n.local_index, n.remote_index, n.born,
		    0);
		sodium_memzero(&n, sizeof n);
	}
	if (which == PREV)
		c->rx_old++;
	else
		c->key_rx_seen = 1;
	if (counter != NULL)
		*counter = ctr;
	return (ssize_t)ptlen;

malformed:
	c->rx_malformed++;
	return -1;
}

ssize_t
chan_open(struct chan *c, uint8_t type, const uint8_t *pkt, size_t len,
    uint8_t *pt, size_t cap, uint64_t *counter)
{
	return chan_open_x(c, type, pkt, len, pt, cap, counter, 0);
}

ssize_t
chan_open_mac(struct chan *c, uint8_t type, const uint8_t *pkt, size_t len,
    uint64_t *counter)
{
	return chan_open_x(c, type, pkt, len, NULL, 0, counter, 1);
}

uint32_t
chan_peek_index(const uint8_t *pkt, size_t len)
{
	struct rd r;

	rd_init(&r, pkt, len);
	(void)rd_u32(&r);
	return rd_u32(&r);
}
