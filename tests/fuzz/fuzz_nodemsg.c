/* SPDX-License-Identifier: ISC */
/*
 * fuzz_nodemsg.c: nodemsg_open() on arbitrary packets, as a node's UDP port
 * receives them; the first byte picks the receiver's clock offset. Now and
 * then a sealed packet from a node of the same cluster is mutated instead.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nodemsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct nodemsg rx, tx;
	static int ready;
	static const uint8_t ck[32] = "fuzzing cluster key, 32 bytes..";
	uint8_t pkt[2048], pt[2048], slot, kind;
	const uint8_t *body;
	uint64_t now = 1800000000000ULL;
	ssize_t n;

	if (!ready) {
		if (nodemsg_init(&rx, ck, sizeof(ck), 1, 1) != 0 ||
		    nodemsg_init(&tx, ck, sizeof(ck), 2, 1) != 0)
			abort();
		ready = 1;
	}
	if (len == 0 || len > sizeof(pkt))
		return 0;
	now += (uint64_t)data[0] * 1000;
	if (data[0] & 1 && len > 1) {
		/* Bit 1 of data[0]: AES-256-GCM where the CPU has it. */
		n = nodemsg_seal(&tx, now, data[1], data[0] & 2 && tx.aes ?
		    NODEMSG_AES : NODEMSG_CHACHA, data + 1, len - 1, pkt,
		    sizeof(pkt));
		if (n < 0)
			return 0;
		pkt[(size_t)data[len - 1] % (size_t)n] ^= data[0] >> 1;
	} else {
		memcpy(pkt, data, len);
		n = (ssize_t)len;
	}
	n = nodemsg_open(&rx, now, pkt, (size_t)n, pt, sizeof(pt), &slot,
	    &kind, &body);
	if (n >= 0 && (slot == 0 || slot == 1 || body < pt ||
	    body + n > pt + sizeof(pt)))
		abort();
	return 0;
}
