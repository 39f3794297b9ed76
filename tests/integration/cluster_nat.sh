#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_nat.sh: NAT reports in a cluster (docs/CLUSTER.md). A NatReport
# taken by one node goes into Redis (the peer's hash and an N event), so:
# the node of each peer whose session with the reporter is on the relay
# introduces the reporter again with its new type, port mapping and other
# family's address (bob on node b, for alice's report on node a), a peer
# with a direct session (carol, node c) is not told, the same report again
# tells nobody, and a later introduction or /v1/peers on any node shows
# them. Introductions across nodes give both sides one start time from the
# round trips the agents said (Register.rtt_us, in Redis). Redis restarted
# empty: the nodes put back the registrations with what their NatReports
# said, so an introduction afterwards still carries the type, mapping,
# address and timing. srvclient plays the agents at the protocol level;
# three nodes and a Redis of the test's own.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"
SRVCLIENT="$top_builddir/tests/integration/srvclient"

metric() {	# metric NODE NAME
	curl -s -m 5 -H "Authorization: Bearer $KEY" "$(eval echo "\$${1}_URL")/metrics" |
	    awk -v n="$2" '$1 == n { print $2 }'
}

start_redis
start_node a
start_node b
start_node c

# srvclient waits for a line on its input once the first part is done.
mkfifo "$T/go" || fail "mkfifo"
"$SRVCLIENT" "$a_PORT" "$T/secret" reintro "$b_PORT" "$c_PORT" <"$T/go" >"$T/sc.out" 2>&1 &
SC=$!
PIDS="$PIDS $SC"
exec 3>"$T/go"	# (closed when this shell exits: srvclient then stops)
wait_for 30 grep -q "waiting for redis" "$T/sc.out" ||
    fail "srvclient reintro: $(cat "$T/sc.out")"
sed 's/^/    /' "$T/sc.out"

peer_field() {	# peer_field ID FIELD: from the peer's hash in Redis
	rcli HGET "p2p:peer:$1" "$2"
}
check_alice() {	# her NAT report and round trip in Redis
	[ "$(peer_field alice nat)" = symmetric ] &&
	    [ "$(peer_field alice pm)" = 127.0.0.1:40000 ] &&
	    [ "$(peer_field alice oth)" = "[2001:db8::a]:4000" ] &&
	    [ "$(peer_field alice rtt)" = 20000 ]
}
check_alice || fail "alice's NAT report is not in Redis: $(rcli HGETALL p2p:peer:alice | tr '\n' ' ')"
grep -q "peer alice (another node): NAT symmetric: introduced again to 1 relayed peer(s) here" "$T/b.log" ||
    fail "node b did not log the re-introduction: $(grep -i nat "$T/b.log" | tail -n 5)"
rb=$(metric b p2p_reintroductions_total)
rc=$(metric c p2p_reintroductions_total)
[ "${rb:-0}" -eq 1 ] || fail "node b counted ${rb:-no} re-introductions, expected 1"
[ "${rc:-x}" = 0 ] || fail "node c counted ${rc:-no} re-introductions (carol's session is direct)"
echo "ok - alice's NatReport on node a: Redis has it (nat, pm, oth, rtt), node b re-introduced her to bob (p2p_reintroductions_total $rb), node c to nobody ($rc)"

api c GET /v1/peers/alice
expect 200 "alice read on node c"
body_has '"nat_type":"symmetric"' "alice's NAT type on node c"
body_has '"other_address":"[2001:db8::a]:4000"' "alice's IPv6 address on node c"
api a GET /v1/peers/alice
body_has '"other_address":"[2001:db8::a]:4000"' "alice's IPv6 address on her own node"
echo "ok - /v1/peers/alice on nodes c and a shows nat_type symmetric and other_address"

# Redis back empty: the nodes put back what they hold, NAT facts included.
stop_redis
REDIS_KEEP_PORT=1 start_redis
for n in a b c; do
	wait_for 15 code_is $n /healthz 200 || fail "node $n not healthy after Redis came back empty"
done
wait_for 10 check_alice ||
    fail "after Redis restarted empty, alice's hash lacks her NAT report: $(rcli HGETALL p2p:peer:alice | tr '\n' ' ')"
echo "ok - Redis restarted empty: alice's registration is back with nat, pm, oth and rtt ($(date +%T))"
echo go >&3
exec 3>&-
wait "$SC" || fail "srvclient reintro: $(cat "$T/sc.out")"
sed -n '/waiting for redis/,$p' "$T/sc.out" | sed 1d | sed 's/^/    /'
echo "PASS"
