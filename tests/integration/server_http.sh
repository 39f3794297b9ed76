#!/bin/sh
# SPDX-License-Identifier: ISC
# server_http.sh: p2p-server's HTTP API (docs/HTTP.md) end to end with curl:
# the admin key (missing, wrong), /healthz, a token minted over HTTP that a
# real agent registers with, groups (create, duplicate, list, show, members,
# unknown groups, delete), bad requests (malformed JSON, unknown fields, wrong
# types, wrong methods, oversized bodies), /v1/events streaming the events of
# a PUT member, the stream cap, /metrics moving with traffic, and the start-up
# refusals (no key file, a readable key file, a public address without
# --http-public). Loopback port 0 only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
TOOL="$top_builddir/tests/integration/p2ptest"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/admin"
chmod 600 "$T/admin"
KEY=$(cat "$T/admin")

# api METHOD PATH [CURL ARGS...]: the status in CODE, the body in $T/body.
api() {
	_m=$1; _p=$2; shift 2
	CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' -X "$_m" \
	    -H "Authorization: Bearer $KEY" "$@" "$URL$_p") || CODE=000
}
# expect CODE WHAT: the last call's status.
expect() {
	[ "$CODE" = "$1" ] || fail "$2: status $CODE, expected $1: $(cat "$T/body")"
}
body_has() {	# body_has TEXT WHAT
	grep -qF -- "$1" "$T/body" || fail "$2: no '$1' in $(cat "$T/body")"
}
metric() {	# metric NAME: its value now
	curl -s -m 10 -H "Authorization: Bearer $KEY" "$URL/metrics" |
	    awk -v n="$1" '$1 == n { print $2 }'
}

start_server --http 127.0.0.1:0 --admin-key-file "$T/admin" --join-timeout 1
wait_for 10 test -s "$T/srv/http_port" || fail "no http_port file"
URL="http://127.0.0.1:$(cat "$T/srv/http_port")"

# The key.
CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' "$URL/v1/groups")
expect 401 "no key"
body_has '"error"' "no key"
CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' \
    -H "Authorization: Bearer ${KEY}x" "$URL/v1/groups")
expect 401 "a wrong key"
CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' \
    -H "Authorization: Basic $KEY" "$URL/v1/groups")
expect 401 "the key in another scheme"
CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' "$URL/healthz")
expect 200 "healthz without a key"
body_has '"status":"ok"' "healthz"
echo "ok - 401 without the key or with a wrong one; /healthz 200 without"

# Events: a stream opened before the changes below.
curl -s -N -m 60 -H "Authorization: Bearer $KEY" "$URL/v1/events" \
    >"$T/events" 2>/dev/null &
EV_PID=$!
PIDS="$PIDS $EV_PID"
wait_for 10 grep -q '"subscribed"' "$T/events" || fail "no events stream"

# A token over HTTP, and an agent that registers with it.
api POST /v1/tokens -d '{"peer_id": "alice", "ttl": 600, "groups": ["lobby"]}'
expect 200 "POST /v1/tokens"
body_has "\"udp\":\"127.0.0.1:$SERVER_PORT\"" "the token's udp endpoint"
body_has "\"tcp\":\"127.0.0.1:$SERVER_PORT\"" "the token's tcp endpoint"
sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$T/body" > "$T/alice.token"
grep -q '^p2pt\.' "$T/alice.token" || fail "no token in $(cat "$T/body")"
UDP=$(sed -n 's/.*"udp":"\([^"]*\)".*/\1/p' "$T/body")
mkdir -p "$T/alice"
"$P2PD" -f -v --server "$UDP" --token-file "$T/alice.token" \
    --socket "$T/alice/sock" --state-dir "$T/alice" >"$T/alice.log" 2>&1 &
PIDS="$PIDS $!"
wait_registered alice
api GET /v1/peers/alice
expect 200 "GET /v1/peers/alice"
body_has '"peer_id":"alice"' "peer alice"
body_has '"nat_type":"unknown"' "peer alice"
body_has '"token_groups":["lobby"]' "peer alice"
api GET /v1/peers
expect 200 "GET /v1/peers"
body_has '"peer_id":"alice"' "peer list"
api GET /v1/peers/nobody
expect 404 "an unregistered peer"
for bad in '{"ttl": 60}' '{"peer_id": "bad id!"}' '{"peer_id": "a", "ttl": "60"}' \
    '{"peer_id": "a", "ttl": 0}' '{"peer_id": "a", "groups": "lobby"}' \
    '{"peer_id": "a", "groups": [1]}'; do
	api POST /v1/tokens -d "$bad"
	expect 400 "token request $bad"
done
echo "ok - POST /v1/tokens: an agent registers with the token; bad fields 400"

# Groups.
api POST /v1/groups -d '{"name": "lobby", "attributes": {"map": "dust 2"}, "mesh": true}'
expect 201 "create lobby"
body_has '"attributes":{"map":"dust 2"}' "create lobby"
api POST /v1/groups -d '{"name": "lobby"}'
expect 409 "a duplicate create"
body_has '"error"' "a duplicate create"
api POST /v1/groups -d '{"name": "quiet", "mesh": false}'
expect 201 "create quiet"
api GET /v1/groups
expect 200 "list"
body_has '"name":"lobby"' "list"
body_has '"name":"quiet"' "list"
api PUT /v1/groups/lobby/members/alice
expect 201 "PUT alice"
api PUT /v1/groups/lobby/members/bob
expect 201 "PUT bob"
api PUT /v1/groups/lobby/members/bob
expect 200 "PUT bob again"
api GET /v1/groups/lobby
expect 200 "show lobby"
body_has '"members":[{"peer_id":"alice","online":true},{"peer_id":"bob","online":false}]' "show lobby"
body_has '"mesh":true' "show lobby"
api DELETE /v1/groups/lobby/members/bob
expect 204 "DELETE bob"
api DELETE /v1/groups/lobby/members/bob
expect 404 "DELETE bob again"
api GET /v1/groups/nope
expect 404 "show a missing group"
api PUT /v1/groups/nope/members/alice
expect 404 "PUT into a missing group"
api DELETE /v1/groups/nope/members/alice
expect 404 "DELETE from a missing group"
api DELETE /v1/groups/quiet
expect 204 "delete quiet"
api GET /v1/groups/quiet
expect 404 "show a deleted group"
echo "ok - groups: create 201, duplicate 409, list, show with online members, members PUT/DELETE, 404s, delete"

# Bad requests: 4xx with a JSON error, and the server still answers.
api POST /v1/groups -d '{"name": "x",'
expect 400 "truncated JSON"
body_has '"error":"malformed JSON' "truncated JSON"
api POST /v1/groups -d '{"name": "x"} trailing'
expect 400 "JSON with trailing data"
api POST /v1/groups -d '["x"]'
expect 400 "an array body"
api POST /v1/groups -d '{"name": "x", "colour": "red"}'
expect 400 "an unknown field"
body_has "unknown field 'colour'" "an unknown field"
api POST /v1/groups -d '{"name": 5}'
expect 400 "a number as name"
api POST /v1/groups -d '{"name": "x", "mesh": "yes"}'
expect 400 "a string as mesh"
api POST /v1/groups -d '{"name": "x", "attributes": {"k": 1}}'
expect 400 "a number as attribute"
api PATCH /v1/groups
expect 405 "PATCH /v1/groups"
api DELETE /v1/tokens
expect 405 "DELETE /v1/tokens"
api POST /healthz
expect 405 "POST /healthz"
api GET /v1/nothing
expect 404 "an unknown endpoint"
head -c 70000 /dev/zero | tr '\0' ' ' > "$T/big"
api POST /v1/groups --data-binary "@$T/big"
expect 413 "a 70000-byte body"
head -c 1000000 /dev/zero | tr '\0' ' ' > "$T/huge"
api POST /v1/groups --data-binary "@$T/huge"
expect 413 "a 1 MB body"
api GET /v1/groups/x
expect 404 "no group x was created by the bad requests"
echo "ok - malformed JSON, unknown fields, wrong types 400; wrong methods 405; oversized bodies 413"

# What the stream saw.
api PUT /v1/groups/lobby/members/carol
expect 201 "PUT carol"
wait_for 10 grep -q '"event":"join_complete","group":"lobby","peer_id":"carol"' "$T/events" ||
	fail "no join_complete for carol on /v1/events: $(cat "$T/events")"
grep -q '"event":"member_join","group":"lobby","peer_id":"carol"' "$T/events" ||
	fail "no member_join for carol: $(cat "$T/events")"
grep -q '"event":"member_leave","group":"lobby","peer_id":"bob"' "$T/events" ||
	fail "no member_leave for bob: $(cat "$T/events")"
grep -q '"event":"group_destroyed","group":"quiet"' "$T/events" ||
	fail "no group_destroyed: $(cat "$T/events")"
# Order: carol's join, then its join_complete.
grep -n 'carol' "$T/events" | head -1 | grep -q member_join ||
	fail "join_complete before member_join: $(cat "$T/events")"
echo "ok - /v1/events streams member_join, join_complete, member_leave, group_destroyed"

# The stream cap: 16 streams (the one above included), the 17th is refused.
SPIDS=""
i=1
while [ $i -lt 16 ]; do
	curl -s -N -m 60 -H "Authorization: Bearer $KEY" "$URL/v1/events" \
	    >"$T/ev.$i" 2>/dev/null &
	SPIDS="$SPIDS $!"
	i=$((i + 1))
done
PIDS="$PIDS $SPIDS"
i=1
while [ $i -lt 16 ]; do
	wait_for 10 grep -q subscribed "$T/ev.$i" || fail "stream $i did not open"
	i=$((i + 1))
done
api GET /v1/events -m 3
expect 503 "a 17th stream"
for p in $SPIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
api PUT /v1/groups/lobby/members/dave	# the server notices closed streams on write
wait_for 10 sh -c "[ \"\$(curl -s -H 'Authorization: Bearer $KEY' $URL/metrics |
    awk '\$1 == \"p2p_http_event_streams\" { print \$2 }')\" = 1 ]" ||
	fail "closed streams still counted"
echo "ok - at most 16 event streams; closed ones are released"

# Metrics move with traffic.
S0=$(metric p2p_stun_requests_total)
[ -n "$S0" ] || fail "no p2p_stun_requests_total in /metrics"
"$TOOL" stun 127.0.0.1 "$SERVER_PORT" >/dev/null || fail "p2ptest stun"
"$TOOL" stun 127.0.0.1 "$SERVER_PORT" >/dev/null || fail "p2ptest stun"
S1=$(metric p2p_stun_requests_total)
[ "$S1" -eq $((S0 + 2)) ] || fail "stun requests $S0 -> $S1 after two requests"
[ "$(metric p2p_registered_peers)" = 1 ] || fail "registered peers not 1"
[ "$(metric p2p_groups)" = 1 ] || fail "groups not 1"
J=$(curl -s -H "Authorization: Bearer $KEY" "$URL/metrics" |
    awk '$1 == "p2p_group_events_total{event=\"member_join\"}" { print $2 }')
[ "$J" = 4 ] || fail "member_join events: '$J', expected 4 (alice, bob, carol, dave)"
CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' "$URL/metrics")
expect 401 "/metrics without the key"
echo "ok - /metrics: STUN requests $S0 -> $S1, 1 peer, 1 group, 4 joins"

# A stream that does not read is dropped once 1 MiB waits for it: a group
# of 600 members without agents makes each join_complete list them all
# (about 11 MB of events in all), and a client reading 1 byte/s.
curl -s -N -m 120 --limit-rate 1 -H "Authorization: Bearer $KEY" \
    "$URL/v1/events" >/dev/null 2>&1 &
SLOW_PID=$!
PIDS="$PIDS $SLOW_PID"
wait_for 10 sh -c "[ \"\$(curl -s -H 'Authorization: Bearer $KEY' $URL/metrics |
    awk '\$1 == \"p2p_http_event_streams\" { print \$2 }')\" = 2 ]" ||
	fail "the slow stream did not open"
api POST /v1/groups -d '{"name": "crowd", "mesh": false}'
expect 201 "create crowd"
P=peer-with-a-long-name-to-make-the-join-complete-events-large
i=0; : >"$T/urls"
while [ $i -lt 600 ]; do
	echo "url = \"$URL/v1/groups/crowd/members/$P-$i\"" >>"$T/urls"
	echo "output = /dev/null" >>"$T/urls"
	i=$((i + 1))
done
curl -s -m 120 -X PUT -H "Authorization: Bearer $KEY" -K "$T/urls" ||
	fail "adding 600 members"
[ "$(metric p2p_http_event_streams_dropped_total)" = 1 ] ||
	fail "the slow stream was not dropped: $(curl -s -H "Authorization: Bearer $KEY" "$URL/metrics" | grep streams)"
[ "$(metric p2p_http_event_streams)" = 1 ] || fail "streams not back to 1"
api GET /v1/groups/crowd
expect 200 "show crowd"
body_has '"member_count":600' "show crowd"
grep -q '"peer_id":"'"$P"'-599"' "$T/events" || fail "the reading stream lost events"
kill "$SLOW_PID" 2>/dev/null
echo "ok - a stream 1 MiB behind is dropped; the others keep theirs"

# SIGTERM with a stream open: a clean exit.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "server exited $? on SIGTERM"
grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/server.log" &&
	fail "sanitizer report"
wait "$EV_PID" 2>/dev/null
echo "ok - SIGTERM with an open event stream: exit 0"

# Start-up refusals.
refused() {	# refused MESSAGE ARGS...: the server must exit non-zero saying so
	_msg=$1; shift
	rm -rf "$T/srv2"; mkdir -p "$T/srv2"
	"$P2P_SERVER" -f --listen 127.0.0.1:0 --secret-file "$T/secret" \
	    --state-dir "$T/srv2" "$@" >"$T/refused.out" 2>&1 &
	_p=$!
	PIDS="$PIDS $_p"
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	kill -0 "$_p" 2>/dev/null && fail "the server runs with $*"
	wait "$_p" && fail "the server exited 0 with $*"
	grep -q -- "$_msg" "$T/refused.out" ||
		fail "no '$_msg' for $*: $(cat "$T/refused.out")"
}
refused "needs --admin-key-file" --http 127.0.0.1:0
refused "not a loopback address" --http 0.0.0.0:0 --admin-key-file "$T/admin"
cp "$T/admin" "$T/admin.644"; chmod 644 "$T/admin.644"
refused "chmod 600" --http 127.0.0.1:0 --admin-key-file "$T/admin.644"
echo "ok - refused: --http without a key file, a public address without --http-public, a readable key file"

# --advertise (and --http-public accepted; the test binds loopback only).
rm -f "$T/srv/port" "$T/srv/http_port"
start_server --http 127.0.0.1:0 --http-public --admin-key-file "$T/admin" \
    --advertise p2p.example.net:3478
URL="http://127.0.0.1:$(cat "$T/srv/http_port")"
api POST /v1/tokens -d '{"peer_id": "bob"}'
expect 200 "a token with --advertise"
body_has '"udp":"p2p.example.net:3478","tcp":"p2p.example.net:3478"' "--advertise"
echo "ok - /v1/tokens returns the --advertise address"
exit 0
