/* SPDX-License-Identifier: ISC */
/*
 * ctl_status.c: p2pctl status and p2pctl peers.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include <json-c/json.h>

#include "p2pctl.h"

static const struct option ctl_status_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ NULL, 0, NULL, 0 }
};

/* Commands without operands or flags of their own. */
static int
ctl_noargs(struct ctl *ctl, int argc, char **argv)
{
	if (ctl_getopt(ctl, argc, argv, "+", ctl_status_opts) != -1)
		return ctl_usage(ctl, "unknown option '%s'",
		    argv[optind - 1]);
	if (optind != argc)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[optind]);
	return CTL_OK;
}

/* server_addr, server_node (a cluster only), server_nodes */
static void
ctl_status_nodes_json(struct json_object *o, const struct p2pclient_status *st)
{
	struct json_object	*a, *n;
	size_t			 i;

	if (st->server_addr != NULL && st->server_addr[0] != '\0')
		ctl_json_str(o, "server_addr", st->server_addr);
	if (st->server_node != NULL)
		ctl_json_str(o, "server_node", st->server_node);
	a = json_object_new_array();
	for (i = 0; i < st->n_server_nodes; i++) {
		n = json_object_new_object();
		ctl_json_str(n, "id", st->server_nodes[i]->id);
		ctl_json_str(n, "udp", st->server_nodes[i]->udp);
		ctl_json_str(n, "tcp", st->server_nodes[i]->tcp);
		json_object_array_add(a, n);
	}
	json_object_object_add(o, "server_nodes", a);
}

static struct json_object *
ctl_status_json(const struct p2pclient_status *st)
{
	struct json_object	*o, *cnt;

	o = json_object_new_object();
	ctl_json_str(o, "peer_id", st->peer_id);
	ctl_json_str(o, "server_state", st->server_state);
	ctl_json_str(o, "public_addr", st->public_addr);
	if (st->server_transport != NULL)
		ctl_json_str(o, "server_transport", st->server_transport);
	json_object_object_add(o, "local_port",
	    json_object_new_int64(st->local_port));
	ctl_json_str(o, "nat_type", st->nat_type);
	ctl_json_str(o, "nat_mapping", st->nat_mapping);
	ctl_json_str(o, "nat_filtering", st->nat_filtering);
	if (st->server_error[0] != '\0')
		ctl_json_str(o, "server_error", st->server_error);
	if (P2PCLIENT_HAS(struct p2pclient_status, st, n_server_nodes))
		ctl_status_nodes_json(o, st);
	cnt = json_object_new_object();
	ctl_json_u64(cnt, "packets_in", st->packets_in);
	ctl_json_u64(cnt, "packets_out", st->packets_out);
	ctl_json_u64(cnt, "dropped", st->dropped);
	ctl_json_u64(cnt, "retransmitted", st->retransmitted);
	ctl_json_u64(cnt, "bytes_in", st->bytes_in);
	ctl_json_u64(cnt, "bytes_out", st->bytes_out);
	json_object_object_add(o, "counters", cnt);
	ctl_json_str(o, "version", st->version);
	json_object_object_add(o, "uptime_s", ctl_json_double(st->uptime_s));
	return o;
}

int
ctl_status(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_status	*st;
	int			 rc;

	if ((rc = ctl_noargs(ctl, argc, argv)) != CTL_OK ||
	    (rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_status(ctl->c, &st)) != 0)
		return ctl_fail(ctl, rc, "status");
	if (ctl->json)
		ctl_json_print(ctl_status_json(st));
	else {
		printf("peer_id: %s\n", st->peer_id);
		if (st->version[0] != '\0')
			printf("version: %s, up %.0f s\n", st->version,
			    st->uptime_s);
		printf("server: %s\n", st->server_state);
		if (st->server_transport != NULL)
			printf("server_transport: %s\n", st->server_transport);
		if (st->server_error[0] != '\0')
			printf("server_error: %s\n", st->server_error);
		if (P2PCLIENT_HAS(struct p2pclient_status, st, server_node) &&
		    st->server_node != NULL)
			printf("server_node: %s (%s, %zu live nodes)\n",
			    st->server_node, st->server_addr,
			    st->n_server_nodes);
		printf("public_addr: %s\n", st->public_addr != NULL ?
		    st->public_addr : "-");
		printf("local_port: %" PRIu32 "\n", st->local_port);
		printf("nat: %s (mapping %s, filtering %s)\n", st->nat_type,
		    st->nat_mapping, st->nat_filtering);
		printf("packets: in %" PRIu64 " out %" PRIu64 " dropped %"
		    PRIu64 " retransmitted %" PRIu64 "\n", st->packets_in,
		    st->packets_out, st->dropped, st->retransmitted);
		printf("bytes: in %" PRIu64 " out %" PRIu64 "\n", st->bytes_in,
		    st->bytes_out);
	}
	p2pclient_status_free(st);
	return CTL_OK;
}

/* An age for people: "4.2 s ago", or "never". */
static const char *
ctl_age(double s, char *buf, size_t len)
{
	if (s < 0)
		return "never";
	snprintf(buf, len, "%.1f s ago", s);
	return buf;
}

/* How fresh an up session's figures are, on a line of its own. */
static void
ctl_peers_fresh(const struct p2pclient_peer *p)
{
	char	hs[32], rx[32], rtt[32];

	if (p->cipher[0] == '\0')
		return;
	printf("%-20s %s, handshake %s, last packet %s, rtt %.2f ms "
	    "(sample %s)\n", "", p->cipher, ctl_age(p->handshake_age_s, hs,
	    sizeof(hs)), ctl_age(p->last_rx_age_s, rx, sizeof(rx)),
	    p->latest_rtt_ms, ctl_age(p->rtt_age_s, rtt, sizeof(rtt)));
}

static void
ctl_peers_fresh_json(struct json_object *e, const struct p2pclient_peer *p)
{
	ctl_json_str(e, "cipher", p->cipher);
	json_object_object_add(e, "handshake_age_s",
	    ctl_json_double(p->handshake_age_s));
	json_object_object_add(e, "last_rx_age_s",
	    ctl_json_double(p->last_rx_age_s));
	json_object_object_add(e, "latest_rtt_ms",
	    ctl_json_double(p->latest_rtt_ms));
	json_object_object_add(e, "rtt_age_s", ctl_json_double(p->rtt_age_s));
}

int
ctl_peers(struct ctl *ctl, int argc, char **argv)
{
	struct p2pclient_peers	*ps;
	struct p2pclient_peer	*p;
	struct json_object	*o, *arr, *e;
	size_t			 i;
	int			 rc;

	if ((rc = ctl_noargs(ctl, argc, argv)) != CTL_OK ||
	    (rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_peers(ctl->c, &ps)) != 0)
		return ctl_fail(ctl, rc, "peers");
	if (ctl->json) {
		o = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < ps->n; i++) {
			p = ps->v[i];
			e = json_object_new_object();
			ctl_json_str(e, "peer_id", p->peer_id);
			ctl_json_str(e, "path", p->path);
			ctl_json_str(e, "remote_addr", p->remote_addr);
			json_object_object_add(e, "rtt_ms",
			    ctl_json_double(p->rtt_ms));
			ctl_json_u64(e, "tx_bytes", p->tx_bytes);
			ctl_json_u64(e, "rx_bytes", p->rx_bytes);
			ctl_json_str(e, "state", p->state);
			ctl_json_str(e, "path_detail", p->path_detail);
			ctl_json_u64(e, "path_changes", p->path_changes);
			ctl_json_str(e, "congestion", p->congestion);
			ctl_json_u64(e, "cwnd_bytes", p->cwnd_bytes);
			ctl_json_u64(e, "lost_packets", p->lost_packets);
			ctl_json_u64(e, "retransmitted_bytes",
			    p->retransmitted_bytes);
			ctl_json_u64(e, "max_message", p->max_message);
			ctl_peers_fresh_json(e, p);
			json_object_array_add(arr, e);
		}
		json_object_object_add(o, "peers", arr);
		ctl_json_print(o);
	} else {
		printf("%-20s %-10s %-10s %-24s %9s %12s %12s\n", "PEER",
		    "STATE", "PATH", "REMOTE", "RTT_MS", "TX_BYTES",
		    "RX_BYTES");
		for (i = 0; i < ps->n; i++) {
			p = ps->v[i];
			printf("%-20s %-10s %-10s %-24s %9.2f %12" PRIu64
			    " %12" PRIu64 "\n", p->peer_id, p->state, p->path,
			    p->remote_addr[0] != '\0' ? p->remote_addr : "-",
			    p->rtt_ms, p->tx_bytes, p->rx_bytes);
			if (p->path_detail[0] != '\0')
				printf("%-20s %s\n", "", p->path_detail);
			ctl_peers_fresh(p);
		}
	}
	p2pclient_peers_free(ps);
	return CTL_OK;
}
