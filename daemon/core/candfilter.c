/* SPDX-License-Identifier: ISC */
/* candfilter.c: where probes may go. See candfilter.h. */
#include <string.h>

#include "candfilter.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
    0xff };

/* IPv4-mapped IPv6 as the IPv4 address: ip, iplen rewritten. */
static void
cand_norm(const uint8_t **ip, size_t *iplen)
{
	if (*iplen == 16 && memcmp(*ip, v4mapped, 12) == 0) {
		*ip += 12;
		*iplen = 4;
	}
}

static int
cand_classify4(const uint8_t *a)
{
	if (a[0] == 0)
		return CAND_UNSPECIFIED;
	if (a[0] == 127)
		return CAND_LOOPBACK;
	if (a[0] == 169 && a[1] == 254)
		return CAND_LINKLOCAL;
	if (a[0] >= 224 && a[0] <= 239)
		return CAND_MULTICAST;
	if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255)
		return CAND_BROADCAST;
	if (a[0] >= 240)
		return CAND_RESERVED;
	if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
	    (a[0] == 192 && a[1] == 168) || (a[0] == 100 &&
	    (a[1] & 0xc0) == 64))
		return CAND_PRIVATE;
	return CAND_PUBLIC;
}

int
cand_classify(const uint8_t *ip, size_t iplen)
{
	static const uint8_t zero[16];

	cand_norm(&ip, &iplen);
	if (iplen == 4)
		return cand_classify4(ip);
	if (iplen != 16)
		return -1;
	if (memcmp(ip, zero, 16) == 0)
		return CAND_UNSPECIFIED;
	if (memcmp(ip, zero, 15) == 0 && ip[15] == 1)
		return CAND_LOOPBACK;
	if (ip[0] == 0xff)
		return CAND_MULTICAST;
	if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80)
		return CAND_LINKLOCAL;
	if ((ip[0] & 0xfe) == 0xfc)
		return CAND_PRIVATE;
	return CAND_PUBLIC;
}

const char *
cand_kind_name(int kind)
{
	switch (kind) {
	case CAND_PUBLIC:
		return "public";
	case CAND_PRIVATE:
		return "private";
	case CAND_LOOPBACK:
		return "loopback";
	case CAND_LINKLOCAL:
		return "link-local";
	case CAND_MULTICAST:
		return "multicast";
	case CAND_UNSPECIFIED:
		return "unspecified";
	case CAND_BROADCAST:
		return "broadcast";
	case CAND_RESERVED:
		return "reserved";
	}
	return "invalid";
}

int
cand_host_ok(const uint8_t *ip, size_t iplen)
{
	int k = cand_classify(ip, iplen);

	return k == CAND_PUBLIC || k == CAND_PRIVATE;
}

int
cand_in_nets(const uint8_t *ip, size_t iplen, const struct cand_net *nets,
    size_t n)
{
	const uint8_t *nip;
	size_t i, nlen, full;
	unsigned bits, rest;

	cand_norm(&ip, &iplen);
	for (i = 0; i < n; i++) {
		nip = nets[i].ip;
		nlen = nets[i].iplen;
		cand_norm(&nip, &nlen);
		if (nlen != iplen || nets[i].prefix > iplen * 8)
			continue;
		bits = nets[i].prefix;
		full = bits / 8;
		rest = bits % 8;
		if (memcmp(ip, nip, full) != 0)
			continue;
		if (rest != 0 && ((ip[full] ^ nip[full]) &
		    (uint8_t)(0xff << (8 - rest))) != 0)
			continue;
		return 1;
	}
	return 0;
}

int
cand_probe_ok(const uint8_t *ip, size_t iplen, const struct cand_net *own,
    size_t nown, int is_host_cand)
{
	if (!cand_host_ok(ip, iplen))
		return 0;
	return is_host_cand || !cand_in_nets(ip, iplen, own, nown);
}

int
cand_spray_ok(const uint8_t *ip, size_t iplen, const uint8_t *srflx,
    size_t srflx_len, const struct cand_net *own, size_t nown)
{
	cand_norm(&ip, &iplen);
	cand_norm(&srflx, &srflx_len);
	if (iplen != srflx_len || memcmp(ip, srflx, iplen) != 0)
		return 0;
	return cand_probe_ok(ip, iplen, own, nown, 0);
}

/* a and b are the same IP (IPv4-mapped taken as IPv4); 0 if either is
 * unknown. */
static int
cand_ip_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen == 0 || blen == 0)
		return 0;
	cand_norm(&a, &alen);
	cand_norm(&b, &blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}

int
cand_same_lan(const struct cand_ctx *c)
{
	if (c->theirslen == 0)
		return 0;
	return cand_ip_equal(c->mine, c->minelen, c->theirs, c->theirslen) ||
	    (cand_host_ok(c->theirs, c->theirslen) &&
	    cand_in_nets(c->theirs, c->theirslen, c->own, c->nown));
}

int
cand_check_ok(const struct cand_ctx *c, const uint8_t *ip, size_t iplen,
    int is_host_cand)
{
	if (cand_classify(ip, iplen) == CAND_LOOPBACK)
		return c->minelen > 0 && cand_classify(c->mine, c->minelen) ==
		    CAND_LOOPBACK && cand_ip_equal(ip, iplen, c->theirs,
		    c->theirslen);
	if (!cand_host_ok(ip, iplen))
		return 0;
	if (!cand_in_nets(ip, iplen, c->own, c->nown))
		return 1;
	return is_host_cand && cand_same_lan(c);
}
