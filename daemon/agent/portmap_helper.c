/* SPDX-License-Identifier: ISC */
/*
 * portmap_helper.c: the UPnP helper process. miniupnpc's discovery and
 * SOAP calls block, and a router decides how much memory they take (they
 * allocate the Content-Length it announces and read a body as long as it
 * sends one), so they run here, in the agent's program run again
 * (portmap_upnp.c starts it), under limits: CPU time, address space (not
 * under AddressSanitizer, which reserves terabytes: portmap_upnp.c caps
 * its allocations instead), a wall clock alarm. It answers with one line on stdout (core/upnpmsg.h), which
 * the agent parses as untrusted.
 *
 *   PROG --portmap-helper probe
 *   PROG --portmap-helper map CONTROL SERVICE LAN INTERNAL EXTERNAL LIFETIME
 *   PROG --portmap-helper delete CONTROL SERVICE EXTERNAL
 */
#include <sys/resource.h>

#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>

#include <sodium.h>

#include "portmap.h"
#include "upnpmsg.h"

#define HELPER_WALL_S		12	/* the agent kills it at 10 s anyway */
#define HELPER_CPU_S		5
#define HELPER_AS_BYTES		(256UL << 20)
#define HELPER_DISCOVER_MS	2000
#define HELPER_CONFLICT_TRIES	3
#define UPNP_ERR_CONFLICT	718
#define UPNP_ERR_PERMANENT_ONLY	725
#define UPNP_ERR_NO_SUCH_ENTRY	714

#if defined(__SANITIZE_ADDRESS__)
#define HELPER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HELPER_ASAN	1
#endif
#endif

static void
helper_limits(void)
{
	struct rlimit	rl;

	signal(SIGALRM, SIG_DFL);	/* the alarm ends the process */
	alarm(HELPER_WALL_S);
	rl.rlim_cur = rl.rlim_max = HELPER_CPU_S;
	(void)setrlimit(RLIMIT_CPU, &rl);
	/* No RLIMIT_FSIZE: stderr, shared with the agent, may be a file. */
#ifndef HELPER_ASAN
	rl.rlim_cur = rl.rlim_max = HELPER_AS_BYTES;
	(void)setrlimit(RLIMIT_AS, &rl);
#endif
}

static void
helper_say(const char *line, size_t len)
{
	while (len > 0) {
		ssize_t	n = write(STDOUT_FILENO, line, len);

		if (n <= 0)
			break;
		line += n;
		len -= (size_t)n;
	}
	_exit(0);
}

static void
helper_fail(const char *word, const char *detail)
{
	char	line[UPNPMSG_LINE_MAX];
	size_t	n = upnpmsg_fmt_fail(line, sizeof(line), word, detail);

	helper_say(line, n);
}

static void
helper_soap_fail(const char *what, int rc)
{
	char	detail[UPNPMSG_DETAIL_MAX];

	snprintf(detail, sizeof(detail), "%s: %d %s", what, rc, strupnperror(rc) ?
	    strupnperror(rc) : "");
	helper_fail("soap", detail);
}

static uint32_t
helper_ip(const char *s)
{
	struct in_addr	in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return 0;
	return ntohl(in.s_addr);
}

static int
helper_port(const char *s)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	return (*s == '\0' || *end != '\0' || v < 1 || v > 65535) ? -1 : (int)v;
}

static void
helper_probe(void)
{
	struct UPNPDev	*devs;
	struct UPNPUrls	 urls;
	struct IGDdatas	 data;
	char		 lan[64], ext[40], line[UPNPMSG_LINE_MAX];
	int		 err = 0, r, rc;
	uint32_t	 eip, lip;
	size_t		 n;

	devs = upnpDiscover(HELPER_DISCOVER_MS, NULL, NULL, UPNP_LOCAL_PORT_ANY,
	    0, 2, &err);
	if (devs == NULL)
		helper_fail("discovery", "no UPnP device answered");
	memset(&urls, 0, sizeof(urls));
	memset(&data, 0, sizeof(data));
#if MINIUPNPC_API_VERSION >= 18
	r = UPNP_GetValidIGD(devs, &urls, &data, lan, sizeof(lan), NULL, 0);
#else
	r = UPNP_GetValidIGD(devs, &urls, &data, lan, sizeof(lan));
#endif
	freeUPNPDevlist(devs);
	if (r != 1) {
		if (r != 0)
			FreeUPNPUrls(&urls);
		helper_fail("igd", r == 0 ? "no Internet gateway device" :
		    "the gateway device is not connected");
	}
	memset(ext, 0, sizeof(ext));
	rc = UPNP_GetExternalIPAddress(urls.controlURL, data.first.servicetype,
	    ext);
	if (rc != UPNPCOMMAND_SUCCESS) {
		FreeUPNPUrls(&urls);
		helper_soap_fail("GetExternalIPAddress", rc);
	}
	ext[sizeof(ext) - 1] = '\0';
	eip = helper_ip(ext);
	lip = helper_ip(lan);
	n = upnpmsg_fmt_probe(line, sizeof(line), eip, lip,
	    urls.controlURL != NULL ? urls.controlURL : "",
	    data.first.servicetype);
	FreeUPNPUrls(&urls);
	if (n == 0 || eip == 0 || lip == 0)
		helper_fail("igd", "the gateway's control URL, service type "
		    "or addresses are unusable");
	helper_say(line, n);
}

static void
helper_map(char **av)
{
	const char	*control = av[0], *service = av[1], *lan = av[2];
	char		 iport[8], eport[8], life[16], ext[40];
	char		 line[UPNPMSG_LINE_MAX];
	int		 ip = helper_port(av[3]), ep = helper_port(av[4]);
	int		 rc, i;
	long		 lifetime = strtol(av[5], NULL, 10);
	size_t		 n;

	if (!upnpmsg_url_ok(control) || !upnpmsg_service_ok(service) ||
	    helper_ip(lan) == 0 || ip == -1 || ep == -1 || lifetime < 0 ||
	    lifetime > 604800)
		helper_fail("usage", "bad map arguments");
	snprintf(iport, sizeof(iport), "%d", ip);
	snprintf(life, sizeof(life), "%ld", lifetime);
	for (i = 0; ; i++) {
		snprintf(eport, sizeof(eport), "%d", ep);
		rc = UPNP_AddPortMapping(control, service, eport, iport, lan,
		    "p2pd", "UDP", NULL, life);
		if (rc == UPNP_ERR_PERMANENT_ONLY && strcmp(life, "0") != 0) {
			snprintf(life, sizeof(life), "0");
			i--;
			continue;
		}
		/* Someone else holds the port: another one, at random. */
		if (rc == UPNP_ERR_CONFLICT && i < HELPER_CONFLICT_TRIES) {
			ep = 1024 + (int)randombytes_uniform(65536 - 1024);
			continue;
		}
		break;
	}
	if (rc != UPNPCOMMAND_SUCCESS)
		helper_soap_fail("AddPortMapping", rc);
	memset(ext, 0, sizeof(ext));
	rc = UPNP_GetExternalIPAddress(control, service, ext);
	if (rc != UPNPCOMMAND_SUCCESS)
		helper_soap_fail("GetExternalIPAddress", rc);
	ext[sizeof(ext) - 1] = '\0';
	n = upnpmsg_fmt_map(line, sizeof(line), helper_ip(ext), (uint16_t)ep,
	    (uint32_t)strtol(life, NULL, 10));
	if (n == 0)
		helper_fail("igd", "unusable mapping");
	helper_say(line, n);
}

static void
helper_delete(char **av)
{
	char	line[UPNPMSG_LINE_MAX], eport[8];
	int	ep = helper_port(av[2]), rc;

	if (!upnpmsg_url_ok(av[0]) || !upnpmsg_service_ok(av[1]) || ep == -1)
		helper_fail("usage", "bad delete arguments");
	snprintf(eport, sizeof(eport), "%d", ep);
	rc = UPNP_DeletePortMapping(av[0], av[1], eport, "UDP", NULL);
	if (rc != UPNPCOMMAND_SUCCESS && rc != UPNP_ERR_NO_SUCH_ENTRY)
		helper_soap_fail("DeletePortMapping", rc);
	helper_say(line, upnpmsg_fmt_delete(line, sizeof(line)));
}

void
portmap_helper_main(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], PORTMAP_HELPER_ARG) != 0)
		return;
	helper_limits();
	if (sodium_init() == -1)
		helper_fail("usage", "libsodium failed to start");
	if (argc == 3 && strcmp(argv[2], "probe") == 0)
		helper_probe();
	if (argc == 9 && strcmp(argv[2], "map") == 0)
		helper_map(argv + 3);
	if (argc == 6 && strcmp(argv[2], "delete") == 0)
		helper_delete(argv + 3);
	helper_fail("usage", "unknown helper request");
}
