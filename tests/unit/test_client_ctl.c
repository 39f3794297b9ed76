/* SPDX-License-Identifier: ISC */
/*
 * test_client_ctl.c: the p2pctl program (found through $top_builddir)
 * against the fake agent: output formats, exit codes, stdin handling.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "test_client_fake.h"
#include "test_client_script.h"

static char	out[1 << 20], err[8192];

static void
slurp(const char *path, char *buf, size_t cap)
{
	int	fd;
	ssize_t	n;
	size_t	len = 0;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	unlink(path);
}

/* Run p2pctl -s sockpath ARGS with stdin from in; fill out and err. */
static int
ctl(const char *in, size_t inlen, const char *const *args)
{
	const char	*top = getenv("top_builddir");
	char		 prog[512], fin[128], fout[128], ferr[128];
	const char	*argv[32];
	int		 fd, st, n = 0;
	pid_t		 pid;

	snprintf(prog, sizeof(prog), "%s/p2pctl", top != NULL ? top : ".");
	snprintf(fin, sizeof(fin), "%s/in", sockdir);
	snprintf(fout, sizeof(fout), "%s/out", sockdir);
	snprintf(ferr, sizeof(ferr), "%s/err", sockdir);
	fd = open(fin, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in != NULL)
		cr_assert_eq(write(fd, in, inlen), (ssize_t)inlen);
	close(fd);
	argv[n++] = prog;
	argv[n++] = "-s";
	argv[n++] = sockpath;
	while (*args != NULL && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	if ((pid = fork()) == 0) {
		dup2(open(fin, O_RDONLY), 0);
		dup2(open(fout, O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
		dup2(open(ferr, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	cr_assert_gt(pid, 0);
	waitpid(pid, &st, 0);
	unlink(fin);
	slurp(fout, out, sizeof(out));
	slurp(ferr, err, sizeof(err));
	cr_assert(WIFEXITED(st), "p2pctl died");
	cr_assert_neq(WEXITSTATUS(st), 127, "cannot run %s", prog);
	return WEXITSTATUS(st);
}

#define CTL(in, len, ...)						\
	ctl(in, len, (const char *const[]){ __VA_ARGS__, NULL })

/* o has key, a string equal to want. */
static void
json_expect_str(struct json_object *o, const char *key, const char *want)
{
	struct json_object	*v;

	cr_assert(json_object_object_get_ex(o, key, &v), "no %s", key);
	cr_assert_str_eq(json_object_get_string(v), want);
}

static int
status_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__StatusResp	 s = P2P__IPC__STATUS_RESP__INIT;
	P2p__Ipc__Counters	 k = P2P__IPC__COUNTERS__INIT;

	s.peer_id = "alice";
	s.server_state = "registering";
	k.packets_out = 5; k.retransmitted = 2;
	s.counters = &k;
	agent_status(fd, q->id, &s);
	return 1;
}

Test(ctl, status_json_after_the_command)
{
	struct json_object	*o, *v, *cnt;

	fake_start(agent_one(status_answer));
	cr_assert_eq(CTL(NULL, 0, "status", "--json"), 0, "%s", err);
	fake_stop();
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "not JSON: %s", out);
	json_expect_str(o, "peer_id", "alice");
	json_expect_str(o, "server_state", "registering");
	cr_assert(json_object_object_get_ex(o, "public_addr", &v));
	cr_assert_null(v, "public_addr must be null when unknown");
	cr_assert(json_object_object_get_ex(o, "counters", &cnt));
	cr_assert(json_object_object_get_ex(cnt, "packets_out", &v));
	cr_assert_eq(json_object_get_int64(v), 5);
	cr_assert(json_object_object_get_ex(cnt, "retransmitted", &v));
	cr_assert_eq(json_object_get_int64(v), 2);
	cr_assert(json_object_object_get_ex(cnt, "dropped", &v));
	json_object_put(o);
}

Test(ctl, failure_exits_1_with_the_reason)
{
	fake_start(script_refuse);
	cr_assert_eq(CTL(NULL, 0, "connect", "bob", "--timeout", "2"), 1);
	fake_stop();
	cr_assert_not_null(strstr(err, "peer bob is not registered"), "%s",
	    err);
}

Test(ctl, usage_errors_exit_2)
{
	fake_start(script_ok);
	cr_assert_eq(CTL(NULL, 0, "recv", "--count", "x"), 2);
	cr_assert_not_null(strstr(err, "usage: p2pctl"), "%s", err);
	cr_assert_not_null(strstr(err, "recv [--service NAME]"), "%s", err);
	cr_assert_eq(CTL(NULL, 0, "send", "bob"), 2);
	cr_assert_eq(CTL(NULL, 0, "frobnicate"), 2);
	cr_assert_eq(CTL(NULL, 0, "ping", "bob", "--bogus"), 2);
	/* Nobody connected: let the fake agent's accept return. */
	cr_assert_eq(CTL(NULL, 0, "disconnect", "bob"), 0, "%s", err);
	fake_stop();
}

Test(ctl, not_running_exits_3)
{
	mktempdir();
	snprintf(sockpath, sizeof(sockpath), "%s/none.sock", sockdir);
	cr_assert_eq(CTL(NULL, 0, "status"), 3);
	cr_assert_not_null(strstr(err, "p2pd is not running"), "%s", err);
	rmdir(sockdir);
}

static char	sent[64];
static size_t	sent_len;
static int	sent_sync;

static int
send_keep(int fd, const P2p__Ipc__Request *q)
{
	(void)fd;
	if (q->op_case == P2P__IPC__REQUEST__OP_SEND &&
	    q->send->data.len < sizeof(sent)) {
		memcpy(sent, q->send->data.data, q->send->data.len);
		sent_len = q->send->data.len;
		sent_sync = q->send->sync;
	}
	return 0;
}

Test(ctl, send_reads_stdin_for_dash)
{
	fake_start(agent_one(send_keep));
	cr_assert_eq(CTL("line one\nline two\0", 18, "send", "bob", "--sync",
	    "-"), 0, "%s", err);
	fake_stop();
	cr_assert_eq(sent_len, 18);
	cr_assert_eq(memcmp(sent, "line one\nline two\0", 18), 0);
	cr_assert(sent_sync);
}

static int	cancelled;
static uint32_t	recv_id;

static int
recv_answer(int fd, const P2p__Ipc__Request *q)
{
	P2p__Ipc__Event		 e = P2P__IPC__EVENT__INIT;
	P2p__Ipc__Message	 m = P2P__IPC__MESSAGE__INIT;

	if (q->op_case == P2P__IPC__REQUEST__OP_RECV) {
		recv_id = q->id;
		agent_message(fd, "bob", "chat", (uint8_t *)"hi", 2, 0);
		m.from = "carol"; m.service = "chat"; m.group = "team";
		m.data.data = (uint8_t *)"\x00\xff\xfe"; m.data.len = 3;
		e.ev_case = P2P__IPC__EVENT__EV_MESSAGE;
		e.message = &m;
		agent_event(fd, &e);
		return 1;
	}
	if (q->op_case == P2P__IPC__REQUEST__OP_RECV_CANCEL) {
		cancelled = 1;
		agent_recv_done(fd, recv_id, 2);
		agent_ok(fd, q->id);
		return 1;
	}
	return 0;
}

Test(ctl, recv_json_timeout_prints_what_it_got)
{
	char			*nl;
	struct json_object	*o, *v;

	fake_start(agent_all(recv_answer));
	cr_assert_eq(CTL(NULL, 0, "--json", "recv", "--service", "chat",
	    "--count", "3", "--timeout", "0.3"), 1, "%s", err);
	fake_stop();
	cr_assert(cancelled);
	cr_assert_not_null(strstr(err, "2 of 3"), "%s", err);
	nl = strchr(out, '\n');
	cr_assert_not_null(nl, "%s", out);
	*nl = '\0';
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "%s", out);
	json_expect_str(o, "from", "bob");
	json_expect_str(o, "data", "hi");
	cr_assert_not(json_object_object_get_ex(o, "encoding", &v));
	cr_assert_not(json_object_object_get_ex(o, "group", &v));
	json_object_put(o);
	o = json_tokener_parse(nl + 1);
	cr_assert_not_null(o, "%s", nl + 1);
	json_expect_str(o, "data", "AP/+");
	json_expect_str(o, "encoding", "base64");
	json_expect_str(o, "group", "team");
	json_object_put(o);
}

static char	pipe_in[64];
static size_t	pipe_in_len;
static int	pipe_eof, pipe_done, pipe_fail;
static uint64_t	pipe_acked;

static void
pipe_event(int fd, int ok)
{
	agent_pipe_closed(fd, 5, ok, ok ? "" : "peer agent went away");
}

static int
pipe_answer(int fd, const P2p__Ipc__Request *q)
{
	switch (q->op_case) {
	case P2P__IPC__REQUEST__OP_PIPE_OPEN:
		agent_pipe_opened(fd, q->id, 5);
		agent_pipe_data(fd, 5, "from the peer\n", 14, !pipe_fail);
		if (pipe_fail)
			pipe_event(fd, 0);
		return 1;
	case P2P__IPC__REQUEST__OP_PIPE_WRITE:
		if (q->pipe_write->data.len > 0 && pipe_in_len < 32)
			memcpy(pipe_in + pipe_in_len, q->pipe_write->data.data,
			    q->pipe_write->data.len < 32 ?
			    q->pipe_write->data.len : 32);
		pipe_in_len += q->pipe_write->data.len;
		pipe_eof |= q->pipe_write->eof;
		agent_ok(fd, q->id);
		/* The done ack may have come first. */
		if (pipe_done && q->pipe_write->eof)
			pipe_event(fd, 1);
		return 1;
	case P2P__IPC__REQUEST__OP_PIPE_ACK:
		pipe_acked += q->pipe_ack->bytes;
		pipe_done |= q->pipe_ack->done;
		agent_ok(fd, q->id);
		if (q->pipe_ack->done && pipe_eof)
			pipe_event(fd, 1);
		return 1;
	default:
		return 0;
	}
}

Test(ctl, pipe_both_directions_then_ok)
{
	fake_start(agent_all(pipe_answer));
	cr_assert_eq(CTL("to the peer\n", 12, "pipe", "bob", "--name", "p"),
	    0, "%s", err);
	fake_stop();
	cr_assert_str_eq(out, "from the peer\n");
	cr_assert_eq(pipe_in_len, 12);
	cr_assert_eq(memcmp(pipe_in, "to the peer\n", 12), 0);
	cr_assert(pipe_eof);
	cr_assert(pipe_done);
	cr_assert_eq(pipe_acked, 14);
}

Test(ctl, pipe_closed_early_exits_1)
{
	pipe_fail = 1;
	fake_start(agent_all(pipe_answer));
	cr_assert_eq(CTL("x", 1, "pipe", "bob"), 1);
	fake_stop();
	cr_assert_not_null(strstr(err, "peer agent went away"), "%s", err);
}

static void
script_events(int fd)
{
	uint32_t	id;

	if (agent_ack_first(fd, &id) == -1)
		return;
	agent_peer_state(fd, "bob", "closed", "direct", "disconnected");
	agent_error(fd, id, P2P__IPC__CODE__ERR_LAGGED,
	    "lagged: too many events queued");
}

Test(ctl, events_json_then_lagged_exits_1)
{
	struct json_object	*o;

	fake_start(script_events);
	cr_assert_eq(CTL(NULL, 0, "events", "--json"), 1);
	fake_stop();
	cr_assert_not_null(strstr(err, "lagged"), "%s", err);
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "%s", out);
	json_expect_str(o, "event", "peer_state");
	json_expect_str(o, "state", "closed");
	json_expect_str(o, "reason", "disconnected");
	json_object_put(o);
}

static void
script_group_events(int fd)
{
	char		*miss[] = { "carol" };
	uint32_t	 id;

	if (agent_ack_first(fd, &id) == -1)
		return;
	agent_group_event(fd, "join_complete", "lobby", "bob", miss, 1, 1);
	/* Then hang up: p2pctl events ends with exit 1. */
}

Test(ctl, events_json_group_event)
{
	struct json_object	*o, *v;

	fake_start(script_group_events);
	cr_assert_eq(CTL(NULL, 0, "--json", "events"), 1);
	fake_stop();
	o = json_tokener_parse(out);
	cr_assert_not_null(o, "%s", out);
	json_expect_str(o, "event", "join_complete");
	json_expect_str(o, "group", "lobby");
	json_expect_str(o, "peer_id", "bob");
	cr_assert(json_object_object_get_ex(o, "missing", &v));
	cr_assert_eq(json_object_array_length(v), 1);
	cr_assert_str_eq(json_object_get_string(
	    json_object_array_get_idx(v, 0)), "carol");
	json_object_put(o);
}

static int
group_refuse(int fd, const P2p__Ipc__Request *q)
{
	if (q->op_case != P2P__IPC__REQUEST__OP_GROUP ||
	    q->group->op != P2P__IPC__GROUP_OP__GROUP_JOIN)
		return 0;
	agent_error(fd, q->id, P2P__IPC__CODE__ERR_POLICY,
	    "group vip: the token of peer alice does not grant it");
	return 1;
}

Test(ctl, group_commands)
{
	fake_start(agent_one(group_refuse));
	/* Usage errors first: they never reach the agent. */
	cr_assert_eq(CTL(NULL, 0, "group", "join"), 2);
	cr_assert_not_null(strstr(err, "NAME"), "%s", err);
	cr_assert_eq(CTL(NULL, 0, "group", "frobnicate", "x"), 2);
	cr_assert_eq(CTL(NULL, 0, "group", "list", "extra"), 2);
	cr_assert_eq(CTL(NULL, 0, "group", "send", "lobby"), 2);
	cr_assert_eq(CTL(NULL, 0, "group", "join", "vip"), 1);
	fake_stop();
	cr_assert_not_null(strstr(err, "does not grant"), "%s", err);
}
