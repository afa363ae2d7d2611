#include "agent/clocksource.h"

#include <sstream>

namespace pifind::agent {

Clocksource read_clocksource(const Sysroot& root) {
  Clocksource c;
  const std::string dir = "/sys/devices/system/clocksource/clocksource0/";
  c.current = root.read_line(dir + "current_clocksource").value_or("");
  std::istringstream in(root.read_line(dir + "available_clocksource").value_or(""));
  std::string name;
  while (in >> name && c.available.size() < kMaxListItems) c.available.push_back(name);
  return c;
}

}  // namespace pifind::agent
