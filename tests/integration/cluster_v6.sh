#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_v6.sh: a cluster's nodes on both IP families (docs/CLUSTER.md,
# docs/HTTP.md). Two nodes, each with --listen 127.0.0.1:0 and
# --listen [::1]:0, and a Redis of the test's own:
#  - GET /v1/nodes and POST /v1/tokens on node a name node b's IPv6 address
#    (udp6, tcp6), and the udp6 of a token is that of the node it picked;
#  - a node entry in Redis with a malformed address is left out of the
#    list (and counted in /metrics), never passed to agents;
#  - alice, given only node a's IPv6 address, and carol, given only its
#    IPv4 one, are both told node b; when node a drains (SIGTERM) alice
#    moves to node b over IPv6 and carol over IPv4.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' ||
    skip "no IPv6 loopback (::1) on this machine"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"

flat() { tr -d ' \n' < "$T/body"; }
sfield() {	# sfield NAME FIELD: a string field of p2pctl --json status
	ctl "$1" --json status 2>/dev/null | tr -d ' \n' |
	    sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"
}
on() {	# on NAME ADDR NODE: registered with node NODE at ADDR
	registered "$1" && [ "$(sfield "$1" server_addr)" = "$2" ] &&
	    [ "$(sfield "$1" server_node)" = "$3" ]
}

start_redis
start_node a --listen '[::1]:0' --drain-timeout 10
start_node b --listen '[::1]:0'
wait_for 10 test -s "$T/a/port6" || fail "node a wrote no port6"
wait_for 10 test -s "$T/b/port6" || fail "node b wrote no port6"
A6=$(cat "$T/a/port6")
B6=$(cat "$T/b/port6")

# --- /v1/nodes and /v1/tokens on node a name node b's IPv6 address ----------
b_in_nodes() {
	api a GET /v1/nodes
	flat | grep -qF "{\"id\":\"b\",\"udp\":\"127.0.0.1:$b_PORT\",\"tcp\":\"127.0.0.1:$b_PORT\",\"udp6\":\"[::1]:$B6\",\"tcp6\":\"[::1]:$B6\","
}
wait_for 10 b_in_nodes || fail "node a's /v1/nodes does not show node b's IPv6 address: $(cat "$T/body")"
flat | grep -qF "\"udp6\":\"[::1]:$A6\"" || fail "node a's /v1/nodes does not show its own IPv6 address: $(cat "$T/body")"
echo "ok - GET /v1/nodes on node a: b with udp6/tcp6 [::1]:$B6, a with [::1]:$A6"

api a POST /v1/tokens -d '{"peer_id": "tok", "ttl": 600}'
expect 200 "POST /v1/tokens on node a"
flat | grep -qF "\"udp6\":\"[::1]:$B6\",\"tcp6\":\"[::1]:$B6\"" ||
    fail "node a's token names no IPv6 address of node b: $(cat "$T/body")"
picked=$(flat | sed -n 's/^{"token":"[^"]*","udp":"\([^"]*\)","tcp":"[^"]*","udp6":"\([^"]*\)","tcp6":"[^"]*".*/\1 \2/p')
case $picked in
"127.0.0.1:$a_PORT [::1]:$A6"|"127.0.0.1:$b_PORT [::1]:$B6") ;;
*) fail "the token's udp6 is not that of the node it picked: '$picked': $(cat "$T/body")" ;;
esac
echo "ok - POST /v1/tokens on node a: node b's udp6/tcp6 in its nodes; picked $picked"

# --- a malformed entry in Redis is left out ---------------------------------
bad0=$(curl -s -m 5 "$a_URL/metrics" -H "Authorization: Bearer $KEY" | awk '$1 == "p2p_cluster_bad_node_entries_total" { print $2 }')
[ -n "$bad0" ] || fail "no p2p_cluster_bad_node_entries_total in node a's /metrics"
rcli HSET p2p:nodes 200 evil >/dev/null
rcli HSET p2p:node:evil slot 200 epoch 1 udp 127.0.0.1:9 tcp 127.0.0.1:9 \
    udp6 '127.0.0.1:9' tcp6 '[::1]:9' peers 0 relay 0 hb 1 node 127.0.0.1:9 >/dev/null
rcli SET p2p:alive:evil 1:x:0 PX 60000 >/dev/null
bad_counted() {
	_b=$(curl -s -m 5 "$a_URL/metrics" -H "Authorization: Bearer $KEY" | awk '$1 == "p2p_cluster_bad_node_entries_total" { print $2 }')
	[ "${_b:-0}" -gt "$bad0" ]
}
wait_for 6 bad_counted || fail "node a did not count the malformed entry"
api a GET /v1/nodes
flat | grep -q '"id":"evil"' && fail "a node entry with an IPv4 address as udp6 is listed: $(cat "$T/body")"
grep -q "node evil's entry in redis has a malformed address" "$T/a.log" || fail "node a did not log the malformed entry"
rcli HDEL p2p:nodes 200 >/dev/null
rcli DEL p2p:alive:evil p2p:node:evil >/dev/null
echo "ok - an entry with a malformed udp6 in Redis: left out of /v1/nodes, counted, logged"

# --- agents move within their family ----------------------------------------
mkdir -p "$T/alice"
mint alice g > "$T/alice/token" || fail "minting alice's token"
"$P2PD" -f -v --no-direct --server "[::1]:$A6" --token-file "$T/alice/token" \
    --socket "$T/alice/sock" --state-dir "$T/alice" >"$T/alice.log" 2>&1 &
PIDS="$PIDS $!"
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent carol g
wait_registered alice carol
on alice "[::1]:$A6" a || fail "alice is not on node a over IPv6: $(ctl alice --json status)"
on carol "127.0.0.1:$a_PORT" a || fail "carol is not on node a over IPv4: $(ctl carol --json status)"
told_b() { grep -q "^b $2 " "$T/$1/nodes" 2>/dev/null; }
wait_for 10 told_b alice "\[::1\]:$B6" || fail "alice was not told node b's IPv6 address: $(cat "$T/alice/nodes")"
wait_for 10 told_b carol "127\.0\.0\.1:$b_PORT" || fail "carol was not told node b's IPv4 address: $(cat "$T/carol/nodes")"
echo "ok - alice (IPv6) keeps b as [::1]:$B6, carol (IPv4) as 127.0.0.1:$b_PORT"

kill -TERM "$a_PID"
wait_for 15 on alice "[::1]:$B6" b || fail "alice did not move to node b over IPv6: $(ctl alice --json status)"
wait_for 15 on carol "127.0.0.1:$b_PORT" b || fail "carol did not move to node b over IPv4: $(ctl carol --json status)"
wait "$a_PID" 2>/dev/null
api b GET /v1/peers/alice
flat | grep -q '"address":"\[::1\]:' || fail "node b does not have alice on IPv6: $(cat "$T/body")"
api b GET /v1/peers/carol
flat | grep -q '"address":"127.0.0.1:' || fail "node b does not have carol on IPv4: $(cat "$T/body")"
echo "ok - node a drained: alice moved to node b over IPv6 ([::1]:$B6), carol over IPv4 (127.0.0.1:$b_PORT)"
echo "PASS"
