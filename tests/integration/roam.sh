#!/bin/sh
# SPDX-License-Identifier: ISC
# Roaming (PROTOCOL.md §2.1): an agent whose address changes (another
# network, as from Wi-Fi to LTE) keeps its registration and its relayed
# session. The server moves a registration to a new address only after
# the agent answers a challenge sent there (issue 15, finding 3), so this
# checks that an honest move still goes through: alice's default route
# switches from one of her links to the other, the server logs the move to
# the new address, her public address follows, and relayed messages cross
# both ways. carol moves with her and keeps a direct path with dave: it
# must follow her to her new address (dave checks only addresses of hers
# he was introduced with or heard her from: PROTOCOL.md §2.7).
#
#   alice a0 10.80.1.2 --r1-- router --r2-- 10.80.2.2 s0: server and bob
#         a1 10.80.3.2 --r3--/
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"

netns_require
ns_add a r s
ns_link r r1 10.80.1.1/24 a a0 10.80.1.2/24
ns_link r r3 10.80.3.1/24 a a1 10.80.3.2/24
ns_link r r2 10.80.2.1/24 s s0 10.80.2.2/24
ns_no_ipv6 a r s
ns_route a default 10.80.1.1
ns_route s default 10.80.2.1
ns_forward r

mkdir -p "$T/srv"
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"; chmod 600 "$T/secret"
ns_bg s "$P2P_SERVER" -f -v --listen 10.80.2.2:0 --secret-file "$T/secret" \
    --state-dir "$T/srv" >"$T/server.log" 2>&1
wait_for 10 test -s "$T/srv/port" || fail "server did not start"
SERVER_PORT=$(cat "$T/srv/port")
ns_agent() {	# ns_agent NS NAME [--no-direct]
	mkdir -p "$T/$2"
	mint "$2" g > "$T/$2/token" || fail "minting a token for $2"
	ns_bg "$1" "$P2PD" -f -v --server "10.80.2.2:$SERVER_PORT" ${3:-} \
	    --keepalive 2 --token-file "$T/$2/token" --socket "$T/$2/sock" \
	    --state-dir "$T/$2" >"$T/$2.log" 2>&1
}
ns_agent a alice --no-direct
ns_agent s bob --no-direct
# carol and dave keep a direct path, which must follow carol's move.
ns_agent a carol
ns_agent s dave
wait_registered alice bob carol dave
ctl carol connect dave --timeout 10 >/dev/null || fail "carol cannot connect to dave"
remote() {	# remote: where dave sends carol's session
	ctl dave --json peers | sed -n 's/.*"remote_addr": *"\([^"]*\)".*/\1/p'
}
direct_from() {	# direct_from IP: dave's session with carol is direct to IP
	ctl dave --json peers | grep -q '"path": *"direct"' &&
	    case "$(remote)" in "$1":*) true ;; *) false ;; esac
}
wait_for 15 direct_from 10.80.1.2 || fail "no direct path dave -> carol at 10.80.1.2: $(remote)"
ctl alice connect bob --timeout 10 >/dev/null || fail "alice cannot connect to bob"
ctl alice send bob "before" || fail "send before the move"
[ "$(ctl bob recv --timeout 5)" = "before" ] || fail "recv before the move"
pub() { ctl alice --json status | sed -n 's/.*"public_addr": *"\([^"]*\)".*/\1/p'; }
case "$(pub)" in 10.80.1.2:*) ;; *) fail "alice's public address: $(pub)" ;; esac

# alice's traffic now leaves by her other link, from 10.80.3.2.
ns_exec a ip route replace default via 10.80.3.1 dev a1 || fail "route switch"
wait_for 20 grep -q "peer alice moved from 10.80.1.2:[0-9]* to 10.80.3.2:" "$T/server.log" ||
    fail "the server did not move alice to her new address"
wait_for 10 sh -c "'$P2PCTL' -s '$T/alice/sock' --json status | grep -q '\"public_addr\": *\"10.80.3.2:'" ||
    fail "alice's public address did not follow: $(pub)"
ctl alice send bob "after" || fail "send after the move"
[ "$(ctl bob recv --timeout 10)" = "after" ] || fail "recv after the move"
ctl bob send alice "and back" || fail "send back after the move"
[ "$(ctl alice recv --timeout 10)" = "and back" ] || fail "recv back after the move"
registered alice || fail "alice lost her registration"
# dave's direct path follows carol to 10.80.3.2 (the IP of her other link).
wait_for 20 direct_from 10.80.3.2 ||
    fail "dave's direct path did not follow carol: $(ctl dave --json peers)"
ctl carol ping dave -c 2 >/dev/null || fail "carol -> dave after the move"
echo "roam: $(grep -o 'peer alice moved.*' "$T/server.log"); the relayed session carried on both ways; dave's direct path to carol followed her to $(remote)"
