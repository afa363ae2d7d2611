// AgentLoop, the loop pifind-agent runs, on a fixture tree and a simulated Pi: facts, the schedule's samples, the
// report it would send, and a stop request. Simulated time only (speed=0); nothing waits.
#include "agent/agent_loop.h"

#include <atomic>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "agent_test_support.h"
#include "tests/support/temp_dir.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

// pifind-agent on the Pi 5 fixture tree with --simulate SPEC and its state in `state`.
AgentOptions simulated_pi5(const TempDir& state, const std::string& spec) {
  AgentOptions options;
  options.sysroot = fixture("pi5-rpirtc").string();
  options.state_dir = state.path().string();
  options.simulate = spec;
  return options;
}

}  // namespace

TEST_CASE("AgentLoop measures a simulated Pi 5 through its own schedule and reports the drift") {
  TempDir state;
  const AgentOptions options = simulated_pi5(state, "drift=25,rtc=-2,speed=0,seed=3");
  AgentHardware hardware(options);
  std::atomic<bool> stop{false};
  std::vector<std::string> log;
  AgentLoop agent(options, hardware, stop, [&](const std::string& line) { log.push_back(line); });
  CHECK(agent.facts().drift.empty());
  agent.start_monitor(false);
  agent.measure(1800);
  const AgentReport r = agent.report();
  REQUIRE(r.drift.size() == 1);
  CHECK(r.drift[0].reference == "rtc0");
  REQUIRE(r.drift[0].status == DriftStatus::kOk);
  // The oscillator against the RTC: (1 + 25e-6) / (1 - 2e-6) - 1.
  CHECK(*r.drift[0].ppm == Approx(27.0).margin(0.1));
  CHECK(r.drift[0].samples > 800);
  REQUIRE(r.rtc.devices.size() == 1);
  CHECK(r.rtc.devices[0].rtc_minus_system_s);
  CHECK(log.empty());
}

TEST_CASE("AgentLoop stops measuring at once when asked, and says what is missing to send") {
  TempDir state;
  const AgentOptions options = simulated_pi5(state, "speed=0");
  AgentHardware hardware(options);
  std::atomic<bool> stop{true};
  AgentLoop agent(options, hardware, stop, [](const std::string&) {});
  agent.start_monitor(false);
  agent.measure(86400);
  CHECK(agent.report().drift[0].samples == 0);
  CHECK_THROWS_WITH(agent.run(true), Catch::Contains("--key-file is required"));
}
