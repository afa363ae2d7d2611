// `pifind-agent --simulate SPEC`: the spec parser and the simulated Pi it builds (drift schedule,
// RTC rate, pacing off with speed=0). Simulated time only; nothing waits.
#include <catch2/catch.hpp>

#include "agent/simulated_pi.h"
#include "inventory/core/error.h"
#include "tests/support/error_of.h"

using namespace pifind;
using namespace pifind::test;
using namespace pifind::agent;

TEST_CASE("a simulation spec sets the drift schedule, the RTC's rate, the speed and the seed") {
  const auto spec = parse_simulation_spec("drift=4.5,drift@1500=-35,rtc=-0.6,speed=600,seed=7,drift@600=10");
  REQUIRE(spec.config.system_drift.size() == 3);
  CHECK(spec.config.system_drift[0].from_true_s == 0);
  CHECK(spec.config.system_drift[0].ppm == 4.5);
  // Sorted, and shifted to the world's clock, whose true time starts at 1000 s.
  CHECK(spec.config.system_drift[1].from_true_s == 1600);
  CHECK(spec.config.system_drift[1].ppm == 10);
  CHECK(spec.config.system_drift[2].from_true_s == 2500);
  CHECK(spec.config.system_drift[2].ppm == -35);
  CHECK(spec.config.rtc_ppm == -0.6);
  CHECK(spec.speed == 600);
  CHECK(spec.config.seed == 7);
}

TEST_CASE("an empty simulation spec is a perfect Pi in real time") {
  const auto spec = parse_simulation_spec("");
  REQUIRE(spec.config.system_drift.size() == 1);
  CHECK(spec.config.system_drift[0].ppm == 0);
  CHECK(spec.config.rtc_ppm == 0);
  CHECK(spec.speed == 1);
}

TEST_CASE("a bad simulation spec is refused with the item named") {
  const auto refused = [](const char* text) { return error_of([&] { parse_simulation_spec(text); }, "accepted"); };
  CHECK(refused("drift") == "--simulate: 'drift' is not key=value");
  CHECK(refused("drift=fast") == "--simulate: 'drift=fast' needs a number after '='");
  CHECK(refused("drift=nan") == "--simulate: 'drift=nan' needs a number after '='");
  CHECK(refused("drift=1e9") == "--simulate: 'drift=1e9' is beyond ±100000 ppm");
  CHECK(refused("drift@0=5") == "--simulate: 'drift@0=5' needs a time after 0 s");
  CHECK(refused("drift@x=5") == "--simulate: 'drift@x=5' needs a number after '='");
  CHECK(refused("speed=-1") == "--simulate: speed must be between 0 and 1000000");
  CHECK(refused("seed=1.5") == "--simulate: seed must be a whole number");
  CHECK(refused("warp=9") == "--simulate: unknown key 'warp' (drift, drift@SECONDS, rtc, speed, seed)");
}

TEST_CASE("a simulated Pi's oscillator runs at its drift against true time, and its RTC opens") {
  SimulatedPi pi(parse_simulation_spec("drift=100,speed=0"));
  Clock& clock = pi.clock();
  const std::int64_t raw0 = clock.monotonic_raw_ns();
  const std::int64_t real0 = clock.realtime_ns();
  clock.sleep_for_ns(1000 * kNsPerS);  // measured on the oscillator: 1000 s of it
  const double raw_s = static_cast<double>(clock.monotonic_raw_ns() - raw0) * 1e-9;
  const double true_s = static_cast<double>(clock.realtime_ns() - real0) * 1e-9;
  CHECK(raw_s == Approx(1000).margin(1e-6));
  CHECK(raw_s / true_s - 1 == Approx(100e-6).margin(1e-9));
  const auto opened = pi.rtc_opener().open("rtc0");
  REQUIRE(opened.device != nullptr);
  CHECK(opened.error.empty());
}
