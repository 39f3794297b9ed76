/* SPDX-License-Identifier: ISC */
/*
 * fuzz_reghs.c: the registration handshake's parsers on arbitrary bytes
 * (PROTOCOL.md §2.1).
 *
 * The first byte picks the mode: 0 mod 3, the rest is a REG_INIT for the
 * server key of the test vector (peeked at, read, and answered if it
 * opens, as the server does); 1, it is a REG_ACCEPT for the vector's agent
 * handshake (which must stay usable after a failure); 2, a REG_CHALLENGE.
 * The seeds are the vector's packets.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "reghs.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t s_sk[32], s_pk[32], e_sk[32];

static void
fuzz_reghs_setup(void)
{
	static int done;
	size_t i;

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	for (i = 0; i < 32; i++) {
		s_sk[i] = (uint8_t)i;
		e_sk[i] = (uint8_t)(0x20 + i);
	}
	crypto_scalarmult_base(s_pk, s_sk);
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reghs st, copy;
	struct reghs_keys k;
	uint8_t pt[2048], out[2100], id[4], cookie[16], e[32];
	uint8_t keys[WIRE_CHALLENGE_KEYS][32];
	unsigned nkeys;
	size_t plen;
	int n;

	fuzz_reghs_setup();
	if (size < 1 || size > 4096)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (reghs_init_peek(data + 1, size - 1, id, cookie, e) == 0 &&
		    memcmp(e, data + 1 + WIRE_REG_INIT_HDR_LEN, 32) != 0)
			abort();
		if (reghs_init_read(&st, s_sk, data + 1, size - 1, pt,
		    sizeof(pt), &plen) == 0) {
			if (plen > size)
				abort();
			n = reghs_accept_write(&st, NULL, pt, plen > 512 ? 512 :
			    plen, out, sizeof(out), &k);
			if (n < 0)
				abort();
		}
		reghs_wipe(&st);
		break;
	case 1:
		if (reghs_client_start(&st, s_pk, e_sk) != 0)
			abort();
		n = reghs_init_write(&st, cookie, (const uint8_t *)"x", 1,
		    out, sizeof(out));
		if (n < 0)
			abort();
		copy = st;
		if (reghs_accept_read(&st, data + 1, size - 1, pt, sizeof(pt),
		    &plen, &k) == 0 && plen > size)
			abort();
		/* A failed read must leave the state as it was. */
		if (memcmp(&copy, &st, sizeof(st)) != 0)
			abort();
		reghs_wipe(&st);
		reghs_wipe(&copy);
		break;
	default:
		if (wire_challenge_parse(data + 1, size - 1, cookie, keys,
		    &nkeys) == 0 && (nkeys > WIRE_CHALLENGE_KEYS ||
		    size - 1 != WIRE_CHALLENGE_MIN + 32 * (size_t)nkeys))
			abort();
		break;
	}
	return 0;
}
