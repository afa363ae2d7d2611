#include "inventory/store/host_alias.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// FleetHost::address: the IPv4 address, else a reachable IPv6 one, else a safe name (the agent's hostname,
// else the name a scan found, "pi-rack-1.local" say).
std::string address_of(const InventoryRecord& record, const std::optional<Ipv4Address>& ip) {
  if (ip) return ip->to_string();
  if (const auto ipv6 = record.reachable_ipv6()) return ipv6->to_string();
  if (is_safe_alias(record.hostname)) return record.hostname;
  return record.seen_name && is_safe_alias(record.seen_name->name) ? record.seen_name->name : "";
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

namespace {

std::string mac_suffix(const MacAddress& mac) { return mac_digits(mac).substr(6); }

// The first of `wanted`, `wanted-<suffix>`, `pi-<suffix>-2`, `pi-<suffix>-3`, ... that `free` accepts.
template <typename IsFree>
std::string first_free_alias(const std::string& wanted, const MacAddress& id, IsFree is_free) {
  if (is_free(wanted)) return wanted;
  const std::string suffixed = wanted + "-" + mac_suffix(id);
  if (is_free(suffixed)) return suffixed;
  for (int n = 2;; ++n)
    if (std::string alias = fmt::format("pi-{}-{}", mac_suffix(id), n); is_free(alias)) return alias;
}

}  // namespace

std::optional<std::string> alias_base_name(const InventoryRecord& record) {
  if (is_safe_alias(record.hostname)) return record.hostname;
  if (!record.seen_name) return std::nullopt;
  // "pi-rack-1.local" and "pi-rack-1.example.org" are both typed as "pi-rack-1".
  const std::string& name = record.seen_name->name;
  const std::string label = name.substr(0, name.find('.'));
  if (is_safe_alias(label)) return label;
  return std::nullopt;
}

std::string wanted_alias(const InventoryRecord& record) {
  return alias_base_name(record).value_or("pi-" + mac_suffix(record.id));
}

void give_alias(Inventory& inventory, InventoryRecord& record, TimePoint at) {
  const std::string wanted = wanted_alias(record);
  auto is_free = [&](const std::string& alias) {
    const InventoryRecord* holder = inventory.find_by_alias(alias);
    return holder == nullptr || holder->id == record.id;
  };
  // Already named for what it wants: the plain name, or the suffixed one while another holds the plain one.
  if (record.alias == wanted) return;
  if (!record.alias.empty() && !is_free(wanted) && record.alias.rfind(wanted + "-", 0) == 0) return;
  inventory.set_alias(record, first_free_alias(wanted, record.id, is_free), at);
}

void give_missing_aliases(Inventory& inventory) {
  std::vector<MacAddress> unnamed;
  for (const auto& [id, record] : inventory.records()) {
    // A device an operator approved (`pifind keys approve`) that has not reported yet is named by its first
    // report, not "pi-..." now and renamed then.
    const bool awaiting_first_report = record.agent && record.agent->last_report == TimePoint{} && record.ips.empty();
    if (record.alias.empty() && is_fleet_member(record) && !awaiting_first_report) unnamed.push_back(id);
  }
  for (const auto& id : unnamed) {
    InventoryRecord& record = *inventory.find_by_mac(id);
    give_alias(inventory, record, record.last_seen);
    record.alias_changes.clear();  // not a change: the name it always had
  }
}

std::vector<FleetHost> list_fleet_hosts(const Inventory& inventory, const FleetHostOptions& options) {
  return list_fleet_hosts(inventory.record_list(), options);
}

std::vector<FleetHost> list_fleet_hosts(RecordsView records, const FleetHostOptions& options) {
  if (!options.prefix.empty() && !is_safe_alias(options.prefix))
    throw Error("prefix '" + options.prefix + "' may only contain letters, digits, '.', '_' and '-'");
  std::vector<FleetHost> hosts;
  std::unordered_set<std::string> taken;  // 100,000 devices: hashed, not ordered
  for (const InventoryRecord* record : records)
    if (!record->alias.empty()) taken.insert(record->alias);
  // Records are in MAC order, so the names of devices without a stored alias are stable too.
  for (const InventoryRecord* pointer : records) {
    const InventoryRecord& record = *pointer;
    const MacAddress& id = record.id;
    if (!is_fleet_member(record) && !options.include_non_pi) continue;
    const auto ip = record.current_ip();
    // A scan-only device without a current address has left (or its address went to another device).
    if (!ip && !record.agent) continue;
    std::string alias = record.alias;
    if (alias.empty()) {
      alias = first_free_alias(wanted_alias(record), id, [&](const std::string& a) { return taken.count(a) == 0; });
      taken.insert(alias);
    }
    if (!options.site.empty() && record.site != options.site) continue;
    hosts.push_back({options.prefix + alias, &record, ip, address_of(record, ip)});
  }
  std::sort(hosts.begin(), hosts.end(), [](const FleetHost& a, const FleetHost& b) { return a.alias < b.alias; });
  return hosts;
}

}  // namespace pifind
