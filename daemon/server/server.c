/* SPDX-License-Identifier: ISC */
/*
 * server.c: p2p-server's main: options, sockets, signals, the event loop,
 * systemd readiness (notify.h), and the `token` subcommand hand-off.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "cluster.h"
#include "log.h"
#include "notify.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"

int	srv_token_main(int, char **);
int	srv_key_main(int, char **);

#define O(f)	offsetof(struct srv_conf, f)
static const struct conf_opt srv_opts[] = {
	{ "listen", 'l', CONF_LIST, O(listen), 0, 0, "ADDR:PORT",
	    "UDP and TCP address (default 0.0.0.0:3478); twice for both "
	    "families, one IPv4 and one IPv6" },
	{ "secret-file", 0, CONF_STR, O(secret_file), 0, 0, "FILE",
	    "token secret (mode 0600)" },
	{ "previous-secret-file", 0, CONF_STR, O(previous_secret_file), 0, 0,
	    "FILE", "rotation: tokens of this former secret are still "
	    "accepted for --previous-secret-window" },
	{ "previous-secret-window", 0, CONF_INT, O(previous_secret_window_s),
	    1, 366 * 86400L, "S", "seconds the previous secret is accepted "
	    "after it is loaded (default 86400)" },
	{ "state-dir", 0, CONF_STR, O(state_dir), 0, 0, "DIR",
	    "state directory (the bound port is written to DIR/port)" },
	{ "key-file", 0, CONF_STR, O(key_file), 0, 0, "FILE",
	    "the server's private key, made on first start (default "
	    "STATE_DIR/server.key; nodes of a cluster share one)" },
	{ "next-key-file", 0, CONF_STR, O(next_key_file), 0, 0, "FILE",
	    "rotation: the next key, accepted beside the current one" },
	{ "policy", 0, CONF_STR, O(policy), 0, 0, "open|groups",
	    "who may connect to whom (default groups)" },
	{ "keepalive", 0, CONF_INT, O(keepalive_s), 1, 3600, "S",
	    "keepalive interval asked of agents (default 15)" },
	{ "expire", 0, CONF_INT, O(expire_s), 2, 86400, "S",
	    "drop registrations idle this long (default 60)" },
	{ "mesh-max", 0, CONF_INT, O(mesh_max), 0, 1024, "N",
	    "mesh groups: members get sessions automatically up to N "
	    "(default 32)" },
	{ "join-timeout", 0, CONF_INT, O(join_timeout_s), 1, 3600, "S",
	    "join_complete at the latest after S seconds (default 5)" },
	{ "http", 0, CONF_STR, O(http), 0, 0, "ADDR:PORT",
	    "HTTP API (loopback unless --http-public; port 0: the bound port "
	    "is written to STATE_DIR/http_port)" },
	{ "admin-key-file", 0, CONF_STR, O(admin_key_file), 0, 0, "FILE",
	    "the HTTP API's bearer key (mode 0600; required with --http)" },
	{ "http-public", 0, CONF_BOOL, O(http_public), 0, 0, NULL,
	    "let --http bind a non-loopback address (no TLS: use a proxy)" },
	{ "advertise", 0, CONF_STR, O(advertise), 0, 0, "HOST:PORT",
	    "the server address /v1/tokens gives devices (default: the "
	    "listen address)" },
	{ "tcp-listen", 0, CONF_LIST, O(tcp_listen), 0, 0, "ADDR:PORT",
	    "also accept agents over TCP here, e.g. port 443 where only that "
	    "gets out (port 0: the bound port goes to STATE_DIR/tcp_port); "
	    "once per family" },
	{ "relay-rate", 0, CONF_SIZE, O(relay_rate), 0, 1LL << 40, "BYTES",
	    "relay at most BYTES per second for each peer (K/M/G; default 0: "
	    "no cap)" },
	{ "relay-quota", 0, CONF_SIZE, O(relay_quota), 0, 1LL << 50, "BYTES",
	    "relay at most BYTES in all for each peer, over its "
	    "registrations while its token lives (default 0: no quota)" },
	{ "max-token-ttl", 0, CONF_INT, O(max_token_ttl), 60, SRV_TTL_MAX,
	    "S", "refuse tokens that live longer than S seconds, so no pin "
	    "outlives that (default 31622400: 366 days)" },
	{ "alt-listen", 0, CONF_LIST, O(alt_listen), 0, 0, "IP:PORT",
	    "RFC 5780: also answer STUN from this second IP and port "
	    "(port 0: any; --listen must then name a concrete IP); once "
	    "per --listen family" },
	{ "cluster", 0, CONF_STR, O(cluster), 0, 0, "URL",
	    "run as a node of a cluster sharing its state in Redis: "
	    "redis://[USER@]HOST:PORT[/DB] or unix:///PATH (docs/CLUSTER.md)" },
	{ "node-id", 0, CONF_STR, O(node_id), 0, 0, "ID",
	    "this node's name in the cluster (1-64 of [A-Za-z0-9._-])" },
	{ "cluster-key-file", 0, CONF_STR, O(cluster_key_file), 0, 0, "FILE",
	    "the key of node-to-node traffic (32+ bytes, mode 0600, the same "
	    "on every node)" },
	{ "cluster-password-file", 0, CONF_STR, O(cluster_password_file), 0,
	    0, "FILE", "the Redis password (mode 0600; never on the command "
	    "line)" },
	{ "drain-timeout", 0, CONF_INT, O(drain_timeout_s), 0, 3600, "S",
	    "cluster: on SIGTERM tell agents to move to another node and "
	    "wait at most S seconds for them (default 10; 0: stop at once)" },
	{ "match-lifetime", 0, CONF_INT, O(match_lifetime_s), 10, 86400 * 7,
	    "S", "destroy a match group S seconds after it formed, if its "
	    "members have not all left before (default 3600)" },
	{ "foreground", 'f', CONF_BOOL, O(foreground), 0, 0, NULL,
	    "do not daemonize; log to stderr" },
	{ "verbose", 'v', CONF_COUNT, O(verbose), 0, 10, NULL,
	    "more logging (counters at -v)" },
	{ "log-level", 0, CONF_STR, O(log_level), 0, 0, "LEVEL",
	    "error, warning, info (default) or debug; -v raises it" },
	{ "check-config", 0, CONF_BOOL, O(check_config), 0, 0, NULL,
	    "check the options, the -c file and the secret files, then exit "
	    "0 (valid) or 1" },
	{ "help", 'h', CONF_BOOL, O(help), 0, 0, NULL, "this help" },
	{ "version", 0, CONF_BOOL, O(version), 0, 0, NULL,
	    "print the version and exit" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL }
};
#undef O

#define SRV_SYNOPSIS "[-fhv] [-c FILE] [--listen ADDR:PORT] " \
	"--secret-file FILE [options]\n       p2p-server token --help\n" \
	"       p2p-server key --help"

static void
srv_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;

	if (sig == SIGHUP) {
		srv_reload(s);
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	notify_stopping(s->notify);
	if (sig == SIGTERM && srv_drain_start(s) == 0)
		return;		/* the drain stops the loop */
	event_base_loopbreak(s->base);
}

static void
srv_log_counters(struct srv *s)
{
	struct srv_counters *c = &s->cnt;

	log_debug("counters: rx %llu pkts %llu bytes, stun %llu, dropped "
	    "malformed %llu version %llu auth %llu, registrations %llu "
	    "(refused %llu, expired %llu, now %zu), introductions %llu",
	    (unsigned long long)c->rx_packets, (unsigned long long)c->rx_bytes,
	    (unsigned long long)c->stun_requests,
	    (unsigned long long)c->dropped_malformed,
	    (unsigned long long)c->dropped_version,
	    (unsigned long long)c->ctrl_auth_fail,
	    (unsigned long long)c->registrations,
	    (unsigned long long)c->reg_refused,
	    (unsigned long long)c->expired, state_count(s->state),
	    (unsigned long long)c->introductions);
}

static void
srv_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct srv *s = arg;
	uint64_t now = srv_now_us();

	/* How late this 1 s tick fired: the loop's lag, for /healthz. */
	s->loop_lag_us = s->tick_prev_us != 0 && now - s->tick_prev_us >
	    1000000 ? now - s->tick_prev_us - 1000000 : 0;
	s->tick_prev_us = now;
	srv_reg_tick(s, now);
	if (++s->ticks % 30 == 0)
		srv_log_counters(s);
}

/*
 * The server's key pair: --key-file, else STATE_DIR/server.key, made on
 * first start; without either a key for this run only.
 */
static void
srv_load_ident(struct srv *s)
{
	char path[4096], err[512], b64[REGHS_KEY_B64_LEN + 1];
	const char *file = s->conf.key_file;

	if (file == NULL && s->conf.state_dir != NULL) {
		snprintf(path, sizeof(path), "%s/%s", s->conf.state_dir,
		    SRV_IDENT_FILE);
		file = path;
	}
	if (srv_ident_load(&s->ident, file, s->conf.next_key_file, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	reghs_key_to_b64(s->ident.pk[0], b64);
	if (s->ident.ephemeral)
		log_warnx("no --key-file or --state-dir: the server key %s "
		    "lasts this run only, and agents that pin it will refuse "
		    "the server after a restart", b64);
	else
		log_info("server key %s (%s)", b64, file);
	if (s->ident.nkeys > 1) {
		reghs_key_to_b64(s->ident.pk[1], b64);
		log_info("next server key %s (%s)", b64,
		    s->conf.next_key_file);
	}
}

static void
srv_setup(struct srv *s)
{
	struct timeval one = { 1, 0 };
	char err[512];

	if (srv_keys_load(s, err, sizeof(err)) == -1)
		fatalx("%s", err);
	srv_load_ident(s);
	if ((s->base = event_base_new()) == NULL ||
	    srv_ratelim_init(&s->stun_rl) == -1 ||
	    srv_reg_hello_init(&s->hello, srv_now_us()) == -1)
		fatalx("out of memory");
	srv_listen_bind(s);
	if (s->cluster != NULL) {
		/* The node list names the bound address: bind first. */
		if (cluster_start(s, err, sizeof(err)) == -1)
			fatalx("%s", err);
		s->state = s->cluster->st;
	} else if ((s->state = state_mem_new(SRV_MAX_PEERS)) == NULL)
		fatalx("out of memory");
	if (srv_groups_start(s, s->conf.mesh_max, s->conf.join_timeout_s, err,
	    sizeof(err)) == -1)
		fatalx("groups: %s", err);
	if (srv_match_start(s, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (srv_stun_bind(s, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (srv_http_start(s, err, sizeof(err)) == -1)
		fatalx("http: %s", err);
	if (srv_udp_start(s) == -1 || srv_stun_start(s) == -1)
		fatalx("cannot start the UDP reader");
	s->tick_ev = event_new(s->base, -1, EV_PERSIST, srv_on_tick, s);
	s->tick_prev_us = srv_now_us();
	if ((s->notify = notify_new(s->base)) == NULL)
		fatalx("out of memory");
	s->sig_ev[0] = evsignal_new(s->base, SIGTERM, srv_on_signal, s);
	s->sig_ev[1] = evsignal_new(s->base, SIGINT, srv_on_signal, s);
	s->sig_ev[2] = evsignal_new(s->base, SIGHUP, srv_on_signal, s);
	if (s->tick_ev == NULL || s->sig_ev[0] == NULL || s->sig_ev[1] == NULL ||
	    s->sig_ev[2] == NULL || event_add(s->tick_ev, &one) == -1 ||
	    event_add(s->sig_ev[0], NULL) == -1 ||
	    event_add(s->sig_ev[1], NULL) == -1 ||
	    event_add(s->sig_ev[2], NULL) == -1)
		fatalx("cannot set up events");
}

static void
srv_teardown(struct srv *s)
{
	int i;

	srv_log_counters(s);
	srv_drain_stop(s);
	srv_match_stop(s);
	cluster_stop(s);
	srv_http_stop(s);
	srv_groups_stop(s);
	srv_reg_free(s);
	srv_tcp_stop(s);
	srv_udp_stop(s);
	srv_stun_stop(s);
	for (i = 0; i < 3; i++)
		if (s->sig_ev[i] != NULL)
			event_free(s->sig_ev[i]);
	if (s->tick_ev != NULL)
		event_free(s->tick_ev);
	notify_free(s->notify);
	if (s->base != NULL)
		event_base_free(s->base);
	state_free(s->state);
	if (s->cluster != NULL) {
		sodium_memzero(s->cluster, sizeof(*s->cluster));
		free(s->cluster);
	}
	sodium_memzero(s->secret, sizeof(s->secret));
	srv_ident_wipe(&s->ident);
	srv_ratelim_free(&s->stun_rl);
	srv_reg_hello_free(&s->hello);
	sodium_memzero(s->prev_secret, sizeof(s->prev_secret));
	conf_free(srv_opts, &s->conf);
}

/* Usage errors exit 2, naming the option. Returns the log verbosity. */
static int
srv_options(struct srv *s, int argc, char **argv)
{
	char err[512];
	int first, verbosity;

	if (conf_load(srv_opts, &s->conf, argc, argv, &first, NULL, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "p2p-server: %s\n", err);
		conf_free(srv_opts, &s->conf);
		exit(2);
	}
	if (s->conf.help) {
		conf_usage(stdout, "p2p-server", SRV_SYNOPSIS, srv_opts);
		conf_free(srv_opts, &s->conf);
		exit(0);
	}
	if (s->conf.version) {
		printf("p2p-server %s\n", PACKAGE_VERSION);
		conf_free(srv_opts, &s->conf);
		exit(0);
	}
	if (first < argc) {
		fprintf(stderr, "p2p-server: unexpected argument '%s'\n",
		    argv[first]);
		conf_free(srv_opts, &s->conf);
		exit(2);
	}
	if (srv_conf_check(&s->conf, &s->policy, &verbosity, err,
	    sizeof(err)) == -1 || cluster_check_conf(s,
	    srv_flag_given(argc, argv, "--cluster"), err, sizeof(err)) == -1) {
		fprintf(stderr, "p2p-server: %s\n", err);
		conf_free(srv_opts, &s->conf);
		exit(2);
	}
	return verbosity;
}

int
main(int argc, char **argv)
{
	struct srv *s;
	char err[256];
	int i, verbosity;

	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return srv_token_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "key") == 0)
		return srv_key_main(argc - 1, argv + 1);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (strcmp(argv[i], "--check-config") == 0)
			return srv_check_config(srv_opts, argc, argv);
	if (sodium_init() == -1) {
		fprintf(stderr, "p2p-server: libsodium failed to start\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 1;
	s->udp_fd = -1;
	s->fam2.udp_fd = -1;
	s->argc = argc;
	s->argv = argv;
	s->opts = srv_opts;
	srv_wire(s);
	srv_conf_defaults(&s->conf);
	verbosity = srv_options(s, argc, argv);
	log_init("p2p-server", 1, verbosity);
	srv_setup(s);
	/* Last: tests take STATE_DIR/port as "the server is ready". */
	if (srv_write_port_file(s, "port", addr_port((struct sockaddr *)
	    &s->bound), err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (!s->conf.foreground) {
		log_init("p2p-server", 0, verbosity);
		/* nochdir: relative -c and secret paths are read on SIGHUP. */
		if (daemon(1, 0) == -1)
			fatal("daemon");
		if (event_reinit(s->base) == -1)
			fatalx("event_reinit");
	}
	notify_ready(s->notify);
	event_base_dispatch(s->base);
	srv_teardown(s);
	free(s);
	return 0;
}
