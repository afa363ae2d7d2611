# Cross toolchain for 32-bit Raspberry Pi OS on ARMv7 and later (Pi 2, 3, 4, 5, Zero 2 W): Debian 12's
# g++-arm-linux-gnueabihf (Debian armhf is ARMv7 + VFPv3-D16 + Thumb-2, so not the ARMv6 Pi 1 and Zero),
# tests under qemu-arm. Use through scripts/cross armhf, or cmake -DCMAKE_SYSROOT=DIR with this file.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(PIFIND_CROSS_TRIPLET arm-linux-gnueabihf)
set(PIFIND_DEB_ARCHITECTURE armhf)  # what cmake/Packaging.cmake names the .deb for
set(PIFIND_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
# GCC notes on every std::vector argument that its ARM parameter passing changed in GCC 7.1: irrelevant here,
# as everything the agent links is built by GCC 12, and a note per call buries the real diagnostics.
set(CMAKE_CXX_FLAGS_INIT -Wno-psabi)
