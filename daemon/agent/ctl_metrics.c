/* SPDX-License-Identifier: ISC */
/*
 * ctl_metrics.c: the agent's metrics (docs/METRICS.md), for `p2pctl
 * metrics` (MetricsReq) and GET /metrics of --metrics (ctl_http.c).
 *
 * One collection makes a list of samples: the counter table (stats.c),
 * then gauges read now (sessions by path, IPC clients, inbox bytes, the
 * server link), then each session's figures, labelled with its peer, for
 * at most CTL_METRICS_PEERS sessions (above that, only the totals: a
 * scrape stays small and fits one IPC frame). The samples point into the
 * agent (peer ids, the table's names), so they are used and freed before
 * the event loop runs again. Families are contiguous; HELP and TYPE go
 * with the first sample of each.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "ctl.h"

#define CTL_METRICS_PEERS	256

/* Gauges of every session, labelled by peer (from struct engine_peer). */
enum ctl_mp { MP_RTT, MP_LATEST_RTT, MP_SENT, MP_RECV, MP_LOST, MP_RETX,
	MP_CWND, MP_QUEUED, MP_HS_AGE, MP_RX_AGE, MP_N };

static const struct {
	const char	*name, *type, *help;
} ctl_metrics_peer[MP_N] = {
	[MP_RTT] = { "p2pd_peer_rtt_seconds", "gauge",
	    "smoothed round-trip time of the session" },
	[MP_LATEST_RTT] = { "p2pd_peer_latest_rtt_seconds", "gauge",
	    "the session's latest RTT sample" },
	[MP_SENT] = { "p2pd_peer_sent_bytes_total", "counter",
	    "stream bytes sent in the session" },
	[MP_RECV] = { "p2pd_peer_received_bytes_total", "counter",
	    "stream bytes received in order in the session" },
	[MP_LOST] = { "p2pd_peer_lost_packets_total", "counter",
	    "packets of the session declared lost" },
	[MP_RETX] = { "p2pd_peer_retransmitted_bytes_total", "counter",
	    "stream bytes of the session sent again" },
	[MP_CWND] = { "p2pd_peer_cwnd_bytes", "gauge",
	    "congestion window of the session" },
	[MP_QUEUED] = { "p2pd_peer_queued_bytes", "gauge",
	    "bytes taken from applications, not yet acknowledged" },
	[MP_HS_AGE] = { "p2pd_peer_handshake_age_seconds", "gauge",
	    "time since the session's keys were made (handshake or rekey)" },
	[MP_RX_AGE] = { "p2pd_peer_last_received_seconds", "gauge",
	    "time since the last packet from the peer" },
};

static const char *const ctl_metrics_paths[] = { "direct", "relay",
	"connecting" };
#define CTL_NPATHS	(sizeof(ctl_metrics_paths) / sizeof(ctl_metrics_paths[0]))

struct ctl_metrics_peers {
	struct engine_peer	*v;
	size_t			 n, max;
	uint64_t		 paths[CTL_NPATHS];
};

static int
ctl_metrics_add(struct ctl_metrics *m, const char *name, const char *type,
    const char *help, const char *lname, const char *lval, double v)
{
	struct ctl_metric *x;
	size_t cap;

	if (m->n == m->cap) {
		cap = m->cap ? m->cap * 2 : 64;
		if ((x = reallocarray(m->v, cap, sizeof(*x))) == NULL)
			return -1;
		m->v = x;
		m->cap = cap;
	}
	x = &m->v[m->n++];
	x->name = name;
	x->type = type;
	/* HELP and TYPE once, with the first sample of a family */
	x->first = m->n == 1 || strcmp(m->v[m->n - 2].name, name) != 0;
	x->help = help;
	x->lname = lname;
	x->lval = lval;
	x->value = v;
	return 0;
}

static void
ctl_metrics_one_peer(void *arg, const struct engine_peer *e)
{
	struct ctl_metrics_peers *mp = arg;
	size_t i;

	for (i = 0; i < CTL_NPATHS; i++)
		if (strcmp(e->path, ctl_metrics_paths[i]) == 0)
			mp->paths[i]++;
	if (mp->n < mp->max)
		mp->v[mp->n++] = *e;
}

static double
ctl_metrics_age(int64_t us)
{
	return us < 0 ? -1 : (double)us / 1e6;
}

static double
ctl_metrics_peer_value(const struct engine_peer *e, int k)
{
	switch (k) {
	case MP_RTT:
		return (double)e->ts.srtt_us / 1e6;
	case MP_LATEST_RTT:
		return (double)e->ts.latest_rtt_us / 1e6;
	case MP_SENT:
		return (double)e->ts.tx_bytes;
	case MP_RECV:
		return (double)e->ts.rx_bytes;
	case MP_LOST:
		return (double)e->ts.lost;
	case MP_RETX:
		return (double)e->ts.retransmits;
	case MP_CWND:
		return (double)e->ts.cwnd;
	case MP_QUEUED:
		return (double)e->queued;
	case MP_HS_AGE:
		return ctl_metrics_age(e->hs_age_us);
	default:
		return ctl_metrics_age(e->rx_age_us);
	}
}

static int
ctl_metrics_counters(struct ctl *ctl, struct ctl_metrics *m)
{
	struct engine_status es;
	const struct stats_field *sf;
	const char *help = NULL;
	uint64_t v;

	engine_status(ctl->a, &es);
	for (sf = stats_fields; sf->name != NULL; sf++) {
		if (sf->help != NULL)
			help = sf->help;
		memcpy(&v, (const char *)&es.ctr + sf->off, sizeof(v));
		if (ctl_metrics_add(m, sf->metric, "counter", help, sf->lname,
		    sf->lval, (double)v) == -1)
			return -1;
	}
	return 0;
}

static int
ctl_metrics_gauges(struct ctl *ctl, struct ctl_metrics *m,
    const struct ctl_metrics_peers *mp)
{
	size_t i;
	int rc = 0;

	rc |= ctl_metrics_add(m, "p2pd_build_info", "gauge", "the agent's "
	    "version", "version", PACKAGE_VERSION, 1);
	rc |= ctl_metrics_add(m, "p2pd_uptime_seconds", "gauge", "seconds "
	    "since p2pd started", NULL, NULL,
	    (double)(agent_now() - ctl->started) / 1e6);
	rc |= ctl_metrics_add(m, "p2pd_registered", "gauge", "1 while "
	    "registered with the server", NULL, NULL,
	    engine_registered(ctl->a) ? 1 : 0);
	for (i = 0; i < CTL_NPATHS; i++)
		rc |= ctl_metrics_add(m, "p2pd_sessions", "gauge", "sessions "
		    "by the path they use", "path", ctl_metrics_paths[i],
		    (double)mp->paths[i]);
	rc |= ctl_metrics_add(m, "p2pd_ipc_clients", "gauge", "applications "
	    "connected to the IPC socket", NULL, NULL, (double)ctl->ipc->n);
	rc |= ctl_metrics_add(m, "p2pd_inbox_bytes", "gauge", "bytes waiting "
	    "in the services' inboxes (or reserved for them)", NULL, NULL,
	    (double)ctl->a->svcs.total_used);
	return rc;
}

int
ctl_metrics_collect(struct ctl *ctl, struct ctl_metrics *m)
{
	struct ctl_metrics_peers mp;
	size_t i;
	int k;

	memset(m, 0, sizeof(*m));
	memset(&mp, 0, sizeof(mp));
	mp.max = engine_npeers(ctl->a);
	if (mp.max > CTL_METRICS_PEERS)
		mp.max = 0;		/* only the totals */
	if (mp.max > 0 && (mp.v = calloc(mp.max, sizeof(*mp.v))) == NULL)
		return -1;
	engine_peers(ctl->a, ctl_metrics_one_peer, &mp);
	if (ctl_metrics_counters(ctl, m) == -1 ||
	    ctl_metrics_gauges(ctl, m, &mp) != 0)
		goto fail;
	m->peers = mp.v;
	for (k = 0; k < MP_N; k++)
		for (i = 0; i < mp.n; i++)
			if (ctl_metrics_add(m, ctl_metrics_peer[k].name,
			    ctl_metrics_peer[k].type, ctl_metrics_peer[k].help,
			    "peer", mp.v[i].id,
			    ctl_metrics_peer_value(&mp.v[i], k)) == -1)
				goto fail;
	return 0;
fail:
	m->peers = mp.v;
	ctl_metrics_free(m);
	return -1;
}

void
ctl_metrics_free(struct ctl_metrics *m)
{
	free(m->v);
	free(m->peers);
	memset(m, 0, sizeof(*m));
}

/* A label value in the text format: \, " and newline escaped. */
static void
ctl_metrics_label(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/* The Prometheus text format (0.0.4). */
void
ctl_metrics_text(const struct ctl_metrics *m, struct evbuffer *b)
{
	const struct ctl_metric *x;
	char num[64];
	size_t i;

	for (i = 0; i < m->n; i++) {
		x = &m->v[i];
		if (x->first)
			evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n",
			    x->name, x->help, x->name, x->type);
		evbuffer_add_printf(b, "%s", x->name);
		if (x->lname != NULL) {
			evbuffer_add_printf(b, "{%s=\"", x->lname);
			ctl_metrics_label(b, x->lval);
			evbuffer_add(b, "\"}", 2);
		}
		/* whole numbers (counters) in full, others to 9 digits,
		 * as p2pctl metrics prints them */
		if (x->value > -1e15 && x->value < 1e15 &&
		    x->value == (double)(int64_t)x->value)
			snprintf(num, sizeof(num), "%.0f", x->value);
		else
			snprintf(num, sizeof(num), "%.9g", x->value);
		evbuffer_add_printf(b, " %s\n", num);
	}
}

/* --- p2pctl metrics ----------------------------------------------------- */

void
ctl_metrics(struct ipc_client *c, P2p__Ipc__Request *req)
{
	P2p__Ipc__Response r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__MetricsResp mr = P2P__IPC__METRICS_RESP__INIT;
	P2p__Ipc__Metric *pm = NULL, **pp = NULL;
	struct ctl_metrics m;
	char **labels = NULL;
	size_t i;

	if (ctl_metrics_collect(c->a->ctl, &m) == -1)
		goto nomem;
	if ((pm = calloc(m.n, sizeof(*pm))) == NULL ||
	    (pp = calloc(m.n, sizeof(*pp))) == NULL ||
	    (labels = calloc(m.n * 2, sizeof(*labels))) == NULL)
		goto nomem;
	for (i = 0; i < m.n; i++) {
		p2p__ipc__metric__init(&pm[i]);
		pm[i].name = (char *)m.v[i].name;
		pm[i].value = m.v[i].value;
		if (m.v[i].first) {
			pm[i].type = (char *)m.v[i].type;
			pm[i].help = (char *)m.v[i].help;
		}
		if (m.v[i].lname != NULL) {
			labels[2 * i] = (char *)m.v[i].lname;
			labels[2 * i + 1] = (char *)m.v[i].lval;
			pm[i].labels = &labels[2 * i];
			pm[i].n_labels = 2;
		}
		pp[i] = &pm[i];
	}
	mr.metrics = pp;
	mr.n_metrics = m.n;
	r.id = req->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_METRICS;
	r.metrics = &mr;
	(void)ipc_send_resp(c, &r);
	free(labels);
	free(pp);
	free(pm);
	ctl_metrics_free(&m);
	return;
nomem:
	free(labels);
	free(pp);
	free(pm);
	ctl_metrics_free(&m);
	ipc_reply(c, req->id, P2P__IPC__CODE__ERR_FAILED, "out of memory");
}
