// The edge sampler and drift monitor against simulated clocks: known drift, 1 s RTC resolution,
// 0.1-2 ms read latency. Simulated time only; nothing waits.
#include <cerrno>
#include <cmath>

#include <catch2/catch.hpp>

#include "agent/drift_monitor.h"
#include "agent/edge_sampler.h"
#include "agent/sample_schedule.h"
#include "agent/simulation.h"
#include "agent_test_support.h"
#include "tests/support/simulated_pi_fixture.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

// The agent's own sampling schedule (agent/sample_schedule.h) on a monitor the test built itself.
void run_for(SimulatedClock& clock, DriftMonitor& monitor, double seconds) {
  SampleSchedule(clock, monitor, {}).run_for(seconds);
}

}  // namespace

TEST_CASE("known drifts are recovered within their 95 % interval, 1 ms read jitter, 30 min") {
  for (const double ppm : {40.689, -12.5, 0.0}) {
    INFO("true drift " << ppm << " ppm");
    SimulationConfig config;
    config.system_drift = {{0, ppm}};
    config.read_latency_min_s = 100e-6;
    config.read_latency_max_s = 1e-3;
    config.seed = static_cast<std::uint64_t>(std::llround(ppm * 1000)) + 77;  // negative ppm wraps, defined
    SimulatedPiFixture pi(config);
    pi.run_for(1800);
    const auto e = pi.rtc_estimate();
    REQUIRE(e.status == DriftStatus::kOk);
    REQUIRE(e.ppm);
    CHECK(*e.ci95_low_ppm <= ppm);
    CHECK(*e.ci95_high_ppm >= ppm);
    CHECK(std::abs(*e.ppm - ppm) < 0.1);
    CHECK(*e.ci95_high_ppm - *e.ci95_low_ppm < 0.2);
    CHECK(e.samples > 800);
    CHECK_FALSE(e.nonconstant);
    CHECK(*e.s_per_day == Approx(*e.ppm * 0.0864));
    CHECK_FALSE(e.allan.empty());
    // Polling stays in a narrow window: a handful of RTC reads per sample, not thousands.
    CHECK(static_cast<double>(pi.monitor.rtc_reads()) / static_cast<double>(e.samples) < 15);
  }
}

TEST_CASE("2 ms read jitter and an RTC with its own error: the rate is relative to the RTC") {
  SimulationConfig config;
  config.system_drift = {{0, 40.689}};
  config.rtc_ppm = 3.0;  // a RasClock said to be 3 ppm off
  config.read_latency_min_s = 100e-6;
  config.read_latency_max_s = 2e-3;
  SimulatedPiFixture pi(config);
  pi.run_for(1800);
  const auto e = pi.rtc_estimate();
  REQUIRE(e.ppm);
  // (1 + 40.689e-6) / (1 + 3e-6) - 1
  const double expected = ((1 + 40.689e-6) / (1 + 3e-6) - 1) * 1e6;
  CHECK(*e.ci95_low_ppm <= expected);
  CHECK(*e.ci95_high_ppm >= expected);
  REQUIRE(pi.monitor.rtc_minus_system_s());
}

TEST_CASE("a drift that changes midway is flagged") {
  SimulationConfig config;
  config.system_drift = {{0, 40.0}, {1000 + 1800, 43.0}};  // the world starts at true time 1000 s
  SimulatedPiFixture pi(config);
  pi.run_for(3600);
  const auto e = pi.rtc_estimate();
  REQUIRE(e.status == DriftStatus::kOk);
  CHECK(e.nonconstant);
  REQUIRE(e.recent_ppm);
  CHECK(*e.recent_ppm == Approx(43.0).margin(0.3));
}

TEST_CASE("the update interrupt is used where the driver has one") {
  SimulationConfig config;
  config.system_drift = {{0, -12.5}};
  config.update_interrupt = true;
  SimulatedPiFixture pi(config);
  EdgeSampler sampler(pi.clock);
  auto dev = pi.opener.open("rtc0").device;
  const auto r = sampler.sample(*dev);
  REQUIRE(r.outcome == EdgeOutcome::kSample);
  CHECK(sampler.uses_update_interrupt() == true);
  CHECK(r.reads == 1);
  pi.run_for(600);
  const auto e = pi.rtc_estimate();
  REQUIRE(e.ppm);
  CHECK(*e.ppm == Approx(-12.5).margin(0.05));
}

TEST_CASE("a busy RTC is reported as busy and retried later") {
  SimulationConfig config;
  config.system_drift = {{0, 5.0}};
  SimulatedPiFixture pi(config, /*busy_opens=*/3);
  const auto problem = pi.monitor.sample_rtc();
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("EBUSY"));
  auto e = pi.rtc_estimate();
  CHECK(e.status == DriftStatus::kBusy);
  CHECK_THAT(e.message, Catch::Contains("retrying later"));
  pi.run_for(120);
  e = pi.rtc_estimate();
  CHECK(e.status == DriftStatus::kOk);
  CHECK(e.samples > 50);
}

TEST_CASE("samples survive a restart, a reboot starts a new segment with the same slope") {
  SimulationConfig config;
  config.system_drift = {{0, 40.689}};
  SimulatedPiFixture pi(config);
  pi.run_for(900);
  pi.monitor.save();
  pi.world.reboot();  // MONOTONIC_RAW restarts; the RTC keeps counting
  DriftMonitor monitor(pi.clock, pi.opener, "rtc0", "boot-2", pi.state.path());
  CHECK(monitor.load().empty());
  CHECK(estimate_of(monitor).samples > 400);
  run_for(pi.clock, monitor, 900);
  const auto e = estimate_of(monitor);
  CHECK(e.segments == 2);
  REQUIRE(e.ppm);
  CHECK(*e.ci95_low_ppm <= 40.689);
  CHECK(*e.ci95_high_ppm >= 40.689);
  CHECK(e.window_s > 1800);
}

TEST_CASE("with no RTC and no NTP the report says there is nothing to measure against") {
  SimulatedPiFixture pi;
  DriftMonitor monitor(pi.clock, pi.opener, "", "boot-1", pi.state.path());
  const auto e = monitor.estimates();
  REQUIRE(e.size() == 1);
  CHECK(e[0].status == DriftStatus::kUnavailable);
  CHECK_THAT(e[0].message, Catch::Contains("nothing to measure"));
}

TEST_CASE("NTP samples feed the same estimator, and the RTC's own error follows") {
  SimulationConfig config;
  config.system_drift = {{0, 20.0}};
  config.rtc_ppm = -3.0;
  SimulatedPiFixture pi(config);
  SimulatedClock& clock = pi.clock;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> jitter(-2e-3, 2e-3);
  // A perfect server seen through 0-4 ms of asymmetric network delay.
  DriftMonitor::NtpQuery query = [&] {
    SntpSample s;
    s.raw_ns = clock.monotonic_raw_ns();
    s.server_ns = clock.realtime_ns() + static_cast<std::int64_t>(jitter(rng) * 1e9);
    clock.sleep_for_ns(5'000'000);
    return s;
  };
  DriftMonitor monitor(clock, pi.opener, "rtc0", "boot-1", pi.state.path(), "ntp:test", query);
  SampleSchedule(clock, monitor, {2, 16}).run_for(3600);  // an RTC edge every 2 s, an SNTP exchange every 16 s
  const auto all = monitor.estimates();
  REQUIRE(all.size() == 3);
  CHECK(all[1].reference == "ntp:test");
  REQUIRE(all[1].ppm);
  CHECK(*all[1].ci95_low_ppm <= 20.0);
  CHECK(*all[1].ci95_high_ppm >= 20.0);
  CHECK(*all[1].ci95_high_ppm - *all[1].ci95_low_ppm < 0.5);
  CHECK(all[2].reference == "rtc0-vs-ntp");
  REQUIRE(all[2].ppm);
  // (1 - 3e-6) relative to true time: the RTC loses 3 ppm.
  CHECK(*all[2].ci95_low_ppm <= -3.0);
  CHECK(*all[2].ci95_high_ppm >= -3.0);
}

TEST_CASE("slow NTP exchanges are not used") {
  SimulatedPiFixture pi;
  SimulatedClock& clock = pi.clock;
  DriftMonitor::NtpQuery slow = [&] {
    SntpSample s;
    s.raw_ns = clock.monotonic_raw_ns();
    s.server_ns = clock.realtime_ns();
    s.delay_ns = 300'000'000;
    return s;
  };
  DriftMonitor monitor(clock, pi.opener, "", "boot-1", pi.state.path(), "ntp:slow", slow);
  const auto problem = monitor.sample_ntp();
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("too long"));
  const auto e = monitor.estimates();
  REQUIRE(e.size() == 1);
  CHECK(e[0].samples == 0);
  CHECK(e[0].status == DriftStatus::kUnavailable);
}

TEST_CASE("setting the RTC mid-run starts a new segment instead of bending the fit") {
  SimulationConfig config;
  config.system_drift = {{0, -12.5}};
  SimulatedPiFixture pi(config);
  pi.run_for(900);
  pi.world.step_rtc_s(0.4);  // hwclock --systohc moved the RTC by 0.4 s
  pi.run_for(900);
  const auto e = pi.rtc_estimate();
  CHECK(e.segments == 2);
  REQUIRE(e.ppm);
  CHECK(*e.ci95_low_ppm <= -12.5);
  CHECK(*e.ci95_high_ppm >= -12.5);
  CHECK_FALSE(e.nonconstant);
}

namespace {

// An RTC that never advances, or whose reads fail.
class BrokenRtc final : public PollingOnlyRtc {
 public:
  explicit BrokenRtc(SimulatedWorld& world, int error) : world_(world), error_(error) {}
  RtcReading read_time() override {
    world_.take_read();
    return error_ ? RtcReading{std::nullopt, error_} : RtcReading{1'700'000'000, 0};
  }

 private:
  SimulatedWorld& world_;
  int error_;
};

}  // namespace

TEST_CASE("a stopped RTC and a failing RTC are told apart, in one line each") {
  SimulatedWorld world({});
  SimulatedClock clock(world);
  EdgeSampler sampler(clock);
  BrokenRtc stopped(world, 0);
  const double before = world.true_s();
  const auto r = sampler.sample(stopped);
  CHECK(r.outcome == EdgeOutcome::kStopped);
  CHECK_THAT(r.message, Catch::Contains("did not advance"));
  CHECK(world.true_s() - before < 2.0);  // gave up after 1.5 s of (simulated) polling
  CHECK(r.reads < 200);
  BrokenRtc failing(world, EINVAL);
  const auto f = sampler.sample(failing);
  CHECK(f.outcome == EdgeOutcome::kReadFailed);
  CHECK_THAT(f.message, Catch::Contains("oscillator stopped (EINVAL)"));
}
