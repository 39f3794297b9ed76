#!/bin/sh
# SPDX-License-Identifier: ISC
# natlab_v6.sh: two hosts behind stateful IPv6 firewalls go direct over
# IPv6 by simultaneous open (issue 12, docs/NATLAB.md "IPv6").
#
# The NAT lab with its IPv6 core (NATLAB_V6=1, transit topology, namespaces
# only): hosts a and b are dual-stack; on IPv4 each sits behind a symmetric
# NAT (so IPv4 alone would leave them on the relay: no port mapping in this
# lab), on IPv6 behind a router with no NAT and a stateful firewall (nft
# `ct state established,related accept`, everything else from the WAN
# dropped). The server listens on 11.0.0.1 and [2001:db8::1]; the agents
# register over IPv4. Shown:
#  - the firewall is real: a datagram from the core to b's IPv6 address
#    is dropped and counted, and b's agent never sees it;
#  - a connects to b the moment both are registered; the session goes
#    direct over IPv6 (remote_addr is b's [2001:db8:2:1::2]) within
#    DIRECT_WAIT seconds; messages cross both ways;
#  - neither firewall let a new inbound flow in: in_drop counts what they
#    dropped and the session still went up, because each side's own
#    outbound check opened its firewall for the other's.
# Then the other way round, the reflexive address on the other family: a
# and b behind port-restricted IPv4 NATs register over IPv6, and IPv6
# between them is cut (a's firewall drops b's address), so only IPv4 can
# carry a direct path, and neither the server's view of them (IPv6) nor
# their host addresses (private IPv4) reach it. The server tells each its
# IPv4 address (Registered.other_family); each learns its IPv4 reflexive
# address by STUN there from its own socket, and the peer gets it in the
# introduction: the session must go direct to b's NAT's IPv4 address.
# In make check (root, normal build; else exit 77): a few seconds.
# NATLAB_V6_TRIALS=N repeats the connect N times (make natlab) and prints
# the times to the direct path.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"
NATLAB_V6=1
NATLAB_TOPO=transit
. "$top_srcdir/tests/integration/natlab_lib.sh"

[ "$SAN" -eq 0 ] || skip "the NAT lab runs in the normal build only (P2P_SANITIZERS is set)"
netns_require
_probe6="${NS_PREFIX}v6probe"
ip netns add "$_probe6" 2>/dev/null || skip "ip netns add fails here"
ip netns exec "$_probe6" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 >/dev/null 2>&1 &&
    ip -n "$_probe6" link set lo up && ip -n "$_probe6" -6 addr show dev lo | grep -q '::1' ||
    { ip netns del "$_probe6"; skip "IPv6 cannot be enabled in a network namespace here"; }
ip netns del "$_probe6"

: "${NATLAB_V6_TRIALS:=1}"
DIRECT_WAIT=10
ms() { echo $(($(date +%s%N) / 1000000)); }
peer_field() {	# peer_field AGENT FIELD: FIELD of its one session
	ctl "$1" --json peers 2>/dev/null | tr -d '\n' |
	    sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" | head -1
}
direct6() {	# direct6 AGENT ADDR: its session is direct to [ADDR]:port
	[ "$(peer_field "$1" path)" = direct ] &&
	    case $(peer_field "$1" remote_addr) in "[$2]:"*) true ;; *) false ;; esac
}

natlab_pub
natlab_router a symmetric
natlab_router b symmetric
natlab_server
A6=$(natlab_host6 a)
B6=$(natlab_host6 b)
command -v perl >/dev/null 2>&1 || skip "perl is not installed"
# STUN from a to the server's IPv6 address (stunask.pl, not p2pd): the
# core routes IPv6 and a's firewall lets the answer in; a is seen as itself.
out=$(ns_exec a perl "$top_srcdir/tests/integration/stunask.pl" "$NATLAB_S6" 3478) ||
    fail "a gets no STUN answer from [$NATLAB_S6]:3478"
set -- $out
[ "$1" = "$A6" ] || fail "STUN over IPv6: a is seen as $1, not $A6 (no NAT on IPv6)"
echo "ok - STUN from a over IPv6: seen as [$1]:$2 (its own address: no NAT)"

# The firewall drops what b did not ask for.
before=$(natlab_fw6_count b in_drop)
ns_exec pub perl -MIO::Socket::IP -e \
    'IO::Socket::IP->new(PeerHost => $ARGV[0], PeerPort => 9, Proto => "udp")->send("junk")' \
    "$B6" || fail "sending a datagram from the core to $B6"
wait_for 3 test "$(natlab_fw6_count b in_drop)" -gt "$before" ||
    fail "b's IPv6 firewall did not drop an unsolicited datagram (in_drop $before -> $(natlab_fw6_count b in_drop))"
echo "ok - b's IPv6 firewall drops unsolicited datagrams (in_drop $before -> $(natlab_fw6_count b in_drop))"

times=""
trial=1
while [ "$trial" -le "$NATLAB_V6_TRIALS" ]; do
	[ "$trial" -gt 1 ] && { natlab_reset; natlab_pub; natlab_router a symmetric;
	    natlab_router b symmetric; natlab_server; }
	natlab_agent a
	natlab_agent b
	wait_registered a b
	t0=$(ms)
	ctl a connect b --timeout 15 >/dev/null || fail "trial $trial: a cannot connect to b"
	if ! wait_for "$DIRECT_WAIT" direct6 a "$B6"; then
		fail "trial $trial: not direct over IPv6 within ${DIRECT_WAIT} s: a's path $(peer_field a path) to $(peer_field a remote_addr) ($(peer_field a path_detail))"
	fi
	t=$(( $(ms) - t0 ))
	times="$times $t"
	wait_for 5 direct6 b "$A6" ||
	    fail "trial $trial: b's path: $(peer_field b path) to $(peer_field b remote_addr)"
	ctl a send b "over IPv6" || fail "send a -> b"
	[ "$(ctl b recv --timeout 10)" = "over IPv6" ] || fail "b did not get a's message"
	ctl b send a "and back" || fail "send b -> a"
	[ "$(ctl a recv --timeout 10)" = "and back" ] || fail "a did not get b's message"
	echo "ok - trial $trial: direct over IPv6 in $t ms: a -> $(peer_field a remote_addr), b -> $(peer_field b remote_addr); firewalls dropped $(natlab_fw6_count a in_drop) and $(natlab_fw6_count b in_drop) inbound packets"
	trial=$((trial + 1))
done
echo "natlab_v6: times to the direct path (ms):$times"

natlab_reset
natlab_pub
natlab_router a port-restricted
natlab_router b port-restricted
natlab_server
NATLAB_AGENT_SERVER="[$NATLAB_S6]:3478"
natlab_cut6 a "$B6"
natlab_agent a
natlab_agent b
wait_registered a b
t0=$(ms)
ctl a connect b --timeout 15 >/dev/null || fail "over IPv6: a cannot connect to b"
BW=$(natlab_wan b)
direct4() {	# direct4 AGENT ADDR: its session is direct to ADDR:port
	[ "$(peer_field "$1" path)" = direct ] &&
	    case $(peer_field "$1" remote_addr) in "$2:"*) true ;; *) false ;; esac
}
wait_for "$DIRECT_WAIT" direct4 a "$BW" ||
    fail "registered over IPv6, IPv6 cut: not direct to b's IPv4 reflexive address $BW within ${DIRECT_WAIT} s: a's path $(peer_field a path) to $(peer_field a remote_addr) ($(peer_field a path_detail)); a's log: $(grep -i 'reflexive' "$T/a.log" | head -3)"
t=$(( $(ms) - t0 ))
wait_for 5 direct4 b "$(natlab_wan a)" ||
    fail "b's path: $(peer_field b path) to $(peer_field b remote_addr)"
for _a in a b; do
	grep -q "reflexive address on IPv4: $(natlab_wan "$_a"):" "$T/$_a.log" ||
	    fail "$_a did not log its IPv4 reflexive address: $(grep -i reflexive "$T/$_a.log" | head -3)"
done
ctl a send b "over IPv4" || fail "send a -> b"
[ "$(ctl b recv --timeout 10)" = "over IPv4" ] || fail "b did not get a's message"
echo "ok - registered over IPv6 with IPv6 between them cut: direct over IPv4 in $t ms, a -> $(peer_field a remote_addr), b -> $(peer_field b remote_addr) ($(grep -o 'reflexive address on IPv4: [^ ]*' "$T/a.log" | head -1) on a)"
echo PASS
