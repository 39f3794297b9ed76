#!/bin/sh
# SPDX-License-Identifier: ISC
# An HS_INIT flood at an agent (issue 15, finding 5; PROTOCOL.md §2.3):
# real initiations with a valid mac1 (what any peer that knows dave's
# public key can make, each worth two Diffie-Hellmans) replayed from forged
# sources at 2,000 a second. dave must say it is flooded, answer with
# cookies instead of working on them, and keep its sessions: carol's rekeys
# (every second here, over the direct path) get a COOKIE_REPLY and go
# through with mac2, a pipe carol -> dave arrives whole, and a new peer
# (erin) connects during the flood. make attack runs the same at 20,000 a
# second and times a transfer.
. "$top_srcdir/tests/integration/lib.sh"
ATK="$top_builddir/tests/attack/p2pattack"
[ "$(id -u)" -eq 0 ] || skip "the flood forges its sources: needs root"

P2PD_TEST_REKEY_MS=1000
export P2PD_TEST_REKEY_MS
start_server
start_agent carol g
start_agent dave g
wait_registered carol dave
ctl carol connect dave --timeout 10 >/dev/null || fail "connect carol -> dave"
direct() {
	ctl carol --json peers | grep -q '"path": *"direct"'
}
wait_for 15 direct || fail "no direct path carol -> dave"
dport=$(ctl dave --json status | sed -n 's/.*"local_port": *\([0-9]*\).*/\1/p')
[ -n "$dport" ] || fail "dave's port"

"$ATK" hsflood "127.0.0.1:$dport" 2000 8 "$T/dave/identity.key" \
    > "$T/flood.out" 2>&1 &
flooder=$!
wait_for 5 grep -q "HS_INIT flood: more than" "$T/dave.log" ||
    { wait $flooder; [ $? -eq 77 ] && skip "no raw socket"
    fail "dave did not notice the flood: $(cat "$T/flood.out")"; }
rk0=$(grep -c "rekeyed (" "$T/carol.log")
# A pipe through the flood, and a peer that comes during it.
head -c 2097152 /dev/urandom > "$T/in"
ctl dave pipe carol --name f --timeout 30 < /dev/null > "$T/out" 2>/dev/null &
rx=$!
ctl carol pipe dave --name f --timeout 30 < "$T/in" > /dev/null 2>&1 ||
    fail "the pipe carol -> dave failed during the flood"
wait $rx || fail "dave's end of the pipe failed"
cmp -s "$T/in" "$T/out" || fail "the pipe arrived changed during the flood"
start_agent erin g
wait_registered erin
ctl erin connect dave --timeout 10 >/dev/null || fail "erin could not connect to dave during the flood"
ctl erin ping dave -c 2 >/dev/null || fail "erin -> dave ping during the flood"
sleep 2
kill -0 $flooder 2>/dev/null || fail "the flood ended before the checks: $(cat "$T/flood.out")"
rk1=$(grep -c "rekeyed (" "$T/carol.log")
cookies=$(grep -c "under load: handshake again with its cookie" "$T/carol.log")
wait $flooder
cat "$T/flood.out"
[ "$cookies" -ge 1 ] || fail "carol never got a COOKIE_REPLY from dave"
[ "$rk1" -gt "$rk0" ] || fail "no rekey of carol's went through during the flood ($rk0 -> $rk1)"
wait_for 5 grep -q "HS_INIT flood over" "$T/dave.log" ||
    ctl carol ping dave -c 1 >/dev/null
# The flood's end is noticed by the next HS_INIT (a rekey, within 1 s).
wait_for 5 grep -q "HS_INIT flood over" "$T/dave.log" ||
    fail "dave did not say the flood was over"
grep "HS_INIT flood" "$T/dave.log" | sed 's/^/dave: /'
ctl carol ping dave -c 2 >/dev/null || fail "carol -> dave after the flood"
n=$(grep -c "session with .* established" "$T/carol.log")
[ "$n" -eq 1 ] || fail "carol: $n sessions established, expected the one"
echo "hsflood: $cookies cookie retries, $((rk1 - rk0)) rekeys of carol's during the flood; pipe whole, erin connected"
