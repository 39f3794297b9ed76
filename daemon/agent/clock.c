/* SPDX-License-Identifier: ISC */
/*
 * clock.c: the agent's clocks (agent.h). agent_now() is the monotonic
 * clock in microseconds handed to the core; the wall clock only labels
 * handshakes and tokens.
 */
#include <time.h>

#include <event2/event.h>

#include "agent.h"

uint64_t
agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
agent_wall(void)
{
	return (uint64_t)time(NULL);
}

void
agent_timer_in(struct event *ev, uint64_t us)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(ev, &tv);
}

uint64_t
agent_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
