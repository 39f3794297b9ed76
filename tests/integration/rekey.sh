#!/bin/sh
# SPDX-License-Identifier: ISC
# Rekeying under traffic (PROTOCOL.md §2.5): with the testing knob
# P2PD_TEST_REKEY_MS the agents rekey every 250 ms instead of every 120 s;
# a pipe stream paced over about 3 s crosses many rekeys in one session and
# arrives with an identical checksum.
. "$top_srcdir/tests/integration/lib.sh"

P2PD_TEST_REKEY_MS=250
export P2PD_TEST_REKEY_MS
mb=30 pause=0.1	# about 3 s either way
[ "$SAN" -eq 1 ] && mb=6 pause=0.5
start_server
start_agent alice g
start_agent bob g
wait_registered alice bob

head -c $((mb * 1024 * 1024)) /dev/urandom > "$T/in"
paced() {	# the file, 1 MiB every $pause s
	i=0
	while [ $i -lt $mb ]; do
		dd if="$T/in" bs=1048576 skip=$i count=1 2>/dev/null
		sleep $pause
		i=$((i + 1))
	done
}
ctl bob pipe alice --name rk --timeout 30 < /dev/null > "$T/out" 2>"$T/pipe-bob.log" &
rx=$!
(paced | ctl alice pipe bob --name rk --timeout 30 > /dev/null \
    2>"$T/pipe-alice.log"; echo $? > "$T/tx.rc") &
tx=$!
# A rekey that loses a key the peer still uses stalls the stream: fail,
# do not hang.
wait_for 60 test -s "$T/tx.rc" || { kill $tx $rx 2>/dev/null
    fail "transfer stalled: $(wc -c < "$T/out") of $((mb * 1048576)) bytes after 60 s"; }
wait $tx
[ "$(cat "$T/tx.rc")" = 0 ] || fail "sending pipe exited $(cat "$T/tx.rc")"
wait $rx || fail "receiving pipe exited $?"
a=$(sha256sum < "$T/in"); b=$(sha256sum < "$T/out")
[ "$a" = "$b" ] || fail "checksums differ ($(wc -c < "$T/out") of $((mb * 1048576)) bytes arrived)"

# One session all along, rekeyed many times from both points of view.
for n in alice bob; do
	c=$(grep -c "session with .* established" "$T/$n.log")
	[ "$c" -eq 1 ] || fail "$n: $c sessions established, expected 1"
	! grep -q "session with .* closed" "$T/$n.log" ||
	    fail "$n: the session closed during the transfer"
done
started=$(cat "$T/alice.log" "$T/bob.log" | grep -c "rekeyed (")
switched=$(cat "$T/alice.log" "$T/bob.log" | grep -c "rekeyed by the peer")
[ "$started" -ge 5 ] || fail "only $started rekeys completed"
[ "$switched" -ge 5 ] || fail "the responder switched keys only $switched times"
echo "rekey: $mb MB over $started rekeys ($switched switches seen by the responder), checksums equal"
