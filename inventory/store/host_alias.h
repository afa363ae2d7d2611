// The names users type for devices (ssh aliases, Ansible host names): only [A-Za-z0-9._-], unique, from the
// device's name with its precedence when it is safe (the agent's hostname, else the first label of the name a
// scan found by mDNS or reverse DNS), else "pi-<last three MAC octets>". Network-supplied text never leaks in.
// A device keeps its alias once given (stored in its record): a newcomer whose name collides gets the
// suffix "-<last three MAC octets>", never the device that had the name, whatever the MACs' order.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/store/inventory.h"

namespace pifind {

/// True if `name` is non-empty, at most 64 characters, only [A-Za-z0-9._-], and starts with a letter or digit.
bool is_safe_alias(std::string_view name);

/// Raspberry Pis and any device running pifind-agent: what ssh-config, exports and the audit list by default.
bool is_fleet_member(const InventoryRecord& record);

/// One device as the exports list it.
struct FleetHost {
  std::string alias;
  const InventoryRecord* record = nullptr;
  /// The current IPv4 address, when the inventory knows one.
  std::optional<Ipv4Address> ip;
  /// Where ssh and Ansible reach the device: its current IPv4 address, else the IPv6 address
  /// InventoryRecord::reachable_ipv6() picks, else the agent's hostname or else the name a scan found, when
  /// alias-safe (for DNS or mDNS to resolve); empty when none is known.
  std::string address;

  /// Its agent has reported (pifind-agent runs on it); unmanaged devices are known from scans only.
  bool managed() const { return record->agent.has_value(); }
};

struct FleetHostOptions {
  /// Prepended to every alias; must itself be alias-safe (or empty).
  std::string prefix;
  /// List devices that are neither Raspberry Pis nor run an agent too.
  bool include_non_pi = false;
  /// List only the devices at this site ("" for every device). A device has the same alias with and without
  /// the filter.
  std::string site;
};

/// The base of `record`'s alias: its hostname when alias-safe, else the first label of the name a scan found
/// ("pi-rack-1" of "pi-rack-1.local") when that is, else nothing.
std::optional<std::string> alias_base_name(const InventoryRecord& record);

/// The alias `record` asks for: alias_base_name(), else "pi-<last three MAC octets>".
std::string wanted_alias(const InventoryRecord& record);

/// Gives `record` (a fleet member of `inventory`) its alias, or moves it after its name changed: the
/// wanted alias when no other record holds it, else the wanted alias with "-<MAC suffix>" (then "-2", ...).
/// A record already holding the suffixed form of the name it wants keeps it. Changes are noted in the
/// record's alias_changes.
void give_alias(Inventory& inventory, InventoryRecord& record, TimePoint at);
/// give_alias() for every fleet member without an alias, in MAC order (inventories written before
/// aliases were stored get the names they had, since those were given in the same order).
void give_missing_aliases(Inventory& inventory);

/// The listed devices in alias order: every device whose agent has reported, whatever addresses it has
/// (reporting through NAT, a VPN or over IPv6 only), and the others with a current IPv4 address. They point
/// into `inventory`, which must outlive them. A device's stored alias is used as it is; one without (non-Pi devices listed with include_non_pi) is named the same
/// way, around the stored ones.
/// Throws Error if the prefix is not alias-safe.
std::vector<FleetHost> list_fleet_hosts(const Inventory& inventory, const FleetHostOptions& options);
std::vector<FleetHost> list_fleet_hosts(Inventory&&, const FleetHostOptions&) = delete;
/// The same for records in MAC order; the hosts point where `records` point.
std::vector<FleetHost> list_fleet_hosts(RecordsView records, const FleetHostOptions& options);

/// "b827eb0a0b0c": the MAC as 12 hex digits, for HostKeyAlias and fallback names.
std::string mac_digits(const MacAddress& mac);

}  // namespace pifind
