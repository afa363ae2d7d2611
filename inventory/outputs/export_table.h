// Flat exports of the fleet for scripts and spreadsheets: one JSON array of host objects, or CSV
// (RFC 4180 quoting) with the same columns.
#pragma once

#include <string>
#include <vector>

#include "inventory/store/host_alias.h"

namespace pifind {

/// [{"name", "ip", "mac", "hostname", "vendor", "model", "serial", "raspberry_pi", "drift_ppm",
///   "drift_uncertainty_ppm", "last_seen", "ipv6", "managed"}], absent facts as null ("ip" is the current
/// IPv4 address, "ipv6" the current IPv6 addresses, "managed" true when an agent reports). Newline-terminated.
std::string render_hosts_json(const std::vector<FleetHost>& hosts);
/// The same columns with a header line; absent facts as empty fields, IPv6 addresses space-separated.
std::string render_hosts_csv(const std::vector<FleetHost>& hosts);

}  // namespace pifind
