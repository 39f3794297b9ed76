/* SPDX-License-Identifier: ISC */
/*
 * pacer.c: the token bucket that paces packets (see pacer.h).
 */
#include "pacer.h"

#define PACER_SCALE	1000000		/* credit is bytes x 10^6 */

void
pacer_init(struct pacer *p, size_t mss)
{
	p->mss = mss;
	p->rate = 0;
	/* The first flight may go as one burst (the initial window). */
	p->credit = (int64_t)PACER_BURST_PACKETS * (int64_t)mss * PACER_SCALE;
	p->last = 0;
	p->next = 0;
	p->waiting = 0;
}

/* The most an idle sender may save up: a burst or one granule. */
static int64_t
pacer_cap(const struct pacer *p)
{
	int64_t burst = (int64_t)PACER_BURST_PACKETS * (int64_t)p->mss *
	    PACER_SCALE;
	int64_t granule = (int64_t)(p->rate * PACER_GRANULARITY_US);

	return granule > burst ? granule : burst;
}

void
pacer_update(struct pacer *p, uint64_t now, uint64_t rate)
{
	uint64_t elapsed;
	int64_t cap, hard, gained, c;

	if (rate >= PACER_RATE_UNPACED)
		rate = 0;
	p->rate = rate;
	if (p->last == 0 || now < p->last) {
		p->last = now;
		return;
	}
	elapsed = now - p->last;
	p->last = now;
	if (rate == 0) {
		p->waiting = 0;
		if (p->credit < pacer_cap(p))
			p->credit = pacer_cap(p);
		return;
	}
	/* A second at under 2^27 bytes/s: no overflow. */
	if (elapsed > 1000000)
		elapsed = 1000000;
	gained = (int64_t)(elapsed * rate);
	cap = pacer_cap(p);
	hard = (int64_t)rate * PACER_SCALE;
	if (hard < cap)
		hard = cap;
	c = p->credit + gained;
	/*
	 * Idle time saves up to the cap only; time spent waiting for a
	 * timer (which may fire late) all counts, within the hard bound.
	 * Credit above the cap is not cut here: it was earned while
	 * waiting and is spent by the packets of this same wake-up.
	 */
	if (!p->waiting && c > cap)
		c = p->credit > cap ? p->credit : cap;
	if (c > hard)
		c = hard;
	p->credit = c;
}

int
pacer_can_send(struct pacer *p)
{
	int64_t full = (int64_t)p->mss * PACER_SCALE, want, cap;
	uint64_t wait;

	if (p->rate == 0 || p->credit >= full) {
		p->waiting = 0;
		return 1;
	}
	/* Wait for a granule's worth at least, never past the cap. */
	want = (int64_t)(p->rate * PACER_GRANULARITY_US);
	if (want < full)
		want = full;
	cap = pacer_cap(p);
	if (want > cap)
		want = cap;
	wait = (uint64_t)(want - p->credit);
	wait = (wait + p->rate - 1) / p->rate;
	p->next = p->last + (wait > 0 ? wait : 1);
	p->waiting = 1;
	return 0;
}

void
pacer_on_sent(struct pacer *p, size_t bytes)
{
	int64_t floor;

	if (p->rate == 0)
		return;
	p->credit -= (int64_t)bytes * PACER_SCALE;
	/* Probes go unpaced: their debt must not stall the sender long. */
	floor = -pacer_cap(p);
	if (p->credit < floor)
		p->credit = floor;
}

uint64_t
pacer_next(const struct pacer *p)
{
	return p->waiting && p->rate != 0 ? p->next : UINT64_MAX;
}

void
pacer_wake(struct pacer *p, uint64_t now)
{
	if (!p->waiting || now < p->next)
		return;
	pacer_update(p, now, p->rate);
	p->waiting = 0;
}

void
pacer_idle(struct pacer *p)
{
	p->waiting = 0;
	if (p->credit > pacer_cap(p))
		p->credit = pacer_cap(p);
}
