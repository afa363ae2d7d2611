#include "agent/facts.h"

#include <cerrno>

#include <catch2/catch.hpp>

#include "agent/simulation.h"
#include "agent/sysroot.h"
#include "agent_test_support.h"
#include "inventory/core/error.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

AgentReport gather(const std::string& name, FakeRtcOpener& opener, std::int64_t now_unix_s = 1'795'630'000) {
  Sysroot root(fixture(name));
  SimulationConfig config;
  config.start_unix_s = now_unix_s - 1000;  // the simulated world starts at true time 1000 s
  SimulatedWorld world(config);
  SimulatedClock clock(world);
  FixedKernelTime kernel;
  return gather_facts({root, clock, opener, kernel});
}

}  // namespace

TEST_CASE("facts: Pi 1 with a PCF2127 RasClock, ntpd, clocksource timer") {
  FakeRtcOpener opener;
  opener.devices["rtc0"] = {false, 0, 1'795'630'002, 0, 0x2u};
  const auto r = gather("pi1-rasclock", opener);
  CHECK(r.agent_id.to_string() == "b8:27:eb:12:34:56");
  CHECK(r.identity.hostname == "pi1-rasclock");
  CHECK(r.identity.model == "Raspberry Pi Model B Rev 2");
  REQUIRE(r.identity.revision);
  CHECK(r.identity.revision->board == "B");
  CHECK(r.identity.revision->memory_mb == 512);
  CHECK(r.identity.serial == "00000000a1b2c3d4");
  CHECK(r.identity.os.id == "raspbian");
  CHECK(r.identity.kernel_release == "6.1.21+");
  CHECK(r.identity.machine == "armv6l");
  CHECK(r.identity.uptime_s == Approx(86400.25));
  REQUIRE(r.identity.interfaces.size() == 1);  // lo and its zero MAC are left out
  CHECK(r.identity.interfaces[0].addresses == std::vector<std::string>{"192.168.1.31/24", "fe80::ba27:ebff:fe12:3456/64"});
  REQUIRE(r.rtc.devices.size() == 1);
  const auto& rtc = r.rtc.devices[0];
  CHECK(rtc.driver == "rtc-pcf2127-i2c 1-0051");
  CHECK(rtc.hctosys == true);
  CHECK(rtc.readable);
  CHECK(rtc.rtc_minus_system_s == Approx(2.0).margin(0.01));
  CHECK(rtc.battery.vl_flags == 0x2u);  // backup battery low
  CHECK_FALSE(rtc.battery.voltage_v);
  CHECK(r.clocksource.current == "timer");
  CHECK(r.clocksource.available == std::vector<std::string>{"timer"});
  CHECK(r.discipline.daemons == std::vector<std::string>{"ntpd"});
  CHECK(r.discipline.drift_file == "/var/lib/ntp/ntp.drift");
  CHECK(r.discipline.drift_file_ppm == Approx(41.259));  // ntpd stores the correction: sign flipped
  REQUIRE(r.discipline.kernel);
  CHECK(r.discipline.kernel->synchronised);
  CHECK(r.discipline.kernel->freq_ppm == Approx(-8.802).margin(0.001));
  CHECK(r.discipline.kernel->offset_s == Approx(12345e-9));  // STA_NANO set: nanoseconds
  CHECK_FALSE(r.rtc.fake_hwclock.data_present);
  CHECK_FALSE(r.rtc.fake_hwclock.installed);  // removed, as RasClock guides say
  CHECK_FALSE(validate(r));
}

TEST_CASE("facts: Pi 4 with fake-hwclock and no RTC") {
  FakeRtcOpener opener;
  const auto r = gather("pi4-fakehwclock", opener, 1'795'630'000);
  CHECK(r.identity.primary_interface == "wlan0");  // the default route's interface, not the first
  CHECK(r.agent_id.to_string() == "dc:a6:32:aa:bb:02");
  CHECK(r.identity.revision->board == "4B");
  CHECK(r.identity.revision->memory_mb == 4096);
  CHECK(r.identity.revision->pcb_revision == 4);
  CHECK(r.rtc.devices.empty());
  CHECK(r.rtc.fake_hwclock.installed);
  CHECK(r.rtc.fake_hwclock.enabled);
  CHECK(r.rtc.fake_hwclock.data_present);
  CHECK(r.rtc.fake_hwclock.saved_utc == "2026-11-25 17:00:01");
  REQUIRE(r.rtc.fake_hwclock.age_s);
  // 2026-11-25 17:00:01 UTC is 1795626001.
  CHECK(*r.rtc.fake_hwclock.age_s == Approx(1'795'630'000.0 - 1'795'626'001.0).margin(0.01));
  CHECK(r.clocksource.current == "arch_sys_counter");
  CHECK(r.discipline.daemons == std::vector<std::string>{"systemd-timesyncd"});
  CHECK(r.discipline.drift_file.empty());
  CHECK_FALSE(validate(r));
}

TEST_CASE("facts: Pi 5 with rpi-rtc and its battery voltage, chronyd") {
  FakeRtcOpener opener;
  opener.devices["rtc0"] = {true, 0, std::nullopt, 0, std::nullopt};
  const auto r = gather("pi5-rpirtc", opener);
  CHECK(r.identity.revision->board == "5");
  CHECK(r.identity.revision->processor == "BCM2712");
  REQUIRE(r.rtc.devices.size() == 1);
  const auto& rtc = r.rtc.devices[0];
  CHECK(rtc.driver == "rpi-rtc soc@107c000000:rpi_rtc");
  CHECK(rtc.battery.voltage_v == Approx(2.98173));
  CHECK_FALSE(rtc.readable);
  CHECK_THAT(rtc.read_error, Catch::Contains("EBUSY"));
  CHECK(r.discipline.daemons == std::vector<std::string>{"chronyd"});
  CHECK(r.discipline.drift_file == "/var/lib/chrony/chrony.drift");
  CHECK(r.discipline.drift_file_ppm == Approx(-8.802));
  CHECK_FALSE(validate(r));
}

TEST_CASE("facts: a VM has rtc_cmos, kvm-clock, no board revision") {
  FakeRtcOpener opener;
  opener.devices["rtc0"] = {false, 0, std::nullopt, EINVAL, std::nullopt};
  const auto r = gather("vm", opener);
  CHECK(r.identity.model.empty());
  CHECK_FALSE(r.identity.revision);
  // No default route in the fixture: the hardware interface, not docker0 (both MACs are local).
  CHECK(r.identity.primary_interface == "ens3");
  CHECK(r.agent_id.to_string() == "52:54:00:12:34:56");
  CHECK(r.clocksource.current == "kvm-clock");
  CHECK(r.clocksource.available == std::vector<std::string>{"kvm-clock", "tsc", "acpi_pm"});
  REQUIRE(r.rtc.devices.size() == 1);
  CHECK(r.rtc.devices[0].driver == "rtc_cmos 00:00");
  CHECK_FALSE(r.rtc.devices[0].readable);
  CHECK_THAT(r.rtc.devices[0].read_error, Catch::Contains("EINVAL"));
  CHECK_FALSE(validate(r));
}

TEST_CASE("facts: a tree without any interface has no identity") {
  TempDir empty;
  Sysroot root(empty.path());
  FakeRtcOpener opener;
  SimulatedWorld world({});
  SimulatedClock clock(world);
  FixedKernelTime kernel;
  CHECK_THROWS_WITH(gather_facts({root, clock, opener, kernel}), Catch::Contains("no network interface"));
}
