#!/bin/sh
# SPDX-License-Identifier: ISC
# Agents authenticate the server (PROTOCOL.md §2.1), and what an attacker
# of the registration gets: nothing.
#
#  1. flags: a malformed --server-key (flag and config line) is refused by
#     name; a token without a key is refused unless
#     --allow-unauthenticated-server; a version 1 token works with
#     --server-key; the next key of a rotation is accepted.
#  2. spoofed errors (finding 1): UNKNOWN_REG and VERSION_ERROR from the
#     server's address make the agent check, not leave: it stays registered
#     with the same registration and its relayed pings keep coming back.
#  3. a forged introduction (a CTRL Introduce from the server's address,
#     sealed without the channel's keys) is dropped: no peer "mallory".
#  4. a fake server that answers REG_HELLO without the key: no token, no
#     registration, the agent says why; when the path reaches the real
#     server again, the agent registers there. An agent allowed to skip the
#     check (--allow-unauthenticated-server, a version 1 token) is fooled
#     by the same fake: that is why it is off by default.
#  5. a man in the middle on a namespace path (a router that redirects the
#     server's port to regmitm, which rewrites registration packets): no
#     registration, no token; once it only forwards, the agent registers.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"
MITM="$top_builddir/tests/integration/regmitm"
TOOL="$top_builddir/tests/integration/p2ptest"

start_http_server
SKEY=$(server_key) || fail "p2p-server key"

# ---- 1. flags ------------------------------------------------------------
mkdir -p "$T/cf"
"$TOOL" token "$T/secret" cf 0 3600 1 g > "$T/cf/token"
err=$("$P2PD" -f --server 127.0.0.1:9 --token-file "$T/cf/token" --server-key bogus \
    --socket "$T/x.sock" --state-dir "$T/x" 2>&1) && fail "--server-key bogus accepted"
echo "$err" | grep -q -- "--server-key: 'bogus' is not a server key" ||
    fail "--server-key bogus: $err"
printf 'server = 127.0.0.1:9\ntoken-file = %s\nserver-key = %s\n' \
    "$T/cf/token" "${SKEY%?}!" > "$T/cf/conf"
err=$("$P2PD" -f -c "$T/cf/conf" --socket "$T/cf/sock" --state-dir "$T/cf" 2>&1) &&
    fail "a config file with a bad server-key was accepted"
echo "$err" | grep -q "server-key: '.*' is not a server key" || fail "config server-key: $err"
err=$("$P2PD" -f --server "127.0.0.1:$SERVER_PORT" --token-file "$T/cf/token" \
    --socket "$T/cf/sock" --state-dir "$T/cf" 2>&1) &&
    fail "an agent started with a version 1 token and no server key"
echo "$err" | grep -q "no server key to trust" && echo "$err" | grep -q -- "--allow-unauthenticated-server" ||
    fail "a token without a key: $err"
echo "ok - malformed --server-key (flag, config line) and a keyless token are refused by name"

mkdir -p "$T/old"
"$TOOL" token "$T/secret" old 0 3600 1 g > "$T/old/token"
"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --token-file "$T/old/token" \
    --server-key "$SKEY" --socket "$T/old/sock" --state-dir "$T/old" >"$T/old.log" 2>&1 &
PIDS="$PIDS $!"
wait_registered old
echo "ok - a version 1 token with --server-key registers"

# Rotation: a second server holding the next key beside the current one;
# an agent that knows only the next key registers, so does one with both.
mkdir -p "$T/srv3"
"$P2P_SERVER" key --key-file "$T/next.key" > "$T/next.pub" 2>/dev/null || fail "p2p-server key"
"$P2P_SERVER" -f -v --listen 127.0.0.1:0 --secret-file "$T/secret" --state-dir "$T/srv3" \
    --key-file "$T/srv/server.key" --next-key-file "$T/next.key" >"$T/server3.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 test -s "$T/srv3/port" || fail "the rotating server did not start"
P3=$(cat "$T/srv3/port")
mkdir -p "$T/rot"
"$TOOL" token "$T/secret" rot 0 3600 1 g > "$T/rot/token"
"$P2PD" -f -v --server "127.0.0.1:$P3" --token-file "$T/rot/token" \
    --server-key "$(cat "$T/next.pub")" --socket "$T/rot/sock" --state-dir "$T/rot" \
    >"$T/rot.log" 2>&1 &
PIDS="$PIDS $!"
mkdir -p "$T/rot2"
"$P2P_SERVER" token --secret-file "$T/secret" --peer rot2 --state-dir "$T/srv" \
    --next-key-file "$T/next.key" > "$T/rot2/token" || fail "minting with two keys"
"$P2PD" -f -v --server "127.0.0.1:$P3" --token-file "$T/rot2/token" \
    --socket "$T/rot2/sock" --state-dir "$T/rot2" >"$T/rot2.log" 2>&1 &
PIDS="$PIDS $!"
wait_registered rot rot2
echo "ok - rotation: the next key (pinned alone, or with the current one in a token) is accepted"

# ---- 2. spoofed UNKNOWN_REG and VERSION_ERROR (finding 1) ------------------
relay_pair alice bob g
reg_of() {	# reg_of PEER: its registration id on the server
	http_get "/v1/peers/$1" | tr -d ' \n' | sed -n 's/.*"reg_id":\([0-9]*\).*/\1/p'
}
reg0=$(reg_of alice)
[ -n "$reg0" ] || fail "no reg_id for alice"
aport=$(ctl alice --json status | sed -n 's/.*"local_port": *\([0-9]*\).*/\1/p')
spoof() {	# spoof KIND [REG-ID]: from the server's address to alice
	"$MITM" spoof "127.0.0.1:$SERVER_PORT" "127.0.0.1:$aport" "$@" >/dev/null
}
spoof version-error; rc=$?
[ $rc -eq 77 ] && skip "no raw sockets here (needs root)"
[ $rc -eq 0 ] || fail "regmitm spoof: $rc"
ctl alice ping bob -c 20 -i 0.1 > "$T/ping.out" 2>&1 &
pinger=$!
for i in 1 2 3 4; do
	spoof unknown-reg "$reg0" || fail "spoof unknown-reg"
	spoof version-error || fail "spoof version-error"
	sleep 0.5
done
wait $pinger; prc=$?
got=$(grep -c "time=" "$T/ping.out")
[ $prc -eq 0 ] && [ "$got" -ge 18 ] || fail "relayed pings during the spoofs: $got of 20 ($(tail -3 "$T/ping.out"))"
registered alice || fail "alice left the server after spoofed errors: $(ctl alice --json status)"
[ "$(reg_of alice)" = "$reg0" ] || fail "alice registered again ($reg0 -> $(reg_of alice))"
grep -q "registering again" "$T/alice.log" && fail "alice re-registered on a spoofed packet"
echo "ok - 4 spoofed UNKNOWN_REG and 4 VERSION_ERROR: alice kept registration $reg0, $got of 20 relayed pings answered"

# ---- 3. a forged introduction --------------------------------------------
d0=$(ctl alice --json status | sed -n 's/.*"dropped": *\([0-9]*\).*/\1/p')
for i in 1 2 3; do spoof introduce "$reg0" || fail "spoof introduce"; done
sleep 0.5
d1=$(ctl alice --json status | sed -n 's/.*"dropped": *\([0-9]*\).*/\1/p')
[ "$d1" -ge $((d0 + 3)) ] || fail "forged CTRL not counted as dropped ($d0 -> $d1)"
grep -q "introduced to mallory" "$T/alice.log" && fail "alice took a forged introduction"
ctl alice --json peers | grep -q mallory && fail "mallory is among alice's peers"
echo "ok - 3 forged introductions of mallory dropped ($d0 -> $d1 dropped), none taken"

# ---- 4. a fake server ----------------------------------------------------
fake() {	# fake NAME MODE: regmitm in front of the real server; sets FPORT
	"$MITM" proxy 0 "127.0.0.1:$SERVER_PORT" "$2" "$T/$1/token" "$T/$1.mitm" \
	    >"$T/$1.mitm.log" 2>&1 &
	FPID=$!
	PIDS="$PIDS $FPID"
	wait_for 5 test -s "$T/$1.mitm.port" || fail "regmitm did not start"
	FPORT=$(cat "$T/$1.mitm.port")
}
mkdir -p "$T/carol"
mint carol g > "$T/carol/token"
fake carol fake
"$P2PD" -f -v --server "127.0.0.1:$FPORT" --token-file "$T/carol/token" \
    --socket "$T/carol/sock" --state-dir "$T/carol" >"$T/carol.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 grep -q "does not prove server key" "$T/carol.log" ||
    fail "carol did not notice the fake server: $(tail -5 "$T/carol.log")"
sleep 1
registered carol && fail "carol registered with a fake server"
grep -q "peer carol registered" "$T/server.log" && fail "the real server saw carol"
read -r _ hello _ _ _ init _ _ _ _ _ _ _ seen _ rd < "$T/carol.mitm"
[ "$hello" -ge 1 ] && [ "$init" -ge 1 ] || fail "the fake saw no registration: $(cat "$T/carol.mitm")"
[ "$seen" = 0 ] && [ "$rd" = 0 ] || fail "the fake got the token: $(cat "$T/carol.mitm")"
echo "ok - fake server: $(cat "$T/carol.mitm"); carol: $(grep -o 'a registration reply does not prove.*' "$T/carol.log" | head -1)"
kill -USR1 $FPID
wait_for 20 registered carol || fail "carol did not register once the real server answered: $(ctl carol --json status)"
echo "ok - the path reaches the real server again: carol registers"

mkdir -p "$T/dave"
"$TOOL" token "$T/secret" dave 0 3600 1 g > "$T/dave/token"
fake dave fake
"$P2PD" -f -v --server "127.0.0.1:$FPORT" --token-file "$T/dave/token" \
    --allow-unauthenticated-server --socket "$T/dave/sock" --state-dir "$T/dave" \
    >"$T/dave.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 registered dave || fail "dave (unauthenticated) did not take the fake"
grep -q "NOT AUTHENTICATING THE SERVER" "$T/dave.log" || fail "no loud warning for dave"
read -r _ _ _ _ _ _ _ _ _ _ _ _ _ seen _ rd < "$T/dave.mitm"
[ "$rd" -ge 1 ] || fail "the fake could not read dave's registration: $(cat "$T/dave.mitm")"
echo "ok - --allow-unauthenticated-server with a version 1 token: the fake read dave's token ($(cat "$T/dave.mitm")), as documented"

# ---- 5. a man in the middle on a namespace path --------------------------
netns_require
ns_add a r s
ns_link r r1 10.78.1.1/24 a a0 10.78.1.2/24
ns_link r r2 10.78.2.1/24 s s0 10.78.2.2/24
ns_route a default 10.78.1.1
ns_route s default 10.78.2.1
ns_forward r
mkdir -p "$T/nsrv"
ns_bg s "$P2P_SERVER" -f -v --listen 10.78.2.2:0 --secret-file "$T/secret" \
    --state-dir "$T/nsrv" --key-file "$T/srv/server.key" >"$T/nserver.log" 2>&1
wait_for 10 test -s "$T/nsrv/port" || fail "the namespace server did not start"
NP=$(cat "$T/nsrv/port")
ns_nft r <<EOF
table ip mitm {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "r1" udp dport $NP counter redirect to :7777
	}
}
EOF
mkdir -p "$T/erin"
mint erin g > "$T/erin/token"
ns_bg r "$MITM" proxy 7777 "10.78.2.2:$NP" rewrite "$T/erin/token" "$T/erin.mitm"
MPID=$NS_PID
ns_bg a "$P2PD" -f -v --server "10.78.2.2:$NP" --token-file "$T/erin/token" \
    --socket "$T/erin/sock" --state-dir "$T/erin" >"$T/erin.log" 2>&1
wait_for 10 grep -q "rewritten [1-9]" "$T/erin.mitm" || fail "the man in the middle saw nothing"
sleep 4
registered erin && fail "erin registered through a man in the middle that rewrites"
grep -q "peer erin registered" "$T/nserver.log" && fail "the server registered erin through the rewriting man in the middle"
read -r _ _ _ _ _ init _ _ _ _ _ rew _ seen _ rd < "$T/erin.mitm"
[ "$init" -ge 1 ] && [ "$rew" -ge 2 ] || fail "the man in the middle did not rewrite: $(cat "$T/erin.mitm")"
[ "$seen" = 0 ] && [ "$rd" = 0 ] || fail "the man in the middle got the token: $(cat "$T/erin.mitm")"
why=$(grep -o "the server offers key.*\|a registration reply does not prove.*" "$T/erin.log" | head -2 | tr '\n' ' ')
[ -n "$why" ] || fail "erin does not say why: $(tail -5 "$T/erin.log")"
echo "ok - man in the middle rewriting: $(cat "$T/erin.mitm"); erin: $why"
kill -USR1 "$MPID"
wait_for 20 registered erin || fail "erin did not register once the man in the middle only forwarded"
echo "ok - once it only forwards, erin registers (through it, learning nothing)"
echo "regauth: ok"
