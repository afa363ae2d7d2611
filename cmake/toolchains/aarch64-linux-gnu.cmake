# Cross toolchain for 64-bit Raspberry Pi OS (Pi 3, 4, 5, Zero 2 W): Debian 12's g++-aarch64-linux-gnu,
# tests under qemu-aarch64. Use through scripts/cross arm64, or cmake -DCMAKE_SYSROOT=DIR with this file.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(PIFIND_CROSS_TRIPLET aarch64-linux-gnu)
set(PIFIND_DEB_ARCHITECTURE arm64)  # what cmake/Packaging.cmake names the .deb for
set(PIFIND_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
