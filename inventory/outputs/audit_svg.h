// The audit as a standalone SVG picture: every host's drift with its ±uncertainty error bar against the
// threshold band, and below it the offset history of the few worst hosts.
#pragma once

#include <string>

#include "inventory/outputs/audit.h"

namespace pifind {

/// How many of the worst hosts get their offset history drawn.
inline constexpr std::size_t kSvgHistoryHosts = 5;

/// A complete SVG document (UTF-8, no external references). `inventory` supplies the drift histories.
std::string render_audit_svg(const AuditResult& audit, const Inventory& inventory);

}  // namespace pifind
