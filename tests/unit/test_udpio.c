/*
 * test_udpio.c: udpio_read over a loopback UDP socket: datagrams up to the
 * limit are delivered whole, larger ones are reported without data, and one
 * call reads a bounded number of batches.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "udpio.h"

#define SLOT	101		/* datagrams of up to 100 bytes */

static size_t	got_len[512];
static int	got_big[512], ngot;

static void
record(void *arg, const uint8_t *p, size_t len, struct sockaddr_storage *from,
    socklen_t fromlen)
{
	cr_assert_eq(from->ss_family, AF_INET);
	cr_assert_eq(fromlen, sizeof(struct sockaddr_in));
	got_big[ngot] = p == NULL;
	got_len[ngot++] = len;
}

static void
pair(int *rx, int *tx)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*rx = socket(AF_INET, SOCK_DGRAM, 0);
	*tx = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(bind(*rx, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	cr_assert(getsockname(*rx, (struct sockaddr *)&sin, &len) == 0);
	cr_assert(connect(*tx, (struct sockaddr *)&sin, sizeof(sin)) == 0);
}

Test(udpio, oversized_reported_without_data)
{
	static uint8_t	bufs[4][SLOT];
	uint8_t		pkt[300];
	const size_t	sizes[] = { 0, 10, SLOT - 1, SLOT, 300 };
	size_t		i;
	int		rx, tx;

	pair(&rx, &tx);
	memset(pkt, 'x', sizeof(pkt));
	for (i = 0; i < 5; i++)
		cr_assert_eq(send(tx, pkt, sizes[i], 0), (ssize_t)sizes[i]);
	ngot = 0;
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 5);
	for (i = 0; i < 3; i++) {
		cr_assert_not(got_big[i], "datagram %zu", i);
		cr_assert_eq(got_len[i], sizes[i]);
	}
	cr_assert(got_big[3], "a datagram of exactly the slot size is too big");
	cr_assert(got_big[4]);
	cr_assert_eq(got_len[4], 0);
	close(rx);
	close(tx);
}

Test(udpio, one_call_reads_a_bounded_amount)
{
	static uint8_t	bufs[4][SLOT];
	int		i, rx, tx;

	pair(&rx, &tx);
	for (i = 0; i < 40; i++)
		cr_assert_eq(send(tx, "a", 1, 0), 1);
	ngot = 0;
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 32, "8 rounds of 4, got %d", ngot);
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 40);
	/* Nothing left: returns at once. */
	udpio_read(rx, bufs[0], SLOT, 4, record, NULL);
	cr_assert_eq(ngot, 40);
	close(rx);
	close(tx);
}
