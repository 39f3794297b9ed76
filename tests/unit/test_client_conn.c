/* SPDX-License-Identifier: ISC */
/*
 * test_client_conn.c: a client of the fake agent (test_client_conn.h).
 */
#include <criterion/criterion.h>

#include "test_client_conn.h"

struct p2pclient *
client_start(agent_fn script)
{
	struct p2pclient	*c;
	char			 err[256];

	fake_start(script);
	c = p2pclient_open(sockpath, err, sizeof(err));
	cr_assert_not_null(c, "%s", err);
	return c;
}

void
client_finish(struct p2pclient *c)
{
	p2pclient_close(c);
	fake_stop();
}
