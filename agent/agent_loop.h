// One running pifind-agent: its options, the hardware it measures (this machine's clocks and RTCs, or a
// simulated Pi), and the loop that gathers facts, samples on SampleSchedule and sends a signed report every
// interval, spooling while the collector is away. agent/main.cc only parses the command line around it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/clock.h"
#include "agent/drift_monitor.h"
#include "agent/facts.h"
#include "agent/rtc_device.h"
#include "agent/sample_schedule.h"
#include "agent/simulated_pi.h"
#include "agent/sysroot.h"
#include "agent/time_discipline.h"
#include "inventory/protocol/device_key.h"
#include "inventory/protocol/report.h"

namespace pifind::agent {

struct AgentOptions {
  std::string sysroot = "/";
  /// Empty: $STATE_DIRECTORY, else /var/lib/pifind-agent.
  std::string state_dir;
  std::string server;
  std::string key_file;
  std::string ca_file;
  /// HOST, HOST:PORT or [IPv6]:PORT; empty for none.
  std::string ntp_server;
  /// A --simulate spec (simulated_pi.h); empty to measure this machine.
  std::string simulate;
  double interval_s = 300;
  double sample_interval_s = 2;
  double ntp_interval_s = 64;
  double measure_s = 0;
  std::size_t spool_max = 256;
  std::size_t max_samples = 2048;
};

/// The clock and RTCs the agent measures: the real ones, or a simulated Pi with --simulate.
class AgentHardware {
 public:
  explicit AgentHardware(const AgentOptions& options);
  Clock& clock() { return simulated_ ? simulated_->clock() : system_clock_; }
  RtcOpener& rtc_opener() { return simulated_ ? simulated_->rtc_opener() : static_cast<RtcOpener&>(linux_rtc_); }

 private:
  SystemClock system_clock_;
  LinuxRtcOpener linux_rtc_;
  std::unique_ptr<SimulatedPi> simulated_;
};

class AgentLoop {
 public:
  /// `stop` ends measure() and run() at their next wake (SIGTERM); `log` gets one line per event.
  AgentLoop(const AgentOptions& options, AgentHardware& hardware, const std::atomic<bool>& stop,
            std::function<void(const std::string&)> log);

  /// The report's static part: identity, RTCs, clocksource, discipline (no drift).
  AgentReport facts() const;
  /// Creates the drift monitor for the RTC the facts name (and NTP with --ntp-server); with `persistent`,
  /// loads the samples saved in the state directory and saves them again later.
  void start_monitor(bool persistent);
  /// Samples for `seconds` on the schedule (RTC every sample interval, NTP every NTP interval).
  void measure(double seconds);
  /// facts() plus the monitor's drift estimates and the RTC's offset from the last edge.
  AgentReport report() const;
  /// The public half of the device key (made in the state directory if it does not exist yet).
  DevicePublicKey device_key() const;
  /// The daemon: a report every interval until `stop` (or one report with `once`, after --measure seconds).
  /// Returns the exit status: 0, 1 when `once` could only spool its report, 2 when the collector refused
  /// it for this device's key or identity (the log says why). Throws pifind::Error when
  /// the key or server is missing or the state directory cannot be used.
  int run(bool once);

 private:
  void save();

  AgentOptions options_;
  Clock& clock_;
  Sysroot root_;
  RtcOpener& opener_;
  LinuxKernelTimeSource kernel_;
  FactsSources facts_;
  std::filesystem::path state_dir_;
  const std::atomic<bool>& stop_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<DriftMonitor> monitor_;
  std::unique_ptr<SampleSchedule> schedule_;
  bool persistent_ = false;
  std::int64_t last_save_ns_ = 0;
};

}  // namespace pifind::agent
