// A collector running in-process on 127.0.0.1 (ephemeral port) for the endpoint tests, with a blocking
// HTTP client and helpers to build signed agent reports.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "fleet_test_support.h"
#include "inventory/collector/collector.h"
#include "inventory/collector/collector_routes.h"
#include "inventory/collector/http_server.h"
#include "tests/support/sample_report.h"
#include "tests/support/sample_scan.h"

namespace pifind::test {

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
};

/// One request on a new connection to 127.0.0.1:port; returns the reply (status 0 if the server closed).
Reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                   const std::string& body = "", const std::map<std::string, std::string>& headers = {});

/// Checks a refusal: `status`, a one-line body holding `reason`, and `file` still exactly `before`.
void check_refused(const Reply& reply, int status, const std::string& reason, const std::filesystem::path& file,
                   const std::string& before);

/// A Pi 4's report (tests/support's pi_report) from agent b8:27:eb:00:<n>:01, pi<n> at 10.1.x.y/16.
AgentReport sample_report(int n, std::uint64_t counter, double drift_ppm = 5.0);

class CollectorFixture {
 public:
  /// Starts a collector on `file` (default: a fresh file in a scratch dir), serving HTTPS when `tls` is set.
  explicit CollectorFixture(HttpLimits limits = collector_http_limits(), std::string file = "",
                            std::shared_ptr<boost::asio::ssl::context> tls = nullptr, CompactionPolicy policy = {});
  ~CollectorFixture();
  std::uint16_t port() const { return server_->port(); }
  Collector& collector() { return *collector_; }
  const std::filesystem::path& file() const { return file_; }
  /// POSTs a signed report; returns the reply.
  Reply post(const AgentReport& report);
  /// POSTs a signed scan to /v1/scans; returns the reply.
  Reply post_scan(const ScanReport& scan);
  /// Hands a signed report to the collector directly (no HTTP) and waits for its answer's status.
  int submit(const AgentReport& report);

 private:
  TempDir dir_;
  std::filesystem::path file_;
  std::unique_ptr<Collector> collector_;
  boost::asio::io_context io_;
  std::unique_ptr<CollectorRoutes> routes_;
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
};

}  // namespace pifind::test
