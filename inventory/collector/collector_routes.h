// The collector's HTTP surface: POST /v1/reports and /v1/scans, GET /v1/inventory, /metrics, /healthz and /
// (dashboard), mapped onto a Collector. Every error is a 4xx/5xx with a one-line text reason.
#pragma once

#include "inventory/collector/collector.h"
#include "inventory/collector/http_server.h"
#include "inventory/outputs/audit.h"

namespace pifind {

/// The request handler for HttpServer. `thresholds` are the dashboard's audit thresholds.
HttpHandler make_collector_handler(Collector& collector, AuditThresholds thresholds);

/// HttpServer's default limits with the bodies the routes take: a report's (kMaxReportBytes) everywhere, a
/// scan's (kMaxScanBytes) on /v1/scans only.
HttpLimits collector_http_limits();

}  // namespace pifind
