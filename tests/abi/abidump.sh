#!/bin/sh
# SPDX-License-Identifier: ISC
# abidump.sh (make abi-dump): record the ABI of the built libp2pclient (its
# abidw dump and its layout) as the new baseline, after checking that the
# version moved the way docs/ABI.md says for what abidiff and the layout see: nothing (only the version file may change: a
# PATCH release), an addition (MINOR up, current+1 and age+1), or an
# incompatible change (MAJOR up, current+1, age 0).
set -u
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/abi/abilib.sh"

abi_versions || exit 1
abi_tools
rec=$(cat "$verfile" 2>/dev/null || echo "0.0.0 0:0:0")
omaj=${rec%%.*}; r=${rec#*.}; omin=${r%%.*}
ocur=${rec#* }; ocur=${ocur%%:*}; oage=${rec##*:}

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
abi_compare "$d"
v=$?
[ $v -le 2 ] || { echo "the ABI could not be compared"; exit 1; }
if [ $v -eq 0 ]; then
	echo "the ABI did not change"
	[ "$maj.$min" = "$omaj.$omin" ] && [ "$cur" = "$ocur" ] && [ "$age" = "$oage" ] ||
	    { echo "but MAJOR.MINOR or current/age moved ($rec -> $have): only PATCH and revision may"; exit 1; }
elif [ $v -eq 2 ] || [ "$maj" != "$omaj" ]; then
	echo "an incompatible change (or a new MAJOR)"
	[ "$maj" -gt "$omaj" ] && [ "$min" -eq 0 ] && [ "$cur" -gt "$ocur" ] && [ "$age" -eq 0 ] ||
	    { echo "needs P2PCLIENT_VERSION_MAJOR $omaj -> $((omaj + 1)), MINOR 0, and -version-info $((ocur + 1)):0:0 (was $rec, now $have)"; exit 1; }
else
	echo "a compatible change"
	[ "$min" -gt "$omin" ] && [ "$cur" -eq $((ocur + 1)) ] && [ "$rev" -eq 0 ] && [ "$age" -eq $((oage + 1)) ] ||
	    { echo "needs P2PCLIENT_VERSION_MINOR $omin -> $((omin + 1)) and -version-info $((ocur + 1)):0:$((oage + 1)) in configure.ac (was $rec, now $have)"; exit 1; }
fi
if [ $v -ne 0 ]; then
	cp "$d/dump" "$dump"
	cp "$d/layout" "$layout"
fi
echo "$have" > "$verfile"
echo "recorded libp2pclient $have in libclient/abi/: commit it with the change"
