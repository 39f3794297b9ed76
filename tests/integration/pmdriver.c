/* SPDX-License-Identifier: ISC */
/*
 * pmdriver: drives the agent's port mapping module (daemon/agent/portmap*.c)
 * alone, against a real router (miniupnpd in the NAT lab) or a hostile one
 * (fakegw), before and beside its use in p2pd.
 *
 *   pmdriver [-v] [--protocols LIST] [--lifetime S] [--reflexive IP]
 *	[--hold S] [--wait S] [--echo] PORT
 *
 * Binds UDP PORT (the internal port), asks for a mapping of it with the
 * protocols in LIST (comma-separated pcp, nat-pmp, upnp; default all),
 * and prints one JSON line per event on stdout: {"event":"granted",...}
 * for every grant or change, {"event":"lost"} when it goes. --hold S
 * stops S seconds after the first grant (deleting the mapping), --wait S
 * gives up (exit 1) when nothing is granted by then; SIGTERM stops too.
 * --echo answers every datagram on PORT with "echo FROM", so a test can
 * see the mapping carry packets. At the end it prints
 * {"event":"stopped", ...every counter of struct portmap_stats} with its
 * own peak memory (max_rss_kb).
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "log.h"
#include "portmap.h"

struct drv {
	struct event_base	*base;
	struct portmap		*pm;
	struct event		*hold_ev, *wait_ev, *sig_ev, *udp_ev;
	int			 fd;
	int			 hold_s;
	int			 granted;
	int			 stopping;
	int			 rc;
};

static void
drv_print_stats(const struct portmap_stats *s)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("{\"event\":\"stopped\",\"max_rss_kb\":%ld,\"sent\":%llu,\"answers\":%llu,"
	    "\"malformed\":%llu,\"mismatched\":%llu,\"bad_external\":%llu,"
	    "\"refused\":%llu,\"helper_failures\":%llu,\"granted\":%llu,"
	    "\"renewed\":%llu,\"deleted\":%llu,\"lost\":%llu}\n",
	    ru.ru_maxrss, (unsigned long long)s->sent, (unsigned long long)s->answers,
	    (unsigned long long)s->malformed, (unsigned long long)s->mismatched,
	    (unsigned long long)s->bad_external,
	    (unsigned long long)s->refused,
	    (unsigned long long)s->helper_failures,
	    (unsigned long long)s->granted, (unsigned long long)s->renewed,
	    (unsigned long long)s->deleted, (unsigned long long)s->lost);
	fflush(stdout);
}

static void
drv_done(void *arg)
{
	struct drv	*d = arg;

	drv_print_stats(portmap_stats(d->pm));
	event_base_loopexit(d->base, NULL);
}

static void
drv_stop(struct drv *d)
{
	if (d->stopping)
		return;
	d->stopping = 1;
	portmap_stop(d->pm, drv_done, d);
}

static void
drv_changed(void *arg, const struct portmap_info *info)
{
	struct drv	*d = arg;
	char		 ip[INET_ADDRSTRLEN];
	struct timeval	 tv = { d->hold_s, 0 };

	if (info->proto == PORTMAP_NONE) {
		printf("{\"event\":\"lost\"}\n");
		fflush(stdout);
		return;
	}
	inet_ntop(AF_INET, &info->external.sin_addr, ip, sizeof(ip));
	printf("{\"event\":\"granted\",\"protocol\":\"%s\",\"external\":"
	    "\"%s:%u\",\"lifetime_s\":%u}\n", portmap_proto_name(info->proto),
	    ip, (unsigned)ntohs(info->external.sin_port),
	    (unsigned)info->lifetime_s);
	fflush(stdout);
	if (!d->granted && d->hold_s >= 0)
		evtimer_add(d->hold_ev, &tv);
	d->granted = 1;
}

static void
drv_hold(evutil_socket_t fd, short what, void *arg)
{
	drv_stop(arg);
}

static void
drv_wait(evutil_socket_t fd, short what, void *arg)
{
	struct drv	*d = arg;

	if (d->granted)
		return;
	printf("{\"event\":\"none\"}\n");
	fflush(stdout);
	d->rc = 1;
	drv_stop(d);
}

static void
drv_signal(evutil_socket_t fd, short what, void *arg)
{
	drv_stop(arg);
}

static void
drv_echo(evutil_socket_t fd, short what, void *arg)
{
	struct sockaddr_in	from;
	socklen_t		flen = sizeof(from);
	char			buf[512], ip[INET_ADDRSTRLEN];
	int			n;

	if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &flen) < 0)
		return;
	inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
	n = snprintf(buf, sizeof(buf), "echo %s:%u\n", ip,
	    (unsigned)ntohs(from.sin_port));
	(void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
}

static int
drv_protocols(const char *list)
{
	char	copy[64], *w, *save = NULL;
	int	mask = 0;

	snprintf(copy, sizeof(copy), "%s", list);
	for (w = strtok_r(copy, ",", &save); w != NULL;
	    w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "pcp") == 0)
			mask |= 1 << PORTMAP_PCP;
		else if (strcmp(w, "nat-pmp") == 0)
			mask |= 1 << PORTMAP_NATPMP;
		else if (strcmp(w, "upnp") == 0)
			mask |= 1 << PORTMAP_UPNP;
		else
			return -1;
	}
	return mask;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pmdriver [-v] [--protocols pcp,nat-pmp,upnp] "
	    "[--lifetime S] [--reflexive IP] [--hold S] [--wait S] [--echo] "
	    "PORT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct portmap_conf	 conf;
	struct portmap_cb	 cb = { drv_changed };
	struct drv		 d;
	struct sockaddr_in	 sin;
	struct in_addr		 refl = { 0 };
	struct timeval		 tv;
	int			 i, verbose = 0, echo = 0, wait_s = 20, port;

	portmap_helper_main(argc, argv);	/* the UPnP helper is us */
	memset(&conf, 0, sizeof(conf));
	memset(&d, 0, sizeof(d));
	d.hold_s = -1;
	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "-v") == 0)
			verbose++;
		else if (strcmp(argv[i], "--echo") == 0)
			echo = 1;
		else if (strcmp(argv[i], "--protocols") == 0 && i + 2 < argc) {
			if ((conf.protocols = drv_protocols(argv[++i])) <= 0)
				usage();
		} else if (strcmp(argv[i], "--lifetime") == 0 && i + 2 < argc)
			conf.lifetime_s = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--reflexive") == 0 && i + 2 < argc) {
			if (inet_pton(AF_INET, argv[++i], &refl) != 1)
				usage();
		} else if (strcmp(argv[i], "--hold") == 0 && i + 2 < argc)
			d.hold_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--wait") == 0 && i + 2 < argc)
			wait_s = atoi(argv[++i]);
		else
			usage();
	}
	if (i != argc - 1 || (port = atoi(argv[i])) < 1 || port > 65535)
		usage();
	log_init("pmdriver", 1, verbose + 1);
	if (sodium_init() == -1)
		fatalx("libsodium failed to start");
	signal(SIGPIPE, SIG_IGN);
	if ((d.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (bind(d.fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		fatal("bind to port %d", port);
	conf.internal_port = (uint16_t)port;
	if ((d.base = event_base_new()) == NULL ||
	    (d.pm = portmap_new(d.base, &conf, &cb, &d)) == NULL)
		fatalx("out of memory");
	portmap_set_reflexive(d.pm, ntohl(refl.s_addr));
	d.hold_ev = evtimer_new(d.base, drv_hold, &d);
	d.wait_ev = evtimer_new(d.base, drv_wait, &d);
	d.sig_ev = evsignal_new(d.base, SIGTERM, drv_signal, &d);
	d.udp_ev = event_new(d.base, d.fd, EV_READ | EV_PERSIST, drv_echo, &d);
	if (d.hold_ev == NULL || d.wait_ev == NULL || d.sig_ev == NULL ||
	    d.udp_ev == NULL)
		fatalx("out of memory");
	evsignal_add(d.sig_ev, NULL);
	if (echo)
		event_add(d.udp_ev, NULL);
	tv.tv_sec = wait_s;
	tv.tv_usec = 0;
	evtimer_add(d.wait_ev, &tv);
	portmap_start(d.pm);
	event_base_dispatch(d.base);
	portmap_free(d.pm);
	event_free(d.hold_ev);
	event_free(d.wait_ev);
	event_free(d.sig_ev);
	event_free(d.udp_ev);
	event_base_free(d.base);
	close(d.fd);
	return d.rc;
}
