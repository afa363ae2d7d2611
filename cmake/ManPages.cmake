# Man pages are installed gzipped (gzip -9n: no name, no timestamp, so the .gz is reproducible), as
# Debian policy asks; `man` and mandoc read them as they are. Sources stay plain under man/.

# pifind_install_man_page(PAGE COMPONENT COMP): man/PAGE compressed at build time (part of ALL) and
# installed into the man section its suffix names, as part of component COMP.
function(pifind_install_man_page page)
  cmake_parse_arguments(ARG "" "COMPONENT" "" ${ARGN})
  string(REGEX MATCH "[0-9]$" section "${page}")
  set(source ${PROJECT_SOURCE_DIR}/man/${page})
  set(gzipped ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gzipped}
    COMMAND ${CMAKE_COMMAND} -E copy ${source} ${PROJECT_BINARY_DIR}/man/${page}
    COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/man/${page}
    DEPENDS ${source}
    COMMENT "Compressing man page ${page}"
    VERBATIM)
  add_custom_target(man_${page} ALL DEPENDS ${gzipped})
  install(FILES ${gzipped} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${ARG_COMPONENT})
endfunction()
