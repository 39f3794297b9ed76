/* SPDX-License-Identifier: ISC */
/*
 * simprio.c: the urgent-beside-bulk workload of simprio.h.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "simprio.h"
#include "tp.h"

#define SP_PERIOD_US	16000		/* the game's messages: 60 Hz */
#define SP_MSG		100
#define SP_BULK_MSG	65536

struct sp {
	struct sim		 sim;
	const struct simprio_cfg *cfg;
	uint64_t		 end;
	uint64_t		 next_urgent;
	size_t			 sent;
	double			*lat_ms;
	size_t			 n_lat, cap_lat;
	uint64_t		 bulk_bytes;
	uint8_t			 bulk[SP_BULK_MSG];
};

static void
sp_message(void *arg, const struct tp_msg_info *mi, const uint8_t *d,
    size_t len)
{
	struct sp *p = arg;
	uint64_t t;

	if (strcmp(mi->service, "assets") == 0) {
		if (p->sim.now <= p->end)
			p->bulk_bytes += len;
		if (mi->mode == TP_MODE_RELIABLE)
			(void)tp_stream_grant(p->sim.tp[1], mi->sid, len);
		return;
	}
	if (len != SP_MSG || p->n_lat == p->cap_lat)
		abort();
	memcpy(&t, d, sizeof(t));
	p->lat_ms[p->n_lat++] = (double)(p->sim.now - t) / 1000.0;
	if (mi->mode == TP_MODE_RELIABLE)
		(void)tp_stream_grant(p->sim.tp[1], mi->sid, len);
}

static void
sp_app(struct sim *s, void *arg)
{
	struct sp *p = arg;
	uint8_t m[SP_MSG];

	if (s->now >= p->end)
		return;
	while (s->now >= p->next_urgent) {
		memset(m, 0x5a, sizeof(m));
		memcpy(m, &s->now, sizeof(s->now));
		if (tp_send_message_prio(s->tp[0], "game", 1,
		    p->cfg->urgent_mode, p->cfg->urgent_prio, m, sizeof(m),
		    NULL, NULL) == 0)
			p->sent++;
		p->next_urgent += SP_PERIOD_US;
	}
	while (p->cfg->bulk && tp_send_message_prio(s->tp[0], "assets", 0,
	    TP_MODE_RELIABLE, p->cfg->bulk_prio, p->bulk, sizeof(p->bulk),
	    NULL, NULL) == 0)
		;
	s->app_wake = s->now + 1000 < p->next_urgent ? s->now + 1000 :
	    p->next_urgent;
}

static int
sp_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
sp_pct(const double *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

void
simprio_run(const struct simprio_cfg *cfg, struct simprio_result *r)
{
	struct sp *p = calloc(1, sizeof(*p));
	struct tp_cfg tc;
	struct tp_cb cb;
	struct tp_stats st;
	uint64_t start;
	int i;

	if (p == NULL)
		abort();
	p->cfg = cfg;
	p->cap_lat = (size_t)(cfg->secs * 1000000 / SP_PERIOD_US) + 2;
	if ((p->lat_ms = calloc(p->cap_lat, sizeof(double))) == NULL)
		abort();
	sim_init(&p->sim, cfg->seed);
	for (i = 0; i < 2; i++) {
		p->sim.link[i].loss = cfg->loss;
		p->sim.link[i].delay_us = 20000;
		p->sim.link[i].bw_bps = 20000000;
		p->sim.link[i].queue_bytes = 100000;	/* one BDP */
	}
	memset(&cb, 0, sizeof(cb));
	cb.arg = p;
	cb.message_ex = sp_message;
	tp_cfg_default(&tc);
	for (i = 0; i < 2; i++) {
		tc.initiator = i == 0;
		p->sim.tp[i] = tp_new(&tc, &cb, p->sim.now);
	}
	start = p->sim.now;
	p->end = start + cfg->secs * 1000000;
	p->next_urgent = start;
	p->sim.app = sp_app;
	p->sim.app_arg = p;
	p->sim.app_wake = start;
	/* The last messages get a second to arrive. */
	while (sim_step(&p->sim, p->end + 1000000))
		;
	memset(r, 0, sizeof(*r));
	r->sent = p->sent;
	r->delivered = p->n_lat;
	qsort(p->lat_ms, p->n_lat, sizeof(double), sp_cmp);
	r->p50_ms = sp_pct(p->lat_ms, p->n_lat, 0.50);
	r->p99_ms = sp_pct(p->lat_ms, p->n_lat, 0.99);
	r->max_ms = p->n_lat > 0 ? p->lat_ms[p->n_lat - 1] : 0;
	r->bulk_mbps = (double)p->bulk_bytes * 8 / (double)(p->end - start);
	tp_get_stats(p->sim.tp[0], &st);
	r->lost_packets = st.lost;
	tp_free(p->sim.tp[0]);
	tp_free(p->sim.tp[1]);
	sim_free(&p->sim);
	free(p->lat_ms);
	free(p);
}
