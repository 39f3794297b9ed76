/* SPDX-License-Identifier: ISC */
/*
 * upnpmsg.h: the one-line answers of p2pd's UPnP helper process.
 *
 * UPnP IGD (SSDP discovery, then SOAP over HTTP) goes through miniupnpc,
 * whose calls block and which trusts the router with its memory (it
 * allocates whatever Content-Length a router announces, and reads a body
 * for as long as the router sends one). So p2pd runs those calls in a
 * child process with limits (daemon/agent/portmap_helper.c) and reads one
 * line back, which it parses here as untrusted input:
 *
 *   ok probe external=IP lan=IP control=URL service=TYPE
 *   ok map external=IP:PORT lifetime=SECONDS
 *   ok delete
 *   fail WORD [free text]
 *
 * Fields are space-separated KEY=VALUE words in that order; IPs are dotted
 * quads; URL is http://, printable ASCII without quotes or backslashes, at
 * most UPNPMSG_URL_MAX - 1 bytes; TYPE is a UPnP service type
 * ([A-Za-z0-9:._-]); the text after fail is kept, printable only. A line,
 * newline included, is shorter than UPNPMSG_LINE_MAX bytes. upnpmsg_fmt_*
 * build the same lines (the helper uses them): what one writes the other
 * reads.
 */
#ifndef P2P_UPNPMSG_H
#define P2P_UPNPMSG_H

#include <stddef.h>
#include <stdint.h>

#define UPNPMSG_LINE_MAX	1024
#define UPNPMSG_URL_MAX		256
#define UPNPMSG_SERVICE_MAX	128
#define UPNPMSG_DETAIL_MAX	200
#define UPNPMSG_WORD_MAX	32

enum upnpmsg_kind {
	UPNPMSG_PROBE = 1,
	UPNPMSG_MAP,
	UPNPMSG_DELETE,
	UPNPMSG_FAIL
};

struct upnpmsg {
	enum upnpmsg_kind	 kind;
	uint32_t		 external_ip;	/* host order (probe, map) */
	uint16_t		 external_port;	/* map */
	uint32_t		 lifetime;	/* map: 0 = permanent */
	uint32_t		 lan_ip;	/* probe: our address the IGD saw */
	char			 control[UPNPMSG_URL_MAX];	/* probe */
	char			 service[UPNPMSG_SERVICE_MAX];	/* probe */
	char			 word[UPNPMSG_WORD_MAX];	/* fail */
	char			 detail[UPNPMSG_DETAIL_MAX];	/* fail */
};

/* One line (with or without its newline): 0, or -1 if it is not one of
 * the forms above. */
int	upnpmsg_parse(const char *line, size_t len, struct upnpmsg *m)
	    __attribute__((warn_unused_result));

/* The checks the parser makes on a control URL and a service type. */
int	upnpmsg_url_ok(const char *s);
int	upnpmsg_service_ok(const char *s);

/* The lines, newline included, into buf; their length, or 0 if buf is
 * too small or a field would not parse back. */
size_t	upnpmsg_fmt_probe(char *buf, size_t cap, uint32_t external_ip,
	    uint32_t lan_ip, const char *control, const char *service);
size_t	upnpmsg_fmt_map(char *buf, size_t cap, uint32_t external_ip,
	    uint16_t external_port, uint32_t lifetime);
size_t	upnpmsg_fmt_delete(char *buf, size_t cap);
size_t	upnpmsg_fmt_fail(char *buf, size_t cap, const char *word,
	    const char *detail);

#endif /* P2P_UPNPMSG_H */
