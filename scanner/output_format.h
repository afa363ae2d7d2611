// Prints a scan result as an aligned table, one JSON object, CSV or JSON lines, plus the one-line
// summary; and single hosts as a streaming scan confirms them (a table row, a JSON line).
// Which hosts appear (Pis only, or --all) is decided here, once, for every format.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "scanner/scan_result.h"

namespace pifind {

enum class OutputFormat { kTable, kJson, kCsv, kJsonl };

/// "table", "json", "csv" or "jsonl"; throws Error otherwise.
OutputFormat parse_output_format(std::string_view text);

/// What the outputs show.
struct OutputShape {
  /// Every host that answered (--all), or only the Raspberry Pis.
  bool all_hosts = false;
  /// Names were looked up (no -N): the table has a NAME column.
  bool names = true;
  /// The table's column titles and the CSV header row (not with -x).
  bool header = true;
  /// Several interfaces were scanned: the table has an IFACE column (JSON and CSV always name it).
  bool interfaces = false;
};

/// Whether `host` is printed under `shape`.
bool listed(const HostEntry& host, const OutputShape& shape);

/// Table columns: IP, [IFACE], MAC, [NAME], VENDOR, RTT_MS, [PI], NOTE.
class TableLayout {
 public:
  /// Widths fitted to the listed hosts of a finished scan.
  static TableLayout fitted(const ScanResult& result, const OutputShape& shape);
  /// Widths fixed in advance, for rows printed as hosts answer; a longer name or vendor shifts its row.
  static TableLayout streaming(const OutputShape& shape);

  std::string header() const;
  /// One row, without a trailing newline; `note` as "IP conflict", "VLAN 7" (empty: none).
  std::string row(const HostEntry& host, std::string_view note) const;

 private:
  TableLayout(const OutputShape& shape, std::size_t name_width, std::size_t vendor_width)
      : shape_(shape), name_width_(name_width), vendor_width_(vendor_width) {}

  OutputShape shape_;
  std::size_t name_width_;
  std::size_t vendor_width_;
};

void write_table(std::ostream& out, const ScanResult& result, const OutputShape& shape);
/// {"interface", "hosts": [{ip, mac, vendor, raspberry_pi, rtt_ms, replies, name, name_source, interface[, vlan]}],
///  "conflicts": [{ip, macs, replies_over_cap, interface}], "claims": [{ip, mac, frames, answered_by, interface}],
///  "stats"}; "interface" at the top joins several with ','.
void write_json(std::ostream& out, const ScanResult& result, const OutputShape& shape);
/// Header "ip,mac,vendor,raspberry_pi,rtt_ms,name,name_source,interface", RFC 4180 quoting
/// (inventory/core/csv_field.h).
void write_csv(std::ostream& out, const ScanResult& result, const OutputShape& shape);
/// One host as a JSON line: {"type": "host", ...the fields of a JSON host}.
std::string jsonl_host_line(const HostEntry& host);
/// The last JSON line of a streamed scan: {"type": "stats", "interface", "conflicts", "claims", "stats"}.
std::string jsonl_stats_line(const ScanResult& result);

/// "49 Raspberry Pis among 96 hosts, 254 addresses in 0.6 s" (the sweep and the wait for names).
std::string summary_line(const ScanResult& result);
/// "SIGINT" or "SIGTERM", the signals that end a scan early ("signal" for any other).
const char* signal_name(int signal_number);

}  // namespace pifind
