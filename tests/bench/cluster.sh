#!/bin/sh
# SPDX-License-Identifier: ISC
# Cluster benchmarks (docs/PERFORMANCE.md): a Redis of our own and three
# nodes on loopback.
#  1. Registrations: PEERS simulated peers (default 100000) over the three
#     nodes with the load generator: registrations per second, memory per
#     registered peer on a node (RSS) and in Redis (used_memory), Redis
#     commands per registration and per keepalive (INFO commandstats).
#  2. Relay: two agents on the relay (--no-direct), same node and across
#     nodes, bulk 1200-byte messages with p2pbench: MB/s, 3 interleaved runs
#     each, the median, and cross-node / same-node.
# Not part of make check: `make bench-cluster`.
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

# 1. Registrations.
r0=$(rss "$a_PID")
m0=$(rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
rcli config resetstat >/dev/null
"$LOADGEN" --server "127.0.0.1:$a_PORT" --server "127.0.0.1:$b_PORT" \
    --server "127.0.0.1:$c_PORT" --secret-file "$T/secret" --peers "$peers" \
    --window 256 --hold 40 >"$T/lg.out" 2>&1 &
LG=$!
wait_for 900 grep -q "^registered=" "$T/lg.out" || fail "loadgen: $(cat "$T/lg.out")"
c_reg=$(calls)
e_reg=$(evals)
r1=$(rss "$a_PID")
m1=$(rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p')
rcli config resetstat >/dev/null
sleep 30	# two keepalive rounds of every peer, no registrations
c_ka=$(calls)
wait $LG
cat "$T/lg.out"
ka=$(sed -n 's/^keepalives=//p' "$T/lg.out")
rate=$(sed -n 's/^per_second=//p' "$T/lg.out")
echo "RESULT cluster registrations_per_s $rate"
echo "RESULT cluster node_rss_per_peer_bytes $(( (r1 - r0) * 1024 / per ))"
echo "RESULT cluster redis_bytes_per_peer $(( (m1 - m0) / peers ))"
echo "RESULT cluster redis_commands_per_registration $(echo "scale=2; $c_reg / $peers" | bc) (EVAL: $e_reg)"
echo "RESULT cluster redis_commands_per_keepalive $(echo "scale=4; ($c_ka - 20) / ($ka + 1)" | bc) (all commands in 30 s: $c_ka, keepalives in all: $ka)"

# 2. Relay throughput, same node vs across nodes, interleaved.
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent s1 bench
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent s2 bench
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent x1 bench
SERVER_PORT=$b_PORT AGENT_ARGS=--no-direct start_agent x2 bench
wait_registered s1 s2 x1 x2
n=${RELAY_COUNT:-100000}
for i in 1 2 3; do
	"$BENCH" bulk "$T/s1/sock" "$T/s2/sock" s2 1200 "$n" >"$T/same$i" || fail "same-node run $i: $(cat "$T/same$i")"
	"$BENCH" bulk "$T/x1/sock" "$T/x2/sock" x2 1200 "$n" >"$T/cross$i" || fail "cross-node run $i: $(cat "$T/cross$i")"
done
med() { sed -n 's/^RESULT p2pd bulk1200_MBps //p' "$T/$1"1 "$T/$1"2 "$T/$1"3 | sort -n | sed -n 2p; }
same=$(med same)
cross=$(med cross)
echo "RESULT cluster relay_same_node_mb_per_s $same (runs: $(sed -n 's/^RESULT p2pd bulk1200_MBps //p' "$T"/same? | tr '\n' ' '))"
echo "RESULT cluster relay_cross_node_mb_per_s $cross (runs: $(sed -n 's/^RESULT p2pd bulk1200_MBps //p' "$T"/cross? | tr '\n' ' '))"
echo "RESULT cluster relay_cross_over_same $(echo "scale=2; $cross / $same" | bc)"
