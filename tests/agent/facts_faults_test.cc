// Odd system files (issue 6): missing, empty, garbage, unreadable, oversized or endless. Each one must
// leave its own field empty or marked, never crash the agent, and never make the report invalid.
#include <cerrno>
#include <fstream>

#include <catch2/catch.hpp>

#include "agent/board.h"
#include "agent/facts.h"
#include "agent/simulation.h"
#include "agent/sysroot.h"
#include "agent_test_support.h"
#include "inventory/core/error.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

AgentReport gather_at(const std::filesystem::path& root_dir, FakeRtcOpener& opener) {
  Sysroot root(root_dir);
  SimulatedWorld world({});
  SimulatedClock clock(world);
  FixedKernelTime kernel;
  return gather_facts({root, clock, opener, kernel});
}

// The report is valid and encodes as JSON: what the agent signs and sends.
void check_sendable(AgentReport r) {
  r.counter = 1;
  const auto problem = validate(r);
  INFO(problem.value_or(""));
  CHECK_FALSE(problem);
  std::string body;
  CHECK_NOTHROW(body = to_body(r));
  CHECK_NOTHROW(parse_report(body));
}

// tests/agent/fixtures/<name> copied into `dir`, for variants made in the test.
std::filesystem::path copy_fixture(const std::string& name, const TempDir& dir) {
  const auto to = dir.path() / name;
  std::filesystem::copy(fixture(name), to, std::filesystem::copy_options::recursive);
  return to;
}

void write_file(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
}

void replace_with_symlink(const std::filesystem::path& file, const std::filesystem::path& target) {
  std::filesystem::create_directories(file.parent_path());
  std::filesystem::remove_all(file);
  std::filesystem::create_symlink(target, file);
}

// What a tree whose cpuinfo, model, os-release and uptime cannot be read (empty, endless or dangling) leaves
// of the identity: empty fields, never a guess.
void check_identity_unread(const AgentReport& r) {
  CHECK_FALSE(r.identity.revision);
  CHECK(r.identity.serial.empty());
  CHECK(r.identity.model.empty());
  CHECK(r.identity.os.pretty_name.empty());
  CHECK(r.identity.os.id.empty());
  CHECK_FALSE(r.identity.uptime_s);
}

}  // namespace

TEST_CASE("odd sysfs and procfs: each odd file gives its own empty or marked field, and the report stays valid") {
  FakeRtcOpener opener;
  const auto r = gather_at(fixture("odd-sysfs"), opener);
  CHECK(r.agent_id.to_string() == "b8:27:eb:0d:d0:01");
  // An interface name the report cannot carry is left out rather than getting the report refused.
  REQUIRE(r.identity.interfaces.size() == 1);
  CHECK(r.identity.interfaces[0].name == "eth0");
  CHECK(r.identity.model == "Raspberry Pi 4 Model B Rev 1.4");  // no NUL at the end: taken whole
  CHECK_FALSE(r.identity.revision);                             // "Revision : zz12" is not a code
  CHECK(r.identity.serial == "1000??? abc");                    // a control byte and two non-UTF-8 bytes
  CHECK_FALSE(r.identity.uptime_s);                             // /proc/uptime is a directory
  CHECK(r.identity.hostname.empty());                           // "(none)"
  CHECK(r.identity.kernel_release == "6.6.51+rpt?[31m-rpi-v8");  // the escape character defused
  CHECK(r.identity.boot_id.empty());
  CHECK(r.identity.os.pretty_name == "Rasp?bian? GNU/Linux");
  CHECK(r.identity.os.id == "raspbian");
  CHECK(r.identity.os.version_id.size() == kMaxTextBytes);  // 400 characters cut to what a report holds
  CHECK(r.rtc.devices.empty());                               // no /sys/class/rtc: no RTC
  CHECK(r.clocksource.current.empty());                       // no clocksource files
  CHECK(r.clocksource.available.empty());
  CHECK(r.rtc.fake_hwclock.data_present);
  CHECK(r.rtc.fake_hwclock.saved_utc == "9999-12-31 23:59:59");
  CHECK_FALSE(r.rtc.fake_hwclock.age_s);  // 8,000 years away: not an age a report may carry
  CHECK(r.discipline.drift_file.empty());  // chrony.drift says "garbage"
  CHECK_FALSE(r.discipline.drift_file_ppm);
  check_sendable(r);
}

TEST_CASE("odd sysfs: empty files read as empty fields") {
  TempDir dir;
  const auto root = copy_fixture("pi1-rasclock", dir);
  for (const char* file : {"/proc/cpuinfo", "/proc/device-tree/model", "/etc/os-release", "/proc/uptime",
                           "/sys/class/rtc/rtc0/name", "/sys/class/rtc/rtc0/hctosys",
                           "/sys/devices/system/clocksource/clocksource0/current_clocksource",
                           "/sys/devices/system/clocksource/clocksource0/available_clocksource"})
    write_file(Sysroot(root).path(file), "");
  FakeRtcOpener opener;
  opener.devices["rtc0"] = {false, 0, 1'700'000'000, 0, std::nullopt};
  const auto r = gather_at(root, opener);
  check_identity_unread(r);
  REQUIRE(r.rtc.devices.size() == 1);
  CHECK(r.rtc.devices[0].driver.empty());
  CHECK_FALSE(r.rtc.devices[0].hctosys.value_or(false));
  CHECK(r.clocksource.current.empty());
  CHECK(r.clocksource.available.empty());
  check_sendable(r);
}

TEST_CASE("odd sysfs: huge, endless and dangling files are bounded reads that give empty fields") {
  TempDir dir;
  const auto root = copy_fixture("pi1-rasclock", dir);
  const Sysroot sysroot(root);
  // 10 MB of cpuinfo: over the 256 KiB read bound. A 5 KB model: over its 1 KiB bound.
  write_file(sysroot.path("/proc/cpuinfo"), std::string(10 * 1024 * 1024, 'x') + "\nRevision : 000e\n");
  write_file(sysroot.path("/proc/device-tree/model"), std::string(5000, 'M'));
  // Endless files: /dev/zero as os-release, /dev/urandom as the clocksource.
  replace_with_symlink(sysroot.path("/etc/os-release"), "/dev/zero");
  replace_with_symlink(sysroot.path("/sys/devices/system/clocksource/clocksource0/current_clocksource"), "/dev/urandom");
  replace_with_symlink(sysroot.path("/proc/uptime"), root / "nowhere");
  FakeRtcOpener opener;
  const auto r = gather_at(root, opener);
  check_identity_unread(r);
  CHECK(r.clocksource.current.empty());  // endless: over read_line's 4 KiB bound
  CHECK(r.clocksource.available == std::vector<std::string>{"timer"});
  // Without a readable /dev/rtc0 the RTC is listed, unreadable, with the reason in its own field.
  REQUIRE(r.rtc.devices.size() == 1);
  CHECK_FALSE(r.rtc.devices[0].readable);
  CHECK_THAT(r.rtc.devices[0].read_error, Catch::Contains("No such file"));
  check_sendable(r);
}

TEST_CASE("odd sysfs: a device-tree model ends at its NUL, odd RTC entries, battery voltage and uptime are left out") {
  TempDir dir;
  const auto root = copy_fixture("pi5-rpirtc", dir);
  const Sysroot sysroot(root);
  write_file(sysroot.path("/proc/device-tree/model"), std::string("Raspberry Pi 5 Model B Rev 1.0\0\x01\xff junk", 38));
  std::filesystem::create_directories(sysroot.path("/sys/class/rtc/rtc_weird"));
  std::filesystem::create_directories(sysroot.path("/sys/class/rtc/rtc1 "));
  write_file(sysroot.path("/sys/class/rtc/rtc0/battery_voltage"), "lots\n");
  write_file(sysroot.path("/proc/uptime"), "1e300 5.00\n");  // beyond what a report may carry
  write_file(sysroot.path("/sys/class/rtc/rtc0/name"), std::string(1000, 'n') + "\n");
  FakeRtcOpener opener;
  opener.devices["rtc0"] = {false, 0, 1'700'000'000, 0, std::nullopt};
  const auto r = gather_at(root, opener);
  CHECK(r.identity.model == "Raspberry Pi 5 Model B Rev 1.0");
  CHECK_FALSE(r.identity.uptime_s);
  REQUIRE(r.rtc.devices.size() == 1);
  CHECK(r.rtc.devices[0].device == "rtc0");
  CHECK_FALSE(r.rtc.devices[0].battery.voltage_v);
  CHECK(r.rtc.devices[0].driver == std::string(kMaxTextBytes, 'n'));  // a 1000-byte name, cut
  check_sendable(r);
}

TEST_CASE("odd sysfs: symlink loops read as absent files, and do not throw") {
  TempDir dir;
  const auto root = copy_fixture("pi4-fakehwclock", dir);
  const Sysroot sysroot(root);
  for (const char* file : {"/usr/sbin/fake-hwclock", "/sbin/fake-hwclock", "/etc/fake-hwclock.data",
                           "/sys/class/net/eth0/device", "/proc/cpuinfo"})
    replace_with_symlink(sysroot.path(file), sysroot.path(file));  // ELOOP
  FakeRtcOpener opener;
  AgentReport r;
  REQUIRE_NOTHROW(r = gather_at(root, opener));
  CHECK_FALSE(r.rtc.fake_hwclock.installed);
  CHECK_FALSE(r.rtc.fake_hwclock.data_present);
  CHECK_FALSE(r.identity.revision);
  CHECK(r.identity.primary_interface == "wlan0");  // from the default route, as before
  check_sendable(r);
}

TEST_CASE("report_text keeps valid UTF-8, defuses control bytes and cuts on a character boundary") {
  CHECK(report_text("  Raspberry Pi 4\n", 256) == "Raspberry Pi 4");
  CHECK(report_text("caf\xc3\xa9", 256) == "caf\xc3\xa9");
  CHECK(report_text("caf\xc3\xa9", 4) == "caf");  // the 2-byte é does not fit: not split
  CHECK(report_text("a\x1b[0mb", 256) == "a?[0mb");
  CHECK(report_text("\xc0\xaf\xed\xa0\x80\xf8", 256) == "??????");  // overlong, surrogate, invalid lead
  CHECK(report_text("x\x7fy", 256) == "x?y");
  CHECK(report_text(std::string(300, 'a'), 256).size() == 256);
}
