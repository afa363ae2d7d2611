# Shared part of the Debian 12 cross toolchains (aarch64-linux-gnu.cmake, arm-linux-gnueabihf.cmake): the
# caller sets PIFIND_CROSS_TRIPLET and PIFIND_CROSS_QEMU; libraries come from a sysroot (scripts/cross).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${PIFIND_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${PIFIND_CROSS_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${PIFIND_CROSS_TRIPLET})

# The target's -dev packages unpacked into a tree of their own (scripts/cross makes it with mmdebstrap), so
# the host's package database is left alone. Given with -DCMAKE_SYSROOT=DIR; CMake passes it to try_compile.
if(NOT CMAKE_SYSROOT)
  message(FATAL_ERROR "cross toolchain: give the target's library tree with -DCMAKE_SYSROOT=DIR (scripts/cross makes one)")
endif()

# Headers, libraries and CMake packages from the sysroot only; programs (mandoc, ...) from the host.
set(CMAKE_FIND_ROOT_PATH ${CMAKE_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# CTest (and Catch2's test discovery) run the target's binaries under qemu-user, whose dynamic loader and
# shared libraries are looked up in the sysroot first (-L).
set(CMAKE_CROSSCOMPILING_EMULATOR ${PIFIND_CROSS_QEMU} -L ${CMAKE_SYSROOT})
