#include "inventory/collector/dashboard_page.h"

#include <nlohmann/json.hpp>

#include "inventory/collector/dashboard_html.h"

namespace pifind {
namespace {

// The audit as JSON safe inside <script>: '<' is escaped so no text from the network can close the element.
std::string script_safe(const std::string& json) {
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
  const std::size_t at = kDashboardHtml.find(kFleetDataMarker);
  std::string page(kDashboardHtml.substr(0, at));
  page += script_safe(audit_to_json(audit).dump());
  page += kDashboardHtml.substr(at + kFleetDataMarker.size());
  return page;
}

}  // namespace pifind
