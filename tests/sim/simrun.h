/* SPDX-License-Identifier: ISC */
/*
 * simrun.h: the harness the seeded workload tests over sim.h share.
 *
 * A workload embeds a struct simrun (two tp instances on a simulated link,
 * their close state, the first failure and the largest buffers seen) and
 * brings its own callbacks, application and completion test. The harness
 * gives every seed the same kind of link, runs the clock until the
 * workload completes, checks the buffer bounds and loops over the seeds
 * with SIM_SEED=N (replay one, verbose) and SIM_SEEDS=N (soak 1..N).
 */
#ifndef P2P_SIMRUN_H
#define P2P_SIMRUN_H

#include <stddef.h>
#include <stdint.h>

#include "sim.h"
#include "tp.h"

struct simrun;

/* The arg of a side's tp callbacks. */
struct simrun_end {
	struct simrun	*run;
	int		 side;
};

struct simrun {
	uint64_t	 seed;
	struct sim	 sim;
	struct tp_cfg	 cfg;
	struct simrun_end end[2];
	void		*owner;		/* the workload embedding this */
	int		 closed[2];
	int		 close_remote[2];
	uint64_t	 close_code[2];
	char		 err[256];	/* the first failure; "" while fine */
	size_t		 max_send, max_recv;
};

void	simrun_init(struct simrun *, uint64_t seed, void *owner);
void	simrun_link(struct simrun *, uint64_t *rng);
void	simrun_start(struct simrun *, const struct tp_cb *,
	    void (*app)(struct sim *, void *));
void	simrun_fail(struct simrun *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	simrun_watch(struct simrun *);
void	simrun_run(struct simrun *, uint64_t limit_us,
	    int (*complete)(const void *owner));
void	simrun_check(struct simrun *, size_t max_message);
int	simrun_report(const struct simrun *, const char *prog, int verbose,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	simrun_free(struct simrun *);
void	simrun_pair(struct sim *, struct tp_cfg *, const struct tp_cb *);
void	simrun_pair_free(struct sim *);
void	simrun_seeds(uint64_t last, int (*run)(uint64_t seed, int verbose));
uint8_t	simrun_mix(uint64_t);

#endif /* P2P_SIMRUN_H */
