/* SPDX-License-Identifier: ISC */
/*
 * ipc.h: the agent's IPC server (PROTOCOL.md §4, proto/ipc.proto).
 *
 * ipc.c owns the Unix socket and the clients: framing (ipcmsg.h header
 * checked before the body is buffered), SO_PEERCRED, output caps, and
 * freeing a client with everything it held. ipc_cmd.c holds the table of
 * request handlers. A request that cannot be answered at once (connect,
 * send before the session is up, sync send, ping, pipe_open) becomes a
 * struct ipc_wait: it ends with exactly one Response, when the awaited
 * thing happens, on its timeout, or silently when its client goes away.
 *
 * Output to a client is capped (AGENT_CLIENT_OUTCAP): event subscribers past
 * the cap are dropped with ERR_LAGGED; producers that can wait (recv,
 * pipes) stop pushing until the client drains, through ipc_cmd_pump().
 *
 * Socket I/O is done here with plain events: reads of up to 64 KiB, whose
 * frames are all handled before the sessions are driven; output written
 * once per pass of the event loop (ipc->flush_ev), with a write event
 * only while the socket is full. A client with more input waiting after
 * its read callback corks the sessions (ipc_corked(), tp_set_cork()). A
 * client whose unread output is over AGENT_CLIENT_OUTCAP is not read until
 * it has taken it (out_held).
 */
#ifndef P2P_AGENT_IPC_H
#define P2P_AGENT_IPC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stdint.h>

#include "agent.h"
#include "ipcmsg.h"

struct evbuffer;
struct evconnlistener;

enum ipc_wait_kind {
	IPC_WAIT_CONNECT,	/* until the session is up */
	IPC_WAIT_SEND,		/* message held until the session is up */
	IPC_WAIT_SYNC,		/* until the peer acked offset `target` */
	IPC_WAIT_PING,		/* until ECHO_RESP for nonce `target` */
	IPC_WAIT_PIPE_OPEN,	/* until both pipe streams exist */
};

struct ipc_wait {
	TAILQ_ENTRY(ipc_wait)	 entry;
	enum ipc_wait_kind	 kind;
	struct agent		*a;
	struct ipc_client	*c;
	uint32_t		 req_id;
	char			 peer[AGENT_ID_MAX + 1];
	char			 service[SVC_NAME_MAX + 1];
	struct event		*timer;
	uint64_t		 started;	/* agent_now() */
	uint64_t		 target;
	uint64_t		 stream;	/* sync: the stream id */
	uint8_t			*data;		/* send: the message */
	size_t			 len;
	int			 sync;
	uint32_t		 pipe_id;
};
TAILQ_HEAD(ipc_waitq, ipc_wait);

struct ipc_client {
	TAILQ_ENTRY(ipc_client)	 entry;
	TAILQ_ENTRY(ipc_client)	 flush_entry;	/* in ipc->flushq */
	struct agent		*a;
	int			 fd;
	struct event		*rev;		/* reading: not when paused */
	struct event		*wev;		/* only while the socket is full */
	struct evbuffer		*in;
	struct evbuffer		*out;
	int			 flush_queued;
	int			 wev_armed;
	uint64_t		 serial;
	pid_t			 pid;
	uid_t			 uid;
	int			 subscribed;
	int			 closing;	/* flushing, then freed */
	int			 paused;	/* reading stopped: back-pressure */
	int			 more;		/* input waiting: corks sessions */
	int			 out_held;	/* reading stopped: output over
						   AGENT_CLIENT_OUTCAP */

	/* A message being assembled from SendReq chunks (more=true). */
	struct {
		int		 active;
		uint32_t	 id;
		char		 peer[AGENT_ID_MAX + 1];
		char		 service[SVC_NAME_MAX + 1];
		uint8_t		*buf;
		size_t		 len;
		size_t		 cap;	/* of buf: doubles for chunks */
	}			 sa;

	/* The pending RecvReq, if any. */
	struct {
		int		 active;
		uint32_t	 id;
		struct svc	*svc;
		uint32_t	 left;
		uint32_t	 delivered;
		int		 expired;	/* wait_ms passed (or was 0) */
		struct event	*timer;
	}			 rv;
};

struct ipc {
	int			 fd;
	struct evconnlistener	*lev;
	TAILQ_HEAD(, ipc_client) clients;
	size_t			 n;
	uint64_t		 serial;
	struct ipc_waitq	 waits;
	size_t			 corked;	/* clients with c->more */
	struct event		*flush_ev;	/* writes the clients in flushq */
	TAILQ_HEAD(, ipc_client) flushq;
};

/* ipc.c */
int	ipc_open(struct agent *) __attribute__((warn_unused_result));
void	ipc_free(struct agent *);
/* Queue a frame; -1 (and nothing queued) if the client is closing. */
int	ipc_send_frame(struct ipc_client *, P2p__Ipc__Frame *);
int	ipc_send_resp(struct ipc_client *, P2p__Ipc__Response *);
/* A plain response: code OK, or an error with a printf message. */
void	ipc_reply(struct ipc_client *, uint32_t id, P2p__Ipc__Code code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An event; a subscriber whose output is over the cap is dropped. */
int	ipc_send_event(struct ipc_client *, P2p__Ipc__Event *);
size_t	ipc_outlen(struct ipc_client *);
/* Has some client more input waiting (sessions hold short packets)? */
int	ipc_corked(const struct agent *);
/* Flush what is queued, then close (reason logged). */
void	ipc_client_close(struct ipc_client *, const char *reason);
/* Stop / resume reading requests from this client (back-pressure). */
void	ipc_client_pause(struct ipc_client *);
void	ipc_client_resume(struct ipc_client *);

/* Waiting requests. timeout_ms 0 = none. */
struct ipc_wait *ipc_wait_new(struct ipc_client *, enum ipc_wait_kind,
	    uint32_t req_id, const char *peer, uint32_t timeout_ms);
/* Answer (code OK or an error message) and free the wait. */
void	ipc_wait_done(struct ipc_wait *, P2p__Ipc__Code code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Free without answering. */
void	ipc_wait_free(struct ipc_wait *);

/* ipc_cmd.c */
void	ipc_cmd_dispatch(struct ipc_client *, P2p__Ipc__Request *);
/* The client drained its output: continue recv deliveries. */
void	ipc_cmd_pump(struct ipc_client *);
/* Messages arrived in a service: feed a pending recv. */
void	ipc_cmd_svc_ready(struct agent *, struct svc *);
/* The client is going away: release what ipc_cmd.c gave it. */
void	ipc_cmd_client_gone(struct ipc_client *);

/* events.c: PeerState events to every subscriber. */
void	events_peer_state(struct agent *, const char *peer, const char *state,
	    const char *path, const char *reason);

#endif /* P2P_AGENT_IPC_H */
