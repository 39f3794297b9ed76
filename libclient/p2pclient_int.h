/* SPDX-License-Identifier: ISC */
/*
 * p2pclient_int.h: state shared by the files of libp2pclient (not
 * installed). p2pclient.c owns the connection, framing and dispatch;
 * p2pclient_req.c builds requests; p2pclient_sync.c is the blocking layer.
 *
 * Outstanding requests live in a ring in id order. Whoever waits on a
 * request (a blocking helper) marks it P2PC_WAIT so its answer is kept for
 * it instead of going to on_response.
 */
#ifndef P2PCLIENT_INT_H
#define P2PCLIENT_INT_H

#include <sys/queue.h>

#include "ipcmsg.h"
#include "ipcmsg_arena.h"
#include "p2pclient.h"

#define P2PC_OUT_CAP	(4 * 1024 * 1024)	/* output queued: EAGAIN */
#define P2PC_IN_CAP	(IPC_HDR_LEN + IPC_MAX_FRAME)
#define P2PC_MAX_PARTIAL 16			/* messages being reassembled */
#define P2PC_ARENA_MIN	16384			/* the frame arena's first block */

enum p2pc_owner {
	P2PC_ASYNC = 0,		/* answer goes to on_response / async_err */
	P2PC_WAIT,		/* a blocking helper takes the answer */
	P2PC_DISCARD,		/* nobody cares any more */
};

struct p2pc_req {
	uint32_t		 id;
	uint8_t			 done;
	uint8_t			 owner;
	P2p__Ipc__Response	*resp;	/* kept for P2PC_WAIT */
	P2p__Ipc__Frame		*frame;	/* owns resp */
};

/* An event handed to the application: ev first (p2pclient_event_free). */
struct p2pc_ev {
	struct p2pclient_event	 ev;
	TAILQ_ENTRY(p2pc_ev)	 entry;
};

/* The callbacks of libp2pclient 1.0: the smallest size accepted. */
#define P2PC_CB_SIZE_MIN	(offsetof(struct p2pclient_callbacks, \
	on_group_event) + sizeof(void (*)(void)))
TAILQ_HEAD(p2pc_evq, p2pc_ev);

struct p2pc_partial {
	char		*from;
	char		*service;
	char		*group;
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;		/* of data: grows by doubling */
};

struct p2pclient {
	int			 fd;
	int			 dead;		/* sticky fatal error code */
	char			 errmsg[512];
	uint32_t		 next_id;

	uint8_t			*obuf;
	size_t			 olen, ooff, ocap;
	uint8_t			*ibuf;
	size_t			 ilen;
	/* Frames are unpacked here: a steady stream of them allocates
	 * nothing. Reset after each (at the outermost callback level). */
	struct ipcmsg_arena	 arena;

	struct p2pc_req		 ring[P2PCLIENT_WINDOW];
	size_t			 rhead, rcount;
	int			 async_err;
	char			 async_msg[512];

	struct p2pclient_callbacks cb;
	void			*cbarg;
	struct p2pc_evq		 evq;
	size_t			 nev;
	struct p2pc_partial	 partial[P2PC_MAX_PARTIAL];

	/* The blocking recv in progress, which takes its service's messages. */
	const char		*recv_service;
	p2pclient_msg_cb	 recv_cb;
	void			*recv_arg;
	struct p2pclient_event	**recv_out;
	uint32_t		 recv_got, recv_max;

	/* p2pclient_watch_peers: the agent's latest push of the figures. */
	struct p2pclient_peers	*stats;
	uint64_t		 stats_at_us;	/* monotonic, when it came */
	uint32_t		 watch_ms;
	int			 watching;	/* the agent said it pushes */
	int			 in_cb;		/* inside a callback */
};

/* p2pclient.c */
int	p2pc_seterr(struct p2pclient *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	p2pc_fatal(struct p2pclient *, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	p2pc_code(P2p__Ipc__Code);
struct p2pc_req *p2pc_req_find(struct p2pclient *, uint32_t id);
void	p2pc_req_release(struct p2pclient *, struct p2pc_req *);
int	p2pc_service_eq(const char *, const char *);

/* p2pclient_info.c: the agent's peer list as the application sees it. */
int	p2pc_peers_from(const P2p__Ipc__PeersResp *,
	    struct p2pclient_peers **out);

/* p2pclient_group.c: a GroupResp as the application sees it; -1: no
 * memory. p2pc_groups_answer takes a request's answer (and releases it). */
int	p2pc_groups_from(const P2p__Ipc__GroupResp *,
	    struct p2pclient_groups **out);
int	p2pc_groups_answer(struct p2pclient *, struct p2pc_req *,
	    struct p2pclient_groups **out);

/* p2pclient_stats.c */
int	p2pc_stats_push(struct p2pclient *, const P2p__Ipc__PeersResp *);
void	p2pc_stats_free(struct p2pclient *);
uint64_t p2pc_now_us(void);

/* p2pclient_sync.c: wait for a request's answer (kept in *out on 0). */
int	p2pc_call(struct p2pclient *, int64_t id, struct p2pc_req **out);
int	p2pc_wait_room(struct p2pclient *);

/* p2pclient_req.c: queue a request; returns its id or P2PCLIENT_E*. */
int64_t	p2pc_submit(struct p2pclient *, P2p__Ipc__Request *, int owner);
int64_t	p2pc_recv_req(struct p2pclient *, const char *service, uint32_t count,
	    uint32_t wait_ms, int blocking);
int	p2pc_name_ok(const char *, int empty_ok);
int64_t	p2pc_send_chunks(struct p2pclient *, const char *peer,
	    const char *service, const char *group, const void *data,
	    size_t len, int flags, int owner);
int64_t	p2pc_pipe_write_chunks(struct p2pclient *, uint32_t pipe_id,
	    const void *data, size_t len, int eof, int owner);

#endif /* P2PCLIENT_INT_H */
