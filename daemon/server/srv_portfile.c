/* SPDX-License-Identifier: ISC */
/* srv_portfile.c: STATE_DIR/NAME files that tell scripts a bound port. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

/*
 * STATE_DIR/NAME holding a port number (port, http_port, alt_port,
 * tcp_port), written atomically, for tests and scripts that bind port 0.
 */
int
srv_write_port_file(struct srv *s, const char *name, uint16_t port,
    char *err, size_t errlen)
{
	char path[4096], tmp[4200], buf[16];
	int fd, n;

	if (s->conf.state_dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", s->conf.state_dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	n = snprintf(buf, sizeof(buf), "%u\n", port);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644))
	    == -1 || write(fd, buf, (size_t)n) != n || close(fd) == -1 ||
	    rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}
