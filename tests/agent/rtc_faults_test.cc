// RTC faults (issue 6): busy (EBUSY on open), unreadable (EACCES on open, EIO on RTC_RD_TIME), stopped
// (time does not advance), implausibly fast. Each shows in the report's own fields, measurement resumes
// when the fault clears, and nothing crashes. Simulated time; plus the real Linux opener on files that
// are not RTCs.
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "agent/drift_monitor.h"
#include "agent/rtc_device.h"
#include "agent/rtc_inventory.h"
#include "agent/sample_schedule.h"
#include "agent/simulation.h"
#include "agent_test_support.h"
#include "tests/support/sample_report.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

enum class Fault { kNone, kBusy, kOpenDenied, kReadIo, kReadInvalid, kStopped, kFast };

// A simulated RTC with a switchable fault.
class FaultyRtc final : public PollingOnlyRtc {
 public:
  FaultyRtc(SimulatedWorld& world, const Fault& fault, std::int64_t frozen_s)
      : world_(world), rtc_(world), fault_(fault), frozen_s_(frozen_s) {}
  RtcReading read_time() override {
    if (fault_ == Fault::kReadIo || fault_ == Fault::kReadInvalid) {
      world_.take_read();
      return {std::nullopt, fault_ == Fault::kReadIo ? EIO : EINVAL};
    }
    if (fault_ == Fault::kStopped) {
      world_.take_read();
      return {frozen_s_, 0};
    }
    if (fault_ == Fault::kFast) {  // an RTC running at 1.5x: a broken oscillator, not a drift
      const double t = world_.take_read();
      return {world_.config().start_unix_s + static_cast<std::int64_t>(t * 1.5), 0};
    }
    return rtc_.read_time();
  }

 private:
  SimulatedWorld& world_;
  SimulatedRtc rtc_;
  const Fault& fault_;
  std::int64_t frozen_s_;
};

class FaultyRtcOpener final : public RtcOpener {
 public:
  explicit FaultyRtcOpener(SimulatedWorld& world) : world_(world) {}
  Fault fault = Fault::kNone;
  /// The RTC stops: from now on it reads the second it had reached.
  void stop() {
    fault = Fault::kStopped;
    frozen_s_ = world_.rtc_seconds_at(world_.true_s());
  }
  RtcOpenResult open(const std::string& name) override {
    if (fault == Fault::kBusy) return {nullptr, true, "/dev/" + name + " is held by another process (EBUSY); retrying later"};
    if (fault == Fault::kOpenDenied) return {nullptr, false, "cannot open /dev/" + name + ": " + std::strerror(EACCES)};
    return {std::make_unique<FaultyRtc>(world_, fault, frozen_s_), false, {}};
  }

 private:
  SimulatedWorld& world_;
  std::int64_t frozen_s_ = 0;
};

// The agent's own sampling schedule, an RTC edge every 2 s.
void run_faulty(SimulatedClock& clock, DriftMonitor& monitor, double seconds) {
  SampleSchedule(clock, monitor, {}).run_for(seconds);
}

SimulationConfig drifting(double ppm) {
  SimulationConfig config;
  config.system_drift = {{0, ppm}};
  return config;
}

// A simulated Pi whose RTC fails as told (opener.fault), with a monitor of rtc0 in its own state directory.
struct FaultyPi {
  explicit FaultyPi(double drift_ppm = 0)
      : world(drifting(drift_ppm)), clock(world), opener(world), monitor(clock, opener, "rtc0", "boot-1", state.path()) {}
  void run_for(double seconds) { run_faulty(clock, monitor, seconds); }

  SimulatedWorld world;
  SimulatedClock clock;
  FaultyRtcOpener opener;
  TempDir state;
  DriftMonitor monitor;
};

DriftEstimate rtc0_of(const DriftMonitor& m) {
  const auto all = m.estimates();
  REQUIRE_FALSE(all.empty());
  REQUIRE(all[0].reference == "rtc0");
  return all[0];
}

// The estimate's fields must also make a valid report.
void check_reportable(const DriftMonitor& m) {
  AgentReport r = test::minimal_report(*MacAddress::parse("b8:27:eb:12:34:56"), 1);
  r.drift = m.estimates();
  const auto problem = validate(r);
  INFO(problem.value_or(""));
  CHECK_FALSE(problem);
}

}  // namespace

TEST_CASE("RTC faults from the start: busy, permission denied, EIO, EINVAL each show in the estimate, then it recovers") {
  for (const auto fault : {Fault::kBusy, Fault::kOpenDenied, Fault::kReadIo, Fault::kReadInvalid}) {
    INFO("fault " << static_cast<int>(fault));
    FaultyPi pi(25.0);
    pi.opener.fault = fault;
    pi.run_for(600);  // ten minutes of the fault
    auto e = rtc0_of(pi.monitor);
    CHECK(e.samples == 0);
    CHECK_FALSE(e.ppm);
    CHECK_FALSE(pi.monitor.rtc_minus_system_s());
    if (fault == Fault::kBusy) {
      CHECK(e.status == DriftStatus::kBusy);
      CHECK_THAT(e.message, Catch::Contains("EBUSY"));
    } else if (fault == Fault::kOpenDenied) {
      CHECK(e.status == DriftStatus::kUnavailable);
      CHECK_THAT(e.message, Catch::Contains("Permission denied"));
    } else if (fault == Fault::kReadIo) {
      CHECK(e.status == DriftStatus::kUnavailable);
      CHECK(e.message == "RTC_RD_TIME failed: Input/output error");
    } else {  // drivers that check the oscillator-stop flag refuse to read
      CHECK(e.status == DriftStatus::kUnavailable);
      CHECK(e.message == "rtc stopped: RTC_RD_TIME failed: time not set or oscillator stopped (EINVAL)");
    }
    check_reportable(pi.monitor);
    pi.opener.fault = Fault::kNone;  // hwclock let go, the bus recovered
    pi.run_for(600);
    e = rtc0_of(pi.monitor);
    CHECK(e.status == DriftStatus::kOk);
    CHECK(e.message.empty());
    CHECK(e.samples > 250);
    REQUIRE(e.ppm);
    CHECK(*e.ppm == Approx(25.0).margin(0.5));
    CHECK(pi.monitor.rtc_minus_system_s());
  }
}

TEST_CASE("an RTC fault after a good estimate keeps the estimate, says what happened, and sampling resumes") {
  FaultyPi pi(-7.0);
  pi.run_for(900);
  const auto before = rtc0_of(pi.monitor);
  REQUIRE(before.status == DriftStatus::kOk);
  pi.opener.fault = Fault::kReadIo;
  const auto problem = pi.monitor.sample_rtc();
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("Input/output error"));
  auto e = rtc0_of(pi.monitor);
  CHECK(e.status == DriftStatus::kOk);  // the oscillator's rate measured so far still stands
  CHECK_THAT(e.message, Catch::Contains("last attempt: RTC_RD_TIME failed: Input/output error"));
  CHECK_FALSE(pi.monitor.rtc_minus_system_s());  // no current offset to report
  pi.opener.fault = Fault::kNone;
  pi.run_for(300);
  e = rtc0_of(pi.monitor);
  CHECK(e.status == DriftStatus::kOk);
  CHECK(e.message.empty());
  CHECK(e.samples > before.samples + 100);
}

TEST_CASE("an RTC that stopped ticking is reported as stopped, with no drift number, until it ticks again") {
  FaultyPi pi(40.0);
  pi.run_for(900);
  REQUIRE(rtc0_of(pi.monitor).status == DriftStatus::kOk);
  const auto samples_before = rtc0_of(pi.monitor).samples;

  pi.opener.stop();  // the oscillator stopped while the Pi was up: the time reads frozen
  pi.run_for(3600);
  auto e = rtc0_of(pi.monitor);
  CHECK(e.status == DriftStatus::kUnavailable);
  CHECK_THAT(e.message, Catch::StartsWith("rtc stopped:"));
  CHECK_THAT(e.message, Catch::Contains("did not advance"));
  CHECK_FALSE(e.ppm);  // withheld: not the rate from before, not a number made from a frozen clock
  CHECK_FALSE(e.ci95_low_ppm);
  CHECK_FALSE(e.s_per_day);
  CHECK(e.samples == samples_before);  // a frozen RTC adds no samples
  CHECK_FALSE(pi.monitor.rtc_minus_system_s());
  check_reportable(pi.monitor);
  pi.opener.fault = Fault::kBusy;  // hwclock tries to read it: still stopped as far as anyone knows
  pi.monitor.sample_rtc();
  e = rtc0_of(pi.monitor);
  CHECK(e.status == DriftStatus::kUnavailable);
  CHECK_THAT(e.message, Catch::StartsWith("rtc stopped; last attempt: /dev/rtc0 is held"));
  CHECK_FALSE(e.ppm);

  pi.opener.fault = Fault::kNone;  // a new battery, time set again
  pi.run_for(600);
  e = rtc0_of(pi.monitor);
  CHECK(e.status == DriftStatus::kOk);
  REQUIRE(e.ppm);
  CHECK(*e.ci95_low_ppm <= 40.0);
  CHECK(*e.ci95_high_ppm >= 40.0);
}

TEST_CASE("an RTC that reads time but runs 50 % fast is reported unusable, with no drift number") {
  FaultyPi pi;
  pi.opener.fault = Fault::kFast;
  pi.run_for(1800);
  const auto e = rtc0_of(pi.monitor);
  CHECK(e.status == DriftStatus::kUnavailable);
  CHECK_THAT(e.message, Catch::Contains("in a row found no RTC edge where one was due"));
  CHECK_FALSE(e.ppm);
  check_reportable(pi.monitor);
}

TEST_CASE("samples restored from a state file that give an implausible rate are withheld, not sent") {
  TempDir state;
  // A samples file from elsewhere: one segment where the system ran 50 % fast against the RTC.
  std::string samples;
  for (int i = 0; i < 100; ++i)
    samples += fmt::format("{}[1,{},{}]", i ? "," : "", std::int64_t{i} * 2 * kNsPerS, std::int64_t{i} * 3 * kNsPerS);
  std::ofstream(state.path() / "samples-rtc0.json")
      << R"({"format":"pifind-agent-samples/1","segments":[[1,"boot-1"]],"samples":[)" << samples
      << R"(],"steps":0})";
  SimulatedWorld world({});
  SimulatedClock clock(world);
  FaultyRtcOpener opener(world);
  DriftMonitor monitor(clock, opener, "rtc0", "boot-1", state.path());
  REQUIRE(monitor.load().empty());
  const auto e = rtc0_of(monitor);
  CHECK(e.samples == 100);
  CHECK(e.status == DriftStatus::kUnavailable);
  CHECK_THAT(e.message, Catch::Contains("not keeping time"));
  CHECK_FALSE(e.ppm);
  check_reportable(monitor);
}

TEST_CASE("the real opener on things that are not RTCs: each failure is the RTC's read_error, none blocks") {
  TempDir tree;
  const auto dev = tree.path() / "dev";
  std::filesystem::create_directories(dev / "rtc2");  // a directory
  std::ofstream(dev / "rtc1") << "not a device";       // a plain file copied into a tree
  REQUIRE(::mkfifo((dev / "rtc3").c_str(), 0600) == 0);  // opening a FIFO for reading would wait for a writer
  std::filesystem::create_symlink("/dev/rtc1", dev / "rtc4");  // absolute: the tree's rtc1, not the host's
  // A character device that is no RTC (the null device): it opens, and RTC_RD_TIME fails with ENOTTY.
  const bool have_char_device = ::mknod((dev / "rtc5").c_str(), S_IFCHR | 0600, ::makedev(1, 3)) == 0;
  LinuxRtcOpener opener{Sysroot(tree.path())};
  for (const char* name : {"rtc0", "rtc1", "rtc2", "rtc3", "rtc4"}) {
    INFO(name);
    auto opened = opener.open(name);
    REQUIRE_FALSE(opened.device);
    CHECK_FALSE(opened.busy);
    CHECK_THAT(opened.error, Catch::Contains(std::string(name) == "rtc0" ? "No such file" : "not a character device"));
  }
  if (!have_char_device) {
    WARN("mknod not permitted here: the ENOTTY case of a character device that is no RTC is not checked");
    return;
  }
  auto opened = opener.open("rtc5");
  REQUIRE(opened.device);
  const auto reading = opened.device->read_time();
  CHECK_FALSE(reading.unix_s);
  CHECK(reading.error == ENOTTY);
  CHECK_FALSE(opened.device->read_voltage_low_flags());
  CHECK_FALSE(opened.device->enable_update_interrupt());
  opened.device.reset();
  // The monitor on such a device: unavailable with the reason, no crash.
  SimulatedWorld world({});
  SimulatedClock clock(world);
  DriftMonitor monitor(clock, opener, "rtc5", "boot-1", tree.path() / "state");
  const auto problem = monitor.sample_rtc();
  REQUIRE(problem);
  CHECK_THAT(*problem, Catch::Contains("RTC_RD_TIME failed"));
  const auto e = monitor.estimates().at(0);
  CHECK(e.status == DriftStatus::kUnavailable);
  CHECK_THAT(e.message, Catch::Contains("RTC_RD_TIME failed"));
}

TEST_CASE("the RTC list carries busy, permission, EIO and stopped-oscillator errors in read_error") {
  Sysroot root(fixture("pi1-rasclock"));
  SimulatedWorld world({});
  SimulatedClock clock(world);
  FakeRtcOpener opener;
  const std::pair<FakeRtcBehaviour, const char*> cases[] = {
      {{true, 0, std::nullopt, 0, std::nullopt}, "EBUSY"},
      {{false, EACCES, std::nullopt, 0, std::nullopt}, "Permission denied"},
      {{false, 0, std::nullopt, EIO, std::nullopt}, "RTC_RD_TIME: Input/output error"},
      {{false, 0, std::nullopt, EINVAL, std::nullopt}, "oscillator stopped (EINVAL)"},
      {{false, 0, 253'402'300'799, 0, std::nullopt}, "not a usable time"},  // 9999-12-31
  };
  for (const auto& [behaviour, expected] : cases) {
    INFO(expected);
    opener.devices["rtc0"] = behaviour;
    const auto rtcs = read_rtcs(root, opener, clock);
    REQUIRE(rtcs.size() == 1);
    CHECK_FALSE(rtcs[0].readable);
    CHECK_FALSE(rtcs[0].rtc_minus_system_s);
    CHECK_THAT(rtcs[0].read_error, Catch::Contains(expected));
  }
}
