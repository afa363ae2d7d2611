// Who disciplines the system clock and how hard: adjtimex(2) read-only (modes 0, needs no privilege),
// the running daemon (chronyd, ntpd, systemd-timesyncd, found via /proc/*/comm) and its drift file.
#pragma once

#include <optional>
#include <string_view>

#include "agent/sysroot.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

/// adjtimex(2), behind an interface so tests hand in a fixed kernel state.
class KernelTimeSource {
 public:
  virtual ~KernelTimeSource() = default;
  /// Nothing if the call failed.
  virtual std::optional<KernelTimeState> read() = 0;
  /// True when the state is this machine's own kernel's, which says nothing about a --sysroot tree.
  virtual bool reads_this_machine() const { return false; }
};

/// adjtimex with modes = 0: reads, never changes anything.
class LinuxKernelTimeSource final : public KernelTimeSource {
 public:
  std::optional<KernelTimeState> read() override;
  bool reads_this_machine() const override { return true; }
};

/// Converts raw timex fields (freq in 2^-16 ppm, offset in ns if STA_NANO else µs, errors in µs).
KernelTimeState kernel_time_state(int state, long long status, long long freq, long long offset,
                                  long long maxerror, long long esterror, long long tick);

/// Which time daemons run: "chronyd", "ntpd", "systemd-timesyncd", "openntpd", "ptp4l", "phc2sys".
std::vector<std::string> find_time_daemons(const Sysroot& root);

/// The first readable drift file of the running daemon (or any known one if none runs), converted to
/// the system clock's frequency error in ppm, positive = gaining. chrony stores that error as is;
/// ntpd and NTPsec store the correction they apply, so its sign is flipped.
void read_drift_file(const Sysroot& root, Discipline& discipline);

/// Everything above. Under a --sysroot the running kernel's adjtimex state belongs to the host, not
/// to the tree: it is reported unknown (kernel absent, kernel_unknown says why), never the host's.
Discipline read_discipline(const Sysroot& root, KernelTimeSource& kernel);

}  // namespace pifind::agent
