// GET /: the fleet dashboard, one self-contained HTML page (inline CSS, JS and SVG, no external assets):
// the audit table and a drift chart with error bars, drawn by the page's script from embedded JSON.
#pragma once

#include <string>

#include "inventory/outputs/audit.h"

namespace pifind {

/// The page for `audit`.
std::string render_dashboard_page(const AuditResult& audit);

}  // namespace pifind
