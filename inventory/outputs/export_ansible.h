// Ansible inventories of the fleet: static INI and YAML files, and the dynamic-inventory JSON answered to
// `--list` (with _meta.hostvars, so Ansible never calls `--host`) and `--host NAME`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inventory/store/host_alias.h"

namespace pifind {

/// The group every Pi is in; other devices (with --all) are in "other_hosts". A device with a site is also in
/// that site's group (ansible_site_group()).
inline constexpr const char* kPiGroup = "raspberry_pis";
inline constexpr const char* kOtherGroup = "other_hosts";

/// "site_<site>" with every character Ansible does not take in a group name ('.', '-') made '_'.
std::string ansible_site_group(const std::string& site);

struct AnsibleOptions {
  /// ansible_user for every host; empty for none. Alias-safe characters only.
  std::string user;
};

/// Host variables: ansible_host (FleetHost::address, left out when none is known), pifind_mac, the name and
/// where it came from, the site, pifind_managed (an agent reports), and what the agent reported (IPv6
/// addresses, model, serial, drift, RTC...).
nlohmann::json ansible_host_vars(const FleetHost& host, const AnsibleOptions& options);
/// INI: host lines carry only alias-safe and numeric values, so nothing from the network needs quoting.
std::string render_ansible_ini(const std::vector<FleetHost>& hosts, const AnsibleOptions& options);
/// YAML with every string double-quoted (JSON string escapes are valid YAML).
std::string render_ansible_yaml(const std::vector<FleetHost>& hosts, const AnsibleOptions& options);
/// The `--list` document.
nlohmann::json ansible_dynamic_list(const std::vector<FleetHost>& hosts, const AnsibleOptions& options);

}  // namespace pifind
