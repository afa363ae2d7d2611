// A simulated Pi on the test bench: the simulated world (oscillator, RTC, read latency), its clock and RTC opener,
// a state directory, and a drift monitor of rtc0 sampled on the agent's own SampleSchedule. The one setup the
// agent tests and bench/agent_drift share.
#pragma once

#include <string>

#include "agent/drift_monitor.h"
#include "agent/sample_schedule.h"
#include "agent/simulation.h"
#include "inventory/protocol/report.h"
#include "tests/support/temp_dir.h"

namespace pifind::test {

struct SimulatedPiFixture {
  /// A Pi per `config`; its RTC opener reports EBUSY for the first `busy_opens` opens. The monitor times "rtc0"
  /// as boot `boot_id` and keeps its samples in `state`.
  explicit SimulatedPiFixture(const agent::SimulationConfig& config = {}, int busy_opens = 0,
                              const std::string& boot_id = "boot-1");

  /// Runs the agent's sampling schedule on `monitor` for `seconds` of the oscillator's time, one RTC edge every
  /// `rtc_interval_s` (as pifind-agent --sample-interval).
  void run_for(double seconds, double rtc_interval_s = 2);
  /// The monitor's rtc0 estimate; throws std::runtime_error if it has none.
  DriftEstimate rtc_estimate() const;

  agent::SimulatedWorld world;
  agent::SimulatedClock clock;
  agent::SimulatedRtcOpener opener;
  TempDir state;
  agent::DriftMonitor monitor;
};

/// `monitor`'s estimate for `reference`; throws std::runtime_error if it has none.
DriftEstimate estimate_of(const agent::DriftMonitor& monitor, const std::string& reference = "rtc0");

}  // namespace pifind::test
