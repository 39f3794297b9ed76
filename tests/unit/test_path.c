/*
 * test_path: the path selector (daemon/core/path.c) with simulated time:
 * pacing of checks, validation by response, peer-reflexive addresses,
 * hysteresis, fallback to the relay and the backoff of rounds.
 */
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include "path.h"

#define MS	1000ULL

static struct sockaddr_storage
sa4(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	cr_assert_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	return ss;
}

static int
same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *x = (const struct sockaddr_in *)a;
	const struct sockaddr_in *y = (const struct sockaddr_in *)b;

	return x->sin_port == y->sin_port &&
	    x->sin_addr.s_addr == y->sin_addr.s_addr;
}

static uint8_t ctr;

static void
nonce(uint8_t n[PATH_NONCE_LEN])
{
	memset(n, 0, PATH_NONCE_LEN);
	n[0] = ++ctr;
	n[7] = 0x5a;
}

static struct path
mk(void)
{
	struct path_cfg cfg;
	struct path p;

	path_cfg_default(&cfg);
	path_init(&p, &cfg);
	return p;
}

Test(path, checks_are_paced_and_retried)
{
	struct path p = mk();
	struct sockaddr_storage a = sa4("10.0.0.2", 4000),
	    b = sa4("198.51.100.7", 5000), to;
	uint8_t n[PATH_NONCE_LEN];
	uint64_t now = 1000 * MS;
	int sent_a = 0, sent_b = 0, i;

	cr_assert_eq(path_add(&p, (struct sockaddr *)&a, PATH_CAND_HOST, now),
	    0);
	cr_assert_eq(path_add(&p, (struct sockaddr *)&b, PATH_CAND_SRFLX,
	    now), 0);
	cr_assert_eq(path_add(&p, (struct sockaddr *)&b, PATH_CAND_SRFLX,
	    now), 0, "a duplicate is ignored");
	cr_assert_eq(p.ncands, 2);
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 0, "not started");
	path_start(&p, now, 20 * MS);
	cr_assert_eq(path_next_check(&p, now, n, &to), 0, "start delayed");
	now += 20 * MS;
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert(same(&to, &a), "host candidate first");
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 0, "paced");
	now += 50 * MS;
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert(same(&to, &b));
	/* Over 10 s, each candidate gets exactly cand_tries checks and the
	 * checks are never closer than the pace. */
	for (i = 0; i < 10000; i++) {
		now += MS;
		nonce(n);
		(void)path_tick(&p, now, 0);
		if (path_next_check(&p, now, n, &to)) {
			if (same(&to, &a))
				sent_a++;
			else
				sent_b++;
		}
	}
	cr_assert_eq(sent_a + 1, (int)p.cfg.cand_tries);
	cr_assert_eq(sent_b + 1, (int)p.cfg.cand_tries);
	cr_assert_eq(p.cands[0].state, PATH_CAND_FAILED);
	cr_assert_eq(p.cands[1].state, PATH_CAND_FAILED);
	cr_assert_neq(p.round_at, 0, "a new round is scheduled");
	cr_assert_eq(path_direct(&p), NULL);
}

Test(path, response_validates_and_replay_does_not)
{
	struct path p = mk();
	struct sockaddr_storage a = sa4("203.0.113.9", 4000), to;
	uint8_t n[PATH_NONCE_LEN], sent[PATH_NONCE_LEN];
	uint64_t now = 5000 * MS;

	cr_assert_eq(path_add(&p, (struct sockaddr *)&a, PATH_CAND_SRFLX,
	    now), 0);
	path_start(&p, now, 0);
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	memcpy(sent, n, sizeof(sent));
	nonce(n);
	cr_assert_eq(path_on_response(&p, n, (struct sockaddr *)&a, now + MS),
	    PATH_EV_NONE, "an unknown nonce proves nothing");
	cr_assert_eq(path_on_response(&p, sent, (struct sockaddr *)&a,
	    now + 30 * MS), PATH_EV_DIRECT);
	cr_assert(same((const struct sockaddr_storage *)path_direct(&p), &a));
	cr_assert_eq(path_direct_rtt(&p), 30 * MS);
	cr_assert_eq(p.changes, 1);
	cr_assert_eq(path_on_response(&p, sent, (struct sockaddr *)&a,
	    now + 40 * MS), PATH_EV_NONE);
	cr_assert_eq(path_direct_rtt(&p), 30 * MS, "replay changed nothing");
}

Test(path, symmetric_peer_answers_from_another_mapping)
{
	struct path p = mk();
	struct sockaddr_storage srflx = sa4("198.51.100.7", 5000),
	    other = sa4("198.51.100.7", 61234), to;
	uint8_t n[PATH_NONCE_LEN];
	uint64_t now = MS;

	cr_assert_eq(path_add(&p, (struct sockaddr *)&srflx, PATH_CAND_SRFLX,
	    now), 0);
	path_start(&p, now, 0);
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert_eq(path_on_response(&p, n, (struct sockaddr *)&other,
	    now + 10 * MS), PATH_EV_DIRECT);
	cr_assert(same((const struct sockaddr_storage *)path_direct(&p),
	    &other), "the answer's source is the path");
	cr_assert_eq(p.cands[1].kind, PATH_CAND_PRFLX);
}

Test(path, packet_from_new_address_is_checked_at_once)
{
	struct path p = mk();
	struct sockaddr_storage a = sa4("10.1.0.2", 4000),
	    roam = sa4("10.9.0.2", 4000), to;
	uint8_t n[PATH_NONCE_LEN];
	uint64_t now = MS;

	cr_assert_eq(path_add(&p, (struct sockaddr *)&a, PATH_CAND_HOST, now),
	    0);
	path_start(&p, now, 0);
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert_eq(path_on_response(&p, n, (struct sockaddr *)&a, now + MS),
	    PATH_EV_DIRECT);
	now += 100 * MS;
	path_on_packet(&p, NULL, now);	/* relay: nothing to learn */
	cr_assert_eq(p.ncands, 1);
	path_on_packet(&p, (struct sockaddr *)&roam, now);
	cr_assert_eq(p.ncands, 2);
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert(same(&to, &roam), "the new address is challenged");
	/* It answers, but the old path is fine and as fast: no switch. */
	cr_assert_eq(path_on_response(&p, n, (struct sockaddr *)&roam,
	    now + MS), PATH_EV_NONE);
	cr_assert(same((const struct sockaddr_storage *)path_direct(&p), &a),
	    "the peer moves only when the old path goes quiet");
}

Test(path, faster_path_wins_with_hysteresis)
{
	struct path p = mk();
	struct sockaddr_storage pub = sa4("198.51.100.7", 5000),
	    lan = sa4("10.0.0.3", 4000), to;
	uint8_t n1[PATH_NONCE_LEN], n2[PATH_NONCE_LEN];
	uint64_t now = MS;

	cr_assert_eq(path_add(&p, (struct sockaddr *)&pub, PATH_CAND_SRFLX,
	    now), 0);
	cr_assert_eq(path_add(&p, (struct sockaddr *)&lan, PATH_CAND_HOST,
	    now), 0);
	path_start(&p, now, 0);
	nonce(n1);
	cr_assert_eq(path_next_check(&p, now, n1, &to), 1);
	cr_assert(same(&to, &pub));
	now += 50 * MS;
	nonce(n2);
	cr_assert_eq(path_next_check(&p, now, n2, &to), 1);
	cr_assert(same(&to, &lan));
	cr_assert_eq(path_on_response(&p, n1, (struct sockaddr *)&pub,
	    now + 10 * MS), PATH_EV_DIRECT);	/* rtt 60 ms */
	cr_assert_eq(path_on_response(&p, n2, (struct sockaddr *)&lan,
	    now + 2 * MS), PATH_EV_DIRECT);	/* rtt 2 ms */
	cr_assert(same((const struct sockaddr_storage *)path_direct(&p), &lan));
	cr_assert_eq(p.changes, 2);
}

Test(path, silent_direct_path_falls_back_to_relay)
{
	struct path p = mk();
	struct sockaddr_storage a = sa4("203.0.113.9", 4000), to;
	uint8_t n[PATH_NONCE_LEN];
	uint64_t now = MS, t0;
	int probes = 0;

	cr_assert_eq(path_add(&p, (struct sockaddr *)&a, PATH_CAND_SRFLX,
	    now), 0);
	path_start(&p, now, 0);
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert_eq(path_on_response(&p, n, (struct sockaddr *)&a, now + MS),
	    PATH_EV_DIRECT);
	/* Busy, with packets arriving: no liveness checks. */
	for (t0 = now; now < t0 + 5000 * MS; now += 10 * MS) {
		path_on_packet(&p, (struct sockaddr *)&a, now);
		cr_assert_eq(path_tick(&p, now, 1), PATH_EV_NONE);
		nonce(n);
		cr_assert_eq(path_next_check(&p, now, n, &to), 0);
	}
	/* Then silence while busy: checks every probe_us, then the relay. */
	t0 = now - 10 * MS;	/* the last packet */
	for (;;) {
		enum path_event ev = path_tick(&p, now, 1);

		if (ev == PATH_EV_RELAY)
			break;
		cr_assert_eq(ev, PATH_EV_NONE);
		nonce(n);
		if (path_next_check(&p, now, n, &to))
			probes++;
		now += 10 * MS;
		cr_assert_lt(now - t0, 10000 * MS, "never fell back");
	}
	cr_assert_geq(now - t0, p.cfg.quiet_us + p.cfg.dead_us);
	cr_assert_leq(now - t0, p.cfg.quiet_us + p.cfg.dead_us + 20 * MS);
	cr_assert_geq(probes, 5);
	cr_assert_leq(probes, 8);
	cr_assert_eq(path_direct(&p), NULL);
	cr_assert_neq(p.round_at, 0, "punching is retried later");
	cr_assert(strstr(p.why, "stopped answering") != NULL, "%s", p.why);
	/* The retry comes after the backoff, and checks the address again. */
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 0);
	now = p.round_at;
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert(same(&to, &a));
}

Test(path, idle_direct_path_is_kept_alive_not_chattered)
{
	struct path p = mk();
	struct sockaddr_storage a = sa4("203.0.113.9", 4000), to;
	uint8_t n[PATH_NONCE_LEN];
	uint64_t now = MS, t0;
	int probes = 0;

	cr_assert_eq(path_add(&p, (struct sockaddr *)&a, PATH_CAND_SRFLX,
	    now), 0);
	path_start(&p, now, 0);
	nonce(n);
	cr_assert_eq(path_next_check(&p, now, n, &to), 1);
	cr_assert_eq(path_on_response(&p, n, (struct sockaddr *)&a, now + MS),
	    PATH_EV_DIRECT);
	/* Idle for 60 s; every check is answered at once. */
	for (t0 = now; now < t0 + 60000 * MS; now += 10 * MS) {
		cr_assert_eq(path_tick(&p, now, 0), PATH_EV_NONE);
		nonce(n);
		if (path_next_check(&p, now, n, &to)) {
			probes++;
			cr_assert_eq(path_on_response(&p, n,
			    (struct sockaddr *)&a, now + MS), PATH_EV_NONE);
		}
	}
	cr_assert_geq(probes, 3, "keepalives hold the binding");
	cr_assert_leq(probes, 5, "one check per keepalive interval");
	cr_assert_neq(path_direct(&p), NULL);
}

Test(path, disabled_sends_nothing)
{
	struct path_cfg cfg;
	struct path p;
	struct sockaddr_storage a = sa4("203.0.113.9", 4000), to;
	uint8_t n[PATH_NONCE_LEN] = { 1 };

	path_cfg_default(&cfg);
	cfg.enabled = 0;
	path_init(&p, &cfg);
	cr_assert_eq(path_add(&p, (struct sockaddr *)&a, PATH_CAND_SRFLX, 1),
	    0);
	path_start(&p, 1, 0);
	cr_assert_eq(path_next_check(&p, 10, n, &to), 0);
	cr_assert_eq(path_next_timeout(&p, 0), UINT64_MAX);
}
