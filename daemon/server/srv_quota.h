/* SPDX-License-Identifier: ISC */
/*
 * srv_quota.h: between srv_quota.c (the relay quota as the server uses it,
 * and its per-node table) and srv_quota_lease.c (the count shared by the
 * nodes of a cluster). Not an interface: the server uses server.h.
 */
#ifndef P2P_SRV_QUOTA_H
#define P2P_SRV_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* srv_sess.q_flags */
#define SRV_Q_ASKING	0x01	/* a lease is asked for */
#define SRV_Q_LOCAL	0x02	/* Redis did not answer: counted here */
#define SRV_Q_DRY	0x04	/* Redis had less than asked: at the quota */
#define SRV_Q_KNOWN	0x08	/* Redis answered once */

/* Bytes of one lease: a sixteenth of the quota, within these. */
#define SRV_LEASE_MIN		(64 * 1024ULL)
#define SRV_LEASE_MAX		(4 * 1024 * 1024ULL)
/* At the quota or without Redis, asked again at most this often. */
#define SRV_LEASE_RETRY_US	2000000ULL

void	srv_lease_ask(struct srv *, struct srv_sess *, uint64_t now);
int	srv_lease_room(struct srv *, struct srv_sess *, size_t, uint64_t now);
void	srv_lease_use(struct srv *, struct srv_sess *, size_t, uint64_t now);
void	srv_lease_return(struct srv *, const struct srv_sess *);
void	srv_lease_move(struct srv_sess *x, struct srv_sess *o);

#endif /* P2P_SRV_QUOTA_H */
