#include "inventory/protocol/scan_report.h"

#include <cmath>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/core/error.h"
#include "inventory/core/json_reader.h"
#include "inventory/protocol/report.h"

namespace pifind {
namespace {

using nlohmann::json;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

json to_json(const ScannedInterface& i) {
  json j{{"name", i.name}, {"mac", i.mac.to_string()}};
  if (i.address) {
    j["address"] = i.address->to_string();
    j["prefix_length"] = i.prefix_length;
  }
  return j;
}

json to_json(const ScannedHost& s) {
  json j{{"mac", s.mac.to_string()},         {"ip", s.ip.to_string()},
         {"vendor", s.vendor},               {"raspberry_pi", s.raspberry_pi},
         {"interface", s.interface_name},    {"age_s", std::round(s.age_s * 1000) / 1000}};
  if (s.name_origin) {
    j["name"] = s.name;
    j["name_source"] = name_origin_text(*s.name_origin);
  }
  return j;
}

ScannedInterface interface_from_json(const JsonReader& r) {
  ScannedInterface i;
  i.name = r.text("name");
  i.mac = r.mac("mac");
  if (r.has("address")) {
    const auto address = Ipv4Address::parse(r.text("address"));
    if (!address) r.fail("address", "is not an IPv4 address");
    i.address = address;
    const auto prefix = r.integer("prefix_length");
    if (prefix < 0 || prefix > 32) r.fail("prefix_length", "is not 0 to 32");
    i.prefix_length = static_cast<int>(prefix);
  }
  return i;
}

ScannedHost sighting_from_json(const JsonReader& r) {
  ScannedHost s;
  s.mac = r.mac("mac");
  const auto ip = Ipv4Address::parse(r.text("ip"));
  if (!ip) r.fail("ip", "is not an IPv4 address");
  s.ip = *ip;
  s.vendor = r.text_or_empty("vendor");
  s.raspberry_pi = r.flag("raspberry_pi");
  s.interface_name = r.text("interface");
  s.age_s = r.number("age_s");
  s.name = r.text_or_empty("name");
  if (r.has("name_source")) {
    s.name_origin = parse_name_origin(r.text("name_source"));
    if (!s.name_origin || *s.name_origin == NameOrigin::kAgent) r.fail("name_source", "is not mdns or dns");
  }
  return s;
}

}  // namespace

std::string_view name_origin_text(NameOrigin origin) {
  switch (origin) {
    case NameOrigin::kDns: return "dns";
    case NameOrigin::kMdns: return "mdns";
    case NameOrigin::kAgent: return "agent";
  }
  return "dns";
}

std::optional<NameOrigin> parse_name_origin(std::string_view text) {
  for (const auto origin : {NameOrigin::kDns, NameOrigin::kMdns, NameOrigin::kAgent})
    if (name_origin_text(origin) == text) return origin;
  return std::nullopt;
}

bool is_site_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxSiteBytes || !is_alnum(name.front())) return false;
  for (char c : name)
    if (!is_alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

nlohmann::json to_json(const ScanReport& r) {
  json interfaces = json::array();
  for (const auto& i : r.interfaces) interfaces.push_back(to_json(i));
  json sightings = json::array();
  for (const auto& s : r.sightings) sightings.push_back(to_json(s));
  json j{{"schema", SchemaVersion{r.schema_major, r.schema_minor}.to_string()},
         {"scanner_id", r.scanner_id.to_string()},
         {"counter", r.counter},
         {"scanner_version", r.scanner_version},
         {"interfaces", std::move(interfaces)},
         {"sightings", std::move(sightings)}};
  if (!r.site.empty()) j["site"] = r.site;
  return j;
}

std::string to_body(const ScanReport& report) { return to_json(report).dump(); }

ScanReport parse_scan_report(std::string_view body) {
  const json j = parse_json_object(body, "scan", kMaxScanBytes);
  const JsonReader top(j, "scan");
  ScanReport r;
  const SchemaVersion version = top.schema(kScanSchemaMajor);
  r.schema_major = version.major;
  r.schema_minor = version.minor;
  r.scanner_id = top.mac("scanner_id");
  r.counter = top.counter("counter");
  r.scanner_version = top.text("scanner_version");
  r.site = top.text_or_empty("site");
  const json& interfaces = top.array("interfaces", kMaxScanInterfaces);
  for (std::size_t i = 0; i < interfaces.size(); ++i)
    r.interfaces.push_back(interface_from_json(top.element("interfaces", interfaces, i)));
  const json& sightings = top.array("sightings", kMaxScanSightings);
  for (std::size_t i = 0; i < sightings.size(); ++i)
    r.sightings.push_back(sighting_from_json(top.element("sightings", sightings, i)));
  if (auto problem = validate(r)) throw Error("scan: " + *problem);
  return r;
}

std::optional<std::string> validate(const ScanReport& r) {
  if (r.schema_major != kScanSchemaMajor) return fmt::format("unsupported schema major {}", r.schema_major);
  if (r.scanner_id.is_zero() || r.scanner_id.is_multicast()) return "scanner_id must be a unicast MAC address";
  if (!is_clean_text(r.scanner_version, 64)) return "scanner_version is not printable text";
  if (!r.site.empty() && !is_site_name(r.site))
    return "site must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";
  if (r.interfaces.empty()) return "interfaces is empty";
  if (r.interfaces.size() > kMaxScanInterfaces) return "interfaces has too many entries";
  std::set<std::string_view> names;
  bool scanner_listed = false;
  for (const auto& i : r.interfaces) {
    if (!is_interface_name(i.name)) return "interfaces has an invalid interface name";
    if (!names.insert(i.name).second) return fmt::format("interfaces lists {} twice", i.name);
    if (i.address && (i.prefix_length < 0 || i.prefix_length > 32)) return "interfaces has a prefix_length out of range";
    scanner_listed = scanner_listed || i.mac == r.scanner_id;
  }
  if (!scanner_listed) return "scanner_id is not the MAC of any scanned interface";
  if (r.sightings.size() > kMaxScanSightings) return "sightings has too many entries";
  for (const auto& s : r.sightings) {
    if (s.mac.is_zero() || s.mac.is_multicast()) return "sightings has a MAC that is not a unicast address";
    if (names.count(s.interface_name) == 0)
      return fmt::format("sightings names interface '{}', which is not among the scanned interfaces",
                         is_interface_name(s.interface_name) ? s.interface_name : "?");
    if (!is_clean_text(s.vendor, kMaxVendorBytes)) return "sightings has a vendor that is too long or not printable";
    if (s.name_origin.has_value() != !s.name.empty()) return "sightings has a name without a source, or a source without a name";
    if (s.name_origin == NameOrigin::kAgent) return "sightings has a name_source that is not mdns or dns";
    if (!s.name.empty() && !is_clean_text(s.name, kMaxHostNameBytes))
      return "sightings has a name that is too long or not printable";
    if (!std::isfinite(s.age_s) || s.age_s < 0 || s.age_s > kMaxSightingAgeS)
      return fmt::format("sightings has an age_s outside 0 to {} seconds", kMaxSightingAgeS);
  }
  return std::nullopt;
}

}  // namespace pifind
