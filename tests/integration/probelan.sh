#!/bin/sh
# SPDX-License-Identifier: ISC
# Where an agent's own path checks go (issue 15, finding 4; PROTOCOL.md
# §2.7). A namespace lab: the server and mallory on a public segment;
# dave, carol and a bystander (vic, 10.9.0.7) on a LAN behind one NAT.
# mallory's host announces addresses of dave's LAN (10.9.0.7, the
# bystander's, and the router's 10.9.0.1), link-local and loopback ones
# (a peer elsewhere whose home network uses the same private range, or
# that claims it does). dave must send no packet to any of them (its
# nftables counters; the bystander's own counter), still check mallory's
# public address, count what it refused (p2pd_drops_total{reason="probe"})
# and log why; carol, on dave's LAN, must still get a direct path to dave
# over its host address.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns_lib.sh"
netns_require

# The public segment (a bridge in ns "net") and the LAN behind router r.
ns_add net pub mal r dave carol vic
ns_no_ipv6 net pub mal r dave carol vic
ns_bridge net inet
ns_plug pub eth0 11.0.0.1/24 net inet p1
ns_plug mal eth0 11.0.0.3/24 net inet p2
ns_plug r wan 11.0.0.2/24 net inet p3
ns_bridge r lan 10.9.0.1/24
ns_plug dave eth0 10.9.0.2/24 r lan l1
ns_plug carol eth0 10.9.0.3/24 r lan l2
ns_plug vic eth0 10.9.0.7/24 r lan l3
for _h in dave carol vic; do ns_route "$_h" default 10.9.0.1; done
ns_forward r
ns_nft r <<EOF
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "wan" masquerade
	}
}
EOF
# mallory's interface also holds addresses of dave's LAN, link-local and
# loopback ones: its agent announces them as host candidates.
for _a in 10.9.0.7/24 10.9.0.1/32 169.254.5.5/16 127.9.9.9/32; do
	ns_exec mal ip addr add "$_a" dev eth0 || fail "address $_a on mal"
done
# What dave sends, by destination; what the bystander receives.
ns_nft dave <<EOF
table ip probes {
	counter to_lan {}
	counter to_carol {}
	counter to_odd {}
	counter to_mallory {}
	chain out {
		type filter hook output priority 0; policy accept;
		meta l4proto udp ip daddr 10.9.0.3 counter name to_carol
		meta l4proto udp ip daddr 10.9.0.0/24 counter name to_lan
		meta l4proto udp ip daddr { 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4 } counter name to_odd
		meta l4proto udp ip daddr 11.0.0.3 counter name to_mallory
	}
}
EOF
ns_nft vic <<EOF
table ip probes {
	counter udp_in {}
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		meta l4proto udp counter name udp_in
	}
}
EOF
count() {	# count NS COUNTER: packets so far
	ns_exec "$1" nft list counter ip probes "$2" |
	    sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

mkdir -p "$T/srv"
head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"
ns_bg pub "$P2P_SERVER" -f -v --listen 11.0.0.1:3478 --secret-file "$T/secret" \
    --state-dir "$T/srv" >"$T/server.log" 2>&1
wait_for 10 test -s "$T/srv/port" || fail "server did not start"
agent() {	# agent NAME: p2pd in namespace NAME, group g
	mkdir -p "$T/$1"
	mint "$1" g > "$T/$1/token" || fail "minting a token for $1"
	ns_bg "$1" "$P2PD" -f -v --server 11.0.0.1:3478 --port 4000 \
	    --token-file "$T/$1/token" --socket "$T/$1/sock" \
	    --state-dir "$T/$1" >"$T/$1.log" 2>&1
}
agent dave
agent carol
agent mal
wait_registered dave carol mal

direct() {	# direct FROM TO: FROM's session with TO is on a direct path
	ctl "$1" --json peers | tr -d '\n' | sed 's/}, *{/}\n{/g' |
	    grep "\"$2\"" | grep -q '"path": *"direct"'
}
ctl mal connect dave --timeout 10 >/dev/null || fail "connect mallory -> dave"
wait_for 15 direct dave mal || fail "no direct path dave -> mallory"
# Give the checks of the whole round time to go out (7 tries, about 6 s).
sleep 6
lan=$(count dave to_lan); odd=$(count dave to_odd)
mal=$(count dave to_mallory); vic=$(count vic udp_in)
drops=$(ctl dave metrics | sed -n 's/^p2pd_drops_total{reason="probe"} \([0-9]*\)/\1/p')
echo "dave -> mallory: to its public address $mal packets; to dave's LAN $lan, to loopback/link-local/multicast $odd; the bystander got $vic; drops{probe}=$drops"
[ "$mal" -gt 0 ] || fail "dave sent nothing to mallory's public address (the counters see nothing)"
[ "$lan" -eq 0 ] || fail "dave sent $lan packets into its own LAN for a peer that is not on it"
[ "$odd" -eq 0 ] || fail "dave sent $odd packets to loopback, link-local or multicast addresses"
[ "$vic" -eq 0 ] || fail "the bystander on dave's LAN got $vic UDP packets"
[ -n "$drops" ] && [ "$drops" -gt 0 ] || fail "dave counted no refused candidate (drops{probe}=$drops)"
grep -q "not checking 10.9.0.[17]:4000 (one of this host's networks, and the peer is not on this LAN)" "$T/dave.log" ||
    fail "dave did not log the refused candidates"

# carol is on dave's LAN: its host address is checked, the path is direct.
ctl carol connect dave --timeout 10 >/dev/null || fail "connect carol -> dave"
wait_for 15 direct carol dave || fail "no direct path carol -> dave on their LAN"
ctl carol --json peers | tr -d '\n' | grep -q '"remote_addr": *"10.9.0.2:4000"' ||
    fail "carol's direct path to dave is not its LAN address: $(ctl carol --json peers)"
toc=$(count dave to_carol)
[ "$toc" -gt 0 ] || fail "dave sent nothing to carol's LAN address"
echo "carol -> dave on their LAN: direct via 10.9.0.2:4000; dave sent carol $toc packets"
