# Every dependency comes from a Debian 12 package (see scripts/setup); nothing is vendored or downloaded.
# The scanner's capture and frame libraries; the agent-only (cross) build links neither.
if(NOT PIFIND_AGENT_ONLY)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
  # libcap-dev: the scanner and the fleet subcommands drop capabilities through cap_set_proc(3).
  pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)

  # libnet1-dev ships neither a CMake config nor a pkg-config file, only libnet-config.
  find_path(LIBNET_INCLUDE_DIR libnet.h REQUIRED)
  find_library(LIBNET_LIBRARY net REQUIRED)
  add_library(libnet::libnet UNKNOWN IMPORTED)
  set_target_properties(libnet::libnet PROPERTIES
    IMPORTED_LOCATION "${LIBNET_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LIBNET_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "_DEFAULT_SOURCE;HAVE_NET_ETHERNET_H")
endif()

find_package(Boost 1.74 REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
