/* SPDX-License-Identifier: ISC */
/*
 * test_client_conn.h: the libp2pclient tests' client of the fake agent
 * (test_client_fake.h): client_start() starts the agent with a script and
 * returns a client connected to it, client_finish() closes the client and
 * stops the agent.
 */
#ifndef TEST_CLIENT_CONN_H
#define TEST_CLIENT_CONN_H

#include "p2pclient.h"
#include "test_client_fake.h"

struct p2pclient *client_start(agent_fn script);
void	 client_finish(struct p2pclient *);

#endif /* TEST_CLIENT_CONN_H */
