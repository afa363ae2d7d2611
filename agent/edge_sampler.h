// Timestamps RTC second edges on CLOCK_MONOTONIC_RAW. Most Pi RTCs have no update interrupt, so the
// sampler predicts the next edge and polls RTC_RD_TIME only in a short window around it (CPU stays low);
// where RTC_UIE_ON works it waits for the interrupt instead.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "agent/clock.h"
#include "agent/rtc_device.h"

namespace pifind::agent {

/// One RTC second edge: at MONOTONIC_RAW `raw_ns` the RTC turned to `reference_ns` (whole seconds, in ns).
struct EdgeSample {
  std::int64_t reference_ns = 0;
  std::int64_t raw_ns = 0;
  std::int64_t realtime_ns = 0;     ///< CLOCK_REALTIME at the same instant
  std::int64_t uncertainty_ns = 0;  ///< half-width of the interval known to contain the edge
};

enum class EdgeOutcome {
  kSample,      ///< `sample` is set
  kMissed,      ///< the edge fell outside the window (or the RTC jumped); the lock is dropped, retry
  kReadFailed,  ///< RTC_RD_TIME failed (`message` says why)
  kStopped,     ///< the RTC did not advance within 1.5 s
};

struct EdgeResult {
  EdgeOutcome outcome = EdgeOutcome::kMissed;
  std::optional<EdgeSample> sample;
  std::string message;  ///< one line for anything but kSample
  int read_errno = 0;   ///< kReadFailed: RTC_RD_TIME's errno (EINVAL: time not set or oscillator stopped)
  int reads = 0;        ///< RTC_RD_TIME calls this sample cost
};

/// A caller that samples every N seconds should wake this long before N seconds have passed since the
/// last sample returned (which is just after an edge), so the edge aimed at is the N-th one, not N+1.
inline constexpr std::int64_t kWakeEarlyNs = 100'000'000;

struct EdgeSamplerConfig {
  std::int64_t coarse_poll_ns = 10'000'000;    ///< poll period while locating the edge from scratch
  std::int64_t min_half_window_ns = 2'000'000;  ///< the fine window is at least ±this around the prediction
  double rate_tolerance_ppm = 100;             ///< prediction slack per second since the last edge
  std::int64_t lead_ns = 20'000'000;           ///< never aim at an edge closer than this
};

class EdgeSampler {
 public:
  explicit EdgeSampler(Clock& clock, EdgeSamplerConfig config = {});

  /// Times the next usable edge of `rtc` (waits at most ~2 s, sleeping outside the window).
  EdgeResult sample(RtcDevice& rtc);
  /// The current estimate of the system oscillator's rate against the RTC, to predict edges better.
  /// Until one is given, the prediction window allows any rate a clock can have (±kMaxEstimatePpm):
  /// wider, so more reads per sample, but an oscillator 5 % off is timed instead of missed for ever.
  void set_rate_ppm(double ppm) {
    rate_ = 1 + ppm * 1e-6;
    rate_known_ = true;
  }
  bool locked() const { return locked_; }
  /// Whether the update interrupt is used (known after the first sample).
  std::optional<bool> uses_update_interrupt() const { return uie_; }

 private:
  struct TimedRead {
    std::int64_t start_raw_ns;
    std::int64_t end_raw_ns;
    RtcReading reading;
  };
  TimedRead timed_read(RtcDevice& rtc);
  EdgeResult acquire(RtcDevice& rtc, EdgeResult result);
  EdgeResult fine(RtcDevice& rtc, EdgeResult result, std::int64_t extra_slack_ns = 0);
  EdgeResult via_interrupt(RtcDevice& rtc);
  EdgeResult finish(EdgeResult result, std::int64_t second, std::int64_t lo_raw_ns, std::int64_t hi_raw_ns);

  Clock& clock_;
  EdgeSamplerConfig config_;
  double rate_ = 1.0;
  bool rate_known_ = false;
  bool locked_ = false;
  std::int64_t edge_raw_ns_ = 0;
  std::int64_t edge_second_ = 0;
  std::int64_t max_read_ns_ = 2'000'000;
  std::optional<bool> uie_;
  // Dithers where the window starts, so that successive edges do not fall at the same point of the
  // read sequence: correlated timing errors would make the fitted interval too narrow.
  std::minstd_rand dither_;
};

}  // namespace pifind::agent
