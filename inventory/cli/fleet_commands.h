// The `pifind` subcommands built on the inventory: serve, ssh-config, export, audit, inventory.
// scanner/main.cc hands argv over when argv[1] names one of them.
#pragma once

#include <string_view>

namespace pifind {

/// True when `name` is a fleet subcommand of pifind: serve, ssh-config, export, audit, inventory.
bool is_fleet_command(std::string_view name);

/// Runs `pifind SUBCOMMAND ...`: argv[0] is "pifind", argv[1] the subcommand. Returns the exit status (0/1/2); prints one-line errors itself.
int run_fleet_command(int argc, char** argv);

}  // namespace pifind
