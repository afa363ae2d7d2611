#include "inventory/cli/fleet_commands.h"

#include <array>
#include <iostream>

#include "inventory/cli/audit_command.h"
#include "inventory/cli/export_command.h"
#include "inventory/cli/inventory_command.h"
#include "inventory/cli/keys_command.h"
#include "inventory/cli/serve_command.h"
#include "inventory/cli/ssh_config_command.h"

namespace pifind {
namespace {

struct FleetCommand {
  std::string_view name;
  int (*run)(int, char**);
};

constexpr std::array kCommands{
    FleetCommand{"inventory", run_inventory_command},
    FleetCommand{"ssh-config", run_ssh_config_command},
    FleetCommand{"export", run_export_command},
    FleetCommand{"audit", run_audit_command},
    FleetCommand{"serve", run_serve_command},
    FleetCommand{"keys", run_keys_command},
};

}  // namespace

bool is_fleet_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (c.name == name) return true;
  return false;
}

int run_fleet_command(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "pifind: no subcommand given\n";
    return 2;
  }
  for (const auto& c : kCommands)
    if (c.name == argv[1]) return c.run(argc, argv);
  std::cerr << "pifind: unknown subcommand '" << argv[1] << "'\n";
  return 2;
}

}  // namespace pifind
