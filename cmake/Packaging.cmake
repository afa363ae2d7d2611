# Debian packages with CPack (`cpack -G DEB` in a build tree): one .deb per install component,
# `pifind` (scanner, collector, fleet commands) and `pifind-agent` (the agent, its unit, group and udev rule).
# Maintainer scripts, conffiles, environment templates and lintian overrides live in packaging/<package>/,
# the DEP-5 copyright file in packaging/; man pages are installed gzipped (cmake/ManPages.cmake). The binaries
# are hardened when the tree is built with PIFIND_DPKG_BUILDFLAGS (the default preset, scripts/cross), and
# stripped as dh_strip does (cmake/DebStrip.cmake). tests/packaging/lintian_test.sh runs lintian --pedantic.

# A native build packages both; a cross build (scripts/cross) only pifind-agent, for the target's
# Debian architecture. A native agent-only build packages nothing.
if(CMAKE_CROSSCOMPILING)
  set(PIFIND_DEB_PACKAGES pifind-agent)
elseif(PIFIND_AGENT_ONLY)
  return()
else()
  set(PIFIND_DEB_PACKAGES pifind pifind-agent)
endif()

# Installed only when a component is asked for (as CPack does), never by a plain `cmake --install`
# into /usr/local: the services' environment files belong in /etc, which only a package should own,
# and the copyright file and lintian overrides belong to the packages.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/pifind-agent/pifind-agent.default
        DESTINATION /etc/default RENAME pifind-agent COMPONENT pifind-agent EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/pifind/pifind-serve.default
        DESTINATION /etc/default RENAME pifind-serve COMPONENT pifind EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/pifind/pifind-scan.default
        DESTINATION /etc/default RENAME pifind-scan COMPONENT pifind EXCLUDE_FROM_ALL)
foreach(PIFIND_DEB_PACKAGE IN LISTS PIFIND_DEB_PACKAGES)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/copyright
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${PIFIND_DEB_PACKAGE}
          COMPONENT ${PIFIND_DEB_PACKAGE} EXCLUDE_FROM_ALL)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/${PIFIND_DEB_PACKAGE}/lintian-overrides
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME ${PIFIND_DEB_PACKAGE}
          COMPONENT ${PIFIND_DEB_PACKAGE} EXCLUDE_FROM_ALL)
endforeach()

set(PIFIND_DEB_MAINTAINER "pifind maintainers <maintainers@users.noreply.r-seed-f8173170.example>"
    CACHE STRING "Maintainer field of the Debian packages")

# Every Debian package carries its changelog, gzipped: one entry for this version, dated from
# SOURCE_DATE_EPOCH when that is set (reproducible builds), else from the time of configuring.
string(TIMESTAMP PIFIND_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
foreach(PIFIND_DEB_PACKAGE IN LISTS PIFIND_DEB_PACKAGES)
  set(changelog ${PROJECT_BINARY_DIR}/packaging/${PIFIND_DEB_PACKAGE}/changelog.Debian)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.Debian.in ${changelog} @ONLY)
  execute_process(COMMAND gzip -9nf ${changelog} COMMAND_ERROR_IS_FATAL ANY)
  install(FILES ${changelog}.gz DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${PIFIND_DEB_PACKAGE}
          COMPONENT ${PIFIND_DEB_PACKAGE} EXCLUDE_FROM_ALL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pifind)
set(CPACK_PACKAGE_VENDOR pifind)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package has its own summary (the first line of its description); a project-wide one would be
# put in front of both by CPackDeb.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/DebStrip.cmake)
set(CPACK_PIFIND_STRIP ${CMAKE_STRIP})  # the target's strip in a cross build
# Component packages, and only ours: anything installed without a component is not packaged.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${PIFIND_DEB_PACKAGES})
set(CPACK_COMPONENTS_GROUPING IGNORE)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PIFIND_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: the shared libraries each binary links, as dpkg-shlibdeps finds them, plus what the
# maintainer scripts run. Architecture: dpkg --print-architecture (CPackDeb's default).
# A cross build has no package database of the target's to ask (its sysroot is unpacked, not installed),
# so the agent's Depends are written out: what dpkg-shlibdeps gives for the native agent on Debian 12,
# the same libraries at the same versions on every architecture. scripts/cross checks the binary's
# NEEDED libraries and glibc symbol versions against it.
if(CMAKE_CROSSCOMPILING)
  if(NOT PIFIND_DEB_ARCHITECTURE)
    message(FATAL_ERROR "Packaging: a cross toolchain must set PIFIND_DEB_ARCHITECTURE (arm64, armhf)")
  endif()
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${PIFIND_DEB_ARCHITECTURE})
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PIFIND-AGENT_PACKAGE_DEPENDS
      "libc6 (>= 2.35), libfmt9 (>= 9.1.0+ds1), libgcc-s1 (>= 3.4), libssl3 (>= 3.0.0), libstdc++6 (>= 11)")
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_PIFIND_PACKAGE_NAME pifind)
set(CPACK_DEBIAN_PIFIND_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PIFIND_PACKAGE_DEPENDS libcap2-bin)
set(CPACK_DEBIAN_PIFIND_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/pifind/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/pifind/postinst
    ${PROJECT_SOURCE_DIR}/packaging/pifind/prerm
    ${PROJECT_SOURCE_DIR}/packaging/pifind/postrm)
set(CPACK_DEBIAN_PIFIND_DESCRIPTION [=[find the Raspberry Pis on a LAN and keep a fleet inventory
pifind sends ARP requests to every address of a LAN segment and lists the
hosts whose MAC address lies in a Raspberry Pi prefix, with retries that
adapt to the loss it sees. Its subcommands keep a fleet inventory: `pifind
serve` collects the reports of pifind-agent, and the inventory becomes ssh
configs, Ansible inventories, Prometheus metrics and drift audits.
The package gives /usr/bin/pifind the cap_net_raw file capability, so
scanning needs no root, and ships the collector as pifind-serve.service
and a periodic scan of one interface into a collector as
pifind-scan@.timer, none of them enabled.]=])

set(CPACK_DEBIAN_PIFIND-AGENT_PACKAGE_NAME pifind-agent)
set(CPACK_DEBIAN_PIFIND-AGENT_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PIFIND-AGENT_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/pifind-agent/conffiles
    ${PROJECT_SOURCE_DIR}/packaging/pifind-agent/postinst
    ${PROJECT_SOURCE_DIR}/packaging/pifind-agent/prerm
    ${PROJECT_SOURCE_DIR}/packaging/pifind-agent/postrm)
set(CPACK_DEBIAN_PIFIND-AGENT_DESCRIPTION [=[report a Raspberry Pi's RTC, clocksource and drift to pifind
pifind-agent runs on each Pi as a systemd service with no privileges and
reports the board, its real-time clock, the clocksource and the measured
drift to the pifind collector (`pifind serve`), signed with the fleet key.
The package adds the rtc group and a udev rule giving it read access to
/dev/rtc*. The service is not enabled: name the collector in
/etc/default/pifind-agent, put the key in /etc/pifind/fleet.key, then
systemctl enable --now pifind-agent.]=])

include(CPack)
