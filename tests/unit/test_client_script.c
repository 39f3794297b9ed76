/* SPDX-License-Identifier: ISC */
/*
 * test_client_script.c: script shapes for the fake agent (see
 * test_client_script.h).
 */
#include "test_client_script.h"

/* The handler of the one fake agent running (fake_start serves one). */
static agent_handler	script_handler;

int
agent_ack_first(int fd, uint32_t *id)
{
	P2p__Ipc__Frame		*f;
	P2p__Ipc__Request	*q;

	if ((q = agent_read(fd, &f)) == NULL)
		return -1;
	*id = q->id;
	agent_ok(fd, q->id);
	ipcmsg_free(f);
	return 0;
}

/* Handles one request; -1 at EOF. */
static int
script_serve_one(int fd)
{
	P2p__Ipc__Frame		*f;
	P2p__Ipc__Request	*q;

	if ((q = agent_read(fd, &f)) == NULL)
		return -1;
	if (!script_handler(fd, q))
		agent_ok(fd, q->id);
	ipcmsg_free(f);
	return 0;
}

static void
script_one(int fd)
{
	(void)script_serve_one(fd);
}

static void
script_all(int fd)
{
	while (script_serve_one(fd) == 0)
		;
}

agent_fn
agent_one(agent_handler h)
{
	script_handler = h;
	return script_one;
}

agent_fn
agent_all(agent_handler h)
{
	script_handler = h;
	return script_all;
}
