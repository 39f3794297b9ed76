#!/bin/sh
# SPDX-License-Identifier: ISC
# match_cluster.sh: matchmaking on a cluster of three p2p-server nodes
# sharing a Redis the test starts itself (docs/CLUSTER.md): the scenario of
# match.sh (match_lib.sh) with the 200 devices' tickets spread over the
# three nodes, so most matches join tickets that arrived at different
# nodes at the same moment: only compatible, complete groups, every ticket
# answered once within its timeout, searches on one node find the groups
# made on all, cancels through another node than the ticket's, and nothing
# left in Redis afterwards. Loopback only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3 to check the answers"
TIMEOUT=10

start_redis
start_node n1
start_node n2
start_node n3
URL=$n1_URL

# match_lib.sh's helpers talk to URL.
api() {	# api METHOD PATH [CURL ARGS...]: status in CODE, body in $T/body
	_m=$1; _p=$2; shift 2
	CODE=$(curl -s -m 20 -o "$T/body" -w '%{http_code}' -X "$_m" \
	    -H "Authorization: Bearer $KEY" "$@" "$URL$_p") || CODE=000
}

. "${top_srcdir:-.}/tests/integration/match_lib.sh"
match_200 "$n1_URL" "$n2_URL" "$n3_URL"

# Nothing left in Redis: no ticket, no pool.
[ "$(rcli scard p2p:tickets)" = "0" ] || fail "tickets left in Redis: $(rcli smembers p2p:tickets)"
[ -z "$(rcli --scan --pattern 'p2p:t:*')" ] || fail "ticket keys left in Redis"
[ -z "$(rcli --scan --pattern 'p2p:pool:*')" ] || fail "pool keys left in Redis"
for n in n2 n3; do
	URL=$(eval echo "\$${n}_URL")
	api GET /v1/match
	body_has '"tickets":0' "node $n: no ticket left"
done
echo "ok - nothing left in Redis or in any node's view"
for n in n1 n2 n3; do
	if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/$n.log"; then
		fail "sanitizer report on $n"
	fi
done
exit 0
