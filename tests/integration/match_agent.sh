#!/bin/sh
# SPDX-License-Identifier: ISC
# match_agent.sh: matchmaking through real agents and p2pctl (PROTOCOL.md
# §7.1): two `p2pctl match` with equal attributes get the same match group
# (--json as `group show` prints it, attributes included) and a session;
# a different size or attributes stays apart; `group show` lists the
# attributes; `group search` finds the group; a ticket with no partner
# exits 1 at its timeout with a clear message; `match --cancel` from
# another shell and Ctrl-C (the client going away) both cancel the ticket
# and leave nothing at the server; a device holds one ticket; malformed
# attributes, sizes and timeouts are refused by name; attributes the
# backend vouches for in the token (p2p-server token --attr, POST
# /v1/tokens "attributes") override what the device claims, and malformed
# ones are refused by name. Loopback port 0 only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3 to read the JSON answers"

jget() {	# jget FILE EXPR: a Python expression over the JSON in FILE (j)
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
tickets() {	# the tickets waiting at the server (matched ones stay 15 s)
	http_get /v1/match | "$PY" -c 'import json,sys; print(sum(p["waiting"] for p in json.load(sys.stdin)["pools"]))'
}
waiting() {	# waiting PEER: PEER's ticket waits at the server
	http_get "/v1/match/$1" | grep -q '"status": *"waiting"'
}
no_ticket() {	# no_ticket PEER: the server holds no ticket of PEER
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$URL/v1/match/$1")" = 404 ]
}

start_http_server
for a in alice bob carol dave erin; do start_agent "$a"; done
wait_registered alice bob carol dave erin

# Malformed tickets are refused by name, before anything reaches the server.
badm() {	# badm TEXT ARGS...: p2pctl match ARGS fails saying TEXT
	_want=$1; shift
	if ctl alice match "$@" >"$T/bad.out" 2>&1; then
		fail "match $* accepted"
	fi
	grep -qF -- "$_want" "$T/bad.out" || fail "match $*: no '$_want' in: $(cat "$T/bad.out")"
}
badm "bad --attr 'map'" --attr map --size 2
badm "bad --attr '=dunes'" --attr =dunes --size 2
badm "bad --attr 'map='" --attr map= --size 2
badm "attribute 'm ap=dunes'" --attr "m ap=dunes" --size 2
badm "attribute map: a value of 1 to 64" --attr "map=$(printf '%070d' 0)" --size 2
badm "at most 8" --attr a=1 --attr b=1 --attr c=1 --attr d=1 --attr e=1 \
    --attr f=1 --attr g=1 --attr h=1 --attr i=1 --size 2
badm "attribute map" --attr map=a --attr map=b --size 2
badm "bad --size '0'" --attr map=dunes --size 0
badm "bad --size '1000000'" --attr map=dunes --size 1000000
badm "bad --size 'two'" --attr map=dunes --size two
badm "--size is missing" --attr map=dunes
badm "bad --timeout '0'" --attr map=dunes --size 2 --timeout 0
badm "bad --timeout '99999'" --attr map=dunes --size 2 --timeout 99999
badm "--cancel takes no other option" --cancel --size 2
if ctl alice group search map >"$T/bad.out" 2>&1; then fail "group search map accepted"; fi
grep -qF "bad attribute 'map'" "$T/bad.out" || fail "group search map: $(cat "$T/bad.out")"
[ "$(tickets)" = 0 ] || fail "a bad ticket was queued: $(tickets) tickets"
echo "ok - malformed attributes, sizes and timeouts are refused by name"

# Two devices with equal attributes: one match group, printed as group show.
ctl alice --json match --attr map=dunes --attr mode=duel --size 2 \
    --timeout 20 >"$T/a.json" 2>"$T/a.err" &
MA=$!
ctl carol --json match --attr map=dunes --attr mode=ffa --size 2 \
    --timeout 3 >"$T/c.json" 2>"$T/c.err" &
MC=$!
ctl dave --json match --attr map=dunes --attr mode=duel --size 3 \
    --timeout 3 >"$T/d.json" 2>"$T/d.err" &
MD=$!
sleep 0.5
ctl bob --json match --attr mode=duel --attr map=dunes --size 2 \
    --timeout 20 >"$T/b.json" 2>"$T/b.err" || fail "bob's match: $(cat "$T/b.err")"
wait "$MA" || fail "alice's match: $(cat "$T/a.err")"
G=$(jget "$T/a.json" 'j["name"]')
[ "$(jget "$T/b.json" 'j["name"]')" = "$G" ] || fail "alice and bob in different groups: $(cat "$T/a.json" "$T/b.json")"
case $G in m-????????????????) ;; *) fail "match group name '$G'" ;; esac
[ "$(jget "$T/a.json" 'sorted(m["peer_id"] for m in j["members"])')" = "['alice', 'bob']" ] ||
	fail "members: $(cat "$T/a.json")"
[ "$(jget "$T/a.json" 'j["attributes"]')" = "{'map': 'dunes', 'mode': 'duel'}" ] ||
	fail "attributes: $(cat "$T/a.json")"
[ "$(jget "$T/a.json" 'j["mesh"] and j["member_count"] == 2 and j["expires_at"] > 0')" = True ] ||
	fail "mesh, member_count, expires_at: $(cat "$T/a.json")"
ctl alice --json group show "$G" >"$T/show.json" || fail "group show $G"
[ "$(jget "$T/show.json" 'sorted(j.keys())')" = "$(jget "$T/a.json" 'sorted(j.keys())')" ] ||
	fail "match and group show print different keys: $(cat "$T/a.json" "$T/show.json")"
[ "$(jget "$T/show.json" 'j["attributes"]')" = "{'map': 'dunes', 'mode': 'duel'}" ] ||
	fail "group show attributes: $(cat "$T/show.json")"
ctl alice group show "$G" >"$T/show.txt" || fail "group show $G (text)"
grep -qx "attribute map=dunes" "$T/show.txt" && grep -qx "attribute mode=duel" "$T/show.txt" ||
	fail "group show (text) lists no attributes: $(cat "$T/show.txt")"
wait_for 10 sh -c "'$P2PCTL' -s '$T/alice/sock' peers | grep -q '^bob  *up '" ||
	fail "no session alice - bob in the match group"
echo "ok - two equal tickets make one match group ($G), printed as group show, with a session"

# Different attributes or size stay apart and end at their timeout.
wait "$MC" && fail "carol (mode=ffa) was matched: $(cat "$T/c.json")"
grep -q "no match within 3 s" "$T/c.err" || fail "carol's timeout message: $(cat "$T/c.err")"
wait "$MD" && fail "dave (size 3) was matched: $(cat "$T/d.json")"
grep -q "no match within 3 s" "$T/d.err" || fail "dave's timeout message: $(cat "$T/d.err")"
echo "ok - other attributes and sizes are not matched; their timeout exits 1 saying so"

# Search: the match group by its attributes, not by others.
ctl alice --json group search map=dunes >"$T/s.json" || fail "group search map=dunes"
[ "$(jget "$T/s.json" '[g["name"] for g in j]')" = "['$G']" ] || fail "search map=dunes: $(cat "$T/s.json")"
ctl alice --json group search map=dunes mode=ffa >"$T/s2.json" || fail "group search ffa"
[ "$(jget "$T/s2.json" 'len(j)')" = 0 ] || fail "search mode=ffa: $(cat "$T/s2.json")"
ctl alice group search mode=duel | grep -q "^$G mesh 2 members map=dunes mode=duel$" ||
	fail "group search (text): $(ctl alice group search mode=duel)"
echo "ok - group search finds the match group by its attributes"

# One ticket per device; match --cancel from another shell ends it.
ctl erin match --attr map=moon --size 2 --timeout 30 >/dev/null 2>"$T/e.err" &
ME=$!
wait_for 10 waiting erin || fail "erin's ticket is not waiting at the server"
if ctl erin match --attr map=moon --size 2 >"$T/e2.out" 2>&1; then fail "a second ticket of erin accepted"; fi
grep -q "already waits for a match" "$T/e2.out" || fail "second ticket: $(cat "$T/e2.out")"
ctl erin match --cancel || fail "match --cancel"
wait "$ME" && fail "erin's cancelled match succeeded"
grep -q "cancelled" "$T/e.err" || fail "erin's cancelled match said: $(cat "$T/e.err")"
no_ticket erin || fail "erin's ticket is still there: $(http_get /v1/match/erin)"
[ "$(tickets)" = 0 ] || fail "$(tickets) tickets left after the cancel"
if ctl erin match --cancel 2>"$T/e3.err"; then fail "cancel without a ticket succeeded"; fi
grep -q "no ticket" "$T/e3.err" || fail "cancel without a ticket: $(cat "$T/e3.err")"
echo "ok - one ticket per device; match --cancel cancels it and leaves nothing"

# Ctrl-C: the client goes away, the agent cancels the ticket.
# (p2pctl itself, not the ctl function's subshell, gets the signal)
"$P2PCTL" -s "$T/erin/sock" match --attr map=moon --size 2 --timeout 30 \
    >/dev/null 2>"$T/e5.err" &
ME=$!
wait_for 10 waiting erin || fail "erin's second ticket is not waiting"
kill -INT "$ME"
wait "$ME" && fail "an interrupted match succeeded"
grep -q "interrupted: the ticket is cancelled" "$T/e5.err" || fail "Ctrl-C said: $(cat "$T/e5.err")"
wait_for 10 no_ticket erin ||
	fail "erin's ticket survived Ctrl-C: $(http_get /v1/match/erin)"
[ "$(tickets)" = 0 ] || fail "$(tickets) tickets left after Ctrl-C"
# And the device can ask again at once.
ctl erin match --attr map=moon --size 2 --timeout 1 >/dev/null 2>"$T/e4.err" &&
	fail "erin matched alone"
grep -q "no match within 1 s" "$T/e4.err" || fail "erin after Ctrl-C: $(cat "$T/e4.err")"
echo "ok - Ctrl-C cancels the ticket (the agent cancels for a client that goes away)"

# Vouched attributes: vic's token says region=eu (p2p-server token --attr),
# wes's comes from POST /v1/tokens with region=eu too; vic claims
# region=us, wes claims region=eu: the token wins, they match, and the
# group carries region=eu.
if "$P2P_SERVER" token --secret-file "$T/secret" --peer x --attr region \
    >"$T/bad.out" 2>&1; then fail "token --attr region accepted"; fi
grep -q -- "--attr: attribute 'region': expected KEY=VALUE" "$T/bad.out" ||
	fail "token --attr region: $(cat "$T/bad.out")"
if "$P2P_SERVER" token --secret-file "$T/secret" --peer x --attr a=1 --attr a=2 \
    >"$T/bad.out" 2>&1; then fail "token --attr a=1 --attr a=2 accepted"; fi
grep -q -- "--attr: .*a" "$T/bad.out" || fail "token with a key twice: $(cat "$T/bad.out")"
api_post() {	# api_post PATH BODY: status in CODE, body in $T/body
	CODE=$(curl -s -m 10 -o "$T/body" -w '%{http_code}' -X POST \
	    -H "Authorization: Bearer $KEY" -d "$2" "$URL$1") || CODE=000
}
api_post /v1/tokens '{"peer_id":"wes","attributes":{"region":""}}'
[ "$CODE" = 400 ] && grep -q "attribute region" "$T/body" ||
	fail "a token with an empty attribute: $CODE $(cat "$T/body")"
api_post /v1/tokens '{"peer_id":"wes","attributes":["region"]}'
[ "$CODE" = 400 ] && grep -q "attributes" "$T/body" ||
	fail "a token with attributes not an object: $CODE $(cat "$T/body")"
echo "ok - malformed vouched attributes are refused by name (token --attr, POST /v1/tokens)"

mkdir -p "$T/vic" "$T/wes"
"$P2P_SERVER" token --secret-file "$T/secret" --peer vic --state-dir "$T/srv" \
    --attr region=eu > "$T/vic/token" || fail "minting vic's token"
api_post /v1/tokens '{"peer_id":"wes","attributes":{"region":"eu"}}'
[ "$CODE" = 200 ] || fail "POST /v1/tokens with attributes: $CODE $(cat "$T/body")"
"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$T/body" > "$T/wes/token"
for a in vic wes; do
	"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --token-file "$T/$a/token" \
	    --socket "$T/$a/sock" --state-dir "$T/$a" >"$T/$a.log" 2>&1 &
	PIDS="$PIDS $!"
done
wait_registered vic wes
ctl vic --json match --attr region=us --attr mode=duel --size 2 --timeout 20 \
    >"$T/v.json" 2>"$T/v.err" &
MV=$!
sleep 0.3
ctl wes --json match --attr region=eu --attr mode=duel --size 2 --timeout 20 \
    >"$T/w.json" 2>"$T/w.err" || fail "wes's match: $(cat "$T/w.err")"
wait "$MV" || fail "vic's match (claimed region=us, token region=eu): $(cat "$T/v.err")"
[ "$(jget "$T/v.json" 'j["name"]')" = "$(jget "$T/w.json" 'j["name"]')" ] ||
	fail "vic and wes in different groups"
[ "$(jget "$T/v.json" 'j["attributes"]')" = "{'mode': 'duel', 'region': 'eu'}" ] ||
	fail "vic's group attributes: $(cat "$T/v.json")"
echo "ok - token-vouched attributes override the device's claim (vic claimed region=us, matched in region=eu)"

# Tickets that do not wait (POST "wait": false): 202 at once; GET
# /v1/match/PEER shows them waiting; their outcome comes on /v1/events.
curl -s -N -m 60 -H "Authorization: Bearer $KEY" "$URL/v1/events" >"$T/events" 2>/dev/null &
PIDS="$PIDS $!"
wait_for 10 grep -q subscribed "$T/events" || fail "no /v1/events stream"
api_post /v1/match '{"peer_id":"nw1","size":2,"wait":"no"}'
[ "$CODE" = 400 ] && grep -q "wait: true or false" "$T/body" || fail "wait: \"no\": $CODE $(cat "$T/body")"
api_post /v1/match '{"peer_id":"nw1","size":2,"attributes":{"map":"poll"},"timeout":20,"wait":false}'
[ "$CODE" = 202 ] || fail "a non-waiting ticket: $CODE $(cat "$T/body")"
[ "$(jget "$T/body" 'j["status"], j["peer_id"], j["ticket"] != 0')" = "('waiting', 'nw1', True)" ] ||
	fail "202 body: $(cat "$T/body")"
waiting nw1 || fail "nw1 is not waiting: $(http_get /v1/match/nw1)"
api_post /v1/match '{"peer_id":"nw2","size":2,"attributes":{"map":"poll"},"timeout":20,"wait":false}'
[ "$CODE" = 202 ] || fail "nw2's ticket: $CODE $(cat "$T/body")"
wait_for 10 grep -q '"event":"match","peer_id":"nw1".*"outcome":"matched"' "$T/events" ||
	fail "no matched event for nw1: $(cat "$T/events")"
NG=$(sed -n 's/.*"event":"match","peer_id":"nw1".*"outcome":"matched","group":"\(m-[0-9a-f]*\)".*/\1/p' "$T/events")
[ -n "$NG" ] || fail "nw1's matched event names no group: $(cat "$T/events")"
wait_for 10 grep -q "\"peer_id\":\"nw2\".*\"outcome\":\"matched\",\"group\":\"$NG\"" "$T/events" ||
	fail "nw2 not matched into $NG: $(cat "$T/events")"
[ "$(http_get "/v1/groups/$NG" | "$PY" -c 'import json,sys; print(sorted(m["peer_id"] for m in json.load(sys.stdin)["members"]))')" = "['nw1', 'nw2']" ] ||
	fail "group $NG: $(http_get "/v1/groups/$NG")"
api_post /v1/match '{"peer_id":"nw3","size":2,"attributes":{"map":"nobody"},"timeout":1,"wait":false}'
[ "$CODE" = 202 ] || fail "nw3's ticket: $CODE $(cat "$T/body")"
wait_for 10 grep -q '"peer_id":"nw3".*"outcome":"timeout"' "$T/events" ||
	fail "no timeout event for nw3: $(cat "$T/events")"
no_ticket nw3 || fail "nw3's ticket is still there"
echo "ok - non-waiting tickets: 202 at once, waiting in GET /v1/match/PEER, matched ($NG) and timed out on /v1/events"
