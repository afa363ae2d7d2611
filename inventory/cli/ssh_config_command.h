// `pifind ssh-config`: the fleet's Pis as an Include-able ssh_config(5) file, on stdout or written atomically.
// Exit status 0 when some host was written, 1 when the inventory has none, 2 on error.
#pragma once

namespace pifind {

/// Runs `pifind ssh-config ...`; returns the exit status.
int run_ssh_config_command(int argc, char** argv);

}  // namespace pifind
