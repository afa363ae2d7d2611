// A simulated Pi for tests and bench/agent_drift: a system oscillator and an RTC with known drift, RTC
// reads with random latency, 1 s RTC resolution. Sleeping advances simulated time; nothing waits.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "agent/clock.h"
#include "agent/rtc_device.h"

namespace pifind::agent {

/// From `from_true_s` on, the system oscillator runs `ppm` fast relative to true time.
struct DriftSegment {
  double from_true_s = 0;
  double ppm = 0;
};

struct SimulationConfig {
  std::vector<DriftSegment> system_drift{{0, 0}};  ///< ordered by from_true_s, first at 0
  double rtc_ppm = 0;                 ///< the RTC's own rate error
  double rtc_phase_s = 0.37;          ///< fraction of a second the RTC's edges are offset from true seconds
  double read_latency_min_s = 100e-6;  ///< each RTC_RD_TIME takes uniform [min, max]; the RTC is
  double read_latency_max_s = 1e-3;    ///< sampled at a uniform random point inside the call
  bool update_interrupt = false;      ///< the driver supports RTC_UIE_ON
  std::uint64_t seed = 1;
  std::int64_t start_unix_s = 1'700'000'000;
};

class SimulatedWorld {
 public:
  /// True time (s) when the world is created: drift schedules and start_unix_s are counted against it.
  static constexpr double kStartTrueS = 1000.0;

  explicit SimulatedWorld(SimulationConfig config);

  double true_s() const { return true_s_; }
  void advance_true_s(double seconds) { true_s_ += seconds; }
  /// The system oscillator's reading at the current true time, in ns (integrates the drift schedule).
  std::int64_t raw_ns() const;
  /// Converts a wait measured on the oscillator to true seconds at the current rate.
  double raw_to_true_s(std::int64_t raw_duration_ns) const;
  /// The RTC's whole-second value at true time t.
  std::int64_t rtc_seconds_at(double true_s) const;
  /// Draws a read latency and advances time by it; returns the instant (true s) the RTC was sampled.
  double take_read();
  /// Reboot: the oscillator count restarts near zero (MONOTONIC_RAW restarts at boot).
  void reboot();
  /// Someone sets the RTC: its time jumps by `seconds` (e.g. hwclock --systohc, the 11-minute mode).
  void step_rtc_s(double seconds) { config_.rtc_phase_s += seconds; }
  /// A uniform random draw from the world's generator (reproducible per seed).
  double uniform(double lo, double hi);
  std::int64_t reads() const { return reads_; }
  const SimulationConfig& config() const { return config_; }

 private:
  double ppm_at(double true_s) const;
  SimulationConfig config_;
  std::mt19937_64 rng_;
  double true_s_ = kStartTrueS;
  double boot_true_s_ = 0;
  std::int64_t reads_ = 0;
};

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(SimulatedWorld& world) : world_(world) {}
  std::int64_t monotonic_raw_ns() override { return world_.raw_ns(); }
  /// True time (a perfectly disciplined system clock).
  std::int64_t realtime_ns() override;
  void sleep_for_ns(std::int64_t duration_ns) override;

 private:
  SimulatedWorld& world_;
};

class SimulatedRtc final : public RtcDevice {
 public:
  explicit SimulatedRtc(SimulatedWorld& world) : world_(world) {}
  RtcReading read_time() override;
  std::optional<std::uint32_t> read_voltage_low_flags() override { return 0; }
  bool enable_update_interrupt() override { return world_.config().update_interrupt; }
  bool wait_update_interrupt(int timeout_ms) override;

 private:
  SimulatedWorld& world_;
};

/// Opens SimulatedRtc devices; `busy_opens` first opens fail with EBUSY.
class SimulatedRtcOpener final : public RtcOpener {
 public:
  explicit SimulatedRtcOpener(SimulatedWorld& world, int busy_opens = 0) : world_(world), busy_(busy_opens) {}
  RtcOpenResult open(const std::string& name) override;

 private:
  SimulatedWorld& world_;
  int busy_;
};

}  // namespace pifind::agent
