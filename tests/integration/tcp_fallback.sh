#!/bin/sh
# SPDX-License-Identifier: ISC
# The agent reaches the server over TCP when it must (PROTOCOL.md §2.1).
#
# 1. Loopback: alice is told --server-transport tcp, bob udp. Status says
#    which; alice connects to bob and messages flow both ways (the peers
#    still talk over UDP). carol reaches the server's second TCP port
#    (p2p-server --tcp-listen, p2pd --server-tcp). The server restarts:
#    alice's connection ends,
#    status says why, and she registers again over TCP by herself.
# 2. Network namespaces (root only; skipped otherwise): nftables in alice's
#    namespace drops UDP to the server's port. With the default
#    --server-transport auto she ends up on TCP within 15 s and messages
#    flow to and from bob, who is on UDP.
. "$top_srcdir/tests/integration/lib.sh"

transport() {	# transport NAME: prints udp or tcp from status --json
	ctl "$1" --json status 2>/dev/null |
	    sed -n 's/.*"server_transport": *"\([a-z]*\)".*/\1/p'
}

exchange() {	# exchange A B TAG: a message each way between A and B
	ctl "$1" send "$2" "$3 from $1" || fail "$3: $1 cannot send to $2"
	got=$(ctl "$2" recv --timeout 10) || fail "$3: $2 received nothing"
	[ "$got" = "$3 from $1" ] || fail "$3: $2 received '$got'"
	ctl "$2" send "$1" "$3 from $2" || fail "$3: $2 cannot send to $1"
	got=$(ctl "$1" recv --timeout 10) || fail "$3: $1 received nothing"
	[ "$got" = "$3 from $2" ] || fail "$3: $1 received '$got'"
}

# ---- 1. loopback --------------------------------------------------------------
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T/admin"
chmod 600 "$T/admin"
start_server --tcp-listen 127.0.0.1:0 --http 127.0.0.1:0 --admin-key-file "$T/admin"
wait_for 10 test -s "$T/srv/http_port" || fail "no STATE_DIR/http_port"
metric() {	# metric NAME: its value now
	curl -s -m 10 -H "Authorization: Bearer $(cat "$T/admin")" \
	    "http://127.0.0.1:$(cat "$T/srv/http_port")/metrics" |
	    awk -v n="$1" '$1 == n { print $2 }'
}
wait_for 10 test -s "$T/srv/tcp_port" || fail "no STATE_DIR/tcp_port"
TCP_PORT=$(cat "$T/srv/tcp_port")
[ "$TCP_PORT" != "$SERVER_PORT" ] || fail "--tcp-listen port 0 got the main port"
AGENT_ARGS="--keepalive 1 --server-transport tcp" start_agent alice g
AGENT_ARGS="--keepalive 1 --server-transport udp" start_agent bob g
wait_registered alice bob
[ "$(transport alice)" = tcp ] || fail "alice's transport: '$(transport alice)', not tcp"
[ "$(transport bob)" = udp ] || fail "bob's transport: '$(transport bob)', not udp"
grep -q 'peer alice registered from .*tcp)' "$T/server.log" ||
    fail "the server did not see alice register over tcp"
ctl alice status | grep -q '^server_transport: tcp$' ||
    fail "p2pctl status does not show the transport: $(ctl alice status)"

ctl alice connect bob --timeout 10 >/dev/null || fail "alice cannot connect to bob"
exchange alice bob loopback
echo "loopback: alice registered over tcp, bob over udp, messages both ways"

AGENT_ARGS="--server-transport tcp --server-tcp 127.0.0.1:$TCP_PORT" start_agent carol g
wait_registered carol
[ "$(transport carol)" = tcp ] || fail "carol's transport: '$(transport carol)'"
grep -q 'peer carol registered from .*tcp)' "$T/server.log" ||
    fail "the server did not see carol register over its second tcp port"
ctl carol connect bob --timeout 10 >/dev/null || fail "carol cannot connect to bob"
exchange carol bob second-port
kill "$carol_PID"; wait "$carol_PID" 2>/dev/null
echo "second tcp port: carol registered on 127.0.0.1:$TCP_PORT, messages both ways"

# Both on TCP and kept on the relay: the path is lossless and in order, so
# the transport resends nothing inside TCP but what the relay dropped (its
# connections' output buffers are capped), and the data arrives intact.
AGENT_ARGS="--server-transport tcp --no-direct" start_agent dave g
AGENT_ARGS="--server-transport tcp --no-direct" start_agent erin g
wait_registered dave erin
ctl dave connect erin --timeout 10 >/dev/null || fail "dave cannot connect to erin"
mb=8
[ "$SAN" -eq 1 ] && mb=2
head -c $((mb * 1048576)) /dev/urandom > "$T/tcp.in"
ctl erin pipe dave --name t --timeout 60 < /dev/null > "$T/tcp.out" 2>/dev/null &
rx=$!
ctl dave pipe erin --name t --timeout 60 < "$T/tcp.in" > /dev/null 2>&1 ||
    fail "pipe over the tcp relay: sender exited $?"
wait $rx || fail "pipe over the tcp relay: receiver exited $?"
cmp -s "$T/tcp.in" "$T/tcp.out" || fail "pipe over the tcp relay: data differs"
drops=$(metric p2p_tcp_out_dropped_total)
resent=0
for a in dave erin; do
	r=$(ctl "$a" --json status | tr -d ' \n' | sed -n 's/.*"retransmitted":\([0-9]*\).*/\1/p')
	resent=$((resent + r))
done
[ -n "$drops" ] && [ "$resent" -le "$drops" ] ||
    fail "the agents resent $resent packets inside TCP, the relay dropped ${drops:-?}"
kill "$dave_PID" "$erin_PID"; wait "$dave_PID" "$erin_PID" 2>/dev/null
echo "tcp relay: $mb MiB between two tcp agents, intact; resent $resent, relay drops $drops"

# The server goes: the connection closes, and that ends the registration.
kill -TERM "$SERVER_PID"; wait "$SERVER_PID"
wait_for 10 sh -c "! '$P2PCTL' -s '$T/alice/sock' --json status | grep -q '\"registered\"'" ||
    fail "alice still claims to be registered with the server gone"
wait_for 10 sh -c "'$P2PCTL' -s '$T/alice/sock' --json status | grep -q '\"server_error\": *\"tcp to the server'" ||
    fail "alice's status does not say what happened to tcp: $(ctl alice --json status)"
"$P2P_SERVER" -f -v --listen "127.0.0.1:$SERVER_PORT" --secret-file "$T/secret" \
    --state-dir "$T/srv" >"$T/server2.log" 2>&1 &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
wait_for 40 registered alice || fail "alice did not register again after the restart"
wait_for 40 registered bob || fail "bob did not register again after the restart"
[ "$(transport alice)" = tcp ] || fail "alice's transport after the restart: '$(transport alice)'"
grep -q 'peer alice registered from .*tcp)' "$T/server2.log" ||
    fail "the restarted server did not see alice register over tcp"
ctl alice disconnect bob >/dev/null 2>&1
ctl alice connect bob --timeout 10 >/dev/null || fail "alice cannot connect to bob after the restart"
exchange alice bob restart
echo "restart: alice registered again over tcp, messages both ways"

# A "server" whose frames are too long: the agent drops the connection,
# says why, and keeps trying (a new connection each time).
if command -v perl >/dev/null 2>&1; then
	perl -MIO::Socket::INET -e '
		my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
		    Proto => "tcp", Listen => 4, ReuseAddr => 1) or die "listen: $!";
		open(my $p, ">", "$ARGV[0].tmp") or die; print $p $l->sockport, "\n";
		close $p; rename("$ARGV[0].tmp", $ARGV[0]);
		my ($n, @open) = (0);	# connections stay open: the agent ends them
		while (my $c = $l->accept) {
			my $b; sysread($c, $b, 130);	# the HELLO
			syswrite($c, "\x08\x01" . ("\x51" x 16));	# says 2049 bytes follow
			push @open, $c;
			$n++; open(my $o, ">", $ARGV[1]); print $o "$n\n"; close $o;
		}' "$T/bad.port" "$T/bad.count" 2>"$T/bad.log" &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$T/bad.port" || fail "the fake server did not start"
	mkdir -p "$T/carol"
	mint carol g > "$T/carol/token" || fail "minting a token for carol"
	"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --server-transport tcp \
	    --server-tcp "127.0.0.1:$(cat "$T/bad.port")" \
	    --token-file "$T/carol/token" --socket "$T/carol/sock" \
	    --state-dir "$T/carol" >"$T/carol.log" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 10 sh -c "'$P2PCTL' -s '$T/carol/sock' --json status | grep -q 'tcp to the server: frame longer than 2048 bytes'" ||
	    fail "carol's status does not name the bad frame: $(ctl carol --json status)"
	wait_for 10 sh -c "[ \"\$(cat '$T/bad.count' 2>/dev/null)\" -ge 2 ]" ||
	    fail "carol did not connect again after dropping a bad connection"
	registered carol && fail "carol registered with a server that sends bad frames"
	grep -q 'peer carol registered' "$T/server2.log" &&
	    fail "carol registered with the real server though --server-tcp named another"
	echo "bad frames: the connection is dropped and named in status; carol retries"
else
	echo "bad frames: not tested (perl is missing)"
fi

for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
for p in $PIDS; do wait "$p" 2>/dev/null; done
PIDS=""

# ---- 2. UDP to the server blocked -------------------------------------------
#   alice 10.77.1.2 --a0/r1-- router 10.77.1.1 (server) | 10.77.2.1 --r2/b0-- bob 10.77.2.2
. "$top_srcdir/tests/integration/netns_lib.sh"
netns_require

ns_add alice router bob
ns_link router r1 10.77.1.1/24 alice a0 10.77.1.2/24
ns_link router r2 10.77.2.1/24 bob b0 10.77.2.2/24
ns_route alice default 10.77.1.1
ns_route bob default 10.77.2.1
ns_forward router

rm -rf "$T/srv"; mkdir -p "$T/srv"
ns_bg router "$P2P_SERVER" -f -v --listen 10.77.1.1:0 --secret-file "$T/secret" \
    --state-dir "$T/srv" >"$T/server3.log" 2>&1
wait_for 10 test -s "$T/srv/port" || fail "server did not start in its namespace"
SERVER_PORT=$(cat "$T/srv/port")

# Only UDP to the server: alice's UDP to bob is untouched.
ns_nft alice <<EOF
table ip block {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 10.77.1.1 udp dport $SERVER_PORT counter drop
	}
}
EOF

ns_agent() {	# ns_agent NAME: agent NAME in namespace NAME, default transport
	rm -rf "${T:?}/$1"; mkdir -p "$T/$1"
	mint "$1" g > "$T/$1/token" || fail "minting a token for $1"
	ns_bg "$1" "$P2PD" -f -v --server "10.77.1.1:$SERVER_PORT" \
	    --token-file "$T/$1/token" --socket "$T/$1/sock" --state-dir "$T/$1" \
	    >"$T/$1-ns.log" 2>&1
}
start=$(date +%s.%N)
ns_agent alice
ns_agent bob
wait_for 15 registered alice || fail "alice did not register within 15 s with udp to the server blocked"
end=$(date +%s.%N)
wait_registered bob
[ "$(transport alice)" = tcp ] || fail "alice's transport with udp blocked: '$(transport alice)'"
[ "$(transport bob)" = udp ] || fail "bob's transport: '$(transport bob)', not udp"
dropped=$(ns_exec alice nft list table ip block |
    sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
[ "${dropped:-0}" -gt 0 ] || fail "the rule dropped nothing: alice never tried udp"
ctl alice connect bob --timeout 10 >/dev/null || fail "alice (tcp) cannot connect to bob"
exchange alice bob blocked
echo "blocked: alice on tcp after $(awk "BEGIN { printf \"%.1f\", $end - $start }") s" \
    "($dropped udp packets to the server dropped), messages both ways with bob"

# ---- 3. and UDP between the agents blocked too: the relay over TCP -------------
path_of() {	# path_of AGENT PEER
	ctl "$1" --json peers | tr -d ' \n' |
	    sed -n "s/.*\"peer_id\":\"$2\",\"path\":\"\([a-z]*\)\".*/\1/p"
}
ctl alice disconnect bob >/dev/null 2>&1
ns_nft alice <<EOF2
table ip apart {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 10.77.2.0/24 meta l4proto udp counter drop
	}
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr 10.77.2.0/24 meta l4proto udp counter drop
	}
}
EOF2
wait_for 10 sh -c "[ -z \"\$('$P2PCTL' -s '$T/bob/sock' --json peers | grep alice)\" ]" ||
    fail "bob still lists alice after the disconnect: $(ctl bob --json peers)"
ctl alice connect bob --timeout 10 >/dev/null || fail "alice (tcp, no udp to bob) cannot connect to bob"
exchange alice bob relayed
[ "$(path_of alice bob)" = relay ] || fail "alice's path to bob: $(ctl alice --json peers)"
[ "$(path_of bob alice)" = relay ] || fail "bob's path to alice: $(ctl bob --json peers)"
[ "$(transport alice)" = tcp ] || fail "alice left tcp: '$(transport alice)'"
echo "relayed: with no udp between them, alice (tcp) and bob talk through the relay"
