/* SPDX-License-Identifier: ISC */
/*
 * cc.c: NewReno and CUBIC with HyStart++ (see cc.h).
 */
#include <string.h>

#include "cc.h"

#define CC_NONE	UINT64_MAX

void
cc_init(struct cc *c, size_t mss, int algo)
{
	memset(c, 0, sizeof(*c));
	if (algo != CC_NEWRENO && algo != CC_CUBIC)
		algo = CC_DEFAULT;
	c->algo = algo;
	c->mss = mss;
	c->cwnd = (uint64_t)CC_INITIAL_PACKETS * mss;
	c->ssthresh = CC_NONE;
	c->hystart = 1;
	c->hs_last_min = c->hs_cur_min = c->hs_css_base = CC_NONE;
}

int
cc_parse(const char *name)
{
	if (strcmp(name, "newreno") == 0)
		return CC_NEWRENO;
	if (strcmp(name, "cubic") == 0)
		return CC_CUBIC;
	return -1;
}

const char *
cc_name(int algo)
{
	return algo == CC_NEWRENO ? "newreno" : "cubic";
}

void
cc_on_sent(struct cc *c, size_t bytes, uint64_t pn)
{
	c->bytes_in_flight += bytes;
	c->largest_sent = pn;
}

void
cc_on_removed(struct cc *c, size_t bytes)
{
	c->bytes_in_flight -= bytes < c->bytes_in_flight ?
	    bytes : c->bytes_in_flight;
}

/* HyStart++ runs in the initial slow start only (RFC 9406 §4.3). */
static int
cc_hystart_on(const struct cc *c)
{
	return c->hystart && c->ssthresh == CC_NONE;
}

/*
 * A round ends when the last packet sent before it began is acked: the
 * next one's samples are compared with its minimum.
 */
static void
cc_hystart_round(struct cc *c, uint64_t pn)
{
	if (pn < c->hs_window_end)
		return;
	c->hs_window_end = c->largest_sent;
	c->hs_last_min = c->hs_cur_min;
	c->hs_cur_min = CC_NONE;
	c->hs_samples = 0;
	if (c->hs_css && ++c->hs_css_rounds >= CC_HS_CSS_ROUNDS) {
		/* The queue kept growing: congestion avoidance. */
		c->hs_css = 0;
		c->ssthresh = c->cwnd;
	}
}

void
cc_on_rtt(struct cc *c, uint64_t latest, uint64_t srtt)
{
	uint64_t thresh;

	c->srtt = srtt;
	if (!cc_hystart_on(c))
		return;
	if (latest < c->hs_cur_min)
		c->hs_cur_min = latest;
	c->hs_samples++;
	if (c->hs_samples < CC_HS_N_RTT_SAMPLE || c->hs_cur_min == CC_NONE ||
	    c->hs_last_min == CC_NONE)
		return;
	if (!c->hs_css) {
		thresh = c->hs_last_min / CC_HS_MIN_RTT_DIVISOR;
		if (thresh > CC_HS_MAX_RTT_THRESH)
			thresh = CC_HS_MAX_RTT_THRESH;
		if (thresh < CC_HS_MIN_RTT_THRESH)
			thresh = CC_HS_MIN_RTT_THRESH;
		if (c->hs_cur_min >= c->hs_last_min + thresh) {
			c->hs_css = 1;
			c->hs_css_rounds = 0;
			c->hs_css_base = c->hs_cur_min;
			c->hs_css_entries++;
		}
	} else if (c->hs_cur_min < c->hs_css_base) {
		/* The rise was jitter, not a queue: back to slow start. */
		c->hs_css = 0;
		c->hs_css_base = CC_NONE;
	}
}

double
cc_cbrt(double v)
{
	double x, nx;
	int i, neg = v < 0;

	if (neg)
		v = -v;
	if (v == 0)
		return 0;
	/* Newton from above converges monotonically: stop when it turns. */
	x = v > 1 ? v : 1;
	for (i = 0; i < 400; i++) {
		nx = (2 * x + v / (x * x)) / 3;
		if (nx >= x)
			break;
		x = nx;
	}
	return neg ? -x : x;
}

uint64_t
cc_cubic_window(const struct cc *c, double t)
{
	double d = t - c->k;
	double w = CC_CUBIC_C * d * d * d * (double)c->mss + (double)c->w_max;

	if (w <= 0)
		return 0;
	if (w >= 9e18)
		return UINT64_MAX / 2;
	return (uint64_t)w;
}

static void
cc_cubic_epoch(struct cc *c, uint64_t now)
{
	c->epoch_on = 1;
	c->epoch_start = now;
	/* Out of slow start without a loss: the plateau is here, K = 0. */
	if (c->w_max < c->cwnd)
		c->w_max = c->cwnd;
	c->k = cc_cbrt((double)(c->w_max - c->cwnd) / (double)c->mss /
	    CC_CUBIC_C);
	c->w_est = c->cwnd;
	c->w_est_rem = 0;
	c->cubic_rem = 0;
}

static void
cc_cubic_acked(struct cc *c, size_t bytes, uint64_t now)
{
	uint64_t target, num, den, alpha;
	double t;

	if (!c->epoch_on)
		cc_cubic_epoch(c, now);
	/*
	 * W_est grows by alpha packets per window acked: 3 (1 - beta) /
	 * (1 + beta) = 9/17 until it passes the window before the cut,
	 * then 1 (Reno's own rate).
	 */
	alpha = c->w_est >= c->cwnd_prior ? 17 : 9;
	den = 17 * c->cwnd;
	num = alpha * (uint64_t)c->mss * bytes + c->w_est_rem;
	c->w_est += num / den;
	c->w_est_rem = num % den;
	t = (double)(now - c->epoch_start) / 1e6;
	if (cc_cubic_window(c, t) < c->w_est) {
		/* Reno-friendly region. */
		if (c->w_est > c->cwnd)
			c->cwnd = c->w_est;
		return;
	}
	target = cc_cubic_window(c, t + (double)c->srtt / 1e6);
	if (target <= c->cwnd)
		return;
	if (target > c->cwnd + c->cwnd / 2)
		target = c->cwnd + c->cwnd / 2;
	/* (target - cwnd) / cwnd per byte acked, fractions carried. */
	num = (target - c->cwnd) * bytes + c->cubic_rem;
	den = c->cwnd;
	c->cwnd += num / den;
	c->cubic_rem = num % den;
}

void
cc_on_acked(struct cc *c, size_t bytes, uint64_t pn, uint64_t time_sent,
    uint64_t now)
{
	/* Was the window the limit? Flight before this ack counts. */
	int limited = c->bytes_in_flight + 2 * c->mss >= c->cwnd ||
	    (c->cwnd < c->ssthresh && 2 * c->bytes_in_flight >= c->cwnd);
	uint64_t last = c->last_ack;

	cc_on_removed(c, bytes);
	c->last_ack = now;
	if (cc_hystart_on(c))
		cc_hystart_round(c, pn);
	/* Sent before the recovery began: no growth (RFC 9002 B.5). */
	if (c->recovery_start != 0 && time_sent <= c->recovery_start)
		return;
	c->in_recovery = 0;
	if (!limited) {
		/* CUBIC's clock counts only time the window was used. */
		if (c->epoch_on && now > last && last != 0)
			c->epoch_start += now - last;
		return;
	}
	if (c->cwnd < c->ssthresh) {
		c->cwnd += c->hs_css ? bytes / CC_HS_CSS_GROWTH_DIV : bytes;
		return;
	}
	if (c->algo == CC_CUBIC) {
		cc_cubic_acked(c, bytes, now);
		return;
	}
	c->ca_acked += bytes;
	if (c->ca_acked >= c->cwnd) {
		c->ca_acked -= c->cwnd;
		c->cwnd += c->mss;
	}
}

void
cc_on_congestion(struct cc *c, uint64_t time_sent, uint64_t now)
{
	uint64_t min = (uint64_t)CC_MIN_PACKETS * c->mss;

	/*
	 * One cut per recovery period, by send time alone (RFC 9002 B.6):
	 * acks of packets sent after it began end in_recovery, yet a loss
	 * of an older packet found by those very acks is not a new event.
	 */
	if (c->recovery_start != 0 && time_sent <= c->recovery_start)
		return;
	c->in_recovery = 1;
	c->recovery_start = now;
	c->hs_css = 0;
	if (c->algo == CC_CUBIC) {
		/* Fast convergence: yield to newer flows (RFC 9438 §4.7). */
		if (c->w_max != 0 && c->cwnd < c->w_max)
			c->w_max = c->cwnd * (CC_CUBIC_BETA_DEN +
			    CC_CUBIC_BETA_NUM) / (2 * CC_CUBIC_BETA_DEN);
		else
			c->w_max = c->cwnd;
		c->cwnd_prior = c->cwnd;
		c->cwnd = c->cwnd * CC_CUBIC_BETA_NUM / CC_CUBIC_BETA_DEN;
		c->epoch_on = 0;
	} else
		c->cwnd /= 2;
	if (c->cwnd < min)
		c->cwnd = min;
	c->ssthresh = c->cwnd;
	c->ca_acked = 0;
}

void
cc_on_persistent_congestion(struct cc *c)
{
	c->cwnd = (uint64_t)CC_MIN_PACKETS * c->mss;
	c->in_recovery = 0;
	c->recovery_start = 0;
	c->ca_acked = 0;
	c->epoch_on = 0;
}

int
cc_can_send(const struct cc *c, size_t bytes)
{
	return c->bytes_in_flight + bytes <= c->cwnd;
}

uint64_t
cc_pacing_rate(const struct cc *c, uint64_t srtt_us)
{
	uint64_t gain = c->cwnd < c->ssthresh ? CC_PACE_GAIN_SS_PCT :
	    CC_PACE_GAIN_PCT;

	if (srtt_us == 0)
		return 0;
	/* cwnd stays far below 2^40 bytes: no overflow. */
	return c->cwnd * gain * 10000 / srtt_us + 1;
}
