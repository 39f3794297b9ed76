#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_drain.sh: SIGTERM on a cluster node (docs/CLUSTER.md): its agents
# get a Move push naming the least-loaded other live node, the node takes no
# new registrations meanwhile, and it exits at --drain-timeout (these load
# generator peers do not move) or as soon as its agents are gone; what it
# leaves is retracted at once (no 10 s wait for its heartbeat to expire).
# Malformed --drain-timeout values are refused naming the flag.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"
LOADGEN="$top_builddir/tests/bench/loadgen"

for bad in abc -1 3601; do
	if "$P2P_SERVER" -f --secret-file "$T/secret" --drain-timeout "$bad" \
	    >"$T/bad.out" 2>&1; then
		fail "--drain-timeout $bad accepted"
	fi
	grep -q -- "--drain-timeout" "$T/bad.out" || fail "--drain-timeout $bad: $(cat "$T/bad.out")"
done
echo "ok - malformed --drain-timeout refused naming the flag"

start_redis
start_node a
start_node b --drain-timeout 3
start_node c
"$LOADGEN" --server "127.0.0.1:$b_PORT" --secret-file "$T/secret" --peers 20 \
    --prefix onb --hold 12 >"$T/lg.out" 2>&1 &
LG=$!
PIDS="$PIDS $LG"
wait_for 20 grep -q "^registered=20$" "$T/lg.out" || fail "loadgen: $(cat "$T/lg.out")"
# Make a the busier node, so that c is the least loaded other node.
"$LOADGEN" --server "127.0.0.1:$a_PORT" --secret-file "$T/secret" --peers 5 \
    --prefix ona --hold 30 >"$T/lg2.out" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 grep -q "^registered=5$" "$T/lg2.out" || fail "loadgen 2: $(cat "$T/lg2.out")"
wait_for 10 sh -c "curl -s -H 'Authorization: Bearer $KEY' $b_URL/v1/nodes | grep -q '\"id\":\"c\",[^}]*\"peers\":0'" || fail "nodes: $(curl -s -H "Authorization: Bearer $KEY" "$b_URL/v1/nodes")"
# b must see a's five before the drain (a's heartbeat every 3 s, b's read every 2 s).
wait_for 10 sh -c "curl -s -H 'Authorization: Bearer $KEY' $b_URL/v1/nodes | grep -q '\"id\":\"a\",[^}]*\"peers\":5'" || fail "nodes: $(curl -s -H "Authorization: Bearer $KEY" "$b_URL/v1/nodes")"
sleep 3

t0=$(date +%s)
kill -TERM "$b_PID"
wait_for 2 grep -q "drain: told 20 agent(s) to move to node c" "$T/b.log" || fail "no drain: $(tail -n 5 "$T/b.log")"
"$LOADGEN" --server "127.0.0.1:$b_PORT" --secret-file "$T/secret" --peers 1 \
    --prefix late >"$T/late.out" 2>&1 && fail "a draining node took a registration"
grep -q "first_refusal=.*draining" "$T/late.out" || fail "refusal: $(cat "$T/late.out")"
wait "$b_PID" 2>/dev/null
t1=$(date +%s)
[ $((t1 - t0)) -le 5 ] || fail "node b took $((t1 - t0)) s to stop (--drain-timeout 3)"
grep -q "drain: --drain-timeout reached, 20 agent(s) still here" "$T/b.log" || fail "$(tail -n 3 "$T/b.log")"
wait "$LG" 2>/dev/null
grep -q "^moves=20$" "$T/lg.out" || fail "the agents got no Move: $(cat "$T/lg.out")"
grep -q "^move_to=c 127.0.0.1:$c_PORT$" "$T/lg.out" || fail "moved to: $(cat "$T/lg.out")"
api a GET /v1/peers/onb3
expect 404 "onb3 of the stopped node b (retracted at once)"
echo "ok - SIGTERM on b: 20 agents told to move to c (the least loaded), new registrations refused, b stopped in $((t1 - t0)) s at --drain-timeout 3, its registrations retracted at once"
echo "PASS"
