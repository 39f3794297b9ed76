/* SPDX-License-Identifier: ISC */
/*
 * delayq: a fixed delay for the NAT lab on kernels without netem.
 *
 *   delayq DEV MS READY-FILE
 *
 * Creates the TUN device DEV (no packet information header), writes
 * READY-FILE once it exists, and from then on hands every packet the kernel
 * routes into DEV back to the kernel, by writing it to DEV, MS milliseconds
 * later, in order. The kernel takes a packet written to a TUN device as
 * received on it and routes it again: a router that sends one family's
 * forwarded packets into DEV (a policy rule on the input interface) delays
 * that family only. At most DELAYQ_MAX packets wait; more are dropped and
 * counted (printed on SIGTERM).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DELAYQ_MAX	4096
#define DELAYQ_MTU	2048

struct delayq_pkt {
	uint64_t	due_us;
	size_t		len;
	uint8_t		buf[DELAYQ_MTU];
};

static volatile sig_atomic_t delayq_stop;

static void
delayq_on_signal(int sig)
{
	(void)sig;
	delayq_stop = 1;
}

static uint64_t
delayq_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
delayq_open(const char *dev)
{
	struct ifreq ifr;
	int fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) == -1) {
		fprintf(stderr, "delayq: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		fprintf(stderr, "delayq: TUNSETIFF %s: %s\n", dev,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	static struct delayq_pkt q[DELAYQ_MAX];
	struct delayq_pkt *p;
	unsigned long long dropped = 0, passed = 0;
	size_t head = 0, n = 0;
	struct pollfd pfd;
	uint64_t delay_us, now;
	char *end;
	ssize_t r;
	long ms;
	int fd, timeout;
	FILE *fp;

	if (argc != 4) {
		fprintf(stderr, "usage: delayq DEV MS READY-FILE\n");
		return 2;
	}
	ms = strtol(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || ms < 0 || ms > 10000) {
		fprintf(stderr, "delayq: MS: '%s' is not 0 to 10000\n",
		    argv[2]);
		return 2;
	}
	delay_us = (uint64_t)ms * 1000;
	if ((fd = delayq_open(argv[1])) == -1)
		return 1;
	signal(SIGTERM, delayq_on_signal);
	signal(SIGINT, delayq_on_signal);
	if ((fp = fopen(argv[3], "w")) == NULL || fclose(fp) != 0) {
		fprintf(stderr, "delayq: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!delayq_stop) {
		now = delayq_now_us();
		while (n > 0 && q[head].due_us <= now) {
			/* An error (no route back, say) loses that packet. */
			if (write(fd, q[head].buf, q[head].len) == -1)
				dropped++;
			else
				passed++;
			head = (head + 1) % DELAYQ_MAX;
			n--;
		}
		timeout = n > 0 ? (int)((q[head].due_us - now + 999) / 1000) :
		    -1;
		if (poll(&pfd, 1, timeout) == -1 && errno != EINTR)
			break;
		if (!(pfd.revents & POLLIN))
			continue;
		if (n == DELAYQ_MAX) {
			uint8_t scratch[DELAYQ_MTU];

			if (read(fd, scratch, sizeof(scratch)) > 0)
				dropped++;
			continue;
		}
		p = &q[(head + n) % DELAYQ_MAX];
		if ((r = read(fd, p->buf, sizeof(p->buf))) <= 0)
			continue;
		p->len = (size_t)r;
		p->due_us = delayq_now_us() + delay_us;
		n++;
	}
	printf("delayq %s: %llu packets passed, %llu dropped\n", argv[1],
	    passed, dropped);
	return 0;
}
