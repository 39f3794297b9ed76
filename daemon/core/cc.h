/* SPDX-License-Identifier: ISC */
/*
 * cc.h: congestion control in bytes: NewReno (RFC 9002 §7, appendix B)
 * or CUBIC (RFC 9438), both starting with HyStart++ (RFC 9406).
 *
 * The controller only does arithmetic: tp tells it what was sent (with
 * its packet number), acked and lost, and each new RTT sample, and asks
 * whether a packet may go. Time is a parameter. The window starts at 10
 * packets and has no upper cap other than the bandwidth-delay product the
 * acks reveal; it never drops below 2 packets. A congestion event cuts it
 * once per recovery period (packets sent before the period began do not
 * cut it again). Growth pauses while the sender is application-limited
 * (RFC 9002 §7.8); CUBIC's clock pauses then too, so an idle flow does
 * not come back with a window its acks never confirmed.
 *
 * Slow start. With pacing, plain slow start overshoots a finite
 * bottleneck queue by up to a whole window: it doubles the window every
 * round until a loss, and the loss is seen one round late. HyStart++
 * watches the minimum RTT of each round (a round ends when the last packet
 * sent before it began is acked): once that minimum has risen by
 * max(4 ms, min(last round's / 8, 16 ms)) over the last round's, after at
 * least 8 samples, the queue is filling and conservative slow start (CSS)
 * begins: growth by a quarter of what is acked. If the RTT falls below the
 * CSS baseline again, the rise was jitter and slow start resumes; after 5
 * CSS rounds, congestion avoidance begins (ssthresh = cwnd). A queue too
 * short to hold that much delay, or one that a doubling round overfills
 * before the next round's samples show it, still ends slow start with a
 * loss (docs/PERFORMANCE.md, "Congestion control"). Only the
 * initial slow start uses it (RFC 9406 §4.3): later ones stop at the
 * ssthresh a loss set. L, the limit on growth per ack, is infinite: that
 * is the RFC's choice for a paced sender, and tp paces every path on which
 * a burst could hurt (not TCP-relayed ones, nor rates of 1 Gbit/s up).
 *
 * NewReno: slow start adds what is acked, congestion avoidance one packet
 * per window acked; a congestion event halves the window.
 *
 * CUBIC: a congestion event keeps W_max (the window before the cut; with
 * fast convergence, 0.85 of it when the window did not get back to the
 * last W_max) and cuts to 0.7. In congestion avoidance the window follows
 * W_cubic(t) = C (t - K)^3 + W_max (C = 0.4 packets/s^3, t the time since
 * the epoch began, K = cbrt((W_max - cwnd_epoch) / C)), aiming each ack at
 * W_cubic(t + srtt) but at most 1.5 cwnd. Where W_cubic(t) is below
 * W_est, the window a Reno flow with the same cut would have (it grows by
 * 3 (1 - 0.7) / (1 + 0.7) packets per window, 1 once past the window
 * before the cut), W_est is used: on short, slow paths CUBIC is no less
 * than Reno. A slow start that ends without a loss (HyStart++) starts an
 * epoch with W_max = cwnd, K = 0. CUBIC is the default: on shallow queues
 * and against Linux's own CUBIC it keeps a share NewReno does not.
 */
#ifndef P2P_CC_H
#define P2P_CC_H

#include <stddef.h>
#include <stdint.h>

#define CC_NEWRENO		1
#define CC_CUBIC		2
#define CC_DEFAULT		CC_CUBIC	/* for algo 0 */

#define CC_INITIAL_PACKETS	10
#define CC_MIN_PACKETS		2
#define CC_PACE_GAIN_SS_PCT	200
#define CC_PACE_GAIN_PCT	125

/* HyStart++ (RFC 9406 §4.3); times in microseconds. */
#define CC_HS_MIN_RTT_THRESH	4000
#define CC_HS_MAX_RTT_THRESH	16000
#define CC_HS_MIN_RTT_DIVISOR	8
#define CC_HS_N_RTT_SAMPLE	8
#define CC_HS_CSS_GROWTH_DIV	4
#define CC_HS_CSS_ROUNDS	5

/* CUBIC (RFC 9438 §5): C in packets per s^3, beta = 7/10. */
#define CC_CUBIC_C		0.4
#define CC_CUBIC_BETA_NUM	7
#define CC_CUBIC_BETA_DEN	10

struct cc {
	int		 algo;		/* CC_NEWRENO, CC_CUBIC */
	size_t		 mss;
	uint64_t	 cwnd;
	uint64_t	 ssthresh;
	uint64_t	 bytes_in_flight;
	uint64_t	 recovery_start;	/* time; 0 = not in recovery */
	int		 in_recovery;
	uint64_t	 ca_acked;	/* NewReno: avoidance accumulator */
	uint64_t	 largest_sent;	/* packet number */
	uint64_t	 last_ack;	/* time of the last ack */

	/* HyStart++ */
	int		 hystart;	/* on; tests turn it off (baseline) */
	int		 hs_css;	/* in conservative slow start */
	unsigned	 hs_css_rounds;
	uint64_t	 hs_window_end;	/* acking this pn ends the round */
	uint64_t	 hs_last_min;	/* RTT minima (us), UINT64_MAX: none */
	uint64_t	 hs_cur_min;
	uint64_t	 hs_css_base;
	unsigned	 hs_samples;	/* in the current round */
	unsigned	 hs_css_entries; /* statistics: times CSS began */

	/* CUBIC (windows in bytes) */
	uint64_t	 srtt;		/* us, from cc_on_rtt() */
	int		 epoch_on;
	uint64_t	 epoch_start;
	uint64_t	 w_max;		/* 0: no congestion event yet */
	uint64_t	 cwnd_prior;	/* before the last cut */
	double		 k;		/* seconds */
	uint64_t	 w_est;
	uint64_t	 w_est_rem;	/* fractions of a byte, x 17 cwnd */
	uint64_t	 cubic_rem;	/* fractions of a byte, x cwnd */
};

void	cc_init(struct cc *, size_t mss, int algo);
/* "newreno" or "cubic" to CC_*; -1 for anything else. */
int	cc_parse(const char *name);
const char *cc_name(int algo);
/* An ack-eliciting packet numbered pn went out. */
void	cc_on_sent(struct cc *, size_t bytes, uint64_t pn);
/* An in-flight packet pn, sent at time_sent, was acknowledged at now. */
void	cc_on_acked(struct cc *, size_t bytes, uint64_t pn,
	    uint64_t time_sent, uint64_t now);
/* An RTT sample (the ack's latest RTT) and the smoothed RTT, in us. */
void	cc_on_rtt(struct cc *, uint64_t latest_rtt, uint64_t srtt);
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
/* CUBIC: W_cubic(t) in bytes, t in seconds since the epoch began. */
uint64_t cc_cubic_window(const struct cc *, double t);
/* The cube root, for K (no libm in the core). */
double	cc_cbrt(double);

#endif /* P2P_CC_H */
