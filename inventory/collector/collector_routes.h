// The collector's HTTP surface: POST /v1/reports and /v1/scans, GET /v1/inventory, /v1/audit (the dashboard's
// audit, as `pifind audit --format json` prints it), /metrics, /healthz and / (dashboard), mapped onto a
// Collector. Every error is a 4xx/5xx with a one-line text reason. Reads may need credentials (read_access.h)
// and may be served on a listener of their own (`pifind serve --read-listen`). GET pages come from the
// collector's snapshot, never under a lock commits need: /v1/inventory streams its lines as they are; the
// audit, the dashboard and the metrics, which walk the whole fleet, are rendered on a thread of their own, not
// on the I/O thread every report passes through.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/thread_pool.hpp>

#include "inventory/collector/collector.h"
#include "inventory/collector/dashboard_page.h"
#include "inventory/collector/http_server.h"
#include "inventory/collector/read_access.h"
#include "inventory/outputs/audit.h"

namespace pifind {

struct RouteOptions {
  /// The audit thresholds of the dashboard and /v1/audit.
  AuditThresholds thresholds;
  /// Who may read; null: anyone. Must outlive the handler.
  const ReadAccess* access = nullptr;
  /// This listener takes reports and scans (POST /v1/reports, /v1/scans) and/or serves reads (GET /,
  /// /v1/inventory, /v1/audit, /metrics).
  bool reports = true;
  bool reads = true;
  /// /metrics lists per-host series (labels host and mac); false keeps it to the collector's counters.
  bool metrics_per_host = true;
};

class CollectorRoutes {
 public:
  CollectorRoutes(Collector& collector, RouteOptions options);
  CollectorRoutes(const CollectorRoutes&) = delete;
  CollectorRoutes& operator=(const CollectorRoutes&) = delete;
  /// Waits for the pages being rendered. Their replies are posted to the server's io_context, so destroy
  /// this after that stopped running and before it is destroyed.
  ~CollectorRoutes();

  /// The request handler for an HttpServer; it refers to this object. `reports` and `reads` say which routes
  /// this listener serves (the options' by default).
  HttpHandler handler(bool reports, bool reads);
  HttpHandler handler() { return handler(options_.reports, options_.reads); }

 private:
  void handle(const HttpRequest& request, std::function<void(HttpResponse)> reply, bool reports, bool reads);
  /// The body of GET `path` (/metrics, /v1/audit or /), rendered again once the last one is kPageReuse old
  /// (renderer thread only). Replies share it.
  DashboardPieces page(std::string_view path);

  /// A page rendered once and served to every request in the next kPageReuse.
  struct RenderedPage {
    std::chrono::steady_clock::time_point at{};
    std::shared_ptr<const std::string> body;
  };

  Collector& collector_;
  const RouteOptions options_;
  RenderedPage metrics_, audit_;
  /// The dashboard is the audit's JSON in the page, made again from each new `audit_` (`dashboard_of_`).
  DashboardPieces dashboard_;
  std::shared_ptr<const std::string> dashboard_of_;
  boost::asio::thread_pool renderer_{1};
  /// Pages waiting for or being rendered; beyond a few more are answered 503 rather than queued.
  std::atomic<std::size_t> rendering_{0};
};

/// HttpServer's default limits with the bodies the routes take: a report's (kMaxReportBytes) everywhere, a
/// scan's (kMaxScanBytes) on /v1/scans only.
HttpLimits collector_http_limits();

}  // namespace pifind
