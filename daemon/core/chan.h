/* SPDX-License-Identifier: ISC */
/*
 * chan.h: a secure channel, for CTRL packets (agent <-> server,
 * PROTOCOL.md §2.1) and DATA packets (agent <-> agent, §2.4).
 *
 * A packet is header[16] = type, version 2, 0, 0, index u32, counter u64,
 * then the AEAD ciphertext of the plaintext with the header as associated
 * data. Outgoing packets carry remote_index (the index the peer chose for
 * us, or the reg_id of a CTRL channel); the counter is tx_counter, which
 * goes up by one per sealed packet and doubles as the transport's packet
 * number (read chan->tx_counter before chan_seal to learn it).
 *
 * chan_open accepts a packet only if the header is well formed, the tag
 * verifies, and then the replay window (replay.h) accepts the counter; only
 * then does the window move. Every rejection is counted (rx_malformed,
 * rx_fail, rx_replayed) and returns -1; the caller just drops the packet.
 * Without rekeying chan_open does not check the index: the caller used it
 * to find this channel (chan_peek_index), and the tag covers it anyway.
 *
 * The keys live in struct chan_keys so a rekey can swap them as one.
 * chan_wipe() erases them; a channel whose tx_counter reached CHAN_MAX_COUNTER
 * refuses to seal (the caller must rekey long before).
 *
 * Rekeying (PROTOCOL.md §2.5), off until chan_rekey_enable(): a DATA
 * channel then holds up to three key sets, each with its own local index
 * (the receiver index the peer puts on packets under it): current (tx and
 * rx), previous (rx only, kept overlap_us after the first packet received
 * under current, for reordered packets) and next (installed by the rekey
 * responder; it becomes current when the first packet under it verifies,
 * which is also when the responder starts sending with it). chan_open picks
 * the key by the index, so no packet is ever tried against several keys.
 * tx_counter and the replay window run on across keys: the counter stays
 * the transport's packet number and a (key, nonce) pair is still never
 * reused, since a key only ever sees counters above those of its
 * predecessors.
 *
 * chan_rekey_due() says when to start a rekey: after_us since the key
 * was made (after_us * 5/4 on the side that did not start it, so the two
 * sides do not race), 3/4 of max_packets sealed under the key (chan_seal
 * refuses at max_packets), or max_fail packets under its index that did
 * not verify. None of these counts before a packet under the current key
 * verified: until then the peer may be sending under the previous key,
 * which a newer one would push out (so one side can never run two keys
 * ahead of the other). It also expires the previous key; call it after
 * chan_open and on timers, with chan_rekey_next() as the latest wake-up.
 */
#ifndef P2P_CHAN_H
#define P2P_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aead.h"
#include "replay.h"

#define CHAN_HDR_LEN		16
#define CHAN_OVERHEAD		(CHAN_HDR_LEN + AEAD_TAG_LEN)
#define CHAN_VERSION		2	/* WIRE_VERSION */
#define CHAN_MAX_COUNTER	(UINT64_MAX - 1)	/* Noise reserves 2^64-1 */

struct chan_keys {
	struct aead_key		tx;
	struct aead_key		rx;
	enum aead_cipher	cipher;
};

/* Rekey limits; chan_rekey_cfg_default() gives the protocol's. */
struct chan_rekey_cfg {
	uint64_t		after_us;	/* 120 s */
	uint64_t		max_packets;	/* per key; 0: the AEAD's limit */
	uint64_t		max_fail;	/* failed opens per key: 2^20 */
	uint64_t		overlap_us;	/* previous key kept: 5 s */
};

enum chan_rekey_why {
	CHAN_REKEY_NO = 0,
	CHAN_REKEY_TIME,
	CHAN_REKEY_PACKETS,
	CHAN_REKEY_FAILURES
};

#define CHAN_AESGCM_MAX_PACKETS		((uint64_t)1 << 23)
#define CHAN_CHACHAPOLY_MAX_PACKETS	((uint64_t)1 << 60)
#define CHAN_REKEY_AFTER_US		(120ULL * 1000000)
#define CHAN_REKEY_MAX_FAIL		((uint64_t)1 << 20)
#define CHAN_REKEY_OVERLAP_US		(5ULL * 1000000)

struct chan_rxkey {
	struct aead_key		rx;
	uint32_t		local_index;
	int			set;
};

struct chan_next {
	struct chan_keys	keys;
	uint32_t		local_index;
	uint32_t		remote_index;
	uint64_t		born;
	int			set;
};

struct chan {
	struct chan_keys	keys;		/* current */
	uint64_t		tx_counter;
	struct replay		rx_replay;
	uint32_t		remote_index;

	/* Rekeying: all zero (off) unless chan_rekey_enable() was called. */
	int			rekey_on;
	struct chan_rekey_cfg	rekey_cfg;
	uint32_t		local_index;	/* of the current key */
	uint64_t		key_born;
	uint64_t		key_tx_start;	/* tx_counter when made */
	uint64_t		key_fail;	/* failed opens under it */
	int			key_ours;	/* we started its handshake */
	int			key_rx_seen;	/* a packet verified under it */
	struct chan_rxkey	prev;
	uint64_t		prev_until;	/* 0: not yet armed */
	struct chan_next	next;
	uint64_t		rekeys;		/* keys installed as current */
	uint64_t		rx_old;		/* accepted under prev */

	uint64_t		tx_packets;
	uint64_t		rx_ok;
	uint64_t		rx_fail;	/* tag did not verify */
	uint64_t		rx_replayed;	/* replayed or too old */
	uint64_t		rx_malformed;	/* bad type/version/length */
};

int	chan_init(struct chan *, enum aead_cipher, const uint8_t tx_key[32],
	    const uint8_t rx_key[32], uint32_t remote_index)
	    __attribute__((warn_unused_result));
/*
 * Control channel keys from crypto_kx (ChaChaPoly): the agent is the kx
 * client, the server the kx server, so the agent's tx is the server's rx.
 */
int	chan_init_kx_client(struct chan *, const uint8_t client_pk[32],
	    const uint8_t client_sk[32], const uint8_t server_pk[32],
	    uint32_t remote_index) __attribute__((warn_unused_result));
int	chan_init_kx_server(struct chan *, const uint8_t server_pk[32],
	    const uint8_t server_sk[32], const uint8_t client_pk[32],
	    uint32_t remote_index) __attribute__((warn_unused_result));
void	chan_wipe(struct chan *);

/* Writes CHAN_OVERHEAD + ptlen bytes to out; the length, or -1. */
ssize_t	chan_seal(struct chan *, uint8_t type, const uint8_t *pt, size_t ptlen,
	    uint8_t *out, size_t cap) __attribute__((warn_unused_result));
/* Plaintext length (pt gets len - CHAN_OVERHEAD bytes) or -1. */
ssize_t	chan_open(struct chan *, uint8_t type, const uint8_t *pkt, size_t len,
	    uint8_t *pt, size_t cap, uint64_t *counter)
	    __attribute__((warn_unused_result));
/*
 * The same for RELAY_MAC (PROTOCOL.md §2.6): the body (a relay id and a
 * packet that is encrypted and authenticated end to end already) goes in
 * the clear after the header, then a tag: the AEAD of an empty plaintext
 * whose associated data is chan_mac_ad's (the header, the body's length,
 * its first CHAN_MAC_HEAD and last CHAN_MAC_TAIL bytes: the relay id, the
 * inner packet's header and its own tag or MACs, which bind the rest).
 * Seal writes CHAN_OVERHEAD + len bytes (body may lie anywhere, out too);
 * open checks tag and window and gives the body's length (the body is at
 * pkt + CHAN_HDR_LEN), or -1.
 */
#define CHAN_MAC_HEAD		20
#define CHAN_MAC_TAIL		16
#define CHAN_MAC_AD_MAX		(CHAN_HDR_LEN + 4 + CHAN_MAC_HEAD + \
				    CHAN_MAC_TAIL)
size_t	chan_mac_ad(uint8_t ad[CHAN_MAC_AD_MAX], const uint8_t *hdr,
	    const uint8_t *body, size_t len);
ssize_t	chan_seal_mac(struct chan *, uint8_t type, const uint8_t *body,
	    size_t len, uint8_t *out, size_t cap)
	    __attribute__((warn_unused_result));
ssize_t	chan_open_mac(struct chan *, uint8_t type, const uint8_t *pkt,
	    size_t len, uint64_t *counter) __attribute__((warn_unused_result));
void	chan_rekey_cfg_default(struct chan_rekey_cfg *, enum aead_cipher);
/*
 * Turn rekeying on for a DATA channel made by chan_init: local_index is the
 * index of its key, ours says whether we initiated its handshake.
 */
void	chan_rekey_enable(struct chan *, const struct chan_rekey_cfg *,
	    uint32_t local_index, int ours, uint64_t now);
/*
 * Install the keys of a finished rekey handshake. The initiator (ours)
 * switches at once: current becomes previous. The responder keeps sending
 * under current and holds the new keys as next (replacing an unconfirmed
 * next) until a packet under them verifies. -1 if rekeying is off or the
 * keys are unusable (the channel is then unchanged).
 */
int	chan_rekey_install(struct chan *, enum aead_cipher, const uint8_t tx[32],
	    const uint8_t rx[32], uint32_t local_index, uint32_t remote_index,
	    int ours, uint64_t now) __attribute__((warn_unused_result));
enum chan_rekey_why chan_rekey_due(struct chan *, uint64_t now);
/*
 * When chan_rekey_due must be called again at the latest (UINT64_MAX:
 * never). While a rekey handshake of ours is under way (handshaking), an
 * answered one waits for its first packet or the peer has not used the
 * current key yet, key age is left out: the next packet brings us back.
 */
uint64_t chan_rekey_next(const struct chan *, int handshaking);
/* 1 if idx is the local index of one of the channel's keys. */
int	chan_has_index(const struct chan *, uint32_t idx);
const char *chan_rekey_why_name(enum chan_rekey_why);

/*
 * The 16-byte clear header (type, version, 0, 0, index, counter): build it
 * into out, or check it (type, version, zero bytes, room for a tag) and read
 * index and counter. -1 if it does not fit / is malformed.
 */
int	chan_hdr_build(uint8_t *out, size_t cap, uint8_t type, uint32_t index,
	    uint64_t counter) __attribute__((warn_unused_result));
int	chan_hdr_parse(const uint8_t *pkt, size_t len, uint8_t type,
	    uint32_t *index, uint64_t *counter)
	    __attribute__((warn_unused_result));

/* Index field (bytes 4..7) of a CTRL/DATA packet; 0 if shorter than that. */
uint32_t chan_peek_index(const uint8_t *pkt, size_t len);

#endif /* P2P_CHAN_H */
