#!/bin/sh
# SPDX-License-Identifier: ISC
# The agent's shape, measured on the object files (contrib/symgraph.py):
# no circle of more than 3 files in the graph "file uses a function or
# variable defined in another file", no file over 600 lines and no
# file-static writable state in daemon/agent. daemon/server's figures (and
# the long files of core and common) are printed beside them but not
# enforced yet: the server's redraw is a later part.
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: $py missing (apt-get install python3)"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm missing (binutils)"; exit 77; }
exec "$py" "$top_srcdir/contrib/symgraph.py" --build "$top_builddir" \
    --src "$top_srcdir" --enforce daemon/agent \
    daemon/agent=p2pd daemon/server=p2p_server daemon/core daemon/common
