// The scan report: what one run of `pifind --collector` tells the collector about a LAN segment (the
// scanner's identity, its site and interfaces, and the hosts that answered), as a versioned JSON document.
// The one definition the scan's uplink, the collector and the local --inventory merge share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"

namespace pifind {

/// The schema this build writes. Readers accept any minor version of their own major and refuse a newer major.
inline constexpr int kScanSchemaMajor = 1;
inline constexpr int kScanSchemaMinor = 0;

/// Hard bounds checked by validate(); a document outside them is refused, not truncated. A scan that found
/// more hosts goes out as several documents (the uplink splits it), each signed with its own counter:
/// kMaxScanSightings sightings at their largest fit well within kMaxScanBytes.
inline constexpr std::size_t kMaxScanBytes = 1024 * 1024;
inline constexpr std::size_t kMaxScanSightings = 1024;
inline constexpr std::size_t kMaxScanInterfaces = 16;
inline constexpr std::size_t kMaxVendorBytes = 128;
inline constexpr std::size_t kMaxHostNameBytes = 253;
inline constexpr std::size_t kMaxSiteBytes = 64;
/// A sighting older than this when its document was signed is refused (a scan takes minutes at most).
inline constexpr double kMaxSightingAgeS = 86400;

/// Where a device's name came from, in rising precedence: a name of higher rank is never replaced by one of
/// lower rank (an agent's own hostname beats mDNS, which beats reverse DNS).
enum class NameOrigin { kDns = 1, kMdns = 2, kAgent = 3 };
/// "dns", "mdns", "agent".
std::string_view name_origin_text(NameOrigin origin);
/// The origin named `text`, or nothing.
std::optional<NameOrigin> parse_name_origin(std::string_view text);

/// A network interface the scan ran on.
struct ScannedInterface {
  std::string name;                   ///< "eth0"; an interface name as in agent reports
  MacAddress mac;                     ///< its hardware address
  std::optional<Ipv4Address> address; ///< its IPv4 address, if it has one
  int prefix_length = 0;              ///< of `address`'s network, 0..32
};

/// One (MAC, IP) pair that answered the scan.
struct ScannedHost {
  MacAddress mac;
  Ipv4Address ip;
  std::string vendor;          ///< the registry's name for the MAC's prefix, empty if unknown
  bool raspberry_pi = false;   ///< the MAC lies in a Raspberry Pi prefix
  std::string name;            ///< the host's name as looked up ("pi-rack-1.local"), empty if none
  std::optional<NameOrigin> name_origin;  ///< kMdns or kDns with a name, nothing without
  std::string interface_name;  ///< the scanned interface it answered on (one of ScanReport::interfaces)
  /// Seconds between the host's answer and the document's signing, on the scanner's clock. The collector
  /// dates the sighting at its own receipt minus this: a scanner's wrong clock cannot misdate it.
  double age_s = 0;
};

struct ScanReport {
  int schema_major = kScanSchemaMajor;
  int schema_minor = kScanSchemaMinor;
  MacAddress scanner_id;       ///< the first scanned interface's MAC; the collector keys the counter by it
  std::uint64_t counter = 0;   ///< per scanner, strictly increasing across sent documents (0: not for sending)
  std::string scanner_version;
  std::string site;            ///< "" or a site name (is_site_name): where the segment is
  std::vector<ScannedInterface> interfaces;
  std::vector<ScannedHost> sightings;
};

/// Serialises to the documented JSON (pifind(1), SCAN REPORT).
nlohmann::json to_json(const ScanReport& report);
std::string to_body(const ScanReport& report);  ///< compact JSON text, the exact bytes that get signed

/// Parses and validates JSON text (a request body). Throws pifind::Error with a one-line reason for malformed
/// JSON, a newer major schema, missing or mistyped fields, or anything validate() refuses.
ScanReport parse_scan_report(std::string_view body);

/// Checks the bounds the collector relies on: counts, names, text, ages, that every sighting's interface is
/// listed. Returns the first problem as one line, or nothing if the document is fine.
std::optional<std::string> validate(const ScanReport& report);

/// True for a site name: 1 to kMaxSiteBytes characters of [A-Za-z0-9._-], starting with a letter or digit
/// (it becomes an Ansible group, a Prometheus label value and a dashboard column as it is).
bool is_site_name(std::string_view name);

}  // namespace pifind
