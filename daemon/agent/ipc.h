/* SPDX-License-Identifier: ISC */
/*
 * ipc.h: the agent's IPC socket and its clients (PROTOCOL.md §4,
 * proto/ipc.proto), the plumbing of the control side (ctl.h).
 *
 * ipc.c owns the Unix socket and the clients: framing (ipcmsg.h header
 * checked before the body is buffered), SO_PEERCRED, reading, pausing,
 * closing, and freeing a client. ipc_out.c writes what is queued for
 * them. What the frames mean is the control side's: ipc.c hands each
 * request up through struct ipc_hooks and knows no command.
 *
 * Socket I/O is done with plain events: reads of up to 64 KiB, whose
 * frames are all handled before the sessions are driven; output written
 * once per pass of the event loop (a flush event activated by the first
 * frame queued), with a write event only while the socket is full. A
 * client with more input waiting after its read callback corks the
 * sessions (engine_cork), so that they hold packets new data would fill. A
 * client whose unread output is over AGENT_CLIENT_OUTCAP is not read until
 * it has taken it (out_held); event subscribers past the cap are dropped
 * with ERR_LAGGED.
 */
#ifndef P2P_AGENT_IPC_H
#define P2P_AGENT_IPC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "ipcmsg.h"
#include "ipcmsg_arena.h"

struct evconnlistener;

/* Output held for a blocking recv (ipc_client_hold) up to this many bytes. */
#define IPC_HOLD_MAX	(64 * 1024)

/* Bytes [off, off + len) of b are in use (ipc_buf.c). */
struct ipc_buf {
	uint8_t			*b;
	size_t			 off;
	size_t			 len;
	size_t			 cap;
};

struct ipc_client {
	TAILQ_ENTRY(ipc_client)	 entry;
	TAILQ_ENTRY(ipc_client)	 flush_entry;	/* in ipc->flushq */
	struct agent		*a;
	struct ipc		*ipc;
	int			 fd;
	struct event		*rev;		/* reading: not when paused */
	struct event		*wev;		/* only while the socket is full */
	struct ipc_buf		 in;
	struct ipc_buf		 out;
	size_t			 rdsz;		/* bytes per read, grows */
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
	int			 held;		/* output not written: the
						   client waits for a recv */

	/* ctl_msg.c: a message being assembled from SendReq chunks. */
	struct {
		int		 active;
		uint32_t	 id;
		char		 peer[AGENT_ID_MAX + 1];
		char		 service[SVC_NAME_MAX + 1];
		uint8_t		*buf;
		size_t		 len;
		size_t		 cap;	/* of buf: doubles for chunks, kept */
	}			 sa;

	/* ctl_recv.c: the pending RecvReq, if any. */
	struct {
		int		 active;
		uint32_t	 id;
		struct svc	*svc;
		uint32_t	 left;
		uint32_t	 delivered;
		int		 expired;	/* wait_ms passed (or was 0) */
	}			 rv;
	struct event		*rv_timer;	/* its wait_ms, kept for reuse */

	/* ctl_status.c: PeerStats pushes (PeersReq.watch_ms), if asked. */
	struct event		*pw_timer;
};

/* What ipc.c reports up to the control side (ctl.c). */
struct ipc_hooks {
	/* A request from c (validated by ipcmsg_unpack). */
	void	(*request)(struct ipc_client *, P2p__Ipc__Request *);
	/* c has taken its output: deliveries held for it may go on. */
	void	(*drained)(struct ipc_client *);
	/* c is going away: forget it everywhere. */
	void	(*gone)(struct ipc_client *);
};

struct ipc {
	struct agent		*a;
	/* Requests are unpacked here and it is reset after each one, so a
	 * steady stream of requests allocates nothing. */
	struct ipcmsg_arena	 arena;
	int			 fd;
	struct evconnlistener	*lev;
	const struct ipc_hooks	*hooks;
	TAILQ_HEAD(, ipc_client) clients;
	size_t			 n;
	uint64_t		 serial;
	struct event		*flush_ev;	/* writes the clients in flushq */
	TAILQ_HEAD(, ipc_client) flushq;
};

/* ipc.c */
int	ipc_open(struct agent *, struct ipc **, const struct ipc_hooks *)
	    __attribute__((warn_unused_result));
void	ipc_free(struct agent *, struct ipc *);
/* Flush what is queued, then close (reason logged). */
void	ipc_client_close(struct ipc_client *, const char *reason);
/* Stop / resume reading requests from this client (back-pressure). */
void	ipc_client_pause(struct ipc_client *);
void	ipc_client_resume(struct ipc_client *);
/*
 * Hold c's output (on) while the client does nothing but wait for a recv
 * (RecvReq.blocking), or write it (off): what was held then goes in the
 * same write as the recv's messages. Output over IPC_HOLD_MAX, or of a
 * closing client, is never held.
 */
void	ipc_client_hold(struct ipc_client *, int on);
void	ipc_client_free(struct ipc_client *);

/* ipc_buf.c: room for n more bytes at the end (NULL: no memory). */
uint8_t	*ipc_buf_reserve(struct ipc_buf *, size_t n);
void	ipc_buf_consume(struct ipc_buf *, size_t n);
void	ipc_buf_free(struct ipc_buf *);

/* ipc_out.c */
/* Queue a frame; -1 (and nothing queued) if the client is closing. */
int	ipc_send_frame(struct ipc_client *, P2p__Ipc__Frame *);
int	ipc_send_resp(struct ipc_client *, P2p__Ipc__Response *);
/* A plain response: code OK, or an error with a printf message. */
void	ipc_reply(struct ipc_client *, uint32_t id, P2p__Ipc__Code code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An event; a subscriber whose output is over the cap is dropped. */
int	ipc_send_event(struct ipc_client *, P2p__Ipc__Event *);
size_t	ipc_outlen(struct ipc_client *);
/* Write c's output now (-1: c was freed). */
int	ipc_write(struct ipc_client *);
void	ipc_queue_flush(struct ipc_client *);
void	ipc_flushcb(evutil_socket_t, short, void *);
void	ipc_writecb(evutil_socket_t, short, void *);

#endif /* P2P_AGENT_IPC_H */
