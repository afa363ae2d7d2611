// Test-only stand-in for the `pifind` binary: runs the fleet subcommands exactly as scanner/main.cc will,
// so the tests can drive `pifind export`, `pifind audit`, ... before (and independently of) the scanner.
#include <iostream>

#include "inventory/cli/fleet_commands.h"

int main(int argc, char** argv) {
  if (argc < 2 || !pifind::is_fleet_command(argv[1])) {
    std::cerr << "pifind-fleet-cli: expected a fleet subcommand\n";
    return 2;
  }
  return pifind::run_fleet_command(argc, argv);
}
