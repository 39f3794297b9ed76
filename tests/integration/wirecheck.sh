#!/bin/sh
# SPDX-License-Identifier: ISC
# A message's bytes never appear in plaintext on the wire (loopback capture),
# on a direct path and on the relay (whose RELAY_MAC packets carry the
# end-to-end encrypted packet in the clear, PROTOCOL.md §2.6).
. "$top_srcdir/tests/integration/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root to capture on loopback"
command -v tcpdump >/dev/null 2>&1 || skip "tcpdump is not installed (apt-get install tcpdump)"

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob
relay_pair carol dave g
tcpdump -Z root --immediate-mode -i lo -U -s 0 -w "$T/cap.pcap" udp >"$T/tcpdump.log" 2>&1 &
TD=$!
PIDS="$PIDS $TD"
wait_for 5 grep -q "listening" "$T/tcpdump.log" || fail "tcpdump did not start"
canary="PLAINTEXT-CANARY-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# 50 copies in one message: several packets carry it.
secret_msg=$(i=0; while [ $i -lt 50 ]; do printf '%s ' "$canary"; i=$((i + 1)); done)
ctl alice send bob "$secret_msg" || fail "send"
[ "$(ctl bob recv --timeout 5)" = "$secret_msg" ] || fail "recv"
ctl bob send alice "$secret_msg" || fail "send back"
[ "$(ctl alice recv --timeout 5)" = "$secret_msg" ] || fail "recv back"
ctl carol send dave "$secret_msg" || fail "send over the relay"
[ "$(ctl dave recv --timeout 5)" = "$secret_msg" ] || fail "recv over the relay"
ctl carol --json peers | tr -d ' \n' | grep -q '"path":"relay"' ||
    fail "carol's session is not on the relay: $(ctl carol --json peers)"
sleep 0.5
kill -INT $TD; wait $TD 2>/dev/null
size=$(wc -c < "$T/cap.pcap")
[ "$size" -gt $((4 * ${#secret_msg} + 1000)) ] || fail "capture is suspiciously small ($size bytes): nothing was seen"
if grep -a -q "$canary" "$T/cap.pcap"; then
	fail "the message appears in plaintext on the wire"
fi
# The canary is found when it is sent in the clear (the check can fail).
printf '%s' "$secret_msg" > "$T/canary"
grep -a -q "$canary" "$T/canary" || fail "self-check of the search failed"
echo "wirecheck: $size bytes captured, message not in plaintext"
