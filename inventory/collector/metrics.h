// GET /metrics: the collector's counters and per-host clock state in the Prometheus text exposition
// format (0.0.4), names and labels as `promtool check metrics` wants them.
#pragma once

#include <string>

#include "inventory/collector/collector.h"

namespace pifind {

/// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& value);

/// The whole exposition, newline-terminated. The fleet's size by managed="true"/"false"; with `with_hosts`,
/// per fleet member (labels host, mac, managed) when it was last seen, and per managed host (labels host,
/// mac): drift ppm, its uncertainty, RTC present, NTP synchronised and report age at `now`, each only when known.
std::string render_metrics(RecordsView records, const CollectorStats& stats, TimePoint now, bool with_hosts = true);

}  // namespace pifind
