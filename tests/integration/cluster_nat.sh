#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_nat.sh: NAT reports in a cluster (docs/CLUSTER.md). A NatReport
# taken by one node goes into Redis (the peer's hash and an N event), so:
# the node of each peer whose session with the reporter is on the relay
# introduces the reporter again with its new type (bob on node b, for
# alice's report on node a), a peer with a direct session (carol, node c)
# is not told, the same report again tells nobody, and a later
# introduction or /v1/peers on any node shows the type. srvclient plays the
# agents at the protocol level; three nodes and a Redis of the test's own.
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

"$SRVCLIENT" "$a_PORT" "$T/secret" reintro "$b_PORT" "$c_PORT" >"$T/sc.out" 2>&1 ||
    fail "srvclient reintro: $(cat "$T/sc.out")"
sed 's/^/    /' "$T/sc.out"

[ "$(rcli HGET p2p:peer:alice nat)" = symmetric ] ||
    fail "alice's NAT type is not in Redis: $(rcli HGETALL p2p:peer:alice | tr '\n' ' ')"
grep -q "peer alice (another node): NAT symmetric: introduced again to 1 relayed peer(s) here" "$T/b.log" ||
    fail "node b did not log the re-introduction: $(grep -i nat "$T/b.log" | tail -n 5)"
rb=$(metric b p2p_reintroductions_total)
rc=$(metric c p2p_reintroductions_total)
[ "${rb:-0}" -eq 1 ] || fail "node b counted ${rb:-no} re-introductions, expected 1"
[ "${rc:-x}" = 0 ] || fail "node c counted ${rc:-no} re-introductions (carol's session is direct)"
echo "ok - alice's NatReport on node a: Redis has it, node b re-introduced her to bob (p2p_reintroductions_total $rb), node c to nobody ($rc)"

api c GET /v1/peers/alice
expect 200 "alice read on node c"
body_has '"nat_type":"symmetric"' "alice's NAT type on node c"
echo "ok - /v1/peers/alice on node c shows nat_type symmetric"
echo "PASS"
