// fake-hwclock: the Pi's stand-in for an RTC, a saved UTC time in /etc/fake-hwclock.data. Its age says
// how far back a boot without network would set the clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

/// "2026-11-25 18:00:01" (UTC) as Unix seconds; nothing if malformed.
std::optional<std::int64_t> parse_fake_hwclock_time(std::string_view text);

/// Whether the package is installed and enabled, the data file's content and its age relative to
/// `now_unix_ns`.
FakeHwclock read_fake_hwclock(const Sysroot& root, std::int64_t now_unix_ns);

}  // namespace pifind::agent
