// `pifind serve`: the collector daemon. Loads the inventory, listens (optionally with TLS), accepts signed
// agent reports and serves the inventory, metrics and dashboard until SIGINT or SIGTERM.
#pragma once

namespace pifind {

/// Runs `pifind serve ...`; returns the exit status (0 after a clean stop, 2 on error).
int run_serve_command(int argc, char** argv);

}  // namespace pifind
