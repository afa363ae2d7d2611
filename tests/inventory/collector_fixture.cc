#include "collector_fixture.h"

#include <algorithm>

#include <boost/beast/core.hpp>
#include <catch2/catch.hpp>
#include <boost/beast/http.hpp>

#include <future>

#include "inventory/collector/collector_routes.h"
#include "inventory/core/whole_file.h"

namespace pifind::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

Reply http_request(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                   const std::map<std::string, std::string>& headers) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  Reply reply;
  if (ec) return reply;
  reply.status = static_cast<int>(parser.get().result_int());
  reply.body = parser.get().body();
  for (const auto& field : parser.get()) reply.headers[std::string(field.name_string())] = std::string(field.value());
  return reply;
}

void check_refused(const Reply& reply, int status, const std::string& reason, const std::filesystem::path& file,
                   const std::string& before) {
  CHECK(reply.status == status);
  CHECK_THAT(reply.body, Catch::Contains(reason));
  CHECK(std::count(reply.body.begin(), reply.body.end(), '\n') == 1);
  CHECK(read_whole_file(file) == before);
}

AgentReport sample_report(int n, std::uint64_t counter, double drift_ppm) {
  return pi_report(MacAddress::from_u64(0xb827eb000001ULL | (static_cast<std::uint64_t>(n) << 8)), counter,
                   "pi" + std::to_string(n),
                   "10.1." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1) + "/16", drift_ppm);
}

CollectorFixture::CollectorFixture(HttpLimits limits, std::string file, std::shared_ptr<net::ssl::context> tls,
                                   CompactionPolicy policy)
    : file_(file.empty() ? dir_ / "fleet.json" : std::filesystem::path(file)) {
  CollectorOptions options;
  options.compaction = policy;
  collector_ = std::make_unique<Collector>(file_, test_fleet_key(), options);
  routes_ = std::make_unique<CollectorRoutes>(*collector_, RouteOptions{});
  server_ = std::make_unique<HttpServer>(io_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0),
                                         routes_->handler(), limits, tls);
  collector_->start();
  server_->start();
  thread_ = std::thread([this] { io_.run(); });
}

CollectorFixture::~CollectorFixture() {
  server_->stop();
  collector_->stop();
  io_.stop();
  thread_.join();
}

int CollectorFixture::submit(const AgentReport& report) {
  const std::string body = to_body(report);
  std::promise<int> answered;
  collector_->submit(signed_headers_for(report, body), body,
                     [&answered](ReportOutcome outcome) { answered.set_value(outcome.http_status); });
  return answered.get_future().get();
}

Reply CollectorFixture::post(const AgentReport& report) {
  const std::string body = to_body(report);
  return http_request(port(), "POST", "/v1/reports", body, signed_http_headers(report, body));
}

Reply CollectorFixture::post_scan(const ScanReport& scan) {
  const std::string body = to_body(scan);
  return http_request(port(), "POST", "/v1/scans", body, signed_scan_http_headers(scan, body));
}

}  // namespace pifind::test
