/* SPDX-License-Identifier: ISC */
/*
 * sim.c: the simulated network and its event loop (see sim.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_MTU 1500
#define SIM_PT_MAX 2048

struct sim_pkt {
	uint64_t	 at;
	uint64_t	 seq;
	uint64_t	 pn;
	int		 to;
	size_t		 len;
	uint8_t		*data;
};

uint64_t
sim_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double
sim_uniform(uint64_t *s)
{
	return (double)(sim_rand(s) >> 11) / 9007199254740992.0;
}

void
sim_init(struct sim *s, uint64_t seed)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->rng = seed;
	s->now = 1000000;
	s->app_wake = UINT64_MAX;
	for (i = 0; i < SIM_MAX_ENDS; i++)
		s->queue[i] = i;
}

void
sim_partition(struct sim *s, uint64_t start, uint64_t end)
{
	if (s->n_part < SIM_MAX_PARTITIONS) {
		s->part_start[s->n_part] = start;
		s->part_end[s->n_part] = end;
		s->n_part++;
	}
}

static int
sim_before(const struct sim_pkt *a, const struct sim_pkt *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void
sim_heap_push(struct sim *s, struct sim_pkt *p)
{
	struct sim_pkt t;
	size_t i;

	if (s->heap_n == s->heap_cap) {
		s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 256;
		s->heap = realloc(s->heap, s->heap_cap * sizeof(*s->heap));
		if (s->heap == NULL)
			abort();
	}
	i = s->heap_n++;
	s->heap[i] = *p;
	while (i > 0 && sim_before(&s->heap[i], &s->heap[(i - 1) / 2])) {
		t = s->heap[i];
		s->heap[i] = s->heap[(i - 1) / 2];
		s->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static void
sim_heap_pop(struct sim *s, struct sim_pkt *out)
{
	struct sim_pkt t;
	size_t i = 0, c;

	*out = s->heap[0];
	s->heap[0] = s->heap[--s->heap_n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= s->heap_n)
			break;
		if (c + 1 < s->heap_n && sim_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!sim_before(&s->heap[c], &s->heap[i]))
			break;
		t = s->heap[i];
		s->heap[i] = s->heap[c];
		s->heap[c] = t;
		i = c;
	}
}

static int
sim_partitioned(const struct sim *s, uint64_t t)
{
	int i;

	for (i = 0; i < s->n_part; i++)
		if (t >= s->part_start[i] && t < s->part_end[i])
			return 1;
	return 0;
}

static void
sim_schedule(struct sim *s, int from, uint64_t at, uint64_t pn,
    const uint8_t *p, size_t len)
{
	const struct sim_link *l = &s->link[from];
	struct sim_pkt k;

	k.at = at + l->delay_us;
	if (l->jitter_us)
		k.at += sim_rand(&s->rng) % l->jitter_us;
	if (l->reorder > 0 && sim_uniform(&s->rng) < l->reorder)
		k.at += l->delay_us / 2 + 1000 + sim_rand(&s->rng) % 20000;
	k.seq = s->seq++;
	k.pn = pn;
	k.to = from ^ 1;
	k.len = len;
	if ((k.data = malloc(len)) == NULL)
		abort();
	memcpy(k.data, p, len);
	sim_heap_push(s, &k);
}

static void
sim_send(struct sim *s, int from, uint64_t pn, const uint8_t *p, size_t len)
{
	const struct sim_link *l = &s->link[from];
	uint64_t depart = s->now, queued, tx, *busy;

	s->sent[from]++;
	if (sim_partitioned(s, s->now) ||
	    (l->loss > 0 && sim_uniform(&s->rng) < l->loss)) {
		s->dropped[from]++;
		return;
	}
	if (l->bw_bps) {
		busy = &s->busy_until[s->queue[from]];
		if (*busy > s->now) {
			queued = (*busy - s->now) * l->bw_bps / 8000000;
			if (queued + len > l->queue_bytes) {
				s->dropped[from]++;
				return;
			}
			depart = *busy;
		}
		tx = (uint64_t)len * 8000000 / l->bw_bps;
		depart += tx;
		*busy = depart;
	}
	sim_schedule(s, from, depart, pn, p, len);
	if (l->dup > 0 && sim_uniform(&s->rng) < l->dup)
		sim_schedule(s, from, depart, pn, p, len);
}

void
sim_flush(struct sim *s, int side)
{
	uint8_t buf[SIM_MTU], wire[SIM_PT_MAX];
	uint64_t pn;
	size_t n, m;

	if (s->tp[side] == NULL)
		return;
	for (;;) {
		pn = s->next_pn != NULL ? s->next_pn(s, side) : s->pn[side];
		if ((n = tp_output(s->tp[side], s->now, pn, buf,
		    sizeof(buf))) == 0)
			break;
		if (s->seal != NULL) {
			if ((m = s->seal(s, side, buf, n, wire,
			    sizeof(wire))) > 0)
				sim_send(s, side, pn, wire, m);
		} else
			sim_send(s, side, pn, buf, n);
		s->pn[side]++;
	}
}

static uint64_t
sim_next_event(const struct sim *s)
{
	uint64_t t = s->app != NULL ? s->app_wake : UINT64_MAX, x;
	int i;

	if (s->heap_n > 0 && s->heap[0].at < t)
		t = s->heap[0].at;
	for (i = 0; i < SIM_MAX_ENDS; i++) {
		if (s->tp[i] != NULL && (x = tp_next_timeout(s->tp[i])) < t)
			t = x;
	}
	return t;
}

int
sim_step(struct sim *s, uint64_t until)
{
	uint8_t pt[SIM_PT_MAX];
	struct sim_pkt k;
	uint64_t t, pn;
	long n;
	int i;

	t = sim_next_event(s);
	if (t > until) {
		s->now = until;
		return 0;
	}
	/* A timer that does not move would spin: let time pass. */
	s->now = t > s->now ? t : s->now + 1;
	while (s->heap_n > 0 && s->heap[0].at <= s->now) {
		sim_heap_pop(s, &k);
		if (s->tp[k.to] != NULL && s->open != NULL) {
			n = s->open(s, k.to, k.data, k.len, pt, sizeof(pt), &pn);
			if (n >= 0 && tp_input(s->tp[k.to], s->now, pn, pt,
			    (size_t)n) == -1)
				s->malformed++;
		} else if (s->tp[k.to] != NULL && tp_input(s->tp[k.to], s->now,
		    k.pn, k.data, k.len) == -1)
			s->malformed++;
		free(k.data);
	}
	for (i = 0; i < SIM_MAX_ENDS; i++) {
		if (s->tp[i] != NULL && tp_next_timeout(s->tp[i]) <= s->now)
			tp_on_timeout(s->tp[i], s->now);
	}
	if (s->app != NULL && s->app_wake <= s->now) {
		s->app_wake = UINT64_MAX;
		s->app(s, s->app_arg);
	}
	for (i = 0; i < SIM_MAX_ENDS; i++)
		sim_flush(s, i);
	return 1;
}

void
sim_free(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->heap_n; i++)
		free(s->heap[i].data);
	free(s->heap);
	s->heap = NULL;
	s->heap_n = 0;
}
