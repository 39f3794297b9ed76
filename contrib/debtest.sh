#!/bin/sh
# SPDX-License-Identifier: ISC
# debtest.sh: the Debian packages, as a user gets them. From a clean clone of
# this repository's HEAD: dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=
# nocheck: the suite ran before), lintian without errors, dpkg -i of the four
# packages, systemd-analyze verify of the installed units, the demo against
# the installed programs, and dpkg --purge, after which nothing of them is
# left. Needs root, git, dpkg-dev, debhelper and lintian (contrib/deps.sh);
# exits 77 without them, or when the packages are installed already (it
# would not replace an installation it did not make).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
PKGS="p2pd p2p-server libp2pclient1 libp2pclient-dev python3-p2pclient"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "dpkg -i needs root"
for t in git dpkg-buildpackage dh lintian systemd-analyze; do
	command -v $t >/dev/null 2>&1 || skip "$t not found (contrib/deps.sh installs it)"
done
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" &&
	    skip "$p is installed already"
done
T=$(mktemp -d "${TMPDIR:-/tmp}/p2pdeb.XXXXXX")
installed=0
lpid=""
cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
	[ $installed -eq 1 ] && dpkg --purge $PKGS >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

t0=$(date +%s)
echo "== git clone (HEAD $(git -C "$top" rev-parse --short HEAD))"
git clone -q "$top" "$T/src" || fail "git clone"
# nocheck: the suite ran before; noautodbgsym: no -dbgsym packages, which
# debhelper makes from the same binaries and nothing here installs.
echo "== dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS=nocheck noautodbgsym)"
start=$(date +%s)
(cd "$T/src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" \
    dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 ||
    { tail -n 40 "$T/build.log"; fail "dpkg-buildpackage"; }
grep -E "^dpkg-(buildpackage|deb|genchanges|source): info|building package" "$T/build.log" | sed 's/^/  /'
echo "  built in $(( $(date +%s) - start )) s"
ls "$T"/*.deb >/dev/null 2>&1 || fail "no .deb built"
for p in $PKGS; do
	ls "$T"/${p}_*.deb >/dev/null 2>&1 || fail "no package $p"
done

# lintian reads only the .deb files: it runs beside the installation and
# the demo (it takes as long as they do), its verdict is awaited at the end.
echo "== lintian (beside the steps below)"
lintian --fail-on error "$T"/*.changes >"$T/lintian.log" 2>&1 &
lpid=$!

echo "== dpkg -i"
installed=1
debs=$(for p in $PKGS; do ls "$T"/${p}_*.deb; done)
dpkg -i $debs >"$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; fail "dpkg -i"; }
sed 's/^/  /' "$T/dpkg.log"
dpkg -l $PKGS | grep '^ii' | sed 's/^/  /'
getent passwd p2pd >/dev/null || fail "the package made no user p2pd"
/usr/bin/python3 -c 'import p2pclient; print("  python3: import p2pclient from", p2pclient.__file__)' ||
    fail "python3-p2pclient does not import"
[ -s /etc/p2pd/server.secret ] && [ "$(stat -c %a /etc/p2pd/server.secret)" = 600 ] ||
    fail "no /etc/p2pd/server.secret of mode 0600"

echo "== systemd-analyze verify"
units=$(dpkg -L p2pd p2p-server | grep '/systemd/system/.*\.service$')
systemd-analyze verify $units >"$T/verify.log" 2>&1 || { cat "$T/verify.log"; fail "systemd-analyze verify"; }
echo "  $(echo $units): clean$(test -s "$T/verify.log" && sed 's/^/  /' "$T/verify.log")"
p2p-server --check-config -c /etc/p2pd/p2p-server.conf || fail "the installed configuration"

echo "== the demo, with the installed programs"
PATH=/usr/sbin:/usr/bin:/sbin:/bin sh "$top/contrib/demo.sh" --installed >"$T/demo.log" 2>&1 ||
    { cat "$T/demo.log"; fail "the demo against the installed programs"; }
sed 's/^/  /' "$T/demo.log"
grep -q "demo finished" "$T/demo.log" || fail "the demo did not finish"

echo "== dpkg --purge"
dpkg --purge $PKGS >"$T/purge.log" 2>&1 || { cat "$T/purge.log"; fail "dpkg --purge"; }
installed=0
sed 's/^/  /' "$T/purge.log"
left=""
for f in /usr/sbin/p2pd /usr/sbin/p2p-server /usr/bin/p2pctl /etc/p2pd/p2pd.conf \
    /etc/p2pd/p2p-server.conf /etc/p2pd/server.secret /etc/p2pd/admin.key /var/lib/p2pd; do
	[ -e "$f" ] && left="$left $f"
done
[ -z "$left" ] || fail "left after the purge:$left"
dpkg -l $PKGS 2>/dev/null | grep -q '^ii' && fail "packages still installed"

echo "== lintian"
wait "$lpid"
lrc=$?
lpid=""
sed 's/^/  /' "$T/lintian.log"
echo "  lintian: $(grep -c '^E:' "$T/lintian.log") errors, $(grep -c '^W:' "$T/lintian.log") warnings (exit $lrc)"
[ $lrc -eq 0 ] || fail "lintian reports errors"
echo "ok: built, lintian clean of errors, installed, units verified, demo ran, purged ($(( $(date +%s) - t0 )) s in all)"
