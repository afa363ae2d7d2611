#include "agent/time_discipline.h"

#include <sys/timex.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace pifind::agent {
namespace {

struct DriftFile {
  const char* path;
  const char* daemon;
  double sign;  // multiply the file's value to get "positive = system clock gaining"
};

constexpr DriftFile kDriftFiles[] = {
    {"/var/lib/chrony/chrony.drift", "chronyd", +1},
    {"/var/lib/ntpsec/ntp.drift", "ntpd", -1},
    {"/var/lib/ntp/ntp.drift", "ntpd", -1},
    {"/etc/ntp.drift", "ntpd", -1},
};

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

KernelTimeState kernel_time_state(int state, long long status, long long freq, long long offset, long long maxerror,
                                  long long esterror, long long tick) {
  KernelTimeState k;
  k.state = state;
  k.status = status;
  k.synchronised = (status & STA_UNSYNC) == 0 && state != TIME_ERROR;
  k.freq_ppm = static_cast<double>(freq) / 65536.0;
  k.offset_s = static_cast<double>(offset) * ((status & STA_NANO) ? 1e-9 : 1e-6);
  k.maxerror_s = static_cast<double>(maxerror) * 1e-6;
  k.esterror_s = static_cast<double>(esterror) * 1e-6;
  k.tick_us = tick;
  return k;
}

std::optional<KernelTimeState> LinuxKernelTimeSource::read() {
  timex t{};
  t.modes = 0;
  const int state = ::adjtimex(&t);
  if (state < 0) return std::nullopt;
  return kernel_time_state(state, t.status, t.freq, t.offset, t.maxerror, t.esterror, t.tick);
}

std::vector<std::string> find_time_daemons(const Sysroot& root) {
  std::vector<std::string> found;
  for (const auto& pid : root.list("/proc")) {
    if (!all_digits(pid)) continue;
    const auto comm = root.read_line("/proc/" + pid + "/comm");
    if (!comm) continue;
    std::string name = *comm;
    if (name == "systemd-timesyn") name = "systemd-timesyncd";  // comm is cut at 15 characters
    static constexpr const char* known[] = {"chronyd", "ntpd", "systemd-timesyncd", "openntpd", "ptp4l", "phc2sys"};
    if (std::find(std::begin(known), std::end(known), name) != std::end(known) &&
        std::find(found.begin(), found.end(), name) == found.end())
      found.push_back(name);
  }
  std::sort(found.begin(), found.end());
  return found;
}

void read_drift_file(const Sysroot& root, Discipline& d) {
  auto try_file = [&](const DriftFile& f) {
    const auto line = root.read_line(f.path);
    if (!line) return false;
    char* end = nullptr;
    const double value = std::strtod(line->c_str(), &end);
    if (end == line->c_str() || !std::isfinite(value) || std::abs(value) > 1e5) return false;
    d.drift_file = f.path;
    d.drift_file_ppm = f.sign * value;
    return true;
  };
  for (const auto& f : kDriftFiles)
    if (std::find(d.daemons.begin(), d.daemons.end(), f.daemon) != d.daemons.end() && try_file(f)) return;
  for (const auto& f : kDriftFiles)
    if (try_file(f)) return;
}

Discipline read_discipline(const Sysroot& root, KernelTimeSource& kernel) {
  Discipline d;
  if (!root.is_live() && kernel.reads_this_machine())
    d.kernel_unknown = "read from a sysroot: adjtimex would give this machine's kernel state, not the tree's";
  else
    d.kernel = kernel.read();
  d.daemons = find_time_daemons(root);
  read_drift_file(root, d);
  return d;
}

}  // namespace pifind::agent
