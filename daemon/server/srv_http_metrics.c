/* SPDX-License-Identifier: ISC */
/*
 * srv_http_metrics.c: GET /metrics in the Prometheus text format (0.0.4),
 * from struct srv_counters, the state and the HTTP API's own counters.
 * Counters end in _total; gauges are read at the time of the request.
 */
#include "config.h"

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

void
srv_http_metrics(struct srv *s, struct evhttp_request *req)
{
	static const char *const ev[] = { NULL, "member_join",
	    "member_leave", "group_destroyed", "join_complete" };
	const struct srv_http_stats *hs = srv_http_stats(s);
	const struct srv_counters *c = &s->cnt;
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	size_t groups = 0, intros = 0, i;

	(void)srv_group_list(s->groups, srv_http_count_name, &groups);
	srv_http_count_intros(s, &intros);
	srv_http_metric(b, "p2p_registered_peers", "gauge",
	    "Peers registered now.", state_count(s->state));
	srv_http_metric(b, "p2p_sessions", "gauge",
	    "Registrations with a session on this node.", s->nsess);
	srv_http_metric(b, "p2p_introductions", "gauge",
	    "Pairs of peers introduced now.", intros / 2);
	srv_http_paths(s, b);
	srv_http_metric(b, "p2p_stun_alt_dropped_total", "counter",
	    "Non-STUN datagrams on the --alt-listen sockets, dropped.",
	    c->stun_alt_dropped);
	srv_http_metric(b, "p2p_nat_reports_total", "counter",
	    "NAT classifications reported by agents.", c->nat_reports);
	srv_http_metric(b, "p2p_node_dropped_total", "counter",
	    "Node-to-node packets refused (forged, replayed, out of time).",
	    c->node_dropped);
	if (s->cluster != NULL) {
		char why[300];

		srv_http_metric(b, "p2p_cluster_nodes", "gauge",
		    "Live nodes of the cluster.",
		    cluster_live_nodes(s->cluster));
		srv_http_metric(b, "p2p_cluster_redis_up", "gauge",
		    "1 while the cluster state (Redis) is usable.",
		    cluster_health(s, why, sizeof(why)) == 0);
		srv_http_metric(b, "p2p_cluster_redis_commands_total",
		    "counter", "Commands this node sent to Redis.",
		    cluster_commands(s->cluster));
	}
	srv_http_metric(b, "p2p_tcp_out_dropped_total", "counter",
	    "Packets dropped because a TCP connection's output buffer was "
	    "full.", c->tcp_out_dropped);
	srv_http_metric(b, "p2p_relay_packets_total", "counter",
	    "Packets forwarded by the relay.", c->relay_packets);
	srv_http_metric(b, "p2p_relay_bytes_total", "counter",
	    "Bytes (peer packets) forwarded by the relay.", c->relay_bytes);
	srv_http_metric(b, "p2p_relay_dropped_policy_total", "counter",
	    "Relay packets to no introduced peer, dropped.",
	    c->relay_dropped_policy);
	srv_http_metric(b, "p2p_relay_dropped_quota_total", "counter",
	    "Relay packets over a rate or byte quota, dropped.",
	    c->relay_dropped_quota);
	srv_http_metric(b, "p2p_relay_auth_failures_total", "counter",
	    "Relay packets that failed authentication.", c->relay_auth_fail);
	srv_http_metric(b, "p2p_groups", "gauge",
	    "Server-managed groups.", groups);
	srv_http_metric(b, "p2p_tcp_connections", "gauge",
	    "Agents' TCP connections.", s->ntcp);
	srv_http_metric(b, "p2p_rx_packets_total", "counter",
	    "Packets received (UDP and TCP).", c->rx_packets);
	srv_http_metric(b, "p2p_rx_bytes_total", "counter",
	    "Bytes received.", c->rx_bytes);
	srv_http_metric(b, "p2p_tx_packets_total", "counter",
	    "Packets sent.", c->tx_packets);
	srv_http_metric(b, "p2p_stun_requests_total", "counter",
	    "STUN Binding requests.", c->stun_requests);
	srv_http_metric(b, "p2p_stun_rate_limited_total", "counter",
	    "STUN requests not answered: over their source's rate cap.",
	    c->stun_limited);
	srv_http_metric(b, "p2p_stun_replies_total", "counter",
	    "STUN Binding responses sent.", c->stun_replies);
	srv_http_metric(b, "p2p_dropped_malformed_total", "counter",
	    "Packets dropped as malformed.", c->dropped_malformed);
	srv_http_metric(b, "p2p_dropped_version_total", "counter",
	    "Packets dropped for their version.", c->dropped_version);
	srv_http_metric(b, "p2p_ctrl_auth_failures_total", "counter",
	    "CTRL packets failing authentication or replayed.",
	    c->ctrl_auth_fail);
	srv_http_metric(b, "p2p_reg_hellos_total", "counter",
	    "REG_HELLOs answered (statelessly, with a cookie).", c->hellos);
	srv_http_metric(b, "p2p_reg_inits_total", "counter",
	    "REG_INITs received.", c->reg_inits);
	srv_http_metric(b, "p2p_reg_cookie_failures_total", "counter",
	    "REG_INITs with a stale or forged cookie.", c->cookie_fail);
	srv_http_metric(b, "p2p_reg_init_auth_failures_total", "counter",
	    "REG_INITs for no key of ours, or that did not open.",
	    c->init_auth_fail);
	srv_http_metric(b, "p2p_reg_init_replays_total", "counter",
	    "REG_INITs seen before (resends, replays): never registered "
	    "again.", c->init_replayed);
	srv_http_metric(b, "p2p_roam_challenges_total", "counter",
	    "Challenges sent to a registration's new source address.",
	    c->roam_challenges);
	srv_http_metric(b, "p2p_roam_limited_total", "counter",
	    "Challenges not sent: 3x what came from that address.",
	    c->roam_limited);
	srv_http_metric(b, "p2p_roam_moves_total", "counter",
	    "Registrations moved to a validated new address.", c->roam_moves);
	srv_http_metric(b, "p2p_registrations_total", "counter",
	    "Successful registrations.", c->registrations);
	srv_http_metric(b, "p2p_registrations_refused_total", "counter",
	    "Refused registrations.", c->reg_refused);
	srv_http_metric(b, "p2p_registrations_expired_total", "counter",
	    "Registrations dropped as idle.", c->expired);
	srv_http_metric(b, "p2p_introductions_total", "counter",
	    "Introductions made.", c->introductions);
	srv_http_metric(b, "p2p_push_retransmissions_total", "counter",
	    "Server pushes retransmitted.", c->push_retrans);
	srv_http_metric(b, "p2p_push_lost_total", "counter",
	    "Server pushes given up.", c->push_lost);
	srv_http_metric(b, "p2p_tcp_accepted_total", "counter",
	    "TCP connections accepted.", c->tcp_accepted);
	srv_http_metric(b, "p2p_tcp_refused_total", "counter",
	    "TCP connections refused (cap).", c->tcp_refused);
	srv_http_metric(b, "p2p_registrations_previous_secret_total",
	    "counter", "Registrations whose token verified only with the "
	    "previous secret (rotation).", c->reg_previous_secret);
	srv_http_metric(b, "p2p_reloads_total", "counter",
	    "Reloads (SIGHUP) applied.", s->reload.reloads);
	srv_http_metric(b, "p2p_reloads_refused_total", "counter",
	    "Reloads refused for an error (the configuration stayed).",
	    s->reload.refused);
	evbuffer_add_printf(b, "# HELP p2p_group_events_total Group events "
	    "emitted.\n# TYPE p2p_group_events_total counter\n");
	for (i = 1; i < sizeof(ev) / sizeof(ev[0]); i++)
		evbuffer_add_printf(b, "p2p_group_events_total{event=\"%s\"} "
		    "%llu\n", ev[i], (unsigned long long)hs->events[i]);
	srv_http_metric(b, "p2p_http_requests_total", "counter",
	    "HTTP API requests.", hs->requests);
	srv_http_metric(b, "p2p_http_unauthorized_total", "counter",
	    "HTTP API requests without the admin key.", hs->unauthorized);
	srv_http_metric(b, "p2p_http_event_streams", "gauge",
	    "Open /v1/events streams.", hs->streams);
	srv_http_metric(b, "p2p_http_connections", "gauge",
	    "Open HTTP API connections.", hs->conns);
	srv_http_metric(b, "p2p_http_connections_closed_total", "counter",
	    "HTTP API connections closed for abuse (a body without the key, "
	    "unread replies, a malformed head).", hs->conns_refused);
	srv_http_metric(b, "p2p_http_accept_errors_total", "counter",
	    "HTTP API accept() errors (EMFILE at the descriptor limit, ...).",
	    hs->accept_errors);
	srv_http_metric(b, "p2p_http_event_streams_dropped_total", "counter",
	    "/v1/events streams dropped for falling behind.",
	    hs->streams_dropped);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, NULL, NULL);
}
