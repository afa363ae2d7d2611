#include "inventory/cli/export_command.h"

#include <iostream>

#include "inventory/cli/command_line.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/outputs/export_ansible.h"
#include "inventory/outputs/export_table.h"
#include "inventory/store/inventory_file.h"

namespace pifind {

int run_export_command(int argc, char** argv) {
  CLI::App app{"Export the inventory for Ansible, scripts and spreadsheets", "pifind export"};
  std::string file = default_inventory_path();
  std::string format = "ansible-ini";
  std::string output;
  std::string host_name;
  bool list = false;
  FleetHostOptions host_options;
  AnsibleOptions ansible;
  app.add_option("--inventory", file, "Inventory file ($PIFIND_INVENTORY)")->capture_default_str();
  app.add_option("--format", format, "ansible-ini, ansible-yaml, json or csv")
      ->check(CLI::IsMember({"ansible-ini", "ansible-yaml", "json", "csv"}))
      ->capture_default_str();
  app.add_option("--user", ansible.user, "ansible_user for every host");
  app.add_option("--prefix", host_options.prefix, "Prefix for every host name");
  app.add_flag("--all", host_options.include_non_pi, "Include devices that are not Raspberry Pis");
  app.add_option("--site", host_options.site, "Only the devices at this site (their names stay the same)");
  app.add_option("--output,-o", output, "Write to this file atomically instead of stdout");
  auto* list_flag = app.add_flag("--list", list, "Ansible dynamic inventory: every group and host, with _meta");
  app.add_option("--host", host_name, "Ansible dynamic inventory: one host's variables")->excludes(list_flag);
  if (auto status = parse_command_line(app, argc, argv)) return *status;

  return run_reporting_errors("pifind export", [&] {
    const Inventory inventory = read_inventory_file(file);  // outlives hosts, which point into it
    const auto hosts = list_fleet_hosts(inventory, host_options);
    std::string text;
    if (list) {
      text = ansible_dynamic_list(hosts, ansible).dump(2) + "\n";
    } else if (!host_name.empty()) {
      // With _meta in --list Ansible never asks; answer anyway, {} for an unknown host as the protocol wants.
      nlohmann::json vars = nlohmann::json::object();
      for (const auto& h : hosts)
        if (h.alias == host_name) vars = ansible_host_vars(h, ansible);
      text = vars.dump(2) + "\n";
    } else if (format == "ansible-ini") {
      text = render_ansible_ini(hosts, ansible);
    } else if (format == "ansible-yaml") {
      text = render_ansible_yaml(hosts, ansible);
    } else if (format == "json") {
      text = render_hosts_json(hosts);
    } else {
      text = render_hosts_csv(hosts);
    }
    if (output.empty())
      std::cout << text;
    else
      write_file_atomically(output, text, 0644);
    return 0;
  });
}

}  // namespace pifind
