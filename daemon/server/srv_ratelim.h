/* SPDX-License-Identifier: ISC */
/*
 * srv_ratelim.h: how often the server answers one source before it knows
 * who it is (PROTOCOL.md §6: standard STUN replies are larger than their
 * requests, so a spoofed source would make the server a reflector). Token
 * buckets per address and per network (an IPv4 /24, an IPv6 /64) in a
 * fixed table keyed by a random hash, so memory is bounded whatever the
 * sources: a new source takes over the slot of an old one.
 */
#ifndef P2P_SRV_RATELIM_H
#define P2P_SRV_RATELIM_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define SRV_RL_SLOTS		65536
#define SRV_RL_ADDR_RATE	50	/* replies a second to one address */
#define SRV_RL_ADDR_BURST	100
#define SRV_RL_NET_RATE		500	/* ... to one /24 or /64 */
#define SRV_RL_NET_BURST	1000

struct srv_rl_slot {
	uint8_t		key[17];	/* address or prefix, and its kind */
	uint8_t		used;
	uint32_t	milli;		/* tokens x 1000 */
	uint64_t	last_us;
};

struct srv_ratelim {
	struct srv_rl_slot	*slot;
	uint8_t			 hkey[16];
};

int	srv_ratelim_init(struct srv_ratelim *) __attribute__((warn_unused_result));
void	srv_ratelim_free(struct srv_ratelim *);
/* 1 if a reply to from may go now (and is counted), 0 if over a cap. */
int	srv_ratelim_ok(struct srv_ratelim *, const struct sockaddr *from,
	    uint64_t now_us);

#endif /* P2P_SRV_RATELIM_H */
