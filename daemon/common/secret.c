/* SPDX-License-Identifier: ISC */
/* secret.c: load the token secret from a private file. See secret.h. */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "secret.h"
#include "token.h"

/* Whitespace after the secret is allowed, so read a little more than the cap. */
#define SECRET_FILE_MAX	(SECRET_MAX + 4096)

/* The private file's bytes into buf (at most SECRET_FILE_MAX). */
static int
secret_read(const char *path, uint8_t *buf, size_t cap, size_t *lenp,
    char *err, size_t errlen)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "secret file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "secret file %s is not a regular file",
		    path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "secret file %s is readable by others "
		    "(mode %04o): chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "secret file %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*lenp = len;
	rc = 0;
out:
	close(fd);
	return rc;
}

int
secret_load(const char *path, uint8_t *key, size_t *keylen, char *err,
    size_t errlen)
{
	uint8_t buf[SECRET_FILE_MAX + 1];
	size_t len = 0;
	int rc = -1;

	if (secret_read(path, buf, sizeof(buf), &len, err, errlen) == -1)
		goto out;
	if (len > SECRET_FILE_MAX) {
		snprintf(err, errlen, "secret file %s is too large (a secret "
		    "is 32 to %d bytes)", path, TOKEN_SECRET_MAX);
		goto out;
	}
	if (token_secret_parse(buf, len, key, keylen, err, errlen) == -1) {
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "secret file %s: %s", path, msg);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int
secret_load_text(const char *path, char *out, size_t outlen, char *err,
    size_t errlen)
{
	uint8_t buf[SECRET_FILE_MAX + 1];
	size_t len = 0, i;
	int rc = -1;

	if (secret_read(path, buf, sizeof(buf), &len, err, errlen) == -1)
		goto out;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= outlen) {
		snprintf(err, errlen, "secret file %s: must hold 1 to %zu "
		    "bytes", path, outlen - 1);
		goto out;
	}
	for (i = 0; i < len; i++)
		if (buf[i] < 0x20 || buf[i] == 0x7f) {
			snprintf(err, errlen, "secret file %s: a control "
			    "character in the secret", path);
			goto out;
		}
	memcpy(out, buf, len);
	out[len] = '\0';
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}
