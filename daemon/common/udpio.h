/*
 * udpio.h: the batched UDP read loop both daemons run on their socket.
 * udpio_read() drains a non-blocking socket with recvmmsg, a few batches per
 * wakeup so that one busy sender cannot starve the rest of the event loop,
 * and hands each datagram to a callback.
 */
#ifndef P2P_UDPIO_H
#define P2P_UDPIO_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

/* The most datagrams one recvmmsg call asks for. */
#define UDPIO_BATCH_MAX	64

/*
 * One datagram from a peer. p is NULL (and len 0) when the datagram was
 * larger than the caller's limit: it is not delivered, only reported so
 * that the caller can count it.
 */
typedef void (*udpio_fn)(void *arg, const uint8_t *p, size_t len,
    struct sockaddr_storage *from, socklen_t fromlen);

/*
 * Read what fd has, batch datagrams at a time (at most UDPIO_BATCH_MAX)
 * into bufs (batch slots of slot bytes each). A datagram of more than
 * slot - 1 bytes counts as too large: the spare byte tells "exactly the
 * limit" from "cut by the kernel".
 */
void	udpio_read(int fd, uint8_t *bufs, size_t slot, int batch, udpio_fn fn,
	    void *arg);

#endif /* P2P_UDPIO_H */
