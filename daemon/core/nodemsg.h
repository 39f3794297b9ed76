/* SPDX-License-Identifier: ISC */
/*
 * nodemsg.h: the packets cluster nodes send each other on their --listen
 * UDP port (PROTOCOL.md §8): type NODE (0x58), sealed with ChaCha20-Poly1305
 * or, where both nodes have AES-NI and the receiver said it takes it,
 * AES-256-GCM, under a key derived from the cluster key for the sending
 * node, its epoch and the AEAD, with a counter, a replay window at the
 * receiver and a timestamp (nodes' clocks may differ by up to 30 s).
 *
 *	header[16] = 0x58, WIRE_VERSION, sender slot u8, aead u8,
 *	             sender epoch u32, counter u64
 *	ciphertext = AEAD(key(slot, epoch, aead), nonce(counter), ad = header,
 *	             time_ms u64 || kind u8 || body)
 *
 * aead 0 is ChaCha20-Poly1305 (nodes of every version), 1 AES-256-GCM.
 * key(slot, epoch, 0) = BLAKE2b-256(key = BLAKE2b-256(cluster key),
 *                                   "p2pd-node-v1" || slot u8 || epoch u32)
 * key(slot, epoch, 1) = the same over "p2pd-node-v1" || slot || epoch || 1
 * (the sender's one counter numbers the packets of both).
 *
 * A new epoch of a sender (it restarted) starts a new key and counter; a
 * receiver accepts a packet only after its tag verifies, and then only if
 * the counter is new in that sender's window and the time is no more than
 * NODEMSG_SKEW_MS ahead or NODEMSG_AGE_MS behind its own clock. Pure: time
 * is passed in.
 */
#ifndef P2P_NODEMSG_H
#define P2P_NODEMSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "aead.h"

#define NODEMSG_TYPE		0x58	/* WIRE_NODE */
#define NODEMSG_HDR_LEN		16
#define NODEMSG_PT_HDR		9	/* time_ms u64, kind u8 */
#define NODEMSG_OVERHEAD	(NODEMSG_HDR_LEN + NODEMSG_PT_HDR + 16)
#define NODEMSG_SLOTS		256
#define NODEMSG_WORDS		32	/* replay window: 1984 packets */
#define NODEMSG_SKEW_MS		30000
#define NODEMSG_AGE_MS		60000
#define NODEMSG_CHACHA		0	/* header byte 3: the AEAD */
#define NODEMSG_AES		1

enum nodemsg_kind {
	NODEMSG_RELAY = 1,	/* dst reg_id u32, src reg_id u32, packet */
	NODEMSG_PUSH_ACK = 2,	/* an agent acknowledged a group event */
	NODEMSG_JOIN_COMPLETE = 3
};

/* What a node knows of one sender. */
struct nodemsg_rx {
	struct aead_key	 aes;		/* first (aligned); set on use */
	uint32_t	 epoch;		/* 0: none yet */
	uint8_t		 key[32];
	uint64_t	 top;
	uint64_t	 ring[NODEMSG_WORDS];
};

struct nodemsg {
	struct aead_key	 tx_aes;	/* first: aligned; set if aes */
	uint8_t		 root[32];	/* BLAKE2b-256 of the cluster key */
	uint8_t		 slot;		/* ours */
	uint32_t	 epoch;
	int		 aes;		/* we send and take AES-256-GCM
					   (the CPU runs it; 0: refuse) */
	uint8_t		 tx_key[32];
	uint64_t	 tx_counter;
	struct nodemsg_rx rx[NODEMSG_SLOTS];
	uint64_t	 rx_ok, rx_bad, rx_replayed, rx_stale;
};

int	nodemsg_init(struct nodemsg *, const uint8_t *cluster_key,
	    size_t keylen, uint8_t slot, uint32_t epoch)
	    __attribute__((warn_unused_result));
void	nodemsg_wipe(struct nodemsg *);
/*
 * Seal kind + body into out with aead (NODEMSG_AES only if n->aes and the
 * receiver takes it): the packet's length, or -1. body may already lie at
 * out + NODEMSG_BODY_OFF (then nothing is copied).
 */
#define NODEMSG_BODY_OFF	(NODEMSG_HDR_LEN + NODEMSG_PT_HDR)
ssize_t	nodemsg_seal(struct nodemsg *, uint64_t now_ms, uint8_t kind,
	    int aead, const uint8_t *body, size_t len, uint8_t *out,
	    size_t cap) __attribute__((warn_unused_result));
/*
 * Open a NODE packet: the body's length (body points into pt), the sender's
 * slot and kind; -1 if it is malformed, forged, replayed or out of time
 * (counted).
 */
ssize_t	nodemsg_open(struct nodemsg *, uint64_t now_ms, const uint8_t *pkt,
	    size_t len, uint8_t *pt, size_t cap, uint8_t *slot, uint8_t *kind,
	    const uint8_t **body) __attribute__((warn_unused_result));

#endif /* P2P_NODEMSG_H */
