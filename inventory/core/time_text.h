// Time as the inventory writes it: RFC 3339 UTC instants ("2026-11-25T18:30:00Z") and short
// durations ("90s", "15m", "1h", "30d") as the command line takes them.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pifind {

using TimePoint = std::chrono::system_clock::time_point;

/// "YYYY-MM-DDTHH:MM:SSZ", whole seconds, UTC.
std::string format_utc(TimePoint t);
/// The same appended to `out`, without a string of its own (the collector writes thousands a commit).
void append_utc(std::string& out, TimePoint t);
/// Parses "YYYY-MM-DDTHH:MM:SS" followed by an optional fraction and "Z"; nothing for anything else.
std::optional<TimePoint> parse_utc(std::string_view text);

/// A positive whole number followed by one unit s, m, h, d or w ("30d"); nothing otherwise. Zero ("0s") only
/// when `allow_zero`.
std::optional<std::chrono::seconds> parse_duration(std::string_view text, bool allow_zero = false);
/// The largest unit that divides the duration exactly: 86400s -> "1d", 90s -> "90s".
std::string format_duration(std::chrono::seconds d);

}  // namespace pifind
