/* SPDX-License-Identifier: ISC */
/*
 * test_srv_http_head.c: what the HTTP API reads of a request head before
 * its body (srv_http_head.c; issue 15, finding 6).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "srv_http.h"

static int
parse(const char *s, struct srv_http_head *h)
{
	return srv_http_head_parse(s, strlen(s), h);
}

Test(http_head, fields)
{
	struct srv_http_head h;
	const char *s = "POST /v1/groups?x=1 HTTP/1.1\r\nHost: a\r\n"
	    "authorization:  Bearer k3y \r\ncontent-length: 42\r\n\r\n";

	cr_assert_eq(parse(s, &h), 0);
	cr_assert_str_eq(h.path, "/v1/groups");
	cr_assert_eq(h.content_length, 42);
	cr_assert_eq(h.chunked, 0);
	cr_assert_not_null(h.auth);
	cr_assert_eq(h.auth_len, 10);
	cr_assert(memcmp(h.auth, "Bearer k3y", 10) == 0);
	cr_assert_eq(parse("GET /healthz HTTP/1.0\r\n\r\n", &h), 0);
	cr_assert_str_eq(h.path, "/healthz");
	cr_assert_eq(h.content_length, -1);
	cr_assert_null(h.auth);
	cr_assert_eq(parse("POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
	    "\r\n\r\n", &h), 0);
	cr_assert_eq(h.chunked, 1);
}

Test(http_head, malformed)
{
	struct srv_http_head h;

	cr_assert_eq(parse("", &h), -1);
	cr_assert_eq(parse("GET\r\n\r\n", &h), -1, "no target");
	cr_assert_eq(parse(" / HTTP/1.1\r\n\r\n", &h), -1, "no method");
	cr_assert_eq(parse("GET / HTTP/1.1\r\nHost: a\r\n", &h), -1,
	    "no empty line");
	cr_assert_eq(parse("GET /\x01 HTTP/1.1\r\n\r\n", &h), -1,
	    "a control byte in the target");
	cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
	    &h), -1);
	cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", &h),
	    -1);
	cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: "
	    "1234567890123456789\r\n\r\n", &h), -1, "too long");
	cr_assert_eq(parse("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n", &h), -1, "two lengths");
}
