// GET /: the fleet dashboard, one self-contained HTML page (inline CSS, JS and SVG, no external assets) whose
// script draws the audit embedded in it, then refreshes it from GET /v1/audit without reloading.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/outputs/audit.h"

namespace pifind {

/// The page for `audit` (dashboard.html with the audit's JSON in it).
std::string render_dashboard_page(const AuditResult& audit);

/// The same page as pieces around the audit's JSON text as GET /v1/audit serves it, which the collector renders
/// once for both: that text is a piece itself unless it holds a '<' to escape. The pieces live while `owner` does.
struct DashboardPieces {
  std::vector<std::string_view> pieces;
  std::shared_ptr<const std::string> owner;
};
DashboardPieces dashboard_page_pieces(std::shared_ptr<const std::string> audit_json);

}  // namespace pifind
