#!/bin/sh
# SPDX-License-Identifier: ISC
# The amplification table (issue 15, findings 3 and 8), measured with
# tests/attack/p2pattack against a server with --alt-listen (the largest
# STUN answers):
#  - no reply to a p2pd message that the server has not authenticated is
#    larger than the message (REG_HELLO, REG_INIT in every shape, CTRL and
#    RELAY for unknown registrations, another wire version, junk);
#  - standard STUN, whose answers are larger by the RFCs, is answered at a
#    capped rate per address and per /24 (srv_ratelim.h: 100 at once and
#    50 a second per address, 1000 and 500 per /24);
#  - a token holder who forges its source to a victim's address makes the
#    server send the victim at most 3 times what was forged (the challenge
#    of a new address), not the replies (53 times, before).
. "$top_srcdir/tests/integration/lib.sh"
ATK="$top_builddir/tests/attack/p2pattack"

start_server --alt-listen 127.0.0.2:0
S="127.0.0.1:$SERVER_PORT"
"$ATK" amp "$S" "$T/secret" > "$T/amp.out" 2>&1 || fail "amplification: $(cat "$T/amp.out")"
cat "$T/amp.out"

# stunflood prints the seconds it sent for and the replies: at most the
# burst and the rate over that time (and 0.5 s for the last replies), and
# at least half the burst (the socket may drop some on a loaded machine).
stun_cap() {	# stun_cap LABEL BURST RATE REQUESTS HOSTS
	out=$("$ATK" stunflood "$S" "$4" "$5") || fail "stunflood $1"
	echo "$out"
	echo "$out" | awk -v b="$2" -v r="$3" '{
		for (i = 1; i < NF; i++) {
			if ($(i + 1) == "s") t = $i
			if ($(i + 1) == "replies,") n = $i
		}
	} END { exit !(n >= b * 0.5 && n <= b + r * (t + 0.5)) }' ||
	    fail "STUN answers to $1: $out (cap: a burst of $2, $3 a second)"
}
stun_cap "one address" 100 50 1000 1
stun_cap "one /24" 1000 500 20 200

# The spoofed-source authenticated request (root: a raw socket).
out=$("$ATK" spoofamp "$S" "$T/secret" 200); rc=$?
[ $rc -eq 77 ] && skip "no raw socket for the spoofed-source row (needs root); the rest passed"
[ $rc -eq 0 ] || fail "spoofamp: $out"
echo "$out"
echo "$out" | awk '{ for (i = 1; i < NF; i++) if ($i == "ratio") r = $(i + 1) }
    END { exit !(r + 0 <= 3.0) }' || fail "a forged source got more than 3x: $out"
echo "amplify: ok"
