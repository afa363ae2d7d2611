// Measures the system oscillator against its references over time: RTC second edges (EdgeSampler) and,
// with --ntp-server, SNTP exchanges; keeps each reference's samples in a SampleStore in the state
// directory and turns them into the report's drift estimates.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/clock.h"
#include "agent/edge_sampler.h"
#include "agent/rtc_device.h"
#include "agent/sample_store.h"
#include "agent/sntp.h"
#include "agent/sysroot.h"

namespace pifind::agent {

class DriftMonitor {
 public:
  using NtpQuery = std::function<SntpSample()>;

  /// `rtc_name` is the RTC to time ("rtc0"), empty if the Pi has none. `ntp_name` labels the NTP
  /// reference ("ntp:pool.example.org") and `ntp_query` performs one exchange; both empty without one.
  DriftMonitor(Clock& clock, RtcOpener& opener, std::string rtc_name, std::string boot_id,
               std::filesystem::path state_dir, std::string ntp_name = {}, NtpQuery ntp_query = {},
               std::size_t max_samples = 2048);

  /// Loads persisted samples; returns one line per problem (corrupt files set aside).
  std::vector<std::string> load();
  /// Persists every store. Throws pifind::Error.
  void save() const;

  /// One RTC edge sample; returns a line for the log when something went wrong (busy, missed, failed,
  /// stopped). Until a sample succeeds again, estimates() says so in the RTC's status and message; an RTC
  /// that stopped ticking ("rtc stopped: ...") has its rate withheld, not reported from before it stopped.
  std::optional<std::string> sample_rtc();
  /// One NTP exchange; returns a line for the log on failure.
  std::optional<std::string> sample_ntp();

  /// One DriftEstimate per reference, and when both an RTC and NTP have estimates, the RTC's own
  /// error against NTP ("rtc0-vs-ntp": ppm_ntp - ppm_rtc).
  std::vector<DriftEstimate> estimates() const;
  /// RTC minus REALTIME from the last edge sample (sub-millisecond); nothing after a failed one.
  std::optional<double> rtc_minus_system_s() const { return rtc_minus_system_s_; }
  /// RTC_RD_TIME calls so far (for the CPU benchmark).
  std::int64_t rtc_reads() const { return rtc_reads_; }

 private:
  /// Records a failed RTC sample; returns the line for the log.
  std::optional<std::string> rtc_failed(DriftStatus status, const std::string& message, bool stopped);

  RtcOpener& opener_;
  std::string rtc_name_;
  std::string boot_id_;
  std::string ntp_name_;
  NtpQuery ntp_query_;
  EdgeSampler sampler_;
  std::unique_ptr<SampleStore> rtc_store_;
  std::unique_ptr<SampleStore> ntp_store_;
  DriftStatus rtc_status_ = DriftStatus::kCollecting;
  std::string rtc_message_;
  bool rtc_stopped_ = false;  ///< found not advancing (or EINVAL), and no sample since
  int rtc_misses_ = 0;        ///< samples in a row whose edge was not where it was due
  DriftStatus ntp_status_ = DriftStatus::kCollecting;
  std::string ntp_message_;
  std::optional<double> rtc_minus_system_s_;
  std::int64_t rtc_reads_ = 0;
};

}  // namespace pifind::agent
