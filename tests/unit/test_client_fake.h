/*
 * test_client_fake.h: a fake p2pd for the libp2pclient and p2pctl tests.
 * fake_start() listens on sockpath (a new temporary directory) and runs
 * script(fd) on the first connection in a thread; fake_stop() joins it and
 * removes the socket. The agent_* calls read requests and write answers
 * and events on fd.
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
void	agent_message(int fd, const char *from, const char *svc,
	    const uint8_t *d, size_t len, int more);

#endif /* TEST_CLIENT_FAKE_H */
