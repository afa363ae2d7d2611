// GET /: the fleet dashboard, one self-contained HTML page (inline CSS, JS and SVG, no external assets):
// the audit table and a drift chart with error bars, drawn by the page's script from embedded JSON.
#pragma once

#include <string>

#include "inventory/outputs/audit.h"

namespace pifind {

/// Hosts the page lists at most; the summary always covers the whole fleet (`pifind audit` lists every host).
inline constexpr std::size_t kDashboardHosts = 1000;

/// The page for `audit`; `records` supply the drift histories of the worst hosts. A fleet larger than
/// kDashboardHosts is listed by its worst hosts: failing with a drift estimate (largest |drift| first), failing
/// without one, then passing (largest |drift| first).
std::string render_dashboard_page(const AuditResult& audit, RecordsView records);

}  // namespace pifind
