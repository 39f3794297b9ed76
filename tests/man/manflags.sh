#!/bin/sh
# SPDX-License-Identifier: ISC
# manflags.sh: the manual pages cannot forget a flag. Every flag that
# p2pd, p2p-server (and its token command) and p2pctl print in --help, and
# every long option in p2pctl's option tables, must be in its page; every
# long option of the daemons must be a key in its .conf(5) page; every
# p2pctl command a Cm entry; every function of p2pclient.h in
# libp2pclient(3). A copy of p2pd(8) with one option taken out must fail the
# same check (so it can).
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
M="$top_srcdir/man"
T=$(mktemp -d "${TMPDIR:-/tmp}/p2pman.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# help_flags PROGRAM ARGS...: "-x" and "--long" of a conf_usage() listing.
help_flags() {
	"$@" --help 2>/dev/null | sed -n 's/^  \(-[a-zA-Z]\)\(, \(--[a-z0-9-]*\)\)\{0,1\}.*/\1 \3/p;
	    s/^  \(--[a-z0-9-]*\).*/\1/p' | tr ' ' '\n' | sed '/^$/d' | sort -u
}
# has_flag PAGE FLAG: the page marks FLAG up with Fl.
has_flag() {
	case $2 in
	--*) grep -Eq "(^|[ \"])Fl -${2#--}( |$|\")" "$1" ;;
	-*) grep -Eq "(^|[ \"])Fl ${2#-}( |$|\")" "$1" ;;
	esac
}
has_key() { grep -Eq "^\.It Cm $2( |$)" "$1"; }
check_flags() {	# check_flags PAGE FLAG...
	_p=$1; shift
	for _f in "$@"; do
		has_flag "$_p" "$_f" || bad "$(basename "$_p"): $_f is not documented (add .It Fl ${_f#-})"
	done
}

n=0
for prog in p2pd p2p-server; do
	flags=$(help_flags "$top_builddir/$prog")
	[ -n "$flags" ] || { bad "$prog --help printed no options"; continue; }
	check_flags "$M/$prog.8" $flags
	for f in $flags; do
		case $f in
		--help|--version|--check-config) ;;
		--*) has_key "$M/$prog.conf.5" "${f#--}" ||
		    bad "$prog.conf.5: key ${f#--} is not documented (add .It Cm ${f#--})" ;;
		esac
	done
	n=$((n + $(echo "$flags" | wc -l)))
done
tflags=$(help_flags "$top_builddir/p2p-server" token)
check_flags "$M/p2p-server.8" $tflags
n=$((n + $(echo "$tflags" | wc -l)))

# p2pctl: its usage lines, its option tables, its commands.
"$top_builddir/p2pctl" --help > "$T/ctl.help" 2>&1 || bad "p2pctl --help failed"
cflags=$( { grep -o -- '--[a-z][a-z0-9-]*' "$T/ctl.help"; grep -o -- '[[ ]-[a-zA-Z]\>' "$T/ctl.help" | cut -c2-;
    sed -n 's/.*{ "\([a-z][a-z0-9-]*\)", *\(no\|required\|optional\)_argument.*/--\1/p' \
        "$top_srcdir"/libclient/ctl_*.c; echo --help; echo --version; echo --socket; } | sort -u)
check_flags "$M/p2pctl.1" $cflags
n=$((n + $(echo "$cflags" | wc -l)))
for c in $(sed -n 's/^ *p2pctl \[-s SOCKET\] \(\[--json\] \)\{0,1\}\([a-z][a-z-]*\).*/\2/p' "$T/ctl.help") \
    $(grep ' group ' "$T/ctl.help" | tr ' |' '\n\n' | grep -x '[a-z][a-z]*' | grep -v p2pctl); do
	grep -Eq "^\.It Cm $c( |$)|^\.It Cm group Cm .*$c" "$M/p2pctl.1" ||
	    bad "p2pctl.1: command $c is not documented (add .It Cm $c)"
	n=$((n + 1))
done

# libp2pclient(3): every function in the header, in NAME and SYNOPSIS.
for f in $(grep -o '\bp2pclient_[a-z0-9_]*(' "$top_srcdir/libclient/p2pclient.h" | tr -d '(' | sort -u); do
	grep -q "^\.Nm $f\( ,\)\{0,1\}$" "$M/libp2pclient.3" || bad "libp2pclient.3: $f is not in NAME (.Nm $f ,)"
	grep -q "^\.Fn $f " "$M/libp2pclient.3" || bad "libp2pclient.3: $f is not in SYNOPSIS (.Fn $f ...)"
	n=$((n + 1))
done

# The check itself can fail: p2pd(8) without --max-message.
grep -v -- 'Fl -max-message' "$M/p2pd.8" > "$T/p2pd.8"
has_flag "$T/p2pd.8" --max-message && bad "the check did not notice a missing --max-message"
has_flag "$M/p2pd.8" --max-message || bad "the check does not see --max-message in p2pd.8"

[ $fail -eq 0 ] && echo "ok: $n flags, keys, commands and functions documented"
exit $fail
