#include "inventory/store/report_merge.h"

#include <algorithm>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "fleet_test_support.h"
#include "inventory/store/scan_merge.h"

using namespace pifind;

namespace {

AgentReport two_interface_report(std::uint64_t counter) {
  AgentReport r;
  r.agent_id = *MacAddress::parse("dc:a6:32:00:00:01");
  r.counter = counter;
  r.agent_version = "0.1.0";
  r.identity.hostname = "kitchen";
  r.identity.model = "Raspberry Pi 4 Model B Rev 1.4";
  r.identity.serial = "10000000abcdef01";
  r.identity.interfaces = {{"eth0", r.agent_id, {"10.0.0.5/24", "fe80::1/64"}},
                           {"wlan0", *MacAddress::parse("dc:a6:32:00:00:02"), {"10.0.1.7/24"}}};
  r.identity.primary_interface = "eth0";
  r.rtc.devices.push_back(RtcInfo{"rtc0", "rpi-rtc soc:rpi_rtc", "Raspberry Pi 5 RTC (firmware)", true, true, "", -0.25, {}});
  r.clocksource.current = "arch_sys_counter";
  r.discipline.kernel = KernelTimeState{};
  r.discipline.kernel->synchronised = true;
  r.discipline.daemons = {"systemd-timesyncd"};
  DriftEstimate ntp;
  ntp.reference = "ntp:pool";
  ntp.status = DriftStatus::kOk;
  ntp.ppm = 3.0;
  ntp.stderr_ppm = 0.1;
  DriftEstimate rtc;
  rtc.reference = "rtc0";
  rtc.status = DriftStatus::kOk;
  rtc.samples = 30;
  rtc.window_s = 1800;
  rtc.ppm = -12.5;
  rtc.stderr_ppm = 0.4;
  rtc.nonconstant = true;
  r.drift = {ntp, rtc};
  return r;
}

}  // namespace

TEST_CASE("An agent report joins the records scans made for each interface into one device") {
  Inventory inv;
  merge_scan(inv, {test::sighting("dc:a6:32:00:00:01", "10.0.0.5", 0), test::sighting("dc:a6:32:00:00:02", "10.0.1.7", 0)},
             "eth0");
  REQUIRE(inv.size() == 2);
  REQUIRE(merge_report(inv, two_interface_report(1), test::at(100)).accepted());
  REQUIRE(inv.size() == 1);
  const auto& rec = inv.records().begin()->second;
  CHECK(rec.id == *MacAddress::parse("dc:a6:32:00:00:01"));
  CHECK(rec.macs.size() == 2);
  CHECK(inv.find_by_mac(*MacAddress::parse("dc:a6:32:00:00:02")) == &rec);
  CHECK(inv.find_by_current_ip(*Ipv4Address::parse("10.0.1.7")) == &rec);
  CHECK(rec.first_seen == test::at(0));
  CHECK(rec.last_seen == test::at(100));
  CHECK(rec.hostname == "kitchen");
  CHECK(rec.raspberry_pi);
  CHECK(rec.time.rtc_present == true);
  CHECK(rec.time.clocksource == "arch_sys_counter");
  CHECK(rec.time.time_discipline == "systemd-timesyncd");
  CHECK(rec.time.ntp_synchronised == true);
  REQUIRE(rec.drift);
  // The RTC estimate is preferred over the NTP one, and its non-constancy is kept.
  CHECK(rec.drift->reference == "rtc0");
  CHECK(rec.drift->drift_ppm == -12.5);
  CHECK(rec.drift->uncertainty_ppm == 0.4);
  CHECK(rec.drift->offset_s == -0.25);
  CHECK_FALSE(rec.drift->constant);
  CHECK(rec.drift_history.size() == 1);
  CHECK(rec.agent->last_counter == 1);
  CHECK(rec.find_mac(*MacAddress::parse("dc:a6:32:00:00:02"))->interface_name == "wlan0");
  REQUIRE(rec.ipv6.size() == 1);
  CHECK(rec.ipv6[0].ip.to_string() == "fe80::1");
  CHECK(rec.ipv6[0].mac == rec.id);
  CHECK_FALSE(rec.reachable_ipv6());  // link-local only: nothing ssh could use from elsewhere
}

TEST_CASE("The IPv6 addresses a report lists are kept, current while listed, with first and last seen") {
  Inventory inv;
  auto report = two_interface_report(1);
  report.identity.interfaces[0].addresses = {"2001:db8:1::5/64", "fe80::1%eth0/64", "fd00:1::5/64"};
  report.identity.interfaces[1].addresses = {"2001:db8:2::7/64"};
  REQUIRE(merge_report(inv, report, test::at(100)).accepted());
  const InventoryRecord& rec = inv.records().begin()->second;
  CHECK_FALSE(rec.current_ip());  // no IPv4 at all: the device is still a device
  REQUIRE(rec.ipv6.size() == 4);
  CHECK(rec.ipv6[1].ip.to_string() == "fe80::1");  // the zone is the Pi's own interface name, dropped
  CHECK(rec.ipv6[3].mac == *MacAddress::parse("dc:a6:32:00:00:02"));
  // Two global addresses held since the same report: the lower one, stably; never the link-local one.
  CHECK(rec.reachable_ipv6()->to_string() == "2001:db8:1::5");

  // A day later a privacy address came and the first global one went: the old one is kept, not current.
  report = two_interface_report(2);
  report.identity.interfaces[0].addresses = {"2001:db8:1::abcd/64", "fe80::1/64", "fd00:1::5/64"};
  report.identity.interfaces[1].addresses = {"2001:db8:2::7/64"};
  REQUIRE(merge_report(inv, report, test::at(86500)).accepted());
  REQUIRE(rec.ipv6.size() == 5);
  CHECK_FALSE(rec.ipv6[0].current);
  CHECK(rec.ipv6[0].last_seen == test::at(100));
  CHECK(rec.ipv6[3].first_seen == test::at(100));
  CHECK(rec.ipv6[3].last_seen == test::at(86500));
  CHECK(rec.ipv6[4].ip.to_string() == "2001:db8:1::abcd");
  // The address held longest wins over the new privacy address.
  CHECK(rec.reachable_ipv6()->to_string() == "2001:db8:2::7");
}

TEST_CASE("A device's IPv6 list stays bounded while privacy addresses come and go") {
  Inventory inv;
  for (int day = 0; day < 3 * static_cast<int>(kIpv6AddressesLimit); ++day) {
    auto report = two_interface_report(static_cast<std::uint64_t>(day + 1));
    report.identity.interfaces[0].addresses = {"2001:db8::1/64", fmt::format("2001:db8::{:x}/64", 0x1000 + day)};
    REQUIRE(merge_report(inv, report, test::at(86400LL * day)).accepted());
  }
  const InventoryRecord& rec = inv.records().begin()->second;
  CHECK(rec.ipv6.size() == kIpv6AddressesLimit);
  // The stable address and today's are current and kept; the ones dropped were the oldest, no longer listed.
  CHECK(std::count_if(rec.ipv6.begin(), rec.ipv6.end(), [](const Ipv6Assignment& a) { return a.current; }) == 2);
  CHECK(std::any_of(rec.ipv6.begin(), rec.ipv6.end(),
                    [](const Ipv6Assignment& a) { return a.ip.to_string() == "2001:db8::1" && a.current; }));
  CHECK(rec.reachable_ipv6()->to_string() == "2001:db8::1");
}

TEST_CASE("A report whose counter is not above the last accepted one changes nothing") {
  Inventory inv;
  REQUIRE(merge_report(inv, two_interface_report(5), test::at(0)).accepted());
  CHECK(last_accepted_counter(inv, SenderKind::kAgent, *MacAddress::parse("dc:a6:32:00:00:01")) == 5u);
  auto replay = two_interface_report(5);
  replay.identity.hostname = "evil";
  CHECK(merge_report(inv, replay, test::at(10)).refusal == Refusal::kReplay);
  CHECK(merge_report(inv, two_interface_report(4), test::at(10)).refusal == Refusal::kReplay);
  CHECK(inv.records().begin()->second.hostname == "kitchen");
  CHECK(inv.records().begin()->second.drift_history.size() == 1);
  CHECK(merge_report(inv, two_interface_report(9), test::at(20)).accepted());
  CHECK(inv.records().begin()->second.drift_history.size() == 2);
  CHECK_FALSE(last_accepted_counter(inv, SenderKind::kAgent, *MacAddress::parse("dc:a6:32:00:00:02")));
}

TEST_CASE("A report without a finished estimate keeps the previous drift") {
  Inventory inv;
  merge_report(inv, two_interface_report(1), test::at(0));
  auto collecting = two_interface_report(2);
  for (auto& e : collecting.drift) e.status = DriftStatus::kCollecting;
  merge_report(inv, collecting, test::at(60));
  const auto& rec = inv.records().begin()->second;
  REQUIRE(rec.drift);
  CHECK(rec.drift->measured_at == test::at(0));
  CHECK(rec.agent->last_counter == 2);
  CHECK(rec.agent->last_report == test::at(60));
}

TEST_CASE("The RTC's own error against NTP is never taken for the Pi's drift") {
  Inventory inv;
  AgentReport report = two_interface_report(1);
  DriftEstimate rtc_error;
  rtc_error.reference = "rtc0-vs-ntp";
  rtc_error.status = DriftStatus::kOk;
  rtc_error.ppm = 1.5;
  rtc_error.stderr_ppm = 0.01;
  report.drift.insert(report.drift.begin(), rtc_error);
  REQUIRE(merge_report(inv, report, test::at(0)).accepted());
  const InventoryRecord& with_rtc = inv.records().begin()->second;
  REQUIRE(with_rtc.drift);
  CHECK(with_rtc.drift->reference == "rtc0");
  CHECK(with_rtc.drift->drift_ppm == -12.5);

  Inventory ntp_only;
  AgentReport no_rtc_estimate = two_interface_report(1);
  no_rtc_estimate.drift = {rtc_error, no_rtc_estimate.drift.front()};  // rtc0-vs-ntp and ntp:pool
  REQUIRE(merge_report(ntp_only, no_rtc_estimate, test::at(0)).accepted());
  const InventoryRecord& record = ntp_only.records().begin()->second;
  REQUIRE(record.drift);
  CHECK(record.drift->reference == "ntp:pool");
  CHECK(record.drift->drift_ppm == 3.0);
  CHECK(record.drift->offset_s == 0);
}
