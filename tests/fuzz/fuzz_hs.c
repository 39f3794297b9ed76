/* SPDX-License-Identifier: ISC */
/*
 * fuzz_hs.c: hs_read_init and hs_finish on arbitrary bytes.
 *
 * The first byte picks the mode (mod 3): 0, the rest is an HS_INIT for a
 * fixed responder identity (answered with hs_respond if it authenticates);
 * 1, a handshake to that identity is started and the rest is fed to
 * hs_finish as the HS_RESP; 2, the rest is a COOKIE_REPLY to that
 * handshake's HS_INIT (hs_cookie_reply_open and hs_cookie_take). Mode 0
 * first passes the HS_INIT through a responder's load guard that is under
 * load (hs_cookie.c) and builds the COOKIE_REPLY it asks for: never
 * larger than the HS_INIT. The seeds hold valid packets.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hs.h"
#include "hs_cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hs_identity self, peer;
static struct hs_guard guard;
static uint64_t now_us = 1;

static void
fuzz_hs_setup(void)
{
	static int done;
	uint8_t seed[32], pk[32], sk[64];

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	/* Fixed identities, so that saved seeds stay valid. */
	memset(seed, 0x11, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	if (hs_identity_from_ed25519(&self, sk) != 0)
		abort();
	memset(seed, 0x22, sizeof seed);
	crypto_sign_seed_keypair(pk, sk, seed);
	if (hs_identity_from_ed25519(&peer, sk) != 0)
		abort();
	hs_guard_init(&guard, self.x_pk, 1);	/* under load from the second packet */
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hs hs;
	struct hs_init_info info;
	struct hs_result res;
	uint8_t out[512];
	size_t outlen;

	fuzz_hs_setup();
	if (size < 1)
		return 0;
	if (data[0] % 3 == 2) {
		uint8_t cookie[HS_COOKIE_LEN];

		if (hs_initiate(&hs, &peer, self.ed_pk, AEAD_CHACHAPOLY, 5,
		    "fuzz", 1, out, sizeof out, &outlen) != 0)
			abort();
		/* Its nonce is random: only the responder could make one. */
		if (hs_cookie_reply_open(data + 1, size - 1, out, outlen,
		    self.x_pk, cookie) == 0)
			abort();
		{
			struct hs_cookie ck;

			memset(&ck, 0, sizeof(ck));
			if (hs_cookie_take(&ck, &hs, data + 1, size - 1,
			    self.x_pk, 1) == 0)
				abort();
		}
	} else if (data[0] % 3 == 0) {
		/* The responder is "self"; initiations come from "peer". */
		static const uint8_t addr[7] = { 4, 192, 0, 2, 1, 0, 80 };
		int n;

		switch (hs_guard_check(&guard, data + 1, size - 1,
		    addr, sizeof(addr), now_us++)) {
		case HS_VERDICT_COOKIE:
			n = hs_guard_cookie_reply(&guard, data + 1,
			    size - 1, addr, sizeof(addr), now_us, out,
			    sizeof(out));
			if (n != HS_COOKIE_REPLY_LEN || (size_t)n >= size - 1)
				abort();
			break;
		default:
			break;
		}
		if (hs_read_init(&hs, &self, data + 1, size - 1, &info) == 0) {
			if (info.peer_id[0] == '\0' ||
			    strlen(info.peer_id) > HS_PEER_ID_MAX)
				abort();
			if (hs_respond(&hs, 77, out, sizeof out, &outlen,
			    &res) != 0 || outlen != HS_RESP_LEN)
				abort();
		}
	} else {
		if (hs_initiate(&hs, &peer, self.ed_pk, AEAD_CHACHAPOLY, 5,
		    "fuzz", 1, out, sizeof out, &outlen) != 0)
			abort();
		/* A fresh ephemeral: nothing but the real peer can answer. */
		if (hs_finish(&hs, data + 1, size - 1, &res) == 0)
			abort();
	}
	hs_wipe(&hs);
	sodium_memzero(&res, sizeof res);
	return 0;
}
