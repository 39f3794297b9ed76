/* SPDX-License-Identifier: ISC */
/*
 * fuzz_chan.c: chan_open on arbitrary bytes, and on validly sealed packets
 * with fuzzer-chosen mutations (so the fuzzer gets past the tag check too:
 * the first byte picks the mode).
 *
 * Mode 0: the input (after the mode byte) is a packet.
 * Mode 1: the input is "type | pos | xor | plaintext": the plaintext is
 *         sealed, byte pos of the packet is xored with xor (0: untouched),
 *         the packet is opened twice (the second time must be a replay).
 * Mode 2: the input is a RELAY_MAC packet (chan_open_mac).
 * Mode 3: as mode 1 with chan_seal_mac / chan_open_mac: a change to a byte
 *         the tag covers (chan_mac_ad) must be refused, elsewhere in the
 *         body it must pass (the end-to-end packet inside checks it).
 */
#include <stdlib.h>
#include <string.h>

#include "chan.h"

static const uint8_t k1[32] = { 1 }, k2[32] = { 2 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[70000], pt[70000];
	struct chan tx, rx;
	uint64_t ctr;
	ssize_t n, m;
	size_t pos;

	if (size < 1 || size > 65536)
		return 0;
	if (chan_init(&tx, AEAD_CHACHAPOLY, k1, k2, 9) != 0 ||
	    chan_init(&rx, AEAD_CHACHAPOLY, k2, k1, 9) != 0)
		abort();
	if (data[0] % 4 == 2) {
		if (chan_open_mac(&rx, 0x5c, data + 1, size - 1, &ctr) >= 0)
			abort();
		goto out;
	}
	if (data[0] % 4 == 3) {
		size_t len, head, tail;

		if (size < 4)
			goto out;
		len = size - 4;
		n = chan_seal_mac(&tx, 0x5c, data + 4, len, pkt, sizeof pkt);
		if (n < 0 || memcmp(pkt + CHAN_HDR_LEN, data + 4, len) != 0)
			abort();
		pos = data[2] % (size_t)n;
		pkt[pos] ^= data[3];
		m = chan_open_mac(&rx, 0x5c, pkt, (size_t)n, &ctr);
		head = CHAN_HDR_LEN + (len < CHAN_MAC_HEAD ? len :
		    CHAN_MAC_HEAD);
		tail = CHAN_HDR_LEN + len - (len < CHAN_MAC_TAIL ? len :
		    CHAN_MAC_TAIL);
		if (data[3] == 0 || (pos >= head && pos < tail)) {
			if (m != (ssize_t)len || ctr != 0)
				abort();
			if (chan_open_mac(&rx, 0x5c, pkt, (size_t)n, &ctr) !=
			    -1)
				abort();	/* replay accepted */
		} else if (m >= 0)
			abort();	/* a covered byte changed, accepted */
		goto out;
	}
	if (data[0] % 2 == 0) {
		m = chan_open(&rx, 0x55, data + 1, size - 1, pt, sizeof pt,
		    &ctr);
		if (m >= 0)
			abort();	/* nobody else has the key */
		goto out;
	}
	if (size < 4)
		goto out;
	n = chan_seal(&tx, data[1], data + 4, size - 4, pkt, sizeof pkt);
	if (n < 0)
		abort();
	pos = data[2] % (size_t)n;
	pkt[pos] ^= data[3];
	m = chan_open(&rx, data[1], pkt, (size_t)n, pt, sizeof pt, &ctr);
	if (data[3] == 0) {
		if (m != (ssize_t)(size - 4) || ctr != 0 ||
		    memcmp(pt, data + 4, size - 4) != 0)
			abort();
		if (chan_open(&rx, data[1], pkt, (size_t)n, pt, sizeof pt,
		    &ctr) != -1)
			abort();	/* replay accepted */
	} else if (m >= 0)
		abort();		/* tampered packet accepted */
out:
	chan_wipe(&tx);
	chan_wipe(&rx);
	return 0;
}
