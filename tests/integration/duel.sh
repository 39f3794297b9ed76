#!/bin/sh
# SPDX-License-Identifier: ISC
# duel.sh: the example game (contrib/examples/duel.c) played by two copies
# on two agents, non-interactively (--script): they find each other by
# matchmaking, each sees the other's moves (sequenced inputs on channel 1,
# the last one included) and chat (reliable, channel 2, in order), and the
# game keeps going while the session moves from the relay to the direct
# path. All of it runs inside a network namespace of its own, whose
# loopback drops the agents' direct packets (nftables) for the first 2 s of
# the game: the game starts on the relay, and its inputs must keep flowing
# when hole punching succeeds. Loopback (of that namespace) port 0 only.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

DUEL="$top_builddir/contrib/examples/duel"
[ -x "$DUEL" ] || skip "the example game is not built ($DUEL)"

if [ -z "${P2P_DUEL_INNER:-}" ]; then
	. "$top_srcdir/tests/integration/netns_lib.sh"
	netns_require
	ns_add g
	ns_exec g env P2P_DUEL_INNER=1 sh "$0"
	exit $?
fi

start_server

start_agent alice
start_agent bob
wait_registered alice bob
port() {	# port NAME: the agent's UDP port
	ctl "$1" --json status | sed -n 's/.*"local_port": *\([0-9]*\).*/\1/p'
}
PA=$(port alice); PB=$(port bob)
[ -n "$PA" ] && [ -n "$PB" ] || fail "no local_port in the agents' status"
# Packets from one agent's port to the other's (the direct path) are dropped.
nft -f - <<NFT || fail "nft: cannot block the direct path"
table inet duel {
	chain out {
		type filter hook output priority 0;
		udp sport { $PA, $PB } udp dport { $PA, $PB } drop
	}
}
NFT

# 60 ticks (3 s) of moves and chat each; different moves so each side can
# tell the other's.
{ for i in 1 2 3 4 5; do echo d; done; echo "say hello from alice"
  for i in $(seq 1 20); do echo wait; done; echo s; echo "say alice again"
  for i in $(seq 1 30); do echo wait; done; } > "$T/alice.script"
{ for i in 1 2 3; do echo s; done; echo "say hi from bob"
  for i in $(seq 1 25); do echo wait; done; echo a; echo "say bob again"
  for i in $(seq 1 30); do echo wait; done; } > "$T/bob.script"

"$DUEL" -s "$T/alice/sock" --map arena --timeout 20 --script "$T/alice.script" \
    --linger 100 >"$T/alice.out" 2>"$T/alice.err" &
DA=$!
"$DUEL" -s "$T/bob/sock" --map arena --timeout 20 --script "$T/bob.script" \
    --linger 100 >"$T/bob.out" 2>"$T/bob.err" &
DB=$!
wait_for 30 grep -q '^matched' "$T/alice.out" || fail "alice not matched: $(cat "$T/alice.err")"
wait_for 30 grep -q '^matched' "$T/bob.out" || fail "bob not matched: $(cat "$T/bob.err")"
sleep 2
nft delete table inet duel || fail "nft: cannot unblock the direct path"
wait "$DA" || fail "alice's game failed: $(cat "$T/alice.err" "$T/alice.out")"
wait "$DB" || fail "bob's game failed: $(cat "$T/bob.err" "$T/bob.out")"
for p in alice bob; do
	echo "---- $p"
	grep -v '^opponent at' "$T/$p.out"
done

grep -q "^matched m-[0-9a-f]* opponent bob$" "$T/alice.out" || fail "alice was not matched with bob"
grep -q "^matched m-[0-9a-f]* opponent alice$" "$T/bob.out" || fail "bob was not matched with alice"
[ "$(sed -n 's/^matched \(m-[0-9a-f]*\) .*/\1/p' "$T/alice.out")" = \
  "$(sed -n 's/^matched \(m-[0-9a-f]*\) .*/\1/p' "$T/bob.out")" ] || fail "two different match groups"

# Each side saw the other's last position (inputs: sequenced, so some may
# be dropped, never the newest) and both chat lines, in order.
grep -q "^opponent at 5,1 " "$T/bob.out" || fail "bob did not see alice's last position 5,1"
grep -q "^opponent at 0,3 " "$T/alice.out" || fail "alice did not see bob's last position 0,3"
[ "$(grep '^chat' "$T/bob.out")" = "chat alice: hello from alice
chat alice: alice again" ] || fail "bob's chat: $(grep '^chat' "$T/bob.out")"
[ "$(grep '^chat' "$T/alice.out")" = "chat bob: hi from bob
chat bob: bob again" ] || fail "alice's chat: $(grep '^chat' "$T/alice.out")"

# The session went from the relay to the direct path while the game ran:
# inputs came over the relay first, and kept arriving after the move (the
# last ones carry the last seq).
for p in alice bob; do
	s=$(grep '^summary' "$T/$p.out")
	case $s in *"paths=relay,direct"*) ;; *) fail "$p: no relay -> direct move: $s" ;; esac
	sent=$(echo "$s" | sed 's/.*sent=\([0-9]*\).*/\1/')
	got=$(echo "$s" | sed 's/.*got=\([0-9]*\).*/\1/')
	last=$(echo "$s" | sed 's/.*last_seq=\([0-9]*\).*/\1/')
	relay=$(echo "$s" | sed 's/.*got_relay=\([0-9]*\).*/\1/')
	[ "$relay" -ge 10 ] || fail "$p got $relay inputs over the relay: $s"
	[ "$got" -ge 100 ] || fail "$p got only $got inputs: $s"
	[ "$last" -ge 150 ] || fail "$p's last input seen is $last (of about 160): $s"
	echo "ok - $p: $s"
done
