/* SPDX-License-Identifier: ISC */
/*
 * test_client_fake.h: a fake p2pd for the libp2pclient and p2pctl tests.
 * fake_start() listens on sockpath (a new temporary directory) and runs
 * script(fd) on the first connection in a thread; fake_stop() joins it and
 * removes the socket. The agent_* calls read requests and write answers
 * and events on fd; the script_* functions are scripts several tests use.
 */
#ifndef TEST_CLIENT_FAKE_H
#define TEST_CLIENT_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "ipcmsg.h"

typedef void (*agent_fn)(int fd);

extern char	sockdir[64], sockpath[128];

void	mktempdir(void);
void	fake_start(agent_fn script);
void	fake_stop(void);
int	readn(int fd, void *p, size_t n);
void	writen(int fd, const void *p, size_t n);
/* The next request (its frame in *fp, for ipcmsg_free), NULL at EOF. */
P2p__Ipc__Request *agent_read(int fd, P2p__Ipc__Frame **fp);
void	agent_frame(int fd, P2p__Ipc__Frame *f);
void	agent_respond(int fd, P2p__Ipc__Response *r);
void	agent_ok(int fd, uint32_t id);
void	agent_event(int fd, P2p__Ipc__Event *e);
void	agent_group_event(int fd, const char *event, const char *group,
	    const char *peer, char **missing, size_t nmissing,
	    uint32_t missing_count);
void	agent_message(int fd, const char *from, const char *svc,
	    const uint8_t *d, size_t len, int more);
void	agent_error(int fd, uint32_t id, P2p__Ipc__Code code, const char *msg);
void	agent_status(int fd, uint32_t id, P2p__Ipc__StatusResp *s);
void	agent_recv_done(int fd, uint32_t id, uint32_t delivered);
/* reason NULL: the field stays unset. */
void	agent_peer_state(int fd, const char *peer, const char *state,
	    const char *path, const char *reason);
void	agent_pipe_opened(int fd, uint32_t id, uint32_t pipe_id);
void	agent_pipe_data(int fd, uint32_t pipe_id, const char *d, size_t len,
	    int eof);
void	agent_pipe_closed(int fd, uint32_t pipe_id, int ok, const char *reason);

/* Every request answered with "peer bob is not registered". */
void	script_refuse(int fd);
/* Every request answered with success. */
void	script_ok(int fd);

#endif /* TEST_CLIENT_FAKE_H */
