#include "inventory/store/scan_merge.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "fleet_test_support.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/report_merge.h"
#include "tests/support/processes.h"
#include "tests/support/sample_report.h"
#include "tests/support/sample_scan.h"

using namespace pifind;
using test::sighting;

TEST_CASE("A scan adds new devices and refreshes known ones by (MAC, IP)") {
  Inventory inv;
  auto s1 = merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.5", 0), sighting("00:11:22:33:44:55", "10.0.0.9", 0)},
                       "eth0");
  CHECK(s1.new_devices == 2);
  CHECK(s1.updated == 0);
  auto s2 = merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.5", 60)}, "eth0");
  CHECK(s2.new_devices == 0);
  CHECK(s2.updated == 1);
  const auto* pi = inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:01"));
  REQUIRE(pi);
  CHECK(pi->raspberry_pi);
  CHECK(pi->first_seen == test::at(0));
  CHECK(pi->last_seen == test::at(60));
  REQUIRE(pi->ips.size() == 1);
  CHECK(pi->ips[0].seen_via == "scan:eth0");
  CHECK(pi->ips[0].last_seen == test::at(60));
  CHECK(inv.find_by_mac(*MacAddress::parse("00:11:22:33:44:55"))->last_seen == test::at(0));
}

TEST_CASE("An IP that moves to another MAC stays in the old device's history, not current") {
  Inventory inv;
  merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.5", 0)}, "eth0");
  const auto summary = merge_scan(inv, {sighting("b8:27:eb:00:00:02", "10.0.0.5", 60)}, "eth0");
  CHECK(summary.ip_moves == 1);
  const auto* old_holder = inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:01"));
  REQUIRE(old_holder->ips.size() == 1);
  CHECK_FALSE(old_holder->ips[0].current);
  CHECK_FALSE(old_holder->current_ip());
  CHECK(inv.find_by_current_ip(*Ipv4Address::parse("10.0.0.5"))->id == *MacAddress::parse("b8:27:eb:00:00:02"));
  // The device keeps its identity and gets its new address.
  merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.7", 120)}, "eth0");
  CHECK(old_holder->current_ip() == Ipv4Address::parse("10.0.0.7"));
  CHECK(old_holder->ips.size() == 2);
  CHECK(inv.size() == 2);
}

TEST_CASE("A device that DHCP gives a new address keeps one record with both addresses") {
  Inventory inv;
  merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.5", 0)}, "eth0");
  const auto summary = merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.6", 60)}, "eth0");
  CHECK(summary.ip_moves == 0);
  const auto& rec = *inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:01"));
  CHECK(rec.ips.size() == 2);
  CHECK(rec.current_ip() == Ipv4Address::parse("10.0.0.6"));
}

TEST_CASE("A device not seen again is kept and only an explicit prune removes it") {
  Inventory inv;
  merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.5", 0), sighting("b8:27:eb:00:00:02", "10.0.0.6", 0)}, "eth0");
  merge_scan(inv, {sighting("b8:27:eb:00:00:02", "10.0.0.6", 86400 * 40)}, "eth0");
  CHECK(inv.size() == 2);
  CHECK(inv.prune_older_than(test::at(86400 * 10)) == 1);
  CHECK(inv.size() == 1);
  CHECK_FALSE(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:01")));
  CHECK_FALSE(inv.find_by_current_ip(*Ipv4Address::parse("10.0.0.5")));
  // The pruned MAC comes back as a new device.
  CHECK(merge_scan(inv, {sighting("b8:27:eb:00:00:01", "10.0.0.5", 86400 * 41)}, "eth0").new_devices == 1);
}

TEST_CASE("Group and zero MACs are not devices") {
  Inventory inv;
  const auto summary = merge_scan(
      inv, {sighting("ff:ff:ff:ff:ff:ff", "10.0.0.1", 0), sighting("01:00:5e:00:00:01", "10.0.0.2", 0),
            sighting("00:00:00:00:00:00", "10.0.0.3", 0)},
      "eth0");
  CHECK(summary.new_devices == 0);
  CHECK(inv.size() == 0);
}

TEST_CASE("Two processes merging into the same file concurrently lose no update") {
  test::TempDir dir;
  const auto file = dir / "fleet.json";
  constexpr int kRounds = 40;
  const auto statuses = test::run_in_processes(2, [&](int writer) {
    for (int i = 0; i < kRounds; ++i) {
      const auto mac = fmt::format("b8:27:eb:{:02x}:00:{:02x}", writer, i);
      const auto ip = fmt::format("10.{}.0.{}", writer, i + 1);
      merge_scan_into_inventory(file, {sighting(mac, ip, i)}, fmt::format("eth{}", writer));
    }
  });
  CHECK(statuses == std::vector<int>{0, 0});
  const Inventory inv = read_inventory_file(file);
  CHECK(inv.size() == 2 * kRounds);
  for (int writer = 0; writer < 2; ++writer)
    for (int i = 0; i < kRounds; ++i)
      CHECK(inv.find_by_mac(*MacAddress::parse(fmt::format("b8:27:eb:{:02x}:00:{:02x}", writer, i))));
}

namespace {

ScanSighting named(const std::string& mac, const std::string& ip, long long seconds, const std::string& name,
                   NameOrigin origin) {
  ScanSighting s = test::sighting(mac, ip, seconds);
  s.name = name;
  s.name_origin = origin;
  return s;
}

const MacAddress kPi = *MacAddress::parse("b8:27:eb:00:00:01");

}  // namespace

TEST_CASE("A scan keeps the best name it found: mDNS over reverse DNS, the newer of equals, none changes nothing") {
  Inventory inv;
  merge_scan(inv, {named("b8:27:eb:00:00:01", "10.0.0.5", 0, "host5.example.org", NameOrigin::kDns)}, "eth0");
  const InventoryRecord& rec = *inv.find_by_mac(kPi);
  CHECK(rec.name() == "host5.example.org");
  CHECK(rec.name_origin() == NameOrigin::kDns);
  merge_scan(inv, {named("b8:27:eb:00:00:01", "10.0.0.5", 10, "pi-rack-1.local", NameOrigin::kMdns)}, "eth0");
  CHECK(rec.name() == "pi-rack-1.local");
  // Reverse DNS never replaces an mDNS name; a later mDNS name does; no name leaves it.
  merge_scan(inv, {named("b8:27:eb:00:00:01", "10.0.0.5", 20, "other.example.org", NameOrigin::kDns)}, "eth0");
  CHECK(rec.name() == "pi-rack-1.local");
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 30)}, "eth0");
  CHECK(rec.name() == "pi-rack-1.local");
  CHECK(rec.seen_name->last_seen == test::at(10));
  merge_scan(inv, {named("b8:27:eb:00:00:01", "10.0.0.5", 40, "pi-rack-2.local", NameOrigin::kMdns)}, "eth0");
  CHECK(rec.name() == "pi-rack-2.local");
  // An older sighting of an equal source does not undo a newer one.
  merge_scan(inv, {named("b8:27:eb:00:00:01", "10.0.0.5", 35, "pi-rack-1.local", NameOrigin::kMdns)}, "eth0");
  CHECK(rec.name() == "pi-rack-2.local");
  // Unprintable text is not a name.
  merge_scan(inv, {named("b8:27:eb:00:00:01", "10.0.0.5", 50, "evil\x1b[2J.local", NameOrigin::kMdns)}, "eth0");
  CHECK(rec.name() == "pi-rack-2.local");
}

TEST_CASE("An agent's own hostname outranks every name a scan finds, and a scan never overwrites agent facts") {
  Inventory inv;
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 0)}, "eth0");
  REQUIRE(merge_report(inv, test::pi_report(kPi, 1, "kitchen", "10.0.0.5/24", 12.5), test::at(0)).accepted());
  const InventoryRecord before = *inv.find_by_mac(kPi);
  REQUIRE_FALSE(before.vendor.empty());
  ScanSighting s = named("b8:27:eb:00:00:01", "10.0.0.5", 60, "raspberrypi.local", NameOrigin::kMdns);
  s.vendor = "Someone Else";
  merge_scan(inv, {s}, "eth0", "berlin");
  const InventoryRecord& rec = *inv.find_by_mac(kPi);
  CHECK(rec.name() == "kitchen");
  CHECK(rec.name_origin() == NameOrigin::kAgent);
  CHECK(rec.seen_name->name == "raspberrypi.local");  // kept, for when the agent goes
  CHECK(rec.hostname == before.hostname);
  CHECK(rec.model == before.model);
  CHECK(rec.vendor == before.vendor);
  CHECK(rec.drift->drift_ppm == before.drift->drift_ppm);
  CHECK(rec.agent->last_counter == 1);
  CHECK(rec.time.clocksource == before.time.clocksource);
  CHECK(rec.site == "berlin");
  CHECK(rec.last_seen == test::at(60));
}

TEST_CASE("The site is kept per address and per device: the site of the latest sighting") {
  Inventory inv;
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 0)}, "eth0", "berlin");
  const InventoryRecord& rec = *inv.find_by_mac(kPi);
  CHECK(rec.site == "berlin");
  CHECK(rec.ips[0].site == "berlin");
  // The Pi moved to the other site (a new address there); an older sighting does not move it back.
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.1.0.9", 100)}, "wlan0", "paris");
  CHECK(rec.site == "paris");
  CHECK(rec.current_ip() == Ipv4Address::parse("10.1.0.9"));
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 50)}, "eth0", "berlin");
  CHECK(rec.site == "paris");
  REQUIRE(rec.ips.size() == 2);
  CHECK(rec.ips[1].site == "paris");
  CHECK(rec.ips[1].seen_via == "scan:wlan0");
}

TEST_CASE("The same private address at two sites is two addresses: neither device loses its own") {
  Inventory inv;
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "192.168.1.10", 0)}, "eth0", "berlin");
  const auto summary = merge_scan(inv, {test::sighting("b8:27:eb:00:00:02", "192.168.1.10", 10)}, "eth0", "paris");
  CHECK(summary.ip_moves == 0);
  const auto ip = *Ipv4Address::parse("192.168.1.10");
  CHECK(inv.find_by_mac(kPi)->current_ip() == ip);
  CHECK(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:02"))->current_ip() == ip);
  CHECK(inv.find_by_current_ip(ip, "berlin")->id == kPi);
  CHECK(inv.find_by_current_ip(ip, "paris")->id == *MacAddress::parse("b8:27:eb:00:00:02"));
  // Within one site DHCP still moves it.
  CHECK(merge_scan(inv, {test::sighting("b8:27:eb:00:00:03", "192.168.1.10", 20)}, "eth0", "berlin").ip_moves == 1);
  CHECK_FALSE(inv.find_by_mac(kPi)->current_ip());
  CHECK(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:02"))->current_ip() == ip);
}

TEST_CASE("An agent's address on a device no site has seen takes the site of the first scan that sees it") {
  Inventory inv;
  REQUIRE(merge_report(inv, test::pi_report(kPi, 1, "kitchen", "10.0.0.5/24", 1), test::at(0)).accepted());
  CHECK(inv.find_by_mac(kPi)->ips[0].site.empty());
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.0.0.5", 10)}, "eth0", "berlin");
  const InventoryRecord& rec = *inv.find_by_mac(kPi);
  REQUIRE(rec.ips.size() == 1);
  CHECK(rec.ips[0].site == "berlin");
  CHECK_FALSE(inv.find_by_current_ip(*Ipv4Address::parse("10.0.0.5")));
  CHECK(inv.find_by_current_ip(*Ipv4Address::parse("10.0.0.5"), "berlin") == &rec);
  // The agent's next report refreshes that same entry, at the device's site.
  REQUIRE(merge_report(inv, test::pi_report(kPi, 2, "kitchen", "10.0.0.5/24", 1), test::at(20)).accepted());
  REQUIRE(rec.ips.size() == 1);
  CHECK(rec.ips[0].seen_via == "agent");
  CHECK(rec.ips[0].site == "berlin");
}

TEST_CASE("A scan report merges as a scan does, dated by the receiver's clock minus each sighting's age") {
  Inventory inv;
  ScanReport scan = test::empty_scan(7, "berlin");
  scan.sightings = {test::scanned_host("b8:27:eb:00:00:01", "10.0.0.5", "pi-a.local"),
                    test::scanned_host("00:50:56:00:00:02", "10.0.0.6")};
  scan.sightings[0].age_s = 30;
  MergeSummary summary;
  REQUIRE(merge_scan_report(inv, scan, test::at(1000), &summary).admitted());
  CHECK(summary.new_devices == 2);
  const InventoryRecord& pi = *inv.find_by_mac(kPi);
  CHECK(pi.last_seen == test::at(970));
  CHECK(pi.site == "berlin");
  CHECK(pi.name() == "pi-a.local");
  CHECK(pi.ips[0].seen_via == "scan:eth0");
  // The scanner's own device holds its counter, interface and address, at its site.
  const InventoryRecord* scanner = inv.find_by_mac(test::sample_scanner());
  REQUIRE(scanner);
  const ScannerState* state = scanner->find_scanner(test::sample_scanner());
  REQUIRE(state);
  CHECK(state->last_counter == 7);
  CHECK(state->site == "berlin");
  CHECK(state->interfaces == std::vector<std::string>{"eth0"});
  CHECK(scanner->current_ip() == Ipv4Address::parse("10.0.0.1"));
  CHECK(scanner->ips[0].seen_via == "scanner");
  CHECK(last_scan_counter(inv, test::sample_scanner()) == 7u);
  // Not above the last counter: refused, nothing changes.
  const Admission replay = merge_scan_report(inv, scan, test::at(2000));
  CHECK(replay.refusal == Refusal::kReplay);
  CHECK(replay.last_counter == 7u);  // what the 409 tells the scanner to continue from
  CHECK(pi.last_seen == test::at(970));
  // A file merge (counter 0) merges the sightings and records no scanner.
  Inventory local;
  scan.counter = 0;
  REQUIRE(merge_scan_report(local, scan, test::at(1000)).admitted());
  CHECK(local.size() == 2);
  CHECK_FALSE(local.find_by_mac(test::sample_scanner()));
}

TEST_CASE("A scanner claims only the interfaces no other device holds, and its counter is not an agent's") {
  Inventory inv;
  const MacAddress agent_mac = *MacAddress::parse("dc:a6:32:00:00:09");
  REQUIRE(merge_report(inv, test::pi_report(agent_mac, 50, "other", "10.0.0.9/24", 1), test::at(0)).accepted());
  ScanReport scan = test::empty_scan(1);
  scan.interfaces.push_back({"wlan0", agent_mac, Ipv4Address::parse("10.0.0.99"), 24});
  REQUIRE(merge_scan_report(inv, scan, test::at(10)).admitted());
  const InventoryRecord* agent = inv.find_by_mac(agent_mac);
  CHECK(agent->id == agent_mac);
  CHECK(agent->current_ip() == Ipv4Address::parse("10.0.0.9"));
  CHECK(agent->scanners.empty());
  CHECK(inv.find_by_mac(test::sample_scanner())->macs.size() == 1);
  // A Pi that scans and reports keeps two counters.
  ScanReport from_agent = test::empty_scan(3);
  from_agent.scanner_id = agent_mac;
  from_agent.interfaces = {{"eth0", agent_mac, Ipv4Address::parse("10.0.0.9"), 24}};
  REQUIRE(merge_scan_report(inv, from_agent, test::at(20)).admitted());
  CHECK(last_scan_counter(inv, agent_mac) == 3u);
  CHECK(last_accepted_counter(inv, SenderKind::kAgent, agent_mac) == 50u);
}

TEST_CASE("Two scanners of one device (pifind-scan@eth0 and @wlan0) keep a counter each") {
  Inventory inv;
  const MacAddress eth0 = test::sample_scanner();
  const MacAddress wlan0 = *MacAddress::parse("02:00:00:00:01:01");
  // One run over both interfaces makes wlan0 the scanner device's too.
  ScanReport both = test::empty_scan(1);
  both.interfaces.push_back({"wlan0", wlan0, Ipv4Address::parse("10.1.0.1"), 24});
  REQUIRE(merge_scan_report(inv, both, test::at(0)).admitted());
  REQUIRE(inv.find_by_mac(wlan0) == inv.find_by_mac(eth0));
  // Then a timer per interface, sharing one counter file: eth0 gets 2, 4; wlan0 3, 5.
  ScanReport from_wlan0 = test::empty_scan(3);
  from_wlan0.scanner_id = wlan0;
  from_wlan0.interfaces = {{"wlan0", wlan0, Ipv4Address::parse("10.1.0.1"), 24}};
  CHECK(merge_scan_report(inv, test::empty_scan(2), test::at(10)).admitted());
  CHECK(merge_scan_report(inv, from_wlan0, test::at(20)).admitted());
  CHECK(merge_scan_report(inv, test::empty_scan(4), test::at(30)).admitted());
  from_wlan0.counter = 5;
  CHECK(merge_scan_report(inv, from_wlan0, test::at(40)).admitted());
  CHECK(last_scan_counter(inv, eth0) == 4u);
  CHECK(last_scan_counter(inv, wlan0) == 5u);
  CHECK(merge_scan_report(inv, from_wlan0, test::at(50)).refusal == Refusal::kReplay);
  CHECK(inv.find_by_mac(eth0)->scanners.size() == 2);
}
