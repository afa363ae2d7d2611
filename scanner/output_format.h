// Prints a scan result as an aligned table, one JSON object, or CSV, plus the one-line summary.
// Which hosts appear (Pis only, or --all) is decided here, once, for every format.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "scanner/scan_result.h"

namespace pifind {

enum class OutputFormat { table, json, csv };

/// "table", "json" or "csv"; throws Error otherwise.
OutputFormat parse_output_format(std::string_view text);

void write_table(std::ostream& out, const ScanResult& result, bool all_hosts);
/// {"interface", "hosts": [{ip, mac, vendor, raspberry_pi, rtt_ms, replies[, vlan]}],
///  "conflicts": [{ip, macs, replies_over_cap}], "claims": [{ip, mac, frames, answered_by}], "stats"}.
void write_json(std::ostream& out, const ScanResult& result, bool all_hosts);
/// Header "ip,mac,vendor,raspberry_pi,rtt_ms", RFC 4180 quoting (inventory/core/csv_field.h).
void write_csv(std::ostream& out, const ScanResult& result, bool all_hosts);

/// "49 Raspberry Pis among 96 hosts, 254 addresses in 0.6 s".
std::string summary_line(const ScanResult& result);

}  // namespace pifind
