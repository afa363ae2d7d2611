// Which Raspberry Pi this is: /proc/cpuinfo Revision decoded (new-style bit fields and the old-style
// table), Serial, and the device-tree model string.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

struct CpuInfo {
  std::string revision;  ///< "c03111", lowercase, leading zeros kept as printed
  std::string serial;    ///< "10000000abcdef01"
};

/// The Revision and Serial lines of /proc/cpuinfo text (the Hardware line is BCM2835 on every Pi: ignored).
CpuInfo parse_cpuinfo(std::string_view text);

/// Decodes a revision code ("a02082", "000e", "1000002"). Nothing for text that is not hex or an
/// unknown old-style code; unlisted new-style types decode with board "unknown (0xNN)".
std::optional<BoardRevision> decode_revision(std::string_view code);

/// /proc/device-tree/model up to its NUL (or whole, without one); empty on machines without a device
/// tree or when the file is unreadable or over 1 KiB.
std::string read_model(const Sysroot& root);

}  // namespace pifind::agent
