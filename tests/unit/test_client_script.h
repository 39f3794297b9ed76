/* SPDX-License-Identifier: ISC */
/*
 * test_client_script.h: the shapes of fake agent scripts (see
 * test_client_fake.h) that the libp2pclient and p2pctl tests share: ack the
 * subscription and then play events, or answer requests with a handler
 * that knows some of them, success to the rest.
 */
#ifndef TEST_CLIENT_SCRIPT_H
#define TEST_CLIENT_SCRIPT_H

#include <stdint.h>

#include "ipcmsg.h"
#include "test_client_fake.h"

/*
 * Answers q and returns 1, or returns 0 for the script to answer success.
 * The request is freed after it returns.
 */
typedef int (*agent_handler)(int fd, const P2p__Ipc__Request *q);

/* Reads the first request and answers success: 0 and its id, -1 at EOF. */
int	 agent_ack_first(int fd, uint32_t *id);
/*
 * The script for fake_start that handles the first request with h, or
 * every request until the client hangs up. One fake agent at a time.
 */
agent_fn agent_one(agent_handler h);
agent_fn agent_all(agent_handler h);

#endif /* TEST_CLIENT_SCRIPT_H */
