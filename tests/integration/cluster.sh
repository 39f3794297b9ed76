#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster.sh: p2p-server as a cluster of three nodes sharing a Redis that
# the test starts itself (docs/CLUSTER.md): option errors name their option,
# a live node's id is refused, the groups file is imported on first start,
# registrations and HTTP changes on one node are seen on the others right
# after the 2xx, /v1/events on one node streams another's group events,
# Redis stopped for 10 s (nodes keep serving what they hold, /healthz 503,
# writes refused, then all back), Redis restarted empty (registrations put
# back within 10 s), Redis restarted from its AOF (groups back), a node
# killed with SIGKILL (its registrations reaped by the others), and one
# killed and started again at once, while its dead run still holds the id:
# it knows that run by its state directory and takes over without waiting.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"
LOADGEN="$top_builddir/tests/bench/loadgen"

# Option errors, each naming its option (exit 2 before starting).
bad() {	# bad WANT ARGS...: p2p-server ARGS fails, stderr has WANT
	_want=$1; shift
	if "$P2P_SERVER" -f --secret-file "$T/secret" --listen 127.0.0.1:0 \
	    "$@" >"$T/bad.out" 2>&1; then
		fail "accepted: $*"
	fi
	grep -qF -- "$_want" "$T/bad.out" || fail "$*: '$(cat "$T/bad.out")' lacks '$_want'"
}
bad "--cluster" --cluster "http://127.0.0.1:6379" --node-id a --cluster-key-file "$T/ckey"
bad "--cluster" --cluster "redis://127.0.0.1" --node-id a --cluster-key-file "$T/ckey"
bad "--cluster-password-file" --cluster "redis://u:pw@127.0.0.1:1" --node-id a --cluster-key-file "$T/ckey"
bad "--node-id" --cluster "redis://127.0.0.1:1" --cluster-key-file "$T/ckey"
bad "--node-id" --cluster "redis://127.0.0.1:1" --node-id "bad id" --cluster-key-file "$T/ckey"
bad "--cluster-key-file" --cluster "redis://127.0.0.1:1" --node-id a
cp "$T/ckey" "$T/ckey.open"; chmod 644 "$T/ckey.open"
bad "chmod 600" --cluster "redis://127.0.0.1:1" --node-id a --cluster-key-file "$T/ckey.open"
bad "--cluster" --node-id a
# An --advertise the other nodes would refuse in its entry: refused here.
bad "--advertise node_1.example:3478" --cluster "redis://127.0.0.1:1" --node-id a --cluster-key-file "$T/ckey" --advertise node_1.example:3478
bad "--advertise node1.example" --cluster "redis://127.0.0.1:1" --node-id a --cluster-key-file "$T/ckey" --advertise node1.example
echo "ok - malformed cluster options are refused, naming the option ($(date +%T))"

start_redis
# Unreachable Redis at start: a clear error naming --cluster.
if "$P2P_SERVER" -f --secret-file "$T/secret" --listen 127.0.0.1:0 \
    --cluster "redis://127.0.0.1:1" --node-id z --cluster-key-file "$T/ckey" \
    >"$T/bad.out" 2>&1; then
	fail "started without a Redis"
fi
grep -q -- "--cluster: redis redis://127.0.0.1:1/0 is unreachable" "$T/bad.out" || fail "unreachable: $(cat "$T/bad.out")"
# A password in the config file is fine (and a wrong one is named).
printf 'cluster = redis://:%s@127.0.0.1:%s\n' "wrong" "$REDIS_PORT" > "$T/conf"
if "$P2P_SERVER" -f -c "$T/conf" --secret-file "$T/secret" --listen 127.0.0.1:0 \
    --node-id z --cluster-key-file "$T/ckey" >"$T/bad.out" 2>&1; then
	fail "a wrong Redis password was accepted"
fi
grep -q "AUTH" "$T/bad.out" || fail "wrong password: $(cat "$T/bad.out")"
echo "ok - unreachable Redis and a wrong password stop the start with a reason ($(date +%T))"

# The groups file of node a's state directory goes into the empty Redis.
mkdir -p "$T/a"
printf 'p2p-groups 1\ngroup imported mesh\nattr imported map dunes\nmember imported zed\n' > "$T/a/groups"
start_node a --keepalive 2
start_node b --keepalive 2
start_node c --keepalive 2
grep -q "imported 1 group" "$T/a.log" || fail "no import: $(grep cluster "$T/a.log")"
api b GET /v1/groups/imported
expect 200 "the imported group, read on b"
body_has '"peer_id":"zed"' "imported member"
body_has '"map":"dunes"' "imported attribute"
echo "ok - the groups file was imported on first start and is seen on every node ($(date +%T))"

# A second process with a live node's id is refused.
if "$P2P_SERVER" -f --secret-file "$T/secret" --listen 127.0.0.1:0 \
    --cluster "redis://127.0.0.1:$REDIS_PORT" --node-id a \
    --cluster-key-file "$T/ckey" --cluster-password-file "$T/rpass" \
    >"$T/bad.out" 2>&1; then
	fail "a second node a started"
fi
grep -q -- "--node-id a is held by a live node" "$T/bad.out" || fail "held id: $(cat "$T/bad.out")"
echo "ok - a node id held by a live node is refused ($(date +%T))"

# Registrations on every node, seen from every node.
"$LOADGEN" --server "127.0.0.1:$a_PORT" --server "127.0.0.1:$b_PORT" \
    --server "127.0.0.1:$c_PORT" --secret-file "$T/secret" --peers 30 \
    --prefix p --hold 60 >"$T/lg.out" 2>&1 &
LG=$!
PIDS="$PIDS $LG"
wait_for 30 grep -q "^registered=30$" "$T/lg.out" || fail "loadgen: $(cat "$T/lg.out")"
for n in a b c; do
	for p in p0 p1 p2; do
		api $n GET /v1/peers/$p
		expect 200 "peer $p read on node $n"
	done
done
echo "ok - 30 peers registered over three nodes, each seen from every node ($(date +%T))"

# /v1/nodes, the peer list of the cluster in pages, tokens naming the
# least-loaded node.
wait_for 5 sh -c "curl -s -H 'Authorization: Bearer $KEY' $b_URL/v1/nodes | grep -q '\"id\":\"c\"'" || fail "/v1/nodes lacks c"
api b GET /v1/nodes
for n in a b c; do body_has "\"id\":\"$n\"" "/v1/nodes on b"; done
body_has '"relay_bytes_per_s"' "/v1/nodes fields"
body_has '"last_heartbeat"' "/v1/nodes fields"
m=$(curl -s -m 5 -H "Authorization: Bearer $KEY" "$b_URL/metrics")
for l in "p2p_cluster_nodes 3" "p2p_cluster_redis_up 1"; do
	echo "$m" | grep -qx "$l" || fail "b's /metrics lacks '$l': $(echo "$m" | grep cluster)"
done
echo "$m" | grep -q "^p2p_cluster_redis_commands_total [1-9]" || fail "no Redis commands counted"
api c GET "/v1/peers?limit=7"
expect 200 "a page of peers"
[ "$(grep -o '"peer_id":"p[0-9]*","reg_id"' "$T/body" | wc -l)" -eq 7 ] || fail "page of 7: $(cat "$T/body")"
body_has '"next":"p14"' "the next page starts after p14 (p0 p1 p10 ... p14)"
body_has '"node":"' "peers name their node"
api c GET "/v1/peers?limit=100&after=p9"
expect 200 "the last page"
[ "$(grep -o '"peer_id":"p[0-9]*","reg_id"' "$T/body" | wc -l)" -eq 0 ] || fail "after p9: $(cat "$T/body")"
api a GET "/v1/peers?limit=1000"
[ "$(grep -o '"peer_id":"p[0-9]*","reg_id"' "$T/body" | wc -l)" -eq 30 ] || fail "all 30 from a: $(cat "$T/body")"
api a GET "/v1/peers?limit=0"
expect 400 "limit=0"
api a GET "/v1/peers?limit=x"
expect 400 "limit=x"
api a GET "/v1/peers?after=bad%20id"
expect 400 "after=bad id"
api a GET "/v1/peers?colour=red"
expect 400 "an unknown parameter"
api a POST /v1/tokens -d '{"peer_id":"newcomer"}'
expect 200 "token"
body_has '"nodes":[' "the token's node list"
for n in a b c; do body_has "\"id\":\"$n\"" "token node list"; done
# More peers on a and b: the least-loaded node is c.
"$LOADGEN" --server "127.0.0.1:$a_PORT" --server "127.0.0.1:$b_PORT" \
    --secret-file "$T/secret" --peers 6 --prefix extra --hold 60 >"$T/lg2.out" 2>&1 &
PIDS="$PIDS $!"
token_to_c() {
	api a POST /v1/tokens -d '{"peer_id":"newcomer"}'
	grep -q "\"udp\":\"127.0.0.1:$c_PORT\"" "$T/body"
}
wait_for 12 token_to_c || fail "the token does not point at c, the least loaded: $(cat "$T/body")"
echo "ok - /v1/nodes lists the three nodes; /v1/peers pages through the cluster's peers with their node; bad pages get 400; /v1/tokens names the nodes and points at the least loaded (c)"

# An HTTP change through one node is seen through another right after.
i=0
while [ $i -lt 20 ]; do
	api a POST /v1/groups -d "{\"name\":\"g$i\"}"
	expect 201 "create g$i on a"
	api b GET /v1/groups/g$i
	expect 200 "g$i read on b right after the 201 on a"
	api c PUT /v1/groups/g$i/members/p$i
	expect 201 "member p$i of g$i added on c"
	api a GET /v1/groups/g$i
	body_has "\"peer_id\":\"p$i\"" "member of g$i read on a"
	i=$((i + 1))
done
api b POST /v1/groups -d '{"name":"g0"}'
expect 409 "g0 created twice (on another node)"
api c DELETE /v1/groups/g1
expect 204 "delete g1 on c"
api a GET /v1/groups/g1
expect 404 "g1 read on a after its delete on c"
echo "ok - group changes through one node are read through the others right after the 2xx ($(date +%T))"

# /v1/events on b streams what happens through a.
curl -s -N -m 8 -H "Authorization: Bearer $KEY" "$b_URL/v1/events" >"$T/events" 2>/dev/null &
EV=$!
wait_for 5 grep -q subscribed "$T/events" || fail "no event stream on b"
api a PUT /v1/groups/g2/members/p7
expect 201 "p7 joins g2 on a"
api a DELETE /v1/groups/g3
expect 204 "g3 destroyed on a"
wait_for 5 grep -q '"event":"member_join","group":"g2","peer_id":"p7"' "$T/events" || fail "b's stream: $(cat "$T/events")"
wait_for 5 grep -q '"event":"group_destroyed","group":"g3"' "$T/events" || fail "b's stream: $(cat "$T/events")"
kill $EV 2>/dev/null
echo "ok - /v1/events on node b streams the group events made through node a ($(date +%T))"

# Redis stopped for 10 s: nodes keep serving what they hold.
stop_redis
wait_for 5 sh -c "curl -s -o /dev/null -w '%{http_code}' $a_URL/healthz | grep -q 503" || fail "healthz stayed 200 without Redis"
curl -s "$a_URL/healthz" >"$T/body"
body_has '"status":"degraded"' "healthz without Redis"
body_has 'cluster state unavailable' "healthz reason"
api b POST /v1/groups -d '{"name":"during"}'
expect 503 "a change without Redis"
body_has "cluster state unavailable" "the change's error"
"$LOADGEN" --server "127.0.0.1:$b_PORT" --secret-file "$T/secret" --peers 1 \
    --prefix late >"$T/late.out" 2>&1 && fail "registered without Redis"
grep -q "first_refusal=cluster state unavailable" "$T/late.out" || fail "refusal: $(cat "$T/late.out")"
acks0=$(curl -s -m 5 -H "Authorization: Bearer $KEY" "$a_URL/metrics" | awk '$1 == "p2p_rx_packets_total" { print $2 }')
sleep 8
acks1=$(curl -s -m 5 -H "Authorization: Bearer $KEY" "$a_URL/metrics" | awk '$1 == "p2p_rx_packets_total" { print $2 }')
[ "${acks1:-0}" -gt "${acks0:-0}" ] || fail "node a stopped serving its agents without Redis"
kill -0 "$a_PID" "$b_PID" "$c_PID" || fail "a node died without Redis"
echo "ok - without Redis for 10 s: /healthz 503 with the reason, changes and new registrations refused (cluster state unavailable), keepalives still answered ($(date +%T))"

# Redis back, empty: the nodes put their registrations back within 10 s.
REDIS_KEEP_PORT=1 start_redis
wait_for 10 sh -c "curl -s -o /dev/null -w '%{http_code}' $a_URL/healthz | grep -q 200" || fail "healthz not 200 again"
wait_for 10 sh -c "[ \"\$(REDISCLI_AUTH=\$(cat $T/rpass) redis-cli -p $REDIS_PORT eval \"return #redis.call('keys', 'p2p:peer:p*')\" 0)\" = 30 ]" ||
    fail "registrations not back in Redis: $(rcli eval "return #redis.call('keys', 'p2p:peer:p*')" 0)"
for n in a b c; do
	api $n GET /v1/peers/p5
	expect 200 "peer p5 on node $n after Redis came back empty"
done
echo "ok - Redis restarted empty: the 30 registrations are back within 10 s ($(date +%T))"

# Groups live in Redis only: with AOF they survive a Redis restart.
api a POST /v1/groups -d '{"name":"durable","attributes":{"k":"v"}}'
expect 201 "durable group"
api b PUT /v1/groups/durable/members/p1
expect 201 "durable member"
rcli config set appendonly yes >/dev/null
wait_for 10 sh -c "REDISCLI_AUTH=\$(cat $T/rpass) redis-cli -p $REDIS_PORT info persistence | grep -q 'aof_rewrite_in_progress:0'" || fail "no AOF rewrite"
sleep 1
rcli shutdown >/dev/null 2>&1
wait "$REDIS_PID" 2>/dev/null
REDIS_KEEP_PORT=1 start_redis --appendonly yes
wait_for 15 code_is c /v1/groups/durable 200 || fail "the AOF group is not back: $(cat "$T/body")"
body_has '"peer_id":"p1"' "durable member after the restart"
echo "ok - Redis restarted from its AOF: groups are back ($(date +%T))"

# SIGKILL of node c: its registrations are reaped by the others.
# (After the restart each node finds within a heartbeat that it must join
# again, and puts its registrations back.)
c_peer() {
	cslot=$(rcli hget p2p:slotof c)
	cpeer=$(rcli smembers "p2p:np:${cslot:-0}" | head -n 1)
	[ -n "$cpeer" ]
}
wait_for 10 c_peer || fail "no peer registered on node c (slot ${cslot:-none})"
c_peer
kill -9 "$c_PID"
wait_for 20 code_is a "/v1/peers/$cpeer" 404 || fail "peer $cpeer of the dead node c still registered"
echo "ok - SIGKILL of node c: its registrations were reaped (peer $cpeer gone) ($(date +%T))"

# A restart of c takes its id over with a higher epoch.
e1=$(sed -n 's/.*node c, epoch \([0-9]*\),.*/\1/p' "$T/c.log" | tail -n 1)
start_node c
e2=$(sed -n 's/.*node c, epoch \([0-9]*\),.*/\1/p' "$T/c.log" | tail -n 1)
[ "$e2" -gt "$e1" ] || fail "epoch of c: $e1 then $e2"
echo "ok - node c restarted with its own id: epoch $e1 -> $e2 ($(date +%T))"

# SIGKILL and an immediate restart: the dead run's alive key still holds
# the id (it lives 10 s), and the new run takes over at once instead of
# watching the key for a heartbeat.
wait_for 10 code_is c /healthz 200 || fail "node c not healthy"
kill -9 "$c_PID"
wait "$c_PID" 2>/dev/null
[ -n "$(rcli get p2p:alive:c)" ] || fail "the dead run of c no longer holds its id"
: >"$T/c.log"
start_node c
grep -q "node id c is held by this node's previous run .*taking over" "$T/c.log" ||
    fail "node c did not take its id over from its dead run: $(grep cluster: "$T/c.log")"
! grep -q "waiting" "$T/c.log" || fail "node c waited for its dead run: $(grep cluster: "$T/c.log")"
e3=$(sed -n 's/.*node c, epoch \([0-9]*\),.*/\1/p' "$T/c.log" | tail -n 1)
[ "$e3" -gt "$e2" ] || fail "epoch of c: $e2 then $e3"
wait_for 10 code_is c /healthz 200 || fail "node c not healthy after taking its id over"
echo "ok - node c killed and restarted at once: took its id over from its dead run (epoch $e2 -> $e3) ($(date +%T))"
kill $LG 2>/dev/null
echo "PASS"
