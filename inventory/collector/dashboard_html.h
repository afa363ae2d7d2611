// The dashboard page's source, inventory/collector/dashboard.html, compiled in at build time (CMake reads the
// file into dashboard_html.cc) so that `pifind serve` is one binary with no files to find at run time.
#pragma once

#include <string_view>

namespace pifind {

/// The whole page, with the marker kFleetDataMarker where the audit's JSON goes.
extern const std::string_view kDashboardHtml;
inline constexpr std::string_view kFleetDataMarker = "/*PIFIND-FLEET-DATA*/";

}  // namespace pifind
