#include "scanner/vendor_table.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "inventory/core/error.h"
#include "tests/support/error_of.h"

using namespace pifind;
using namespace pifind::test;

namespace {

MacAddress mac(const char* text) { return *MacAddress::parse(text); }

std::filesystem::path write_temp(const std::string& name, const std::string& content) {
  const auto path = std::filesystem::temp_directory_path() / ("pifind-vendor-test-" + name);
  std::ofstream(path) << content;
  return path;
}

}  // namespace

TEST_CASE("every built-in Raspberry Pi prefix is recognised, and nothing just outside it") {
  VendorTable table;
  add_builtin_raspberry_pi_prefixes(table);
  CHECK(table.size() == 9);
  for (const char* pi : {"b8:27:eb:00:00:00", "dc:a6:32:12:34:56", "e4:5f:01:ff:ff:ff", "28:cd:c1:00:00:01",
                         "d8:3a:dd:01:02:03", "2c:cf:67:00:00:00", "88:a2:9e:aa:bb:cc", "f0:40:af:90:00:00",
                         "f0:40:af:9f:ff:ff", "8c:1f:64:34:a0:00", "8c:1f:64:34:af:ff"}) {
    INFO(pi);
    CHECK(table.is_raspberry_pi(mac(pi)));
  }
  for (const char* other : {"b8:27:ec:00:00:00", "b8:27:ea:ff:ff:ff", "f0:40:af:8f:ff:ff", "f0:40:af:a0:00:00",
                            "8c:1f:64:34:9f:ff", "8c:1f:64:34:b0:00", "3a:35:41:00:00:01", "00:00:00:00:00:00"}) {
    INFO(other);
    CHECK_FALSE(table.is_raspberry_pi(mac(other)));
  }
}

TEST_CASE("the longest prefix wins, and registry files never un-flag a Pi") {
  VendorTable table;
  add_builtin_raspberry_pi_prefixes(table);
  table.add(*MacPrefix::parse("8C:1F:64"), {"IEEE Registration Authority", false});
  table.add(*MacPrefix::parse("8C:1F:64:34:9"), {"WAVES SYSTEM", false});
  table.add(*MacPrefix::parse("B8:27:EB"), {"Raspberry Pi Foundation (registry)", false});
  CHECK(table.vendor_name(mac("8c:1f:64:34:a1:23")) == "Raspberry Pi (Trading) Ltd");
  CHECK(table.vendor_name(mac("8c:1f:64:34:91:23")) == "WAVES SYSTEM");
  CHECK(table.vendor_name(mac("8c:1f:64:00:00:00")) == "IEEE Registration Authority");
  CHECK(table.is_raspberry_pi(mac("b8:27:eb:01:02:03")));
  CHECK(table.vendor_name(mac("b8:27:eb:01:02:03")) == "Raspberry Pi Foundation");
  CHECK(table.vendor_name(mac("02:00:00:00:00:01")) == "(locally administered)");
  CHECK(table.vendor_name(mac("00:00:01:00:00:01")) == "(unknown)");
}

TEST_CASE("IEEE CSV and arp-scan files load at every assignment size") {
  VendorTable table;
  const auto csv = write_temp("oui.csv",
                              "Registry,Assignment,Organization Name,Organization Address\n"
                              "MA-L,002272,American Micro-Fuel Device Corp.,2181 Buchanan Loop\n"
                              "MA-M,741AE09,\"Quoted, \"\"Name\"\" Ltd\",Somewhere\n"
                              "MA-S,70B3D5F2F,TELEPLATFORMS,\"Polbina st., 3/1\"\n"
                              "garbage line\n");
  CHECK(load_ieee_csv(table, csv) == 3);
  CHECK(table.vendor_name(mac("00:22:72:00:00:01")) == "American Micro-Fuel Device Corp.");
  CHECK(table.vendor_name(mac("74:1a:e0:90:00:01")) == "Quoted, \"Name\" Ltd");
  CHECK(table.vendor_name(mac("70:b3:d5:f2:f0:01")) == "TELEPLATFORMS");
  const auto txt = write_temp("ieee-oui.txt", "# comment\n0050C27D5\tDEUTA-WERKE GmbH\n000000\tXEROX CORPORATION\nbad\n");
  CHECK(load_arp_scan_oui(table, txt) == 2);
  CHECK(table.vendor_name(mac("00:50:c2:7d:50:00")) == "DEUTA-WERKE GmbH");

  VendorTable filtered;
  CHECK(load_ieee_csv(filtered, csv, OuiFilter{0x741ae0}) == 1);
  CHECK(filtered.vendor_name(mac("74:1a:e0:90:00:01")) == "Quoted, \"Name\" Ltd");
  CHECK(filtered.vendor_name(mac("00:22:72:00:00:01")) == "(unknown)");
  std::filesystem::remove(csv);
  std::filesystem::remove(txt);
}

TEST_CASE("an oui file adds Pi prefixes and names the line of a bad one") {
  VendorTable table;
  const auto good = write_temp("pi-good.txt", "# extra Pis\nAA:BB:CC  Lab Pis\nAA:BB:CD:1\n");
  CHECK(load_pi_prefix_file(table, good) == 2);
  CHECK(table.is_raspberry_pi(mac("aa:bb:cc:00:00:01")));
  CHECK(table.vendor_name(mac("aa:bb:cc:00:00:01")) == "Lab Pis");
  CHECK(table.is_raspberry_pi(mac("aa:bb:cd:10:00:01")));
  CHECK_FALSE(table.is_raspberry_pi(mac("aa:bb:cd:20:00:01")));
  const auto bad = write_temp("pi-bad.txt", "AA:BB:CC\nZZ:00:00 nope\n");
  REQUIRE_THROWS_AS(load_pi_prefix_file(table, bad), Error);
  try {
    load_pi_prefix_file(table, bad);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("pi-bad.txt:2: malformed MAC prefix 'ZZ:00:00'") != std::string::npos);
  }
  CHECK_THROWS_AS(load_pi_prefix_file(table, "/nonexistent/pifind.txt"), Error);
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
}

TEST_CASE("an oui file is read within bounds: a vendor registry or a huge line is refused, not echoed") {
  VendorTable table;
  const auto message_of = [&](const std::filesystem::path& file) {
    return error_of([&] { load_pi_prefix_file(table, file); });
  };
  std::string registry;
  while (registry.size() <= (1u << 20)) registry += "0050C27D5\tDEUTA-WERKE GmbH\n";
  const auto big = write_temp("registry.txt", registry);
  CHECK(message_of(big).find("more than 1 MiB; --oui-file lists extra Raspberry Pi prefixes, not a vendor registry") !=
        std::string::npos);
  const auto long_line = write_temp("long-line.txt", std::string(200000, 'Z') + "\n");
  const std::string message = message_of(long_line);
  CHECK(message.find("long-line.txt:1: line longer than 1 KiB") != std::string::npos);
  CHECK(message.size() < 300);
  const auto bad_prefix = write_temp("bad-prefix.txt", std::string(900, 'Z') + " name\n");
  CHECK(message_of(bad_prefix).size() < 300);
  std::filesystem::remove(big);
  std::filesystem::remove(long_line);
  std::filesystem::remove(bad_prefix);
}
