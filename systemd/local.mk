# SPDX-License-Identifier: ISC
# Deployment: systemd units (the configured paths substituted at build time;
# Type=notify with a watchdog when built with libsystemd), sysusers.d and
# tmpfiles.d files, and the example configurations installed where the units
# look (only when none is there: make install never replaces an operator's).
systemdunit_DATA = systemd/p2pd.service systemd/p2p-server.service
sysusersdir = $(prefix)/lib/sysusers.d
tmpfilesdir = $(prefix)/lib/tmpfiles.d
CLEANFILES += $(systemdunit_DATA)
EXTRA_DIST += systemd/p2pd.service.in systemd/p2p-server.service.in \
	systemd/p2pd.sysusers systemd/p2pd.tmpfiles

if HAVE_LIBSYSTEMD
SYSTEMD_WATCHDOG = WatchdogSec=30s
else
SYSTEMD_WATCHDOG = \# WatchdogSec: needs a build with libsystemd (sd_notify)
endif

systemd/%.service: $(top_srcdir)/systemd/%.service.in Makefile
	@$(MKDIR_P) systemd
	$(AM_V_GEN)sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	    -e 's|@SYSTEMD_SERVICE_TYPE[@]|$(SYSTEMD_SERVICE_TYPE)|g' \
	    -e 's|@SYSTEMD_WATCHDOG[@]|$(SYSTEMD_WATCHDOG)|g' $< > $@

# The examples with the configured sysconfdir in their paths.
P2P_CONFS = systemd/p2pd.conf systemd/p2p-server.conf
noinst_DATA = $(P2P_CONFS)
CLEANFILES += $(P2P_CONFS)
systemd/%.conf: $(top_srcdir)/contrib/%.conf.example Makefile
	@$(MKDIR_P) systemd
	$(AM_V_GEN)sed -e 's|/etc/p2pd/|$(sysconfdir)/p2pd/|g' $< > $@

systemd/p2pd.tmpfiles.conf: $(top_srcdir)/systemd/p2pd.tmpfiles Makefile
	@$(MKDIR_P) systemd
	$(AM_V_GEN)sed -e 's|@sysconfdir[@]|$(sysconfdir)|g' $< > $@
noinst_DATA += systemd/p2pd.tmpfiles.conf
CLEANFILES += systemd/p2pd.tmpfiles.conf

install-data-local: $(P2P_CONFS) systemd/p2pd.tmpfiles.conf
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(tmpfilesdir)' \
	    '$(DESTDIR)$(sysconfdir)/p2pd'
	$(INSTALL_DATA) $(top_srcdir)/systemd/p2pd.sysusers '$(DESTDIR)$(sysusersdir)/p2pd.conf'
	$(INSTALL_DATA) systemd/p2pd.tmpfiles.conf '$(DESTDIR)$(tmpfilesdir)/p2pd.conf'
	@for f in $(P2P_CONFS); do \
	    b=`basename $$f`; \
	    if test -f '$(DESTDIR)$(sysconfdir)/p2pd/'$$b; then \
	        echo "keeping $(DESTDIR)$(sysconfdir)/p2pd/$$b"; \
	    else \
	        echo " $(INSTALL_DATA) $$f '$(DESTDIR)$(sysconfdir)/p2pd/$$b'"; \
	        $(INSTALL_DATA) $$f '$(DESTDIR)$(sysconfdir)/p2pd/'$$b || exit 1; \
	    fi; \
	done

# make installcheck (and distcheck): systemd's own check of the units as
# installed (ExecStart binaries in place).
installcheck-local:
	@if command -v systemd-analyze >/dev/null 2>&1; then \
	    echo "systemd-analyze verify $(systemdunitdir)/{p2pd,p2p-server}.service"; \
	    MANPATH='$(DESTDIR)$(mandir)' systemd-analyze verify \
	        '$(DESTDIR)$(systemdunitdir)/p2pd.service' \
	        '$(DESTDIR)$(systemdunitdir)/p2p-server.service' || exit 1; \
	else \
	    echo "installcheck: systemd-analyze not found: the units were not verified"; \
	fi

# An operator's edited configuration stays; the untouched examples go.
uninstall-local:
	rm -f '$(DESTDIR)$(sysusersdir)/p2pd.conf' '$(DESTDIR)$(tmpfilesdir)/p2pd.conf'
	@for f in $(P2P_CONFS); do \
	    b=`basename $$f`; \
	    if cmp -s $$f '$(DESTDIR)$(sysconfdir)/p2pd/'$$b; then \
	        rm -f '$(DESTDIR)$(sysconfdir)/p2pd/'$$b; \
	    fi; \
	done
