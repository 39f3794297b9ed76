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
# attributes, sizes and timeouts are refused by name. Loopback port 0 only.
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
