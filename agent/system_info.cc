#include "agent/system_info.h"

#include <sys/utsname.h>

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace pifind::agent {

OsInfo parse_os_release(std::string_view text) {
  OsInfo os;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (key == "PRETTY_NAME") os.pretty_name = value;
    if (key == "ID") os.id = value;
    if (key == "VERSION_ID") os.version_id = value;
  }
  return os;
}

OsInfo read_os(const Sysroot& root) {
  auto text = root.read("/etc/os-release");
  if (!text) text = root.read("/usr/lib/os-release");
  return text ? parse_os_release(*text) : OsInfo{};
}

std::pair<std::string, std::string> read_kernel(const Sysroot& root) {
  if (root.is_live()) {
    utsname u{};
    if (::uname(&u) == 0) return {u.release, u.machine};
  }
  return {root.read_line("/proc/sys/kernel/osrelease").value_or(""), root.read_line("/proc/sys/kernel/arch").value_or("")};
}

std::optional<double> read_uptime_s(const Sysroot& root) {
  const auto line = root.read_line("/proc/uptime");
  if (!line) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(line->c_str(), &end);
  if (end == line->c_str() || !std::isfinite(v) || v < 0 || v > 1e10) return std::nullopt;
  return v;
}

std::string read_boot_id(const Sysroot& root) { return root.read_line("/proc/sys/kernel/random/boot_id").value_or(""); }

}  // namespace pifind::agent
