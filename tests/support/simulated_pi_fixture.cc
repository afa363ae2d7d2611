#include "tests/support/simulated_pi_fixture.h"

#include <stdexcept>

namespace pifind::test {

SimulatedPiFixture::SimulatedPiFixture(const agent::SimulationConfig& config, int busy_opens,
                                       const std::string& boot_id)
    : world(config), clock(world), opener(world, busy_opens), monitor(clock, opener, "rtc0", boot_id, state.path()) {}

void SimulatedPiFixture::run_for(double seconds, double rtc_interval_s) {
  agent::SampleSchedule(clock, monitor, {rtc_interval_s, std::nullopt}).run_for(seconds);
}

DriftEstimate SimulatedPiFixture::rtc_estimate() const { return estimate_of(monitor); }

DriftEstimate estimate_of(const agent::DriftMonitor& monitor, const std::string& reference) {
  for (const auto& e : monitor.estimates())
    if (e.reference == reference) return e;
  throw std::runtime_error("the monitor has no estimate for " + reference);
}

}  // namespace pifind::test
