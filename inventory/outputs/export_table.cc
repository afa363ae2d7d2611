#include "inventory/outputs/export_table.h"

#include "inventory/core/csv_field.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pifind {
namespace {

nlohmann::json host_object(const FleetHost& h) {
  const InventoryRecord& r = *h.record;
  auto text_or_null = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
  nlohmann::json ipv6 = nlohmann::json::array();
  for (const auto& ip : r.current_ipv6()) ipv6.push_back(ip.to_string());
  const auto origin = r.name_origin();
  return {{"name", h.alias},
          {"ip", h.ip ? nlohmann::json(h.ip->to_string()) : nlohmann::json()},
          {"mac", r.id.to_string()},
          {"hostname", text_or_null(r.name())},
          {"name_source", origin ? nlohmann::json(name_origin_text(*origin)) : nlohmann::json()},
          {"site", text_or_null(r.site)},
          {"vendor", text_or_null(r.vendor)},
          {"model", text_or_null(r.model)},
          {"serial", text_or_null(r.serial)},
          {"raspberry_pi", r.raspberry_pi},
          {"drift_ppm", r.drift ? nlohmann::json(r.drift->drift_ppm) : nlohmann::json()},
          {"drift_uncertainty_ppm", r.drift ? nlohmann::json(r.drift->uncertainty_ppm) : nlohmann::json()},
          {"last_seen", format_utc(r.last_seen)},
          {"ipv6", std::move(ipv6)},
          {"managed", h.managed()}};
}

constexpr const char* kColumns[] = {"name",   "ip",           "mac",       "hostname",
                                    "vendor", "model",        "serial",    "raspberry_pi",
                                    "drift_ppm", "drift_uncertainty_ppm", "last_seen", "name_source", "site",
                                    "ipv6", "managed"};

// Text through csv_text_field (quoting, formula defusing); numbers and booleans as JSON prints them; a list
// of addresses space-separated.
std::string csv_field(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_array()) {
    std::string joined;
    for (const auto& v : value) joined += (joined.empty() ? "" : " ") + v.get<std::string>();
    return csv_text_field(joined);
  }
  return value.is_string() ? csv_text_field(value.get<std::string>()) : value.dump();
}

}  // namespace

std::string render_hosts_json(const std::vector<FleetHost>& hosts) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& h : hosts) list.push_back(host_object(h));
  return list.dump(2) + "\n";
}

std::string render_hosts_csv(const std::vector<FleetHost>& hosts) {
  std::string out;
  for (const char* c : kColumns) out += std::string(out.empty() ? "" : ",") + c;
  out += "\r\n";
  for (const auto& h : hosts) {
    const auto object = host_object(h);
    std::string line;
    for (const char* c : kColumns) line += std::string(line.empty() && c == kColumns[0] ? "" : ",") + csv_field(object.at(c));
    out += line + "\r\n";
  }
  return out;
}

}  // namespace pifind
