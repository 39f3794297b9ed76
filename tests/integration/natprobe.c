/* SPDX-License-Identifier: ISC */
/*
 * natprobe: check the NAT lab's emulation with RFC 5780 logic, without any
 * p2pd code, so that a bug in p2pd's STUN cannot hide a bug in the lab.
 *
 *   natprobe reflect [--ready FILE] ADDR:PORT...
 *	Bind one socket per address and answer every request with the source
 *	address it came from. A request can ask for the answer to leave from
 *	another socket: "port" = same IP, other port; "ip" = other IP and
 *	other port (RFC 5780's CHANGE-REQUEST, in plain text). FILE is
 *	written once every socket is bound.
 *
 *   natprobe probe [--json] [--bind ADDR:PORT] [--tries N] [--wait MS]
 *	    [--ttl N] ADDR:PORT[/same|/port|/ip]...
 *	Send from one local socket to each reflector in turn, in order (the
 *	order matters: a filtering test must come before the socket has
 *	talked to the address it tests), and print per request whether an
 *	answer got through, the mapped address and where the answer came from.
 *	--ttl sends the requests with that IP TTL (a packet that is to die
 *	at a given hop).
 *
 * Wire: request "natprobe ID MODE", answer "natprobe ID SEEN FROM".
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NATPROBE_MAXSOCK	8
#define NATPROBE_MAXREQ		32
#define NATPROBE_BUF		256

static void
natprobe_die(const char *what)
{
	fprintf(stderr, "natprobe: %s\n", what);
	exit(2);
}

static int
natprobe_parse(const char *s, struct sockaddr_in *sin)
{
	char		 host[64];
	const char	*colon;
	char		*end;
	long		 port;
	size_t		 n;

	if ((colon = strrchr(s, ':')) == NULL)
		return -1;
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof host)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' && *end != '/')
		return -1;
	if (end == colon + 1 || port < 0 || port > 65535)
		return -1;
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -1;
	return 0;
}

static void
natprobe_fmt(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char	ip[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip) == NULL)
		snprintf(ip, sizeof ip, "?");
	snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
}

static int
natprobe_bind(const struct sockaddr_in *sin)
{
	int	fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		natprobe_die("socket");
	if (bind(fd, (const struct sockaddr *)sin, sizeof *sin) == -1) {
		perror("natprobe: bind");
		exit(2);
	}
	return fd;
}

/* The socket to answer from: same one, same IP other port, or other IP. */
static int
natprobe_pick(const struct sockaddr_in *addr, int n, int in, const char *mode)
{
	int	i, sameip, sameport;

	if (strcmp(mode, "same") == 0)
		return in;
	for (i = 0; i < n; i++) {
		sameip = addr[i].sin_addr.s_addr == addr[in].sin_addr.s_addr;
		sameport = addr[i].sin_port == addr[in].sin_port;
		if (strcmp(mode, "port") == 0 && sameip && !sameport)
			return i;
		if (strcmp(mode, "ip") == 0 && !sameip && !sameport)
			return i;
	}
	return -1;
}

static int
natprobe_reflect(int argc, char **argv)
{
	struct sockaddr_in	 addr[NATPROBE_MAXSOCK], from;
	struct pollfd		 pfd[NATPROBE_MAXSOCK];
	socklen_t		 fl;
	const char		*ready = NULL;
	char			 buf[NATPROBE_BUF], out[NATPROBE_BUF];
	char			 id[40], mode[8], seen[40], src[40];
	ssize_t			 r;
	int			 n = 0, i, o;
	FILE			*f;

	if (argc >= 2 && strcmp(argv[0], "--ready") == 0) {
		ready = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc < 1 || argc > NATPROBE_MAXSOCK)
		natprobe_die("reflect needs 1 to 8 addresses");
	for (n = 0; n < argc; n++) {
		if (natprobe_parse(argv[n], &addr[n]) == -1)
			natprobe_die("bad address");
		pfd[n].fd = natprobe_bind(&addr[n]);
		pfd[n].events = POLLIN;
		fl = sizeof addr[n];
		getsockname(pfd[n].fd, (struct sockaddr *)&addr[n], &fl);
	}
	if (ready != NULL) {
		if ((f = fopen(ready, "w")) == NULL)
			natprobe_die("cannot write the ready file");
		for (i = 0; i < n; i++) {
			natprobe_fmt(&addr[i], src, sizeof src);
			fprintf(f, "%s\n", src);
		}
		fclose(f);
	}
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) == -1) {
			if (errno == EINTR)
				continue;
			natprobe_die("poll");
		}
		for (i = 0; i < n; i++) {
			if ((pfd[i].revents & POLLIN) == 0)
				continue;
			fl = sizeof from;
			r = recvfrom(pfd[i].fd, buf, sizeof buf - 1, 0,
			    (struct sockaddr *)&from, &fl);
			if (r <= 0 || fl != sizeof from ||
			    from.sin_family != AF_INET)
				continue;
			buf[r] = '\0';
			/* Anything else on the port is not ours to answer. */
			if (sscanf(buf, "natprobe %39s %7s", id, mode) != 2)
				continue;
			if ((o = natprobe_pick(addr, n, i, mode)) == -1)
				continue;
			natprobe_fmt(&from, seen, sizeof seen);
			natprobe_fmt(&addr[o], src, sizeof src);
			r = snprintf(out, sizeof out, "natprobe %s %s %s", id,
			    seen, src);
			if (r > 0 && (size_t)r < sizeof out)
				sendto(pfd[o].fd, out, (size_t)r, 0,
				    (struct sockaddr *)&from, sizeof from);
		}
	}
	/* NOTREACHED */
	return 0;
}

static long long
natprobe_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct natprobe_req {
	char	spec[64];
	char	mode[8];
	int	got;
	char	mapped[40];
	char	from[40];
	long	ms;
};

/* Send one request, retrying, and wait for its own answer. */
static void
natprobe_one(int fd, const struct sockaddr_in *to, struct natprobe_req *q,
    unsigned int tag, int tries, int wait_ms)
{
	struct pollfd	pfd;
	char		buf[NATPROBE_BUF], rbuf[NATPROBE_BUF];
	char		id[40], want[40], seen[40], src[40];
	ssize_t		r;
	size_t		n;
	long long	start, deadline, now;
	int		t;

	snprintf(want, sizeof want, "%08x", tag);
	n = (size_t)snprintf(buf, sizeof buf, "natprobe %s %s", want, q->mode);
	start = natprobe_ms();
	for (t = 0; t < tries && !q->got; t++) {
		sendto(fd, buf, n, 0, (const struct sockaddr *)to,
		    sizeof *to);
		deadline = natprobe_ms() + wait_ms;
		while (!q->got && (now = natprobe_ms()) < deadline) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
				continue;
			r = recv(fd, rbuf, sizeof rbuf - 1, 0);
			if (r <= 0)
				continue;
			rbuf[r] = '\0';
			if (sscanf(rbuf, "natprobe %39s %39s %39s", id,
			    seen, src) != 3 || strcmp(id, want) != 0)
				continue;	/* late answer to an earlier one */
			q->got = 1;
			q->ms = (long)(natprobe_ms() - start);
			snprintf(q->mapped, sizeof q->mapped, "%s", seen);
			snprintf(q->from, sizeof q->from, "%s", src);
		}
	}
}

static int
natprobe_probe(int argc, char **argv)
{
	struct natprobe_req	 req[NATPROBE_MAXREQ];
	struct sockaddr_in	 local, to;
	socklen_t		 fl;
	char			 lbuf[40];
	const char		*slash;
	unsigned int		 base;
	int			 json = 0, tries = 3, wait_ms = 300, n = 0, i, fd;
	int			 ttl = 0;

	memset(&local, 0, sizeof local);
	local.sin_family = AF_INET;
	while (argc > 0 && strncmp(argv[0], "--", 2) == 0) {
		if (strcmp(argv[0], "--json") == 0) {
			json = 1;
			argc--, argv++;
			continue;
		}
		if (argc < 2)
			natprobe_die("option needs a value");
		if (strcmp(argv[0], "--bind") == 0) {
			if (natprobe_parse(argv[1], &local) == -1)
				natprobe_die("bad --bind address");
		} else if (strcmp(argv[0], "--tries") == 0)
			tries = atoi(argv[1]);
		else if (strcmp(argv[0], "--wait") == 0)
			wait_ms = atoi(argv[1]);
		else if (strcmp(argv[0], "--ttl") == 0)
			ttl = atoi(argv[1]);
		else
			natprobe_die("unknown option");
		argc -= 2, argv += 2;
	}
	if (argc < 1 || argc > NATPROBE_MAXREQ || tries < 1 || tries > 20 ||
	    wait_ms < 10 || wait_ms > 10000 || ttl < 0 || ttl > 255)
		natprobe_die("usage: natprobe probe [--json] [--bind A:P] "
		    "[--tries N] [--wait MS] [--ttl N] "
		    "ADDR:PORT[/same|/port|/ip]...");
	fd = natprobe_bind(&local);
	if (ttl > 0 && setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl,
	    sizeof ttl) == -1)
		natprobe_die("setsockopt IP_TTL failed");
	fl = sizeof local;
	getsockname(fd, (struct sockaddr *)&local, &fl);
	natprobe_fmt(&local, lbuf, sizeof lbuf);
	srand((unsigned int)(getpid() ^ natprobe_ms()));
	base = (unsigned int)rand() << 8;
	for (n = 0; n < argc; n++) {
		memset(&req[n], 0, sizeof req[n]);
		if (strlen(argv[n]) >= sizeof req[n].spec ||
		    natprobe_parse(argv[n], &to) == -1)
			natprobe_die("bad reflector address");
		snprintf(req[n].spec, sizeof req[n].spec, "%s", argv[n]);
		slash = strchr(argv[n], '/');
		snprintf(req[n].mode, sizeof req[n].mode, "%s",
		    slash != NULL ? slash + 1 : "same");
		if (strcmp(req[n].mode, "same") != 0 &&
		    strcmp(req[n].mode, "port") != 0 &&
		    strcmp(req[n].mode, "ip") != 0)
			natprobe_die("mode is same, port or ip");
		natprobe_one(fd, &to, &req[n], base + (unsigned int)n, tries,
		    wait_ms);
	}
	if (json)
		printf("{\"local\": \"%s\", \"results\": [", lbuf);
	for (i = 0; i < n; i++) {
		if (json) {
			printf("%s\n  {\"req\": \"%s\", \"reply\": %s", i ? "," : "",
			    req[i].spec, req[i].got ? "true" : "false");
			if (req[i].got)
				printf(", \"mapped\": \"%s\", \"from\": \"%s\", "
				    "\"ms\": %ld", req[i].mapped, req[i].from,
				    req[i].ms);
			printf("}");
		} else if (req[i].got)
			printf("req=%s local=%s reply=yes mapped=%s from=%s "
			    "ms=%ld\n", req[i].spec, lbuf, req[i].mapped,
			    req[i].from, req[i].ms);
		else
			printf("req=%s local=%s reply=no\n", req[i].spec, lbuf);
	}
	if (json)
		printf("\n]}\n");
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "reflect") == 0)
		return natprobe_reflect(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return natprobe_probe(argc - 2, argv + 2);
	fprintf(stderr, "usage: natprobe reflect [--ready FILE] ADDR:PORT...\n"
	    "       natprobe probe [--json] [--bind ADDR:PORT] [--tries N] "
	    "[--wait MS] ADDR:PORT[/same|/port|/ip]...\n");
	return 2;
}
