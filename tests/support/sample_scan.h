// Scan reports as the tests need them: a scanner on one interface with a few sightings, and the headers and
// HTTP headers that sign a body as a scan. Built here once instead of by hand.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "inventory/core/mac_address.h"
#include "inventory/protocol/scan_report.h"
#include "inventory/protocol/signing.h"
#include "tests/support/sample_report.h"

namespace pifind::test {

/// The scanner every sample scan comes from (its eth0, 10.0.0.1/24).
MacAddress sample_scanner();

/// A scan by sample_scanner() on eth0 at `site` (none if empty), with no sightings.
ScanReport empty_scan(std::uint64_t counter, const std::string& site = "");

/// A sighting on eth0: `mac` at `ip`, a Raspberry Pi if its MAC says so (b8:27:eb, dc:a6:32), named `name`
/// by `origin` when a name is given.
ScannedHost scanned_host(const std::string& mac, const std::string& ip, const std::string& name = "",
                      NameOrigin origin = NameOrigin::kMdns);

/// The X-Pifind-* headers that sign `body` as `scan`'s, as received (the collector's view).
SignedHeaders signed_scan_headers_for(const ScanReport& scan, const std::string& body,
                                      const FleetKey& key = test_fleet_key());

/// The same as HTTP header name -> value, with Content-Type, for a client to send.
std::map<std::string, std::string> signed_scan_http_headers(const ScanReport& scan, const std::string& body,
                                                            const FleetKey& key = test_fleet_key());

}  // namespace pifind::test
