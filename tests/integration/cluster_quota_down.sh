#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_quota_down.sh: the relay quota (--relay-quota) of a cluster while
# Redis is down (docs/CLUSTER.md, "The relay quota across nodes"). Real
# agents with --no-direct on one node and a Redis of the test's own, with
# AOF so that it comes back with its data:
#  - carol relays 256 KiB with Redis up: Redis counts it;
#  - Redis stops; carol relays 384 KiB more (the node counts locally);
#  - carol and dave disconnect (nothing more goes through the relay) and
#    Redis starts again from its AOF: within a few seconds the count in
#    Redis holds every byte carol relayed, those of the outage too;
#  - carol connects again and pushes 1 MiB more: she is cut off at her
#    quota (1 MiB), at most a lease (64 KiB) over it, and the node counts
#    the drops.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"

QUOTA=$((1024 * 1024))
LEASE=$((64 * 1024))	# a sixteenth of the quota, at least 64 KiB
relay_field() {	# relay_field PEER FIELD: the peer's relay counter on node a
	api a GET "/v1/peers/$1"
	tr -d ' \n' < "$T/body" | sed -n "s/.*\"relay\":{[^}]*\"$2\":\([0-9]*\).*/\1/p"
}
push() {	# push FILE NAME SECONDS: FILE from carol to dave over the relay
	ctl dave pipe carol --name "$2" --timeout "$3" < /dev/null > "$T/$2.out" 2>/dev/null &
	_rx=$!
	timeout "$3" "$P2PCTL" -s "$T/carol/sock" pipe dave --name "$2" --timeout "$3" \
	    < "$1" > /dev/null 2>&1
	wait $_rx 2>/dev/null
}
used() { rcli HGET p2p:quota:carol used; }
counts_all() {	# counts_all BYTES: Redis counts at least BYTES for carol
	_u=$(used)
	[ -n "$_u" ] && [ "$_u" -ge "$1" ]
}
head -c $((256 * 1024)) /dev/urandom > "$T/k256"
head -c $((384 * 1024)) /dev/urandom > "$T/k384"
head -c $QUOTA /dev/urandom > "$T/big"

start_redis --appendonly yes
start_node a --relay-quota 1M
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent carol g
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent dave g
wait_registered carol dave
ctl carol connect dave --timeout 10 || fail "connect carol -> dave"

# 256 KiB with Redis up.
push "$T/k256" p1 10
cmp -s "$T/k256" "$T/p1.out" || fail "256 KiB under the quota did not arrive whole ($(wc -c < "$T/p1.out") bytes)"
tx0=$(relay_field carol tx_bytes)
[ -n "$tx0" ] && [ "$tx0" -ge $((256 * 1024)) ] || fail "node a relayed ${tx0:-?} bytes for carol"
wait_for 5 counts_all "$tx0" || fail "Redis counts $(used) for carol, who relayed $tx0"
used0=$(used)
echo "ok - Redis up: carol relayed $tx0 bytes; Redis counts $used0 (with the lease node a holds)"

# Redis stops (its AOF is flushed); carol relays 384 KiB meanwhile.
rcli shutdown >/dev/null 2>&1
wait "$REDIS_PID" 2>/dev/null
wait_for 5 code_is a /healthz 503 || fail "node a does not see Redis gone: $(cat "$T/body")"
push "$T/k384" p2 10
cmp -s "$T/k384" "$T/p2.out" || fail "384 KiB relayed while Redis was down did not arrive whole ($(wc -c < "$T/p2.out") bytes)"
grep -q "peer carol: the cluster's relay quota count is unavailable: counting on this node" "$T/a.log" ||
    fail "node a did not say it counts carol locally: $(grep carol "$T/a.log" | tail -n 3)"
ctl carol disconnect dave >/dev/null 2>&1
ctl dave disconnect carol >/dev/null 2>&1
echo "ok - Redis down: carol relayed 384 KiB more through node a, counted there; carol and dave disconnect"

# Redis back from its AOF; carol relays nothing now.
sleep 1
REDIS_KEEP_PORT=1 start_redis --appendonly yes
wait_for 10 code_is a /healthz 200 || fail "healthz not 200 again: $(cat "$T/body")"
tx1=$(relay_field carol tx_bytes)
[ -n "$tx1" ] && [ $((tx1 - tx0)) -ge $((384 * 1024)) ] || fail "node a relayed $tx0 then ${tx1:-?} bytes for carol"
[ "$(used)" -ge "$used0" ] || fail "Redis came back without its data: it counts $(used) for carol, $used0 before"
wait_for 8 counts_all "$tx1" ||
    fail "Redis counts $(used) for carol, who relayed $tx1 ($((tx1 - tx0)) while it was down)"
used1=$(used)
echo "ok - Redis back (AOF): it counts $used1 for carol, who relayed $tx1 bytes ($((tx1 - tx0)) of them while it was down)"

# carol is still cut off at her quota.
ctl carol connect dave --timeout 10 || fail "connect carol -> dave again"
push "$T/big" p3 4
tx2=$(relay_field carol tx_bytes)
dropped=$(relay_field carol dropped)
[ -n "$tx2" ] && [ "$tx2" -le $((QUOTA + LEASE)) ] ||
    fail "carol relayed ${tx2:-?} bytes in all, over her quota $QUOTA by more than a lease"
[ "$tx2" -gt $((QUOTA - 2 * LEASE)) ] || fail "carol was cut off at $tx2 bytes, well under her quota $QUOTA"
[ "${dropped:-0}" -gt 0 ] || fail "node a dropped nothing of carol's: $(cat "$T/body")"
used2=$(used)
[ -n "$used2" ] && [ "$used2" -ge "$tx2" ] || fail "Redis counts ${used2:-nothing} for carol, who relayed $tx2"
echo "ok - cut off at the quota: carol relayed $tx2 bytes in all (quota $QUOTA), $dropped packets dropped; Redis counts $used2"
echo "PASS"
