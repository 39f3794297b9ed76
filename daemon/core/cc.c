/*
 * cc.c: NewReno (see cc.h).
 */
#include "cc.h"

void
cc_init(struct cc *c, size_t mss)
{
	c->mss = mss;
	c->cwnd = (uint64_t)CC_INITIAL_PACKETS * mss;
	c->ssthresh = UINT64_MAX;
	c->bytes_in_flight = 0;
	c->recovery_start = 0;
	c->in_recovery = 0;
	c->ca_acked = 0;
}

void
cc_on_sent(struct cc *c, size_t bytes)
{
	c->bytes_in_flight += bytes;
}

void
cc_on_removed(struct cc *c, size_t bytes)
{
	c->bytes_in_flight -= bytes < c->bytes_in_flight ?
	    bytes : c->bytes_in_flight;
}

void
cc_on_acked(struct cc *c, size_t bytes, uint64_t time_sent)
{
	/* Was the window the limit? Flight before this ack counts. */
	int limited = c->bytes_in_flight + 2 * c->mss >= c->cwnd ||
	    (c->cwnd < c->ssthresh && 2 * c->bytes_in_flight >= c->cwnd);

	cc_on_removed(c, bytes);
	/* Sent before the recovery began: no growth (RFC 9002 B.5). */
	if (c->recovery_start != 0 && time_sent <= c->recovery_start)
		return;
	c->in_recovery = 0;
	if (!limited)
		return;
	if (c->cwnd < c->ssthresh) {
		c->cwnd += bytes;
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
