#!/bin/sh
# SPDX-License-Identifier: ISC
# make attack: the attacks of the security review (issue 15) against a
# local server on loopback, each printing its figure. Needs root (forged
# sources); what cannot run here says so. Not part of make check: the
# timing figures depend on the machine (tests/integration/amplify.sh,
# regauth.sh and relay_quota.sh check the properties in make check).
#
#   1. spoofed UNKNOWN_REG / VERSION_ERROR at a registered agent
#   2. registrations per second, alone and during a 20,000/s flood of
#      spoofed REG_HELLOs
#   3. a token holder forging its source to a victim (amplification)
#   6. the HTTP API: 1000 connections holding bodies without the key, a
#      client pipelining requests without reading, the descriptor limit
#   5. an agent's transfer under 20,000 forged HS_INITs a second
#   4. a peer forging the source of its path checks
#   8. STUN from one address and from one /24
#   the amplification table of every unauthenticated message
. "$top_srcdir/tests/integration/lib.sh"
ATK="$top_builddir/tests/attack/p2pattack"
MITM="$top_builddir/tests/integration/regmitm"
[ "$(id -u)" -eq 0 ] || skip "the attacks forge sources: run make attack as root"
# ATTACK_PARTS="2 5" runs only those parts (amp, 1, 2, 3, 4, 5, 6, 8);
# ATTACK_ROUNDS: the rounds of finding 5's timings (2); ATTACK_SERVER:
# another p2p-server binary to attack (a before/after comparison with the
# same tools); ATTACK_PERF=1: finding 2 also records the whole machine
# with perf during the flood and prints where its time went (into
# ATTACK_PERF_DATA if set, to look at afterwards).
[ -n "${ATTACK_SERVER:-}" ] && P2P_SERVER=$ATTACK_SERVER
part() {
	case " ${ATTACK_PARTS:-all} " in
	*" all "*|*" $1 "*) return 0 ;;
	esac
	return 1
}

rss() {	# rss PID: resident memory in KiB
	awk '/^VmRSS/ { print $2 }' "/proc/$1/status"
}
cpu() {	# cpu PID: user + system time in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}
# Where the kernel dropped datagrams: the server's own socket (its receive
# buffer was full), every UDP socket's receive-buffer errors, the input
# backlog of all CPUs (loopback's queue before the sockets), and
# datagrams to ports no one listens on (the forged sources' replies).
kdrops() {	# kdrops PORT: "SOCKET RCVBUF BACKLOG NOPORTS"
	_p=$(printf '%04X' "$1")
	_sock=$(awk -v p=":$_p" 'substr($2, length($2) - 4) == p { s += $NF }
	    END { print s + 0 }' /proc/net/udp)
	_udp=$(awk '/^Udp:/ && ++n == 2 { print $6, $3 }' /proc/net/snmp)
	_bl=0
	while read -r _a _b _rest; do _bl=$((_bl + 0x$_b)); done \
	    < /proc/net/softnet_stat
	set -- $_udp
	echo "$_sock $1 $_bl $2"
}
kdiff() {	# kdiff BEFORE AFTER: what was dropped in between, in words
	set -- $1 $2
	echo "server socket dropped $(($5 - $1)), UDP receive buffers" \
	    "$(($6 - $2)), input backlog $(($7 - $3)); to no listener $(($8 - $4))"
}

start_http_server --alt-listen 127.0.0.2:0 --policy open
S="127.0.0.1:$SERVER_PORT"
H=$(cat "$T/srv/http_port")
if part amp; then
echo "== the amplification table"
"$ATK" amp "$S" "$T/secret"

fi
if part 1; then
echo "== finding 1: spoofed UNKNOWN_REG and VERSION_ERROR"
relay_pair alice bob g
reg=$(http_get /v1/peers/alice | tr -d ' \n' | sed -n 's/.*"reg_id":\([0-9]*\).*/\1/p')
aport=$(ctl alice --json status | sed -n 's/.*"local_port": *\([0-9]*\).*/\1/p')
ctl alice ping bob -c 40 -i 0.5 > "$T/ping.out" 2>&1 &
pinger=$!
i=0
while [ $i -lt 20 ]; do
	"$MITM" spoof "$S" "127.0.0.1:$aport" unknown-reg "$reg" >/dev/null
	"$MITM" spoof "$S" "127.0.0.1:$aport" version-error >/dev/null
	sleep 1
	i=$((i + 1))
done
wait $pinger
reg2=$(http_get /v1/peers/alice | tr -d ' \n' | sed -n 's/.*"reg_id":\([0-9]*\).*/\1/p')
echo "finding 1: 20 UNKNOWN_REG and 20 VERSION_ERROR over 20 s: relayed pings" \
    "$(grep -c 'time=' "$T/ping.out")/40 answered; registration $reg -> $reg2" \
    "($([ "$reg" = "$reg2" ] && echo kept || echo CHANGED))"

fi
if part 2; then
echo "== finding 2: registrations per second"
# The server's and the flooder's CPU while each regrate runs: on a shared
# machine the flooder's own CPU is taken from the clients and the server.
sc0=$(cpu "$SERVER_PID"); w0=$(date +%s.%N); k0=$(kdrops "$SERVER_PORT")
"$ATK" regrate "$S" "$T/secret" 2000 32 | tee "$T/rate0"
sc1=$(cpu "$SERVER_PID"); w1=$(date +%s.%N); k1=$(kdrops "$SERVER_PORT")
echo "finding 2, without the flood: $(kdiff "$k0" "$k1")"
"$ATK" helloflood "$S" 20000 25 > "$T/flood.out" &
flooder=$!
# The flood alone: what it costs the server with no registration beside it.
sleep 1
sf0=$(cpu "$SERVER_PID"); wf0=$(date +%s.%N)
sleep 3
sf1=$(cpu "$SERVER_PID"); wf1=$(date +%s.%N)
echo "finding 2: the flood alone cost the server" \
    "$(awk "BEGIN { printf \"%.0f%%\", ($sf1 - $sf0) / ($wf1 - $wf0) }") of a core"
if [ "${ATTACK_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
	perf record -a -g -o "${ATTACK_PERF_DATA:-$T/perf.data}" -- sleep 5 \
	    >/dev/null 2>&1 &
	perfer=$!
fi
sc2=$(cpu "$SERVER_PID"); fc2=$(cpu "$flooder"); w2=$(date +%s.%N)
k2=$(kdrops "$SERVER_PORT")
"$ATK" regrate "$S" "$T/secret" 2000 32 | tee "$T/rate1"
sc3=$(cpu "$SERVER_PID"); fc3=$(cpu "$flooder"); w3=$(date +%s.%N)
k3=$(kdrops "$SERVER_PORT")
echo "finding 2, during the flood: $(kdiff "$k2" "$k3")"
# The hard case: a source the server has never seen (a new device, or
# every device right after the server restarted) during the same flood.
echo "finding 2: from an address the server has not seen, during the flood:"
"$ATK" regrate "$S" "$T/secret" 200 32 127.0.4.1 | tee "$T/rate2"
echo "finding 2: the server held $(http_metric p2p_reg_hellos_held_total)" \
    "hellos of $(http_metric p2p_reg_hellos_total); its sockets dropped" \
    "$(http_metric p2p_udp_rx_dropped_total)"
wait $flooder
if [ -n "${perfer:-}" ]; then
	wait "$perfer"
	echo "finding 2: the whole machine during the flood (perf, by command):"
	perf report -i "${ATTACK_PERF_DATA:-$T/perf.data}" --no-children \
	    --sort comm --stdio \
	    -g none --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$'
	echo "finding 2: this server's samples (of all) by function:"
	perf report -i "${ATTACK_PERF_DATA:-$T/perf.data}" --no-children \
	    --pid "$SERVER_PID" \
	    --sort dso,sym --stdio -g none --percent-limit 0.3 2>/dev/null |
	    grep -v '^#' | grep -v '^$' | head -25
fi
# For comparison: the same flood at a socket that reads nothing (no
# server work, the kernel's delivery alone) while the clients register.
"$ATK" sink 127.0.0.1:0 20 > "$T/sink.port" &
sinker=$!
wait_for 5 test -s "$T/sink.port" || fail "no sink"
"$ATK" helloflood "127.0.0.1:$(cat "$T/sink.port")" 20000 12 > /dev/null &
flooder2=$!
sleep 2
echo "finding 2: the same flood at a socket that does nothing, not at the server:"
"$ATK" regrate "$S" "$T/secret" 2000 32 | tee "$T/rate3"
wait $flooder2
kill $sinker 2>/dev/null; wait $sinker 2>/dev/null
cat "$T/flood.out"
r0=$(sed -n 's/.*: \([0-9]*\)\/s.*/\1/p' "$T/rate0")
r1=$(sed -n 's/.*: \([0-9]*\)\/s.*/\1/p' "$T/rate1")
# A real agent at an address the server has never seen, alone and during
# the flood (each in a network namespace of its own, with its own server).
if command -v unshare >/dev/null; then
	for mode in quiet flood quiet flood quiet flood; do
		MODE=$mode unshare -n sh "$top_srcdir/tests/attack/fresh_agent.sh" |
		    grep "^finding 2"
	done
fi
r3=$(sed -n 's/.*: \([0-9]*\)\/s.*/\1/p' "$T/rate3")
echo "finding 2: $r1/s during the flood, $r0/s without:" \
    "$(awk "BEGIN { printf \"%.0f%%\", 100 * $r1 / $r0 }");" \
    "$r3/s while the flood went to a socket that does nothing:" \
    "$(awk "BEGIN { printf \"%.0f%%\", 100 * $r3 / $r0 }")"
echo "finding 2: the server used $(awk "BEGIN { printf \"%.0f%%\", ($sc1 - $sc0) / ($w1 - $w0) }")" \
    "of a core without the flood, $(awk "BEGIN { printf \"%.0f%%\", ($sc3 - $sc2) / ($w3 - $w2) }")" \
    "during it (the flooder $(awk "BEGIN { printf \"%.0f%%\", ($fc3 - $fc2) / ($w3 - $w2) }")); load average" \
    "$(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores"
echo "server after the flood: $(rss "$SERVER_PID") KiB resident"

fi
if part 3; then
echo "== finding 3: a forged source"
"$ATK" spoofamp "$S" "$T/secret" 1000

fi
if part 6; then
echo "== finding 6: the HTTP API"
echo "server before: $(rss "$SERVER_PID") KiB resident"
P2PATTACK_HOLD=5 "$ATK" httphold "127.0.0.1:$H" 1000 &
holder=$!
sleep 4
echo "server while 1000 connections announce 256 KiB bodies without the key:" \
    "$(rss "$SERVER_PID") KiB resident, $(http_metric p2p_http_connections) open," \
    "$(http_metric p2p_http_connections_closed_total) closed"
wait $holder
P2PATTACK_HOLD=3 "$ATK" httppipe "127.0.0.1:$H" 10 &
piper=$!
sleep 11
echo "server while a client pipelines requests and reads nothing:" \
    "$(rss "$SERVER_PID") KiB resident"
wait $piper
c0=$(cpu "$SERVER_PID"); l0=$(wc -c < "$T/server.log")
# The descriptor limit: a second server with 200 descriptors.
mkdir -p "$T/lim"
(ulimit -n 200; exec "$P2P_SERVER" -f --listen 127.0.0.1:0 --secret-file "$T/secret" \
    --state-dir "$T/lim" --http 127.0.0.1:0 --admin-key-file "$T/admin") \
    >"$T/lim.log" 2>&1 &
LPID=$!
PIDS="$PIDS $LPID"
wait_for 10 test -s "$T/lim/http_port" || fail "the limited server did not start"
P2PATTACK_SRCS=20 P2PATTACK_HOLD=6 "$ATK" httphold \
    "127.0.0.1:$(cat "$T/lim/http_port")" 400 >/dev/null &
holder=$!
sleep 1
lc0=$(cpu "$LPID"); ll0=$(wc -c < "$T/lim.log")
sleep 5
lc1=$(cpu "$LPID"); ll1=$(wc -c < "$T/lim.log")
wait $holder
echo "at 200 descriptors with 400 connections from 20 addresses: the server used" \
    "$(awk "BEGIN { printf \"%.0f%%\", ($lc1 - $lc0) / 5 }") of a core and logged" \
    "$((ll1 - ll0)) bytes in 5 s"
grep -m1 "cannot accept\|not accepting" "$T/lim.log" || true

fi
if part 5; then
echo "== finding 5: HS_INIT floods at an agent"
# An 8 MiB pipe carol -> dave (a direct path), alone and while dave's port
# gets 20,000 forged HS_INITs a second: garbage (mac1 makes each cost a
# hash), and real initiations with a valid mac1 replayed from forged
# sources (each worth two Diffie-Hellmans; under load dave answers them
# with COOKIE_REPLYs, to an address of no introduced peer at most 200 a
# second). Interleaved rounds of quiet, garbage, real; the medians.
pipe_secs() {	# pipe_secs NAME: seconds for 8 MiB carol -> dave
	head -c 8388608 /dev/urandom > "$T/in"
	ctl dave pipe carol --name "$1" --timeout 120 < /dev/null > "$T/out" 2>/dev/null &
	rx=$!
	s0=$(date +%s.%N)
	ctl carol pipe dave --name "$1" --timeout 120 < "$T/in" > /dev/null 2>&1
	wait $rx
	s1=$(date +%s.%N)
	cmp -s "$T/in" "$T/out" || echo "(the pipe $1 differs)" >&2
	awk "BEGIN { printf \"%.2f\", $s1 - $s0 }"
}
flooded_secs() {	# flooded_secs NAME [IDENTITY-FILE]
	"$ATK" hsflood "127.0.0.1:$dport" 20000 60 ${2:-} > "$T/hsflood.out" &
	hf=$!
	sleep 1
	pipe_secs "$1"
	kill $hf 2>/dev/null; wait $hf 2>/dev/null
}
AGENT_ARGS= start_agent carol g
AGENT_ARGS= start_agent dave g
wait_registered carol dave
ctl carol connect dave --timeout 10 >/dev/null
sleep 3	# the direct path
dport=$(ctl dave --json status | sed -n 's/.*"local_port": *\([0-9]*\).*/\1/p')
med() {	# med V...: the median
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
	    printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
qs=""; fs=""; rs=""
i=0
while [ $i -lt "${ATTACK_ROUNDS:-2}" ]; do
	q=$(pipe_secs "quiet$i"); f=$(flooded_secs "flooded$i")
	r=$(flooded_secs "real$i" "$T/dave/identity.key")
	echo "finding 5, round $i: 8 MiB in $q s alone, $f s under garbage," \
	    "$r s under valid-mac1 HS_INITs; load average $(cut -d' ' -f1 /proc/loadavg)"
	qs="$qs $q"; fs="$fs $f"; rs="$rs $r"
	i=$((i + 1))
done
# shellcheck disable=SC2086
echo "finding 5: 8 MiB in$qs s alone, in$fs s under 20,000" \
    "garbage HS_INITs a second at the receiver, in$rs s under" \
    "20,000 valid-mac1 HS_INITs a second from forged sources (medians" \
    "$(med $qs), $(med $fs), $(med $rs): $(awk "BEGIN { printf \"%.2f\", $(med $rs) / $(med $qs) }")x);" \
    "dave dropped $(ctl dave --json status | sed -n 's/.*"dropped": *\([0-9]*\).*/\1/p')" \
    "packets; path $(ctl carol --json peers | grep -o '"path": *"[a-z]*"' | head -1)"
grep "HS_INIT flood" "$T/dave.log" | sed 's/^/dave: /'

fi
if part 4; then
echo "== finding 4: a peer that forges its source"
# mallory, introduced to dave (--policy open), seals PATH_CHALLENGEs in its
# real session and forges their source: a third host, then its own IP.
[ -n "${dave_PID:-}" ] || { AGENT_ARGS= start_agent dave g; wait_registered dave; }
"$ATK" probeflood "$S" "$T/secret" dave 1000

fi
if part 8; then
echo "== finding 8: STUN"
"$ATK" stunflood "$S" 2000 1
"$ATK" stunflood "$S" 20 200
fi
echo "attack: done"
