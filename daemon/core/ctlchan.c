/* SPDX-License-Identifier: ISC */
/*
 * ctlchan.c: a compact control channel (ctlchan.h).
 */
#include <string.h>

#include <sodium.h>

#include "chan.h"
#include "ctlchan.h"
#include "replay.h"

static int
ctlchan_init_kx(struct ctlchan *c, int (*kx)(unsigned char *, unsigned char *,
    const unsigned char *, const unsigned char *, const unsigned char *),
    const uint8_t pk[32], const uint8_t sk[32], const uint8_t peer_pk[32],
    uint32_t remote_index)
{
	memset(c, 0, sizeof *c);
	if (sodium_init() < 0 || kx(c->rx, c->tx, pk, sk, peer_pk) != 0) {
		ctlchan_wipe(c);
		return -1;
	}
	c->remote_index = remote_index;
	c->set = 1;
	return 0;
}

int
ctlchan_init_kx_server(struct ctlchan *c, const uint8_t server_pk[32],
    const uint8_t server_sk[32], const uint8_t client_pk[32],
    uint32_t remote_index)
{
	return ctlchan_init_kx(c, crypto_kx_server_session_keys, server_pk,
	    server_sk, client_pk, remote_index);
}

int
ctlchan_init_kx_client(struct ctlchan *c, const uint8_t client_pk[32],
    const uint8_t client_sk[32], const uint8_t server_pk[32],
    uint32_t remote_index)
{
	return ctlchan_init_kx(c, crypto_kx_client_session_keys, client_pk,
	    client_sk, server_pk, remote_index);
}

void
ctlchan_init_keys(struct ctlchan *c, const uint8_t tx[AEAD_KEY_LEN],
    const uint8_t rx[AEAD_KEY_LEN], uint32_t remote_index)
{
	memset(c, 0, sizeof *c);
	memcpy(c->tx, tx, AEAD_KEY_LEN);
	memcpy(c->rx, rx, AEAD_KEY_LEN);
	c->remote_index = remote_index;
	c->set = 1;
}

void
ctlchan_wipe(struct ctlchan *c)
{
	sodium_memzero(c, sizeof *c);
}

/* Encrypted (mac 0) or in the clear with a tag (mac 1: chan_mac_ad). */
static ssize_t
ctlchan_seal_x(struct ctlchan *c, uint8_t type, const uint8_t *pt,
    size_t ptlen, uint8_t *out, size_t cap, int mac)
{
	uint8_t ad[CHAN_MAC_AD_MAX];
	int rc;

	if (!c->set || c->tx_counter >= CHAN_MAX_COUNTER ||
	    (pt == NULL && ptlen > 0) || cap < CHAN_OVERHEAD ||
	    ptlen > cap - CHAN_OVERHEAD || ptlen > SSIZE_MAX - CHAN_OVERHEAD)
		return -1;
	if (mac && ptlen > 0)
		memmove(out + CHAN_HDR_LEN, pt, ptlen);
	if (chan_hdr_build(out, cap, type, c->remote_index, c->tx_counter) ==
	    -1)
		return -1;
	if (mac)
		rc = aead_chacha_seal(c->tx, c->tx_counter, ad,
		    chan_mac_ad(ad, out, out + CHAN_HDR_LEN, ptlen), NULL, 0,
		    out + CHAN_HDR_LEN + ptlen);
	else
		rc = aead_chacha_seal(c->tx, c->tx_counter, out, CHAN_HDR_LEN,
		    pt, ptlen, out + CHAN_HDR_LEN);
	if (rc != 0)
		return -1;
	c->tx_counter++;
	return (ssize_t)(CHAN_OVERHEAD + ptlen);
}

static ssize_t
ctlchan_open_x(struct ctlchan *c, uint8_t type, const uint8_t *pkt,
    size_t len, uint8_t *pt, size_t cap, int mac)
{
	uint8_t none[1], ad[CHAN_MAC_AD_MAX];
	uint64_t ctr;
	uint32_t idx;
	size_t ptlen;
	int rc;

	if (!c->set || chan_hdr_parse(pkt, len, type, &idx, &ctr) == -1)
		return -1;
	ptlen = len - CHAN_OVERHEAD;
	if ((!mac && ptlen > cap) || ptlen > SSIZE_MAX)
		return -1;
	/* Cheap check first; the window moves only after the tag verified. */
	if (replay_check_ring(c->rx_top, c->rx_ring, CTLCHAN_WORDS, ctr) != 0)
		return -1;
	if (mac)
		rc = aead_chacha_open(c->rx, ctr, ad, chan_mac_ad(ad, pkt,
		    pkt + CHAN_HDR_LEN, ptlen), pkt + len - AEAD_TAG_LEN,
		    AEAD_TAG_LEN, none);
	else
		rc = aead_chacha_open(c->rx, ctr, pkt, CHAN_HDR_LEN,
		    pkt + CHAN_HDR_LEN, len - CHAN_HDR_LEN, pt);
	if (rc != 0)
		return -1;
	replay_update_ring(&c->rx_top, c->rx_ring, CTLCHAN_WORDS, ctr);
	return (ssize_t)ptlen;
}

ssize_t
ctlchan_seal(struct ctlchan *c, uint8_t type, const uint8_t *pt, size_t ptlen,
    uint8_t *out, size_t cap)
{
	return ctlchan_seal_x(c, type, pt, ptlen, out, cap, 0);
}

ssize_t
ctlchan_open(struct ctlchan *c, uint8_t type, const uint8_t *pkt, size_t len,
    uint8_t *pt, size_t cap)
{
	return ctlchan_open_x(c, type, pkt, len, pt, cap, 0);
}

ssize_t
ctlchan_seal_mac(struct ctlchan *c, uint8_t type, const uint8_t *body,
    size_t len, uint8_t *out, size_t cap)
{
	return ctlchan_seal_x(c, type, body, len, out, cap, 1);
}

ssize_t
ctlchan_open_mac(struct ctlchan *c, uint8_t type, const uint8_t *pkt,
    size_t len)
{
	return ctlchan_open_x(c, type, pkt, len, NULL, 0, 1);
}
