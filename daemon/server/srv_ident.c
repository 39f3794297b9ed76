/* SPDX-License-Identifier: ISC */
/*
 * srv_ident.c: the server's key pair(s) and the registration cookie. See
 * srv_ident.h.
 */
#include "config.h"

#include <sys/stat.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "srv_ident.h"

#define KEY_FILE_MAX	128	/* 44 characters, whitespace around them */

static int
srv_ident_write(const char *path, uint8_t sk[32], char *err, size_t errlen)
{
	char b64[REGHS_KEY_B64_LEN + 2];
	mode_t old;
	int fd;

	old = umask(077);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	umask(old);
	if (fd == -1) {
		snprintf(err, errlen, "cannot create the server key %s: %s",
		    path, strerror(errno));
		return -1;
	}
	randombytes_buf(sk, 32);
	reghs_key_to_b64(sk, b64);
	b64[REGHS_KEY_B64_LEN] = '\n';
	if (write(fd, b64, REGHS_KEY_B64_LEN + 1) != REGHS_KEY_B64_LEN + 1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "cannot write the server key %s: %s",
		    path, strerror(errno));
		close(fd);
		unlink(path);
		sodium_memzero(b64, sizeof(b64));
		return -1;
	}
	close(fd);
	sodium_memzero(b64, sizeof(b64));
	return 0;
}

static int
srv_ident_read(int fd, const char *path, uint8_t sk[32], char *err,
    size_t errlen)
{
	char buf[KEY_FILE_MAX + 1], *s, *e;
	struct stat st;
	ssize_t n;
	int rc = -1;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "server key %s is not a regular file",
		    path);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "server key %s is readable by others "
		    "(mode %04o): chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0 || n > KEY_FILE_MAX) {
		snprintf(err, errlen, "server key %s: %s", path, n < 0 ?
		    strerror(errno) : "too large for a key file");
		goto out;
	}
	buf[n] = '\0';
	for (s = buf; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';)
		s++;
	for (e = s + strlen(s); e > s && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\n' || e[-1] == '\r');)
		*--e = '\0';
	if (reghs_key_from_b64(s, sk) != 0) {
		snprintf(err, errlen, "server key %s: not a key (44 characters "
		    "of base64, as p2p-server key writes it)", path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

int
srv_ident_key_file(const char *path, int create, uint8_t sk[32], int *created,
    char *err, size_t errlen)
{
	int fd, rc;

	*created = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (srv_ident_write(path, sk, err, errlen) == -1)
			return -1;
		*created = 1;
		return 0;
	}
	if (fd == -1) {
		snprintf(err, errlen, "server key %s: %s", path,
		    strerror(errno));
		return -1;
	}
	rc = srv_ident_read(fd, path, sk, err, errlen);
	close(fd);
	return rc;
}

int
srv_ident_load(struct srv_ident *id, const char *key_file,
    const char *next_file, char *err, size_t errlen)
{
	uint8_t kid[2][REGHS_KEY_ID_LEN];
	int created;

	memset(id, 0, sizeof(*id));
	if (key_file == NULL) {
		randombytes_buf(id->sk[0], 32);
		id->ephemeral = 1;
	} else if (srv_ident_key_file(key_file, 1, id->sk[0], &created, err,
	    errlen) == -1)
		return -1;
	id->nkeys = 1;
	if (next_file != NULL) {
		if (srv_ident_key_file(next_file, 0, id->sk[1], &created, err,
		    errlen) == -1) {
			srv_ident_wipe(id);
			return -1;
		}
		id->nkeys = 2;
	}
	crypto_scalarmult_base(id->pk[0], id->sk[0]);
	crypto_scalarmult_base(id->pk[1], id->sk[1]);
	reghs_key_id(id->pk[0], kid[0]);
	reghs_key_id(id->pk[1], kid[1]);
	/* REG_INIT names its key by 4 bytes: they must tell the two apart. */
	if (id->nkeys == 2 && memcmp(kid[0], kid[1], sizeof(kid[0])) == 0) {
		snprintf(err, errlen, "the next key %s %s", next_file,
		    memcmp(id->pk[0], id->pk[1], 32) == 0 ? "is the current "
		    "key" : "has the same key id as the current key: make "
		    "another");
		srv_ident_wipe(id);
		return -1;
	}
	randombytes_buf(id->cookie_master, sizeof(id->cookie_master));
	return 0;
}

const uint8_t *
srv_ident_sk(const struct srv_ident *id, const uint8_t kid[REGHS_KEY_ID_LEN],
    const uint8_t **pk)
{
	uint8_t k[REGHS_KEY_ID_LEN];
	unsigned i;

	for (i = 0; i < id->nkeys; i++) {
		reghs_key_id(id->pk[i], k);
		if (memcmp(k, kid, sizeof(k)) == 0) {
			if (pk != NULL)
				*pk = id->pk[i];
			return id->sk[i];
		}
	}
	return NULL;
}

/* The secrets of now's bucket and the one before, derived once a bucket. */
static void
srv_ident_secrets(struct srv_ident *id, uint64_t now_us)
{
	uint64_t b = now_us / 1000000 / REGHS_BUCKET_S;

	if (id->have_secret && b == id->bucket)
		return;
	if (id->have_secret && b == id->bucket + 1)
		memcpy(id->secret[1], id->secret[0], 32);
	else
		reghs_cookie_secret(id->cookie_master, b - 1, id->secret[1]);
	reghs_cookie_secret(id->cookie_master, b, id->secret[0]);
	id->bucket = b;
	id->have_secret = 1;
}

static int
srv_ident_addr(const struct sockaddr *sa, uint8_t out[REGHS_ADDR_LEN])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET)
		return reghs_addr_bytes((const uint8_t *)&s4->sin_addr, 4,
		    ntohs(s4->sin_port), out);
	if (sa->sa_family == AF_INET6)
		return reghs_addr_bytes((const uint8_t *)&s6->sin6_addr, 16,
		    ntohs(s6->sin6_port), out);
	return -1;
}

void
srv_ident_cookie(struct srv_ident *id, uint64_t now_us,
    const struct sockaddr *from, const uint8_t e_pk[REGHS_KEY_LEN],
    uint8_t out[REGHS_COOKIE_LEN])
{
	uint8_t a[REGHS_ADDR_LEN];

	srv_ident_secrets(id, now_us);
	if (srv_ident_addr(from, a) == -1)
		memset(a, 0, sizeof(a));
	reghs_cookie(id->secret[0], a, e_pk, out);
}

int
srv_ident_cookie_ok(struct srv_ident *id, uint64_t now_us,
    const struct sockaddr *from, const uint8_t e_pk[REGHS_KEY_LEN],
    const uint8_t cookie[REGHS_COOKIE_LEN])
{
	uint8_t a[REGHS_ADDR_LEN], c[REGHS_COOKIE_LEN];
	int i;

	if (srv_ident_addr(from, a) == -1)
		return 0;
	srv_ident_secrets(id, now_us);
	for (i = 0; i < 2; i++) {
		reghs_cookie(id->secret[i], a, e_pk, c);
		if (sodium_memcmp(c, cookie, sizeof(c)) == 0)
			return 1;
	}
	return 0;
}

void
srv_ident_wipe(struct srv_ident *id)
{
	sodium_memzero(id, sizeof(*id));
}
