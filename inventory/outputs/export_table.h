// Flat exports of the fleet for scripts and spreadsheets: one JSON array of host objects, or CSV
// (RFC 4180 quoting) with the same columns.
#pragma once

#include <string>
#include <vector>

#include "inventory/store/host_alias.h"

namespace pifind {

/// [{"name", "ip", "mac", "hostname", "vendor", "model", "serial", "raspberry_pi", "drift_ppm",
///   "drift_uncertainty_ppm", "last_seen"}], absent facts as null. Newline-terminated.
std::string render_hosts_json(const std::vector<FleetHost>& hosts);
/// The same columns with a header line; absent facts as empty fields.
std::string render_hosts_csv(const std::vector<FleetHost>& hosts);

}  // namespace pifind
