// The clocks the agent measures with, behind an interface so tests and the benchmark run against
// simulated time: CLOCK_MONOTONIC_RAW (the oscillator, untouched by NTP) and CLOCK_REALTIME.
#pragma once

#include <cstdint>

namespace pifind::agent {

class Clock {
 public:
  virtual ~Clock() = default;
  /// CLOCK_MONOTONIC_RAW in ns: the raw oscillator, never slewed or stepped; restarts at boot.
  virtual std::int64_t monotonic_raw_ns() = 0;
  /// CLOCK_REALTIME in ns since the Unix epoch (as disciplined, possibly stepped).
  virtual std::int64_t realtime_ns() = 0;
  /// Waits about `duration_ns` (measured on the monotonic clock). Returns early if interrupted.
  virtual void sleep_for_ns(std::int64_t duration_ns) = 0;
};

/// The real clocks (clock_gettime, clock_nanosleep on CLOCK_MONOTONIC: the kernel cannot sleep on
/// MONOTONIC_RAW, and over a few seconds the two differ by at most 500 ppm of the wait).
class SystemClock final : public Clock {
 public:
  std::int64_t monotonic_raw_ns() override;
  std::int64_t realtime_ns() override;
  void sleep_for_ns(std::int64_t duration_ns) override;
};

inline constexpr std::int64_t kNsPerS = 1'000'000'000;

}  // namespace pifind::agent
