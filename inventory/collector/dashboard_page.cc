#include "inventory/collector/dashboard_page.h"

#include "inventory/collector/dashboard_html.h"

namespace pifind {
namespace {

// The audit as JSON safe inside <script>: '<' is escaped so no text from the network can close the element.
std::string script_safe(std::string_view json) {
  std::string safe;
  safe.reserve(json.size());
  for (char c : json) {
    if (c == '<')
      safe += "\\u003c";
    else
      safe += c;
  }
  return safe;
}

}  // namespace

std::string render_dashboard_page(const AuditResult& audit) {
  const DashboardPieces parts = dashboard_page_pieces(std::make_shared<const std::string>(audit_json_text(audit)));
  std::string page;
  for (const auto piece : parts.pieces) page += piece;
  return page;
}

DashboardPieces dashboard_page_pieces(std::shared_ptr<const std::string> audit_json) {
  if (audit_json->find('<') != std::string::npos)
    audit_json = std::make_shared<const std::string>(script_safe(*audit_json));
  const std::size_t at = kDashboardHtml.find(kFleetDataMarker);
  return {{kDashboardHtml.substr(0, at), *audit_json, kDashboardHtml.substr(at + kFleetDataMarker.size())},
          std::move(audit_json)};
}

}  // namespace pifind
