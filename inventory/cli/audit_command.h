// `pifind audit`: the fleet's clocks judged against thresholds, as a table or JSON, optionally drawn to SVG.
// Exit status 0 when every host passes, 1 when some fail, 2 on error.
#pragma once

namespace pifind {

/// Runs `pifind audit ...`; returns the exit status.
int run_audit_command(int argc, char** argv);

}  // namespace pifind
