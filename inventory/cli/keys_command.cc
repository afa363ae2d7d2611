#include "inventory/cli/keys_command.h"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/cli/command_line.h"
#include "inventory/cli/scan_uplink.h"
#include "inventory/core/error.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory_file.h"
#include "inventory/transport/device_key_file.h"

namespace pifind {
namespace {

struct KeyRow {
  SenderKind kind;
  std::string id, state, fingerprint, key, detail;
};

std::string pinned_detail(const std::string& device, const PinnedKeys& keys) {
  return fmt::format("{} by {} {}", device, pinned_by_name(keys.pinned_by), format_utc(keys.key_pinned));
}

// Every device key the inventory knows, agents' then scanners': pinned (live devices), retired (pruned
// devices, displaced scanners), pending.
std::vector<KeyRow> key_rows(const Inventory& inventory) {
  std::vector<KeyRow> rows;
  for (const auto& [id, record] : inventory.records()) {
    if (!record.agent) continue;
    const AgentState& a = *record.agent;
    const std::string name = record.alias.empty() ? id.to_string() : record.alias;
    if (a.key)
      rows.push_back({SenderKind::kAgent, a.agent_id, "pinned", a.key->fingerprint(), a.key->to_string(),
                      pinned_detail(name, a)});
    else
      rows.push_back({SenderKind::kAgent, a.agent_id, "unkeyed", "-", "",
                      name + " (an agent that signs with the fleet key only)"});
  }
  for (const auto& [id, record] : inventory.records()) {
    const std::string name = record.alias.empty() ? id.to_string() : record.alias;
    for (const auto& s : record.scanners) {
      const std::string where = fmt::format("on {}{}", name, s.site.empty() ? "" : " at " + s.site);
      if (s.key)
        rows.push_back({SenderKind::kScanner, s.id.to_string(), "pinned", s.key->fingerprint(), s.key->to_string(),
                        pinned_detail(where, s)});
      else
        rows.push_back({SenderKind::kScanner, s.id.to_string(), "unkeyed", "-", "",
                        where + " (a scanner that signs with the fleet key only)"});
    }
  }
  for (const SenderKind kind : {SenderKind::kAgent, SenderKind::kScanner}) {
    for (const auto& [sender, r] : inventory.retired(kind))
      if (r.key)
        rows.push_back({kind, sender.to_string(), "retired", r.key->fingerprint(), r.key->to_string(),
                        "pruned before " + format_utc(r.retired)});
    for (const auto& [sender, p] : inventory.pending_keys(kind))
      rows.push_back({kind, sender.to_string(), "pending", p.key.fingerprint(), p.key.to_string(),
                      fmt::format("{} {}{} {}:{} last {}", p.hostname.empty() ? "-" : p.hostname,
                                  p.address.empty() ? "-" : p.address, p.site.empty() ? "" : " at " + p.site,
                                  kind == SenderKind::kScanner ? "scans" : "reports", p.reports,
                                  format_utc(p.last_seen))});
  }
  return rows;
}

MacAddress parse_sender(const std::string& text) {
  const auto mac = MacAddress::parse(text);
  if (!mac) throw Error("'" + text.substr(0, 40) + "' is not a MAC address");
  return *mac;
}

}  // namespace

int run_keys_command(int argc, char** argv) {
  CLI::App app{"List, approve and forget the device keys pinned to the fleet's agents and scanners", "pifind keys"};
  std::string file = default_inventory_path();
  std::string sender_text, key_text, format = "table", state_dir = default_scan_state_dir().string();
  bool scanner = false;
  app.require_subcommand(1);
  auto* list = app.add_subcommand("list", "Pinned, pending and retired keys of agents and scanners, one per line");
  list->add_option("--inventory", file, "Inventory file")->capture_default_str();
  list->add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  auto* approve = app.add_subcommand("approve", "Pin a key to a device or scanner: the one pending for it, or --key");
  approve->add_option("--inventory", file, "Inventory file")->capture_default_str();
  approve->add_option("MAC", sender_text, "The agent's MAC (its X-Pifind-Agent) or the scanner's (X-Pifind-Scanner)")
      ->required();
  approve->add_option("--key", key_text,
                      "ed25519=<base64> as `pifind-agent key` (or, for a scanner, `pifind keys self`) prints it");
  approve->add_flag("--scanner", scanner, "MAC is a scanner's (needed when an agent has the same MAC)");
  auto* forget = app.add_subcommand("forget", "Revoke a device's or scanner's key and reset its counter (re-imaged)");
  forget->add_option("--inventory", file, "Inventory file")->capture_default_str();
  forget->add_option("MAC", sender_text, "The agent's or the scanner's MAC")->required();
  forget->add_flag("--scanner", scanner, "MAC is a scanner's (needed when an agent has the same MAC)");
  auto* self = app.add_subcommand("self", "Print this machine's scanner key (made by its first scan) to compare or approve");
  self->add_option("--state-dir", state_dir, "The scanner's state directory (pifind --state-dir)")->capture_default_str();
  if (auto status = parse_command_line(app, argc, argv)) return *status;

  return run_reporting_errors("pifind keys", [&] {
    if (list->parsed()) {
      const auto rows = key_rows(read_inventory_file(file));
      if (format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : rows)
          out.push_back({{"kind", sender_kind_name(r.kind)}, {"id", r.id}, {"state", r.state},
                         {"fingerprint", r.fingerprint}, {"key", r.key}, {"detail", r.detail}});
        std::cout << out.dump(2) << '\n';
      } else {
        std::cout << fmt::format("{:<7}  {:<17}  {:<8}  {:<50}  {}\n", "KIND", "MAC", "STATE", "FINGERPRINT", "DEVICE");
        for (const auto& r : rows)
          std::cout << fmt::format("{:<7}  {:<17}  {:<8}  {:<50}  {}\n", sender_kind_name(r.kind), r.id, r.state,
                                   r.fingerprint, r.detail);
      }
      return 0;
    }
    if (self->parsed()) {
      // Read only: a key made here by root would be root's, and the scanner's own user could not read it.
      const auto private_key = load_device_key(state_dir);
      if (!private_key)
        throw Error(fmt::format("no device key in {} yet: the scanner makes it on its first scan with --collector",
                                state_dir));
      const DevicePublicKey key = private_key->public_key();
      std::cout << key.to_string() << ' ' << key.fingerprint() << '\n';
      return 0;
    }
    const MacAddress sender = parse_sender(sender_text);
    std::optional<DevicePublicKey> key;
    if (approve->parsed() && !key_text.empty()) {
      key = DevicePublicKey::parse(key_text);
      if (!key) throw Error("--key must be ed25519=<base64 of 32 bytes>, as `pifind-agent key` prints it");
    }
    // One read under the lock decides the kind and makes the change; a missing file is an error, not one to create.
    SenderKind kind = SenderKind::kAgent;
    std::optional<DevicePublicKey> changed;
    update_inventory_file(
        file,
        [&](Inventory& inventory) {
          kind = scanner ? SenderKind::kScanner : known_kind(inventory, sender);
          if (approve->parsed())
            changed = approve_device_key(inventory, kind, sender, key, std::chrono::system_clock::now());
          else
            changed = forget_device_key(inventory, kind, sender);
        },
        false);
    const std::string who = fmt::format("{} {}", sender_kind_name(kind), sender.to_string());
    if (approve->parsed()) {
      std::cout << "pinned " << changed->fingerprint() << " to " << who << '\n';
      return 0;
    }
    std::cout << (changed ? "forgot " + changed->fingerprint() + " of " : "reset the counter of ") << who
              << "; its next signed " << (kind == SenderKind::kScanner ? "scan" : "report") << " pins its new key\n";
    return 0;
  });
}

}  // namespace pifind
