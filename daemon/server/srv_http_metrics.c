/* SPDX-License-Identifier: ISC */
/*
 * srv_http_metrics.c: GET /metrics in the Prometheus text format (0.0.4),
 * from struct srv_counters, the state and the HTTP API's own counters.
 * Counters end in _total; gauges are read at the time of the request.
 *
 * One table lists every metric in the order of the output: a counter of
 * struct srv_counters or struct srv_http_stats by its offset, a value a
 * function reads from the server (the cluster's only with a cluster), or a
 * block of labelled samples. A new metric is one line.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "cluster.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"

static void
srv_http_metric(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name,
	    help, name, type, name, (unsigned long long)v);
}

static void
srv_http_count_name(const char *name, void *arg)
{
	(void)name;
	(*(size_t *)arg)++;
}

/* Each introduction is seen from both of its peers. */
static void
srv_http_count_intros(struct srv *s, size_t *n)
{
	struct srv_sess *x;
	size_t i;

	for (i = 0; i < SRV_BUCKETS; i++)
		for (x = s->sess[i]; x != NULL; x = x->next)
			(void)state_intro_each(s->state, x->peer_id,
			    srv_http_count_name, n);
}

/* Agents' sessions by the path each agent reported for its side. */
static void
srv_http_paths(struct srv *s, struct evbuffer *b)
{
	struct srv_sess *x;
	uint64_t relay = 0, direct = 0;
	size_t i, j;

	for (i = 0; i < SRV_BUCKETS; i++)
		for (x = s->sess[i]; x != NULL; x = x->next)
			for (j = 0; j < x->npaths; j++) {
				if (x->paths[j].path == SRV_PATH_DIRECT)
					direct++;
				else
					relay++;
			}
	evbuffer_add_printf(b, "# HELP p2p_session_paths Agents' sessions "
	    "by the path they use (each side counts its own).\n"
	    "# TYPE p2p_session_paths gauge\n"
	    "p2p_session_paths{path=\"relay\"} %llu\n"
	    "p2p_session_paths{path=\"direct\"} %llu\n",
	    (unsigned long long)relay, (unsigned long long)direct);
}

/* The values functions read; each takes the server, as the table calls. */
static uint64_t
srv_http_m_peers(struct srv *s)
{
	return state_count(s->state);
}

static uint64_t
srv_http_m_sessions(struct srv *s)
{
	return s->nsess;
}

static uint64_t
srv_http_m_intros(struct srv *s)
{
	size_t n = 0;

	srv_http_count_intros(s, &n);
	return n / 2;
}

static uint64_t
srv_http_m_groups(struct srv *s)
{
	size_t n = 0;

	(void)srv_group_list(s->groups, srv_http_count_name, &n);
	return n;
}

static uint64_t
srv_http_m_tcp(struct srv *s)
{
	return s->ntcp;
}

static uint64_t
srv_http_m_reloads(struct srv *s)
{
	return s->reload.reloads;
}

static uint64_t
srv_http_m_reloads_refused(struct srv *s)
{
	return s->reload.refused;
}

static uint64_t
srv_http_m_streams(struct srv *s)
{
	return srv_http_stats(s)->streams;
}

static uint64_t
srv_http_m_conns(struct srv *s)
{
	return srv_http_conn_stats(s)->conns;
}

static uint64_t
srv_http_m_conns_refused(struct srv *s)
{
	return srv_http_conn_stats(s)->refused;
}

static uint64_t
srv_http_m_accept_errors(struct srv *s)
{
	return srv_http_conn_stats(s)->accept_errors;
}

static uint64_t
srv_http_m_cluster_nodes(struct srv *s)
{
	return cluster_live_nodes(s->cluster);
}

static uint64_t
srv_http_m_redis_up(struct srv *s)
{
	char why[300];

	return cluster_health(s, why, sizeof(why)) == 0;
}

static uint64_t
srv_http_m_redis_commands(struct srv *s)
{
	return cluster_commands(s->cluster);
}

static uint64_t
srv_http_m_bad_nodes(struct srv *s)
{
	return cluster_bad_nodes(s->cluster);
}

static void
srv_http_group_events(struct srv *s, struct evbuffer *b)
{
	static const char *const ev[] = { NULL, "member_join",
	    "member_leave", "group_destroyed", "join_complete" };
	const struct srv_http_stats *hs = srv_http_stats(s);
	size_t i;

	evbuffer_add_printf(b, "# HELP p2p_group_events_total Group events "
	    "emitted.\n# TYPE p2p_group_events_total counter\n");
	for (i = 1; i < sizeof(ev) / sizeof(ev[0]); i++)
		evbuffer_add_printf(b, "p2p_group_events_total{event=\"%s\"} "
		    "%llu\n", ev[i], (unsigned long long)hs->events[i]);
}

enum srv_http_src {
	SRC_CNT,	/* struct srv_counters, at off */
	SRC_HTTP,	/* struct srv_http_stats, at off */
	SRC_FN,		/* fn(s) */
	SRC_CLUSTER,	/* fn(s), only with a cluster */
	SRC_BLOCK,	/* block(s, b) writes its own lines */
};

static const struct srv_http_m {
	const char	*name, *type, *help;
	enum srv_http_src src;
	size_t		 off;
	uint64_t	(*fn)(struct srv *);
	void		(*block)(struct srv *, struct evbuffer *);
} srv_http_table[] = {
#define CNT(n, h, f)	{ n, "counter", h, SRC_CNT, \
			    offsetof(struct srv_counters, f), NULL, NULL }
#define HTTP(n, h, f)	{ n, "counter", h, SRC_HTTP, \
			    offsetof(struct srv_http_stats, f), NULL, NULL }
#define FN(n, t, h, f)	{ n, t, h, SRC_FN, 0, f, NULL }
#define CLUSTER(n, t, h, f) { n, t, h, SRC_CLUSTER, 0, f, NULL }
#define BLOCK(f)	{ NULL, NULL, NULL, SRC_BLOCK, 0, NULL, f }
	FN("p2p_registered_peers", "gauge", "Peers registered now.",
	    srv_http_m_peers),
	FN("p2p_sessions", "gauge", "Registrations with a session on this "
	    "node.", srv_http_m_sessions),
	FN("p2p_introductions", "gauge", "Pairs of peers introduced now.",
	    srv_http_m_intros),
	BLOCK(srv_http_paths),
	CNT("p2p_stun_alt_dropped_total", "Non-STUN datagrams on the "
	    "--alt-listen sockets, dropped.", stun_alt_dropped),
	CNT("p2p_nat_reports_total", "NAT classifications reported by "
	    "agents.", nat_reports),
	CNT("p2p_reintroductions_total", "Introductions sent again to "
	    "relayed peers after a NAT report.", reintroductions),
	CNT("p2p_node_dropped_total", "Node-to-node packets refused (forged, "
	    "replayed, out of time).", node_dropped),
	CNT("p2p_node_sent_total", "Node-to-node packets sent.", node_sent),
	CNT("p2p_node_sent_aes_total", "Node-to-node packets sent with "
	    "AES-256-GCM (the others: ChaCha20-Poly1305).", node_sent_aes),
	CLUSTER("p2p_cluster_nodes", "gauge", "Live nodes of the cluster.",
	    srv_http_m_cluster_nodes),
	CLUSTER("p2p_cluster_redis_up", "gauge", "1 while the cluster state "
	    "(Redis) is usable.", srv_http_m_redis_up),
	CLUSTER("p2p_cluster_redis_commands_total", "counter", "Commands this "
	    "node sent to Redis.", srv_http_m_redis_commands),
	CLUSTER("p2p_cluster_bad_node_entries_total", "counter", "Node "
	    "entries read from Redis and left out as malformed.",
	    srv_http_m_bad_nodes),
	CNT("p2p_tcp_out_dropped_total", "Packets dropped because a TCP "
	    "connection's output buffer was full.", tcp_out_dropped),
	CNT("p2p_relay_packets_total", "Packets forwarded by the relay.",
	    relay_packets),
	CNT("p2p_relay_bytes_total", "Bytes (peer packets) forwarded by the "
	    "relay.", relay_bytes),
	CNT("p2p_relay_dropped_policy_total", "Relay packets to no introduced "
	    "peer, dropped.", relay_dropped_policy),
	CNT("p2p_relay_dropped_quota_total", "Relay packets over a rate or "
	    "byte quota, dropped.", relay_dropped_quota),
	CNT("p2p_relay_auth_failures_total", "Relay packets that failed "
	    "authentication.", relay_auth_fail),
	FN("p2p_groups", "gauge", "Server-managed groups.", srv_http_m_groups),
	FN("p2p_tcp_connections", "gauge", "Agents' TCP connections.",
	    srv_http_m_tcp),
	CNT("p2p_rx_packets_total", "Packets received (UDP and TCP).",
	    rx_packets),
	CNT("p2p_rx_bytes_total", "Bytes received.", rx_bytes),
	CNT("p2p_tx_packets_total", "Packets sent.", tx_packets),
	CNT("p2p_stun_requests_total", "STUN Binding requests.",
	    stun_requests),
	CNT("p2p_stun_rate_limited_total", "STUN requests not answered: over "
	    "their source's rate cap.", stun_limited),
	CNT("p2p_stun_replies_total", "STUN Binding responses sent.",
	    stun_replies),
	CNT("p2p_dropped_malformed_total", "Packets dropped as malformed.",
	    dropped_malformed),
	CNT("p2p_dropped_version_total", "Packets dropped for their version.",
	    dropped_version),
	CNT("p2p_ctrl_auth_failures_total", "CTRL packets failing "
	    "authentication or replayed.", ctrl_auth_fail),
	CNT("p2p_reg_hellos_total", "REG_HELLOs received (each answered "
	    "statelessly, with a cookie, unless held).", hellos),
	CNT("p2p_reg_hellos_held_total", "REG_HELLOs not answered: from "
	    "unknown addresses over their shared budget (a flood).",
	    hellos_held),
	CNT("p2p_reg_inits_total", "REG_INITs received.", reg_inits),
	FN("p2p_udp_rx_dropped_total", "counter", "Datagrams the kernel "
	    "dropped at the UDP sockets: their receive buffers were full.",
	    srv_udp_rx_dropped),
	CNT("p2p_reg_cookie_failures_total", "REG_INITs with a stale or "
	    "forged cookie.", cookie_fail),
	CNT("p2p_reg_init_auth_failures_total", "REG_INITs for no key of ours, "
	    "or that did not open.", init_auth_fail),
	CNT("p2p_reg_init_replays_total", "REG_INITs seen before (resends, "
	    "replays): never registered again.", init_replayed),
	CNT("p2p_roam_challenges_total", "Challenges sent to a registration's "
	    "new source address.", roam_challenges),
	CNT("p2p_roam_limited_total", "Challenges not sent: 3x what came from "
	    "that address.", roam_limited),
	CNT("p2p_roam_moves_total", "Registrations moved to a validated new "
	    "address.", roam_moves),
	CNT("p2p_registrations_total", "Successful registrations.",
	    registrations),
	CNT("p2p_registrations_refused_total", "Refused registrations.",
	    reg_refused),
	CNT("p2p_registrations_expired_total", "Registrations dropped as "
	    "idle.", expired),
	CNT("p2p_introductions_total", "Introductions made.", introductions),
	CNT("p2p_push_retransmissions_total", "Server pushes retransmitted.",
	    push_retrans),
	CNT("p2p_push_lost_total", "Server pushes given up.", push_lost),
	CNT("p2p_tcp_accepted_total", "TCP connections accepted.",
	    tcp_accepted),
	CNT("p2p_tcp_refused_total", "TCP connections refused (cap).",
	    tcp_refused),
	CNT("p2p_registrations_previous_secret_total", "Registrations whose "
	    "token verified only with the previous secret (rotation).",
	    reg_previous_secret),
	FN("p2p_reloads_total", "counter", "Reloads (SIGHUP) applied.",
	    srv_http_m_reloads),
	FN("p2p_reloads_refused_total", "counter", "Reloads refused for an "
	    "error (the configuration stayed).", srv_http_m_reloads_refused),
	BLOCK(srv_http_group_events),
	HTTP("p2p_http_requests_total", "HTTP API requests.", requests),
	HTTP("p2p_http_unauthorized_total", "HTTP API requests without the "
	    "admin key.", unauthorized),
	FN("p2p_http_event_streams", "gauge", "Open /v1/events streams.",
	    srv_http_m_streams),
	FN("p2p_http_connections", "gauge", "Open HTTP API connections.",
	    srv_http_m_conns),
	FN("p2p_http_connections_closed_total", "counter", "HTTP API "
	    "connections closed for abuse (a body without the key, unread "
	    "replies, a malformed head).", srv_http_m_conns_refused),
	FN("p2p_http_accept_errors_total", "counter", "HTTP API accept() "
	    "errors (EMFILE at the descriptor limit, ...).",
	    srv_http_m_accept_errors),
	HTTP("p2p_http_event_streams_dropped_total", "/v1/events streams "
	    "dropped for falling behind.", streams_dropped),
#undef CNT
#undef HTTP
#undef FN
#undef CLUSTER
#undef BLOCK
};

void
srv_http_metrics(struct srv *s, struct evhttp_request *req)
{
	const struct srv_http_m *m;
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(srv_http_table) / sizeof(srv_http_table[0]);
	    i++) {
		m = &srv_http_table[i];
		switch (m->src) {
		case SRC_BLOCK:
			m->block(s, b);
			continue;
		case SRC_CNT:
			memcpy(&v, (const char *)&s->cnt + m->off, sizeof(v));
			break;
		case SRC_HTTP:
			memcpy(&v, (const char *)srv_http_stats(s) + m->off,
			    sizeof(v));
			break;
		case SRC_CLUSTER:
			if (s->cluster == NULL)
				continue;
			v = m->fn(s);
			break;
		default:
			v = m->fn(s);
			break;
		}
		srv_http_metric(b, m->name, m->type, m->help, v);
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, NULL, NULL);
}
