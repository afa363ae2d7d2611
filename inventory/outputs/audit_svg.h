// The audit as a standalone SVG picture: every host's drift with its ±uncertainty error bar against the
// threshold band, and below it the offset history of the few worst hosts.
#pragma once

#include <string>

#include "inventory/outputs/audit.h"

namespace pifind {

/// A complete SVG document (UTF-8, no external references); the history panel draws `audit.histories`.
std::string render_audit_svg(const AuditResult& audit);

}  // namespace pifind
