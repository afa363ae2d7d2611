#include "inventory/cli/ssh_config_command.h"

#include <algorithm>
#include <iostream>

#include "inventory/cli/command_line.h"
#include "inventory/core/whole_file.h"
#include "inventory/outputs/ssh_config.h"
#include "inventory/store/inventory_file.h"

namespace pifind {

int run_ssh_config_command(int argc, char** argv) {
  CLI::App app{"Write an ssh_config file with one Host block per Raspberry Pi in the inventory", "pifind ssh-config"};
  std::string file = default_inventory_path();
  SshConfigOptions options;
  FleetHostOptions host_options;
  std::string write_path;
  app.add_option("--inventory", file, "Inventory file ($PIFIND_INVENTORY)")->capture_default_str();
  app.add_option("--user", options.user, "User name for every host");
  app.add_option("--identity-file", options.identity_file, "IdentityFile for every host");
  app.add_option("--prefix", host_options.prefix, "Prefix for every Host alias");
  app.add_flag("--all", host_options.include_non_pi, "Include devices that are not Raspberry Pis");
  app.add_option("--site", host_options.site, "Only the devices at this site (their aliases stay the same)");
  app.add_option("--write", write_path,
                 "Write to this file atomically, mode 0600 (e.g. ~/.ssh/config.d/pifind.conf), instead of stdout");
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  return run_reporting_errors("pifind ssh-config", [&] {
    options.source = file;
    const Inventory inventory = read_inventory_file(file);  // outlives hosts, which point into it
    const auto hosts = list_fleet_hosts(inventory, host_options);
    const std::string text = render_ssh_config(hosts, options);
    if (write_path.empty()) {
      std::cout << text;
    } else {
      write_file_atomically(write_path, text, 0600);
      const auto unreachable = static_cast<std::size_t>(
          std::count_if(hosts.begin(), hosts.end(), [](const FleetHost& h) { return h.address.empty(); }));
      std::cerr << "pifind ssh-config: wrote " << hosts.size() - unreachable << " hosts to " << write_path
                << (unreachable ? "; " + std::to_string(unreachable) + " with no known address are comments" : "")
                << '\n';
    }
    return hosts.empty() ? 1 : 0;
  });
}

}  // namespace pifind
