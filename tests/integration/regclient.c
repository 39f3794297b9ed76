/* SPDX-License-Identifier: ISC */
/* regclient.c: registration for the test tools. See regclient.h. */
#include <sys/socket.h>

#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "regclient.h"

int
rc_send(int fd, int tcp, const uint8_t *p, size_t n)
{
	uint8_t b[4096];

	if (tcp) {
		if (n > sizeof(b) - 2)
			return -1;
		b[0] = (uint8_t)(n >> 8);
		b[1] = (uint8_t)n;
		memcpy(b + 2, p, n);
		p = b;
		n += 2;
	}
	return write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

static int
rc_readn(int fd, uint8_t *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		if ((r = read(fd, p, n)) <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

ssize_t
rc_recv(int fd, int tcp, uint8_t *p, size_t cap, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	uint8_t h[2];
	size_t n;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	if (!tcp)
		return read(fd, p, cap);
	if (rc_readn(fd, h, 2) == -1)
		return -1;
	n = ((size_t)h[0] << 8) | h[1];
	if (n > cap || rc_readn(fd, p, n) == -1)
		return -1;
	return (ssize_t)n;
}

int
rc_hello(int fd, int tcp, struct rc_hs *h)
{
	uint8_t b[256];
	ssize_t n;
	int k;

	memset(h, 0, sizeof(*h));
	crypto_box_keypair(h->epk, h->esk);
	if ((k = wire_hello_build(b, sizeof(b), h->epk)) < 0 ||
	    rc_send(fd, tcp, b, (size_t)k) == -1 ||
	    (n = rc_recv(fd, tcp, b, sizeof(b), 2000)) < 0 ||
	    wire_challenge_parse(b, (size_t)n, h->cookie, h->keys,
	    &h->nkeys) == -1)
		return -1;
	h->hello_len = (size_t)k;
	h->challenge_len = (size_t)n;
	return 0;
}

int
rc_init_build(struct rc_hs *h, const char *token, const uint8_t id_pk[32],
    const uint8_t id_sk[64], uint32_t msg_id, int badsig)
{
	P2p__Srv__ServerMsg m = P2P__SRV__SERVER_MSG__INIT;
	P2p__Srv__Register reg = P2P__SRV__REGISTER__INIT;
	uint8_t sm[REGHS_SIG_MSG_LEN], sig[64], pt[2048];
	size_t len;
	int n;

	if (h->nkeys == 0)
		return -1;
	reghs_sig_msg(h->keys[0], h->epk, sm);
	crypto_sign_detached(sig, NULL, sm, sizeof(sm), id_sk);
	if (badsig)
		sig[3] ^= 1;
	reg.wire_version = WIRE_VERSION;
	reg.token = (char *)token;
	reg.identity_key.data = (uint8_t *)id_pk;
	reg.identity_key.len = 32;
	reg.signature.data = sig;
	reg.signature.len = 64;
	reg.rtt_us = h->rtt_us;
	m.id = msg_id;
	m.body_case = P2P__SRV__SERVER_MSG__BODY_REGISTER;
	m.register_ = &reg;
	if ((len = p2p__srv__server_msg__get_packed_size(&m)) > sizeof(pt))
		return -1;
	p2p__srv__server_msg__pack(&m, pt);
	if (reghs_client_start(&h->hs, h->keys[0], h->esk) != 0 ||
	    (n = reghs_init_write(&h->hs, h->cookie, pt, len, h->init,
	    sizeof(h->init))) < 0)
		return -1;
	h->init_len = (size_t)n;
	return 0;
}

P2p__Srv__ServerMsg *
rc_accept_open(struct rc_hs *h, const uint8_t *pkt, size_t n, struct chan *ch)
{
	P2p__Srv__ServerMsg *r;
	struct reghs_keys k;
	uint8_t pt[2048];
	size_t plen;

	if (n > sizeof(h->accept))
		return NULL;
	memcpy(h->accept, pkt, n);
	h->accept_len = n;
	if (reghs_accept_read(&h->hs, pkt, n, pt, sizeof(pt), &plen, &k) != 0 ||
	    (r = p2p__srv__server_msg__unpack(NULL, plen, pt)) == NULL)
		return NULL;
	if (r->body_case == P2P__SRV__SERVER_MSG__BODY_REGISTERED &&
	    chan_init(ch, AEAD_CHACHAPOLY, k.tx, k.rx,
	    r->registered->reg_id) != 0) {
		p2p__srv__server_msg__free_unpacked(r, NULL);
		r = NULL;
	}
	sodium_memzero(&k, sizeof(k));
	return r;
}

ssize_t
rc_seal(struct chan *ch, const P2p__Srv__ServerMsg *m, uint8_t *out,
    size_t cap)
{
	uint8_t pt[2048];
	size_t n = p2p__srv__server_msg__get_packed_size(m);

	if (n > sizeof(pt))
		return -1;
	p2p__srv__server_msg__pack(m, pt);
	return chan_seal(ch, WIRE_CTRL, pt, n, out, cap);
}
