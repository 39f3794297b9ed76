/* SPDX-License-Identifier: ISC */
/*
 * ctlchan.h: the server's end of a control channel (PROTOCOL.md §2.1, §2.6),
 * sized for what it carries.
 *
 * It seals and opens CTRL and RELAY packets exactly as chan.c does (the same
 * header, ChaCha20-Poly1305 IETF, Noise nonces, header as associated data),
 * but holds only what a registration needs: two raw 32-byte keys, the send
 * counter and a replay window of CTLCHAN_WINDOW counters. A struct chan is
 * built for data sessions (expanded AES-GCM states for three key sets and a
 * window of 8128 packets: about 3.7 KiB); a server holds one of these per
 * registered peer, so this one is about 330 bytes.
 *
 * Why CTLCHAN_WINDOW (1984) is enough: the channel carries requests,
 * pushes and relayed packets from one agent, on one path (a UDP 4-tuple or
 * a TCP connection). A relayed packet reordered by more than 1984 later
 * packets of the same agent is dropped as too old, which its session's
 * transport treats as any loss. The data session's own window (replay.h)
 * still covers the end-to-end packets inside.
 */
#ifndef P2P_CTLCHAN_H
#define P2P_CTLCHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aead.h"

#define CTLCHAN_WORDS	32				/* 2048 bits */
#define CTLCHAN_WINDOW	((CTLCHAN_WORDS - 1) * 64)	/* 1984 */

struct ctlchan {
	uint8_t		tx[AEAD_KEY_LEN];
	uint8_t		rx[AEAD_KEY_LEN];
	uint64_t	tx_counter;
	uint64_t	rx_top;
	uint64_t	rx_ring[CTLCHAN_WORDS];
	uint32_t	remote_index;	/* the reg_id (or pending id) */
	int		set;
};

/* The server's keys from crypto_kx (the agent is the kx client). */
int	ctlchan_init_kx_server(struct ctlchan *, const uint8_t server_pk[32],
	    const uint8_t server_sk[32], const uint8_t client_pk[32],
	    uint32_t remote_index) __attribute__((warn_unused_result));
/* The agent's side, for test clients and the load generator. */
int	ctlchan_init_kx_client(struct ctlchan *, const uint8_t client_pk[32],
	    const uint8_t client_sk[32], const uint8_t server_pk[32],
	    uint32_t remote_index) __attribute__((warn_unused_result));
/* Raw keys, as a registration handshake gives them (reghs.h). */
void	ctlchan_init_keys(struct ctlchan *, const uint8_t tx[AEAD_KEY_LEN],
	    const uint8_t rx[AEAD_KEY_LEN], uint32_t remote_index);
void	ctlchan_wipe(struct ctlchan *);
/* As chan_seal / chan_open (chan.h). */
ssize_t	ctlchan_seal(struct ctlchan *, uint8_t type, const uint8_t *pt,
	    size_t ptlen, uint8_t *out, size_t cap)
	    __attribute__((warn_unused_result));
ssize_t	ctlchan_open(struct ctlchan *, uint8_t type, const uint8_t *pkt,
	    size_t len, uint8_t *pt, size_t cap)
	    __attribute__((warn_unused_result));
/* As chan_seal_mac / chan_open_mac (RELAY_MAC). */
ssize_t	ctlchan_seal_mac(struct ctlchan *, uint8_t type, const uint8_t *body,
	    size_t len, uint8_t *out, size_t cap)
	    __attribute__((warn_unused_result));
ssize_t	ctlchan_open_mac(struct ctlchan *, uint8_t type, const uint8_t *pkt,
	    size_t len) __attribute__((warn_unused_result));

#endif /* P2P_CTLCHAN_H */
