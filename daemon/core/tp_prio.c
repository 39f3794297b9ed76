/* SPDX-License-Identifier: ISC */
/*
 * tp_prio.c: priority classes (tp.h, PROTOCOL.md §3.4).
 *
 * Which class opens the next packet is stride scheduling (Waldspurger and
 * Weihl): each class has a pass that grows by its stride, 1 / weight, each
 * time it opens a packet, and the class with data and the lowest pass goes
 * next (ties to the more urgent). A class that was idle starts from the
 * pass of the last chosen one, so it cannot save up a burst, but it goes
 * at once: a high-priority message waits for at most the packet being
 * built. Each class keeps its share however the others behave.
 *
 * The scheduler orders what leaves this end; a bulk class could still fill
 * the path's queue (a bottleneck link, the receiver's socket) for its
 * whole congestion window, and the urgent message would wait behind that
 * queue. So while a more urgent class is active (it sent within
 * TP_PRIO_HOLD_US), a class sends only while the bytes in flight stay
 * under 5/4 x the delivery rate x the minimum RTT (at least 4 packets),
 * and when it is its turn and it is held, no class sends until it may
 * (so that the urgent ones cannot take its share: the floor holds):
 * the path then carries at most a quarter of a minimum RTT of queue, and
 * the bulk still gets the rate the path delivers (BBR's estimate, with a
 * smaller gain). The delivery rate is measured from the acks over at
 * least one smoothed RTT, the largest of the last 10 RTTs kept.
 */
#include "tp_int.h"

static const uint64_t tp_prio_stride[TP_PRIOS] = {
	[TP_PRIO_HIGH] = 1,		/* weight 16 */
	[TP_PRIO_NORMAL] = 4,		/* weight 4 */
	[TP_PRIO_LOW] = 16,		/* weight 1 */
};

/* The class of an outgoing stream: the most urgent data it still holds. */
int
tp_os_class(const struct tp_ostream *os)
{
	uint64_t first = os->retx.n > 0 && os->retx.v[0].lo < os->send_off ?
	    os->retx.v[0].lo : os->send_off;
	int c;

	for (c = 0; c < TP_PRIOS; c++)
		if (os->prio_end[c] > first)
			return c;
	return os->prio;
}

/* A message of class prio was just appended to os. */
void
tp_prio_mark(struct tp *tp, struct tp_ostream *os, int prio)
{
	os->prio_end[prio] = os->base + os->len;
	os->prio = prio;
	tp->prio_fresh |= 1u << prio;
}

/* Classes queued since the last packet count as active from now. */
void
tp_prio_stamp(struct tp *tp, uint64_t now)
{
	int c;

	for (c = 0; c < TP_PRIOS; c++)
		if (tp->prio_fresh & (1u << c))
			tp->prio_seen[c] = now != 0 ? now : 1;
	tp->prio_fresh = 0;
}

/* Must class prio wait, to keep the path's queue short for a higher one? */
int
tp_prio_held(const struct tp *tp, int prio, uint64_t now)
{
	uint64_t cap;
	int c, active = 0;

	for (c = 0; c < prio && !active; c++)
		active = tp->prio_seen[c] != 0 &&
		    now - tp->prio_seen[c] < TP_PRIO_HOLD_US;
	if (!active || tp->dr_max == 0 || !tp->rtt_sampled || tp->probes)
		return 0;
	cap = tp->dr_max * tp->min_rtt / 1000000 * 5 / 4;
	if (cap < 4 * tp->cfg.max_payload)
		cap = 4 * tp->cfg.max_payload;
	return tp->cc.bytes_in_flight >= cap;
}

/*
 * The class (bit c of ready: it has data) whose turn it is to open the
 * next packet, -1 if none; tp_prio_charge() when it did.
 */
int
tp_prio_pick(struct tp *tp, unsigned ready)
{
	int c, best = -1;

	for (c = 0; c < TP_PRIOS; c++) {
		if (!(ready & (1u << c)))
			continue;
		if (tp->prio_pass[c] < tp->prio_vt)
			tp->prio_pass[c] = tp->prio_vt;	/* no saved credit */
		if (best == -1 || tp->prio_pass[c] < tp->prio_pass[best])
			best = c;
	}
	return best;
}

void
tp_prio_charge(struct tp *tp, int c)
{
	tp->prio_vt = tp->prio_pass[c];
	tp->prio_pass[c] += tp_prio_stride[c];
}

void
tp_prio_on_acked(struct tp *tp, uint64_t bytes, uint64_t now)
{
	uint64_t span = tp->srtt > 1000 ? tp->srtt : 1000, rate;

	if (tp->dr_start == 0 || now < tp->dr_start) {
		tp->dr_start = now;
		tp->dr_bytes = 0;
		return;
	}
	tp->dr_bytes += bytes;
	if (now - tp->dr_start < span)
		return;
	rate = tp->dr_bytes * 1000000 / (now - tp->dr_start);
	if (rate >= tp->dr_max || now - tp->dr_max_at > 10 * span) {
		tp->dr_max = rate;
		tp->dr_max_at = now;
	}
	tp->dr_start = now;
	tp->dr_bytes = 0;
}

/* Another path: its rate is not known yet. */
void
tp_prio_path_changed(struct tp *tp)
{
	tp->dr_start = 0;
	tp->dr_bytes = 0;
	tp->dr_max = 0;
	tp->dr_max_at = 0;
}
