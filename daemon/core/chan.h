/*
 * chan.h: a secure channel, for CTRL packets (agent <-> server,
 * PROTOCOL.md §2.1) and DATA packets (agent <-> agent, §2.4).
 *
 * A packet is header[16] = type, version 1, 0, 0, index u32, counter u64,
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
 * chan_open does not check the index: the caller used it to find this
 * channel (chan_peek_index), and the tag covers it anyway.
 *
 * The keys live in struct chan_keys so a later rekey can swap them as one.
 * chan_wipe() erases them; a channel whose tx_counter reached CHAN_MAX_COUNTER
 * refuses to seal (the caller must rekey long before).
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
#define CHAN_VERSION		1
#define CHAN_MAX_COUNTER	(UINT64_MAX - 1)	/* Noise reserves 2^64-1 */

struct chan_keys {
	struct aead_key		tx;
	struct aead_key		rx;
	enum aead_cipher	cipher;
};

struct chan {
	struct chan_keys	keys;
	uint64_t		tx_counter;
	struct replay		rx_replay;
	uint32_t		remote_index;

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
/* Index field (bytes 4..7) of a CTRL/DATA packet; 0 if shorter than that. */
uint32_t chan_peek_index(const uint8_t *pkt, size_t len);

#endif /* P2P_CHAN_H */
