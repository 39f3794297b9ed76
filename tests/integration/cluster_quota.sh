#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_quota.sh: the relay quota (--relay-quota) is the peer's across the
# nodes of a cluster (docs/CLUSTER.md): the count lives in Redis
# (p2p:quota:ID) and nodes take it in leases. carol, at her quota on node
# a, is still at it after node a drains and she moves to node b: what she
# relays there keeps her total under the quota, and node b counts the
# drops; erin, under hers, keeps relaying after the same move. Real agents
# with --no-direct on two nodes and a Redis of the test's own.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"

QUOTA=$((300 * 1024))
relay_field() {	# relay_field NODE PEER FIELD: the peer's relay counter there
	api "$1" GET "/v1/peers/$2"
	tr -d ' \n' < "$T/body" | sed -n "s/.*\"relay\":{[^}]*\"$3\":\([0-9]*\).*/\1/p"
}
on_node() {	# on_node AGENT NODE: the agent says it is registered with NODE
	_s=$(ctl "$1" --json status 2>/dev/null | tr -d ' \n')
	case $_s in *"\"server_node\":\"$2\""*) ;; *) return 1 ;; esac
	case $_s in *'"server_state":"registered"'*) return 0 ;; esac
	return 1
}
push() {	# push FROM TO NAME SECONDS: 1 MiB from FROM to TO over the relay
	ctl "$2" pipe "$1" --name "$3" --timeout "$4" < /dev/null > "$T/$3.out" 2>/dev/null &
	_rx=$!
	timeout "$4" "$P2PCTL" -s "$T/$1/sock" pipe "$2" --name "$3" --timeout "$4" \
	    < "$T/big" > /dev/null 2>&1
	wait $_rx 2>/dev/null
}
head -c 1048576 /dev/urandom > "$T/big"

start_redis
start_node a --relay-quota 300K --drain-timeout 8
start_node b --relay-quota 300K
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent carol g
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent erin g
SERVER_PORT=$b_PORT AGENT_ARGS=--no-direct start_agent dave g
SERVER_PORT=$b_PORT AGENT_ARGS=--no-direct start_agent frank g
wait_registered carol erin dave frank
ctl carol connect dave --timeout 10 || fail "connect carol (node a) -> dave (node b)"
ctl erin connect frank --timeout 10 || fail "connect erin (node a) -> frank (node b)"
ctl erin send frank "under the quota" || fail "send erin -> frank"
[ "$(ctl frank recv --timeout 5)" = "under the quota" ] || fail "frank got nothing from erin"

# carol pushes 1 MiB through node a: her relayed bytes stop at the quota.
push carol dave big 4
tx=$(relay_field a carol tx_bytes)
[ -n "$tx" ] && [ "$tx" -le $QUOTA ] || fail "carol relayed ${tx:-?} bytes on a, over the 300K quota"
[ "$tx" -gt $((200 * 1024)) ] || fail "carol relayed only $tx bytes on a before the quota"
[ "$(wc -c < "$T/big.out")" -lt 1048576 ] || fail "1 MiB crossed a 300K quota"
used=$(rcli HGET p2p:quota:carol used)
[ -n "$used" ] && [ "$used" -ge "$tx" ] && [ "$used" -le $QUOTA ] ||
    fail "Redis counts ${used:-nothing} for carol, who relayed $tx of $QUOTA"
echo "ok - carol relayed $tx bytes of 1 MiB on node a (quota 300K); Redis counts $used"

# Node a drains: carol and erin move to node b, the only other node.
kill -TERM "$a_PID"
wait_for 15 on_node carol b || fail "carol did not move to node b: $(ctl carol --json status)"
wait_for 15 on_node erin b || fail "erin did not move to node b: $(ctl erin --json status)"
wait "$a_PID" 2>/dev/null
ctl carol connect dave --timeout 10 || fail "connect carol -> dave on node b"
ctl erin connect frank --timeout 10 || fail "connect erin -> frank on node b"

# erin, under her quota, keeps relaying (both on node b now).
ctl erin send frank "after the move" || fail "send erin -> frank after the move"
[ "$(ctl frank recv --timeout 10)" = "after the move" ] || fail "frank got nothing from erin after the move"
etx=$(relay_field b erin tx_bytes)
[ "${etx:-0}" -gt 0 ] || fail "node b relayed nothing for erin: $(cat "$T/body")"
echo "ok - erin, under her quota, relays on node b after the move ($etx bytes)"

# carol on node b: the quota did not start afresh.
push carol dave big2 3
tx2=$(relay_field b carol tx_bytes)
dropped=$(relay_field b carol dropped)
[ -n "$tx2" ] && [ $((tx + tx2)) -le $QUOTA ] ||
    fail "carol relayed ${tx2:-?} more bytes on node b after $tx on a: the quota started afresh"
[ "${dropped:-0}" -gt 0 ] || fail "node b dropped nothing of carol's: $(cat "$T/body")"
grep -q "peer carol: relayed [0-9]* bytes of its quota before (in the cluster)" "$T/b.log" ||
    fail "node b did not take carol's count from Redis: $(grep carol "$T/b.log" | tail -n 5)"
used2=$(rcli HGET p2p:quota:carol used)
[ "${used2:-0}" -le $QUOTA ] || fail "Redis counts $used2 for carol, over the quota"
echo "ok - carol on node b after the move: $tx2 bytes more ($((tx + tx2)) in all, quota $QUOTA), $dropped packets dropped there; Redis counts $used2"
echo "PASS"
