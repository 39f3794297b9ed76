#!/bin/sh
# SPDX-License-Identifier: ISC
# reload.sh: SIGHUP on a loaded p2p-server. Two agents move a pipe over the
# relay, two more share a session that only policy open allows; then the
# config file changes (policy, log level, admin key, a key that needs a
# restart, a relay quota the command line overrides) and SIGHUP: the pipe
# arrives intact, no agent registers again, the session policy groups
# forbids is withdrawn, the new admin key works and the old one not, the
# restart-only key is logged and kept. A config with an error is refused
# with FILE:LINE (the old one stays, /healthz says degraded, 200) and a fix
# clears it. Token secret rotation: the old secret as previous-secret-file
# still registers devices, and not once its window has ended. A relay rate
# set by reload is enforced at once. --check-config exits 0 or 1.
set -u
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl >/dev/null 2>&1 || skip "curl is not installed (contrib/deps.sh)"

key() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$1"; chmod 600 "$1"; }
key "$T/secret"; key "$T/admin"; key "$T/admin2"; key "$T/secret2"
mkdir -p "$T/srv"
conf() {	# conf LINES...: the server's config file
	printf '%s\n' "# p2p-server config of reload.sh" "$@" > "$T/srv.conf"
}
conf "secret-file = $T/secret" "admin-key-file = $T/admin" \
    "http = 127.0.0.1:0" "policy = open" "relay-quota = 1M" "mesh-max = 32"
"$P2P_SERVER" --check-config -c "$T/srv.conf" >"$T/check.out" 2>&1 ||
    fail "--check-config of a good file: $(cat "$T/check.out")"
echo "check-config: $(cat "$T/check.out")"

# Malformed values of the new options are refused, naming them.
badflag() {	# badflag NAME PROGRAM ARGS...: exits non-zero naming NAME
	_n=$1; shift
	"$@" >"$T/bad.out" 2>&1 && fail "$* was accepted"
	grep -q -- "$_n" "$T/bad.out" || fail "$*: the error does not name $_n: $(cat "$T/bad.out")"
}
SRV="$P2P_SERVER -f --secret-file $T/secret --state-dir $T/srv --listen 127.0.0.1:0"
badflag --log-level $SRV --log-level loud
badflag --previous-secret-window $SRV --previous-secret-window 0
badflag "$T/nope" $SRV --previous-secret-file "$T/nope"
badflag --log-level "$P2P_SERVER" --check-config -c "$T/srv.conf" --log-level loud
"$P2P_SERVER" --check-config -c "$T/srv.conf" --policy closed >/dev/null 2>&1
[ $? -eq 1 ] || fail "--check-config of a bad policy did not exit 1"
# An empty previous-secret file (what the unit passes without one): none.
printf '\n' > "$T/blank"
"$P2P_SERVER" --check-config -c "$T/srv.conf" --previous-secret-file "$T/blank" >/dev/null 2>&1 ||
    fail "--check-config with a blank previous-secret file"
mint hank g1 > "$T/hank.token"
"$P2PD" --check-config --server 127.0.0.1:1 --token-file "$T/hank.token" >"$T/check.out" 2>&1 ||
    fail "p2pd --check-config: $(cat "$T/check.out")"
echo "p2pd check-config: $(cat "$T/check.out")"
"$P2PD" --check-config --server 127.0.0.1:1 --token-file "$T/nope" >"$T/check.out" 2>&1
[ $? -eq 1 ] || fail "p2pd --check-config with a missing token file did not exit 1"
"$P2PD" --check-config --server 127.0.0.1:1 --token-file "$T/hank.token" --port x >/dev/null 2>&1
[ $? -eq 1 ] || fail "p2pd --check-config --port x did not exit 1"

# --relay-quota on the command line wins over the file's 1M, before and
# after a reload: the 12 MiB pipe below needs it.
"$P2P_SERVER" -f -c "$T/srv.conf" --listen 127.0.0.1:0 --state-dir "$T/srv" \
    --relay-quota 1G >"$T/server.log" 2>&1 &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
wait_for 10 test -s "$T/srv/http_port" || fail "server did not start"
SERVER_PORT=$(cat "$T/srv/port")
URL="http://127.0.0.1:$(cat "$T/srv/http_port")"
KEY=$(cat "$T/admin")

reloads() { grep -c "reload done\|reload refused" "$T/server.log"; }
reloads_above() { [ "$(reloads)" -gt "$1" ]; }
hup() {		# hup: SIGHUP and wait for the server to say it is done
	_n=$(reloads)
	kill -HUP "$SERVER_PID"
	wait_for 10 reloads_above "$_n" || fail "no answer to SIGHUP"
}
out_ge() { [ "$(wc -c < "$T/out")" -ge "$1" ]; }
metric_above() { [ "$(http_metric "$1")" -gt "$2" ]; }
code_with() {	# code_with KEY PATH: the HTTP status of GET PATH with KEY
	curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $1" "$URL$2"
}

relay_pair alice bob g1
AGENT_ARGS=--no-direct start_agent carol c-only
AGENT_ARGS=--no-direct start_agent dave d-only
wait_registered carol dave
ctl carol connect dave --timeout 10 || fail "carol -> dave under policy open"
sessions0=$(http_metric p2p_sessions)
regs0=$(http_metric p2p_registrations_total)

# A 12 MiB pipe over the relay, in two halves with a pause for the reloads.
mb=6
[ "$SAN" -eq 1 ] && mb=2
head -c $((mb * 1024 * 1024)) /dev/urandom > "$T/in1"
head -c $((mb * 1024 * 1024)) /dev/urandom > "$T/in2"
cat "$T/in1" "$T/in2" > "$T/in"
ctl bob pipe alice --name file --timeout 60 < /dev/null > "$T/out" 2>"$T/pipe-bob.log" &
rx=$!
{ cat "$T/in1"; sleep 4; cat "$T/in2"; } |
    ctl alice pipe bob --name file --timeout 60 > /dev/null 2>"$T/pipe-alice.log" &
tx=$!
wait_for 20 out_ge $((mb * 1024 * 1024)) ||
    fail "the first half did not arrive before the reload"

# The reload, mid-transfer.
conf "secret-file = $T/secret" "admin-key-file = $T/admin2" \
    "http = 127.0.0.1:0" "policy = groups" "relay-quota = 1M" "mesh-max = 8" \
    "log-level = debug"
hup
grep -q "reload: policy: open -> groups" "$T/server.log" || fail "policy change not logged"
grep -q "withdrew the introduction of carol and dave" "$T/server.log" ||
    fail "the introduction policy groups forbids was not withdrawn"
grep -q "mesh-max changed (32 -> 8): restart needed" "$T/server.log" ||
    fail "a restart-only key was not logged as such"
grep -q "reload: log level debug" "$T/server.log" || fail "log level not applied"
grep -q "the HTTP API's admin key changed" "$T/server.log" || fail "admin key change not logged"
grep -q "relay-quota" "$T/server.log" && fail "the file's relay-quota beat the command line"
sed -n '/SIGHUP/,/reload done/p' "$T/server.log" | sed 's/^/  /'

[ "$(code_with "$(cat "$T/admin2")" /v1/peers)" = 200 ] || fail "the new admin key is refused"
[ "$(code_with "$(cat "$T/admin")" /v1/peers)" = 401 ] || fail "the old admin key still works"
KEY=$(cat "$T/admin2")
wait_for 10 sh -c "! '$P2PCTL' -s '$T/carol/sock' --json peers | grep -q '\"dave\"'" ||
    fail "carol still has a session with dave: $(ctl carol --json peers)"
ctl carol connect dave --timeout 5 2>"$T/connect.err" && fail "carol -> dave allowed under groups"
grep -q "share no group" "$T/connect.err" || fail "refusal reason: $(cat "$T/connect.err")"
echo "carol -> dave after the reload: $(cat "$T/connect.err")"

wait $tx || fail "the relayed pipe's sender exited $?"
wait $rx || fail "the relayed pipe's receiver exited $?"
cmp -s "$T/in" "$T/out" || fail "the relayed pipe differs ($(wc -c < "$T/out") of $(wc -c < "$T/in") bytes)"
[ "$(http_metric p2p_registrations_total)" = "$regs0" ] ||
    fail "agents registered again: $regs0 -> $(http_metric p2p_registrations_total)"
[ "$(http_metric p2p_sessions)" = "$sessions0" ] || fail "registrations dropped"
for a in alice bob carol dave; do
	[ "$(grep -c "registered as" "$T/$a.log")" -eq 1 ] || fail "$a registered again"
done
echo "pipe of $((2 * mb)) MiB intact across the reload; $sessions0 registrations kept, none anew"

# A broken file: refused with FILE:LINE, the running configuration stays.
printf 'relay-rate = lots\n' >> "$T/srv.conf"
hup
grep -q "reload refused, the running configuration stays: $T/srv.conf:9: relay-rate: 'lots' is not a size" \
    "$T/server.log" || fail "refusal: $(grep 'reload refused' "$T/server.log")"
echo "broken: $(grep -o 'reload refused.*' "$T/server.log")"
curl -s -m 10 -o "$T/health" -w '%{http_code}' "$URL/healthz" > "$T/health.code"
[ "$(cat "$T/health.code")" = 200 ] || fail "/healthz after a refused reload: $(cat "$T/health.code")"
grep -q '"status":"degraded"' "$T/health" && grep -q "srv.conf:9" "$T/health" ||
    fail "/healthz does not show the refused reload: $(cat "$T/health")"
echo "/healthz: $(cat "$T/health")"
[ "$(code_with "$(cat "$T/admin2")" /v1/peers)" = 200 ] || fail "the admin key changed after a refused reload"
"$P2P_SERVER" --check-config -c "$T/srv.conf" --listen 127.0.0.1:0 >"$T/check.out" 2>&1 &&
    fail "--check-config passed a broken file"
echo "check-config: $(cat "$T/check.out")"

# Rotation: a new secret, the old one as previous-secret-file.
conf "secret-file = $T/secret2" "previous-secret-file = $T/secret" \
    "admin-key-file = $T/admin2" "http = 127.0.0.1:0" "policy = groups" \
    "relay-rate = 64K"
hup
curl -s -m 10 "$URL/healthz" | grep -q '^{"status":"ok"' || fail "/healthz not ok after the fix"
mkdir -p "$T/erin" "$T/frank"
"$P2P_SERVER" token --secret-file "$T/secret" --peer erin --group g1 \
    --state-dir "$T/srv" > "$T/erin/token"
"$P2P_SERVER" token --secret-file "$T/secret2" --peer frank --group g1 \
    --state-dir "$T/srv" > "$T/frank/token"
for a in erin frank; do
	"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --token-file "$T/$a/token" \
	    --socket "$T/$a/sock" --state-dir "$T/$a" >"$T/$a.log" 2>&1 &
	PIDS="$PIDS $!"
done
wait_registered erin frank
[ "$(http_metric p2p_registrations_previous_secret_total)" = 1 ] ||
    fail "previous-secret registrations: $(http_metric p2p_registrations_previous_secret_total)"
echo "rotation: erin (old secret) and frank (new) registered; $(grep -o 'tokens of the previous secret.*' "$T/server.log" | tail -n 1)"

# The relay rate applies at once: a burst between alice and bob over 64K/s.
q0=$(http_metric p2p_relay_dropped_quota_total)
head -c 400000 /dev/urandom > "$T/burst"
ctl alice send bob --service burst - < "$T/burst" || fail "send under the relay rate"
wait_for 20 metric_above p2p_relay_dropped_quota_total "$q0" ||
    fail "relay-rate 64K dropped nothing"
echo "relay-rate 64K: $(( $(http_metric p2p_relay_dropped_quota_total) - q0 )) packets over it dropped"

# The window ends: a reload with a window shorter than the time since the
# previous secret was loaded drops it; erin's old token is refused now.
sleep 2
conf "secret-file = $T/secret2" "previous-secret-file = $T/secret" \
    "previous-secret-window = 1" "admin-key-file = $T/admin2" \
    "http = 127.0.0.1:0" "policy = groups"
hup
grep -q "previous token secret's window of 1 s has already ended" "$T/server.log" ||
    fail "the ended window was not logged"
mkdir -p "$T/gina"
"$P2P_SERVER" token --secret-file "$T/secret" --peer gina --group g1 \
    --state-dir "$T/srv" > "$T/gina/token"
"$P2PD" -f -v --server "127.0.0.1:$SERVER_PORT" --token-file "$T/gina/token" \
    --socket "$T/gina/sock" --state-dir "$T/gina" >"$T/gina.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 grep -q "registration refused" "$T/gina.log" ||
    fail "a token of the expired previous secret was not refused: $(tail -n 3 "$T/gina.log")"
registered gina && fail "gina registered with a token of the expired secret"
echo "after the window: gina: $(grep -o "registration refused.*" "$T/gina.log" | tail -n 1)"
[ "$(ctl bob recv --service burst --timeout 30 | wc -c)" -ge 400000 ] ||
    fail "the burst did not arrive once the rate was lifted"
echo ok
