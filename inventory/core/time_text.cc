#include "inventory/core/time_text.h"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

namespace pifind {
namespace {

bool read_number(std::string_view text, std::size_t at, std::size_t digits, int& out) {
  if (at + digits > text.size()) return false;
  int value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  out = value;
  return true;
}

}  // namespace

void append_utc(std::string& out, TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time{std::chrono::floor<std::chrono::seconds>(t - days)};
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) {  // not a year the inventory holds (parse_utc refuses them); kept readable
    out += fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, static_cast<unsigned>(date.month()),
                       static_cast<unsigned>(date.day()), time.hours().count(), time.minutes().count(),
                       time.seconds().count());
    return;
  }
  char text[20] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0', '0', ':', '0', '0', ':', '0', '0', 'Z'};
  auto put = [&text](std::size_t at, std::size_t digits, long long value) {
    for (std::size_t i = at + digits; i-- > at; value /= 10) text[i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, year);
  put(5, 2, static_cast<unsigned>(date.month()));
  put(8, 2, static_cast<unsigned>(date.day()));
  put(11, 2, time.hours().count());
  put(14, 2, time.minutes().count());
  put(17, 2, time.seconds().count());
  out.append(text, sizeof text);
}

std::string format_utc(TimePoint t) {
  std::string out;
  append_utc(out, t);
  return out;
}

std::optional<TimePoint> parse_utc(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !read_number(text, 0, 4, year) || text[4] != '-' || !read_number(text, 5, 2, month) ||
      text[7] != '-' || !read_number(text, 8, 2, day) || text[10] != 'T' || !read_number(text, 11, 2, hour) ||
      text[13] != ':' || !read_number(text, 14, 2, minute) || text[16] != ':' || !read_number(text, 17, 2, second))
    return std::nullopt;
  std::size_t at = 19;
  if (text[at] == '.') {
    ++at;
    const std::size_t digits_start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == digits_start) return std::nullopt;
  }
  if (at + 1 != text.size() || text[at] != 'Z') return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::chrono::sys_seconds instant = std::chrono::sys_days{date} + std::chrono::hours{hour} +
                                           std::chrono::minutes{minute} + std::chrono::seconds{second};
  // TimePoint counts nanoseconds in 64 bits (years 1678-2262): a year like 4052 would overflow, not parse.
  // (Compared in seconds: converting `instant` to TimePoint first is the overflow.)
  constexpr auto limit = std::chrono::duration_cast<std::chrono::seconds>(TimePoint::duration::max());
  if (instant.time_since_epoch() > limit || instant.time_since_epoch() < -limit) return std::nullopt;
  return TimePoint{instant};
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text, bool allow_zero) {
  if (text.size() < 2) return std::nullopt;
  long long count = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size() - 1, count);
  if (ec != std::errc{} || end != text.data() + text.size() - 1 || count < 0 || (count == 0 && !allow_zero))
    return std::nullopt;
  long long unit_s = 0;
  switch (text.back()) {
    case 's': unit_s = 1; break;
    case 'm': unit_s = 60; break;
    case 'h': unit_s = 3600; break;
    case 'd': unit_s = 86400; break;
    case 'w': unit_s = 7 * 86400; break;
    default: return std::nullopt;
  }
  if (count > 100LL * 365 * 86400 / unit_s) return std::nullopt;
  return std::chrono::seconds{count * unit_s};
}

std::string format_duration(std::chrono::seconds d) {
  const long long s = d.count();
  if (s != 0 && s % 86400 == 0) return fmt::format("{}d", s / 86400);
  if (s != 0 && s % 3600 == 0) return fmt::format("{}h", s / 3600);
  if (s != 0 && s % 60 == 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

}  // namespace pifind
