// GET /: the fleet dashboard, one self-contained HTML page (inline CSS, JS and SVG, no external assets) whose
// script draws the audit embedded in it, then refreshes it from GET /v1/audit without reloading.
#pragma once

#include <string>

#include "inventory/outputs/audit.h"

namespace pifind {

/// The page for `audit` (dashboard.html with the audit's JSON in it).
std::string render_dashboard_page(const AuditResult& audit);

}  // namespace pifind
