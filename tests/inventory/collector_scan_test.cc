// POST /v1/scans against an in-process collector: a signed scan merged as a scan is, durable before it is
// answered; its own counter per scanner (kept across restarts, apart from agents'); bad scans refused with a
// one-line reason and the file untouched; a scan's body limit only on its path, and only so many such bodies
// read at once; the site on /metrics.
#include "inventory/collector/collector.h"

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/core/asio.h"

#include "collector_fixture.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/scan_merge.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

ScanReport site_scan(std::uint64_t counter, const std::string& site = "berlin") {
  ScanReport scan = test::empty_scan(counter, site);
  scan.sightings = {test::scanned_host("b8:27:eb:00:01:01", "10.0.0.5", "raspberrypi.local"),
                    test::scanned_host("00:50:56:00:00:02", "10.0.0.6", "nas.example.org", NameOrigin::kDns)};
  return scan;
}

}  // namespace

TEST_CASE("A signed scan is answered 204 once its sightings are in the file, with their site and names") {
  test::CollectorFixture fx;
  REQUIRE(fx.post_scan(site_scan(1)).status == 204);
  const auto inv = read_inventory_file(fx.file());
  const auto* pi = inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:01:01"));
  REQUIRE(pi);
  CHECK(pi->site == "berlin");
  CHECK(pi->name() == "raspberrypi.local");
  CHECK(pi->raspberry_pi);
  CHECK(pi->ips[0].site == "berlin");
  CHECK(inv.find_by_mac(*MacAddress::parse("00:50:56:00:00:02"))->seen_name->origin == NameOrigin::kDns);
  CHECK(last_scan_counter(inv, test::sample_scanner()) == 1u);
  CHECK(fx.collector().stats().scans_accepted == 1);
  CHECK(fx.collector().stats().reports_accepted == 0);
}

TEST_CASE("A scan never overwrites what an agent reported about its own device") {
  test::CollectorFixture fx;
  const auto report = test::sample_report(1, 1, 12.5);  // b8:27:eb:00:01:01, hostname pi1
  REQUIRE(fx.post(report).status == 204);
  const auto before = *read_inventory_file(fx.file()).find_by_mac(report.agent_id);
  REQUIRE(fx.post_scan(site_scan(1)).status == 204);
  const auto inv = read_inventory_file(fx.file());
  const auto& after = *inv.find_by_mac(report.agent_id);
  CHECK(after.hostname == "pi1");
  CHECK(after.name() == "pi1");
  CHECK(after.model == before.model);
  CHECK(after.drift->drift_ppm == 12.5);
  CHECK(after.agent->last_counter == 1);
  CHECK(after.site == "berlin");
  // The agent's counter and the scanner's are apart: the agent's next report is still 2.
  CHECK(fx.post(test::sample_report(1, 2, 12.5)).status == 204);
}

TEST_CASE("Scan counters are per scanner and survive a restart, and bad scans leave the file as it was") {
  std::string file;
  {
    test::CollectorFixture first;
    REQUIRE(first.post_scan(site_scan(5)).status == 204);
    file = read_whole_file(first.file());
  }
  test::TempDir dir;
  write_file_atomically(dir / "fleet.json", file);
  test::CollectorFixture fx(collector_http_limits(), (dir / "fleet.json").string());
  const std::string before = read_whole_file(fx.file());
  auto check_rejected = [&](const test::Reply& reply, int status, const std::string& reason) {
    test::check_refused(reply, status, reason, fx.file(), before);
  };
  const ScanReport scan = site_scan(6);
  const std::string body = to_body(scan);
  SECTION("replayed and older counters") {
    check_rejected(fx.post_scan(site_scan(5)), 409, "not above the last accepted 5");
    check_rejected(fx.post_scan(site_scan(3)), 409, "replay");
  }
  SECTION("wrong key, and a report's signature") {
    const auto other = FleetKey::from_secret("another-key-another-key-another!!");
    check_rejected(test::http_request(fx.port(), "POST", "/v1/scans", body,
                                      test::signed_scan_http_headers(scan, body, other)),
                   401, "altered scan");
    auto headers = test::signed_scan_http_headers(scan, body);
    headers["X-Pifind-Signature"] = sign_report(test::test_fleet_key(), scan.scanner_id, scan.counter, body);
    check_rejected(test::http_request(fx.port(), "POST", "/v1/scans", body, headers), 401, "signature");
  }
  SECTION("a scan posted as a report, and a report as a scan") {
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", body, test::signed_scan_http_headers(scan, body)),
                   400, "X-Pifind-Agent");
    const auto report = test::sample_report(1, 1);
    const std::string report_body = to_body(report);
    check_rejected(test::http_request(fx.port(), "POST", "/v1/scans", report_body,
                                      test::signed_http_headers(report, report_body)),
                   400, "X-Pifind-Scanner");
  }
  SECTION("signed but invalid") {
    ScanReport bad = site_scan(6);
    bad.sightings[0].interface_name = "wlan7";
    const std::string bad_body = to_body(bad);
    check_rejected(test::http_request(fx.port(), "POST", "/v1/scans", bad_body,
                                      test::signed_scan_http_headers(bad, bad_body)),
                   400, "not among the scanned interfaces");
  }
  SECTION("wrong method") { check_rejected(test::http_request(fx.port(), "GET", "/v1/scans"), 405, "use POST"); }
  SECTION("a scan's body limit holds on /v1/scans only") {
    check_rejected(test::http_request(fx.port(), "POST", "/v1/scans", std::string(kMaxScanBytes + 1, 'x')), 413,
                   "request body larger than 1048576 bytes");
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", std::string(kMaxReportBytes + 1, 'x')), 413,
                   "request body larger than 65536 bytes");
    // Just under the scan limit is read whole and refused for what it is, not for its size.
    check_rejected(test::http_request(fx.port(), "POST", "/v1/scans", std::string(kMaxScanBytes, 'x')), 400,
                   "X-Pifind-Scanner");
  }
  CHECK(fx.post_scan(site_scan(6)).status == 204);
}

TEST_CASE("/metrics counts scans by result and labels hosts with their site") {
  test::CollectorFixture fx;
  REQUIRE(fx.post(test::sample_report(1, 1, -7.25)).status == 204);
  REQUIRE(fx.post_scan(site_scan(1)).status == 204);
  REQUIRE(fx.post_scan(site_scan(1)).status == 409);
  const auto metrics = test::http_request(fx.port(), "GET", "/metrics");
  CHECK_THAT(metrics.body, Contains("pifind_collector_scans_total{result=\"accepted\"} 1\n"));
  CHECK_THAT(metrics.body, Contains("pifind_collector_scans_total{result=\"replay\"} 1\n"));
  CHECK_THAT(metrics.body, Contains("pifind_host_drift_ppm{host=\"pi1\",mac=\"b8:27:eb:00:01:01\",site=\"berlin\"} -7.25\n"));
  const auto lint = test::run_process({"promtool", "check", "metrics"}, metrics.body);
  INFO(lint.out << lint.err);
  CHECK(lint.exit_status == 0);
}

TEST_CASE("Only so many requests may read a scan-sized body at once, and small scans and reports are not held up") {
  HttpLimits limits = collector_http_limits();
  limits.max_large_bodies = 1;
  test::CollectorFixture fx(limits);
  ScanReport big = site_scan(1);
  for (int i = 0; i < 600; ++i)
    big.sightings.push_back(test::scanned_host(fmt::format("b8:27:eb:01:{:02x}:{:02x}", i / 256, i % 256),
                                               fmt::format("10.0.{}.{}", 1 + i / 250, i % 250 + 1)));
  REQUIRE(to_body(big).size() > kMaxReportBytes);
  {
    // A client that declared 500,000 bytes and sent a few holds the one slot.
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket held(io);
    held.connect({boost::asio::ip::make_address("127.0.0.1"), fx.port()});
    const std::string head = "POST /v1/scans HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500000\r\n\r\n" +
                             std::string(1000, '{');
    boost::asio::write(held, boost::asio::buffer(head));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto refused = fx.post_scan(big);
    CHECK(refused.status == 503);
    CHECK_THAT(refused.body, Contains("too many large requests being read at once"));
    CHECK(fx.post_scan(site_scan(2)).status == 204);
    CHECK(fx.post(test::sample_report(1, 1)).status == 204);
  }
  // The slot is free again once that client is gone.
  big.counter = 3;
  test::Reply accepted;
  for (int i = 0; i < 50 && accepted.status != 204; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    accepted = fx.post_scan(big);
  }
  CHECK(accepted.status == 204);
  CHECK(read_inventory_file(fx.file()).size() == 600 + 3);
}
