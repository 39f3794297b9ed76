/* SPDX-License-Identifier: ISC */
/*
 * notifysock.c: plays systemd's side of sd_notify for tests (systemd is not
 * PID 1 here). Binds a datagram socket at PATH and prints each message it
 * gets as one line, "MS FIELD FIELD ..." (milliseconds since it started,
 * the message's newlines as spaces), until SECONDS have passed or it is
 * killed.
 *
 * usage: notifysock PATH SECONDS
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 buf[4096];
	double			 t0, end;
	ssize_t			 n, i;
	int			 fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "usage: notifysock PATH SECONDS\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "notifysock: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = now_ms();
	end = t0 + atof(argv[2]) * 1e3;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms()) + 1) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf) - 1, 0)) <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (buf[i] == '\n' || buf[i] == '\0')
				buf[i] = ' ';
		buf[n] = '\0';
		printf("%.0f %s\n", now_ms() - t0, buf);
	}
	unlink(argv[1]);
	return 0;
}
