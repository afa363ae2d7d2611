// The software side of the identity: /etc/os-release, kernel release and architecture, uptime and the
// boot id (which tells the drift sampler that MONOTONIC_RAW restarted).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

/// PRETTY_NAME, ID and VERSION_ID of os-release text (quotes removed); missing keys stay empty.
OsInfo parse_os_release(std::string_view text);
/// /etc/os-release, else /usr/lib/os-release.
OsInfo read_os(const Sysroot& root);
/// Kernel release and machine: uname(2) on the live system, /proc/sys/kernel/{osrelease,arch} otherwise.
std::pair<std::string, std::string> read_kernel(const Sysroot& root);
/// /proc/uptime, first field; nothing if missing, unparsable or beyond 1e10 s.
std::optional<double> read_uptime_s(const Sysroot& root);
/// /proc/sys/kernel/random/boot_id; empty if unreadable.
std::string read_boot_id(const Sysroot& root);

}  // namespace pifind::agent
