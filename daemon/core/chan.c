/*
 * chan.c: sealing and opening CTRL / DATA packets (PROTOCOL.md §2.1, §2.4).
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

int
chan_init_kx_client(struct chan *c, const uint8_t client_pk[32],
    const uint8_t client_sk[32], const uint8_t server_pk[32],
    uint32_t remote_index)
{
	uint8_t rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
	int rc = -1;

	memset(c, 0, sizeof *c);
	if (sodium_init() >= 0 && crypto_kx_client_session_keys(rx, tx,
	    client_pk, client_sk, server_pk) == 0)
		rc = chan_init(c, AEAD_CHACHAPOLY, tx, rx, remote_index);
	sodium_memzero(rx, sizeof rx);
	sodium_memzero(tx, sizeof tx);
	return rc;
}

int
chan_init_kx_server(struct chan *c, const uint8_t server_pk[32],
    const uint8_t server_sk[32], const uint8_t client_pk[32],
    uint32_t remote_index)
{
	uint8_t rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
	int rc = -1;

	memset(c, 0, sizeof *c);
	if (sodium_init() >= 0 && crypto_kx_server_session_keys(rx, tx,
	    server_pk, server_sk, client_pk) == 0)
		rc = chan_init(c, AEAD_CHACHAPOLY, tx, rx, remote_index);
	sodium_memzero(rx, sizeof rx);
	sodium_memzero(tx, sizeof tx);
	return rc;
}

void
chan_wipe(struct chan *c)
{
	aead_key_wipe(&c->keys.tx);
	aead_key_wipe(&c->keys.rx);
	sodium_memzero(c, sizeof *c);
}

ssize_t
chan_seal(struct chan *c, uint8_t type, const uint8_t *pt, size_t ptlen,
    uint8_t *out, size_t cap)
{
	struct wr w;
	uint8_t *ct;

	if (!c->keys.tx.set || c->tx_counter >= CHAN_MAX_COUNTER ||
	    ptlen > SSIZE_MAX - CHAN_OVERHEAD || (pt == NULL && ptlen > 0))
		return -1;
	wr_init(&w, out, cap);
	wr_u8(&w, type);
	wr_u8(&w, CHAN_VERSION);
	wr_u8(&w, 0);
	wr_u8(&w, 0);
	wr_u32(&w, c->remote_index);
	wr_u64(&w, c->tx_counter);
	ct = wr_reserve(&w, ptlen + AEAD_TAG_LEN);
	if (w.err || ct == NULL)
		return -1;
	if (aead_seal(&c->keys.tx, c->tx_counter, out, CHAN_HDR_LEN, pt, ptlen,
	    ct) != 0)
		return -1;
	c->tx_counter++;
	c->tx_packets++;
	return (ssize_t)w.off;
}

ssize_t
chan_open(struct chan *c, uint8_t type, const uint8_t *pkt, size_t len,
    uint8_t *pt, size_t cap, uint64_t *counter)
{
	struct rd r;
	uint64_t ctr;
	size_t ptlen;

	rd_init(&r, pkt, len);
	if (rd_u8(&r) != type || rd_u8(&r) != CHAN_VERSION || rd_u8(&r) != 0 ||
	    rd_u8(&r) != 0)
		goto malformed;
	(void)rd_u32(&r);
	ctr = rd_u64(&r);
	if (r.err || rd_left(&r) < AEAD_TAG_LEN || !c->keys.rx.set)
		goto malformed;
	ptlen = rd_left(&r) - AEAD_TAG_LEN;
	if (ptlen > cap || ptlen > SSIZE_MAX)
		goto malformed;
	/*
	 * Tag first, then the window (PROTOCOL.md §2.4): a forged packet is
	 * counted as such and never touches the window.
	 */
	if (aead_open(&c->keys.rx, ctr, pkt, CHAN_HDR_LEN, r.p + r.off,
	    rd_left(&r), pt) != 0) {
		c->rx_fail++;
		return -1;
	}
	if (replay_check(&c->rx_replay, ctr) != 0) {
		if (ptlen > 0)
			sodium_memzero(pt, ptlen);
		c->rx_replayed++;
		return -1;
	}
	replay_update(&c->rx_replay, ctr);
	c->rx_ok++;
	if (counter != NULL)
		*counter = ctr;
	return (ssize_t)ptlen;

malformed:
	c->rx_malformed++;
	return -1;
}

uint32_t
chan_peek_index(const uint8_t *pkt, size_t len)
{
	struct rd r;

	rd_init(&r, pkt, len);
	(void)rd_u32(&r);
	return rd_u32(&r);
}
