#!/bin/sh
# SPDX-License-Identifier: ISC
# match.sh: matchmaking on one p2p-server through POST /v1/match
# (docs/HTTP.md): 200 devices with mixed attributes and sizes, their tickets
# sent at once in a shuffled order by a driver of concurrent HTTP clients.
# Every ticket is answered once, within its timeout; matches hold exactly
# `size` devices whose attributes are all the group's; each pool leaves
# fewer than `size` devices unmatched (they time out); GET /v1/groups?K=V
# finds exactly the match groups having those attributes; tickets that are
# cancelled (DELETE) or whose client goes away end and leave nothing
# behind; match groups go when their last member leaves and at
# --match-lifetime; bad tickets get 400 naming what is wrong. Then agents'
# tickets (srvclient speaking the agent protocol): bad requests, a match
# with member events and introductions, GroupSearch within the policy, a
# timeout, a cancel, a ticket that outlives its agent registering again,
# and one that ends after its device is gone. Loopback port 0 only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3 to check the answers"

TIMEOUT=10	# s, of every ticket
LIFETIME=25	# s, --match-lifetime

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/admin"
chmod 600 "$T/admin"
KEY=$(cat "$T/admin")

api() {	# api METHOD PATH [CURL ARGS...]: status in CODE, body in $T/body
	_m=$1; _p=$2; shift 2
	CODE=$(curl -s -m 20 -o "$T/body" -w '%{http_code}' -X "$_m" \
	    -H "Authorization: Bearer $KEY" "$@" "$URL$_p") || CODE=000
}
expect() {	# expect CODE WHAT
	[ "$CODE" = "$1" ] || fail "$2: status $CODE, expected $1: $(cat "$T/body")"
}
body_has() {	# body_has TEXT WHAT
	grep -qF -- "$1" "$T/body" || fail "$2: no '$1' in $(cat "$T/body")"
}

# A malformed --match-lifetime is refused with its name.
if "$P2P_SERVER" --secret-file /dev/null --match-lifetime 5s --check-config \
    >"$T/bad.out" 2>&1; then
	fail "--match-lifetime 5s accepted"
fi
grep -q "match-lifetime" "$T/bad.out" || fail "no option name in: $(cat "$T/bad.out")"
echo "ok - a malformed --match-lifetime is refused by name"

start_server --http 127.0.0.1:0 --admin-key-file "$T/admin" \
    --match-lifetime "$LIFETIME"
wait_for 10 test -s "$T/srv/http_port" || fail "no http_port file"
URL="http://127.0.0.1:$(cat "$T/srv/http_port")"

# Bad tickets: 400 and a message naming what is wrong; nothing is queued.
bad() {	# bad BODY TEXT
	api POST /v1/match -d "$1"
	expect 400 "ticket $1"
	body_has "$2" "ticket $1"
}
bad '{"peer_id":"x","size":0}' "size 0"
bad '{"peer_id":"x","size":1000000}' "size 1000000"
bad '{"peer_id":"x","size":"2"}' "size: an integer"
bad '{"peer_id":"x"}' "size"
bad '{"size":2}' "peer_id"
bad '{"peer_id":"no way","size":2}' "peer_id"
bad '{"peer_id":"x","size":2,"timeout":0}' "timeout 0"
bad '{"peer_id":"x","size":2,"timeout":99999}' "timeout 99999"
bad '{"peer_id":"x","size":2,"attributes":{"m ap":"dunes"}}' "m ap"
bad '{"peer_id":"x","size":2,"attributes":{"map":""}}' "attribute map"
bad '{"peer_id":"x","size":2,"attributes":{"map":7}}' "map: not a string"
bad '{"peer_id":"x","size":2,"attributes":["map"]}' "attributes"
bad '{"peer_id":"x","size":2,"attributes":{"a":"1","b":"1","c":"1","d":"1","e":"1","f":"1","g":"1","h":"1","i":"1"}}' "too many"
bad '{"peer_id":"x","size":2,"colour":"red"}' "colour"
bad '{"peer_id":"x","size":2' "JSON"
api GET "/v1/groups?map"
expect 400 "a search without a value"
body_has "KEY=VALUE" "a search without a value"
api GET "/v1/groups?b%20ad=1"
expect 400 "a search with a bad key"
api PUT /v1/match
expect 405 "PUT /v1/match"
api GET /v1/match
expect 200 "GET /v1/match"
body_has '"tickets":0' "nothing queued by bad tickets"
echo "ok - bad tickets and searches get 400 naming what is wrong"

. "${top_srcdir:-.}/tests/integration/match_lib.sh"
match_200 "$URL"

# A match group goes when its last member leaves.
read -r name m1 m2 < "$T/one_group"
api DELETE "/v1/groups/$name/members/$m1"
expect 204 "$m1 leaves $name"
api GET "/v1/groups/$name"
expect 200 "$name with one member left"
api DELETE "/v1/groups/$name/members/$m2"
expect 204 "$m2 leaves $name"
api GET "/v1/groups/$name"
expect 404 "$name after its last member left"
echo "ok - a match group goes when its last member leaves"

# The others go at --match-lifetime; groups made by hand stay.
api POST /v1/groups -d '{"name":"lobby","attributes":{"map":"dunes"}}'
expect 201 "POST /v1/groups lobby"
wait_for $((LIFETIME + 10)) sh -c "! curl -s -H 'Authorization: Bearer $KEY' \
    '$URL/v1/groups' | grep -q '\"name\":\"m-'" ||
    fail "match groups outlived --match-lifetime: $(curl -s -H \
    "Authorization: Bearer $KEY" "$URL/v1/groups" | head -c 300)"
api GET /v1/groups
body_has '"name":"lobby"' "the group made by hand"
grep -q '"name":"m-' "$T/body" && fail "match groups left: $(cat "$T/body")"
echo "ok - match groups end at --match-lifetime; others stay"

# Agents' tickets (PROTOCOL.md §7.1), driven by srvclient over UDP and TCP.
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
rm -rf "$T/srv"	# a fresh state: no groups of the first server
start_server --join-timeout 2
"$top_builddir/tests/integration/srvclient" "$SERVER_PORT" "$T/secret" match ||
    fail "srvclient match"
grep -q "match: ticket of erin ended: gone" "$T/server.log" ||
    fail "erin's ticket did not end as gone"
if grep -q "ERROR: \(Leak\|Address\)Sanitizer\|runtime error" "$T/server.log"; then
	fail "sanitizer report"
fi
exit 0
