/* SPDX-License-Identifier: ISC */
/*
 * pcp.c: NAT-PMP (RFC 6886) and PCP (RFC 6887) messages; see pcp.h.
 */
#include <arpa/inet.h>

#include <string.h>

#include "buf.h"
#include "pcp.h"

#define NATPMP_RESP		128	/* added to the opcode in an answer */
#define PCP_R_BIT		0x80
#define PCP_HDR_LEN		24
#define PCP_MAP_PAYLOAD		36
#define NATPMP_ERR_MIN		8	/* version, opcode, result, epoch */
#define NATPMP_ADDR_RESP_LEN	12
#define NATPMP_MAP_RESP_LEN	16
#define ROUTE_FIELDS		8

/* An IPv4 address as PCP carries it: IPv4-mapped IPv6 (RFC 6887 §5). */
static void
pcp_wr_ip(struct wr *w, uint32_t ip)
{
	static const uint8_t	mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	wr_bytes(w, mapped, sizeof(mapped));
	wr_u32(w, ip);
}

size_t
pcp_natpmp_addr_req(uint8_t *buf, size_t cap)
{
	struct wr	w;

	wr_init(&w, buf, cap);
	wr_u8(&w, PCP_V_NATPMP);
	wr_u8(&w, NATPMP_OP_ADDR);
	return w.err ? 0 : w.off;
}

size_t
pcp_natpmp_map_req(uint8_t *buf, size_t cap, uint16_t internal_port,
    uint16_t external_port, uint32_t lifetime)
{
	struct wr	w;

	wr_init(&w, buf, cap);
	wr_u8(&w, PCP_V_NATPMP);
	wr_u8(&w, NATPMP_OP_MAP_UDP);
	wr_u16(&w, 0);
	wr_u16(&w, internal_port);
	wr_u16(&w, external_port);
	wr_u32(&w, lifetime);
	return w.err ? 0 : w.off;
}

static void
pcp_wr_hdr(struct wr *w, int opcode, uint32_t lifetime, uint32_t client_ip)
{
	wr_u8(w, PCP_V_PCP);
	wr_u8(w, (uint8_t)opcode);
	wr_u16(w, 0);
	wr_u32(w, lifetime);
	pcp_wr_ip(w, client_ip);
}

size_t
pcp_announce_req(uint8_t *buf, size_t cap, uint32_t client_ip)
{
	struct wr	w;

	wr_init(&w, buf, cap);
	pcp_wr_hdr(&w, PCP_OP_ANNOUNCE, 0, client_ip);
	return w.err ? 0 : w.off;
}

size_t
pcp_map_req(uint8_t *buf, size_t cap, uint32_t client_ip,
    const uint8_t nonce[PCP_NONCE_LEN], uint16_t internal_port,
    uint16_t external_port, uint32_t external_ip, uint32_t lifetime)
{
	struct wr	w;

	wr_init(&w, buf, cap);
	pcp_wr_hdr(&w, PCP_OP_MAP, lifetime, client_ip);
	wr_bytes(&w, nonce, PCP_NONCE_LEN);
	wr_u8(&w, PCP_PROTO_UDP);
	wr_u8(&w, 0);
	wr_u16(&w, 0);
	wr_u16(&w, internal_port);
	wr_u16(&w, external_port);
	pcp_wr_ip(&w, external_ip);
	return w.err ? 0 : w.off;
}

static int
pcp_parse_natpmp(struct rd *r, size_t len, struct pcp_answer *a)
{
	int	op = rd_u8(r);

	if (op < NATPMP_RESP)
		return PCP_ERR_REQUEST;
	a->opcode = op - NATPMP_RESP;
	if (a->opcode != NATPMP_OP_ADDR && a->opcode != NATPMP_OP_MAP_UDP)
		return PCP_ERR_OPCODE;
	if (len < NATPMP_ERR_MIN || len > NATPMP_MAP_RESP_LEN)
		return PCP_ERR_LENGTH;
	a->result = rd_u16(r);
	a->epoch = rd_u32(r);
	if (a->result != PCP_RES_SUCCESS)
		return 0;	/* an error says no more */
	if (a->opcode == NATPMP_OP_ADDR) {
		if (len != NATPMP_ADDR_RESP_LEN)
			return PCP_ERR_LENGTH;
		a->external_ip = rd_u32(r);
		a->has_ip = 1;
	} else {
		if (len != NATPMP_MAP_RESP_LEN)
			return PCP_ERR_LENGTH;
		a->internal_port = rd_u16(r);
		a->external_port = rd_u16(r);
		a->lifetime = rd_u32(r);
	}
	return r->err ? PCP_ERR_LENGTH : 0;
}

/* An IPv4-mapped address, or a native IPv6 one (has_ip stays 0). */
static void
pcp_rd_ip(struct rd *r, struct pcp_answer *a)
{
	static const uint8_t	 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	const uint8_t		*q = rd_bytes(r, 12);
	uint32_t		 ip = rd_u32(r);

	if (q != NULL && memcmp(q, mapped, sizeof(mapped)) == 0) {
		a->external_ip = ip;
		a->has_ip = 1;
	}
}

/* Options: code, reserved, length, data padded to 4 bytes (RFC 6887 §7.3). */
static int
pcp_skip_options(struct rd *r)
{
	uint16_t	olen;

	while (rd_left(r) > 0) {
		(void)rd_u8(r);
		(void)rd_u8(r);
		olen = rd_u16(r);
		if (rd_bytes(r, ((size_t)olen + 3) & ~(size_t)3) == NULL)
			return PCP_ERR_OPTION;
	}
	return r->err ? PCP_ERR_OPTION : 0;
}

static int
pcp_parse_pcp(struct rd *r, size_t len, struct pcp_answer *a)
{
	int	op = rd_u8(r);

	if (len < PCP_HDR_LEN || len > PCP_MSG_MAX || len % 4 != 0)
		return PCP_ERR_LENGTH;
	if ((op & PCP_R_BIT) == 0)
		return PCP_ERR_REQUEST;
	a->opcode = op & ~PCP_R_BIT;
	if (a->opcode != PCP_OP_ANNOUNCE && a->opcode != PCP_OP_MAP)
		return PCP_ERR_OPCODE;
	(void)rd_u8(r);
	a->result = rd_u8(r);
	a->lifetime = rd_u32(r);
	a->epoch = rd_u32(r);
	(void)rd_bytes(r, 12);
	if (a->opcode == PCP_OP_MAP) {
		/* Error answers to MAP carry the request's payload too. */
		if (rd_left(r) < PCP_MAP_PAYLOAD)
			return PCP_ERR_LENGTH;
		(void)rd_copy(r, a->nonce, PCP_NONCE_LEN);
		a->protocol = rd_u8(r);
		(void)rd_bytes(r, 3);
		a->internal_port = rd_u16(r);
		a->external_port = rd_u16(r);
		pcp_rd_ip(r, a);
	}
	return pcp_skip_options(r);
}

int
pcp_parse(const uint8_t *p, size_t len, struct pcp_answer *a)
{
	struct rd	r;

	memset(a, 0, sizeof(*a));
	if (len < 2)
		return PCP_ERR_LENGTH;
	rd_init(&r, p, len);
	a->version = rd_u8(&r);
	if (a->version == PCP_V_NATPMP)
		return pcp_parse_natpmp(&r, len, a);
	if (a->version == PCP_V_PCP)
		return pcp_parse_pcp(&r, len, a);
	return PCP_ERR_VERSION;
}

const char *
pcp_result_str(int version, int result)
{
	static const char *const natpmp[] = { "SUCCESS", "UNSUPP_VERSION",
	    "NOT_AUTHORIZED", "NETWORK_FAILURE", "OUT_OF_RESOURCES",
	    "UNSUPP_OPCODE" };
	static const char *const pcp[] = { "SUCCESS", "UNSUPP_VERSION",
	    "NOT_AUTHORIZED", "MALFORMED_REQUEST", "UNSUPP_OPCODE",
	    "UNSUPP_OPTION", "MALFORMED_OPTION", "NETWORK_FAILURE",
	    "NO_RESOURCES", "UNSUPP_PROTOCOL", "USER_EX_QUOTA",
	    "CANNOT_PROVIDE_EXTERNAL", "ADDRESS_MISMATCH",
	    "EXCESSIVE_REMOTE_PEERS" };

	if (result < 0)
		return "UNKNOWN";
	if (version == PCP_V_NATPMP &&
	    (size_t)result < sizeof(natpmp) / sizeof(natpmp[0]))
		return natpmp[result];
	if (version == PCP_V_PCP &&
	    (size_t)result < sizeof(pcp) / sizeof(pcp[0]))
		return pcp[result];
	return "UNKNOWN";
}

const char *
pcp_err_str(int err)
{
	switch (err) {
	case PCP_ERR_LENGTH:	return "wrong length";
	case PCP_ERR_VERSION:	return "unknown version";
	case PCP_ERR_REQUEST:	return "a request, not an answer";
	case PCP_ERR_OPCODE:	return "unknown opcode";
	case PCP_ERR_OPTION:	return "options overrun the message";
	}
	return "unknown error";
}

int
pcp_addr_public(uint32_t ip)
{
	static const struct {
		uint32_t	net;
		int		bits;
	} reserved[] = {
		{ 0x00000000, 8 },	/* "this network" */
		{ 0x0a000000, 8 },	/* private */
		{ 0x64400000, 10 },	/* shared (carrier-grade NAT) */
		{ 0x7f000000, 8 },	/* loopback */
		{ 0xa9fe0000, 16 },	/* link-local */
		{ 0xac100000, 12 },	/* private */
		{ 0xc0000000, 24 },	/* IETF protocol assignments */
		{ 0xc0000200, 24 },	/* documentation */
		{ 0xc0586300, 24 },	/* 6to4 relay anycast */
		{ 0xc0a80000, 16 },	/* private */
		{ 0xc6120000, 15 },	/* benchmarking */
		{ 0xc6336400, 24 },	/* documentation */
		{ 0xcb007100, 24 },	/* documentation */
		{ 0xe0000000, 4 },	/* multicast */
		{ 0xf0000000, 4 },	/* reserved, broadcast */
	};
	size_t		i;
	uint32_t	mask;

	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		mask = 0xffffffffU << (32 - reserved[i].bits);
		if ((ip & mask) == reserved[i].net)
			return 0;
	}
	return 1;
}

/* One whitespace-separated field of [*p, end): its bounds, or -1. */
static int
pcp_field(const char **p, const char *end, const char **f, size_t *flen)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*f = *p;
	while (*p < end && **p != ' ' && **p != '\t' && **p != '\n')
		(*p)++;
	*flen = (size_t)(*p - *f);
	return *flen > 0 ? 0 : -1;
}

/* A hex (base 16) or decimal (base 10) number of at most 8 digits. */
static int
pcp_num(const char *f, size_t flen, int base, uint32_t *v)
{
	size_t	i;
	int	d;

	if (flen == 0 || flen > 8)
		return -1;
	*v = 0;
	for (i = 0; i < flen; i++) {
		if (f[i] >= '0' && f[i] <= '9')
			d = f[i] - '0';
		else if (base == 16 && f[i] >= 'A' && f[i] <= 'F')
			d = f[i] - 'A' + 10;
		else if (base == 16 && f[i] >= 'a' && f[i] <= 'f')
			d = f[i] - 'a' + 10;
		else
			return -1;
		*v = *v * (uint32_t)base + (uint32_t)d;
	}
	return 0;
}

int
pcp_gateway_parse(const char *text, size_t len, uint32_t *gw)
{
	const char	*p = text, *end = text + len, *f, *nl;
	size_t		 flen;
	uint32_t	 v[ROUTE_FIELDS], best_metric = 0;
	int		 i, found = 0, header = 1;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (header) {	/* "Iface Destination Gateway ..." */
			header = 0;
			continue;
		}
		/* Iface, then Destination Gateway Flags RefCnt Use Metric Mask */
		if (pcp_field(&p, nl, &f, &flen) == -1)
			continue;
		for (i = 0; i < ROUTE_FIELDS - 1; i++) {
			if (pcp_field(&p, nl, &f, &flen) == -1 ||
			    pcp_num(f, flen, i >= 3 && i <= 5 ? 10 : 16,
			    &v[i]) == -1)
				break;
		}
		if (i < ROUTE_FIELDS - 1)
			continue;
		/* v: 0 dest, 1 gateway, 2 flags, 5 metric, 6 mask */
		if (v[0] != 0 || v[6] != 0 || (v[2] & 0x3) != 0x3 ||
		    v[1] == 0)
			continue;
		if (!found || v[5] < best_metric) {
			*gw = ntohl(v[1]);	/* the kernel prints the raw word */
			best_metric = v[5];
			found = 1;
		}
	}
	return found ? 0 : -1;
}
