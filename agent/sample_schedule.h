// When the agent samples its references: an RTC edge every sample interval (waking kWakeEarlyNs before the edge
// that is due), an SNTP exchange every NTP interval, and sleeping on the Clock in between. pifind-agent runs this
// loop; the tests and bench/ drive the same loop on simulated clocks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "agent/clock.h"
#include "agent/drift_monitor.h"

namespace pifind::agent {

struct SampleIntervals {
  /// Seconds between RTC edge samples.
  double rtc_s = 2;
  /// Seconds between SNTP exchanges; nothing when the agent has no NTP server.
  std::optional<double> ntp_s;
};

class SampleSchedule {
 public:
  /// `log` gets one line per problem a sample reports, once per change (a busy RTC every 2 s is logged once).
  SampleSchedule(Clock& clock, DriftMonitor& monitor, SampleIntervals intervals,
                 std::function<void(const std::string&)> log = {});

  /// Takes whatever sample is due, then sleeps until the next one is, but not past raw time `until_ns`.
  void step(std::int64_t until_ns);
  /// Steps until raw time `until_ns`, or until `stop` becomes true (checked after each wake).
  void run_until(std::int64_t until_ns, const std::atomic<bool>* stop = nullptr);
  /// run_until() `seconds` of raw time from now.
  void run_for(double seconds, const std::atomic<bool>* stop = nullptr);

 private:
  void log_once(const std::string& line);

  Clock& clock_;
  DriftMonitor& monitor_;
  const SampleIntervals intervals_;
  std::function<void(const std::string&)> log_;
  std::int64_t next_rtc_ns_ = 0;
  std::int64_t next_ntp_ns_ = 0;
  std::string last_logged_;
};

}  // namespace pifind::agent
