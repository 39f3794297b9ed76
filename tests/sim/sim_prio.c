/* SPDX-License-Identifier: ISC */
/*
 * sim_prio.c: prints the latency of a game's 100-byte messages alone and
 * beside a bulk transfer on the same session, with and without priority
 * classes (simprio.h: 20 Mbit/s, 40 ms RTT, one BDP of queue). make bench
 * runs it; test_sim_prio asserts on the same runs.
 *
 * usage: sim_prio [SECONDS]   (virtual seconds per run, default 30)
 */
#include <stdio.h>
#include <stdlib.h>

#include "simprio.h"
#include "tp.h"

static void
sp_print(const char *what, const struct simprio_cfg *c)
{
	struct simprio_result r;

	simprio_run(c, &r);
	printf("%-44s p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms  "
	    "(%zu/%zu delivered)  bulk %5.2f Mbit/s  lost %llu pkts\n", what,
	    r.p50_ms, r.p99_ms, r.max_ms, r.delivered, r.sent, r.bulk_mbps,
	    (unsigned long long)r.lost_packets);
}

int
main(int argc, char **argv)
{
	struct simprio_cfg c = { 1, 30, 0, TP_PRIO_HIGH, TP_MODE_RELIABLE,
	    TP_PRIO_LOW, 0 };
	int mode;

	if (argc > 1)
		c.secs = strtoull(argv[1], NULL, 10);
	printf("100-byte messages at 60 Hz beside a bulk transfer, one "
	    "session: 20 Mbit/s, 40 ms RTT, 100 kB queue, %llu s\n",
	    (unsigned long long)c.secs);
	for (mode = TP_MODE_RELIABLE; mode <= TP_MODE_SEQUENCED; mode += 2) {
		c.urgent_mode = mode;
		printf("game messages %s:\n", mode == TP_MODE_RELIABLE ?
		    "reliable-ordered" : "unreliable-sequenced");
		c.bulk = 0;
		c.urgent_prio = TP_PRIO_HIGH;
		sp_print("  alone", &c);
		c.bulk = 1;
		c.bulk_prio = TP_PRIO_LOW;
		sp_print("  beside bulk, priorities (high / low)", &c);
		c.urgent_prio = c.bulk_prio = TP_PRIO_NORMAL;
		sp_print("  beside bulk, no priorities (both normal)", &c);
	}
	return 0;
}
