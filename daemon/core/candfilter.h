/* SPDX-License-Identifier: ISC */
/*
 * candfilter.h: which addresses the direct path machinery may send to
 * (PROTOCOL.md §2.7; issue 15, finding 4). A peer's candidates come from
 * the peer through the server (its host addresses, unchecked) and from the
 * server (its reflexive address, validated: §2.1); neither may turn an
 * agent into a probe of loopback, link-local, multicast or reserved
 * addresses, nor of the agent's own networks, unless the peer announced
 * that address as a host of the same LAN.
 *
 * Pure functions over addresses as bytes (4 or 16; IPv4-mapped IPv6 is
 * taken as the IPv4 address it maps).
 */
#ifndef P2P_CANDFILTER_H
#define P2P_CANDFILTER_H

#include <stddef.h>
#include <stdint.h>

enum cand_kind {
	CAND_PUBLIC,
	CAND_PRIVATE,		/* RFC 1918, 100.64/10, fc00::/7 */
	CAND_LOOPBACK,		/* 127/8, ::1 */
	CAND_LINKLOCAL,		/* 169.254/16, fe80::/10 */
	CAND_MULTICAST,		/* 224/4, ff00::/8 */
	CAND_UNSPECIFIED,	/* 0/8, :: */
	CAND_BROADCAST,		/* 255.255.255.255 */
	CAND_RESERVED		/* 240/4 */
};

/* A local network of the agent: its address and prefix length. */
struct cand_net {
	uint8_t		ip[16];
	size_t		iplen;		/* 4 or 16 */
	unsigned	prefix;
};

/* The kind of an address; -1 for a length that is not 4 or 16. */
int	cand_classify(const uint8_t *ip, size_t iplen);
const char *cand_kind_name(int kind);
/* 1 if a host candidate an agent announces may be passed on. */
int	cand_host_ok(const uint8_t *ip, size_t iplen);
/* 1 if ip is inside one of the networks. */
int	cand_in_nets(const uint8_t *ip, size_t iplen, const struct cand_net *,
	    size_t n);
/*
 * 1 if an agent may send path checks or birthday probes to ip: a usable
 * kind, and not one of its own networks unless the peer announced it as
 * a host candidate (the same LAN).
 */
int	cand_probe_ok(const uint8_t *ip, size_t iplen,
	    const struct cand_net *own, size_t nown, int is_host_cand);
/*
 * 1 if a birthday probe to ip may go: the IP of the peer's reflexive
 * address as the server validated it (srflx), and a probe_ok address.
 */
int	cand_spray_ok(const uint8_t *ip, size_t iplen, const uint8_t *srflx,
	    size_t srflx_len, const struct cand_net *own, size_t nown);

/*
 * What an agent knows about a peer when it decides where a path check may
 * go (cand_check_ok): its own networks, the IP the server sees it at, and
 * the IP the server validated for the peer (length 0: unknown).
 */
struct cand_ctx {
	const struct cand_net	*own;
	size_t			 nown;
	const uint8_t		*mine;		/* our reflexive IP */
	size_t			 minelen;
	const uint8_t		*theirs;	/* the peer's reflexive IP */
	size_t			 theirslen;
};

/*
 * 1 if the peer is on one of our LANs: the server sees it at our own
 * public IP (behind the same NAT), or at an address of one of our
 * networks (no NAT between us).
 */
int	cand_same_lan(const struct cand_ctx *);
/*
 * 1 if an agent may send a path check to ip, an address of the peer
 * (is_host_cand: one the peer announced as its interface's). Loopback only
 * when the server saw both sides on loopback (all three on one host) and
 * ip is the peer's reflexive address; never link-local, multicast,
 * unspecified, broadcast or reserved; one of our own networks only as a
 * host candidate of a peer on our LAN (cand_same_lan), so a peer elsewhere
 * whose home network has the same private range as ours (or that claims
 * it does) never makes us probe our own LAN.
 */
int	cand_check_ok(const struct cand_ctx *, const uint8_t *ip, size_t iplen,
	    int is_host_cand);

#endif /* P2P_CANDFILTER_H */
