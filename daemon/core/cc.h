/*
 * cc.h: NewReno congestion control in bytes (RFC 9002 §7, appendix B).
 *
 * The controller only does arithmetic: tp tells it what was sent, acked
 * and lost, and asks whether a packet may go. The window starts at 10
 * packets, grows by slow start up to ssthresh and then by one packet per
 * window of acked bytes, with no upper cap other than the bandwidth-delay
 * product the acks reveal. A congestion event halves it once per
 * recovery period (packets sent before the period began do not cut it
 * again); it never drops below 2 packets. Growth pauses while the sender
 * is application-limited (RFC 9002 §7.8).
 */
#ifndef P2P_CC_H
#define P2P_CC_H

#include <stddef.h>
#include <stdint.h>

#define CC_INITIAL_PACKETS	10
#define CC_MIN_PACKETS		2
#define CC_PACE_GAIN_SS_PCT	200
#define CC_PACE_GAIN_PCT	125

struct cc {
	size_t		 mss;
	uint64_t	 cwnd;
	uint64_t	 ssthresh;
	uint64_t	 bytes_in_flight;
	uint64_t	 recovery_start;	/* time; 0 = not in recovery */
	int		 in_recovery;
	uint64_t	 ca_acked;	/* congestion avoidance accumulator */
};

void	cc_init(struct cc *, size_t mss);
void	cc_on_sent(struct cc *, size_t bytes);
/* An in-flight packet sent at time_sent was acknowledged. */
void	cc_on_acked(struct cc *, size_t bytes, uint64_t time_sent);
/* An in-flight packet is no longer in flight without an ack (lost). */
void	cc_on_removed(struct cc *, size_t bytes);
/* Loss of a packet sent at time_sent was detected at now. */
void	cc_on_congestion(struct cc *, uint64_t time_sent, uint64_t now);
/* RFC 9002 §7.6: collapse to the minimum window. */
void	cc_on_persistent_congestion(struct cc *);
int	cc_can_send(const struct cc *, size_t bytes);
/*
 * The pacing rate in bytes per second for a smoothed RTT (RFC 9002
 * §7.7): cwnd / srtt times CC_PACE_GAIN_SS_PCT percent in slow start,
 * CC_PACE_GAIN_PCT percent after, so pacing never is what limits a
 * window that the acks could clock out. 0 for srtt 0 (unknown).
 */
uint64_t cc_pacing_rate(const struct cc *, uint64_t srtt_us);

#endif /* P2P_CC_H */
