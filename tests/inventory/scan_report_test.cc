#include <filesystem>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "inventory/protocol/signing.h"
#include "tests/support/error_of.h"
#include "tests/support/sample_report.h"
#include "tests/support/sample_scan.h"

using namespace pifind;
using namespace pifind::test;

namespace {

ScanReport two_sightings(std::uint64_t counter) {
  ScanReport scan = empty_scan(counter, "site-a");
  scan.sightings = {scanned_host("b8:27:eb:00:00:01", "10.0.0.5", "pi-rack-1.local"),
                    scanned_host("00:50:56:00:00:02", "10.0.0.6", "printer.example.org", NameOrigin::kDns),
                    scanned_host("dc:a6:32:00:00:03", "10.0.0.7")};
  scan.sightings[0].age_s = 1.25;
  return scan;
}

// The body with one field of the first sighting (or of the document, with sighting = false) replaced.
std::string with(const ScanReport& scan, const std::string& field, const nlohmann::json& value, bool in_sighting = true) {
  nlohmann::json j = to_json(scan);
  if (in_sighting)
    j["sightings"][0][field] = value;
  else
    j[field] = value;
  return j.dump();
}

std::string parse_error(const std::string& body) {
  return test::error_of([&] { parse_scan_report(body); }, "");
}

}  // namespace

TEST_CASE("a scan report survives its JSON round trip") {
  const ScanReport scan = two_sightings(3);
  const ScanReport back = parse_scan_report(to_body(scan));
  CHECK(back.scanner_id == scan.scanner_id);
  CHECK(back.counter == 3);
  CHECK(back.site == "site-a");
  REQUIRE(back.interfaces.size() == 1);
  CHECK(back.interfaces[0].address == Ipv4Address::parse("10.0.0.1"));
  CHECK(back.interfaces[0].prefix_length == 24);
  REQUIRE(back.sightings.size() == 3);
  CHECK(back.sightings[0].name == "pi-rack-1.local");
  CHECK(back.sightings[0].name_origin == NameOrigin::kMdns);
  CHECK(back.sightings[0].age_s == 1.25);
  CHECK(back.sightings[0].raspberry_pi);
  CHECK(back.sightings[1].name_origin == NameOrigin::kDns);
  CHECK_FALSE(back.sightings[2].name_origin);
  CHECK(back.sightings[2].name.empty());
  // The document as pifind(1) shows it.
  const auto j = nlohmann::json::parse(to_body(scan));
  CHECK(j["schema"] == "1.0");
  CHECK(j["sightings"][0]["name_source"] == "mdns");
  CHECK(j["sightings"][0]["interface"] == "eth0");
  CHECK_FALSE(j["sightings"][2].contains("name"));
}

TEST_CASE("a scan report outside its bounds is refused with a one-line reason") {
  const ScanReport scan = two_sightings(3);
  CHECK_THAT(parse_error(with(scan, "mac", "01:00:5e:00:00:01")), Catch::Contains("not a unicast address"));
  CHECK_THAT(parse_error(with(scan, "ip", "10.0.0.300")), Catch::Contains("'sightings[0].ip' is not an IPv4 address"));
  CHECK_THAT(parse_error(with(scan, "interface", "wlan0")), Catch::Contains("not among the scanned interfaces"));
  CHECK_THAT(parse_error(with(scan, "interface", "bad\nname")), Catch::Contains("interface '?'"));
  CHECK_THAT(parse_error(with(scan, "name_source", "agent")), Catch::Contains("is not mdns or dns"));
  CHECK_THAT(parse_error(with(scan, "name_source", "nis")), Catch::Contains("is not mdns or dns"));
  CHECK_THAT(parse_error(with(scan, "name", "")), Catch::Contains("a source without a name"));
  CHECK_THAT(parse_error(with(scan, "name", "pi\x1b[2Jrack")), Catch::Contains("name that is too long or not printable"));
  CHECK_THAT(parse_error(with(scan, "name", std::string(254, 'a'))), Catch::Contains("too long"));
  CHECK_THAT(parse_error(with(scan, "vendor", std::string(129, 'v'))), Catch::Contains("vendor"));
  CHECK_THAT(parse_error(with(scan, "age_s", -1)), Catch::Contains("age_s outside"));
  CHECK_THAT(parse_error(with(scan, "age_s", 90000)), Catch::Contains("age_s outside"));
  CHECK_THAT(parse_error(with(scan, "raspberry_pi", "yes")), Catch::Contains("raspberry_pi"));
  CHECK_THAT(parse_error(with(scan, "site", "site a", false)), Catch::Contains("site must be"));
  CHECK_THAT(parse_error(with(scan, "site", "-a", false)), Catch::Contains("site must be"));
  CHECK_THAT(parse_error(with(scan, "site", std::string(65, 's'), false)), Catch::Contains("site must be"));
  CHECK_THAT(parse_error(with(scan, "schema", "2.0", false)), Catch::Contains("newer than this reader understands"));
  CHECK_THAT(parse_error(with(scan, "scanner_id", "02:00:00:00:00:09", false)),
             Catch::Contains("scanner_id is not the MAC of any scanned interface"));
  CHECK_THAT(parse_error(with(scan, "interfaces", nlohmann::json::array(), false)), Catch::Contains("interfaces is empty"));
  CHECK_THAT(parse_error("[1]"), Catch::Contains("not a JSON object"));
  CHECK_THAT(parse_error("{\"schema\": "), Catch::Contains("not valid JSON"));
  for (const auto& e : {parse_error(with(scan, "name", "pi\nrack")), parse_error(with(scan, "vendor", "a\nb"))})
    CHECK(e.find('\n') == std::string::npos);

  ScanReport twice = scan;
  twice.interfaces.push_back(twice.interfaces[0]);
  CHECK_THAT(*validate(twice), Catch::Contains("lists eth0 twice"));

  ScanReport many = empty_scan(1);
  many.sightings.assign(kMaxScanSightings + 1, scanned_host("b8:27:eb:00:00:01", "10.0.0.5"));
  CHECK_THAT(parse_error(to_body(many)), Catch::Contains("'sightings' has 1025 entries, at most 1024 allowed"));
  many.sightings.pop_back();
  CHECK_FALSE(validate(many));
}

TEST_CASE("the largest scan a document may hold fits in the bytes it is allowed") {
  ScanReport scan = empty_scan(1, std::string(kMaxSiteBytes, 's'));
  scan.scanner_version = std::string(64, 'v');
  ScannedHost s = scanned_host("b8:27:eb:00:00:01", "255.255.255.255", std::string(kMaxHostNameBytes, 'n'));
  s.vendor = std::string(kMaxVendorBytes, 'v');
  s.interface_name = std::string(15, 'i');
  s.age_s = 86399.999;
  scan.interfaces[0].name = s.interface_name;
  scan.sightings.assign(kMaxScanSightings, s);
  const std::string body = to_body(scan);
  CHECK(body.size() < kMaxScanBytes);
  CHECK(parse_scan_report(body).sightings.size() == kMaxScanSightings);
}

TEST_CASE("a scan's signature matches an independent HMAC-SHA256 over its own domain") {
  // openssl: printf 'pifind-scan-v1\n02:00:00:00:00:01\n1\n{}' | openssl dgst -sha256 -hmac 0123456789abcdef0123456789abcdef
  CHECK(sign_scan(test_fleet_key(), sample_scanner(), 1, "{}") ==
        "sha256=92183a4433843b2c896eea4f69535cefd1486e9985cf7a67cfdb80a0c04b0164");
  // The same sender, counter and body signed as a report gives another signature.
  CHECK(sign_report(test_fleet_key(), sample_scanner(), 1, "{}") != sign_scan(test_fleet_key(), sample_scanner(), 1, "{}"));
}

TEST_CASE("a signed scan verifies, and tampering, replays, reports and header mismatches do not") {
  const ScanReport scan = two_sightings(5);
  const std::string body = to_body(scan);
  const SignedHeaders h = signed_scan_headers_for(scan, body);
  const auto v = verify_scan(test_fleet_key(), h, body, 4);
  REQUIRE(v.accepted());
  CHECK(v.http_status() == 204);
  CHECK(v.report->sightings.size() == 3);

  std::string altered = body;
  altered.replace(altered.find("site-a"), 6, "site-b");
  CHECK(verify_scan(test_fleet_key(), h, altered, 4).http_status() == 401);
  const auto replay = verify_scan(test_fleet_key(), h, body, 5);
  CHECK(replay.http_status() == 409);
  CHECK_THAT(replay.reason, Catch::Contains("replay"));

  // A report's signature over the same bytes is not a scan's, and a scan's not a report's.
  SignedHeaders as_report = h;
  as_report.signature = sign_report(test_fleet_key(), scan.scanner_id, scan.counter, body);
  CHECK(verify_scan(test_fleet_key(), as_report, body, std::nullopt).http_status() == 401);
  CHECK(verify_report(test_fleet_key(), h, body, std::nullopt).http_status() == 401);

  SignedHeaders other_counter = h;
  other_counter.counter = "6";
  other_counter.signature = sign_scan(test_fleet_key(), scan.scanner_id, 6, body);
  CHECK_THAT(verify_scan(test_fleet_key(), other_counter, body, std::nullopt).reason,
             Catch::Contains("differs from the X-Pifind-Counter header"));
  SignedHeaders bad_sender = h;
  bad_sender.agent = "02:00:00:00:00:0A";
  CHECK_THAT(verify_scan(test_fleet_key(), bad_sender, body, std::nullopt).reason,
             Catch::Contains("X-Pifind-Scanner must be a lowercase"));

  const std::string too_large(kMaxScanBytes + 1, ' ');
  const auto large = verify_scan(test_fleet_key(), signed_scan_headers_for(scan, too_large), too_large, std::nullopt);
  CHECK(large.http_status() == 413);
  CHECK_THAT(large.reason, Catch::Contains("scan of"));

  const std::string junk = "{\"schema\": \"1.0\"}";
  const auto invalid = verify_scan(test_fleet_key(), signed_scan_headers_for(scan, junk), junk, std::nullopt);
  CHECK(invalid.http_status() == 400);
  CHECK_THAT(invalid.reason, Catch::Contains("scan: 'scanner_id'"));
}

TEST_CASE("site names are what an Ansible group and a Prometheus label can carry as they are") {
  CHECK(is_site_name("berlin"));
  CHECK(is_site_name("rack-2.hall_b"));
  CHECK(is_site_name(std::string(64, 'a')));
  CHECK_FALSE(is_site_name(""));
  CHECK_FALSE(is_site_name(std::string(65, 'a')));
  CHECK_FALSE(is_site_name("_a"));
  CHECK_FALSE(is_site_name("a b"));
  CHECK_FALSE(is_site_name("a\"b"));
  CHECK_FALSE(is_site_name("zürich"));
}

TEST_CASE("the scan fuzzer's seed documents are valid scans") {
  const std::filesystem::path dir = std::filesystem::path(PIFIND_SOURCE_DIR) / "tests/fuzz/corpus/scan_report_fuzz";
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    INFO(entry.path().string());
    std::ifstream in(entry.path());
    const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK_NOTHROW(parse_scan_report(body));
    ++seeds;
  }
  CHECK(seeds >= 3);
}
