/* SPDX-License-Identifier: ISC */
/*
 * fakegw: a router that answers NAT-PMP, PCP and UPnP IGD the way a test
 * asks: correctly, or hostile. It runs in a lab router's namespace (the
 * LAN's default gateway) and logs every request it takes on stdout, one
 * line each ("natpmp addr", "natpmp map 5000 lifetime=4", "pcp map 5000
 * lifetime=0", "upnp add 5000", ...), so a test can count mappings made
 * and deleted.
 *
 *   fakegw [--mode MODE] [--lifetime S] [--external IP] [--upnp] LANADDR
 *
 * MODE: good (the default), huge (every answer a 65000-byte datagram;
 * UPnP announces Content-Length 2000000000 and sends a body until the
 * client goes away), malformed (answers that do not parse), wrong-external
 * (the answers are right but the external address is --external, e.g. a
 * private one), mismatched (answers with another nonce, another port, or
 * to a request nobody sent). --lifetime caps what a mapping is granted
 * (default 7200).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum mode { GOOD, HUGE, MALFORMED, WRONG_EXTERNAL, MISMATCHED };

static enum mode	mode = GOOD;
static uint32_t		lifetime_cap = 7200;
static struct in_addr	lan, external;
static uint32_t		epoch = 1000;
static uint16_t		http_port;

static void
die(const char *what)
{
	fprintf(stderr, "fakegw: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void
say(const char *fmt, const char *a, unsigned v, unsigned w)
{
	printf(fmt, a, v, w);
	putchar('\n');
	fflush(stdout);
}

static int
bound(int type, uint16_t port, struct in_addr addr)
{
	struct sockaddr_in	sin;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr = addr;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind");
	return fd;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* An answer to a NAT-PMP or PCP request q (n bytes) into a; its length. */
static size_t
pcp_answer(const uint8_t *q, size_t n, uint8_t *a)
{
	uint32_t	life, ext = ntohl(external.s_addr);
	uint16_t	iport;
	size_t		len;

	if (n >= 2 && q[0] == 0 && q[1] == 0) {		/* NAT-PMP address */
		say("natpmp addr", "", 0, 0);
		memset(a, 0, 12);
		a[1] = 128;
		put32(a + 4, epoch);
		put32(a + 8, ext);
		return 12;
	}
	if (n >= 12 && q[0] == 0 && q[1] == 1) {	/* NAT-PMP UDP map */
		iport = (uint16_t)(q[4] << 8 | q[5]);
		life = get32(q + 8);
		say("natpmp map %s%u lifetime=%u", "", iport, life);
		memset(a, 0, 16);
		a[1] = 129;
		put32(a + 4, epoch);
		put16(a + 8, mode == MISMATCHED ? iport + 1 : iport);
		put16(a + 10, life ? iport : 0);
		put32(a + 12, life < lifetime_cap ? life : lifetime_cap);
		return 16;
	}
	if (n >= 24 && q[0] == 2 && (q[1] & 0x7f) == 0) {	/* ANNOUNCE */
		say("pcp announce", "", 0, 0);
		memcpy(a, q, 24);
		a[1] = 0x80;
		a[3] = 0;
		put32(a + 4, 0);
		put32(a + 8, epoch);
		memset(a + 12, 0, 12);
		return 24;
	}
	if (n >= 60 && q[0] == 2 && (q[1] & 0x7f) == 1) {	/* MAP */
		iport = (uint16_t)(q[40] << 8 | q[41]);
		life = get32(q + 4);
		say("pcp map %s%u lifetime=%u", "", iport, life);
		len = 60;
		memcpy(a, q, len);
		a[1] = 0x81;
		a[3] = 0;
		put32(a + 4, life < lifetime_cap ? life : lifetime_cap);
		put32(a + 8, epoch);
		memset(a + 12, 0, 12);
		if (mode == MISMATCHED)
			a[24] ^= 0xff;		/* another nonce */
		put16(a + 42, iport);
		memset(a + 44, 0, 10);
		a[54] = a[55] = 0xff;
		put32(a + 56, ext);
		return len;
	}
	return 0;
}

static void
pcp_serve(int fd)
{
	struct sockaddr_in	from;
	socklen_t		flen = sizeof(from);
	uint8_t			q[1200], a[65000];
	ssize_t			n;
	size_t			len, i;

	if ((n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from,
	    &flen)) <= 0)
		return;
	epoch++;
	len = pcp_answer(q, (size_t)n, a);
	switch (mode) {
	case HUGE:
		memset(a, 0, sizeof(a));
		a[0] = q[0];
		a[1] = (uint8_t)(q[1] | 0x80);
		len = sizeof(a);
		break;
	case MALFORMED:	/* the answer, cut short, then noise */
		if (len > 3)
			len -= 3;
		(void)sendto(fd, a, len, 0, (struct sockaddr *)&from, flen);
		for (i = 0; i < sizeof(q) && i < 40; i++)
			a[i] = (uint8_t)(i * 37 + epoch);
		a[0] = 7;	/* no such version */
		len = 40;
		break;
	case MISMATCHED:	/* and one more, to nothing we were asked */
		(void)sendto(fd, a, len, 0, (struct sockaddr *)&from, flen);
		a[1] = 128;
		len = 12;
		break;
	default:
		break;
	}
	if (len > 0)
		(void)sendto(fd, a, len, 0, (struct sockaddr *)&from, flen);
}

/* SSDP: every M-SEARCH gets our description's address, under its ST. */
static void
ssdp_serve(int fd)
{
	struct sockaddr_in	 from;
	socklen_t		 flen = sizeof(from);
	char			 q[1500], a[600], st[200];
	const char		*p, *e;
	ssize_t			 n;
	int			 len;

	if ((n = recvfrom(fd, q, sizeof(q) - 1, 0, (struct sockaddr *)&from,
	    &flen)) <= 0)
		return;
	q[n] = '\0';
	if (strncmp(q, "M-SEARCH", 8) != 0 || (p = strcasestr(q, "\nST:")) == NULL)
		return;
	p += 4;
	while (*p == ' ')
		p++;
	e = strpbrk(p, "\r\n");
	if (e == NULL || (size_t)(e - p) >= sizeof(st))
		return;
	memcpy(st, p, (size_t)(e - p));
	st[e - p] = '\0';
	say("ssdp search %s", st, 0, 0);
	len = snprintf(a, sizeof(a), "HTTP/1.1 200 OK\r\nCACHE-CONTROL: "
	    "max-age=120\r\nST: %s\r\nUSN: uuid:fakegw::%s\r\nEXT:\r\n"
	    "SERVER: fakegw UPnP/1.1\r\nLOCATION: http://%s:%u/desc.xml\r\n\r\n",
	    st, st, inet_ntoa(lan), (unsigned)http_port);
	(void)sendto(fd, a, (size_t)len, 0, (struct sockaddr *)&from, flen);
}

static const char desc_fmt[] =
    "<?xml version=\"1.0\"?>\r\n"
    "<root xmlns=\"urn:schemas-upnp-org:device-1-0\">"
    "<specVersion><major>1</major><minor>0</minor></specVersion>"
    "<URLBase>http://%s:%u</URLBase><device>"
    "<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1"
    "</deviceType><friendlyName>fakegw</friendlyName><deviceList><device>"
    "<deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>"
    "<serviceList><service><serviceType>urn:schemas-upnp-org:service:"
    "WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:"
    "serviceId:WANCommonIFC1</serviceId><controlURL>/ctl/CmnIfCfg"
    "</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL><SCPDURL>"
    "/WANCfg.xml</SCPDURL></service></serviceList>"
    "<deviceList><device>"
    "<deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1"
    "</deviceType><serviceList><service>"
    "<serviceType>urn:schemas-upnp-org:service:WANIPConnection:1"
    "</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>"
    "<controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn"
    "</eventSubURL><SCPDURL>/WANIPCn.xml</SCPDURL></service></serviceList>"
    "</device></deviceList></device></deviceList></device></root>\r\n";

static const char soap_fmt[] =
    "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas."
    "xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap."
    "org/soap/encoding/\"><s:Body><u:%sResponse xmlns:u=\"urn:schemas-upnp-"
    "org:service:WANIPConnection:1\">%s</u:%sResponse></s:Body></s:Envelope>"
    "\r\n";

static void
http_send(int c, const char *body, size_t blen)
{
	char	hdr[256];
	int	n = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Type: "
		    "text/xml; charset=\"utf-8\"\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", blen);

	(void)write(c, hdr, (size_t)n);
	(void)write(c, body, blen);
}

/* HUGE: a body that never ends, from a child, until the client leaves. */
static void
http_endless(int c)
{
	static const char	hdr[] = "HTTP/1.1 200 OK\r\nContent-Type: text/xml"
				    "\r\nContent-Length: 2000000000\r\n\r\n";
	char			chunk[16384];
	pid_t			pid;

	if ((pid = fork()) != 0) {
		if (pid == -1)
			die("fork");
		return;
	}
	signal(SIGPIPE, SIG_IGN);
	memset(chunk, '<', sizeof(chunk));
	if (write(c, hdr, sizeof(hdr) - 1) > 0)
		while (write(c, chunk, sizeof(chunk)) > 0)
			;
	_exit(0);
}

static const char junk[] = "<root><device>\x01\x02<deviceType";

static void
http_serve(int lfd)
{
	char	 req[8192], body[4096], inner[256], *p;
	size_t	 got = 0;
	ssize_t	 n;
	int	 c, len;
	const char *action = "";

	if ((c = accept(lfd, NULL, NULL)) == -1)
		return;
	/* Headers, and the SOAP body miniupnpc sends right after them. */
	while (got < sizeof(req) - 1 && (n = read(c, req + got,
	    sizeof(req) - 1 - got)) > 0) {
		got += (size_t)n;
		req[got] = '\0';
		if ((p = strstr(req, "\r\n\r\n")) != NULL &&
		    (strncmp(req, "GET", 3) == 0 || strstr(p, "Envelope>")))
			break;
	}
	req[got] = '\0';
	if (mode == HUGE) {
		say("upnp http %s", strncmp(req, "GET", 3) == 0 ? "get" : "post",
		    0, 0);
		http_endless(c);
		close(c);
		return;
	}
	if (strncmp(req, "GET", 3) == 0) {
		say("upnp http get", "", 0, 0);
		if (mode == MALFORMED)
			http_send(c, junk, sizeof(junk) - 1);
		else {
			len = snprintf(body, sizeof(body), desc_fmt,
			    inet_ntoa(lan), (unsigned)http_port);
			http_send(c, body, (size_t)len);
		}
		close(c);
		return;
	}
	inner[0] = '\0';
	if (strstr(req, "#GetStatusInfo")) {
		action = "GetStatusInfo";
		snprintf(inner, sizeof(inner), "<NewConnectionStatus>Connected"
		    "</NewConnectionStatus><NewLastConnectionError>ERROR_NONE"
		    "</NewLastConnectionError><NewUptime>100</NewUptime>");
	} else if (strstr(req, "#GetExternalIPAddress")) {
		action = "GetExternalIPAddress";
		snprintf(inner, sizeof(inner), "<NewExternalIPAddress>%s"
		    "</NewExternalIPAddress>", inet_ntoa(external));
	} else if (strstr(req, "#AddPortMapping")) {
		action = "AddPortMapping";
		p = strstr(req, "<NewInternalPort>");
		say("upnp add %s%u", "", p ? (unsigned)atoi(p + 17) : 0, 0);
	} else if (strstr(req, "#DeletePortMapping")) {
		action = "DeletePortMapping";
		p = strstr(req, "<NewExternalPort>");
		say("upnp delete %s%u", "", p ? (unsigned)atoi(p + 17) : 0, 0);
	} else
		action = "Unknown";
	len = snprintf(body, sizeof(body), soap_fmt, action, inner, action);
	if (mode == MALFORMED)
		len = len / 3;
	http_send(c, body, (size_t)len);
	close(c);
}

int
main(int argc, char **argv)
{
	struct ip_mreq		mr;
	struct sockaddr_in	sin;
	socklen_t		slen = sizeof(sin);
	struct pollfd		pfd[3];
	struct in_addr		any = { htonl(INADDR_ANY) };
	int			i, upnp = 0, nfd = 1;

	external.s_addr = 0;
	for (i = 1; i < argc - 1; i++) {
		if (strcmp(argv[i], "--upnp") == 0)
			upnp = 1;
		else if (strcmp(argv[i], "--lifetime") == 0 && i + 2 < argc)
			lifetime_cap = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--external") == 0 && i + 2 < argc)
			inet_pton(AF_INET, argv[++i], &external);
		else if (strcmp(argv[i], "--mode") == 0 && i + 2 < argc) {
			i++;
			if (strcmp(argv[i], "good") == 0) mode = GOOD;
			else if (strcmp(argv[i], "huge") == 0) mode = HUGE;
			else if (strcmp(argv[i], "malformed") == 0) mode = MALFORMED;
			else if (strcmp(argv[i], "wrong-external") == 0)
				mode = WRONG_EXTERNAL;
			else if (strcmp(argv[i], "mismatched") == 0)
				mode = MISMATCHED;
			else
				break;
		} else
			break;
	}
	if (i != argc - 1 || inet_pton(AF_INET, argv[i], &lan) != 1) {
		fprintf(stderr, "usage: fakegw [--mode good|huge|malformed|"
		    "wrong-external|mismatched] [--lifetime S] [--external IP] "
		    "[--upnp] LANADDR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* the endless writers reap themselves */
	pfd[0].fd = bound(SOCK_DGRAM, 5351, any);
	if (upnp) {
		pfd[1].fd = bound(SOCK_DGRAM, 1900, any);
		memset(&mr, 0, sizeof(mr));
		inet_pton(AF_INET, "239.255.255.250", &mr.imr_multiaddr);
		mr.imr_interface = lan;
		if (setsockopt(pfd[1].fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
		    sizeof(mr)) == -1)
			die("joining the SSDP group");
		pfd[2].fd = bound(SOCK_STREAM, 0, lan);
		if (listen(pfd[2].fd, 16) == -1 || getsockname(pfd[2].fd,
		    (struct sockaddr *)&sin, &slen) == -1)
			die("listen");
		http_port = ntohs(sin.sin_port);
		nfd = 3;
	}
	say("fakegw ready%s", upnp ? " (upnp)" : "", 0, 0);
	for (;;) {
		for (i = 0; i < nfd; i++)
			pfd[i].events = POLLIN;
		if (poll(pfd, (nfds_t)nfd, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents & POLLIN)
			pcp_serve(pfd[0].fd);
		if (nfd > 1 && (pfd[1].revents & POLLIN))
			ssdp_serve(pfd[1].fd);
		if (nfd > 2 && (pfd[2].revents & POLLIN))
			http_serve(pfd[2].fd);
	}
}
