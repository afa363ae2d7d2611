// Issue 13: the agent on trees built from system files published from real boards of every generation
// (each fixture's README cites its source), read as a new user would, with facts --sysroot.
#include <catch2/catch.hpp>

#include "agent/board.h"
#include "agent/facts.h"
#include "agent/rtc_inventory.h"
#include "agent/simulation.h"
#include "agent_test_support.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

AgentReport gather(const std::string& name) {
  Sysroot root(fixture(name));
  SimulatedWorld world({});
  SimulatedClock clock(world);
  FakeRtcOpener opener;
  LinuxKernelTimeSource kernel;  // the real one: under a sysroot it must not be consulted
  return gather_facts({root, clock, opener, kernel});
}

// What every board's facts must say: its model, its decoded board, memory and serial, and a valid report.
void check_board(const AgentReport& r, const std::string& model, const std::string& board, int memory_mb,
                 const std::string& serial) {
  CHECK(r.identity.model == model);
  REQUIRE(r.identity.revision);
  CHECK(r.identity.revision->board == board);
  CHECK(r.identity.memory_mb == memory_mb);
  CHECK(r.identity.serial == serial);
  CHECK_FALSE(validate(r));
}

}  // namespace

TEST_CASE("real boards: Pi Zero W, armv6 Raspbian") {
  const auto r = gather("real-pi-zero-w-armv6");
  check_board(r, "Raspberry Pi Zero W Rev 1.1", "Zero W", 512, "00000000cc69374b");
  CHECK(r.identity.revision->processor == "BCM2835");
  CHECK(r.identity.revision->board_revision == "1.1");
  CHECK(r.identity.revision->warranty_voided == false);
  CHECK(r.identity.machine == "armv6l");
}

TEST_CASE("real boards: Pi 3 B, armv7 Raspbian, model through the /proc/device-tree symlink") {
  const auto r = gather("real-pi3-armv7");
  check_board(r, "Raspberry Pi 3 Model B Rev 1.2", "3B", 1024, "000000008714....");
  CHECK(r.identity.revision->manufacturer == "Sony Japan");
  CHECK(r.identity.revision->memory_mb == 1024);
}

TEST_CASE("real boards: Pi 4 on aarch64 Raspberry Pi OS, model from cpuinfo's Model line") {
  const auto r = gather("real-pi4-aarch64-rpios");
  check_board(r, "Raspberry Pi 4 Model B Rev 1.5", "4B", 8192, "10000000a9d6d5a4");
  CHECK(r.identity.revision->processor == "BCM2711");
  CHECK(r.identity.revision->memory_mb == 8192);
  CHECK(r.identity.revision->board_revision == "1.5");
}

TEST_CASE("real boards: Pi 3 B+ on Fedora, Revision 0000: the revision from the device tree") {
  const auto r = gather("real-pi3bplus-fedora-mainline");
  check_board(r, "Raspberry Pi 3 Model B+", "3B+", 1024, "000000007cb25365");
  CHECK(r.identity.revision->code == "2a020d3");
  CHECK(r.identity.revision->memory_mb == 1024);
  CHECK(r.identity.revision->warranty_voided == true);  // bit 25 of 02a020d3
}

TEST_CASE("real boards: Pi 3 B+ on Arch Linux ARM mainline: no revision anywhere, host name offline") {
  const auto r = gather("real-pi3bplus-arch-mainline");
  CHECK(r.identity.model == "Raspberry Pi 3 Model B Plus Rev 1.4");
  CHECK_FALSE(r.identity.revision);
  CHECK(r.identity.serial.empty());
  CHECK(r.identity.hostname == "pi3");  // /etc/hostname: the tree has no /proc/sys/kernel/hostname
  CHECK(r.identity.kernel_release == "6.9.12-2-aarch64-ARCH");
  CHECK_FALSE(validate(r));
}

TEST_CASE("real boards: Pi 5 with its RTC named as the kernel names it, memory, no host state") {
  const auto r = gather("real-pi5-bookworm");
  check_board(r, "Raspberry Pi 5 Model B Rev 1.0", "5", 8192, "29cc75de78a6ceec");
  CHECK(r.identity.revision->processor == "BCM2712");
  CHECK(r.identity.os.pretty_name == "Debian GNU/Linux 12 (bookworm)");
  REQUIRE(r.rtc.devices.size() == 1);
  CHECK(r.rtc.devices[0].driver == "rpi-rtc soc@107c000000:rpi_rtc");
  CHECK(r.rtc.devices[0].chip == "Raspberry Pi 5 RTC (firmware)");
  // The adjtimex state of the machine running the test is not the Pi's.
  CHECK_FALSE(r.discipline.kernel);
  CHECK_THAT(r.discipline.kernel_unknown, Catch::Contains("sysroot"));
  CHECK_FALSE(validate(r));
}

TEST_CASE("RTC names as the kernel prints them name their chips") {
  CHECK(rtc_chip("rtc-ds1307 1-0068") == "DS1307");
  CHECK(rtc_chip("rtc-ds1307 1-0068", "ds3231") == "DS3231");  // the I2C client says which of the family
  CHECK(rtc_chip("rtc-pcf8523 1-0068") == "PCF8523");
  CHECK(rtc_chip("rtc-pcf2127-i2c 1-0051") == "PCF2127");
  CHECK(rtc_chip("rtc-pcf2127 1-0051") == "PCF2127");
  CHECK(rtc_chip("rpi-rtc soc@107c000000:rpi_rtc") == "Raspberry Pi 5 RTC (firmware)");
  CHECK(rtc_chip("rpi-rtc soc:rpi_rtc") == "Raspberry Pi 5 RTC (firmware)");
  CHECK(rtc_chip("rtc_cmos 00:00") == "MC146818 (PC CMOS)");
  CHECK(rtc_chip("ds1307") == "DS1307");  // older kernels printed the driver alone
  CHECK(rtc_chip("?? not-a-driver").empty());
}

TEST_CASE("revision codes per the documentation: 500 and 500+, CM5 variants, warranty, old-style PCB") {
  CHECK(decode_revision("d04190")->board == "500");
  CHECK(decode_revision("e04190")->board == "500+");
  CHECK(decode_revision("e04190")->memory_mb == 16384);
  CHECK(decode_revision("d04180")->board == "CM5");
  CHECK(decode_revision("e041a0")->board == "CM5 Lite");
  CHECK(decode_revision("e04171")->memory_mb == 16384);
  CHECK_FALSE(decode_revision("f04171")->memory_mb);  // memory 7 is "other"
  CHECK(decode_revision("c03111")->warranty_voided == false);
  CHECK(decode_revision("2a02082")->warranty_voided == true);
  CHECK(decode_revision("0002")->board_revision == "1.0");
  CHECK(decode_revision("000e")->board_revision == "2.0");
  CHECK(decode_revision("0010")->board_revision == "1.2");
  CHECK(decode_revision("1000002")->warranty_voided == true);
  CHECK(decode_revision("1000002")->board == "B");
  CHECK_FALSE(decode_revision("3000002"));  // bits an old-style code never has
  CHECK(parse_cpuinfo("Revision\t: 0000\nSerial\t\t: 0000000000000000\n").revision.empty());
  CHECK(memory_mb_from_meminfo("MemTotal:         948304 kB\n") == 1024);
  CHECK(memory_mb_from_meminfo("MemTotal:        8257648 kB\n") == 8192);
  CHECK_FALSE(memory_mb_from_meminfo("MemFree: 1 kB\n"));
}
