/* SPDX-License-Identifier: ISC */
/*
 * test_client_ops.c: what libp2pclient 1.3 adds for operators, against the
 * fake agent: p2pclient_metrics (samples, labels, type and help once per
 * name; a reply with a label missing its value is refused), log levels
 * (the level in force, a refusal passed on), the agent's version and
 * uptime in status, event times, and how fresh a session is in peers
 * (ages of -1 from an agent older than the library).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ipcmsg.h"
#include "p2pclient.h"

#include "test_client_conn.h"
#include "test_client_fake.h"
#include "test_client_script.h"

static int	metrics_odd;	/* answer with a label without its value */

static int
metrics_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__MetricsResp	mr = P2P__IPC__METRICS_RESP__INIT;
	P2p__Ipc__Metric	m[3], *mp[3] = { &m[0], &m[1], &m[2] };
	char			*l1[] = { "path", "direct" };
	char			*l2[] = { "path", "relay", "x" };
	size_t			 i;

	if (q->op_case != P2P__IPC__REQUEST__OP_METRICS)
		return 0;
	for (i = 0; i < 3; i++)
		p2p__ipc__metric__init(&m[i]);
	m[0].name = "p2pd_sent_bytes_total";
	m[0].type = "counter";
	m[0].help = "bytes sent";
	m[0].value = 123456789;
	m[1].name = m[2].name = "p2pd_sessions";
	m[1].type = "gauge";
	m[1].help = "sessions by path";
	m[1].labels = l1;
	m[1].n_labels = 2;
	m[1].value = 2;
	m[2].labels = l2;
	m[2].n_labels = metrics_odd ? 3 : 2;
	m[2].value = 0.5;
	mr.metrics = mp;
	mr.n_metrics = 3;
	r.id = q->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_METRICS;
	r.metrics = &mr;
	agent_respond(fd, &r);
	return 1;
}

Test(client_ops, metrics)
{
	struct p2pclient	*c = client_start(agent_one(metrics_answer));
	struct p2pclient_metrics *ms;

	metrics_odd = 0;
	cr_assert_eq(p2pclient_metrics(c, &ms), 0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(ms->size, sizeof(*ms));
	cr_assert_eq(ms->n, 3);
	cr_assert_eq(ms->v[0]->size, sizeof(*ms->v[0]));
	cr_assert_str_eq(ms->v[0]->name, "p2pd_sent_bytes_total");
	cr_assert_str_eq(ms->v[0]->type, "counter");
	cr_assert_eq(ms->v[0]->nlabels, 0);
	cr_assert_eq(ms->v[0]->value, 123456789);
	cr_assert_eq(ms->v[1]->nlabels, 1);
	cr_assert_str_eq(ms->v[1]->labels[0], "path");
	cr_assert_str_eq(ms->v[1]->labels[1], "direct");
	cr_assert_str_eq(ms->v[2]->type, "");	/* once per name */
	cr_assert_str_eq(ms->v[2]->labels[1], "relay");
	cr_assert_eq(ms->v[2]->value, 0.5);
	p2pclient_metrics_free(ms);
	client_finish(c);
}

Test(client_ops, metrics_label_without_value_is_refused)
{
	struct p2pclient	*c = client_start(agent_one(metrics_answer));
	struct p2pclient_metrics *ms = (void *)1;

	metrics_odd = 1;
	cr_assert_eq(p2pclient_metrics(c, &ms), P2PCLIENT_EPROTO);
	cr_assert_null(ms);
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "label without"),
	    "%s", p2pclient_errmsg(c));
	client_finish(c);
}

static char	level_now[16] = "info";

static int
level_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__LogLevelResp	lr = P2P__IPC__LOG_LEVEL_RESP__INIT;
	const char		*want;

	if (q->op_case != P2P__IPC__REQUEST__OP_LOG_LEVEL)
		return 0;
	want = q->log_level->level;
	if (*want != '\0' && strcmp(want, "debug") != 0 &&
	    strcmp(want, "error") != 0) {
		agent_error(fd, q->id, P2P__IPC__CODE__ERR_USAGE,
		    "log level 'loud' is not error, warning, info or debug");
		return 1;
	}
	lr.previous = level_now;
	if (*want != '\0')
		snprintf(level_now, sizeof(level_now), "%s", want);
	lr.level = level_now;
	r.id = q->id;
	r.result_case = P2P__IPC__RESPONSE__RESULT_LOG_LEVEL;
	r.log_level = &lr;
	agent_respond(fd, &r);
	return 1;
}

Test(client_ops, log_level)
{
	struct p2pclient	*c = client_start(agent_all(level_answer));
	char			 out[16];

	cr_assert_eq(p2pclient_log_level(c, NULL, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "info");
	cr_assert_eq(p2pclient_log_level(c, "debug", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "debug");
	cr_assert_eq(p2pclient_log_level(c, "loud", out, sizeof(out)),
	    P2PCLIENT_EUSAGE);
	cr_assert_str_eq(out, "");
	cr_assert_not_null(strstr(p2pclient_errmsg(c), "'loud'"));
	cr_assert_eq(p2pclient_log_level(c, "", NULL, 0), 0);
	cr_assert_eq(p2pclient_log_level(c, "", out, 3), 0);
	cr_assert_str_eq(out, "de");	/* cut to the buffer, terminated */
	client_finish(c);
}

static int	old_agent;	/* leave the 1.3 fields out */

static int
status_peers_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__Response	r = P2P__IPC__RESPONSE__INIT;
	P2p__Ipc__StatusResp	st = P2P__IPC__STATUS_RESP__INIT;
	P2p__Ipc__PeersResp	pr = P2P__IPC__PEERS_RESP__INIT;
	P2p__Ipc__PeerInfo	pi = P2P__IPC__PEER_INFO__INIT, *pp = &pi;

	r.id = q->id;
	if (q->op_case == P2P__IPC__REQUEST__OP_STATUS) {
		st.peer_id = "alice";
		st.server_state = "registered";
		if (!old_agent) {
			st.version = "9.8.7";
			st.uptime_s = 42.5;
		}
		agent_status(fd, q->id, &st);
		return 1;
	}
	if (q->op_case != P2P__IPC__REQUEST__OP_PEERS)
		return 0;
	pi.peer_id = "bob";
	pi.state = "up";
	pi.path = "direct";
	if (!old_agent) {
		pi.cipher = "ChaChaPoly";
		pi.handshake_age_s = 12.5;
		pi.last_rx_age_s = 0.25;
		pi.latest_rtt_ms = 3.5;
		pi.rtt_age_s = 1.5;
	}
	pr.peers = &pp;
	pr.n_peers = 1;
	r.result_case = P2P__IPC__RESPONSE__RESULT_PEERS;
	r.peers = &pr;
	agent_respond(fd, &r);
	return 1;
}

static void
check_status_peers(int old)
{
	struct p2pclient	*c;
	struct p2pclient_status	*st;
	struct p2pclient_peers	*ps;
	struct p2pclient_peer	*p;

	old_agent = old;
	c = client_start(agent_all(status_peers_answer));
	cr_assert_eq(p2pclient_status(c, &st), 0, "%s", p2pclient_errmsg(c));
	cr_assert(P2PCLIENT_HAS(struct p2pclient_status, st, uptime_s));
	cr_assert_str_eq(st->version, old ? "" : "9.8.7");
	cr_assert_eq(st->uptime_s, old ? 0 : 42.5);
	p2pclient_status_free(st);
	cr_assert_eq(p2pclient_peers(c, &ps), 0, "%s", p2pclient_errmsg(c));
	cr_assert_eq(ps->n, 1);
	p = ps->v[0];
	cr_assert(P2PCLIENT_HAS(struct p2pclient_peer, p, rtt_age_s));
	cr_assert_str_eq(p->cipher, old ? "" : "ChaChaPoly");
	cr_assert_eq(p->handshake_age_s, old ? -1 : 12.5);
	cr_assert_eq(p->last_rx_age_s, old ? -1 : 0.25);
	cr_assert_eq(p->rtt_age_s, old ? -1 : 1.5);
	cr_assert_eq(p->latest_rtt_ms, old ? 0 : 3.5);
	p2pclient_peers_free(ps);
	client_finish(c);
}

Test(client_ops, status_and_peers_freshness)
{
	check_status_peers(0);
}

Test(client_ops, older_agent_ages_are_never)
{
	check_status_peers(1);
}

static void
script_timed_event(int fd)
{
	P2p__Ipc__Event		e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__PeerState	ps = P2P__IPC__PEER_STATE__INIT;
	uint32_t		id;

	if (agent_ack_first(fd, &id) == -1)
		return;
	ps.peer_id = "bob";
	ps.state = "up";
	ps.path = "relay";
	ps.reason = "";
	e.time_us = 1796650847694123ULL;
	e.ev_case = P2P__IPC__EVENT__EV_PEER_STATE;
	e.peer_state = &ps;
	agent_event(fd, &e);
	agent_peer_state(fd, "bob", "closed", "relay", "gone");
}

Test(client_ops, event_time)
{
	struct p2pclient	*c = client_start(script_timed_event);
	struct p2pclient_event	*ev;

	cr_assert_eq(p2pclient_subscribe(c), 0);
	cr_assert_eq(p2pclient_next_event(c, 5000, &ev), 0);
	cr_assert(P2PCLIENT_HAS(struct p2pclient_event, ev, time_us));
	cr_assert_eq(ev->time_us, 1796650847694123ULL);
	p2pclient_event_free(ev);
	cr_assert_eq(p2pclient_next_event(c, 5000, &ev), 0);
	cr_assert_eq(ev->time_us, 0);	/* an agent that did not say */
	p2pclient_event_free(ev);
	client_finish(c);
}
