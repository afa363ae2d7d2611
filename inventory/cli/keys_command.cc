#include "inventory/cli/keys_command.h"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/cli/command_line.h"
#include "inventory/core/error.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory_file.h"

namespace pifind {
namespace {

struct KeyRow {
  std::string agent, state, fingerprint, key, detail;
};

// Every device key the inventory knows: pinned (live devices), retired (pruned devices), pending.
std::vector<KeyRow> key_rows(const Inventory& inventory) {
  std::vector<KeyRow> rows;
  for (const auto& [id, record] : inventory.records()) {
    if (!record.agent) continue;
    const AgentState& a = *record.agent;
    const std::string name = record.alias.empty() ? id.to_string() : record.alias;
    if (a.key)
      rows.push_back({a.agent_id, "pinned", a.key->fingerprint(), a.key->to_string(),
                      fmt::format("{} by {} {}", name, pinned_by_name(a.pinned_by), format_utc(a.key_pinned))});
    else
      rows.push_back({a.agent_id, "unkeyed", "-", "", name + " (an agent that signs with the fleet key only)"});
  }
  for (const auto& [agent, r] : inventory.retired_agents())
    if (r.key)
      rows.push_back({agent.to_string(), "retired", r.key->fingerprint(), r.key->to_string(),
                      "pruned before " + format_utc(r.retired)});
  for (const auto& [agent, p] : inventory.pending_keys())
    rows.push_back({agent.to_string(), "pending", p.key.fingerprint(), p.key.to_string(),
                    fmt::format("{} {} reports:{} last {}", p.hostname.empty() ? "-" : p.hostname,
                                p.address.empty() ? "-" : p.address, p.reports, format_utc(p.last_seen))});
  return rows;
}

MacAddress parse_agent(const std::string& text) {
  const auto mac = MacAddress::parse(text);
  if (!mac) throw Error("'" + text.substr(0, 40) + "' is not a MAC address");
  return *mac;
}

}  // namespace

int run_keys_command(int argc, char** argv) {
  CLI::App app{"List, approve and forget the device keys pinned to the fleet's agents", "pifind keys"};
  std::string file = default_inventory_path();
  std::string agent_text, key_text, format = "table";
  app.require_subcommand(1);
  auto* list = app.add_subcommand("list", "Pinned, pending and retired keys, one per line");
  list->add_option("--inventory", file, "Inventory file")->capture_default_str();
  list->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  auto* approve = app.add_subcommand("approve", "Pin a key to a device: the one pending for it, or --key");
  approve->add_option("--inventory", file, "Inventory file")->capture_default_str();
  approve->add_option("AGENT", agent_text, "The agent's MAC (its X-Pifind-Agent)")->required();
  approve->add_option("--key", key_text, "ed25519=<base64> as `pifind-agent key` prints it on the device");
  auto* forget = app.add_subcommand("forget", "Revoke a device's key and reset its counter (a re-imaged Pi)");
  forget->add_option("--inventory", file, "Inventory file")->capture_default_str();
  forget->add_option("AGENT", agent_text, "The agent's MAC")->required();
  if (auto status = parse_command_line(app, argc, argv)) return *status;

  return run_reporting_errors("pifind keys", [&] {
    if (list->parsed()) {
      const auto rows = key_rows(read_inventory_file(file));
      if (format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : rows)
          out.push_back({{"agent", r.agent}, {"state", r.state}, {"fingerprint", r.fingerprint}, {"key", r.key},
                         {"detail", r.detail}});
        std::cout << out.dump(2) << '\n';
      } else {
        std::cout << fmt::format("{:<17}  {:<8}  {:<50}  {}\n", "AGENT", "STATE", "FINGERPRINT", "DEVICE");
        for (const auto& r : rows)
          std::cout << fmt::format("{:<17}  {:<8}  {:<50}  {}\n", r.agent, r.state, r.fingerprint, r.detail);
      }
      return 0;
    }
    const MacAddress agent = parse_agent(agent_text);
    read_inventory_file(file);  // a missing file is an error here, not an empty inventory to create
    if (approve->parsed()) {
      std::optional<DevicePublicKey> key;
      if (!key_text.empty()) {
        key = DevicePublicKey::parse(key_text);
        if (!key) throw Error("--key must be ed25519=<base64 of 32 bytes>, as `pifind-agent key` prints it");
      }
      std::optional<DevicePublicKey> pinned;
      update_inventory_file(file, [&](Inventory& inventory) {
        pinned = approve_device_key(inventory, agent, key, std::chrono::system_clock::now());
      });
      std::cout << "pinned " << pinned->fingerprint() << " to " << agent.to_string() << '\n';
      return 0;
    }
    std::optional<DevicePublicKey> forgotten;
    update_inventory_file(file, [&](Inventory& inventory) { forgotten = forget_device_key(inventory, agent); });
    std::cout << (forgotten ? "forgot " + forgotten->fingerprint() + " of " : "reset the counter of ")
              << agent.to_string() << "; its next signed report pins its new key\n";
    return 0;
  });
}

}  // namespace pifind
