/* SPDX-License-Identifier: ISC */
/*
 * test_upnpmsg.c: the UPnP helper's answer lines: what the helper writes
 * parses back, and what a helper fed by a hostile router might write
 * (long, odd, broken lines) does not.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "upnpmsg.h"

#define CONTROL	"http://10.4.0.1:35083/ctl/IPConn"
#define SERVICE	"urn:schemas-upnp-org:service:WANIPConnection:2"

static int
parse(const char *s, struct upnpmsg *m)
{
	return upnpmsg_parse(s, strlen(s), m);
}

Test(upnpmsg, round_trips)
{
	struct upnpmsg	m;
	char		b[UPNPMSG_LINE_MAX];
	size_t		n;

	n = upnpmsg_fmt_probe(b, sizeof(b), 0x0b040002, 0x0a040002, CONTROL,
	    SERVICE);
	cr_assert_gt(n, 0);
	cr_assert_eq(b[n - 1], '\n');
	cr_assert_eq(upnpmsg_parse(b, n, &m), 0);
	cr_assert(m.kind == UPNPMSG_PROBE && m.external_ip == 0x0b040002 &&
	    m.lan_ip == 0x0a040002);
	cr_assert_str_eq(m.control, CONTROL);
	cr_assert_str_eq(m.service, SERVICE);

	n = upnpmsg_fmt_map(b, sizeof(b), 0x0b040002, 40000, 7200);
	cr_assert_str_eq(b, "ok map external=11.4.0.2:40000 lifetime=7200\n");
	cr_assert_eq(upnpmsg_parse(b, n, &m), 0);
	cr_assert(m.kind == UPNPMSG_MAP && m.external_port == 40000 &&
	    m.lifetime == 7200);

	n = upnpmsg_fmt_delete(b, sizeof(b));
	cr_assert_eq(upnpmsg_parse(b, n, &m), 0);
	cr_assert_eq(m.kind, UPNPMSG_DELETE);

	n = upnpmsg_fmt_fail(b, sizeof(b), "soap", "AddPortMapping: 718 \x01x");
	cr_assert_eq(upnpmsg_parse(b, n, &m), 0);
	cr_assert_eq(m.kind, UPNPMSG_FAIL);
	cr_assert_str_eq(m.word, "soap");
	cr_assert_str_eq(m.detail, "AddPortMapping: 718 ?x",
	    "control bytes are not passed on");
}

Test(upnpmsg, refuses_unusable_fields)
{
	char	b[UPNPMSG_LINE_MAX], url[400];

	cr_assert_eq(upnpmsg_fmt_probe(b, sizeof(b), 1, 2,
	    "http://x/\"><script>", SERVICE), 0, "a quote in the URL");
	cr_assert_eq(upnpmsg_fmt_probe(b, sizeof(b), 1, 2, "ftp://x/ctl",
	    SERVICE), 0, "not http");
	cr_assert_eq(upnpmsg_fmt_probe(b, sizeof(b), 1, 2, CONTROL,
	    "urn:x service"), 0, "a space in the service type");
	memset(url, 'a', sizeof(url));
	memcpy(url, "http://", 7);
	url[sizeof(url) - 1] = '\0';
	cr_assert_eq(upnpmsg_fmt_probe(b, sizeof(b), 1, 2, url, SERVICE), 0,
	    "a URL too long");
	cr_assert_eq(upnpmsg_fmt_map(b, 10, 1, 2, 3), 0, "a short buffer");
}

Test(upnpmsg, refuses_bad_lines)
{
	struct upnpmsg	m;
	static const char *const bad[] = {
		"",
		"\n",
		"ok",
		"ok map",
		"ok map external=11.4.0.2:40000",
		"ok map external=11.4.0.2:0 lifetime=1",
		"ok map external=11.4.0.2:65536 lifetime=1",
		"ok map external=11.4.0.256:1 lifetime=1",
		"ok map external=11.4.0:1 lifetime=1",
		"ok map external=11.4.0.2.1:1 lifetime=1",
		"ok map external=011.4.0.2:1 lifetime=1",
		"ok map external=11.4.0.2:1 lifetime=4294967296",
		"ok map external=11.4.0.2:1 lifetime=1 extra=1",
		"ok map external=11.4.0.2:1  lifetime=1",
		"ok map lifetime=1 external=11.4.0.2:1",
		"ok probe external=1.2.3.4 lan=1.2.3.4 control=http://x/a "
		    "service=urn:a b",
		"ok probe external=1.2.3.4 lan=1.2.3.4 control=http://x\\/a "
		    "service=urn:a",
		"ok remove",
		"fail",
		"fail SOAP x",
		"maybe map",
		"ok delete\nok delete",
	};
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(parse(bad[i], &m), -1, "accepted: \"%s\"", bad[i]);
	cr_assert_eq(upnpmsg_parse("ok delete\0", 10, &m), -1, "a NUL");
	cr_assert_eq(parse("ok delete", &m), 0, "no newline is fine");
	cr_assert_eq(parse("fail igd", &m), 0, "no detail is fine");
}

Test(upnpmsg, long_lines)
{
	struct upnpmsg	m;
	char		b[UPNPMSG_LINE_MAX + 10];

	memset(b, 'x', sizeof(b));
	memcpy(b, "fail soap ", 10);
	cr_assert_eq(upnpmsg_parse(b, sizeof(b), &m), -1, "too long");
	cr_assert_eq(upnpmsg_parse(b, UPNPMSG_LINE_MAX - 1, &m), 0);
	cr_assert_eq(strlen(m.detail), UPNPMSG_DETAIL_MAX - 1,
	    "the detail is cut to its buffer");
}
