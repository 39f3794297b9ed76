/* SPDX-License-Identifier: ISC */
/*
 * p2pd.c: the agent's main: options, startup order, signals, shutdown.
 *
 * Startup: options (conf.h), logging, identity key, token, then daemonize
 * (before libevent, whose backends do not survive fork), UDP socket, IPC
 * socket, registration. READY=1 goes to systemd (notify.h) once the IPC
 * socket listens, so a Type=notify unit orders its clients after that; the
 * event loop pets the watchdog.
 * SIGHUP reloads the configuration (p2pd_reload.c).
 * Shutdown (SIGTERM/SIGINT): CLOSE to every peer, Deregister to the server,
 * flush the UDP batch, then free everything so LeakSanitizer stays quiet.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "addr.h"
#include "agent.h"
#include "cc.h"
#include "conf.h"
#include "ctl.h"
#include "guard.h"
#include "log.h"
#include "notify.h"
#include "p2pd.h"
#include "peer.h"
#include "portmap.h"
#include "reg.h"
#include "session.h"

#define M (1024LL * 1024)

const struct conf_opt p2pd_opts[] = {
	{ "server", 0, CONF_LIST, offsetof(struct agent_conf, server), 0, 0,
	    "HOST:PORT", "rendezvous server (repeatable: the nodes of a "
	    "cluster; a name counts once per address)" },
	{ "server-transport", 0, CONF_STR, offsetof(struct agent_conf,
	    server_transport), 0, 0, "MODE",
	    "auto (UDP, else TCP), udp or tcp: the leg to the server" },
	{ "server-tcp", 0, CONF_LIST, offsetof(struct agent_conf, server_tcp),
	    0, 0, "HOST:PORT", "the server's TCP address (default: --server; "
	    "once for all servers or once per --server)" },
	{ "token-file", 0, CONF_STR, offsetof(struct agent_conf, token_file),
	    0, 0, "FILE", "file holding the registration token" },
	{ "token", 0, CONF_STR, offsetof(struct agent_conf, token), 0, 0,
	    "TOKEN", "registration token (visible in ps: prefer --token-file)" },
	{ "server-key", 0, CONF_LIST, offsetof(struct agent_conf, server_keys),
	    0, 0, "KEY", "the server's public key to trust (repeatable; "
	    "p2p-server key prints it; a version 2 token may carry it)" },
	{ "allow-unauthenticated-server", 0, CONF_BOOL,
	    offsetof(struct agent_conf, allow_unauth), 0, 0, NULL,
	    "without a server key, register with whoever answers (unsafe)" },
	{ "socket", 0, CONF_STR, offsetof(struct agent_conf, socket_path), 0, 0,
	    "PATH", "IPC socket (default /run/p2pd/p2pd.sock)" },
	{ "state-dir", 0, CONF_STR, offsetof(struct agent_conf, state_dir), 0,
	    0, "DIR", "state directory (default /var/lib/p2pd)" },
	{ "port", 0, CONF_INT, offsetof(struct agent_conf, port), 0, 65535,
	    "N", "local UDP port (default 0: any)" },
	{ "foreground", 'f', CONF_BOOL, offsetof(struct agent_conf, foreground),
	    0, 0, NULL, "stay in the foreground, log to stderr" },
	{ "verbose", 'v', CONF_COUNT, offsetof(struct agent_conf, verbose), 0,
	    0, NULL, "more logging (repeat for debug)" },
	{ "log-level", 0, CONF_STR, offsetof(struct agent_conf, log_level), 0,
	    0, "LEVEL", "error, warning, info (default) or debug; each -v "
	    "one more" },
	{ "help", 'h', CONF_BOOL, offsetof(struct agent_conf, help), 0, 0,
	    NULL, "this help" },
	{ "version", 0, CONF_BOOL, offsetof(struct agent_conf, version), 0, 0,
	    NULL, "print the version and exit" },
	{ "check-config", 0, CONF_BOOL, offsetof(struct agent_conf,
	    check_config), 0, 0, NULL, "check the options, the -c file and "
	    "the token, then exit 0 (valid) or 1" },
	{ "inbox-size", 0, CONF_SIZE, offsetof(struct agent_conf, inbox_size),
	    16 * M, 1024 * 1024 * M, "SIZE", "bytes per service inbox (32M)" },
	{ "max-message", 0, CONF_SIZE, offsetof(struct agent_conf, max_message),
	    AGENT_MAX_MSG, AGENT_MAX_MSG_LIMIT, "SIZE",
	    "largest message, sent or taken (16M; up to 256M: a session uses "
	    "the smaller of both ends')" },
	{ "inbox-total", 0, CONF_SIZE, offsetof(struct agent_conf, inbox_total),
	    16 * M, 1024 * 1024 * M, "SIZE", "bytes over all inboxes (256M)" },
	{ "max-services", 0, CONF_INT, offsetof(struct agent_conf, max_services),
	    1, 65536, "N", "most services (64)" },
	{ "keepalive", 0, CONF_INT, offsetof(struct agent_conf, keepalive_s), 1,
	    3600, "S", "keepalive interval in seconds (15)" },
	{ "idle-timeout", 0, CONF_INT, offsetof(struct agent_conf,
	    idle_timeout_s), 2, 86400, "S", "dead-peer timeout in seconds (30)" },
	{ "birthday-sockets", 0, CONF_INT, offsetof(struct agent_conf,
	    birthday_sockets), 0, 1024, "N", "behind a symmetric NAT: extra "
	    "sockets for the birthday method (512; 0: off)" },
	{ "birthday-probes", 0, CONF_INT, offsetof(struct agent_conf,
	    birthday_probes), 0, 65536, "N", "against a symmetric NAT: random "
	    "ports probed per round (1024; 0: off)" },
	{ "birthday-rate", 0, CONF_INT, offsetof(struct agent_conf,
	    birthday_rate), 1, 1000, "N", "birthday packets per second "
	    "(100)" },
	{ "no-direct", 0, CONF_BOOL, offsetof(struct agent_conf, no_direct), 0,
	    0, NULL, "keep every session on the server relay (no hole "
	    "punching, no direct path checks answered)" },
	{ "no-portmap", 0, CONF_BOOL, offsetof(struct agent_conf, no_portmap),
	    0, 0, NULL, "ask the router for no port mapping (PCP, NAT-PMP, "
	    "UPnP IGD)" },
	{ "congestion", 0, CONF_STR, offsetof(struct agent_conf, congestion),
	    0, 0, "NAME", "congestion control: cubic (default) or newreno" },
	{ "metrics", 0, CONF_STR, offsetof(struct agent_conf, metrics), 0, 0,
	    "ADDR:PORT", "serve GET /metrics (Prometheus text) there; "
	    "loopback only unless --metrics-public" },
	{ "metrics-public", 0, CONF_BOOL, offsetof(struct agent_conf,
	    metrics_public), 0, 0, NULL, "let --metrics bind a non-loopback "
	    "address (no authentication: firewall it)" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL }
};

/*
 * The birthday method opens hundreds of sockets at once: take the hard
 * limit on descriptors (as systemd's LimitNOFILE sets it), and size the
 * spray sockets to leave room for everything else.
 */
static void
p2pd_raise_nofile(struct agent *a)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)a->conf.birthday_sockets * 2 + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < need && a->conf.birthday_sockets > 0) {
		a->conf.birthday_sockets = rl.rlim_cur > 512 ?
		    (long)(rl.rlim_cur - 256) / 2 : 0;
		log_info("descriptor limit %llu: at most %ld birthday sockets",
		    (unsigned long long)rl.rlim_cur, a->conf.birthday_sockets);
	}
}

void
p2pd_defaults(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->inbox_size = 32 * M;
	c->max_message = AGENT_MAX_MSG;
	c->inbox_total = 256 * M;
	c->max_services = 64;
	c->keepalive_s = 15;
	c->idle_timeout_s = 30;
	c->birthday_sockets = 512;
	c->birthday_probes = 1024;
	c->birthday_rate = 100;
}

static char *
p2pd_strdup_default(char *v, const char *def)
{
	char *s;

	if (v != NULL)
		return v;
	if ((s = strdup(def)) == NULL)
		fatal("%s: strdup", __func__);
	return s;
}

/* The router has deleted the port mapping (or gave no answer in time). */
static void
p2pd_stopped(void *arg)
{
	struct agent *a = arg;

	event_base_loopexit(a->base, NULL);
}

static void
p2pd_stop(struct agent *a)
{
	if (a->stopping)
		return;
	a->stopping = 1;
	log_info("shutting down");
	notify_stopping(a->notify);
	peer_close_all(a, "agent shutting down");
	reg_shutdown(a);
	udp_flush(a);
	natmap_stop(a, p2pd_stopped, a);
}

static void
p2pd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;

	if (sig == SIGHUP) {
		p2pd_reload(a);
		return;
	}
	p2pd_stop(a);
}

static int
p2pd_conf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
p2pd_check_conf(struct agent_conf *c, char *err, size_t errlen)
{
	int	level = 0;

	if (c->token == NULL && c->token_file == NULL)
		return p2pd_conf_err(err, errlen, "no token: give --token-file "
		    "FILE (or --token TOKEN)");
	if (c->server.n == 0)
		return p2pd_conf_err(err, errlen, "no server: give --server "
		    "HOST:PORT");
	if (c->server_tcp.n > 1 && c->server_tcp.n != c->server.n)
		return p2pd_conf_err(err, errlen, "--server-tcp: given %zu "
		    "times for %zu --server: give it once (for all) or once "
		    "per --server", c->server_tcp.n, c->server.n);
	if (c->inbox_size < c->max_message)
		return p2pd_conf_err(err, errlen, "--inbox-size must be at "
		    "least --max-message (%zu)", c->max_message);
	if (c->inbox_total < c->inbox_size)
		return p2pd_conf_err(err, errlen, "--inbox-total must be at "
		    "least --inbox-size");
	c->cc_algo = c->congestion == NULL ? CC_DEFAULT :
	    cc_parse(c->congestion);
	if (c->cc_algo == -1)
		return p2pd_conf_err(err, errlen, "--congestion must be cubic "
		    "or newreno, not '%s'", c->congestion);
	if (c->log_level != NULL &&
	    (level = log_level_parse(c->log_level)) == LOG_LEVEL_BAD)
		return p2pd_conf_err(err, errlen, "--log-level: '%s' is not "
		    "error, warning, info or debug", c->log_level);
	c->verbosity = level + c->verbose;
	if (c->metrics != NULL && ctl_http_check(c->metrics,
	    c->metrics_public, err, errlen) == -1)
		return -1;
	c->socket_path = p2pd_strdup_default(c->socket_path,
	    "/run/p2pd/p2pd.sock");
	c->state_dir = p2pd_strdup_default(c->state_dir, "/var/lib/p2pd");
	return 0;
}

/* --check-config: every --server and --server-tcp resolves. */
static int
p2pd_check_servers(const struct agent_conf *c)
{
	struct sockaddr_storage ss[8];
	char err[256];
	size_t i;

	for (i = 0; i < c->server.n; i++)
		if (addr_parse_all(c->server.v[i], ss, 8, 3478, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "p2pd: --server: %s\n", err);
			return -1;
		}
	for (i = 0; i < c->server_tcp.n; i++)
		if (addr_parse_all(c->server_tcp.v[i], ss, 8, 3478, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "p2pd: --server-tcp: %s\n", err);
			return -1;
		}
	return 0;
}

/* --check-config among the flags, before they could be parsed. */
static int
p2pd_checking(int argc, char **argv)
{
	int	i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--check-config") == 0)
			return 1;
	return 0;
}

static void
p2pd_usage(void)
{
	conf_usage(stderr, "p2pd", "[-fhv] [-c FILE] [options]", p2pd_opts);
	exit(2);
}

/*
 * Registered: the public address to the port mapping, our reflexive address
 * on the other family, the low TTL (IPv4: over whichever family the server
 * has it), the NAT classification, fresh introductions.
 */
static void
p2pd_registered(struct agent *a)
{
	struct sockaddr_storage other;
	int have_other = reg_other_server(a, &other) == 0;

	natmap_registered(a, a->reg->have_public ?
	    (struct sockaddr *)&a->reg->public : NULL);
	refl_start(a, have_other ? (struct sockaddr *)&other : NULL);
	if (a->reg->have_srv && a->reg->srv.ss_family == AF_INET)
		lowttl_start(a, (struct sockaddr *)&a->reg->srv);
	else if (have_other)
		lowttl_start(a, (struct sockaddr *)&other);
	nat_registered(a);
	peer_registered(a);
}

/* refl.c learned our reflexive address on the other family: it goes to
 * the server (NatReport), and the sessions on the relay re-plan. */
static void
p2pd_refl_changed(struct agent *a)
{
	nat_report_now(a);
	route_replan_all(a, "a reflexive address on the other IP family");
}

/*
 * Inside the engine, what comes up from the socket and the server link:
 * the one place that knows both ends of each of these calls.
 */
static void
p2pd_hooks(struct agent *a)
{
	a->hooks.datagram = input_datagram;
	a->hooks.relay_in = reg_relay_in;
	a->hooks.relayed = input_relayed;
	a->hooks.tcp_input = reg_tcp_input;
	a->hooks.tcp_lost = reg_tcp_lost;
	a->hooks.tcp_drained = session_unblock;
	a->hooks.introduce = peer_introduce;
	a->hooks.withdraw = peer_withdraw;
	a->hooks.connect_failed = peer_connect_failed;
	a->hooks.registered = p2pd_registered;
	a->hooks.replan = route_replan_all;
	a->hooks.refl_changed = p2pd_refl_changed;
}

static void
p2pd_setup(struct agent *a)
{
	svc_table_init(&a->svcs, a->conf.inbox_size, a->conf.inbox_total,
	    (size_t)a->conf.max_services);
	TAILQ_INIT(&a->drive_q);
	TAILQ_INIT(&a->blocked_q);
	TAILQ_INIT(&a->op_free);
	a->udp_fd = -1;
	p2pd_hooks(a);
	if ((a->buf = calloc(1, sizeof(*a->buf))) == NULL ||
	    peer_tab_init(a) == -1 || guard_init(a) == -1)
		fatalx("out of memory");
	if ((a->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((a->drive_ev = event_new(a->base, -1, 0, session_drive_queued,
	    a)) == NULL || (a->notify = notify_new(a->base)) == NULL)
		fatalx("event_new failed");
	if (udp_open(a) == -1)
		exit(1);
	if (ctl_open(a) == -1)
		exit(1);
	if (reg_init(a) == -1)
		exit(1);
	if (nat_init(a) == -1)
		fatalx("nat: out of memory");
	if (natmap_init(a) == -1)
		fatalx("port mapping: out of memory");
	if (lowttl_init(a) == -1)
		fatalx("low TTL: out of memory");
	if (refl_init(a) == -1)
		fatalx("reflexive address: out of memory");
	a->sig_term = evsignal_new(a->base, SIGTERM, p2pd_signal, a);
	a->sig_int = evsignal_new(a->base, SIGINT, p2pd_signal, a);
	a->sig_hup = evsignal_new(a->base, SIGHUP, p2pd_signal, a);
	if (a->sig_term == NULL || a->sig_int == NULL || a->sig_hup == NULL ||
	    evsignal_add(a->sig_term, NULL) == -1 ||
	    evsignal_add(a->sig_int, NULL) == -1 ||
	    evsignal_add(a->sig_hup, NULL) == -1)
		fatalx("cannot install signal handlers");
	signal(SIGPIPE, SIG_IGN);
}

static void
p2pd_teardown(struct agent *a)
{
	peer_free_all(a);
	ctl_free(a);
	nat_free(a);
	natmap_free(a);
	lowttl_free(a);
	refl_free(a);
	reg_free(a);
	udp_close(a);
	svc_table_free(&a->svcs);
	if (a->sig_term != NULL)
		event_free(a->sig_term);
	if (a->sig_int != NULL)
		event_free(a->sig_int);
	if (a->sig_hup != NULL)
		event_free(a->sig_hup);
	if (a->drive_ev != NULL)
		event_free(a->drive_ev);
	session_op_pool_free(a);
	pindex_free(a);
	free(a->buf);
	guard_free(a);
	notify_free(a->notify);
	event_base_free(a->base);
	sodium_memzero(a->id_sk, sizeof(a->id_sk));
	hs_identity_wipe(&a->hsid);
	free(a->token);
	conf_free(p2pd_opts, &a->conf);
}

int
main(int argc, char **argv)
{
	struct agent	 a;
	char		 err[512], *conf_path = NULL;
	int		 first;

	portmap_helper_main(argc, argv);	/* UPnP's helper: runs, exits */
	memset(&a, 0, sizeof(a));
	p2pd_defaults(&a.conf);
	log_init("p2pd", 1, 0);
	if (conf_load(p2pd_opts, &a.conf, argc, argv, &first, &conf_path, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "p2pd: %s\n", err);
		if (p2pd_checking(argc, argv))
			exit(1);
		p2pd_usage();
	}
	free(conf_path);
	if (a.conf.help) {
		conf_usage(stdout, "p2pd", "[-fhv] [-c FILE] [options]",
		    p2pd_opts);
		exit(0);
	}
	if (a.conf.version) {
		printf("p2pd %s\n", PACKAGE_VERSION);
		exit(0);
	}
	if (first < argc) {
		fprintf(stderr, "p2pd: unexpected argument '%s'\n", argv[first]);
		if (a.conf.check_config)
			exit(1);
		p2pd_usage();
	}
	if (p2pd_check_conf(&a.conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "p2pd: %s\n", err);
		exit(1);
	}
	if (a.conf.check_config) {
		if (p2pd_check_servers(&a.conf) == -1 ||
		    reg_load_token(&a) == -1)
			exit(1);
		printf("p2pd: the configuration is valid (peer %s)\n",
		    a.peer_id);
		free(a.token);
		conf_free(p2pd_opts, &a.conf);
		exit(0);
	}
	a.conf.argc = argc;
	a.conf.argv = argv;
	log_init("p2pd", a.conf.foreground, a.conf.verbosity);
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	p2pd_raise_nofile(&a);
	if (ident_load(a.conf.state_dir, a.id_pk, a.id_sk) == -1)
		exit(1);
	if (hs_identity_from_ed25519(&a.hsid, a.id_sk) == -1)
		fatalx("identity key: cannot derive its X25519 form");
	if (reg_load_token(&a) == -1)
		exit(1);
	if (!a.conf.foreground && daemon(0, 0) == -1)
		fatal("daemon");

	p2pd_setup(&a);
	log_info("p2pd %s as %s, UDP port %u, socket %s", PACKAGE_VERSION,
	    a.peer_id, a.udp_port, a.conf.socket_path);
	notify_ready(a.notify);
	event_base_dispatch(a.base);
	p2pd_teardown(&a);
	return 0;
}
