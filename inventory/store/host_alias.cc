#include "inventory/store/host_alias.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string address_of(const InventoryRecord& record, const std::optional<Ipv4Address>& ip) {
  if (ip) return ip->to_string();
  if (const auto ipv6 = record.reachable_ipv6()) return ipv6->to_string();
  return is_safe_alias(record.hostname) ? record.hostname : "";
}

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

std::vector<FleetHost> list_fleet_hosts(const Inventory& inventory, const FleetHostOptions& options) {
  if (!options.prefix.empty() && !is_safe_alias(options.prefix))
    throw Error("prefix '" + options.prefix + "' may only contain letters, digits, '.', '_' and '-'");
  std::vector<FleetHost> hosts;
  std::set<std::string> taken;
  // Records are in MAC order, so which of two same-named devices keeps the plain name is stable.
  for (const auto& [id, record] : inventory.records()) {
    if (!is_fleet_member(record) && !options.include_non_pi) continue;
    const auto ip = record.current_ip();
    // A scan-only device without a current address has left (or its address went to another device).
    if (!ip && !record.agent) continue;
    const std::string suffix = mac_digits(id).substr(6);
    std::string alias = options.prefix + (is_safe_alias(record.hostname) ? record.hostname : "pi-" + suffix);
    if (taken.count(alias)) alias += "-" + suffix;
    for (int n = 2; taken.count(alias); ++n) alias = fmt::format("{}-{}-{}", options.prefix + "pi", suffix, n);
    taken.insert(alias);
    hosts.push_back({alias, &record, ip, address_of(record, ip)});
  }
  std::sort(hosts.begin(), hosts.end(), [](const FleetHost& a, const FleetHost& b) { return a.alias < b.alias; });
  return hosts;
}

}  // namespace pifind
