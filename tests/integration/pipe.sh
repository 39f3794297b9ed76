#!/bin/sh
# SPDX-License-Identifier: ISC
# p2pctl pipe moves a 50 MB file intact (5 MB under sanitizers); when the
# receiving side dies mid-stream, the sender exits 1.
. "$top_srcdir/tests/integration/lib.sh"

mb=50
[ "$SAN" -eq 1 ] && mb=5
start_server
start_agent alice g
start_agent bob g
wait_registered alice bob

head -c $((mb * 1024 * 1024)) /dev/urandom > "$T/in"
ctl bob pipe alice --name file --timeout 30 < /dev/null > "$T/out" 2>"$T/pipe-bob.log" &
rx=$!
start=$(date +%s.%N)
ctl alice pipe bob --name file --timeout 30 < "$T/in" > /dev/null 2>"$T/pipe-alice.log" ||
    fail "sending pipe exited $?"
wait $rx || fail "receiving pipe exited $?"
end=$(date +%s.%N)
a=$(sha256sum < "$T/in"); b=$(sha256sum < "$T/out")
[ "$a" = "$b" ] || fail "checksums differ ($(wc -c < "$T/out") of $((mb * 1048576)) bytes arrived)"
echo "pipe: $mb MB in $(awk "BEGIN { printf \"%.2f\", $end - $start }") s, checksums equal"

# A tiny stream on an existing session, the other side sending nothing:
# both ends exit 0 (the eof arrives with no data left to write).
ctl bob pipe alice --name tiny --timeout 10 < /dev/null > "$T/tiny.out" 2>"$T/tiny-bob.log" &
rx=$!
echo "a byte stream" | ctl alice pipe bob --name tiny --timeout 10 > /dev/null 2>"$T/tiny-alice.log" &
tx=$!
wait_for 15 sh -c "! kill -0 $tx 2>/dev/null" || fail "tiny pipe: sender did not finish"
wait $tx || fail "tiny pipe: sender exited $?"
wait $rx || fail "tiny pipe: receiver exited $?"
[ "$(cat "$T/tiny.out")" = "a byte stream" ] || fail "tiny pipe: got '$(cat "$T/tiny.out")'"

# The receiver dies mid-stream: the sender must fail, not finish silently.
slow_source() {	# 1 MiB every 0.1 s for 10 s
	i=0
	while [ $i -lt 100 ]; do head -c 1048576 /dev/zero; sleep 0.1; i=$((i + 1)); done
}
"$P2PCTL" -s "$T/bob/sock" pipe alice --name kill --timeout 30 < /dev/null > /dev/null 2>&1 &
rx=$!
(slow_source | ctl alice pipe bob --name kill --timeout 30 \
    > /dev/null 2>"$T/pipe-kill.log"; echo $? > "$T/kill.rc") &
tx=$!
sleep 1.5
kill -KILL $rx
wait_for 40 test -s "$T/kill.rc" || fail "sender still running 40 s after the receiver died"
wait $tx
[ "$(cat "$T/kill.rc")" = 1 ] || fail "sender exited $(cat "$T/kill.rc") after the receiver died, expected 1"
[ -s "$T/pipe-kill.log" ] || fail "sender printed no reason"
echo "pipe: receiver killed -> sender exited 1: $(cat "$T/pipe-kill.log")"
