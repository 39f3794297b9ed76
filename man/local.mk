# SPDX-License-Identifier: ISC
# Manual pages (mdoc), installed under $(mandir); checked by mandoc -Tlint and
# against every program's flags (tests/man/).
dist_man_MANS = man/p2pd.8 man/p2p-server.8 man/p2pctl.1 man/p2pd.conf.5 \
	man/p2p-server.conf.5 man/libp2pclient.3
TESTS += tests/man/manlint.sh tests/man/manflags.sh
EXTRA_DIST += tests/man/manlint.sh tests/man/manflags.sh
