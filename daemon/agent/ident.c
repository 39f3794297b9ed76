/* SPDX-License-Identifier: ISC */
/*
 * ident.c: the agent's long-term Ed25519 identity key.
 *
 * STATE_DIR/identity.key holds the 64-byte libsodium secret key (seed and
 * public key). It is created on first start with O_CREAT|O_EXCL under umask
 * 077, so no other process ever sees it readable, and a key file that group
 * or others can read is refused rather than used: it may have leaked.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "log.h"

#define IDENT_FILE	"identity.key"

static int
ident_mkdir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("cannot create state directory %s", dir);
		return -1;
	}
	if (stat(dir, &st) == -1) {
		log_warn("state directory %s", dir);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("state directory %s is not a directory", dir);
		return -1;
	}
	return 0;
}

static int
ident_create(const char *path, uint8_t pk[32], uint8_t sk[64])
{
	mode_t old;
	ssize_t n;
	int fd;

	old = umask(077);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	umask(old);
	if (fd == -1) {
		log_warn("cannot create identity key %s", path);
		return -1;
	}
	crypto_sign_keypair(pk, sk);
	n = write(fd, sk, 64);
	if (n != 64 || fsync(fd) == -1) {
		log_warn("cannot write identity key %s", path);
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	log_info("created identity key %s", path);
	return 0;
}

static int
ident_read(int fd, const char *path, uint8_t pk[32], uint8_t sk[64])
{
	struct stat st;
	ssize_t n;
	uint8_t extra;

	if (fstat(fd, &st) == -1) {
		log_warn("identity key %s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx("identity key %s is not a regular file", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		log_warnx("identity key %s is accessible by group or others "
		    "(mode %03o): refusing to use it; chmod 600 it or remove "
		    "it to make a new identity", path,
		    (unsigned)(st.st_mode & 0777));
		return -1;
	}
	n = read(fd, sk, 64);
	if (n != 64 || read(fd, &extra, 1) != 0) {
		log_warnx("identity key %s: not a 64-byte key file", path);
		return -1;
	}
	if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0)
		return -1;
	return 0;
}

int
ident_load(const char *state_dir, uint8_t pk[32], uint8_t sk[64])
{
	char path[PATH_MAX];
	int fd, rv;

	if (ident_mkdir(state_dir) == -1)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", state_dir,
	    IDENT_FILE) >= sizeof(path)) {
		log_warnx("state directory path too long: %s", state_dir);
		return -1;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return ident_create(path, pk, sk);
	if (fd == -1) {
		log_warn("cannot open identity key %s", path);
		return -1;
	}
	rv = ident_read(fd, path, pk, sk);
	close(fd);
	return rv;
}
