// `pifind-agent analyze FILE`: the drift estimate of a log in the seed's adjtimex --compare format,
// printed as text (or JSON), next to the seed's own endpoint arithmetic for comparison.
#pragma once

#include <ostream>
#include <string>

namespace pifind::agent {

/// Reads `path`, prints the estimate to `out`. Returns the exit status: 0 with an estimate, 1 when the
/// log has too few comparisons for one. Throws pifind::Error for an unreadable log or one without rows.
int run_analyze(const std::string& path, bool json, std::ostream& out);

}  // namespace pifind::agent
