#include "inventory/store/scan_merge.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "fleet_test_support.h"
#include "inventory/store/inventory_file.h"

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
  std::vector<pid_t> children;
  for (int writer = 0; writer < 2; ++writer) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int status = 0;
      try {
        for (int i = 0; i < kRounds; ++i) {
          const auto mac = fmt::format("b8:27:eb:{:02x}:00:{:02x}", writer, i);
          const auto ip = fmt::format("10.{}.0.{}", writer, i + 1);
          merge_scan_into_inventory(file, {sighting(mac, ip, i)}, fmt::format("eth{}", writer));
        }
      } catch (...) {
        status = 1;
      }
      ::_exit(status);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  const Inventory inv = read_inventory_file(file);
  CHECK(inv.size() == 2 * kRounds);
  for (int writer = 0; writer < 2; ++writer)
    for (int i = 0; i < kRounds; ++i)
      CHECK(inv.find_by_mac(*MacAddress::parse(fmt::format("b8:27:eb:{:02x}:00:{:02x}", writer, i))));
}
