// Every collector endpoint with good and bad input, durability before acknowledgement, group commit,
// limits (body, headers, connections, timeouts) and coexistence with scans writing the same file.
#include "inventory/collector/collector.h"

#include <chrono>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <boost/beast/core.hpp>

#include "collector_fixture.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/collector/metrics.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/report_merge.h"

using namespace pifind;
using Catch::Matchers::Contains;

TEST_CASE("A signed report is answered 204 only once it is in the file") {
  test::CollectorFixture fx;
  const auto reply = fx.post(test::sample_report(1, 1, 12.5));
  REQUIRE(reply.status == 204);
  const auto inv = read_inventory_file(fx.file());
  const auto* rec = inv.find_by_mac(test::sample_report(1, 1).agent_id);
  REQUIRE(rec);
  CHECK(rec->hostname == "pi1");
  CHECK(rec->drift->drift_ppm == 12.5);
  CHECK(rec->agent->last_counter == 1);
  CHECK(fx.collector().stats().reports_accepted == 1);
}

TEST_CASE("Bad reports get a one-line 4xx and never change the file") {
  test::CollectorFixture fx;
  REQUIRE(fx.post(test::sample_report(1, 5)).status == 204);
  const std::string before = read_whole_file(fx.file());
  auto check_rejected = [&](const test::Reply& reply, int status, const std::string& reason) {
    test::check_refused(reply, status, reason, fx.file(), before);
  };
  const auto report = test::sample_report(1, 6);
  const std::string body = to_body(report);
  SECTION("wrong key") {
    const auto other = FleetKey::from_secret("another-key-another-key-another!!");
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", body, test::signed_http_headers(report, body, other)),
                   401, "signature");
  }
  SECTION("tampered body") {
    auto headers = test::signed_http_headers(report, body);
    std::string tampered = body;
    tampered.replace(tampered.find("pi1"), 3, "pwn");
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", tampered, headers), 401, "signature");
  }
  SECTION("replayed counter") { check_rejected(fx.post(test::sample_report(1, 5)), 409, "counter"); }
  SECTION("older counter") { check_rejected(fx.post(test::sample_report(1, 4)), 409, "counter"); }
  SECTION("signed but not a report") {
    auto headers = test::signed_http_headers(report, "{\"hello\": 1}");
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", "{\"hello\": 1}", headers), 400, "");
  }
  SECTION("no signature headers") {
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", body), 400, "X-Pifind-Agent");
  }
  SECTION("body over 64 KiB") {
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", std::string(65 * 1024, 'x')), 413, "larger");
  }
  SECTION("headers over 8 KiB") {
    check_rejected(test::http_request(fx.port(), "POST", "/v1/reports", body, {{"X-Padding", std::string(9000, 'p')}}),
                   431, "headers larger");
  }
  SECTION("wrong method and unknown path") {
    const auto get = test::http_request(fx.port(), "GET", "/v1/reports");
    check_rejected(get, 405, "use POST");
    CHECK(get.headers.at("Allow") == "POST");
    check_rejected(test::http_request(fx.port(), "DELETE", "/v1/inventory"), 405, "use GET");
    check_rejected(test::http_request(fx.port(), "GET", "/etc/passwd"), 404, "no such resource");
  }
  CHECK(fx.collector().stats().reports_accepted == 1);
}

TEST_CASE("GET endpoints serve the inventory, health and Prometheus metrics that promtool accepts") {
  test::CollectorFixture fx;
  REQUIRE(fx.post(test::sample_report(1, 1, -7.25)).status == 204);
  REQUIRE(fx.post(test::sample_report(2, 1, 3.5)).status == 204);
  const auto health = test::http_request(fx.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.body == "ok\n");
  const auto inventory = test::http_request(fx.port(), "GET", "/v1/inventory");
  CHECK(inventory.status == 200);
  CHECK(inventory.headers.at("Content-Type") == "application/json");
  CHECK(nlohmann::json::parse(inventory.body)["devices"].size() == 2);
  const auto metrics = test::http_request(fx.port(), "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Contains("pifind_host_drift_ppm{host=\"pi1\",mac=\"b8:27:eb:00:01:01\"} -7.25\n"));
  CHECK_THAT(metrics.body, Contains("pifind_collector_reports_total{result=\"accepted\"} 2\n"));
  CHECK_THAT(metrics.body, Contains("pifind_host_report_age_seconds{host=\"pi2\""));
  const auto lint = test::run_process({"promtool", "check", "metrics"}, metrics.body);
  INFO(lint.out << lint.err);
  CHECK(lint.exit_status == 0);
  const auto audit = test::http_request(fx.port(), "GET", "/v1/audit");
  CHECK(audit.status == 200);
  CHECK(audit.headers.at("Content-Type") == "application/json");
  const auto audit_json = nlohmann::json::parse(audit.body);
  CHECK(audit_json["summary"]["hosts"] == 2);
  CHECK(audit_json["hosts"][0]["name"] == "pi1");
  CHECK(audit_json["hosts"][0]["drift_ppm"] == -7.25);
  CHECK(audit_json["unmanaged"].empty());
  const auto page = test::http_request(fx.port(), "GET", "/");
  CHECK(page.status == 200);
  CHECK_THAT(page.headers.at("Content-Type"), Contains("text/html"));
  CHECK_FALSE(page.body.find("http://") != page.body.find("http://www.w3.org/2000/svg"));
}

TEST_CASE("The dashboard embeds the latest audit, whichever of / and /v1/audit rendered it") {
  test::CollectorFixture fx;
  REQUIRE(fx.post(test::sample_report(1, 1)).status == 204);
  CHECK_THAT(test::http_request(fx.port(), "GET", "/").body, Contains("\"name\":\"pi1\""));
  REQUIRE(fx.post(test::sample_report(2, 1)).status == 204);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a page is rendered again after a second
  CHECK_THAT(test::http_request(fx.port(), "GET", "/v1/audit").body, Contains("\"name\":\"pi2\""));
  CHECK_THAT(test::http_request(fx.port(), "GET", "/").body, Contains("\"name\":\"pi2\""));
}

TEST_CASE("Metrics count managed and unmanaged Pis, and a managed Pi without IPv4 keeps its series") {
  Inventory inv;
  merge_report(inv, test::pi_report(*MacAddress::parse("dc:a6:32:00:00:01"), 1, "v6only", "2001:db8::21/64", 9.5),
               test::at(100));
  merge_report(inv, test::pi_report(*MacAddress::parse("dc:a6:32:00:00:02"), 1, "lab", "10.0.0.2/24", -1.5),
               test::at(100));
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:03", "10.0.0.3", 50), test::sighting("b8:27:eb:00:00:04", "10.0.0.4", 60),
                   test::sighting("00:11:22:33:44:55", "10.0.0.9", 60)},
             "eth0");
  const std::string metrics = render_metrics(inv.record_list(), CollectorStats{}, test::at(160));
  CHECK_THAT(metrics, Contains("pifind_fleet_hosts{managed=\"true\"} 2\n"));
  CHECK_THAT(metrics, Contains("pifind_fleet_hosts{managed=\"false\"} 2\n"));  // the non-Pi is not in the fleet
  CHECK_THAT(metrics, Contains("pifind_host_drift_ppm{host=\"v6only\",mac=\"dc:a6:32:00:00:01\"} 9.5\n"));
  CHECK_THAT(metrics, Contains("pifind_host_report_age_seconds{host=\"v6only\",mac=\"dc:a6:32:00:00:01\"} 60\n"));
  CHECK_THAT(metrics, Contains("pifind_host_last_seen_timestamp_seconds{host=\"pi-000003\",mac=\"b8:27:eb:00:00:03\","
                               "managed=\"false\"} 1793491250\n"));
  CHECK_THAT(metrics, Contains("pifind_host_last_seen_timestamp_seconds{host=\"lab\",mac=\"dc:a6:32:00:00:02\","
                               "managed=\"true\"} 1793491300\n"));
  CHECK_FALSE(metrics.find("pifind_host_drift_ppm{host=\"pi-000003\"") != std::string::npos);
  // --no-metrics-hosts: the counts stay, nothing names a host.
  const std::string anonymous = render_metrics(inv.record_list(), CollectorStats{}, test::at(160), false);
  CHECK_THAT(anonymous, Contains("pifind_fleet_hosts{managed=\"false\"} 2\n"));
  CHECK_FALSE(anonymous.find("host=") != std::string::npos);
  const auto lint = test::run_process({"promtool", "check", "metrics"}, metrics);
  INFO(lint.out << lint.err);
  CHECK(lint.exit_status == 0);
}

TEST_CASE("Reports queued together are made durable by one write") {
  test::TempDir dir;
  Collector collector(dir / "fleet.json", test::test_fleet_key());
  std::vector<int> statuses;
  std::mutex m;
  for (int n = 1; n <= 20; ++n) {
    const auto report = test::sample_report(n, 1);
    const std::string body = to_body(report);
    const auto h = test::signed_http_headers(report, body);
    collector.submit({h.at("X-Pifind-Agent"), h.at("X-Pifind-Counter"), h.at("X-Pifind-Signature"), {}, {}}, body,
                     [&](ReportOutcome o) {
                       const std::lock_guard lock(m);
                       statuses.push_back(o.http_status);
                     });
  }
  // The same agent twice in one batch: the second is a replay even though neither was committed yet.
  const auto dup = test::sample_report(3, 1);
  const std::string dup_body = to_body(dup);
  const auto dh = test::signed_http_headers(dup, dup_body);
  collector.submit({dh.at("X-Pifind-Agent"), dh.at("X-Pifind-Counter"), dh.at("X-Pifind-Signature"), {}, {}}, dup_body,
                   [&](ReportOutcome o) {
                     const std::lock_guard lock(m);
                     statuses.push_back(o.http_status);
                   });
  CHECK(statuses.empty());  // nothing is answered before the commit
  collector.start();
  collector.stop();
  REQUIRE(statuses.size() == 21);
  CHECK(std::count(statuses.begin(), statuses.end(), 204) == 20);
  CHECK(std::count(statuses.begin(), statuses.end(), 409) == 1);
  CHECK(collector.stats().commits == 1);
  CHECK(collector.stats().fsyncs == 2);
  CHECK(read_inventory_file(dir / "fleet.json").size() == 20);
}

TEST_CASE("Scans and the collector write the same file without losing each other's changes") {
  test::CollectorFixture fx;
  for (int round = 0; round < 10; ++round) {
    merge_scan_into_inventory(fx.file(), {test::sighting(fmt::format("00:11:22:33:44:{:02x}", round), "10.9.0.1", round)},
                              "eth0");
    REQUIRE(fx.post(test::sample_report(round + 1, 1)).status == 204);
  }
  const auto inv = read_inventory_file(fx.file());
  CHECK(inv.size() == 20);
  CHECK(fx.collector().stats().reloads >= 1);
  // And the collector's own view caught up with the scans too.
  const auto served = nlohmann::json::parse(test::http_request(fx.port(), "GET", "/v1/inventory").body);
  CHECK(served["devices"].size() == 20);
}

TEST_CASE("A broken inventory is refused at start, and mid-run it is answered 503 and left alone") {
  test::TempDir dir;
  test::write_text(dir / "broken.json", "{\"schema\": \"1.0\", \"devices\": [");
  CHECK_THROWS_WITH(Collector(dir / "broken.json", test::test_fleet_key()), Contains("broken.json: not valid JSON"));

  test::CollectorFixture fx;
  REQUIRE(fx.post(test::sample_report(1, 1)).status == 204);
  test::write_text(fx.file(), "{garbage");
  const auto reply = fx.post(test::sample_report(1, 2));
  CHECK(reply.status == 503);
  CHECK_THAT(reply.body, Contains("not valid JSON"));
  CHECK(read_whole_file(fx.file()) == "{garbage");
}

TEST_CASE("At the connection cap a newcomer displaces the idle connection, and a silent client is timed out") {
  HttpLimits limits;
  limits.max_connections = 1;
  limits.io_timeout = std::chrono::seconds(1);
  test::CollectorFixture fx(limits);
  namespace net = boost::asio;
  net::io_context io;
  boost::beast::tcp_stream idle(io);
  idle.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), fx.port()));
  // The idle connection holds the only slot; a real request takes it over instead of being refused.
  CHECK(test::http_request(fx.port(), "GET", "/healthz").status == 200);
  char byte = 0;
  boost::system::error_code ec;
  idle.socket().read_some(net::buffer(&byte, 1), ec);
  CHECK(ec == net::error::eof);
  idle.close();
  // A client that connects and says nothing is closed after io_timeout.
  boost::beast::tcp_stream silent(io);
  silent.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), fx.port()));
  const auto started = std::chrono::steady_clock::now();
  silent.socket().read_some(net::buffer(&byte, 1), ec);
  CHECK(ec == net::error::eof);
  CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(900));
}
