// `pifind export`: the inventory as an Ansible inventory (INI, YAML, or a dynamic-inventory script with
// --list/--host), JSON or CSV, on stdout or written atomically to a file.
#pragma once

namespace pifind {

/// Runs `pifind export ...`; returns the exit status.
int run_export_command(int argc, char** argv);

}  // namespace pifind
