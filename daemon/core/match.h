/* SPDX-License-Identifier: ISC */
/*
 * match.h: the rules of a matchmaking ticket (PROTOCOL.md §7.1), shared by
 * p2p-server (its API and its agents' requests), the token's attributes
 * and p2pctl: attributes as KEY=VALUE, their checks and canonical order,
 * the attributes a backend vouches for (in the token) over those a device
 * claims, and the pool a ticket waits in.
 *
 * A ticket asks for a match of `size` devices (MATCH_SIZE_MIN to
 * MATCH_SIZE_MAX) whose attributes are all equal: same keys, same values.
 * Keys are names (1-64 of [A-Za-z0-9._-]); values 1 to MATCH_VALUE_MAX
 * bytes without control characters; at most MATCH_ATTRS_MAX of them, the
 * token's included (so a ticket and its group fit one CTRL packet). The
 * pool of a ticket is a hash of its size and sorted attributes: tickets in
 * one pool are compatible.
 *
 * Pure: no I/O, no clock. Every failure writes a message naming the
 * attribute (or the size or timeout) into err.
 */
#ifndef P2P_MATCH_H
#define P2P_MATCH_H

#include <stddef.h>
#include <stdint.h>

#define MATCH_ATTRS_MAX		8
#define MATCH_VALUE_MAX		64
#define MATCH_SIZE_MIN		2
#define MATCH_SIZE_MAX		32
#define MATCH_TIMEOUT_MAX	3600	/* seconds */
#define MATCH_TIMEOUT_DEFAULT	60
#define MATCH_POOL_HEX		32	/* hex digits of a pool id */

struct match_attr {
	char	key[65];
	char	value[MATCH_VALUE_MAX + 1];
};

/* "KEY=VALUE" (as p2pctl --attr, p2p-server token --attr); 0 or -1. */
int	match_attr_parse(const char *kv, struct match_attr *out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/* One attribute from a key and a value of some length; 0 or -1. */
int	match_attr_set(struct match_attr *out, const char *key,
	    const char *value, size_t vlen, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/*
 * A set of n attributes: each valid, no key twice, at most
 * MATCH_ATTRS_MAX; sorted by key in place (the canonical order). 0 or -1.
 */
int	match_attrs_check(struct match_attr *a, unsigned n, char *err,
	    size_t errlen) __attribute__((warn_unused_result));
/*
 * The attributes a backend vouches for (v, nv: a token's) over those a
 * device claims (a, *n): a vouched key replaces the claimed value or is
 * added. The result, sorted, is in a (room for MATCH_ATTRS_MAX); -1 when
 * it would hold too many.
 */
int	match_attrs_vouch(struct match_attr *a, unsigned *n,
	    const struct match_attr *v, unsigned nv, char *err, size_t errlen)
	    __attribute__((warn_unused_result));
/* Whether two checked (sorted) sets are equal. */
int	match_attrs_equal(const struct match_attr *a, unsigned na,
	    const struct match_attr *b, unsigned nb);
/* The pool of a checked set and a size: MATCH_POOL_HEX hex digits. */
void	match_pool_id(const struct match_attr *a, unsigned n, unsigned size,
	    char out[MATCH_POOL_HEX + 1]);
/* Range checks of a request's numbers (long long: JSON gives int64). */
int	match_size_check(long long size, char *err, size_t errlen);
int	match_timeout_check(long long timeout_s, char *err, size_t errlen);

#endif /* P2P_MATCH_H */
