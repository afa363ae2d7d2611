// The simulated hardware behind `pifind-agent --simulate SPEC`, for demos and end-to-end tests: an
// oscillator and an RTC with the drifts SPEC gives, in simulated time that runs `speed` times real time.
#pragma once

#include <memory>
#include <string_view>

#include "agent/clock.h"
#include "agent/rtc_device.h"
#include "agent/simulation.h"

namespace pifind::agent {

/// What `--simulate` asks for. SPEC is comma-separated key=value:
///   drift=PPM         the oscillator's rate error from the start (default 0)
///   drift@SECONDS=PPM from that many simulated seconds on (a VM's host migration, a warming case)
///   rtc=PPM           the RTC's own rate error (default 0)
///   speed=N           simulated seconds per real second (default 1; 0 = never wait)
///   seed=N            the RTC read-latency generator's seed (default 1)
struct SimulationSpec {
  SimulationConfig config;
  double speed = 1;
};

/// Parses SPEC; throws pifind::Error naming the bad item.
SimulationSpec parse_simulation_spec(std::string_view spec);

/// Simulated time, paced: sleeping advances the simulated world by the duration, then waits until real
/// time has caught up with it at `speed` (measured from construction, so the time the agent spends
/// computing does not slow the simulation down); a signal ends the wait early, as with SystemClock.
class PacedSimulatedClock final : public Clock {
 public:
  PacedSimulatedClock(SimulatedWorld& world, double speed);
  std::int64_t monotonic_raw_ns() override { return inner_.monotonic_raw_ns(); }
  std::int64_t realtime_ns() override { return inner_.realtime_ns(); }
  void sleep_for_ns(std::int64_t duration_ns) override;

 private:
  SimulatedClock inner_;
  double speed_;
  std::int64_t start_raw_ns_;   ///< the simulated oscillator at construction
  std::int64_t start_real_ns_;  ///< CLOCK_MONOTONIC at construction
};

/// One simulated Pi: the world, its clock and its RTC opener, living as long as the agent.
class SimulatedPi {
 public:
  /// The world starts at the current real time.
  explicit SimulatedPi(const SimulationSpec& spec);
  Clock& clock() { return clock_; }
  RtcOpener& rtc_opener() { return opener_; }

 private:
  SimulatedWorld world_;
  PacedSimulatedClock clock_;
  SimulatedRtcOpener opener_;
};

}  // namespace pifind::agent
