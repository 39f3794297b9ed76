/* SPDX-License-Identifier: ISC */
/*
 * ctl.h: the agent's control side. It turns the IPC clients' requests into
 * calls on the engine (engine.h) and the engine's callbacks into answers,
 * messages and events for the clients; it knows the engine only through
 * engine.h, and the engine does not know it at all.
 *
 * ctl.c holds the request table and the callback tables (the engine's and
 * ipc.c's) and routes each entry to the file of its command group, named
 * like libclient's p2pctl: ctl_status.c (status, peers), ctl_conn.c
 * (connect, disconnect, ping), ctl_msg.c (send), ctl_recv.c (bind, unbind,
 * recv, the deliveries), ctl_events.c (subscribe and the events),
 * ctl_pipe.c (pipes), ctl_group.c (server-managed groups), ctl_match.c
 * and ctl_match_info.c (matchmaking, group search), ctl_nat.c (nat),
 * ctl_metrics.c (metrics), ctl_log.c (log-level); ctl_http.c serves
 * the metrics on --metrics. ipc.c / ipc_out.c are the socket underneath
 * (ipc.h).
 *
 * Every request gets exactly one Response: at once, or later through the
 * engine's cb->done (connect, send, ping), a pipe's opening, the server's
 * answer to a group request or how a matchmaking ticket ended, the end of a NAT test, or the client's
 * pending recv.
 */
#ifndef P2P_AGENT_CTL_H
#define P2P_AGENT_CTL_H

#include <sys/queue.h>
#include <stdint.h>

#include "agent.h"
#include "engine.h"
#include "ipc.h"
#include "svc.h"

struct pipe;
struct ctl_groups;
struct ctl_match;
struct ctl_gattrs;
struct match_attr;
struct ctl_http;
struct evbuffer;

#define CTL_NAT_WAITERS	16

/*
 * Messages and pipe data go into a client's output only while it holds
 * less than this; the rest waits in the inbox (or the pipe's buffer) and
 * follows when the client has read what was written (hooks->drained).
 * With the socket's own buffer behind it that keeps a reader busy, while
 * the output buffer stays under ipc_buf.c's IPC_BUF_KEEP: filling it up
 * to AGENT_CLIENT_OUTCAP meant growing, moving and shrinking megabytes
 * for every batch a slower reader took.
 */
#define CTL_DELIVER_OUTCAP	(256 * 1024)

struct ctl_nat_wait {
	struct ipc_client	*c;
	uint32_t		 id;
	uint64_t		 deadline;
};

struct ctl {
	struct agent		*a;
	struct ipc		*ipc;
	/* ctl_pipe.c */
	TAILQ_HEAD(, pipe)	 pipes;
	size_t			 npipes;
	uint32_t		 pipe_serial;
	/* ctl_group.c */
	struct ctl_groups	*groups;
	/* ctl_match.c */
	struct ctl_match	*match;
	/* ctl_nat.c */
	struct ctl_nat_wait	 nat_w[CTL_NAT_WAITERS];
	size_t			 nnat;
	struct event		*nat_timer;
	/* ctl_metrics.c, ctl_http.c */
	uint64_t		 started;	/* agent_now() at ctl_open */
	struct ctl_http		*http;		/* --metrics */
};

/* One sample of a metric (ctl_metrics.c); the strings are the agent's. */
struct ctl_metric {
	const char	*name, *type, *help;
	const char	*lname, *lval;	/* one label, or NULL */
	double		 value;
	int		 first;		/* of its family: HELP and TYPE */
};

struct ctl_metrics {
	struct ctl_metric	*v;
	size_t			 n, cap;
	struct engine_peer	*peers;	/* the sessions the samples name */
};

typedef void (*ctl_fn)(struct ipc_client *, P2p__Ipc__Request *);

/* The service a request names: "" or none is the default one. */
static inline const char *
ctl_service(const char *s)
{
	return s == NULL || *s == '\0' ? SVC_DEFAULT : s;
}

/* ctl.c */
int	ctl_open(struct agent *) __attribute__((warn_unused_result));
void	ctl_free(struct agent *);

/* ctl_status.c */
void	ctl_status(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_peers(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_peers_gone(struct ipc_client *);

/* ctl_conn.c */
void	ctl_connect(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_disconnect(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_ping(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_ping_reply(struct ipc_client *, uint32_t id, uint64_t rtt_us);

/* ctl_msg.c */
void	ctl_send(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_msg_gone(struct ipc_client *);

/* ctl_recv.c */
void	ctl_bind(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_unbind(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_recv(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_recv_cancel(struct ipc_client *, P2p__Ipc__Request *);
/* Deliver what the pending recv may take (the client drained, or
 * messages arrived). */
void	ctl_recv_pump(struct ipc_client *);
void	ctl_recv_inbox(struct ctl *, struct svc *);
void	ctl_recv_gone(struct ipc_client *);

/* ctl_events.c */
void	ctl_subscribe(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_events_peer_state(struct ctl *, const char *peer,
	    const char *state, const char *path, const char *reason);
void	ctl_events_group(struct ctl *, const char *event, const char *group,
	    const char *peer, char **missing, size_t nmissing,
	    uint32_t missing_count);

/* ctl_pipe.c */
void	ctl_pipe_open(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_pipe_write(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_pipe_ack(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_pipe_close(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_pipe_session_up(struct ctl *, const char *peer);
void	ctl_pipe_session_dead(struct ctl *, const char *peer,
	    const char *reason);
void	*ctl_pipe_stream_open(struct ctl *, const char *peer, uint64_t sid,
	    const char *name);
void	ctl_pipe_data(struct ctl *, struct pipe *, const uint8_t *, size_t,
	    int fin);
void	ctl_pipe_stream_done(struct ctl *, struct pipe *);
void	ctl_pipe_stream_stopped(struct ctl *, struct pipe *, uint64_t code);
void	ctl_pipe_writable(struct ctl *, const char *peer);
void	ctl_pipe_pump(struct ipc_client *);
void	ctl_pipe_gone(struct ipc_client *);
void	ctl_pipe_free_all(struct ctl *);

/* ctl_group.c */
void	ctl_group(struct ipc_client *, P2p__Ipc__Request *);
int	ctl_group_reply(struct ctl *, const P2p__Srv__ServerMsg *);
void	ctl_group_timeout(struct ctl *, uint32_t srv_id);
void	ctl_group_event(struct ctl *, uint32_t reg_id, uint32_t seq,
	    const P2p__Srv__GroupEvent *);
void	ctl_group_registered(struct ctl *);
void	ctl_group_gone(struct ipc_client *);
void	ctl_group_free(struct ctl *);
P2p__Ipc__Code ctl_group_code(P2p__Srv__ErrCode);

/* ctl_match.c */
void	ctl_match(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_group_search(struct ipc_client *, P2p__Ipc__Request *);
int	ctl_match_reply(struct ctl *, const P2p__Srv__ServerMsg *);
void	ctl_match_timeout(struct ctl *, uint32_t srv_id);
void	ctl_match_result(struct ctl *, const P2p__Srv__MatchResult *);
void	ctl_match_registered(struct ctl *);
void	ctl_match_gone(struct ipc_client *);
void	ctl_match_free(struct ctl *);

/* ctl_match_info.c */
/* A group's attributes for group show (NULL: none, or bad). */
struct ctl_gattrs *ctl_match_attrs_take(const P2p__Srv__GroupInfo *);
void	ctl_match_attrs_put(const struct ctl_gattrs *, P2p__Ipc__GroupInfo *);
/* Answer req_id with the server's groups (checked first). */
void	ctl_match_groups_reply(struct ipc_client *, uint32_t req_id,
	    P2p__Srv__GroupInfo *const *, size_t n, int truncated);
int	ctl_match_attrs_in(P2p__Ipc__Attr **, size_t n, struct match_attr *,
	    unsigned *nout, char *err, size_t errlen);

/* ctl_metrics.c: collect (0, or -1 out of memory) and use at once. */
int	ctl_metrics_collect(struct ctl *, struct ctl_metrics *);
void	ctl_metrics_free(struct ctl_metrics *);
void	ctl_metrics_text(const struct ctl_metrics *, struct evbuffer *);
void	ctl_metrics(struct ipc_client *, P2p__Ipc__Request *);

/* ctl_http.c: --metrics ADDR:PORT (GET /metrics); -1 with err. */
int	ctl_http_check(const char *spec, int public, char *err,
	    size_t errlen);
int	ctl_http_open(struct ctl *, const char *spec, int public,
	    char *err, size_t errlen);
void	ctl_http_free(struct ctl *);

/* ctl_log.c */
void	ctl_log_level(struct ipc_client *, P2p__Ipc__Request *);

/* ctl_nat.c */
void	ctl_nat(struct ipc_client *, P2p__Ipc__Request *);
void	ctl_nat_done(struct ctl *);
void	ctl_nat_gone(struct ipc_client *);
void	ctl_nat_free(struct ctl *);

#endif /* P2P_AGENT_CTL_H */
