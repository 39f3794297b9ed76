#!/bin/sh
# SPDX-License-Identifier: ISC
# Bad input: junk datagrams to the server and an agent, garbage on the IPC
# socket, bad tokens. Each is refused or dropped and counted, with a clear
# error, and the daemons keep serving everyone else.
. "$top_srcdir/tests/integration/lib.sh"
TOOL="$top_builddir/tests/integration/p2ptest"

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob
ctl alice connect bob --timeout 10 || fail "connect"

# Junk datagrams to the server and to alice's UDP port.
"$TOOL" udpjunk 127.0.0.1 "$SERVER_PORT" 3000 1 >/dev/null || fail "udpjunk server"
aport=$(ctl alice --json status | sed -n 's/.*"local_port": *\([0-9]*\).*/\1/p')
[ -n "$aport" ] || fail "status has no local_port"
"$TOOL" udpjunk 127.0.0.1 "$aport" 3000 2 >/dev/null || fail "udpjunk agent"
mapped=$("$TOOL" stun 127.0.0.1 "$SERVER_PORT") || fail "server stopped answering STUN after junk"
echo "$mapped" | grep -q '^127.0.0.1:[0-9]*$' || fail "bad STUN mapped address: $mapped"
ctl alice send bob "still alive" || fail "send after junk"
[ "$(ctl bob recv --timeout 5)" = "still alive" ] || fail "recv after junk"
dropped=$(ctl alice --json status | sed -n 's/.*"dropped": *\([0-9]*\).*/\1/p')
[ "${dropped:-0}" -gt 0 ] || fail "junk datagrams were not counted as dropped"
echo "badinput: agent counted $dropped dropped datagrams"

# Garbage on the IPC socket closes that client only.
for mode in garbage oversize version truncated badproto; do
	"$TOOL" ipcjunk "$T/alice/sock" $mode > "$T/ipc-$mode.out" 2>&1 ||
	    fail "ipcjunk $mode: $(cat "$T/ipc-$mode.out")"
done
grep -q "version" "$T/ipc-version.out" || fail "version mismatch not explained: $(cat "$T/ipc-version.out")"
registered alice || fail "alice stopped serving after IPC garbage"
ctl alice send bob "after ipc junk" || fail "send after ipc junk"
[ "$(ctl bob recv --timeout 5)" = "after ipc junk" ] || fail "recv after ipc junk"

# Bad tokens: each agent ends up "rejected" with a clear reason. These
# tokens (version 1) carry no server key: the agents are given it.
SKEY=$(server_key) || fail "p2p-server key"
token_case() {	# token_case NAME EXPECTED-WORDS TOKEN
	mkdir -p "$T/$1"
	echo "$3" > "$T/$1/token"
	"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --token-file "$T/$1/token" \
	    --server-key "$SKEY" \
	    --socket "$T/$1/sock" --state-dir "$T/$1" >"$T/$1.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 15 sh -c "'$P2PCTL' -s '$T/$1/sock' --json status 2>/dev/null | grep -q '\"rejected\"'" ||
	    fail "$1: agent was not rejected: $("$P2PCTL" -s "$T/$1/sock" --json status 2>&1)"
	s=$("$P2PCTL" -s "$T/$1/sock" --json status)
	echo "$s" | grep -qi "$2" || fail "$1: the reason does not say '$2': $s"
	echo "badinput: $1 rejected: $(echo "$s" | sed -n 's/.*"server_error": *"\([^"]*\)".*/\1/p')"
}
token_case expired "expired" "$("$TOOL" token "$T/secret" exp -7200 3600 1 g)"
good=$("$TOOL" token "$T/secret" forged 0 3600 1 g)
# Flip one character in the middle: the MAC no longer verifies.
mid=$(( ${#good} / 2 ))
c=$(echo "$good" | cut -c$mid)
[ "$c" = "A" ] && n=B || n=A
forged="$(echo "$good" | cut -c1-$((mid - 1)))$n$(echo "$good" | cut -c$((mid + 1))-)"
token_case forged "mac\|invalid\|forged" "$forged"
# A token of an unknown version (4; 3 carries attributes): the agent cannot
# read it and says so.
mkdir -p "$T/ver"
"$TOOL" token "$T/secret" ver 0 3600 4 g > "$T/ver/token"
"$P2PD" -f --server "127.0.0.1:$SERVER_PORT" --token-file "$T/ver/token" \
    --server-key "$SKEY" --socket "$T/ver/sock" --state-dir "$T/ver" \
    >"$T/ver.log" 2>&1 && fail "an agent started with a version 4 token"
grep -q "version 4 is not supported" "$T/ver.log" ||
    fail "version 4 token: $(cat "$T/ver.log")"
echo "badinput: a version 4 token: $(grep -o 'token version 4[^(]*' "$T/ver.log")"
# A stolen token used with another identity key.
token_case stolen "identity key" "$(cat "$T/alice/token")"
registered alice || fail "alice lost her registration to a stolen token"

# The tool's independently minted tokens are accepted (the format in
# docs/PROTOCOL.md): version 1 with --server-key, version 2 carrying the key.
mkdir -p "$T/indep" "$T/indep2"
"$TOOL" token "$T/secret" indep 0 3600 1 g > "$T/indep/token"
"$P2PD" -f --server "127.0.0.1:$SERVER_PORT" --token-file "$T/indep/token" \
    --server-key "$SKEY" \
    --socket "$T/indep/sock" --state-dir "$T/indep" >"$T/indep.log" 2>&1 &
PIDS="$PIDS $!"
P2PTEST_KEYS=$SKEY "$TOOL" token "$T/secret" indep2 0 3600 2 g > "$T/indep2/token"
"$P2PD" -f --server "127.0.0.1:$SERVER_PORT" --token-file "$T/indep2/token" \
    --socket "$T/indep2/sock" --state-dir "$T/indep2" >"$T/indep2.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 15 registered indep || fail "a token minted from the spec was not accepted"
wait_for 15 registered indep2 || fail "a version 2 token minted from the spec was not accepted"
echo "badinput: ok"
