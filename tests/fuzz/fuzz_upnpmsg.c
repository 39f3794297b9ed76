/* SPDX-License-Identifier: ISC */
/*
 * fuzz_upnpmsg.c: the UPnP helper's answer line, which carries what a
 * router said, through upnpmsg_parse(). What parses must hold only what
 * the format allows, and format back to a line that parses the same.
 */
#include <stdlib.h>
#include <string.h>

#include "upnpmsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct upnpmsg	m, m2;
	char		b[UPNPMSG_LINE_MAX];
	size_t		n = 0;

	if (upnpmsg_parse((const char *)data, len, &m) != 0)
		return 0;
	switch (m.kind) {
	case UPNPMSG_PROBE:
		if (!upnpmsg_url_ok(m.control) || !upnpmsg_service_ok(m.service))
			abort();
		n = upnpmsg_fmt_probe(b, sizeof(b), m.external_ip, m.lan_ip,
		    m.control, m.service);
		break;
	case UPNPMSG_MAP:
		if (m.external_port == 0)
			abort();
		n = upnpmsg_fmt_map(b, sizeof(b), m.external_ip,
		    m.external_port, m.lifetime);
		break;
	case UPNPMSG_DELETE:
		n = upnpmsg_fmt_delete(b, sizeof(b));
		break;
	case UPNPMSG_FAIL:
		if (strlen(m.detail) >= UPNPMSG_DETAIL_MAX)
			abort();
		return 0;
	default:
		abort();
	}
	if (n == 0 || upnpmsg_parse(b, n, &m2) != 0 || m2.kind != m.kind ||
	    m2.external_ip != m.external_ip ||
	    m2.external_port != m.external_port ||
	    m2.lifetime != m.lifetime || strcmp(m2.control, m.control) != 0)
		abort();
	return 0;
}
