/* SPDX-License-Identifier: ISC */
/*
 * pacer.h: spreads a congestion window over the round trip (RFC 9002
 * §7.7) so a window is not sent back to back into a bottleneck queue.
 *
 * A token bucket in bytes: credit grows at the pacing rate the caller
 * gives (cc_pacing_rate(): a gain times cwnd / smoothed RTT) and each
 * paced packet spends its size. Idle time fills the bucket up to a burst
 * of PACER_BURST_PACKETS full packets (the initial window) or the bytes
 * of PACER_GRANULARITY_US at the rate, whichever is larger. Once the
 * sender waits for credit, the next send time lies at least
 * PACER_GRANULARITY_US ahead, so a timer never fires for less than that
 * much budget; and while it waits, credit grows without the cap, so a
 * timer that fires late (event loops round to milliseconds) is made up
 * by a larger burst instead of a lower rate.
 *
 * Time is injected: every call takes now (microseconds). A rate of 0
 * means "unknown" (no RTT sample yet): nothing is paced then, and the
 * congestion window alone limits the first flight. Nor is a rate of
 * PACER_RATE_UNPACED or more: at 1 Gbit/s a packet's gap is under 10 us,
 * far below what an event loop's timers resolve (libevent's epoll rounds
 * them up to milliseconds), so pacing would only stall the sender for
 * whole timer ticks; on loopback that cost 7% of a bulk pipe's
 * throughput. The paths pacing protects, where a bottleneck queue is
 * slower than the sender, run below that rate.
 */
#ifndef P2P_PACER_H
#define P2P_PACER_H

#include <stddef.h>
#include <stdint.h>

#define PACER_BURST_PACKETS	10
#define PACER_GRANULARITY_US	250
#define PACER_RATE_UNPACED	125000000ULL	/* bytes/s: 1 Gbit/s */

struct pacer {
	size_t		 mss;
	uint64_t	 rate;		/* bytes per second; 0 = off */
	int64_t		 credit;	/* bytes x 10^6 (no rounding loss) */
	uint64_t	 last;		/* time credit was brought up to */
	uint64_t	 next;		/* when a waiting sender may go */
	int		 waiting;	/* a packet is held back */
};

void	pacer_init(struct pacer *, size_t mss);
/* Brings credit up to now at rate (bytes/s, 0 = do not pace). */
void	pacer_update(struct pacer *, uint64_t now, uint64_t rate);
/*
 * May a full packet go now (after pacer_update)? When not, remembers
 * that the sender waits and computes pacer_next().
 */
int	pacer_can_send(struct pacer *);
/* A paced packet of bytes was sent (credit may go below zero). */
void	pacer_on_sent(struct pacer *, size_t bytes);
/* When a waiting sender may send again; UINT64_MAX when none waits. */
uint64_t pacer_next(const struct pacer *);
/*
 * The timer of a waiting sender fired: credit is brought up to now and
 * the wait is over (tp_output sends, or waits anew), so a caller that
 * does not output is not woken for the same past deadline forever.
 */
void	pacer_wake(struct pacer *, uint64_t now);
/* The sender stopped waiting (it sent, or has nothing to send). */
void	pacer_idle(struct pacer *);

#endif /* P2P_PACER_H */
