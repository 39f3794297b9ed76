# SPDX-License-Identifier: ISC
# systemd units, with the configured paths substituted at build time.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = systemd/p2pd.service systemd/p2p-server.service
CLEANFILES += $(systemdunit_DATA)
EXTRA_DIST += systemd/p2pd.service.in systemd/p2p-server.service.in

systemd/%.service: $(top_srcdir)/systemd/%.service.in Makefile
	@$(MKDIR_P) systemd
	$(AM_V_GEN)sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' $< > $@
