#include "inventory/store/host_alias.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

bool is_fleet_member(const InventoryRecord& record) { return record.raspberry_pi || record.agent.has_value(); }

bool is_safe_alias(std::string_view name) {
  if (name.empty() || name.size() > 64 || !is_alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

std::string mac_digits(const MacAddress& mac) {
  std::string digits;
  for (const auto b : mac.bytes()) digits += fmt::format("{:02x}", b);
  return digits;
}

std::optional<std::string> alias_base_name(const InventoryRecord& record) {
  if (is_safe_alias(record.hostname)) return record.hostname;
  if (!record.seen_name) return std::nullopt;
  // "pi-rack-1.local" and "pi-rack-1.example.org" are both typed as "pi-rack-1".
  const std::string& name = record.seen_name->name;
  const std::string label = name.substr(0, name.find('.'));
  if (is_safe_alias(label)) return label;
  return std::nullopt;
}

std::vector<FleetHost> list_fleet_hosts(const Inventory& inventory, const FleetHostOptions& options) {
  if (!options.prefix.empty() && !is_safe_alias(options.prefix))
    throw Error("prefix '" + options.prefix + "' may only contain letters, digits, '.', '_' and '-'");
  std::vector<FleetHost> hosts;
  std::set<std::string> taken;
  // Records are in MAC order, so which of two same-named devices keeps the plain name is stable.
  for (const auto& [id, record] : inventory.records()) {
    if (!is_fleet_member(record) && !options.include_non_pi) continue;
    const auto ip = record.current_ip();
    if (!ip) continue;
    const std::string suffix = mac_digits(id).substr(6);
    std::string alias = options.prefix + alias_base_name(record).value_or("pi-" + suffix);
    if (taken.count(alias)) alias += "-" + suffix;
    for (int n = 2; taken.count(alias); ++n) alias = fmt::format("{}-{}-{}", options.prefix + "pi", suffix, n);
    taken.insert(alias);
    if (!options.site.empty() && record.site != options.site) continue;
    hosts.push_back({alias, &record, *ip});
  }
  std::sort(hosts.begin(), hosts.end(), [](const FleetHost& a, const FleetHost& b) { return a.alias < b.alias; });
  return hosts;
}

}  // namespace pifind
