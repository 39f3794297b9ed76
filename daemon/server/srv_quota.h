/* SPDX-License-Identifier: ISC */
/*
 * srv_quota.h: the relay quota (--relay-quota): what the server calls
 * (srv_quota.c: the per-node table of what peers relayed across their
 * registrations, and the checks on the relay's path), and below it
 * srv_quota_lease.c, the count shared by the nodes of a cluster.
 */
#ifndef P2P_SRV_QUOTA_H
#define P2P_SRV_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"

/* srv_quota.c: relay quota usage kept per peer across registrations. */
void	srv_quota_restore(struct srv *, struct srv_sess *);
void	srv_quota_save(struct srv *, const struct srv_sess *);
int	srv_quota_room(struct srv *, struct srv_sess *, size_t, uint64_t now);
void	srv_quota_use(struct srv *, struct srv_sess *, size_t, uint64_t now);
void	srv_quota_move(struct srv *, struct srv_sess *x, struct srv_sess *o);
void	srv_quota_expire(struct srv *, uint64_t now_unix);
void	srv_quota_free(struct srv *);

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

/* srv_quota_lease.c */
void	srv_lease_ask(struct srv *, struct srv_sess *, uint64_t now);
int	srv_lease_room(struct srv *, struct srv_sess *, size_t, uint64_t now);
void	srv_lease_use(struct srv *, struct srv_sess *, size_t, uint64_t now);
void	srv_lease_return(struct srv *, const struct srv_sess *);
void	srv_lease_move(struct srv_sess *x, struct srv_sess *o);
/* Once a second: registrations counted here ask again when due. */
void	srv_lease_tick(struct srv *, uint64_t now);

#endif /* P2P_SRV_QUOTA_H */
