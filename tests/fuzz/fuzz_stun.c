/* SPDX-License-Identifier: ISC */
/*
 * fuzz_stun.c: stun_parse() and stun_server_reply() on arbitrary bytes.
 * The reply must fit the buffer it was given and, when there is one, parse.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "stun.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct stun_msg		 m;
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	struct sockaddr_storage	 mapped;
	struct stun_reply_opts	 opts;
	uint8_t			 out[1500];
	size_t			 cap, n;

	(void)stun_is_stun(data, len);
	(void)stun_parse(data, len, &m);

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(40000);
	s4.sin_addr.s_addr = htonl(0xc0000201);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(3478);
	s6.sin6_addr.s6_addr[0] = 0x20;
	s6.sin6_addr.s6_addr[15] = 1;

	/* vary the room given by the input's first byte */
	cap = len > 0 ? data[0] % 128 : 0;
	n = stun_server_reply(data, len, (struct sockaddr *)&s4, out, cap);
	if (n > cap)
		abort();
	n = stun_server_reply(data, len, (struct sockaddr *)&s6, out,
	    sizeof(out));
	if (n > sizeof(out) || (n > 0 && stun_parse(out, n, &m) != 0))
		abort();
	opts.other = (struct sockaddr *)&s6;
	opts.origin = (struct sockaddr *)&s4;
	n = stun_server_reply_opts(data, len, (struct sockaddr *)&s4, &opts,
	    out, sizeof(out));
	if (n > sizeof(out) || (n > 0 && stun_parse(out, n, &m) != 0))
		abort();
	if (len >= 20)
		(void)stun_parse_binding_success(data, len, data + 8, &mapped);
	return 0;
}
