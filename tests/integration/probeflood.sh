#!/bin/sh
# SPDX-License-Identifier: ISC
# A peer that forges its source address (issue 15, finding 4; PROTOCOL.md
# §2.7): mallory, introduced to dave, seals 1000 PATH_CHALLENGEs in its
# real session and sends them forged from a victim on another host, then
# 1000 from its own IP at another port, then 100 plain DATA packets forged
# from a third address. dave must answer none of the first (amplification
# 0), the second only at its per-address rate (20 a second, a burst of 40),
# send nothing to the third (not a candidate to check), and keep its
# session with carol up on its direct path.
. "$top_srcdir/tests/integration/lib.sh"
ATK="$top_builddir/tests/attack/p2pattack"
[ "$(id -u)" -eq 0 ] || skip "the probes forge their sources: needs root"

start_server
start_agent carol attack
start_agent dave attack
wait_registered carol dave
ctl carol connect dave --timeout 10 >/dev/null || fail "connect carol -> dave"
direct() {
	ctl carol --json peers | grep -q '"path": *"direct"'
}
wait_for 15 direct || fail "no direct path carol -> dave"

"$ATK" probeflood "127.0.0.1:$SERVER_PORT" "$T/secret" dave 1000 > "$T/probe.out" 2>&1
rc=$?
[ $rc -eq 77 ] && skip "no raw socket"
[ $rc -eq 0 ] || fail "probeflood exited $rc: $(cat "$T/probe.out")"
cat "$T/probe.out"
other=$(sed -n 's/.*another host: \([0-9]*\) answers.*/\1/p' "$T/probe.out")
own=$(sed -n 's/.*another port: \([0-9]*\) answers.*/\1/p' "$T/probe.out")
data=$(sed -n 's/.*DATA packets.*another host: \([0-9]*\) packets to it.*/\1/p' "$T/probe.out")
[ -n "$other" ] && [ -n "$own" ] && [ -n "$data" ] || fail "no figures from probeflood"
[ "$other" -eq 0 ] || fail "dave answered $other path checks forged from another host"
[ "$own" -le 60 ] || fail "dave answered $own of 1000 path checks from one address in about 1 s (cap: 20/s, burst 40)"
[ "$data" -eq 0 ] || fail "dave sent $data packets to an address mallory's DATA was forged from (a candidate it should not have learned)"
grep -q "not an address of this peer: not answered" "$T/dave.log" ||
    fail "dave did not log the refused path checks"
# carol's session with dave is untouched.
ctl carol ping dave -c 3 -i 0.2 >/dev/null || fail "carol -> dave after the probes"
direct || fail "carol -> dave is no longer direct"
echo "probeflood: forged from another host: $other answers; from mallory's own IP: $own of 1000; DATA forged from another host: $data packets to it"
