/* SPDX-License-Identifier: ISC */
/*
 * ctl_conn.c: p2pctl connect, disconnect and ping.
 */
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include <json-c/json.h>

#include "p2pctl.h"

#define CTL_CONNECT_TIMEOUT_MS	30000
#define CTL_PING_TIMEOUT_MS	5000

static const struct option ctl_conn_opts[] = {
	{ "json", no_argument, NULL, 'J' },
	{ "timeout", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 }
};

/* Parse [--timeout S] and exactly one PEER operand. */
static int
ctl_conn_args(struct ctl *ctl, int argc, char **argv, const char *shortopts,
    int *timeout_ms, uint32_t *count, int *interval_ms, const char **peer)
{
	int	ch, rc;

	while ((ch = ctl_getopt(ctl, argc, argv, shortopts,
	    ctl_conn_opts)) != -1) {
		switch (ch) {
		case 'c':
			if (ctl_parse_count(optarg, count) == -1)
				return ctl_usage(ctl, "bad count '%s'", optarg);
			break;
		case 'i':
			if (ctl_parse_secs(optarg, interval_ms) == -1)
				return ctl_usage(ctl, "bad interval '%s'",
				    optarg);
			break;
		default:
			if ((rc = ctl_opt_other(ctl, ch, argv,
			    timeout_ms)) != CTL_OK)
				return rc;
			break;
		}
	}
	return ctl_one_peer(ctl, argc, argv, peer);
}

int
ctl_connect_cmd(struct ctl *ctl, int argc, char **argv)
{
	const char	*peer;
	int		 tmo = CTL_CONNECT_TIMEOUT_MS, rc;

	if ((rc = ctl_conn_args(ctl, argc, argv, "t:", &tmo, NULL, NULL,
	    &peer)) != CTL_OK || (rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_connect(ctl->c, peer, tmo)) != 0)
		return ctl_fail(ctl, rc, "connect");
	return CTL_OK;
}

int
ctl_disconnect(struct ctl *ctl, int argc, char **argv)
{
	const char	*peer;
	int		 rc;

	if ((rc = ctl_conn_args(ctl, argc, argv, "", NULL, NULL, NULL,
	    &peer)) != CTL_OK || (rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	if ((rc = p2pclient_disconnect(ctl->c, peer)) != 0)
		return ctl_fail(ctl, rc, "disconnect");
	return CTL_OK;
}

static void
ctl_ping_summary(struct ctl *ctl, const char *peer, uint32_t sent,
    uint32_t got, double min, double sum, double max)
{
	struct json_object	*o;
	double			 loss = sent ? 100.0 * (sent - got) / sent : 0;

	if (!ctl->json) {
		printf("--- %s ping statistics ---\n", peer);
		printf("%u sent, %u received, %.0f%% loss", sent, got, loss);
		if (got > 0)
			printf(", rtt min/avg/max = %.3f/%.3f/%.3f ms", min,
			    sum / got, max);
		printf("\n");
		return;
	}
	o = json_object_new_object();
	ctl_json_str(o, "peer_id", peer);
	json_object_object_add(o, "sent", json_object_new_int64(sent));
	json_object_object_add(o, "received", json_object_new_int64(got));
	json_object_object_add(o, "loss_pct", ctl_json_double(loss));
	if (got > 0) {
		json_object_object_add(o, "min_ms", ctl_json_double(min));
		json_object_object_add(o, "avg_ms",
		    ctl_json_double(sum / got));
		json_object_object_add(o, "max_ms", ctl_json_double(max));
	}
	ctl_json_print(o);
}

static void
ctl_ping_line(struct ctl *ctl, const char *peer, uint32_t seq, int rc,
    double rtt)
{
	struct json_object	*o;

	if (!ctl->json) {
		if (rc == 0)
			printf("reply from %s: time=%.2f ms\n", peer, rtt);
		else
			printf("no reply from %s: seq=%u %s\n", peer, seq,
			    p2pclient_errmsg(ctl->c));
		fflush(stdout);
		return;
	}
	o = json_object_new_object();
	ctl_json_str(o, "peer_id", peer);
	json_object_object_add(o, "seq", json_object_new_int64(seq));
	if (rc == 0)
		json_object_object_add(o, "rtt_ms", ctl_json_double(rtt));
	else
		ctl_json_str(o, "error", p2pclient_errmsg(ctl->c));
	ctl_json_print(o);
}

int
ctl_ping(struct ctl *ctl, int argc, char **argv)
{
	struct timespec	 ts;
	const char	*peer;
	uint32_t	 count = 4, seq, got = 0;
	int		 tmo = CTL_PING_TIMEOUT_MS, ival = 1000, rc;
	double		 rtt, min = 0, max = 0, sum = 0;

	if ((rc = ctl_conn_args(ctl, argc, argv, "c:i:t:", &tmo, &count,
	    &ival, &peer)) != CTL_OK || (rc = ctl_connect(ctl)) != CTL_OK)
		return rc;
	for (seq = 1; seq <= count; seq++) {
		rc = p2pclient_ping(ctl->c, peer, tmo, &rtt);
		/* Only a lost reply is worth another try. */
		if (rc != 0 && rc != P2PCLIENT_ETIMEDOUT) {
			ctl_ping_summary(ctl, peer, seq - 1, got, min, sum,
			    max);
			return ctl_fail(ctl, rc, "ping");
		}
		ctl_ping_line(ctl, peer, seq, rc, rtt);
		if (rc == 0) {
			if (got == 0 || rtt < min)
				min = rtt;
			if (got == 0 || rtt > max)
				max = rtt;
			sum += rtt;
			got++;
		}
		if (seq < count && ival > 0) {
			ts.tv_sec = ival / 1000;
			ts.tv_nsec = (long)(ival % 1000) * 1000000;
			nanosleep(&ts, NULL);
		}
	}
	ctl_ping_summary(ctl, peer, count, got, min, sum, max);
	if (got == 0) {
		fprintf(stderr, "p2pctl: ping: no reply from %s\n", peer);
		return CTL_FAIL;
	}
	return CTL_OK;
}
