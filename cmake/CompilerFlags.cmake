# Warnings for every target of the project, and Debian's hardening flags for the builds that make packages.
# -Werror only where the compiler is known (the presets, scripts/cross): a user's or a distribution's newer
# compiler warns where ours does not, and that must not stop their build.

option(PIFIND_WERROR "Turn warnings into errors (the presets and scripts/cross do; a plain build does not)" OFF)
option(PIFIND_DPKG_BUILDFLAGS
  "Compile and link with dpkg-buildflags' hardening (fortify, stack protector, relro, bindnow), as Debian's packages are: the default preset, whose tree cpack packages, and scripts/cross" OFF)

# Linked PRIVATE by every target of ours: -Wall -Wextra always, -Werror with PIFIND_WERROR.
add_library(pifind_warnings INTERFACE)
target_compile_options(pifind_warnings INTERFACE -Wall -Wextra $<$<BOOL:${PIFIND_WERROR}>:-Werror>)

if(PIFIND_DPKG_BUILDFLAGS)
  find_program(PIFIND_DPKG_BUILDFLAGS_PROGRAM dpkg-buildflags)
  if(NOT PIFIND_DPKG_BUILDFLAGS_PROGRAM)
    message(FATAL_ERROR "PIFIND_DPKG_BUILDFLAGS needs dpkg-buildflags (apt-get install dpkg-dev)")
  endif()
  # hardening=+all adds bindnow (-z now) to Debian's defaults. -g and -O2 are stripped: the build type chooses
  # the optimisation and the debug information, as for any other build. A cross build asks for the flags of
  # the architecture it builds for (the toolchain file names it).
  set(pifind_dpkg_env DEB_BUILD_MAINT_OPTIONS=hardening=+all "DEB_CXXFLAGS_MAINT_STRIP=-g -O2")
  if(PIFIND_DEB_ARCHITECTURE)
    list(APPEND pifind_dpkg_env DEB_HOST_ARCH=${PIFIND_DEB_ARCHITECTURE})
  endif()
  foreach(kind CPPFLAGS CXXFLAGS LDFLAGS)
    # From the source directory: the reproducible build's -ffile-prefix-map maps it to '.'.
    execute_process(COMMAND ${CMAKE_COMMAND} -E env ${pifind_dpkg_env} ${PIFIND_DPKG_BUILDFLAGS_PROGRAM} --get ${kind}
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    separate_arguments(flags UNIX_COMMAND "${flags}")
    if(kind STREQUAL LDFLAGS)
      add_link_options(${flags})
    else()
      add_compile_options(${flags})
    endif()
    string(JOIN " " pifind_dpkg_${kind} ${flags})
  endforeach()
  message(STATUS "dpkg-buildflags: ${pifind_dpkg_CPPFLAGS} ${pifind_dpkg_CXXFLAGS}; linking with ${pifind_dpkg_LDFLAGS}")
endif()
