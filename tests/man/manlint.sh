#!/bin/sh
# SPDX-License-Identifier: ISC
# manlint.sh: every manual page is clean under `mandoc -Tlint` (warnings and
# worse; style notes depend on which pages the machine has) and renders,
# with mandoc and, where man-db is installed, with `man -l`.
set -u
: "${top_srcdir:=.}"
command -v mandoc >/dev/null 2>&1 || { echo "SKIP: mandoc not found (apt-get install mandoc)"; exit 77; }
fail=0
for p in "$top_srcdir"/man/*.[1358]; do
	out=$(mandoc -Tlint -W warning "$p" 2>&1) || { echo "FAIL: $out"; fail=1; continue; }
	[ -z "$out" ] || { echo "FAIL: $out"; fail=1; continue; }
	lines=$(mandoc -Tascii "$p" | wc -l)
	[ "$lines" -gt 20 ] || { echo "FAIL: $p renders to $lines lines"; fail=1; continue; }
	if command -v man >/dev/null 2>&1; then
		mlines=$(MANPAGER=cat MANWIDTH=80 man -l "$p" 2>/dev/null | wc -l)
		[ "$mlines" -gt 20 ] || { echo "FAIL: man -l $p renders to $mlines lines"; fail=1; continue; }
	fi
	echo "ok: $(basename "$p"): lint clean, $lines lines"
done
exit $fail
