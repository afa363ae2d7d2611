// The collector's HTTP surface: POST /v1/reports, GET /v1/inventory, /v1/audit (the dashboard's audit, as
// `pifind audit --format json` prints it), /metrics, /healthz and / (dashboard), mapped onto a Collector. Every error is a 4xx/5xx with a one-line text reason.
#pragma once

#include "inventory/collector/collector.h"
#include "inventory/collector/http_server.h"
#include "inventory/outputs/audit.h"

namespace pifind {

/// The request handler for HttpServer. `thresholds` are the audit's for the dashboard and /v1/audit.
HttpHandler make_collector_handler(Collector& collector, AuditThresholds thresholds);

}  // namespace pifind
