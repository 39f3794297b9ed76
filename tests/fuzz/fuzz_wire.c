/* SPDX-License-Identifier: ISC */
/*
 * fuzz_wire.c: wire_classify() and every wire_*_parse() on arbitrary bytes.
 * A packet classified as P2P must be long enough for its type, and one
 * answered with VERSION_ERROR at least as long as the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t		type, ver, k1[32], ks[WIRE_CHALLENGE_KEYS][32], b;
	uint8_t		cookie[WIRE_COOKIE_LEN], id[WIRE_KEY_ID_LEN];
	uint32_t	u1, u2;
	unsigned	nk;
	uint64_t	c;
	uint8_t		*p;

	/* a copy of exactly len bytes so that overreads are caught */
	if ((p = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(p, data, len);
	switch (wire_classify(p, len, &type, &ver)) {
	case WIRE_CLASS_P2P:
		if (len < wire_min_len(type))
			abort();
		break;
	case WIRE_CLASS_BAD_VERSION:
		/* the VERSION_ERROR answer must not be larger */
		if (len < WIRE_VERSION_ERROR_LEN || ver == WIRE_VERSION)
			abort();
		break;
	default:
		break;
	}
	(void)wire_type_name(len > 0 ? p[0] : 0);
	(void)wire_hello_parse(p, len, k1);
	if (wire_challenge_parse(p, len, cookie, ks, &nk) == 0 &&
	    (nk > WIRE_CHALLENGE_KEYS || len > WIRE_CHALLENGE_MAX))
		abort();
	(void)wire_reg_init_hdr_parse(p, len, id, cookie);
	(void)wire_reg_accept_hdr_parse(p, len);
	(void)wire_unknown_reg_parse(p, len, &u1);
	(void)wire_version_error_parse(p, len, &ver, &b);
	(void)wire_ctrl_hdr_parse(p, len, &u1, &c);
	(void)wire_data_hdr_parse(p, len, &u1, &c);
	(void)wire_hs_init_hdr_parse(p, len, &b, &u1);
	(void)wire_hs_resp_hdr_parse(p, len, &u1, &u2);
	(void)p2p_name_valid_len((const char *)p, len);
	free(p);
	return 0;
}
