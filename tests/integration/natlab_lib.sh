# SPDX-License-Identifier: ISC
# The NAT lab (docs/NATLAB.md): an "Internet" with ISP routers and NAT
# routers, built from network namespaces and the kernel's own NAT
# (nftables). Sourced after lib.sh and netns_lib.sh, not run; netns_require
# first.
#
# NATLAB_TOPO=transit (the default), as on the Internet: every client sits
# behind its own ISP router, so a packet crosses at least one forwarding
# hop between a NAT and the server and three between two NATs:
#
#   pub: the core router and the server: bridge br0 = 11.0.0.0/24, the
#        server on .1 and .2 (RFC 5780), the core router on .254
#     `-- ISP router NAMEi: core 11.0.0.(10+N) | access 11.N.0.1/24
#           |-- router NAMEr: wan 11.N.0.2 | lan 10.N.0.1/24
#           |       |-- host NAME  10.N.0.2 (default route via 10.N.0.1)
#           |       `-- host NAME2 10.N.0.3 (with HOSTS=2)
#           `-- or host NAME 11.N.0.2 itself (type open)
#
# NATLAB_TOPO=adjacent: the NATs' WAN sides (and open hosts) sit on br0
# itself, next to the server and to each other (11.0.0.(10+N), open hosts
# 11.0.0.(100+N)): the harshest case for NATs that poison each other.
#
# The "public" addresses (11.0.0.0/8) are outside the reserved ranges, so
# that miniupnpd on a lab router accepts its WAN address (it refuses port
# forwarding on reserved ones, 203.0.113.0/24 among them). They exist only
# inside the lab's namespaces, which have no link to the host's own
# network and so no route out.
#
# A router's LAN side is a bridge too, so a second host is one more port.
# The routers know no route to anyone's LAN, so only what the NAT lets in
# arrives; hairpinning is not set up (as on many real NATs).
# NATLAB_ROUTER_FW=1 (the default): every NAT router drops unsolicited UDP
# addressed to itself, as a home router's firewall does; 0: a bare Linux
# gateway without that rule (see natlab_rules).
# Variables here start with _nl_: lib.sh's and netns_lib.sh's helpers use
# _n, _name and the like, and sh has no locals.
#
#   natlab_pub                  the pub namespace and its bridge
#   natlab_router NAME TYPE [HOSTS]
#                               a client: TYPE open | full-cone | restricted |
#                               port-restricted | symmetric | udp-blocked
#   natlab_wan NAME             the client's public address (the router's WAN,
#                               or the host's own address for open)
#   natlab_host NAME            the host's own address (10.N.0.2, or public)
#   natlab_edge NAME            the namespace with NAME's nft table natlab
#                               (router, or the host itself for open)
#   natlab_count NAME COUNTER   packets counted so far: udp_out (all UDP
#                               towards pub) or udp_new (new UDP flows)
#   natlab_isp_count NAME       UDP packets from NAME's side that died at
#                               its ISP router, their TTL run out (transit)
#   natlab_cut NAME ADDR        drop everything between NAME's edge and ADDR
#   natlab_uncut NAME           undo natlab_cut
#   natlab_upnp NAME            miniupnpd (UPnP IGD, NAT-PMP and PCP) on
#                               NAME's router for its LAN; sets UPNP_PID
#   natlab_server [ARGS...]     p2p-server in pub on 11.0.0.1:3478 (and
#                               [2001:db8::1]:3478 with NATLAB_V6=1); sets
#                               SERVER_PORT (and HTTP_PORT with --http)
#   natlab_agent NAME [ARGS...] p2pd in host NAME, socket $T/NAME/sock, so
#                               lib.sh's ctl and wait_registered work
#                               ($NATLAB_AGENT_ARGS too, e.g. -vv)
#   natlab_reset                kill every daemon, remove every namespace
#   natlab_host6 NAME           the host's IPv6 address (NATLAB_V6=1)
#   natlab_fw6_count NAME COUNTER
#                               NAME's IPv6 firewall: udp_out (UDP out) or
#                               in_drop (inbound packets it dropped)
#   natlab_cut6 NAME ADDR       drop IPv6 between NAME's edge and ADDR
#   natlab_slow NAME ip|ip6 MS  MS more one-way delay for that family only,
#                               from NAME's side at its ISP router (delayq)
#
# NATLAB_V6=1 (transit only) adds an IPv6 core beside the IPv4 one: pub
# 2001:db8::1 and ::2 (the server), core router 2001:db8::fe; ISP router N
# 2001:db8::N0 on the core, 2001:db8:N::1/64 on its access link; a client's
# uplink 2001:db8:N::2, its LAN 2001:db8:N:1::/64 (host ::2, second host
# ::3). No NAT on IPv6: every NAT router is also a stateful IPv6 firewall
# (table ip6 natlab6: inbound forwarded packets pass only when conntrack
# has them as established or related; everything else from the WAN is
# dropped and counted), as IPv6 home routers are. Without NATLAB_V6 the
# namespaces have IPv6 off, as before.

: "${NATLAB_TOPO:=transit}"
case $NATLAB_TOPO in
transit|adjacent) ;;
*) fail "NATLAB_TOPO=$NATLAB_TOPO: expected transit or adjacent" ;;
esac
: "${NATLAB_ROUTER_FW:=1}"
case $NATLAB_ROUTER_FW in
0|1) ;;
*) fail "NATLAB_ROUTER_FW=$NATLAB_ROUTER_FW: expected 0 or 1" ;;
esac

# One-way delay each way between a client's edge and pub (netem on both ends
# of its link): a relayed or direct round trip between two clients is then
# 4 x NATLAB_DELAY_MS, as across a real Internet. 0: none.
: "${NATLAB_DELAY_MS:=10}"

# natlab_delay NS-A IF-A NS-B IF-B: the delay on both ends of a link. A
# kernel without netem (sch_netem) gets none, and the run says so once.
natlab_delay() {
	[ "$NATLAB_DELAY_MS" -gt 0 ] || return 0
	if ! ip netns exec "$(ns_full "$1")" tc qdisc add dev "$2" root netem \
	    delay "${NATLAB_DELAY_MS}ms" limit 10000 2>/dev/null; then
		echo "natlab: this kernel has no netem: links without delay"
		NATLAB_DELAY_MS=0
		return 0
	fi
	ip netns exec "$(ns_full "$3")" tc qdisc add dev "$4" root netem \
	    delay "${NATLAB_DELAY_MS}ms" limit 10000 || fail "netem on $3:$4"
}

NATLAB_S1=11.0.0.1
NATLAB_S2=11.0.0.2
NATLAB_CORE=11.0.0.254
NATLAB_N=0
: "${NATLAB_V6:=0}"
case $NATLAB_V6:$NATLAB_TOPO in
0:*|1:transit) ;;
1:*) fail "NATLAB_V6=1 needs NATLAB_TOPO=transit" ;;
*) fail "NATLAB_V6=$NATLAB_V6: expected 0 or 1" ;;
esac
NATLAB_S6=2001:db8::1
NATLAB_S6B=2001:db8::2
NATLAB_CORE6=2001:db8::fe

# natlab_ip6 NS...: IPv6 off (NATLAB_V6=0), or on without duplicate address
# detection (addresses usable at once) and forwarding as a router.
natlab_ip6() {
	for _nl_6 in "$@"; do
		if [ "$NATLAB_V6" != 1 ]; then
			ns_no_ipv6 "$_nl_6"
			continue
		fi
		ns_exec "$_nl_6" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0 \
		    net.ipv6.conf.all.forwarding=1 \
		    net.ipv6.conf.default.accept_ra=0 ||
		    fail "IPv6 settings in $_nl_6"
	done
}

natlab_addr6() {	# natlab_addr6 NS IF ADDR/LEN
	ip -n "$(ns_full "$1")" addr add "$3" dev "$2" nodad ||
	    fail "address $3 on $1:$2"
}

natlab_route6() {	# natlab_route6 NS DEST VIA
	ip -n "$(ns_full "$1")" -6 route add "$2" via "$3" ||
	    fail "route $2 via $3 in $1"
}

natlab_pub() {
	ns_add pub
	natlab_ip6 pub
	ns_bridge pub br0 "$NATLAB_S1/24" "$NATLAB_S2/24"
	if [ "$NATLAB_V6" = 1 ]; then
		natlab_addr6 pub br0 "$NATLAB_S6/64"
		natlab_addr6 pub br0 "$NATLAB_S6B/64"
		natlab_addr6 pub br0 "$NATLAB_CORE6/64"
	fi
	[ "$NATLAB_TOPO" = transit ] || return 0
	ip -n "$(ns_full pub)" addr add "$NATLAB_CORE/24" dev br0 ||
	    fail "the core router's address in pub"
	ns_forward pub
	# The ISP routers share br0: pub routes between them, without redirects.
	ns_exec pub sysctl -qw net.ipv4.conf.all.send_redirects=0 \
	    net.ipv4.conf.br0.send_redirects=0 || fail "redirects off in pub"
}

# The ISP router's nft table natlab. It only forwards; the counter sees UDP
# from the client's side that arrives with a TTL too low to be forwarded.
# The kernel drops such a packet before the forward hook (and answers ICMP
# time exceeded), so it is counted in prerouting.
natlab_isp_rules() {
	cat <<EOF
table ip natlab {
	counter udp_lowttl {}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		iifname "acc" meta l4proto udp ip ttl < 2 counter name udp_lowttl
	}
}
EOF
	[ "$NATLAB_V6" = 1 ] || return 0
	cat <<EOF
table ip6 natlab {
	counter udp_lowttl {}
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		iifname "acc" meta l4proto udp ip6 hoplimit < 2 counter name udp_lowttl
	}
}
EOF
}

# A NAT router's IPv6 side (NATLAB_V6=1): no translation, a stateful
# firewall. Counters first, so they see what the drop rule takes.
natlab_fw6_rules() {
	cat <<EOF
table ip6 natlab6 {
	counter udp_out {}
	counter in_drop {}
	chain forward6 {
		type filter hook forward priority 0; policy accept;
		oifname "wan" meta l4proto udp counter name udp_out
		iifname "wan" ct state established,related accept
		iifname "wan" counter name in_drop drop
	}
}
EOF
}

# natlab_uplink NS N IF ADDR-FILE: the uplink of namespace NS (a NAT router,
# or an open host) for client N. transit: an ISP router Ni on br0, routed
# by pub, and a link from its access side to IF; adjacent: IF on br0
# itself. Writes IF's address to ADDR-FILE.
natlab_uplink() {
	_nl_u=$1; _nl_k=$2; _nl_uif=$3
	if [ "$NATLAB_TOPO" = adjacent ]; then
		if [ "$_nl_uif" = eth0 ]; then _nl_ua=11.0.0.$((100 + _nl_k))
		else _nl_ua=11.0.0.$((10 + _nl_k)); fi
		ns_plug "$_nl_u" "$_nl_uif" "$_nl_ua/24" pub br0 "p$_nl_k"
		natlab_delay "$_nl_u" "$_nl_uif" pub "p$_nl_k"
		echo "$_nl_ua" > "$4"
		return
	fi
	_nl_isp="isp$_nl_k"
	ns_add "$_nl_isp"
	natlab_ip6 "$_nl_isp"
	ns_plug "$_nl_isp" core "11.0.0.$((10 + _nl_k))/24" pub br0 "p$_nl_k"
	natlab_delay "$_nl_isp" core pub "p$_nl_k"
	ns_route "$_nl_isp" default "$NATLAB_CORE"
	ns_link "$_nl_isp" acc "11.$_nl_k.0.1/24" "$_nl_u" "$_nl_uif" "11.$_nl_k.0.2/24"
	ns_route "$_nl_u" default "11.$_nl_k.0.1"
	ns_route pub "11.$_nl_k.0.0/24" "11.0.0.$((10 + _nl_k))"
	ns_forward "$_nl_isp"
	natlab_isp_rules > "$T/nft.$_nl_isp"
	ns_nft "$_nl_isp" < "$T/nft.$_nl_isp"
	if [ "$NATLAB_V6" = 1 ]; then
		natlab_addr6 "$_nl_isp" core "2001:db8::${_nl_k}0/64"
		natlab_route6 "$_nl_isp" default "$NATLAB_CORE6"
		natlab_addr6 "$_nl_isp" acc "2001:db8:$_nl_k::1/64"
		natlab_addr6 "$_nl_u" "$_nl_uif" "2001:db8:$_nl_k::2/64"
		natlab_route6 "$_nl_u" default "2001:db8:$_nl_k::1"
		natlab_route6 pub "2001:db8:$_nl_k::/48" "2001:db8::${_nl_k}0"
	fi
	echo "11.$_nl_k.0.2" > "$4"
}

# The nft table natlab of an edge. Counters come first so they see what the
# later rules drop; restricted cone remembers (mapped port, remote address)
# after the source NAT (priority 200 > srcnat) and lets in only those.
natlab_rules() {	# natlab_rules TYPE WAN-IF WAN-ADDR HOST-ADDR
	_nl_t=$1; _nl_if=$2; _nl_w=$3; _nl_h=$4
	echo "table ip natlab {"
	echo "	counter udp_out {}"
	echo "	counter udp_new {}"
	[ "$_nl_t" = restricted ] && cat <<EOF
	set pairs {
		type inet_service . ipv4_addr
		flags dynamic,timeout
		timeout 2m
	}
EOF
	if [ "$_nl_t" = open ]; then
		cat <<EOF
	chain out {
		type filter hook output priority 0; policy accept;
		oifname "$_nl_if" meta l4proto udp counter name udp_out
		oifname "$_nl_if" meta l4proto udp ct state new counter name udp_new
	}
	chain cut1 { type filter hook input priority -10; policy accept; }
	chain cut2 { type filter hook output priority -10; policy accept; }
}
EOF
		return
	fi
	cat <<EOF
	chain cut1 { type filter hook forward priority -10; policy accept; }
	chain cut2 { type filter hook input priority -10; policy accept; }
	chain count {
		type filter hook forward priority 0; policy accept;
		oifname "$_nl_if" meta l4proto udp counter name udp_out
		oifname "$_nl_if" meta l4proto udp ct state new counter name udp_new
EOF
	[ "$_nl_t" = udp-blocked ] && echo "		meta l4proto udp drop"
	echo "	}"
	# Unsolicited UDP to the router itself is dropped, as a home router's
	# firewall does (OpenWrt's wan zone). Without it the kernel confirms a
	# conntrack entry for the packet before finding no socket, and the
	# next mapping towards that sender takes another port: two cones
	# punching at once would each break the other's mapping
	# (NATLAB_ROUTER_FW=0 keeps that harsher router; docs/NATLAB.md).
	if [ "${NATLAB_ROUTER_FW:-1}" != 0 ]; then
		echo "	chain wan_in {"
		echo "		type filter hook input priority 0; policy accept;"
		echo "		iifname \"$_nl_if\" meta l4proto udp ct state new drop"
		echo "	}"
	fi
	echo "	chain pre {"
	echo "		type nat hook prerouting priority dstnat; policy accept;"
	case $_nl_t in
	full-cone)
		echo "		iifname \"$_nl_if\" meta l4proto udp dnat to $_nl_h" ;;
	restricted)
		echo "		iifname \"$_nl_if\" udp dport . ip saddr @pairs dnat to $_nl_h" ;;
	esac
	echo "	}"
	echo "	chain post {"
	echo "		type nat hook postrouting priority srcnat; policy accept;"
	case $_nl_t in
	port-restricted|udp-blocked)
		echo "		oifname \"$_nl_if\" masquerade" ;;
	symmetric)
		echo "		oifname \"$_nl_if\" masquerade fully-random" ;;
	full-cone|restricted)
		echo "		oifname \"$_nl_if\" snat to $_nl_w" ;;
	esac
	echo "	}"
	if [ "$_nl_t" = restricted ]; then
		cat <<EOF
	chain track {
		type filter hook postrouting priority 200; policy accept;
		oifname "$_nl_if" meta l4proto udp update @pairs { udp sport . ip daddr }
	}
EOF
	fi
	echo "}"
}

natlab_router() {	# natlab_router NAME TYPE [HOSTS]
	_nl_name=$1; _nl_type=$2; _nl_hosts=${3:-1}
	case $_nl_type in
	open|full-cone|restricted|port-restricted|symmetric|udp-blocked) ;;
	*) fail "natlab_router: unknown NAT type $_nl_type" ;;
	esac
	NATLAB_N=$((NATLAB_N + 1))
	_nl_i=$NATLAB_N
	eval "NL_isp_$_nl_name=isp$_nl_i"
	if [ "$_nl_type" = open ]; then
		ns_add "$_nl_name"
		natlab_ip6 "$_nl_name"
		eval "NL_host6_$_nl_name=2001:db8:$_nl_i::2"
		natlab_uplink "$_nl_name" "$_nl_i" eth0 "$T/uplink.$_nl_name"
		_nl_w=$(cat "$T/uplink.$_nl_name")
		# A file, not a pipe: ns_nft's fail must end the test itself.
		natlab_rules open eth0 "$_nl_w" "$_nl_w" > "$T/nft.$_nl_name"
		ns_nft "$_nl_name" < "$T/nft.$_nl_name"
		eval "NL_wan_$_nl_name=$_nl_w NL_host_$_nl_name=$_nl_w"
		eval "NL_edge_$_nl_name=$_nl_name"
		return
	fi
	_nl_r="${_nl_name}r"
	ns_add "$_nl_r" "$_nl_name"
	natlab_ip6 "$_nl_r" "$_nl_name"
	natlab_uplink "$_nl_r" "$_nl_i" wan "$T/uplink.$_nl_name"
	_nl_w=$(cat "$T/uplink.$_nl_name")
	ns_bridge "$_nl_r" lan "10.$_nl_i.0.1/24"
	ns_plug "$_nl_name" eth0 "10.$_nl_i.0.2/24" "$_nl_r" lan l1
	ns_route "$_nl_name" default "10.$_nl_i.0.1"
	if [ "$NATLAB_V6" = 1 ]; then
		natlab_addr6 "$_nl_r" lan "2001:db8:$_nl_i:1::1/64"
		natlab_addr6 "$_nl_name" eth0 "2001:db8:$_nl_i:1::2/64"
		natlab_route6 "$_nl_name" default "2001:db8:$_nl_i:1::1"
		natlab_route6 "isp$_nl_i" "2001:db8:$_nl_i:1::/64" "2001:db8:$_nl_i::2"
		natlab_fw6_rules > "$T/nft6.$_nl_r"
		ns_nft "$_nl_r" < "$T/nft6.$_nl_r"
		eval "NL_host6_$_nl_name=2001:db8:$_nl_i:1::2"
	fi
	if [ "$_nl_hosts" -ge 2 ]; then
		ns_add "${_nl_name}2"
		natlab_ip6 "${_nl_name}2"
		ns_plug "${_nl_name}2" eth0 "10.$_nl_i.0.3/24" "$_nl_r" lan l2
		ns_route "${_nl_name}2" default "10.$_nl_i.0.1"
		eval "NL_wan_${_nl_name}2=$_nl_w NL_host_${_nl_name}2=10.$_nl_i.0.3"
		eval "NL_edge_${_nl_name}2=$_nl_r NL_isp_${_nl_name}2=isp$_nl_i"
		if [ "$NATLAB_V6" = 1 ]; then
			natlab_addr6 "${_nl_name}2" eth0 "2001:db8:$_nl_i:1::3/64"
			natlab_route6 "${_nl_name}2" default "2001:db8:$_nl_i:1::1"
			eval "NL_host6_${_nl_name}2=2001:db8:$_nl_i:1::3"
		fi
	fi
	ns_forward "$_nl_r"
	natlab_rules "$_nl_type" wan "$_nl_w" "10.$_nl_i.0.2" > "$T/nft.$_nl_r"
	ns_nft "$_nl_r" < "$T/nft.$_nl_r"
	eval "NL_wan_$_nl_name=$_nl_w NL_host_$_nl_name=10.$_nl_i.0.2"
	eval "NL_edge_$_nl_name=$_nl_r"
}

# miniupnpd serves the router's LAN with all three protocols (UPnP IGD,
# NAT-PMP and PCP: -N turns NAT-PMP/PCP on) and writes its rules into
# table inet filter, which the router gets here: a forward chain that only
# jumps to miniupnpd's (the natlab table's policies stay accept) and the
# nat chains it adds its DNAT rules to. It grants mappings to the LAN's
# own addresses only (secure_mode) and keeps leases in $T.
natlab_upnp() {		# natlab_upnp NAME
	_nl_r=$(natlab_edge "$1")
	command -v miniupnpd >/dev/null 2>&1 ||
	    skip "miniupnpd is missing (apt-get install miniupnpd-nftables)"
	_nl_lan=$(natlab_host "$1"); _nl_lan=${_nl_lan%.*}
	cat > "$T/upnp.$1.conf" <<EOF
ext_ifname=wan
listening_ip=lan
enable_natpmp=yes
enable_upnp=yes
secure_mode=yes
system_uptime=no
lease_file=$T/upnp.$1.leases
upnp_table_name=filter
upnp_nat_table_name=filter
uuid=3b5d9f4a-0c1e-4f3e-9a7b-$(printf %012d "$(echo "$_nl_lan" | cut -d. -f2)")
allow 1024-65535 $_nl_lan.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
EOF
	ns_nft "$_nl_r" <<EOF
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy accept;
		jump miniupnpd
	}
	chain miniupnpd {}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		jump postrouting_miniupnpd
	}
	chain prerouting_miniupnpd {}
	chain postrouting_miniupnpd {}
}
EOF
	ns_bg "$_nl_r" miniupnpd -d -f "$T/upnp.$1.conf" -P "$T/upnp.$1.pid" \
	    >"$T/upnp.$1.log" 2>&1
	UPNP_PID=$NS_PID
	wait_for 5 grep -q "Listening for NAT-PMP" "$T/upnp.$1.log" ||
	    fail "miniupnpd on $1's router did not start: $(tail -5 "$T/upnp.$1.log")"
}

natlab_wan() { eval "echo \"\$NL_wan_$1\""; }
natlab_host6() { eval "echo \"\${NL_host6_$1:-}\""; }

natlab_fw6_count() {	# natlab_fw6_count NAME COUNTER
	ns_exec "$(natlab_edge "$1")" nft list counter ip6 natlab6 "$2" 2>/dev/null |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# natlab_cut6 NAME ADDR: NAME's IPv6 firewall drops everything to and from
# ADDR (an IPv6 path that dies; IPv4 stays).
natlab_cut6() {
	_nl_e=$(natlab_edge "$1")
	ns_exec "$_nl_e" nft insert rule ip6 natlab6 forward6 ip6 daddr "$2" drop &&
	ns_exec "$_nl_e" nft insert rule ip6 natlab6 forward6 ip6 saddr "$2" drop ||
	    fail "cutting $1 from $2 on IPv6"
}

# natlab_slow NAME ip|ip6 MS: packets of that family from NAME's side wait
# MS ms more at its ISP router (towards the core; the other family and the
# other direction do not). The kernel may have no netem, so a TUN device
# does it (delayq): a policy rule sends that family's packets from the
# access link into it, and delayq hands them back MS ms later to be routed
# on as usual (one more TTL decrement on the way). Transit only.
natlab_slow() {
	_nl_isp=$(natlab_isp "$1"); _nl_dq="dq$2"
	case $2 in ip) _nl_f=-4 ;; ip6) _nl_f=-6 ;; *) fail "natlab_slow: $2" ;; esac
	[ -x "$top_builddir/tests/integration/delayq" ] ||
	    skip "delayq is not built (make natlab builds it)"
	rm -f "$T/$_nl_dq.$1.ready"
	ns_bg "$_nl_isp" "$top_builddir/tests/integration/delayq" "$_nl_dq" "$3" \
	    "$T/$_nl_dq.$1.ready" >"$T/delayq.$1.$2.log" 2>&1
	wait_for 5 test -e "$T/$_nl_dq.$1.ready" ||
	    fail "delayq in $_nl_isp: $(cat "$T/delayq.$1.$2.log")"
	ns_exec "$_nl_isp" sysctl -qw "net.ipv4.conf.$_nl_dq.rp_filter=0" \
	    net.ipv4.conf.all.rp_filter=0 "net.ipv6.conf.$_nl_dq.forwarding=1" \
	    2>/dev/null
	ip -n "$(ns_full "$_nl_isp")" link set "$_nl_dq" up &&
	ip -n "$(ns_full "$_nl_isp")" "$_nl_f" route add default dev "$_nl_dq" table 100 &&
	ip -n "$(ns_full "$_nl_isp")" "$_nl_f" rule add iif acc lookup 100 pref 100 ||
	    fail "slowing $2 from $1 in $_nl_isp"
}
natlab_host() { eval "echo \"\$NL_host_$1\""; }
natlab_edge() { eval "echo \"\$NL_edge_$1\""; }
natlab_isp() { eval "echo \"\$NL_isp_$1\""; }

natlab_count() {	# natlab_count NAME COUNTER
	ns_exec "$(natlab_edge "$1")" nft list counter ip natlab "$2" 2>/dev/null |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

natlab_isp_count() {	# natlab_isp_count NAME
	[ "$NATLAB_TOPO" = transit ] || { echo 0; return; }
	ns_exec "$(natlab_isp "$1")" nft list counter ip natlab udp_lowttl 2>/dev/null |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

natlab_cut() {		# natlab_cut NAME ADDR
	_nl_e=$(natlab_edge "$1")
	for _nl_c in cut1 cut2; do
		ns_exec "$_nl_e" nft add rule ip natlab "$_nl_c" ip daddr "$2" drop &&
		ns_exec "$_nl_e" nft add rule ip natlab "$_nl_c" ip saddr "$2" drop ||
		    fail "cutting $1 from $2"
	done
}

natlab_uncut() {
	_nl_e=$(natlab_edge "$1")
	ns_exec "$_nl_e" nft flush chain ip natlab cut1 &&
	ns_exec "$_nl_e" nft flush chain ip natlab cut2 || fail "uncutting $1"
}

natlab_server() {
	mkdir -p "$T/srv"
	rm -f "$T/srv/port" "$T/srv/http_port"
	[ -f "$T/secret" ] || { head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/secret"; chmod 600 "$T/secret"; }
	_nl_l6=""
	[ "$NATLAB_V6" = 1 ] && _nl_l6="--listen [$NATLAB_S6]:3478"
	# shellcheck disable=SC2086
	ns_bg pub "$P2P_SERVER" -f -v --listen "$NATLAB_S1:3478" $_nl_l6 \
	    --secret-file "$T/secret" --state-dir "$T/srv" "$@" >"$T/server.log" 2>&1
	SERVER_PID=$NS_PID
	wait_for 10 test -s "$T/srv/port" || fail "server did not start"
	SERVER_PORT=$(cat "$T/srv/port")
	case " $* " in
	*" --http "*)
		wait_for 10 test -s "$T/srv/http_port" || fail "server HTTP did not start"
		HTTP_PORT=$(cat "$T/srv/http_port") ;;
	esac
}

natlab_agent() {	# natlab_agent NAME [ARGS...]
	_nl_a=$1; shift
	rm -rf "${T:?}/$_nl_a"
	mkdir -p "$T/$_nl_a"
	mint "$_nl_a" g > "$T/$_nl_a/token" || fail "minting a token for $_nl_a"
	ns_bg "$_nl_a" "$P2PD_BIN" -f -v \
	    --server "${NATLAB_AGENT_SERVER:-$NATLAB_S1:$SERVER_PORT}" \
	    --token-file "$T/$_nl_a/token" --socket "$T/$_nl_a/sock" \
	    --state-dir "$T/$_nl_a" ${NATLAB_AGENT_ARGS:-} "$@" >"$T/$_nl_a.log" 2>&1
	eval "${_nl_a}_PID=$NS_PID"
}

natlab_reset() {
	for _nl_p in $PIDS; do kill -TERM "$_nl_p" 2>/dev/null; done
	for _nl_p in $PIDS; do wait "$_nl_p" 2>/dev/null; done
	PIDS=""
	netns_teardown
	NATLAB_N=0
}
