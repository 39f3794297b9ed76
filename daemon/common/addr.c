/* SPDX-License-Identifier: ISC */
/* addr.c: parse socket addresses and convert them to and from protobuf. See addr.h. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static int
addr_port_parse(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Split "host:port", "[v6]:port", "[v6]", "v6" or "host" into host and port. */
static int
addr_split(const char *s, char *host, size_t hostlen, const char **port)
{
	const char *c, *e;
	size_t n;

	*port = NULL;
	if (s[0] == '[') {
		if ((e = strchr(s, ']')) == NULL)
			return -1;
		n = (size_t)(e - s - 1);
		if (e[1] == ':')
			*port = e + 2;
		else if (e[1] != '\0')
			return -1;
		s++;
	} else if ((c = strrchr(s, ':')) != NULL && strchr(s, ':') == c) {
		n = (size_t)(c - s);
		*port = c + 1;
	} else
		n = strlen(s);	/* a name, an IPv4 address or a bare IPv6 */
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	return 0;
}

int
addr_parse_all(const char *s, struct sockaddr_storage *ss, size_t max,
    uint16_t default_port, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char host[256], portstr[8];
	const char *ps;
	uint16_t port = default_port;
	size_t n = 0, i;
	int rc;

	if (s == NULL || addr_split(s, host, sizeof(host), &ps) == -1) {
		snprintf(err, errlen, "'%s' is not an address (ip:port, "
		    "[ipv6]:port or host:port)", s != NULL ? s : "");
		return -1;
	}
	if (ps != NULL && addr_port_parse(ps, &port) == -1) {
		snprintf(err, errlen, "'%s': port '%s' is not a number from 0 "
		    "to 65535", s, ps);
		return -1;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (s[0] == '[')
		hints.ai_flags |= AI_NUMERICHOST;
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(err, errlen, "'%s': %s", s, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(*ss))
			continue;
		memset(&ss[n], 0, sizeof(ss[n]));
		memcpy(&ss[n], ai->ai_addr, ai->ai_addrlen);
		addr_normalize(&ss[n]);
		for (i = 0; i < n; i++)
			if (addr_equal((struct sockaddr *)&ss[i],
			    (struct sockaddr *)&ss[n]))
				break;
		if (i == n)
			n++;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "'%s': no usable address", s);
		return -1;
	}
	return (int)n;
}

int
addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
    uint16_t default_port, char *err, size_t errlen)
{
	if (addr_parse_all(s, ss, 1, default_port, err, errlen) == -1)
		return -1;
	*sslen = addr_len((struct sockaddr *)ss);
	return 0;
}

int
addr_to_pb(const struct sockaddr *sa, P2p__Srv__Addr *pb, uint8_t ipbuf[16])
{
	struct sockaddr_storage ss;
	socklen_t len = addr_len(sa);

	if (len == 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len);
	addr_normalize(&ss);
	if (ss.ss_family == AF_INET) {
		memcpy(ipbuf, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		pb->ip.len = 4;
	} else {
		memcpy(ipbuf, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		pb->ip.len = 16;
	}
	pb->ip.data = ipbuf;
	pb->port = addr_port((struct sockaddr *)&ss);
	return 0;
}

int
addr_from_pb(const P2p__Srv__Addr *pb, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (pb == NULL || pb->port > 65535 || pb->ip.data == NULL)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (pb->ip.len == 4) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)pb->port);
		memcpy(&sin->sin_addr, pb->ip.data, 4);
	} else if (pb->ip.len == 16) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)pb->port);
		memcpy(&sin6->sin6_addr, pb->ip.data, 16);
		addr_normalize(ss);
	} else
		return -1;
	*sslen = addr_len((struct sockaddr *)ss);
	return 0;
}

int
addr_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	return 0;
}
