#!/bin/sh
# SPDX-License-Identifier: ISC
# The daemons' shape, measured on the object files (contrib/symgraph.py):
# no circle of more than 3 files in the graph "file uses a function or
# variable defined in another file", no file over 600 lines and no
# file-static writable state in daemon/agent and daemon/server (the long
# files of core and common are printed beside them, not enforced). One
# file-static is named here: common/httpconn.c's table of the process's
# HTTP listeners (the server's API, the agent's metrics), because libevent
# 2.1 calls a listener's error callback with the listener's argument, which
# evhttp sets to itself, and offers no public way from the evhttp or the
# listener back to ours (evhttp's accept callback cannot be wrapped: the
# function that hands it a connection is not exported).
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: $py missing (apt-get install python3)"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "SKIP: nm missing (binutils)"; exit 77; }
exec "$py" "$top_srcdir/contrib/symgraph.py" --build "$top_builddir" \
    --src "$top_srcdir" --enforce daemon/agent --enforce daemon/server \
    --allow-state daemon/common/httpconn.c \
    daemon/agent=p2pd daemon/server=p2p_server daemon/core daemon/common
