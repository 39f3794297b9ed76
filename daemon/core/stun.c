/* SPDX-License-Identifier: ISC */
/*
 * stun.c: the STUN codec (RFC 8489, RFC 5780 attributes). See stun.h.
 */
#include <string.h>

#include "buf.h"
#include "crc32.h"
#include "stun.h"

#define STUN_FAMILY_IPV4	0x01
#define STUN_FAMILY_IPV6	0x02
#define STUN_FP_ATTR_LEN	8	/* FINGERPRINT TLV: 4 + 4 */
#define STUN_REASON_420		"Unknown Attribute"

static const uint8_t stun_v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

int
stun_is_stun(const uint8_t *pkt, size_t len)
{
	if (pkt == NULL || len < STUN_HDR_LEN || (pkt[0] & 0xc0) != 0)
		return 0;
	return pkt[4] == 0x21 && pkt[5] == 0x12 && pkt[6] == 0xa4 &&
	    pkt[7] == 0x42;
}

/* Attributes we understand (or knowingly ignore) below 0x8000. */
static int
stun_attr_known(uint16_t t)
{
	switch (t) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_CHANGE_REQUEST:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case 0x001C:	/* MESSAGE-INTEGRITY-SHA256: ignored, no auth */
	case 0x001D:	/* PASSWORD-ALGORITHM */
	case 0x001E:	/* USERHASH */
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
		return 1;
	}
	return 0;
}

/* ::ffff:a.b.c.d becomes a.b.c.d; everything else is left alone. */
static void
stun_addr_norm(struct sockaddr_storage *ss)
{
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in	 s4;

	if (ss->ss_family != AF_INET6 ||
	    memcmp(s6->sin6_addr.s6_addr, stun_v4mapped_prefix, 12) != 0)
		return;
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = s6->sin6_port;
	memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

/*
 * Decode a (XOR-)MAPPED-ADDRESS style value. xor is NULL for the plain
 * form, else the 16 bytes cookie || txid.
 */
static int
stun_addr_decode(const uint8_t *v, size_t len, const uint8_t *xor,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in	*s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)ss;
	struct rd		 r;
	uint8_t			 fam, a[16];
	uint16_t		 port;
	size_t			 alen, i;

	rd_init(&r, v, len);
	(void)rd_u8(&r);
	fam = rd_u8(&r);
	port = rd_u16(&r);
	alen = fam == STUN_FAMILY_IPV4 ? 4 : fam == STUN_FAMILY_IPV6 ? 16 : 0;
	if (r.err || alen == 0 || rd_left(&r) != alen ||
	    rd_copy(&r, a, alen) == -1)
		return -1;
	if (xor != NULL) {
		port ^= (uint16_t)(STUN_COOKIE >> 16);
		for (i = 0; i < alen; i++)
			a[i] ^= xor[i];
	}
	memset(ss, 0, sizeof(*ss));
	if (alen == 4) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, a, 4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(s6->sin6_addr.s6_addr, a, 16);
	}
	stun_addr_norm(ss);
	return 0;
}

static int
stun_error_decode(const uint8_t *v, size_t len, uint16_t *code)
{
	unsigned	cls, num;

	/* 4 bytes + a reason phrase of at most 763 bytes (RFC 8489 §14.8) */
	if (len < 4 || len > 4 + 763)
		return -1;
	cls = v[2] & 0x07;
	num = v[3];
	if (cls < 3 || cls > 6 || num > 99)
		return -1;
	*code = (uint16_t)(cls * 100 + num);
	return 0;
}

static void
stun_note_unknown(struct stun_msg *m, uint16_t t)
{
	unsigned	i;

	for (i = 0; i < m->nunknown; i++)
		if (m->unknown[i] == t)
			return;
	if (m->nunknown < STUN_MAX_UNKNOWN)
		m->unknown[m->nunknown++] = t;
	else
		m->unknown_overflow = 1;
}

/* One attribute; off is its offset from the message start. */
static int
stun_attr(struct stun_msg *m, const uint8_t *pkt, size_t off, uint16_t t,
    const uint8_t *v, uint16_t len, const uint8_t *xor)
{
	struct sockaddr_storage	ss;
	uint32_t		fp;

	switch (t) {
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
		if (stun_addr_decode(v, len, xor, &ss) == -1)
			return -1;
		if (!(m->has & STUN_HAS_XOR_MAPPED))
			m->mapped = ss;
		m->has |= STUN_HAS_XOR_MAPPED;
		break;
	case STUN_ATTR_MAPPED_ADDRESS:
		if (stun_addr_decode(v, len, NULL, &ss) == -1)
			return -1;
		if (!(m->has & (STUN_HAS_MAPPED | STUN_HAS_XOR_MAPPED)))
			m->mapped = ss;
		m->has |= STUN_HAS_MAPPED;
		break;
	case STUN_ATTR_OTHER_ADDRESS:
	case STUN_ATTR_RESPONSE_ORIGIN:
		if (stun_addr_decode(v, len, NULL, &ss) == -1)
			return -1;
		if (t == STUN_ATTR_OTHER_ADDRESS) {
			m->other = ss;
			m->has |= STUN_HAS_OTHER;
		} else {
			m->origin = ss;
			m->has |= STUN_HAS_ORIGIN;
		}
		break;
	case STUN_ATTR_RESPONSE_PORT:
		/* a port and two bytes of padding (RFC 5780 §7.5) */
		if (len != 4)
			return -1;
		m->response_port = (uint16_t)((v[0] << 8) | v[1]);
		m->has |= STUN_HAS_RESPONSE_PORT;
		break;
	case STUN_ATTR_CHANGE_REQUEST:
		if (len != 4)
			return -1;
		m->change = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) |
		    ((uint32_t)v[2] << 8) | v[3];
		m->has |= STUN_HAS_CHANGE;
		break;
	case STUN_ATTR_ERROR_CODE:
		if (stun_error_decode(v, len, &m->error_code) == -1)
			return -1;
		m->has |= STUN_HAS_ERROR;
		break;
	case STUN_ATTR_MESSAGE_INTEGRITY:
		if (len != 20)
			return -1;
		m->has |= STUN_HAS_INTEGRITY;
		break;
	case STUN_ATTR_FINGERPRINT:
		if (len != 4)
			return -1;
		fp = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) |
		    ((uint32_t)v[2] << 8) | v[3];
		if ((crc32_ieee(pkt, off) ^ STUN_FINGERPRINT_XOR) != fp)
			return -1;
		m->has |= STUN_HAS_FINGERPRINT;
		break;
	default:
		if (t < 0x8000 && !stun_attr_known(t))
			stun_note_unknown(m, t);
		break;
	}
	return 0;
}

int
stun_parse(const uint8_t *pkt, size_t len, struct stun_msg *m)
{
	struct rd	 r;
	const uint8_t	*v;
	uint8_t		 xor[16];
	uint16_t	 t, alen;
	size_t		 off, pad;

	if (!stun_is_stun(pkt, len))
		return -1;
	memset(m, 0, sizeof(*m));
	rd_init(&r, pkt, len);
	m->type = rd_u16(&r);
	m->length = rd_u16(&r);
	(void)rd_u32(&r);
	(void)rd_copy(&r, m->txid, STUN_TXID_LEN);
	if (r.err || m->length % 4 != 0 ||
	    (size_t)m->length != len - STUN_HDR_LEN)
		return -1;
	xor[0] = 0x21; xor[1] = 0x12; xor[2] = 0xa4; xor[3] = 0x42;
	memcpy(xor + 4, m->txid, STUN_TXID_LEN);

	while (rd_left(&r) > 0) {
		/* FINGERPRINT must be the last attribute. */
		if (m->has & STUN_HAS_FINGERPRINT)
			return -1;
		off = r.off;
		t = rd_u16(&r);
		alen = rd_u16(&r);
		v = rd_bytes(&r, alen);
		pad = (4 - alen % 4) % 4;
		(void)rd_bytes(&r, pad);
		if (r.err)
			return -1;
		/*
		 * After MESSAGE-INTEGRITY only FINGERPRINT counts
		 * (RFC 8489 §14.5); the rest is ignored.
		 */
		if ((m->has & STUN_HAS_INTEGRITY) && t != STUN_ATTR_FINGERPRINT)
			continue;
		if (stun_attr(m, pkt, off, t, v, alen, xor) == -1)
			return -1;
	}
	return 0;
}

/* Message builder: header now, length patched and FINGERPRINT added at the end. */
static void
stun_begin(struct wr *w, uint8_t *out, size_t cap, uint16_t type,
    const uint8_t txid[STUN_TXID_LEN])
{
	wr_init(w, out, cap);
	wr_u16(w, type);
	wr_u16(w, 0);
	wr_u32(w, STUN_COOKIE);
	wr_bytes(w, txid, STUN_TXID_LEN);
}

static void
stun_attr_begin(struct wr *w, uint16_t type, uint16_t len)
{
	wr_u16(w, type);
	wr_u16(w, len);
}

static void
stun_pad(struct wr *w, size_t len)
{
	static const uint8_t zero[3];

	wr_bytes(w, zero, (4 - len % 4) % 4);
}

static size_t
stun_finish(struct wr *w)
{
	size_t		body;

	if (w->err || wr_left(w) < STUN_FP_ATTR_LEN)
		return 0;
	body = w->off - STUN_HDR_LEN + STUN_FP_ATTR_LEN;
	if (body > 0xffff)
		return 0;
	w->p[2] = (uint8_t)(body >> 8);
	w->p[3] = (uint8_t)body;
	stun_attr_begin(w, STUN_ATTR_FINGERPRINT, 4);
	wr_u32(w, crc32_ieee(w->p, w->off - 4) ^ STUN_FINGERPRINT_XOR);
	return w->err ? 0 : w->off;
}

/* (XOR-)MAPPED-ADDRESS style attribute; xor NULL for the plain form. */
static int
stun_put_addr(struct wr *w, uint16_t type, const struct sockaddr *sa,
    const uint8_t *xor)
{
	struct sockaddr_storage	 ss;
	const uint8_t		*a;
	uint8_t			 b[16];
	uint16_t		 port;
	size_t			 alen, i;

	memset(&ss, 0, sizeof(ss));
	if (sa->sa_family == AF_INET)
		memcpy(&ss, sa, sizeof(struct sockaddr_in));
	else if (sa->sa_family == AF_INET6)
		memcpy(&ss, sa, sizeof(struct sockaddr_in6));
	else
		return -1;
	stun_addr_norm(&ss);
	if (ss.ss_family == AF_INET) {
		alen = 4;
		a = (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr;
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else {
		alen = 16;
		a = ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	memcpy(b, a, alen);
	if (xor != NULL) {
		port ^= (uint16_t)(STUN_COOKIE >> 16);
		for (i = 0; i < alen; i++)
			b[i] ^= xor[i];
	}
	stun_attr_begin(w, type, (uint16_t)(4 + alen));
	wr_u8(w, 0);
	wr_u8(w, alen == 4 ? STUN_FAMILY_IPV4 : STUN_FAMILY_IPV6);
	wr_u16(w, port);
	wr_bytes(w, b, alen);
	return 0;
}

size_t
stun_build_binding_request_change(uint8_t *out, size_t cap,
    const uint8_t txid[STUN_TXID_LEN], uint32_t change_flags)
{
	struct wr	w;

	stun_begin(&w, out, cap, STUN_BINDING_REQUEST, txid);
	if (change_flags != 0) {
		stun_attr_begin(&w, STUN_ATTR_CHANGE_REQUEST, 4);
		wr_u32(&w, change_flags);
	}
	return stun_finish(&w);
}

size_t
stun_build_binding_request(uint8_t *out, size_t cap,
    const uint8_t txid[STUN_TXID_LEN])
{
	return stun_build_binding_request_change(out, cap, txid, 0);
}

size_t
stun_build_binding_success(uint8_t *out, size_t cap,
    const uint8_t txid[STUN_TXID_LEN], const struct sockaddr *mapped,
    const struct stun_reply_opts *opts)
{
	struct wr	w;
	uint8_t		xor[16];

	xor[0] = 0x21; xor[1] = 0x12; xor[2] = 0xa4; xor[3] = 0x42;
	memcpy(xor + 4, txid, STUN_TXID_LEN);
	stun_begin(&w, out, cap, STUN_BINDING_SUCCESS, txid);
	if (stun_put_addr(&w, STUN_ATTR_XOR_MAPPED_ADDRESS, mapped, xor) == -1)
		return 0;
	if (opts != NULL && opts->origin != NULL &&
	    stun_put_addr(&w, STUN_ATTR_RESPONSE_ORIGIN, opts->origin,
	    NULL) == -1)
		return 0;
	if (opts != NULL && opts->other != NULL &&
	    stun_put_addr(&w, STUN_ATTR_OTHER_ADDRESS, opts->other,
	    NULL) == -1)
		return 0;
	return stun_finish(&w);
}

size_t
stun_build_binding_error(uint8_t *out, size_t cap,
    const uint8_t txid[STUN_TXID_LEN], uint16_t code, const char *reason,
    const uint16_t *unknown, unsigned nunknown)
{
	struct wr	w;
	size_t		rlen;
	unsigned	i;

	if (code < 300 || code > 699 || nunknown > STUN_MAX_UNKNOWN)
		return 0;
	rlen = reason != NULL ? strnlen(reason, 128) : 0;
	if (rlen >= 128)
		return 0;
	stun_begin(&w, out, cap, STUN_BINDING_ERROR, txid);
	stun_attr_begin(&w, STUN_ATTR_ERROR_CODE, (uint16_t)(4 + rlen));
	wr_u16(&w, 0);
	wr_u8(&w, (uint8_t)(code / 100));
	wr_u8(&w, (uint8_t)(code % 100));
	wr_bytes(&w, reason, rlen);
	stun_pad(&w, rlen);
	if (nunknown > 0) {
		stun_attr_begin(&w, STUN_ATTR_UNKNOWN_ATTRIBUTES,
		    (uint16_t)(2 * nunknown));
		for (i = 0; i < nunknown; i++)
			wr_u16(&w, unknown[i]);
		stun_pad(&w, 2 * nunknown);
	}
	return stun_finish(&w);
}

size_t
stun_server_reply_opts(const uint8_t *req, size_t len,
    const struct sockaddr *from, const struct stun_reply_opts *opts,
    uint8_t *out, size_t cap)
{
	struct stun_msg	m;
	uint16_t	list[STUN_MAX_UNKNOWN];
	unsigned	n;

	if (from == NULL || (from->sa_family != AF_INET &&
	    from->sa_family != AF_INET6))
		return 0;
	if (stun_parse(req, len, &m) == -1 || m.type != STUN_BINDING_REQUEST)
		return 0;
	memcpy(list, m.unknown, m.nunknown * sizeof(list[0]));
	n = m.nunknown;
	/*
	 * RFC 5780 §6.1: without an alternate address CHANGE-REQUEST and
	 * RESPONSE-PORT cannot be honoured, and the answer is 420 so the
	 * client knows.
	 */
	if (opts == NULL || opts->other == NULL) {
		if ((m.has & STUN_HAS_CHANGE) && n < STUN_MAX_UNKNOWN)
			list[n++] = STUN_ATTR_CHANGE_REQUEST;
		if ((m.has & STUN_HAS_RESPONSE_PORT) && n < STUN_MAX_UNKNOWN)
			list[n++] = STUN_ATTR_RESPONSE_PORT;
	}
	if (n > 0)
		return stun_build_binding_error(out, cap, m.txid, 420,
		    STUN_REASON_420, list, n);
	return stun_build_binding_success(out, cap, m.txid, from, opts);
}

size_t
stun_server_reply(const uint8_t *req, size_t len, const struct sockaddr *from,
    uint8_t *out, size_t cap)
{
	return stun_server_reply_opts(req, len, from, NULL, out, cap);
}

int
stun_parse_binding_success(const uint8_t *pkt, size_t len,
    const uint8_t txid[STUN_TXID_LEN], struct sockaddr_storage *mapped)
{
	struct stun_msg	m;

	if (stun_parse(pkt, len, &m) == -1 || m.type != STUN_BINDING_SUCCESS)
		return -1;
	if (memcmp(m.txid, txid, STUN_TXID_LEN) != 0)
		return -1;
	if (!(m.has & (STUN_HAS_XOR_MAPPED | STUN_HAS_MAPPED)))
		return -1;
	*mapped = m.mapped;
	return 0;
}
