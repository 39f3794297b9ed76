/* SPDX-License-Identifier: ISC */
/*
 * wire.c: datagram classification and the clear headers of p2pd packets
 * (docs/PROTOCOL.md §1, §2). See wire.h for the contract.
 */
#include <string.h>

#include "buf.h"
#include "stun.h"
#include "wire.h"

/* Noise IK sizes, for the minimum lengths of HS_INIT and HS_RESP. */
#define NOISE_DH_LEN	32
#define NOISE_TAG_LEN	16

size_t
wire_min_len(uint8_t type)
{
	switch (type) {
	case WIRE_REG_HELLO:
		return WIRE_HELLO_LEN;
	case WIRE_REG_CHALLENGE:
		return WIRE_CHALLENGE_MIN;
	case WIRE_REG_INIT:
		/* e and the payload's tag at least */
		return WIRE_REG_INIT_HDR_LEN + NOISE_DH_LEN + NOISE_TAG_LEN;
	case WIRE_REG_ACCEPT:
		return WIRE_REG_ACCEPT_HDR_LEN + NOISE_DH_LEN + NOISE_TAG_LEN;
	case WIRE_CTRL:
		return WIRE_CTRL_HDR_LEN + WIRE_AEAD_TAG_LEN;
	case WIRE_RELAY:
	case WIRE_RELAY_MAC:
		return WIRE_CTRL_HDR_LEN + WIRE_RELAY_ID_LEN +
		    WIRE_AEAD_TAG_LEN;
	case WIRE_HS_INIT:
		/* e, encrypted s, encrypted payload (at least its tag), macs */
		return WIRE_HS_INIT_HDR_LEN + NOISE_DH_LEN +
		    NOISE_DH_LEN + NOISE_TAG_LEN + NOISE_TAG_LEN +
		    2 * WIRE_MAC_LEN;
	case WIRE_COOKIE_REPLY:
		return WIRE_COOKIE_REPLY_LEN;
	case WIRE_HS_RESP:
		return WIRE_HS_RESP_HDR_LEN + NOISE_DH_LEN + NOISE_TAG_LEN;
	case WIRE_DATA:
		return WIRE_DATA_HDR_LEN + WIRE_AEAD_TAG_LEN;
	case WIRE_UNKNOWN_REG:
		return WIRE_UNKNOWN_REG_LEN;
	case WIRE_VERSION_ERROR:
		return WIRE_VERSION_ERROR_LEN;
	case WIRE_NODE:
		return WIRE_NODE_MIN_LEN;
	}
	return 0;
}

const char *
wire_type_name(uint8_t type)
{
	switch (type) {
	case WIRE_REG_HELLO:
		return "REG_HELLO";
	case WIRE_REG_CHALLENGE:
		return "REG_CHALLENGE";
	case WIRE_REG_INIT:
		return "REG_INIT";
	case WIRE_REG_ACCEPT:
		return "REG_ACCEPT";
	case WIRE_CTRL:
		return "CTRL";
	case WIRE_RELAY:
		return "RELAY";
	case WIRE_RELAY_MAC:
		return "RELAY_MAC";
	case WIRE_HS_INIT:
		return "HS_INIT";
	case WIRE_HS_RESP:
		return "HS_RESP";
	case WIRE_DATA:
		return "DATA";
	case WIRE_UNKNOWN_REG:
		return "UNKNOWN_REG";
	case WIRE_COOKIE_REPLY:
		return "COOKIE_REPLY";
	case WIRE_VERSION_ERROR:
		return "VERSION_ERROR";
	case WIRE_NODE:
		return "NODE";
	}
	return "UNKNOWN";
}

enum wire_dest
wire_agent_dest(const uint8_t *pkt, size_t len, uint8_t *type)
{
	uint8_t t = 0;

	switch (wire_classify(pkt, len, &t, NULL)) {
	case WIRE_CLASS_P2P:
		break;
	case WIRE_CLASS_BAD_VERSION:
		*type = t;
		return t == WIRE_VERSION_ERROR ? WIRE_DEST_SERVER :
		    WIRE_DEST_NONE;
	default:
		return WIRE_DEST_NONE;
	}
	*type = t;
	switch (t) {
	case WIRE_REG_CHALLENGE:
	case WIRE_REG_ACCEPT:
	case WIRE_CTRL:
	case WIRE_RELAY:
	case WIRE_RELAY_MAC:
	case WIRE_UNKNOWN_REG:
	case WIRE_VERSION_ERROR:
		return WIRE_DEST_SERVER;
	case WIRE_HS_INIT:
	case WIRE_HS_RESP:
	case WIRE_COOKIE_REPLY:
	case WIRE_DATA:
		return WIRE_DEST_PEER;
	}
	return WIRE_DEST_NONE;
}

enum wire_class
wire_classify(const uint8_t *pkt, size_t len, uint8_t *type, uint8_t *version)
{
	size_t	min;

	if (pkt == NULL || len == 0)
		return WIRE_CLASS_JUNK;
	if (stun_is_stun(pkt, len))
		return WIRE_CLASS_STUN;
	if (pkt[0] < 0x50 || pkt[0] > 0x5f || len < 2)
		return WIRE_CLASS_JUNK;
	if (type != NULL)
		*type = pkt[0];
	if (version != NULL)
		*version = pkt[1];
	/*
	 * Any version but ours is a mismatch, whatever the type (another
	 * version may have other types and sizes), as long as the 3-byte
	 * VERSION_ERROR answer is not larger than the packet. VERSION_ERROR
	 * itself carries the sender's version in byte 1: never a mismatch,
	 * so two peers cannot ping-pong errors.
	 */
	if (pkt[1] != WIRE_VERSION && pkt[0] != WIRE_VERSION_ERROR)
		return len >= WIRE_VERSION_ERROR_LEN ?
		    WIRE_CLASS_BAD_VERSION : WIRE_CLASS_JUNK;
	if ((min = wire_min_len(pkt[0])) == 0 || len < min)
		return WIRE_CLASS_JUNK;
	return WIRE_CLASS_P2P;
}

int
p2p_name_valid_len(const char *s, size_t len)
{
	size_t	i;
	char	c;

	if (s == NULL || len < 1 || len > P2P_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

int
p2p_name_valid(const char *s)
{
	if (s == NULL)
		return 0;
	return p2p_name_valid_len(s, strnlen(s, P2P_NAME_MAX + 1));
}

static void
wire_hdr_write(struct wr *w, uint8_t type, uint8_t b2)
{
	wr_u8(w, type);
	wr_u8(w, WIRE_VERSION);
	wr_u8(w, b2);
	wr_u8(w, 0);
}

/* Reads the 4-byte header; -1 unless type and version match. */
static int
wire_hdr_read(struct rd *r, uint8_t type, uint8_t *b2)
{
	uint8_t	t, v, x2;

	t = rd_u8(r);
	v = rd_u8(r);
	x2 = rd_u8(r);
	(void)rd_u8(r);
	if (r->err || t != type || v != WIRE_VERSION)
		return -1;
	if (b2 != NULL)
		*b2 = x2;
	return 0;
}

static int
wire_done(const struct wr *w)
{
	return w->err ? -1 : (int)w->off;
}

int
wire_hello_build(uint8_t *out, size_t cap, const uint8_t eph[32])
{
	struct wr	 w;
	uint8_t		*pad;

	wr_init(&w, out, cap);
	wire_hdr_write(&w, WIRE_REG_HELLO, 0);
	wr_bytes(&w, eph, WIRE_KEY_LEN);
	if ((pad = wr_reserve(&w, WIRE_HELLO_LEN - WIRE_HDR_LEN -
	    WIRE_KEY_LEN)) != NULL)
		memset(pad, 0, WIRE_HELLO_LEN - WIRE_HDR_LEN - WIRE_KEY_LEN);
	return wire_done(&w);
}

int
wire_hello_parse(const uint8_t *pkt, size_t len, uint8_t eph[32])
{
	struct rd	 r;
	const uint8_t	*k;

	/* Exactly 128: the padding is what keeps the reply smaller. */
	if (len != WIRE_HELLO_LEN)
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, WIRE_REG_HELLO, NULL) == -1)
		return -1;
	if ((k = rd_bytes(&r, WIRE_KEY_LEN)) == NULL)
		return -1;
	memcpy(eph, k, WIRE_KEY_LEN);
	return 0;
}

int
wire_challenge_build(uint8_t *out, size_t cap,
    const uint8_t cookie[WIRE_COOKIE_LEN], const uint8_t *keys, unsigned nkeys)
{
	struct wr	w;

	if (nkeys > WIRE_CHALLENGE_KEYS || (keys == NULL && nkeys > 0))
		return -1;
	wr_init(&w, out, cap);
	wire_hdr_write(&w, WIRE_REG_CHALLENGE, (uint8_t)nkeys);
	wr_bytes(&w, cookie, WIRE_COOKIE_LEN);
	if (nkeys > 0)
		wr_bytes(&w, keys, (size_t)nkeys * WIRE_KEY_LEN);
	return wire_done(&w);
}

int
wire_challenge_parse(const uint8_t *pkt, size_t len,
    uint8_t cookie[WIRE_COOKIE_LEN], uint8_t keys[WIRE_CHALLENGE_KEYS][32],
    unsigned *nkeys)
{
	struct rd	 r;
	const uint8_t	*c, *k;
	uint8_t		 n;

	if (len < WIRE_CHALLENGE_MIN || len > WIRE_CHALLENGE_MAX)
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, WIRE_REG_CHALLENGE, &n) == -1 ||
	    n > WIRE_CHALLENGE_KEYS ||
	    len != WIRE_CHALLENGE_MIN + (size_t)n * WIRE_KEY_LEN)
		return -1;
	c = rd_bytes(&r, WIRE_COOKIE_LEN);
	k = rd_bytes(&r, (size_t)n * WIRE_KEY_LEN);
	if (r.err || c == NULL || (n > 0 && k == NULL))
		return -1;
	memcpy(cookie, c, WIRE_COOKIE_LEN);
	if (n > 0)
		memcpy(keys, k, (size_t)n * WIRE_KEY_LEN);
	*nkeys = n;
	return 0;
}

int
wire_reg_init_hdr_build(uint8_t *out, size_t cap,
    const uint8_t key_id[WIRE_KEY_ID_LEN], const uint8_t cookie[WIRE_COOKIE_LEN])
{
	struct wr	w;

	wr_init(&w, out, cap);
	wire_hdr_write(&w, WIRE_REG_INIT, 0);
	wr_bytes(&w, key_id, WIRE_KEY_ID_LEN);
	wr_bytes(&w, cookie, WIRE_COOKIE_LEN);
	return wire_done(&w);
}

int
wire_reg_init_hdr_parse(const uint8_t *pkt, size_t len,
    uint8_t key_id[WIRE_KEY_ID_LEN], uint8_t cookie[WIRE_COOKIE_LEN])
{
	struct rd	 r;
	const uint8_t	*k, *c;

	if (len < wire_min_len(WIRE_REG_INIT))
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, WIRE_REG_INIT, NULL) == -1)
		return -1;
	k = rd_bytes(&r, WIRE_KEY_ID_LEN);
	c = rd_bytes(&r, WIRE_COOKIE_LEN);
	if (r.err || k == NULL || c == NULL)
		return -1;
	memcpy(key_id, k, WIRE_KEY_ID_LEN);
	memcpy(cookie, c, WIRE_COOKIE_LEN);
	return WIRE_REG_INIT_HDR_LEN;
}

int
wire_reg_accept_hdr_build(uint8_t *out, size_t cap)
{
	struct wr	w;

	wr_init(&w, out, cap);
	wire_hdr_write(&w, WIRE_REG_ACCEPT, 0);
	return wire_done(&w);
}

int
wire_reg_accept_hdr_parse(const uint8_t *pkt, size_t len)
{
	struct rd	r;

	if (len < wire_min_len(WIRE_REG_ACCEPT))
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, WIRE_REG_ACCEPT, NULL) == -1)
		return -1;
	return WIRE_REG_ACCEPT_HDR_LEN;
}

int
wire_unknown_reg_build(uint8_t *out, size_t cap, uint32_t reg_id)
{
	struct wr	w;

	wr_init(&w, out, cap);
	wire_hdr_write(&w, WIRE_UNKNOWN_REG, 0);
	wr_u32(&w, reg_id);
	return wire_done(&w);
}

int
wire_unknown_reg_parse(const uint8_t *pkt, size_t len, uint32_t *reg_id)
{
	struct rd	r;
	uint32_t	id;

	if (len != WIRE_UNKNOWN_REG_LEN)
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, WIRE_UNKNOWN_REG, NULL) == -1)
		return -1;
	id = rd_u32(&r);
	if (r.err)
		return -1;
	*reg_id = id;
	return 0;
}

int
wire_version_error_build(uint8_t *out, size_t cap, uint8_t received_version)
{
	struct wr	w;

	wr_init(&w, out, cap);
	wr_u8(&w, WIRE_VERSION_ERROR);
	wr_u8(&w, WIRE_VERSION);
	wr_u8(&w, received_version);
	return wire_done(&w);
}

int
wire_version_error_parse(const uint8_t *pkt, size_t len,
    uint8_t *server_version, uint8_t *received_version)
{
	/* Any server version is accepted here: reporting it is the point. */
	if (pkt == NULL || len != WIRE_VERSION_ERROR_LEN ||
	    pkt[0] != WIRE_VERSION_ERROR)
		return -1;
	*server_version = pkt[1];
	*received_version = pkt[2];
	return 0;
}

/* CTRL and DATA share one clear header: type, an index u32, a counter u64. */
static int
wire_ctr_hdr_build(uint8_t *out, size_t cap, uint8_t type, uint32_t idx,
    uint64_t counter)
{
	struct wr	w;

	wr_init(&w, out, cap);
	wire_hdr_write(&w, type, 0);
	wr_u32(&w, idx);
	wr_u64(&w, counter);
	return wire_done(&w);
}

static int
wire_ctr_hdr_parse(const uint8_t *pkt, size_t len, uint8_t type,
    uint32_t *idx, uint64_t *counter)
{
	struct rd	r;
	uint32_t	i;
	uint64_t	ctr;

	if (len < wire_min_len(type))
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, type, NULL) == -1)
		return -1;
	i = rd_u32(&r);
	ctr = rd_u64(&r);
	if (r.err)
		return -1;
	*idx = i;
	*counter = ctr;
	return (int)r.off;
}

int
wire_ctrl_hdr_build(uint8_t *out, size_t cap, uint32_t reg_id,
    uint64_t counter)
{
	return wire_ctr_hdr_build(out, cap, WIRE_CTRL, reg_id, counter);
}

int
wire_ctrl_hdr_parse(const uint8_t *pkt, size_t len, uint32_t *reg_id,
    uint64_t *counter)
{
	return wire_ctr_hdr_parse(pkt, len, WIRE_CTRL, reg_id, counter);
}

int
wire_data_hdr_build(uint8_t *out, size_t cap, uint32_t receiver_index,
    uint64_t counter)
{
	return wire_ctr_hdr_build(out, cap, WIRE_DATA, receiver_index, counter);
}

int
wire_data_hdr_parse(const uint8_t *pkt, size_t len, uint32_t *receiver_index,
    uint64_t *counter)
{
	return wire_ctr_hdr_parse(pkt, len, WIRE_DATA, receiver_index,
	    counter);
}

int
wire_hs_init_hdr_build(uint8_t *out, size_t cap, uint8_t cipher,
    uint32_t sender_index)
{
	struct wr	w;

	wr_init(&w, out, cap);
	wire_hdr_write(&w, WIRE_HS_INIT, cipher);
	wr_u32(&w, sender_index);
	return wire_done(&w);
}

int
wire_hs_init_hdr_parse(const uint8_t *pkt, size_t len, uint8_t *cipher,
    uint32_t *sender_index)
{
	struct rd	r;
	uint8_t		c;
	uint32_t	idx;

	if (len < wire_min_len(WIRE_HS_INIT))
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, WIRE_HS_INIT, &c) == -1)
		return -1;
	idx = rd_u32(&r);
	if (r.err)
		return -1;
	/* The cipher id is reported as is: the responder refuses what it cannot run. */
	*cipher = c;
	*sender_index = idx;
	return WIRE_HS_INIT_HDR_LEN;
}

int
wire_hs_resp_hdr_build(uint8_t *out, size_t cap, uint32_t sender_index,
    uint32_t receiver_index)
{
	struct wr	w;

	wr_init(&w, out, cap);
	wire_hdr_write(&w, WIRE_HS_RESP, 0);
	wr_u32(&w, sender_index);
	wr_u32(&w, receiver_index);
	return wire_done(&w);
}

int
wire_hs_resp_hdr_parse(const uint8_t *pkt, size_t len,
    uint32_t *sender_index, uint32_t *receiver_index)
{
	struct rd	r;
	uint32_t	s, rc;

	if (len < wire_min_len(WIRE_HS_RESP))
		return -1;
	rd_init(&r, pkt, len);
	if (wire_hdr_read(&r, WIRE_HS_RESP, NULL) == -1)
		return -1;
	s = rd_u32(&r);
	rc = rd_u32(&r);
	if (r.err)
		return -1;
	*sender_index = s;
	*receiver_index = rc;
	return WIRE_HS_RESP_HDR_LEN;
}
