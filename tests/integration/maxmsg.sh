#!/bin/sh
# SPDX-License-Identifier: ISC
# --max-message: two agents that both take 32 MiB exchange a 20 MiB
# message intact; to an agent at the default 16 MiB the same send is
# refused with a clear error and the session goes on; a value below the
# default is refused at startup, naming the flag. `p2pctl --json peers`
# shows each session's limit and transport (congestion control, window).
. "$top_srcdir/tests/integration/lib.sh"

"$P2PD" -f --server 127.0.0.1:9 --token x --socket "$T/x.sock" \
    --state-dir "$T" --max-message 8M > /dev/null 2> "$T/small.err" &&
    fail "p2pd took --max-message 8M"
grep -q -- "--max-message" "$T/small.err" ||
    fail "the error does not name the flag: $(cat "$T/small.err")"
for bad in "--max-message lots" "--congestion bbr"; do
	# shellcheck disable=SC2086 # flag and value, split on purpose
	"$P2PD" -f --server 127.0.0.1:9 --token x --socket "$T/x.sock" \
	    --state-dir "$T" $bad > /dev/null 2> "$T/bad.err" &&
	    fail "p2pd took $bad"
	grep -q -- "${bad%% *}" "$T/bad.err" ||
	    fail "$bad: the error does not name the flag: $(cat "$T/bad.err")"
done

start_server
AGENT_ARGS="--max-message 32M --inbox-size 64M" start_agent alice g
AGENT_ARGS="--max-message 32M --inbox-size 64M" start_agent bob g
AGENT_ARGS="--congestion newreno" start_agent carol g
wait_registered alice bob carol

head -c 20971520 /dev/urandom > "$T/big"
ctl alice send bob --service big - < "$T/big" ||
    fail "20 MiB to bob (both take 32 MiB)"
ctl bob recv --service big --timeout 30 > "$T/got" || fail "bob's recv"
# recv ends each message with a newline.
[ "$(wc -c < "$T/got")" -eq 20971521 ] && head -c 20971520 "$T/got" | cmp -s - "$T/big" ||
    fail "the 20 MiB message arrived changed ($(wc -c < "$T/got") bytes)"
echo "ok: 20 MiB between two agents that take 32 MiB"

err=$(ctl alice send carol --service big - < "$T/big" 2>&1) &&
    fail "20 MiB to carol (16 MiB) was accepted"
echo "$err" | grep -q "max-message" || fail "the refusal does not say why: $err"
ctl alice send carol --service small "still here" || fail "the session to carol died"
[ "$(ctl carol recv --service small --timeout 10)" = "still here" ] ||
    fail "carol did not get the small message"
echo "ok: over carol's 16 MiB refused ($err), the session goes on"

# What peers says of each session.
ctl alice --json peers > "$T/alice.json" || fail "alice's peers"
ctl carol --json peers > "$T/carol.json" || fail "carol's peers"
field() {	# field FILE PEER KEY: KEY of PEER's entry
	tr '{' '\n' < "$1" | grep "\"peer_id\":\"$2\"" |
	    grep -o "\"$3\":\"*[^,\"}]*" | sed 's/.*:"*//'
}
[ "$(field "$T/alice.json" bob max_message)" = 33554432 ] ||
    fail "alice-bob max_message: $(cat "$T/alice.json")"
[ "$(field "$T/alice.json" carol max_message)" = 16777216 ] ||
    fail "alice-carol max_message: $(cat "$T/alice.json")"
[ "$(field "$T/alice.json" bob congestion)" = cubic ] ||
    fail "alice's congestion control: $(cat "$T/alice.json")"
[ "$(field "$T/carol.json" alice congestion)" = newreno ] ||
    fail "carol's congestion control (--congestion newreno): $(cat "$T/carol.json")"
[ "$(field "$T/alice.json" bob cwnd_bytes)" -gt 0 ] ||
    fail "no congestion window: $(cat "$T/alice.json")"
echo "ok: peers shows the limits (32 MiB, 16 MiB) and cubic / newreno"

