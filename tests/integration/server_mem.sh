#!/bin/sh
# SPDX-License-Identifier: ISC
# p2p-server's memory per registered peer (goal: at most 2 KiB on a node),
# measured with the load generator, and --max-token-ttl: malformed values
# are refused naming the flag, longer tokens are refused at registration.
. "$top_srcdir/tests/integration/lib.sh"
LOADGEN="$top_builddir/tests/bench/loadgen"

for bad in abc 10 99999999999; do
	if "$P2P_SERVER" -f --secret-file /dev/null --max-token-ttl "$bad" \
	    >"$T/bad.out" 2>&1; then
		fail "--max-token-ttl $bad accepted"
	fi
	grep -q -- "--max-token-ttl" "$T/bad.out" || fail "--max-token-ttl $bad: $(cat "$T/bad.out")"
done
echo "ok: malformed --max-token-ttl refused naming the flag"

start_server --max-token-ttl 3600
"$LOADGEN" --server "127.0.0.1:$SERVER_PORT" --secret-file "$T/secret" \
    --peers 3 --prefix long --ttl 7200 >"$T/long.out" 2>&1 && fail "a 2-hour token was accepted"
grep -q "^refused=3$" "$T/long.out" || fail "long tokens: $(cat "$T/long.out")"
grep -q "max-token-ttl 3600" "$T/long.out" || fail "no reason: $(cat "$T/long.out")"
echo "ok: a token longer than --max-token-ttl is refused ($(sed -n 's/^first_refusal=//p' "$T/long.out"))"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
n=3000
before=$(rss "$SERVER_PID")
"$LOADGEN" --server "127.0.0.1:$SERVER_PORT" --secret-file "$T/secret" \
    --peers $n --prefix m --hold 4 >"$T/mem.out" 2>&1 &
lg=$!
wait_for 60 grep -q "^registered=" "$T/mem.out" || fail "loadgen: $(cat "$T/mem.out")"
grep -q "^registered=$n$" "$T/mem.out" || fail "loadgen: $(cat "$T/mem.out")"
sleep 1
after=$(rss "$SERVER_PID")
wait $lg || fail "loadgen: $(cat "$T/mem.out")"
case "$before$after" in ""|*[!0-9]*) fail "cannot read the server's RSS ($before, $after)" ;; esac
per=$(( (after - before) * 1024 / n ))
echo "server RSS $before kB -> $after kB with $n peers: $per bytes per registered peer ($(sed -n 's/^per_second=//p' "$T/mem.out") registrations/s)"
if [ "$SAN" -eq 1 ]; then
	echo "(sanitizer build: memory not judged)"
elif [ "$per" -gt 2048 ]; then
	fail "$per bytes per registered peer (goal: at most 2048)"
fi
echo "PASS"
