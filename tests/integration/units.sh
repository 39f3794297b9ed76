#!/bin/sh
# SPDX-License-Identifier: ISC
# units.sh: the deployment files on a fresh machine, played in a root
# directory with systemd's own units and nothing of ours: sysusers.d makes
# the p2pd user, tmpfiles.d its directories with their modes and owners, and
# `systemd-analyze verify` passes on both units with the binaries at their
# ExecStart paths and the pages of Documentation= (and fails on a unit whose
# binary is missing, so the check can fail).
. "$top_srcdir/tests/integration/lib.sh"

for t in systemd-analyze systemd-sysusers systemd-tmpfiles; do
	command -v $t >/dev/null 2>&1 || skip "$t not found (Debian package systemd)"
done
[ -d /usr/lib/systemd/system ] || skip "no /usr/lib/systemd/system to copy targets from"
[ "$(id -u)" -eq 0 ] || skip "systemd-tmpfiles --root needs root to set owners"
R="$T/root"
mkdir -p "$R/etc" "$R/usr/lib/systemd" "$R/usr/bin"
cp -a /usr/lib/systemd/system "$R/usr/lib/systemd/"
# ExecReload's /bin/kill, on a merged /usr as Debian has it.
ln -s usr/bin "$R/bin"
cp /bin/kill "$R/usr/bin/kill" || skip "no /bin/kill (procps)"

systemd-sysusers --root="$R" "$top_srcdir/systemd/p2pd.sysusers" >"$T/sysusers.log" 2>&1 ||
    fail "systemd-sysusers: $(cat "$T/sysusers.log")"
uid=$(awk -F: '$1 == "p2pd" { print $3 }' "$R/etc/passwd")
gid=$(awk -F: '$1 == "p2pd" { print $3 }' "$R/etc/group")
[ -n "$uid" ] && [ -n "$gid" ] || fail "sysusers made no user and group p2pd"
echo "sysusers: $(grep '^p2pd:' "$R/etc/passwd")"

systemd-tmpfiles --root="$R" --create "$top_builddir/systemd/p2pd.tmpfiles.conf" \
    >"$T/tmpfiles.log" 2>&1 || fail "systemd-tmpfiles: $(cat "$T/tmpfiles.log")"
sysconfdir=$(sed -n 's|^d \(.*\)/p2pd 0755.*|\1|p' "$top_builddir/systemd/p2pd.tmpfiles.conf")
for want in "$sysconfdir/p2pd 755 0 0" "/run/p2pd 750 $uid $gid" "/var/lib/p2pd 700 $uid $gid"; do
	set -- $want
	got=$(stat -c '%a %u %g' "$R$1" 2>/dev/null) || fail "tmpfiles made no $1"
	[ "$got" = "$2 $3 $4" ] || fail "$1: mode/uid/gid $got, want $2 $3 $4"
	echo "tmpfiles: $1 $got"
done

units="p2pd.service p2p-server.service"
sbindir=$(sed -n 's|^ExecStart=\(.*\)/p2pd .*|\1|p' "$top_builddir/systemd/p2pd.service")
mkdir -p "$R$sbindir" "$R/etc/systemd/system"
for u in $units; do cp "$top_builddir/systemd/$u" "$R/etc/systemd/system/"; done
cp "$P2PD" "$P2P_SERVER" "$R$sbindir/"
# Documentation=man:... is checked against our pages, laid out as installed.
man=--man=no
if command -v man >/dev/null 2>&1; then
	for p in "$top_srcdir"/man/*.[1358]; do
		mkdir -p "$T/man/man${p##*.}"
		cp "$p" "$T/man/man${p##*.}/"
	done
	MANPATH="$T/man"; export MANPATH
	man=--man=yes
fi
if ! systemd-analyze verify $man --root="$R" /etc/systemd/system/p2pd.service \
    /etc/systemd/system/p2p-server.service >"$T/verify.log" 2>&1; then
	fail "systemd-analyze verify: $(cat "$T/verify.log")"
fi
echo "systemd-analyze verify $man: $units: clean$(test -s "$T/verify.log" && echo ":" && cat "$T/verify.log")"

rm "$R$sbindir/p2pd"
systemd-analyze verify --man=no --root="$R" /etc/systemd/system/p2pd.service \
    >"$T/verify2.log" 2>&1 && fail "verify passed with p2pd missing"
grep -q "p2pd is not executable" "$T/verify2.log" ||
    fail "verify without p2pd said: $(cat "$T/verify2.log")"
echo "without the binary: $(cat "$T/verify2.log")"
echo ok
