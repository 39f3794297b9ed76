/* SPDX-License-Identifier: ISC */
/*
 * svc.h: services and their inboxes, with the byte accounting behind the
 * agent's credit flow control (PROTOCOL.md §3.2).
 *
 * A service is a name with one inbox of complete messages. Every inbox is
 * bounded in bytes (inbox_size), the table in number of services
 * (max_services) and in bytes over all inboxes (total). Bytes are counted
 * as "stream bytes": what the sender's stream carried for the message
 * (length prefix included), so the numbers match the credit the transport
 * grants. The invariant kept for each inbox is
 *	used + reserved <= inbox_size
 * and over the table
 *	sum(used + reserved) <= total,
 * where "reserved" is credit granted to remote streams but not yet arrived
 * and "used" is bytes that arrived (queued messages and partial messages
 * being reassembled). A full inbox therefore only stops granting credit to
 * its own senders; no message that arrived is ever dropped.
 *
 * This module is pure bookkeeping: no sockets, no clock, no logging. The
 * holder and waiter pointers are opaque to it (the IPC client that bound the
 * service).
 */
#ifndef P2P_AGENT_SVC_H
#define P2P_AGENT_SVC_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

/* glibc's sys/queue.h lacks the BSD _SAFE iterators. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define SVC_NAME_MAX	64
#define SVC_DEFAULT	"default"

struct svc_msg {
	TAILQ_ENTRY(svc_msg)	 entry;
	char			 from[SVC_NAME_MAX + 1];
	size_t			 cost;		/* stream bytes charged */
	size_t			 cap;		/* of data, kept for reuse */
	size_t			 len;
	size_t			 off;		/* bytes already handed out (chunks) */
	uint8_t			 mode;		/* TP_MODE_*, set by the session */
	uint8_t			 channel;
	uint8_t			 data[];
};
TAILQ_HEAD(svc_msgq, svc_msg);

/*
 * What holds credit in an inbox (a session's incoming stream) embeds a
 * link, listed in the inbox, so that the inbox finds its senders when it
 * has room again without a search. A service with links is not removed.
 */
struct svc_link {
	TAILQ_ENTRY(svc_link)	 entry;
};
TAILQ_HEAD(svc_linkq, svc_link);

struct svc {
	TAILQ_ENTRY(svc)	 entry;
	char			 name[SVC_NAME_MAX + 1];
	struct svc_msgq		 msgs;
	size_t			 nmsgs;
	size_t			 used;
	size_t			 reserved;
	void			*holder;	/* client that bound it, or NULL */
	struct svc_linkq	 links;
	struct svc_table	*t;		/* its table */
};

/*
 * Messages are allocated in size classes (64 bytes of data doubling up to
 * 128 KiB); those read out are kept per class, up to SVC_SPARE_MAX bytes
 * in all, and hold the next ones of their class or of up to two classes
 * below, so a steady flow of messages through the inboxes allocates
 * nothing (the bytes kept are bytes a full inbox had taken anyway).
 * Larger messages are allocated to size.
 *
 * An inbox counts a message by its length but its block is up to twice
 * that (a 1200-byte message takes a 2048-byte block), so the spares may
 * reach twice the inbox size: an inbox that a slow reader let fill and
 * then emptied fills again without an allocation.
 */
#define SVC_SPARE_MAX(t)	(2 * (t)->inbox_size)
#define SVC_CLASSES	12
#define SVC_CLASS_MIN	64

struct svc_table {
	TAILQ_HEAD(, svc)	 list;
	size_t			 n;
	size_t			 max_services;
	size_t			 inbox_size;
	size_t			 total;
	size_t			 total_used;	/* used + reserved of all */
	struct svc_msgq		 spare[SVC_CLASSES];
	size_t			 spare_bytes;	/* at most SVC_SPARE_MAX */
};

void		 svc_table_init(struct svc_table *, size_t inbox_size,
		    size_t total, size_t max_services);
void		 svc_table_free(struct svc_table *);
/* Find a service; with create, make it if the caps allow (NULL if not). */
struct svc	*svc_get(struct svc_table *, const char *name, int create);
/* Remove a service that is empty, unbound, unlinked, with nothing reserved. */
void		 svc_gc(struct svc_table *, struct svc *);
void		 svc_link(struct svc *, struct svc_link *);
void		 svc_unlink(struct svc *, struct svc_link *);

/* Credit that may still be granted to senders of this service. */
size_t		 svc_room(const struct svc_table *, const struct svc *);
/* Grant: reserve n bytes (the caller asked svc_room first). */
void		 svc_reserve(struct svc_table *, struct svc *, size_t n);
/* n granted bytes arrived (they now count as used). */
void		 svc_arrive(struct svc_table *, struct svc *, size_t n);
/* Return bytes to the inbox: unused reservation (stream gone) or used. */
void		 svc_unreserve(struct svc_table *, struct svc *, size_t n);
void		 svc_release(struct svc_table *, struct svc *, size_t n);

/*
 * Queue a complete message whose cost bytes were already counted as used
 * by svc_arrive. Returns -1 only if memory runs out.
 */
int		 svc_push(struct svc *, const char *from, const uint8_t *data,
		    size_t len, size_t cost)
		    __attribute__((warn_unused_result));
struct svc_msg	*svc_peek(struct svc *);
/*
 * Unlink the oldest message and release its cost; the caller frees it
 * (svc_msg_free keeps it for reuse).
 */
struct svc_msg	*svc_pop(struct svc_table *, struct svc *);
void		 svc_msg_free(struct svc_table *, struct svc_msg *);

#endif /* P2P_AGENT_SVC_H */
