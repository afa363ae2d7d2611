// Which Raspberry Pi this is: the revision code decoded (new-style bit fields and the old-style table),
// serial and model, from /proc/cpuinfo or, on mainline and distribution kernels that print none of it,
// from the device tree; the memory from /proc/meminfo when no revision code says it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

struct CpuInfo {
  std::string revision;  ///< "c03111", lowercase, leading zeros kept as printed; empty for "0000"
  std::string serial;    ///< "10000000abcdef01"; empty for all zeros
  std::string model;     ///< the Model line Raspberry Pi kernels print ("Raspberry Pi 5 Model B Rev 1.0")
};

/// The Revision, Serial and Model lines of /proc/cpuinfo text (the Hardware line is BCM2835 on every Pi:
/// ignored). A mainline kernel prints none of them, or "Revision : 0000" and a zero serial: empty.
CpuInfo parse_cpuinfo(std::string_view text);

/// Decodes a revision code ("a02082", "000e", "1000002"). Nothing for text that is not hex or an
/// unknown old-style code; unlisted new-style types decode with board "unknown (0xNN)".
std::optional<BoardRevision> decode_revision(std::string_view code);

/// /proc/device-tree/model, else /sys/firmware/devicetree/base/model (the path the Raspberry Pi
/// documentation gives), up to its NUL (or whole, without one); empty on machines without a device tree
/// or when the file is unreadable or over 1 KiB. The caller falls back on cpuinfo's Model line.
std::string read_model(const Sysroot& root);

/// What the firmware writes into the device tree for every kernel: system/linux,revision (a 32-bit
/// big-endian cell) as "c03111", and the serial from serial-number (a string) or system/linux,serial
/// (two cells). Empty where absent or zero.
std::string read_device_tree_revision(const Sysroot& root);
std::string read_device_tree_serial(const Sysroot& root);

/// MemTotal of /proc/meminfo text rounded up to the next power of two in MB, the size of the board's
/// memory (the kernel reserves some, the firmware the GPU's share; every Pi has 2^n MB); nothing if absent.
std::optional<int> memory_mb_from_meminfo(std::string_view meminfo);

/// Everything above, as the report's identity fields: cpuinfo first, the device tree where cpuinfo is
/// silent, meminfo where no revision gives the memory.
struct Board {
  std::string model;
  std::optional<BoardRevision> revision;
  std::string serial;
  std::optional<int> memory_mb;
};
Board read_board(const Sysroot& root);

}  // namespace pifind::agent
