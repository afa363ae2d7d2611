// The collector's HTTP surface: POST /v1/reports and /v1/scans, GET /v1/inventory, /v1/audit (the dashboard's
// audit, as `pifind audit --format json` prints it), /metrics, /healthz and / (dashboard), mapped onto a
// Collector. Every error is a 4xx/5xx with a one-line text reason. Reads may need credentials (read_access.h)
// and may be served on a listener of their own (`pifind serve --read-listen`).
#pragma once

#include "inventory/collector/collector.h"
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

/// The request handler for HttpServer.
HttpHandler make_collector_handler(Collector& collector, RouteOptions options);

/// HttpServer's default limits with the bodies the routes take: a report's (kMaxReportBytes) everywhere, a
/// scan's (kMaxScanBytes) on /v1/scans only.
HttpLimits collector_http_limits();

}  // namespace pifind
