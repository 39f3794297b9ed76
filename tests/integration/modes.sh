#!/bin/sh
# SPDX-License-Identifier: ISC
# Delivery modes through p2pd: 16 ordered channels each keep their order, and
# unordered, sequenced and unreliable messages arrive (loopback loses nothing)
# labelled with the mode and channel they were sent with.
. "$top_srcdir/tests/integration/lib.sh"

start_server
start_agent alice g
start_agent bob g
wait_registered alice bob
ctl alice connect bob --timeout 10 || fail "connect"

# 16 channels x 6 messages, channels interleaved as an application would.
i=1
while [ $i -le 6 ]; do
	ch=0
	while [ $ch -lt 16 ]; do
		ctl alice send bob --service ord --channel $ch "c$ch m$i" ||
		    fail "send channel $ch message $i"
		ch=$((ch + 1))
	done
	i=$((i + 1))
done
ctl bob --json recv --service ord --count 96 --timeout 20 > "$T/ord.json" ||
    fail "ordered: got $(wc -l < "$T/ord.json") of 96"
ch=0
while [ $ch -lt 16 ]; do
	# This channel's messages, in arrival order: m1..m6, each labelled.
	got=$(grep "\"data\": *\"c$ch m" "$T/ord.json" |
	    sed -n 's/.*"data": *"c[0-9]* m\([0-9]*\)".*/\1/p' | tr '\n' ' ')
	[ "$got" = "1 2 3 4 5 6 " ] ||
	    fail "channel $ch: messages arrived as '$got', not 1..6 in order"
	n=$(grep "\"data\": *\"c$ch m" "$T/ord.json" |
	    grep "\"channel\": *$ch[,}]" | grep -c '"mode": *"reliable"')
	[ "$n" -eq 6 ] || fail "channel $ch: $n of 6 labelled reliable, channel $ch"
	ch=$((ch + 1))
done

# The other modes, each on its own channel of one service.
for m in unordered sequenced unreliable; do
	case $m in
	unordered) ch=5 ;;
	sequenced) ch=9 ;;
	unreliable) ch=200 ;;
	esac
	i=1
	while [ $i -le 5 ]; do
		ctl alice send bob --service dg --mode $m --channel $ch "$m $i" ||
		    fail "send $m $i"
		i=$((i + 1))
	done
done
# A message larger than a packet, unreliable: fragmented and reassembled.
head -c 100000 /dev/urandom > "$T/big"
ctl alice send bob --service dg --mode unreliable --channel 200 - < "$T/big" ||
    fail "send a 100 kB unreliable message"
ctl bob --json recv --service dg --count 16 --timeout 20 > "$T/dg.json" ||
    fail "other modes: got $(wc -l < "$T/dg.json") of 16: $(cat "$T/dg.json")"
for m in unordered sequenced unreliable; do
	case $m in
	unordered) ch=5 ;;
	sequenced) ch=9 ;;
	unreliable) ch=200 ;;
	esac
	i=1
	while [ $i -le 5 ]; do
		grep "\"data\": *\"$m $i\"" "$T/dg.json" |
		    grep "\"channel\": *$ch[,}]" | grep -q "\"mode\": *\"$m\"" ||
		    fail "'$m $i' missing or mislabelled: $(cat "$T/dg.json")"
		i=$((i + 1))
	done
done
sum=$(sha256sum < "$T/big")
got=$(grep '"encoding": *"base64"' "$T/dg.json" |
    sed -n 's/.*"data": *"\([^"]*\)".*/\1/p' | base64 -d | sha256sum)
[ "$got" = "$sum" ] || fail "the 100 kB unreliable message arrived corrupted"
grep '"encoding": *"base64"' "$T/dg.json" | grep -q '"mode": *"unreliable"' ||
    fail "the 100 kB message is not labelled unreliable"

# Priority classes: an ordered channel keeps its order whatever the class of
# each message (a more urgent message lifts what was queued before it), and
# every class is delivered, in each mode.
i=1
for p in low high normal low high; do
	ctl alice send bob --service prio --channel 3 --priority $p "o$i $p" ||
	    fail "send ordered message $i at priority $p"
	i=$((i + 1))
done
for m in unordered sequenced unreliable; do
	ctl alice send bob --service prio --channel 7 --mode $m --priority high \
	    "$m high" || fail "send $m at priority high"
done
ctl bob --json recv --service prio --count 8 --timeout 20 > "$T/prio.json" ||
    fail "priorities: got $(wc -l < "$T/prio.json") of 8: $(cat "$T/prio.json")"
got=$(sed -n 's/.*"data": *"o\([0-9]\) [a-z]*".*/\1/p' "$T/prio.json" |
    tr '\n' ' ')
[ "$got" = "1 2 3 4 5 " ] ||
    fail "ordered messages of mixed priority arrived as '$got', not 1..5"
for m in unordered sequenced unreliable; do
	grep "\"data\": *\"$m high\"" "$T/prio.json" |
	    grep -q "\"mode\": *\"$m\"" ||
	    fail "'$m high' missing or mislabelled: $(cat "$T/prio.json")"
done

# Bad arguments are refused before anything is sent, naming the flag.
ctl alice send bob --mode fast x 2>/dev/null && fail "--mode fast accepted"
ctl alice send bob --channel 256 x 2>/dev/null && fail "--channel 256 accepted"
ctl alice send bob --priority urgent x 2> "$T/badprio.err" &&
    fail "--priority urgent accepted"
grep -q -- "--priority 'urgent'" "$T/badprio.err" ||
    fail "a bad --priority is not named: $(cat "$T/badprio.err")"
echo "modes: 16 channels in order; unordered, sequenced, unreliable labelled;" \
    "priorities keep a channel's order"
