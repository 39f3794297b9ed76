#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_chaos.sh: seeded chaos on a three-node cluster (docs/CLUSTER.md)
# with its own redis-server. Four agents, each given the three nodes, send
# numbered reliable messages in two pairs over the relay (--no-direct), while
# every round does one thing the seed picks: SIGKILL a node and restart it,
# SIGTERM (drain) a node and restart it, restart Redis empty, or nothing.
# A round ends on an event, not after a fixed pause: a killed or drained
# node back and every running node healthy again (/healthz 200: joined,
# its view loaded), Redis back and every running node healthy, an idle
# round once both receivers got another message; the senders never pause.
# At the end every agent is registered on a live node and every message an
# agent accepted arrived exactly once and in order.
#
# CHAOS_ROUNDS (default 50; 20 in the sanitizer build; `make chaos`: 500)
# and CHAOS_SEED (default: random) choose the run; a failure prints the
# seed, and CHAOS_SEED=that replays the same sequence of faults.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"

if [ "$SAN" -eq 1 ]; then ROUNDS=${CHAOS_ROUNDS:-20}; else ROUNDS=${CHAOS_ROUNDS:-50}; fi
SEED=${CHAOS_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
case "$ROUNDS$SEED" in *[!0-9]*) fail "CHAOS_ROUNDS and CHAOS_SEED are numbers" ;; esac
echo "chaos: seed $SEED, $ROUNDS rounds (replay: CHAOS_SEED=$SEED CHAOS_ROUNDS=$ROUNDS)"
chaos_fail() { fail "seed $SEED round ${round:-0}: $*"; }

start_redis
REDIS_KEEP_PORT=1
start_node a
start_node b
start_node c

SERVERS=""
for n in a b c; do
	eval "SERVERS=\"\$SERVERS --server 127.0.0.1:\$${n}_PORT\""
done
for p in p1 p2 p3 p4; do
	AGENT_ARGS="--no-direct $SERVERS" SERVER_PORT=$a_PORT start_agent "$p" lobby
done
wait_registered p1 p2 p3 p4

# The seeded sequence: one action per round, from a generator of our own
# (Park-Miller), so that every awk replays a seed the same way.
awk -v seed="$SEED" -v n="$ROUNDS" '
function next01() { x = (x * 16807) % 2147483647; return x / 2147483647 }
BEGIN {
	x = seed % 2147483646 + 1
	for (i = 1; i <= n; i++) {
		r = next01()
		node = substr("abc", int(next01() * 3) + 1, 1)
		if (r < 0.35) print "kill " node
		else if (r < 0.6) print "drain " node
		else if (r < 0.75) print "redis -"
		else print "idle -"
	}
}' > "$T/plan"

# sender FROM TO: numbered messages until $T/stop exists; a message that
# was not accepted is sent again with the same number (never skipped).
sender() {
	_i=1
	while [ ! -f "$T/stop" ]; do
		if ctl "$1" send "$2" "seq $_i" >/dev/null 2>&1; then
			echo "$_i" > "$T/$1.sent"
			_i=$((_i + 1))
		else
			echo x >> "$T/$1.refused"
			sleep 0.1
		fi
	done
}
ctl p1 connect p2 --timeout 10 || chaos_fail "connect p1 -> p2"
ctl p3 connect p4 --timeout 10 || chaos_fail "connect p3 -> p4"
ctl p2 recv --count 100000000 --timeout 100000 > "$T/p2.got" 2>"$T/p2.recv.err" &
R2=$!
ctl p4 recv --count 100000000 --timeout 100000 > "$T/p4.got" 2>"$T/p4.recv.err" &
R4=$!
PIDS="$PIDS $R2 $R4"
sender p1 p2 & S1=$!
sender p3 p4 & S3=$!
PIDS="$PIDS $S1 $S3"

node_pid() { eval "echo \$${1}_PID"; }
got() { wc -l < "$T/$1.got" 2>/dev/null || echo 0; }
# delivering G2 G4: both receivers got more than G2 and G4 messages.
delivering() { [ "$(got p2)" -gt "$1" ] && [ "$(got p4)" -gt "$2" ]; }
healthy() {	# every running node answers /healthz 200 (a node whose
		# slot another took while Redis was away stops by itself,
		# docs/CLUSTER.md; it stays down until a round restarts it)
	for _h in a b c; do
		kill -0 "$(node_pid "$_h")" 2>/dev/null || continue
		code_is "$_h" /healthz 200 || return 1
	done
}
# A node comes back at its address (its HTTP port may change).
restart_node() { NODE_LISTEN="127.0.0.1:$(eval "echo \$${1}_PORT")" start_node "$1"; }
round=0
t_start=$(date +%s)
while read -r what node; do
	round=$((round + 1))
	t_round=$(date +%s%N)
	case $what in
	kill)
		kill -KILL "$(node_pid "$node")" 2>/dev/null
		wait "$(node_pid "$node")" 2>/dev/null
		sleep 1
		restart_node "$node" ;;
	drain)
		kill -TERM "$(node_pid "$node")" 2>/dev/null
		wait "$(node_pid "$node")" 2>/dev/null
		restart_node "$node" ;;
	redis)
		stop_redis
		start_redis ;;
	idle)
		g2=$(got p2)
		g4=$(got p4)
		wait_for 30 delivering "$g2" "$g4" ||
		    chaos_fail "no message arrived at p2 and p4 within 30 s (p2 $g2 -> $(got p2), p4 $g4 -> $(got p4))" ;;
	esac
	wait_for 30 healthy || chaos_fail "after '$what $node' a node is not healthy within 30 s: $(curl -s "$a_URL/healthz") $(curl -s "$b_URL/healthz") $(curl -s "$c_URL/healthz")"
	echo "round $round: $what $node $(( ($(date +%s%N) - t_round) / 1000000 ))" >> "$T/rounds"
done < "$T/plan"
round=$((round + 1))

touch "$T/stop"
wait "$S1" "$S3"
# Every agent on a live node.
for p in p1 p2 p3 p4; do
	wait_for 20 registered "$p" || chaos_fail "agent $p is not registered at the end: $(ctl "$p" --json status)"
done
# Every accepted message, exactly once and in order.
for pair in "p1 p2" "p3 p4"; do
	set -- $pair
	last=$(cat "$T/$1.sent" 2>/dev/null || echo 0)
	wait_for 60 sh -c "grep -qx 'seq $last' '$T/$2.got' || [ $last = 0 ]" ||
	    chaos_fail "$2 did not get message $last of $1 (last got: $(tail -n 1 "$T/$2.got"))"
	awk -v last="$last" '
		/^seq / { n++; if ($2 != n) { printf "message %d where %d was due\n", $2, n; bad = 1; exit } }
		END { if (!bad && n != last) { printf "%d messages, %d accepted\n", n, last; bad = 1 } exit bad }' \
	    "$T/$2.got" > "$T/check" || chaos_fail "$1 -> $2: $(cat "$T/check")"
	echo "chaos: $1 -> $2: $last messages accepted ($(cat "$T/$1.refused" 2>/dev/null | wc -l) sends refused and retried), all arrived once and in order"
done
# Where the time went: milliseconds per kind of round.
awk '{ n[$3]++; ms[$3] += $5 } END { for (k in n) printf "chaos: %d %s rounds, %.1f s each on average\n", n[k], k, ms[k] / n[k] / 1000 }' "$T/rounds" | sort
echo "chaos: seed $SEED, $ROUNDS rounds in $(($(date +%s) - t_start)) s ($(grep -c kill "$T/plan") kills, $(grep -c drain "$T/plan") drains, $(grep -c redis "$T/plan") Redis restarts): every agent registered, no message lost, duplicated or reordered"
echo "PASS"
