#!/bin/sh
# SPDX-License-Identifier: ISC
# Cluster benchmarks (docs/PERFORMANCE.md): a Redis of our own and three
# nodes on loopback.
#  1. Registrations: PEERS simulated peers (default 100000) over the three
#     nodes with the load generator: registrations per second, memory per
#     registered peer on a node (RSS) and in Redis (used_memory), Redis
#     commands per registration and per keepalive (INFO commandstats).
#  1b. Re-homing: the node holding the most of those peers is SIGKILLed;
#     the peers behave as agents do (loadgen --rehome: keepalives, the
#     silence check, jitter, another node of the --server list). The time
#     from the kill until every peer of that node is registered on another
#     (median, 90th and 99th percentile, the last), how many were lost
#     (must be 0), and Redis's count of registered peers afterwards (must
#     be PEERS). The killed node then starts again, empty, for step 2.
#  2. Relay: two agents on the relay (--no-direct), same node and across
#     nodes, bulk 1200-byte messages with p2pbench: MB/s, 3 interleaved runs
#     each, the median, and cross-node / same-node. In the same rounds, the
#     relay deployed today: Debian's coturn (turnserver) between two TURN
#     clients (tests/bench/turnbench: ChannelData, credits back through the
#     relay as rawbench does); each round takes coturn's best of windows
#     32, 64 and 128 datagrams in flight. Same-node p2pd / coturn. And
#     the relay of p2p-server alone, without agents, measured the way
#     turnbench measures coturn (loadgen --relay: two simulated peers of a
#     single server with --policy open, RELAY packets sealed as agents seal
#     them, credits back through the relay, the best of the same windows).
#     The same relay alone in the cluster: two more nodes with --policy
#     open, the two simulated peers both on one of them ("same node") or
#     one on each ("across nodes": RELAY -> node -> NODE -> node -> RELAY),
#     so that across / same is also measured without the agents' CPU.
# Not part of make check: `make bench-cluster`. CLUSTER_RELAY_ONLY=1 skips
# steps 1 and 1b (for interleaved before/after runs of the relay).
#
# usage: top_builddir=BUILD top_srcdir=SRC sh tests/bench/cluster.sh [PEERS]
set -u
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/cluster_lib.sh"
LOADGEN="$top_builddir/tests/bench/loadgen"
BENCH="$top_builddir/tests/bench/p2pbench"
peers=${1:-100000}
per=$((peers / 3))

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
evals() { rcli info commandstats | sed -n 's/^cmdstat_eval\(sha\)\{0,1\}:calls=\([0-9]*\),.*/\2/p' | paste -sd+ | bc; }
calls() { rcli info commandstats | sed -n 's/^cmdstat_\([a-z|]*\):calls=\([0-9]*\),.*/\2/p' | paste -sd+ | bc; }

command -v bc >/dev/null 2>&1 || skip "bc is not installed"
start_redis
start_node a --keepalive 15 --expire 600
start_node b --keepalive 15 --expire 600
start_node c --keepalive 15 --expire 600

if [ -z "${CLUSTER_RELAY_ONLY:-}" ]; then
# 1. Registrations.
r0=$(rss "$a_PID")
m0=$(rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
rcli config resetstat >/dev/null
"$LOADGEN" --server "127.0.0.1:$a_PORT" --server "127.0.0.1:$b_PORT" \
    --server "127.0.0.1:$c_PORT" --secret-file "$T/secret" --peers "$peers" \
    --window 256 --hold 40 --rehome "${REHOME_TIMEOUT:-900}" >"$T/lg.out" 2>&1 &
LG=$!
wait_for 900 grep -q "^registered=" "$T/lg.out" || fail "loadgen: $(cat "$T/lg.out")"
c_reg=$(calls)
e_reg=$(evals)
r1=$(rss "$a_PID")
m1=$(rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
rcli config resetstat >/dev/null
sleep 30	# two keepalive rounds of every peer, no registrations
c_ka=$(calls)
wait_for 60 grep -q "^keepalive_acks=" "$T/lg.out" || fail "loadgen: $(cat "$T/lg.out")"
cat "$T/lg.out"
ka=$(sed -n 's/^keepalives=//p' "$T/lg.out")
rate=$(sed -n 's/^per_second=//p' "$T/lg.out")
echo "RESULT cluster registrations_per_s $rate"
echo "RESULT cluster node_rss_per_peer_bytes $(( (r1 - r0) * 1024 / per ))"
echo "RESULT cluster redis_bytes_per_peer $(( (m1 - m0) / peers ))"
echo "RESULT cluster redis_commands_per_registration $(echo "scale=2; $c_reg / $peers" | bc) (EVAL: $e_reg)"
echo "RESULT cluster redis_commands_per_keepalive $(echo "scale=4; ($c_ka - 20) / ($ka + 1)" | bc) (all commands in 30 s: $c_ka, keepalives in all: $ka)"

# 1b. Re-homing after a SIGKILL of the node holding the most peers.
np_count() {	# np_count NODE: its registered peers as Redis counts them
	rcli scard "p2p:np:$(rcli hget p2p:slotof "$1")"
}
most=a
for _n in b c; do
	[ "$(np_count $_n)" -gt "$(np_count $most)" ] && most=$_n
done
held=$(np_count $most)
kill -9 "$(eval echo "\$${most}_PID")"
kill -USR1 "$LG"
wait $LG
lg_rc=$?
sed -n 's/^\(rehome_.*\)/  \1/p' "$T/lg.out"
get() { sed -n "s/^$1=//p" "$T/lg.out"; }
grep -q "^rehome_lost=" "$T/lg.out" || fail "loadgen --rehome: $(tail -5 "$T/lg.out")"
after=0
for _n in a b c; do
	[ "$_n" = "$most" ] || after=$((after + $(np_count $_n)))
done
echo "RESULT cluster rehome_peers $(get rehome_peers) (node $most held $held in Redis, SIGKILL)"
echo "RESULT cluster rehome_seconds $(get rehome_s) (median $(get rehome_p50_s), p90 $(get rehome_p90_s), p99 $(get rehome_p99_s); the first peer left at $(get rehome_first_leave_s) s; $(get rehome_attempts) attempts, $(get rehome_refusals) refused, $(get rehome_spurious) peers of live nodes left)"
echo "RESULT cluster rehome_lost $(get rehome_lost)"
echo "RESULT cluster rehome_registered_after $after of $peers (Redis, on the live nodes)"
[ "$lg_rc" = 0 ] && [ "$(get rehome_lost)" = 0 ] ||
    fail "re-homing: $(get rehome_lost) of $(get rehome_peers) peers not registered elsewhere"
[ "$after" = "$peers" ] || fail "re-homing: Redis has $after of $peers peers on the live nodes"
# Back, empty, for step 2 (its id is free once its heartbeat key expired).
wait_for 20 sh -c "[ \"\$(REDISCLI_AUTH=\$(cat '$T/rpass') redis-cli -p $REDIS_PORT exists p2p:alive:$most)\" = 0 ]" ||
    fail "node $most is still alive in Redis"
start_node "$most" --keepalive 15 --expire 600
fi

# 2. Relay throughput, same node vs across nodes, interleaved.
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent s1 bench
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent s2 bench
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent x1 bench
SERVER_PORT=$b_PORT AGENT_ARGS=--no-direct start_agent x2 bench
wait_registered s1 s2 x1 x2
n=${RELAY_COUNT:-100000}
TURN="$top_builddir/tests/bench/turnbench"
turn_port=
if command -v turnserver >/dev/null 2>&1; then
	turn_port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 ))
	mkdir -p "$T/turn"
	turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 \
	    --listening-port="$turn_port" --no-auth --allow-loopback-peers \
	    --no-tls --no-dtls --no-cli --log-file=stdout --simple-log \
	    --pidfile="$T/turn/pid" --userdb="$T/turn/db" >"$T/turn.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 sh -c "'$TURN' 127.0.0.1 $turn_port 1200 1000 64 >/dev/null 2>&1" ||
	    fail "turnserver did not relay: $(tail -5 "$T/turn.log")"
else
	echo "SKIP coturn comparison: turnserver missing (apt-get install coturn)"
fi
start_server --policy open
# Two nodes that introduce anyone, for the cluster's relay alone.
start_node p --policy open
start_node q --policy open
# raw_best OUT PORT PORT: p2p-server's relay alone, the best of three
# windows; peer 0 registers on the first port, peer 1 on the second.
raw_best() {
	_best=0
	for _w in 32 64 128; do
		"$LOADGEN" --server "127.0.0.1:$2" --server "127.0.0.1:$3" \
		    --secret-file "$T/secret" --peers 2 --window 2 \
		    --prefix "r$i$_w$2$3-" --relay "$n" \
		    --relay-window "$_w" >"$T/rw" 2>&1 ||
		    fail "loadgen --relay window $_w: $(cat "$T/rw")"
		_v=$(sed -n 's/^relay_mb_per_s=//p' "$T/rw")
		_best=$(echo "if ($_v > $_best) $_v else $_best" | bc)
	done
	echo "RESULT raw bulk1200_MBps $_best" >"$1"
}
turn_best() {	# turn_best OUT: coturn's best MB/s of three windows
	_best=0
	for _w in 32 64 128; do
		"$TURN" 127.0.0.1 "$turn_port" 1200 "$n" "$_w" >"$T/tw" 2>&1 ||
		    fail "turnbench window $_w: $(cat "$T/tw")"
		_v=$(sed -n 's/^RESULT turn bulk1200_MBps //p' "$T/tw")
		_best=$(echo "if ($_v > $_best) $_v else $_best" | bc)
	done
	echo "RESULT turn bulk1200_MBps $_best" >"$1"
}
for i in 1 2 3; do
	"$BENCH" bulk "$T/s1/sock" "$T/s2/sock" s2 1200 "$n" >"$T/same$i" || fail "same-node run $i: $(cat "$T/same$i")"
	"$BENCH" bulk "$T/x1/sock" "$T/x2/sock" x2 1200 "$n" >"$T/cross$i" || fail "cross-node run $i: $(cat "$T/cross$i")"
	[ -z "$turn_port" ] || turn_best "$T/turn$i"
	raw_best "$T/raw$i" "$SERVER_PORT" "$SERVER_PORT"
	raw_best "$T/rawsame$i" "$p_PORT" "$p_PORT"
	raw_best "$T/rawcross$i" "$p_PORT" "$q_PORT"
done
rmed() { sed -n 's/^RESULT raw bulk1200_MBps //p' "$T/$1"1 "$T/$1"2 "$T/$1"3 | sort -n | sed -n 2p; }
runs() { sed -n "s/^RESULT $1 bulk1200_MBps //p" "$T/$2"1 "$T/$2"2 "$T/$2"3 | tr '\n' ' '; }
raw=$(rmed raw)
rsame=$(rmed rawsame)
rcross=$(rmed rawcross)
med() { sed -n 's/^RESULT p2pd bulk1200_MBps //p' "$T/$1"1 "$T/$1"2 "$T/$1"3 | sort -n | sed -n 2p; }
same=$(med same)
cross=$(med cross)
echo "RESULT cluster relay_same_node_mb_per_s $same (runs: $(sed -n 's/^RESULT p2pd bulk1200_MBps //p' "$T"/same? | tr '\n' ' '))"
echo "RESULT cluster relay_cross_node_mb_per_s $cross (runs: $(sed -n 's/^RESULT p2pd bulk1200_MBps //p' "$T"/cross? | tr '\n' ' '))"
echo "RESULT cluster relay_cross_over_same $(echo "scale=2; $cross / $same" | bc)"
if [ -n "$turn_port" ]; then
	turn=$(sed -n 's/^RESULT turn bulk1200_MBps //p' "$T"/turn1 "$T"/turn2 "$T"/turn3 | sort -n | sed -n 2p)
	echo "RESULT cluster relay_coturn_mb_per_s $turn (runs: $(sed -n 's/^RESULT turn bulk1200_MBps //p' "$T"/turn? | tr '\n' ' '))"
	echo "RESULT cluster relay_same_node_pps $(echo "$same * 1000000 / 1200" | bc) coturn_pps $(echo "$turn * 1000000 / 1200" | bc)"
	echo "RESULT cluster relay_same_node_over_coturn $(echo "scale=2; $same / $turn" | bc)"
	echo "RESULT cluster relay_server_alone_over_coturn $(echo "scale=2; $raw / $turn" | bc)"
fi
echo "RESULT cluster relay_server_alone_mb_per_s $raw (runs: $(runs raw raw))"
echo "RESULT cluster relay_alone_same_node_mb_per_s $rsame (runs: $(runs raw rawsame))"
echo "RESULT cluster relay_alone_cross_node_mb_per_s $rcross (runs: $(runs raw rawcross))"
echo "RESULT cluster relay_alone_cross_over_same $(echo "scale=2; $rcross / $rsame" | bc)"
