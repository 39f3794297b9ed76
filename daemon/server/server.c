/* SPDX-License-Identifier: ISC */
/*
 * server.c: p2p-server's main: options, sockets, signals, the event loop,
 * systemd readiness, and the `token` subcommand hand-off.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

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
#include "log.h"
#include "server.h"
#include "srv_group.h"
#include "srv_http.h"

int	srv_token_main(int, char **);
int	srv_key_main(int, char **);

#define O(f)	offsetof(struct srv_conf, f)
static const struct conf_opt srv_opts[] = {
	{ "listen", 'l', CONF_STR, O(listen), 0, 0, "ADDR:PORT",
	    "UDP and TCP address (default 0.0.0.0:3478)" },
	{ "secret-file", 0, CONF_STR, O(secret_file), 0, 0, "FILE",
	    "token secret (mode 0600)" },
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
	{ "tcp-listen", 0, CONF_STR, O(tcp_listen), 0, 0, "ADDR:PORT",
	    "also accept agents over TCP here, e.g. port 443 where only that "
	    "gets out (port 0: the bound port goes to STATE_DIR/tcp_port)" },
	{ "relay-rate", 0, CONF_SIZE, O(relay_rate), 0, 1LL << 40, "BYTES",
	    "relay at most BYTES per second for each peer (K/M/G; default 0: "
	    "no cap)" },
	{ "relay-quota", 0, CONF_SIZE, O(relay_quota), 0, 1LL << 50, "BYTES",
	    "relay at most BYTES in all for each peer, over its "
	    "registrations while its token lives (default 0: no quota)" },
	{ "max-token-ttl", 0, CONF_INT, O(max_token_ttl), 60,
	    10L * 366 * 86400, "S", "refuse tokens that live longer than S "
	    "seconds (default 31622400: 366 days)" },
	{ "alt-listen", 0, CONF_STR, O(alt_listen), 0, 0, "IP:PORT",
	    "RFC 5780: also answer STUN from this second IP and port "
	    "(port 0: any; --listen must then name a concrete IP)" },
	{ "foreground", 'f', CONF_BOOL, O(foreground), 0, 0, NULL,
	    "do not daemonize; log to stderr" },
	{ "verbose", 'v', CONF_COUNT, O(verbose), 0, 10, NULL,
	    "more logging (counters at -v)" },
	{ "help", 'h', CONF_BOOL, O(help), 0, 0, NULL, "this help" },
	{ "version", 0, CONF_BOOL, O(version), 0, 0, NULL,
	    "print the version and exit" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL }
};
#undef O

#define SRV_SYNOPSIS "[-fhv] [-c FILE] [--listen ADDR:PORT] " \
	"--secret-file FILE [options]\n       p2p-server token --help\n" \
	"       p2p-server key --help"

uint64_t
srv_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
srv_now_unix(void)
{
	return (uint64_t)time(NULL);
}

/* Type=notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void
srv_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun;
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sun, len) == -1)
		log_warn("%s: %s", __func__, path);
	close(fd);
}

/*
 * STATE_DIR/NAME holding a port number (port, http_port, alt_port,
 * tcp_port), written atomically, for tests and scripts that bind port 0.
 */
int
srv_write_port_file(struct srv *s, const char *name, uint16_t port,
    char *err, size_t errlen)
{
	char path[4096], tmp[4200], buf[16];
	int fd, n;

	if (s->conf.state_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", s->conf.state_dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf), "%u\n", port);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644))
	    == -1 || write(fd, buf, (size_t)n) != n || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* UDP and TCP on one port number: with port 0, TCP follows UDP's choice. */
static void
srv_bind(struct srv *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256], a[ADDR_STRLEN];
	int tries;

	if (addr_parse(s->conf.listen ? s->conf.listen : "0.0.0.0:3478", &ss,
	    &len, 3478, err, sizeof(err)) == -1)
		fatalx("--listen: %s", err);
	for (tries = 0; tries < 10; tries++) {
		if (srv_udp_bind(s, (struct sockaddr *)&ss, len) == -1)
			fatal("bind udp %s", addr_fmt((struct sockaddr *)&ss,
			    a, sizeof(a)));
		if (srv_tcp_listen(s, (struct sockaddr *)&s->bound, len) == 0)
			break;
		if (errno != EADDRINUSE || addr_port((struct sockaddr *)&ss))
			fatal("listen tcp %s", addr_fmt((struct sockaddr *)
			    &s->bound, a, sizeof(a)));
		srv_udp_stop(s);
	}
	if (tries == 10)
		fatalx("no port free for both UDP and TCP");
	log_info("listening on %s (udp, tcp)", addr_fmt((struct sockaddr *)
	    &s->bound, a, sizeof(a)));
}

/* --tcp-listen: agents behind firewalls that let only, say, 443 out. */
static void
srv_bind_tcp_extra(struct srv *s)
{
	struct sockaddr_storage ss, bound;
	socklen_t len;
	char err[256], a[ADDR_STRLEN];

	if (s->conf.tcp_listen == NULL)
		return;
	if (addr_parse(s->conf.tcp_listen, &ss, &len, 443, err,
	    sizeof(err)) == -1)
		fatalx("--tcp-listen: %s", err);
	if (srv_tcp_listen_extra(s, (struct sockaddr *)&ss, len, &bound) == -1)
		fatal("listen tcp %s", addr_fmt((struct sockaddr *)&ss, a,
		    sizeof(a)));
	addr_normalize(&bound);
	log_info("listening on %s (tcp)", addr_fmt((struct sockaddr *)&bound,
	    a, sizeof(a)));
	if (srv_write_port_file(s, "tcp_port", addr_port((struct sockaddr *)
	    &bound), err, sizeof(err)) == -1)
		fatalx("%s", err);
}

static void
srv_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct srv *s = arg;

	log_info("signal %d: shutting down", (int)sig);
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

	srv_reg_tick(s, srv_now_us());
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

	if (secret_load(s->conf.secret_file, s->secret, &s->secret_len, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	srv_load_ident(s);
	if ((s->state = state_mem_new(SRV_MAX_PEERS)) == NULL ||
	    (s->base = event_base_new()) == NULL ||
	    srv_ratelim_init(&s->stun_rl) == -1)
		fatalx("out of memory");
	if (srv_groups_start(s, s->conf.mesh_max, s->conf.join_timeout_s, err,
	    sizeof(err)) == -1)
		fatalx("groups: %s", err);
	srv_bind(s);
	srv_bind_tcp_extra(s);
	if (srv_stun_bind(s, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (srv_http_start(s, err, sizeof(err)) == -1)
		fatalx("http: %s", err);
	if (srv_udp_start(s) == -1 || srv_stun_start(s) == -1)
		fatalx("cannot start the UDP reader");
	s->tick_ev = event_new(s->base, -1, EV_PERSIST, srv_on_tick, s);
	s->sig_ev[0] = evsignal_new(s->base, SIGTERM, srv_on_signal, s);
	s->sig_ev[1] = evsignal_new(s->base, SIGINT, srv_on_signal, s);
	if (s->tick_ev == NULL || s->sig_ev[0] == NULL || s->sig_ev[1] == NULL ||
	    event_add(s->tick_ev, &one) == -1 ||
	    event_add(s->sig_ev[0], NULL) == -1 ||
	    event_add(s->sig_ev[1], NULL) == -1)
		fatalx("cannot set up events");
}

static void
srv_teardown(struct srv *s)
{
	int i;

	srv_log_counters(s);
	srv_http_stop(s);
	srv_groups_stop(s);
	srv_reg_free(s);
	srv_tcp_stop(s);
	srv_udp_stop(s);
	srv_stun_stop(s);
	for (i = 0; i < 2; i++)
		if (s->sig_ev[i] != NULL)
			event_free(s->sig_ev[i]);
	if (s->tick_ev != NULL)
		event_free(s->tick_ev);
	if (s->base != NULL)
		event_base_free(s->base);
	state_free(s->state);
	sodium_memzero(s->secret, sizeof(s->secret));
	srv_ident_wipe(&s->ident);
	srv_ratelim_free(&s->stun_rl);
	conf_free(srv_opts, &s->conf);
}

static void
srv_options(struct srv *s, int argc, char **argv)
{
	char err[512];
	int first;

	s->conf.keepalive_s = 15;
	s->conf.expire_s = 60;
	s->conf.mesh_max = SRV_GROUP_MESH_MAX;
	s->conf.join_timeout_s = SRV_GROUP_JOIN_US / 1000000;
	s->conf.max_token_ttl = SRV_TOKEN_TTL_MAX;
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
	if (s->conf.secret_file == NULL) {
		fprintf(stderr, "p2p-server: --secret-file is required (see "
		    "p2p-server -h)\n");
		conf_free(srv_opts, &s->conf);
		exit(2);
	}
	if (s->conf.http != NULL && s->conf.admin_key_file == NULL) {
		fprintf(stderr, "p2p-server: --http needs --admin-key-file\n");
		conf_free(srv_opts, &s->conf);
		exit(2);
	}
	if (s->conf.policy == NULL || strcmp(s->conf.policy, "groups") == 0)
		s->policy = SRV_POLICY_GROUPS;
	else if (strcmp(s->conf.policy, "open") == 0)
		s->policy = SRV_POLICY_OPEN;
	else {
		fprintf(stderr, "p2p-server: --policy: '%s' is not open or "
		    "groups\n", s->conf.policy);
		conf_free(srv_opts, &s->conf);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	struct srv *s;
	char err[256];

	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return srv_token_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "key") == 0)
		return srv_key_main(argc - 1, argv + 1);
	if (sodium_init() == -1) {
		fprintf(stderr, "p2p-server: libsodium failed to start\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return 1;
	s->udp_fd = -1;
	srv_options(s, argc, argv);
	log_init("p2p-server", 1, s->conf.verbose);
	srv_setup(s);
	/* Last: tests take STATE_DIR/port as "the server is ready". */
	if (srv_write_port_file(s, "port", addr_port((struct sockaddr *)
	    &s->bound), err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (!s->conf.foreground) {
		log_init("p2p-server", 0, s->conf.verbose);
		if (daemon(0, 0) == -1)
			fatal("daemon");
		if (event_reinit(s->base) == -1)
			fatalx("event_reinit");
	}
	srv_notify_ready();
	event_base_dispatch(s->base);
	srv_teardown(s);
	free(s);
	return 0;
}
