#include "agent/fake_hwclock.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <system_error>

namespace pifind::agent {

std::optional<std::int64_t> parse_fake_hwclock_time(std::string_view text) {
  const std::string s = trim(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &tail) != 6) return std::nullopt;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(::timegm(&tm));
}

FakeHwclock read_fake_hwclock(const Sysroot& root, std::int64_t now_unix_ns) {
  FakeHwclock f;
  auto exists = [&](std::string_view path) { return root.exists(path); };
  f.installed = exists("/sbin/fake-hwclock") || exists("/usr/sbin/fake-hwclock");
  f.enabled = exists("/etc/systemd/system/sysinit.target.wants/fake-hwclock.service");
  for (const auto& name : root.list("/etc/rcS.d"))
    if (name.starts_with("S") && name.ends_with("fake-hwclock")) f.enabled = true;
  const auto line = root.read_line("/etc/fake-hwclock.data");
  if (!line) return f;
  f.data_present = true;
  f.saved_utc = line->substr(0, 64);
  if (const auto saved = parse_fake_hwclock_time(*line)) {
    // A saved time centuries away ("9999-12-31 ...") is corrupt, and outside what a report may carry.
    const double age_s = static_cast<double>(now_unix_ns) * 1e-9 - static_cast<double>(*saved);
    if (std::abs(age_s) < 1e10) f.age_s = age_s;
  }
  return f;
}

}  // namespace pifind::agent
