/* SPDX-License-Identifier: ISC */
/*
 * sim.h: a deterministic simulated network for driving two tp instances.
 *
 * Everything is a pure function of the seed: a splitmix64 generator of
 * our own, a virtual clock in microseconds and a heap of packets in
 * flight. Each direction has loss, duplication, reordering, delay with
 * jitter, an optional bandwidth limit with a finite (tail-drop) queue, and
 * both directions share partitions (time windows where everything is
 * dropped). Up to SIM_MAX_ENDS endpoints talk in pairs (i with i ^ 1);
 * endpoints whose queue[] is the same share one bandwidth-limited queue
 * (a bottleneck two flows compete for). Optional seal/open hooks wrap
 * packets, e.g. in chan, so the secure channel runs in the loop too.
 * The driver moves the clock to the next event (a packet
 * arrival, a tp timer or an application wake-up), feeds tp_input /
 * tp_on_timeout, lets the application act, and flushes tp_output.
 */
#ifndef P2P_SIM_H
#define P2P_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "tp.h"

uint64_t sim_rand(uint64_t *state);
double	 sim_uniform(uint64_t *state);	/* [0, 1) */

struct sim_link {
	double		 loss;		/* 0..1 */
	double		 dup;
	double		 reorder;	/* extra delay for this share */
	uint64_t	 delay_us;
	uint64_t	 jitter_us;
	uint64_t	 bw_bps;	/* 0: unlimited */
	size_t		 queue_bytes;	/* with bw_bps */
};

#define SIM_MAX_PARTITIONS 4
#define SIM_MAX_ENDS	4

struct sim_pkt;

struct sim {
	uint64_t	 rng;
	uint64_t	 now;
	struct sim_link	 link[SIM_MAX_ENDS]; /* link[i]: sent by side i */
	int		 queue[SIM_MAX_ENDS];	/* bottleneck of side i */
	uint64_t	 busy_until[SIM_MAX_ENDS];
	uint64_t	 part_start[SIM_MAX_PARTITIONS];
	uint64_t	 part_end[SIM_MAX_PARTITIONS];
	int		 n_part;
	struct sim_pkt	*heap;
	size_t		 heap_n;
	size_t		 heap_cap;
	uint64_t	 seq;
	struct tp	*tp[SIM_MAX_ENDS];
	uint64_t	 pn[SIM_MAX_ENDS];
	uint64_t	 app_wake;	/* next application wake-up */
	void		(*app)(struct sim *, void *arg);
	void		*app_arg;
	uint64_t	 sent[SIM_MAX_ENDS];
	uint64_t	 dropped[SIM_MAX_ENDS];
	uint64_t	 malformed;
	/*
	 * seal: packet number and wire bytes of tp's plaintext (returns
	 * the length, 0 to drop); open: plaintext and packet number of a
	 * wire packet (the length, or -1 to drop). Both NULL: pn = count.
	 */
	size_t		(*seal)(struct sim *, int side, const uint8_t *pt,
			    size_t len, uint8_t *out, size_t cap);
	uint64_t	(*next_pn)(struct sim *, int side);
	long		(*open)(struct sim *, int side, const uint8_t *pkt,
			    size_t len, uint8_t *pt, size_t cap, uint64_t *pn);
	void		*hook_arg;
};

void	sim_init(struct sim *, uint64_t seed);
void	sim_partition(struct sim *, uint64_t start, uint64_t end);
/* Moves time forward to at most until; 0 when until was reached. */
int	sim_step(struct sim *, uint64_t until);
void	sim_flush(struct sim *, int side);
void	sim_free(struct sim *);

#endif /* P2P_SIM_H */
