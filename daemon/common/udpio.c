/*
 * udpio.c: batched UDP reads (recvmmsg) shared by p2pd and p2p-server.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include "log.h"
#include "udpio.h"

/* Batches per wakeup: then timers, IPC and TCP get their turn. */
#define UDPIO_ROUNDS	8

void
udpio_read(int fd, uint8_t *bufs, size_t slot, int batch, udpio_fn fn,
    void *arg)
{
	struct sockaddr_storage	 ss[UDPIO_BATCH_MAX];
	struct mmsghdr		 msgs[UDPIO_BATCH_MAX];
	struct iovec		 iov[UDPIO_BATCH_MAX];
	int			 i, n, rounds;

	if (batch > UDPIO_BATCH_MAX)
		batch = UDPIO_BATCH_MAX;
	for (rounds = 0; rounds < UDPIO_ROUNDS; rounds++) {
		memset(msgs, 0, sizeof(msgs));
		for (i = 0; i < batch; i++) {
			iov[i].iov_base = bufs + (size_t)i * slot;
			iov[i].iov_len = slot;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &ss[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(ss[i]);
		}
		n = recvmmsg(fd, msgs, (unsigned int)batch, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			/* ECONNREFUSED: an ICMP error for an earlier send. */
			if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNREFUSED)
				log_warn("%s: recvmmsg", __func__);
			return;
		}
		for (i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC ||
			    msgs[i].msg_len >= slot)
				fn(arg, NULL, 0, &ss[i],
				    msgs[i].msg_hdr.msg_namelen);
			else
				fn(arg, bufs + (size_t)i * slot,
				    msgs[i].msg_len, &ss[i],
				    msgs[i].msg_hdr.msg_namelen);
		}
		if (n < batch)
			return;
	}
}
