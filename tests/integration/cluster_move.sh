#!/bin/sh
# SPDX-License-Identifier: ISC
# cluster_move.sh: the agent's side of a cluster (docs/CLUSTER.md, "Agents"),
# with real agents on three nodes and the test's own redis-server:
#  - malformed --server-tcp counts refused naming the flag;
#  - the node an agent registers with tells it the live nodes (status,
#    STATE_DIR/nodes);
#  - forged Moves (from another address; from the node's address but not
#    on the authenticated channel) are dropped, counted, and move nothing;
#  - SIGKILL of the node during a relayed pipe: the agent re-homes on
#    another node (the time is printed, at most 5 s), both ends' sessions
#    probe at once on the new relay (the largest gap in arrival is printed
#    beside the re-home time) and the bytes arrive intact;
#  - SIGTERM drain of a node during a relayed pipe: the agents move, the
#    bytes arrive intact and the largest gap in arrival is printed (at most
#    1 s);
#  - an agent restarted with its first --server down registers through
#    the node list it kept.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "${top_srcdir:-.}/tests/integration/cluster_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no /usr/bin/python3 (the forged Move and the gap meter)"

# --- option errors ----------------------------------------------------------
mint x > "$T/x.token" || fail "mint"
if "$P2PD" --check-config --server 127.0.0.1:1 --server 127.0.0.1:2 \
    --server 127.0.0.1:3 --server-tcp 127.0.0.1:4 --server-tcp 127.0.0.1:5 \
    --token-file "$T/x.token" --allow-unauthenticated-server >"$T/bad.out" 2>&1; then
	fail "two --server-tcp for three --server accepted"
fi
grep -q -- "--server-tcp" "$T/bad.out" || fail "--server-tcp count: $(cat "$T/bad.out")"
if "$P2PD" --check-config --server 127.0.0.1:1 --server 'no:such:port' \
    --token-file "$T/x.token" --allow-unauthenticated-server >"$T/bad.out" 2>&1; then
	fail "a malformed second --server accepted"
fi
grep -q -- "--server" "$T/bad.out" || fail "--server: $(cat "$T/bad.out")"
echo "ok - malformed --server / --server-tcp counts refused naming the flag"

# p2p-server --check-config checks the cluster options as a start would.
ckcheck() {	# ckcheck FLAG ARGS...: refused, naming FLAG
	_f=$1; shift
	if "$P2P_SERVER" --check-config --secret-file "$T/secret" "$@" >"$T/ck.out" 2>&1; then
		fail "p2p-server --check-config $* accepted"
	fi
	grep -q -- "$_f" "$T/ck.out" || fail "--check-config $*: $(cat "$T/ck.out")"
}
ckcheck --cluster --cluster 'redis://nohost' --node-id a --cluster-key-file "$T/ckey"
ckcheck --node-id --cluster redis://127.0.0.1:1 --node-id 'bad id' --cluster-key-file "$T/ckey"
ckcheck --cluster-key-file --cluster redis://127.0.0.1:1 --node-id a
ckcheck --cluster-key-file --cluster redis://127.0.0.1:1 --node-id a --cluster-key-file "$T/nonexistent"
ckcheck --cluster-password-file --cluster redis://127.0.0.1:1 --node-id a --cluster-key-file "$T/ckey" --cluster-password-file "$T/nonexistent"
"$P2P_SERVER" --check-config --secret-file "$T/secret" --cluster redis://127.0.0.1:1 \
    --node-id a --cluster-key-file "$T/ckey" >"$T/ck.out" 2>&1 || fail "a valid cluster configuration refused: $(cat "$T/ck.out")"
echo "ok - p2p-server --check-config: malformed --cluster, --node-id, --cluster-key-file, --cluster-password-file refused naming the option"

start_redis
start_node a
start_node b
start_node c

status() {	# status NAME FIELD: one string field of p2pctl --json status
	ctl "$1" --json status 2>/dev/null | $PY -c "import json,sys; print(json.load(sys.stdin).get('$2',''))"
}
on_node() {	# on_node NAME: the node id NAME is registered on, or ""
	registered "$1" && status "$1" server_node
}

# alice knows only node a; bob only b (they learn the rest from the node).
SERVER_PORT=$a_PORT AGENT_ARGS=--no-direct start_agent alice lobby
SERVER_PORT=$b_PORT AGENT_ARGS=--no-direct start_agent bob lobby
wait_registered alice bob
nnodes() {	# nnodes NAME: how many live nodes NAME was told of
	ctl "$1" --json status 2>/dev/null | $PY -c "import json,sys; print(len(json.load(sys.stdin).get('server_nodes',[])))"
}
three() { [ "$(nnodes alice)" = 3 ]; }
wait_for 10 three || fail "alice was not told the three nodes: $(ctl alice --json status)"
[ "$(on_node alice)" = a ] || fail "alice is not on node a: $(ctl alice --json status)"
[ "$(status alice server_addr)" = "127.0.0.1:$a_PORT" ] || fail "server_addr: $(ctl alice --json status)"
for n in a b c; do
	grep -q "^$n 127.0.0.1:" "$T/alice/nodes" || fail "node $n not in alice's STATE_DIR/nodes: $(cat "$T/alice/nodes")"
done
echo "ok - alice (on a) was told the live nodes a, b, c: in status and in her state directory"

# --- forged Moves -----------------------------------------------------------
api a GET /v1/peers/alice
reg=$(sed -n 's/.*"reg_id":\([0-9]*\).*/\1/p' "$T/body")
[ -n "$reg" ] || fail "no reg_id for alice: $(cat "$T/body")"
aport=$(status alice local_port)
d0=$(ctl alice --json status | sed -n 's/.*"dropped": *\([0-9]*\).*/\1/p')
$PY - "$reg" "$aport" "$a_PORT" "$c_PORT" <<'EOF' || fail "sending the forged Moves"
import os, socket, struct, sys
reg, aport, nport, cport = (int(x) for x in sys.argv[1:5])
def s(f, b): return bytes([f << 3 | 2, len(b)]) + b
move = s(1, b"c") + s(2, ("127.0.0.1:%d" % cport).encode()) + s(4, b"forged")
msg = bytes([0x10, 0x01]) + bytes([0xc2, 0x02, len(move)]) + move
pkt = bytes([0x52, 2, 0, 0]) + struct.pack(">IQ", reg, 1 << 40) + msg + os.urandom(16)
# 1: from another address (an ordinary socket).
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(5):
    u.sendto(pkt, ("127.0.0.1", aport))
# 2: from the node's own address and port (a raw socket, forged source).
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
src, dst = socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1")
udp = struct.pack(">HHHH", nport, aport, 8 + len(pkt), 0) + pkt
ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
for _ in range(5):
    r.sendto(ip + udp, ("127.0.0.1", 0))
EOF
sleep 1
d1=$(ctl alice --json status | sed -n 's/.*"dropped": *\([0-9]*\).*/\1/p')
[ "$((d1 - d0))" -ge 10 ] || fail "the 10 forged Moves were not all counted (dropped $d0 -> $d1)"
[ "$(on_node alice)" = a ] || fail "a forged Move moved alice: $(ctl alice --json status)"
grep -q "asks us to move" "$T/alice.log" && fail "alice acted on a forged Move: $(grep move "$T/alice.log")"
echo "ok - 10 forged Moves (5 from another address, 5 from node a's address off the channel): dropped and counted ($d0 -> $d1), alice stays on a"

# --- SIGKILL of alice's node during a relayed pipe --------------------------
mb=20
[ "$SAN" -eq 1 ] && mb=8
head -c $((mb * 1024 * 1024)) /dev/urandom > "$T/in"
ctl alice connect bob --timeout 10 || fail "connect alice (a) -> bob (b)"
# A paced source (about 4 MB/s), so that the pipe is still running when
# the node dies; a gap meter that copies its input to a file and prints
# the largest gap between reads (seconds) once it ends.
cat > "$T/paced.py" <<'EOF'
import sys, time
f = open(sys.argv[1], "rb"); rate = int(sys.argv[2]); out = sys.stdout.buffer
t0 = time.monotonic(); sent = 0
while True:
    b = f.read(65536)
    if not b: break
    out.write(b); out.flush(); sent += len(b)
    d = t0 + sent / rate - time.monotonic()
    if d > 0: time.sleep(d)
EOF
cat > "$T/gap.py" <<'EOF'
import os, sys, time
out = open(sys.argv[1], "wb"); last = None; gap = 0.0
while True:
    b = os.read(0, 1 << 16)
    if not b: break
    now = time.monotonic()
    if last is not None: gap = max(gap, now - last)
    last = now; out.write(b)
out.close(); print("%.3f" % gap)
EOF
paced() { $PY "$T/paced.py" "$@"; }
gapmeter() { $PY "$T/gap.py" "$@"; }
( ctl bob pipe alice --name kill --timeout 60 < /dev/null 2>"$T/rx1.err" | gapmeter "$T/out1" > "$T/gap1" ) &
rx=$!
( paced "$T/in" 4000000 | ctl alice pipe bob --name kill --timeout 60 > /dev/null 2>"$T/tx1.err"; echo $? > "$T/tx1.rc" ) &
tx=$!
sleep 1.5
kill -KILL "$a_PID"
t0=$(date +%s.%N)
wait_for 10 sh -c "n=\$('$P2PCTL' -s '$T/alice/sock' --json status | grep -o '\"server_node\": *\"[bc]\"'); [ -n \"\$n\" ]" ||
    fail "alice did not re-home within 10 s: $(ctl alice --json status)"
t1=$(date +%s.%N)
rehome=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
wait_for 60 test -s "$T/tx1.rc" || fail "the pipe did not finish after the node died"
wait "$rx" || fail "receiving pipe failed: $(cat "$T/rx1.err")"
[ "$(cat "$T/tx1.rc")" = 0 ] || fail "sending pipe exited $(cat "$T/tx1.rc"): $(cat "$T/tx1.err")"
cmp -s "$T/in" "$T/out1" || fail "the bytes differ after the node died ($(wc -c < "$T/out1") of $((mb * 1048576)) arrived)"
awk "BEGIN { exit !($rehome <= 5) }" || fail "alice took $rehome s to re-home (goal 5 s)"
# Both ends' sessions saw the relay move (alice's registration, then bob's
# introduction to her new one) and probed at once instead of waiting out
# the probe timeout the outage backed off.
for p in alice bob; do
	grep -q "session with .*: the relay moved" "$T/$p.log" ||
	    fail "$p's session did not probe at once on the new relay: $(grep -i 'session with' "$T/$p.log" | tail -n 5)"
done
echo "ok - SIGKILL of node a during a $mb MB relayed pipe: alice re-homed on node $(on_node alice) in $rehome s, largest gap $(cat "$T/gap1") s (gap - re-home: $(awk "BEGIN { printf \"%.2f\", $(cat "$T/gap1") - $rehome }") s; both sessions probed at once on the new relay), the bytes arrived intact"

# --- SIGTERM drain during a pipe --------------------------------------------
# Drain the node bob is on; alice may be there too.
bn=$(on_node bob)
eval "dpid=\$${bn}_PID"
( ctl bob pipe alice --name drain --timeout 60 < /dev/null 2>"$T/rx2.err" | gapmeter "$T/out2" > "$T/gap2" ) &
rx=$!
( paced "$T/in" 4000000 | ctl alice pipe bob --name drain --timeout 60 > /dev/null 2>"$T/tx2.err"; echo $? > "$T/tx2.rc" ) &
sleep 1.5
kill -TERM "$dpid"
wait_for 10 sh -c "! kill -0 $dpid" || fail "node $bn did not stop after its agents moved"
wait_for 60 test -s "$T/tx2.rc" || fail "the pipe did not finish during the drain"
wait "$rx" || fail "receiving pipe failed: $(cat "$T/rx2.err")"
[ "$(cat "$T/tx2.rc")" = 0 ] || fail "sending pipe exited $(cat "$T/tx2.rc"): $(cat "$T/tx2.err")"
cmp -s "$T/in" "$T/out2" || fail "the bytes differ after the drain ($(wc -c < "$T/out2") arrived)"
grep -q "asks us to move to node" "$T/bob.log" || fail "bob did not follow a Move: $(tail -n 5 "$T/bob.log")"
gap=$(cat "$T/gap2")
awk "BEGIN { exit !($gap <= 1) }" || fail "largest gap in the pipe during the drain: $gap s (goal 1 s)"
echo "ok - SIGTERM drain of node $bn during a $mb MB relayed pipe: bob moved to node $(on_node bob), bytes intact, largest gap $gap s"

# --- restart with the kept node list, first --server down --------------------
kill -TERM "$alice_PID"
wait "$alice_PID" 2>/dev/null
"$P2PD" -f -v --server "127.0.0.1:$a_PORT" --token-file "$T/alice/token" \
    --socket "$T/alice/sock" --state-dir "$T/alice" --no-direct >"$T/alice2.log" 2>&1 &
alice_PID=$!
PIDS="$PIDS $alice_PID"
t0=$(date +%s.%N)
wait_for 15 registered alice || fail "alice did not register through her node list: $(tail -n 10 "$T/alice2.log")"
t1=$(date +%s.%N)
n=$(on_node alice)
[ "$n" = c ] || fail "alice registered on '$n', expected c (the one live node)"
echo "ok - alice restarted with --server on dead node a: registered on node c through her kept node list in $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"

# A corrupt node list: reported with its path, ignored.
kill -TERM "$alice_PID"
wait "$alice_PID" 2>/dev/null
printf '# p2pd cluster nodes v1\nthis is not a node\n' > "$T/alice/nodes"
"$P2PD" -f -v --server "127.0.0.1:$c_PORT" --token-file "$T/alice/token" \
    --socket "$T/alice/sock" --state-dir "$T/alice" --no-direct >"$T/alice3.log" 2>&1 &
alice_PID=$!
PIDS="$PIDS $alice_PID"
wait_for 15 registered alice || fail "alice did not register with a corrupt node list"
grep -q "$T/alice/nodes:2" "$T/alice3.log" || fail "the corrupt node list was not reported with its path: $(head -n 5 "$T/alice3.log")"
echo "ok - a corrupt node list is reported with its path and line and ignored"
echo "PASS"
