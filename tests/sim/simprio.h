/* SPDX-License-Identifier: ISC */
/*
 * simprio.h: small urgent messages beside a bulk transfer on one session,
 * over the simulated network (sim.h): a 20 Mbit/s link with 40 ms RTT and
 * one bandwidth-delay product of queue (100 kB, tail drop) each way. The
 * game sends a 100-byte message every 16 ms (60 Hz) on channel 1 of
 * service "game"; the bulk transfer keeps 64 KiB reliable messages queued
 * on channel 0 of service "assets". Each message carries its send time;
 * the receiver records how long it took. test_sim_prio asserts on it,
 * sim_prio (make bench) prints it.
 */
#ifndef P2P_SIMPRIO_H
#define P2P_SIMPRIO_H

#include <stddef.h>
#include <stdint.h>

struct simprio_cfg {
	uint64_t	 seed;
	uint64_t	 secs;		/* virtual seconds */
	int		 bulk;		/* run the bulk transfer */
	int		 urgent_prio;	/* TP_PRIO_* of the game's messages */
	int		 urgent_mode;	/* TP_MODE_* */
	int		 bulk_prio;
	double		 loss;		/* random loss, each direction */
};

struct simprio_result {
	size_t		 sent, delivered;	/* game messages */
	double		 p50_ms, p99_ms, max_ms;
	double		 bulk_mbps;		/* bulk goodput */
	uint64_t	 lost_packets;		/* declared lost by the sender */
};

void	simprio_run(const struct simprio_cfg *, struct simprio_result *);

#endif /* P2P_SIMPRIO_H */
