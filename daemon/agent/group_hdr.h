/* SPDX-License-Identifier: ISC */
/*
 * group_hdr.h: the framing of group messages (PROTOCOL.md §7), shared by
 * the control side (which frames and unframes them) and the engine (which
 * keeps their reserved stream out of the ordinary inboxes).
 *
 * Group messages travel on the reserved message stream GROUP_SERVICE; each
 * message starts with `1 | glen u8 | group | slen u8 | service` before the
 * application's bytes, so the receiving agent can hand it to the named
 * service with the group set (PROTOCOL.md §3.2).
 */
#ifndef P2P_AGENT_GROUP_HDR_H
#define P2P_AGENT_GROUP_HDR_H

#include <stddef.h>
#include <stdint.h>

#include "svc.h"

#define GROUP_SERVICE		"p2p.group"	/* reserved stream name */
#define GROUP_HDR_VERSION	1
#define GROUP_HDR_MAX		(3 + 2 * SVC_NAME_MAX)

/* Write a header for group and service into hdr (GROUP_HDR_MAX bytes). */
size_t	group_hdr_write(uint8_t *hdr, const char *group, const char *service);
/*
 * Parse a header: 0 and the names (NUL-terminated copies) and the header
 * length, or -1 if malformed.
 */
int	group_hdr_parse(const uint8_t *, size_t, char group[SVC_NAME_MAX + 1],
	    char service[SVC_NAME_MAX + 1], size_t *hdrlen);

#endif /* P2P_AGENT_GROUP_HDR_H */
