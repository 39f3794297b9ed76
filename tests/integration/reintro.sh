#!/bin/sh
# SPDX-License-Identifier: ISC
# reintro.sh: a relayed session outlives a fresh introduction that the
# server refused, and nothing accepted as reliable is lost silently
# (docs/CLUSTER.md, "Moving to another node"; the fault that the chaos test
# found with CHAOS_SEED=2546092119).
#
# After a registration changes (here: the server restarts, and both agents
# register again), each agent asks for a fresh introduction to its peer,
# which hands both sides the other's new relay id. In a cluster the node
# may refuse it ("cluster state unavailable" while Redis restarts, or the
# peer not yet back in its view); the server's testing knob
# P2P_SERVER_TEST_REFUSE_CONNECT=2 refuses both here. The agents must ask
# again: otherwise each keeps sending to the other's old relay id, the
# session dies at its idle timeout and takes the messages it had accepted
# with it. Then a peer that really goes away: what its session had
# accepted and not had acknowledged is reported (log, metric), not lost
# in silence.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

# The receiver sends nothing of its own, so it learns of the restart from
# its keepalive (an idle agent notices within its keepalive plus 5 s,
# docs/CLUSTER.md): the keepalive asked of the agents must stay well under
# the session's idle timeout, as the defaults do (15 s and 30 s).
start_server --keepalive 4
PORT=$SERVER_PORT
AGENT_ARGS="--no-direct --idle-timeout 12" start_agent p1 lobby
AGENT_ARGS="--no-direct --idle-timeout 12" start_agent p2 lobby
wait_registered p1 p2
ctl p1 connect p2 --timeout 10 || fail "connect p1 -> p2 over the relay"

# Numbered messages until $T/stop; one not accepted goes again with its
# number (as in cluster_chaos.sh).
sender() {
	_i=1
	while [ ! -f "$T/stop" ]; do
		if ctl p1 send p2 "seq $_i" >/dev/null 2>&1; then
			echo "$_i" > "$T/sent"
			_i=$((_i + 1))
		else
			sleep 0.1
		fi
	done
}
got() { wc -l < "$T/got" 2>/dev/null || echo 0; }
more_than() { [ "$(got)" -gt "$1" ]; }
ctl p2 recv --count 100000000 --timeout 100000 > "$T/got" 2>"$T/recv.err" &
R=$!
PIDS="$PIDS $R"
sender & S=$!
PIDS="$PIDS $S"
wait_for 10 more_than 20 || fail "p2 got $(got) messages before the restart"

# The server restarts on its port, forgetting both registrations, and
# refuses the two fresh introductions the agents ask for.
kill -KILL "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
P2P_SERVER_TEST_REFUSE_CONNECT=2 "$P2P_SERVER" -f -v \
    --listen "127.0.0.1:$PORT" --secret-file "$T/secret" --state-dir "$T/srv" \
    --keepalive 4 >>"$T/server.log" 2>&1 &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
wait_for 20 sh -c "grep -c 'connect request refused' '$T/server.log' |
    grep -qx 2" || fail "the server did not refuse two fresh introductions"
n=$(got)
# Past the idle timeout (12 s): a session that did not get its introduction
# again has died by now and its successor has carried new messages.
sleep 14
wait_for 20 more_than $((n + 20)) ||
    fail "messages stopped after the refused introductions ($n -> $(got))"
touch "$T/stop"
wait "$S"
last=$(cat "$T/sent")
wait_for 20 grep -qx "seq $last" "$T/got" ||
    fail "p2 did not get message $last (last got: $(tail -n 1 "$T/got"))"
awk -v last="$last" '
	/^seq / { n++; if ($2 != n) { printf "message %d where %d was due\n", $2, n; bad = 1; exit } }
	END { if (!bad && n != last) { printf "%d messages, %d accepted\n", n, last; bad = 1 } exit bad }' \
    "$T/got" > "$T/check" || fail "p1 -> p2: $(cat "$T/check")"
grep -q "fresh introduction to p[12] failed" "$T/p1.log" "$T/p2.log" ||
    fail "no agent logged the refused fresh introduction"
if grep -q "closed: peer not answering" "$T/p1.log" "$T/p2.log"; then
	fail "the session died at its idle timeout"
fi
echo "reintro: $last messages accepted, all arrived once and in order across refused introductions"

# A peer that goes away for good: what p1 had accepted for it is lost,
# and p1 says so (log, metric, the session's end event), with the count.
lost() { ctl p1 metrics | awk '$1 == "p2pd_lost_reliable_bytes_total" { print $2 }'; }
[ "$(lost)" = 0 ] || fail "p2pd_lost_reliable_bytes_total is $(lost) before any loss"
kill -STOP "$p2_PID"
ctl p1 send p2 "into the void 1" || fail "send to a silent peer (session still up)"
ctl p1 send p2 "into the void 2" || fail "send to a silent peer (session still up)"
wait_for 20 grep -q "bytes of reliable data accepted and not acknowledged by the peer are lost" \
    "$T/p1.log" || fail "p1 did not report the messages its session lost"
[ "$(lost)" -gt 0 ] || fail "p2pd_lost_reliable_bytes_total is $(lost) after a loss"
kill -CONT "$p2_PID"
echo "reintro: a silent peer's session ended with $(lost) bytes reported lost"
echo "PASS"
