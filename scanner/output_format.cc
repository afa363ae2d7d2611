#include "scanner/output_format.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/core/csv_field.h"
#include "inventory/core/error.h"

namespace pifind {
namespace {

bool listed(const HostEntry& host, bool all_hosts) { return all_hosts || host.raspberry_pi; }

std::set<Ipv4Address> conflicting_ips(const ScanResult& result) {
  std::set<Ipv4Address> ips;
  for (const auto& conflict : result.conflicts) ips.insert(conflict.ip);
  return ips;
}

std::set<Ipv4Address> claimed_ips(const ScanResult& result) {
  std::set<Ipv4Address> ips;
  for (const auto& claim : result.claims) ips.insert(claim.ip);
  return ips;
}

nlohmann::json json_mac_list(const std::vector<MacAddress>& macs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& mac : macs) list.push_back(mac.to_string());
  return list;
}

// The JSON keys of malformed_by_reason: the enumerators' names.
const char* json_name(ArpDecodeError error) {
  switch (error) {
    case ArpDecodeError::truncated: return "truncated";
    case ArpDecodeError::not_arp: return "not_arp";
    case ArpDecodeError::not_ethernet_ipv4: return "not_ethernet_ipv4";
    case ArpDecodeError::unknown_operation: return "unknown_operation";
    case ArpDecodeError::bad_sender: return "bad_sender";
  }
  return "unknown";
}

std::string format_rtt(ScanDuration rtt) { return fmt::format("{:.2f}", to_ms(rtt)); }

}  // namespace

OutputFormat parse_output_format(std::string_view text) {
  if (text == "table") return OutputFormat::table;
  if (text == "json") return OutputFormat::json;
  if (text == "csv") return OutputFormat::csv;
  throw Error(fmt::format("unknown format '{}' (use table, json or csv)", text));
}

void write_table(std::ostream& out, const ScanResult& result, bool all_hosts) {
  const auto conflicts = conflicting_ips(result);
  const auto claimed = claimed_ips(result);
  std::size_t vendor_width = 6;
  for (const auto& host : result.hosts) {
    if (listed(host, all_hosts)) vendor_width = std::max(vendor_width, host.vendor.size());
  }
  std::string header = fmt::format("{:<15}  {:<17}  {:<{}}  {:>8}", "IP", "MAC", "VENDOR", vendor_width, "RTT_MS");
  if (all_hosts) header += "  PI";
  out << header << "  NOTE\n";
  for (const auto& host : result.hosts) {
    if (!listed(host, all_hosts)) continue;
    std::string line = fmt::format("{:<15}  {:<17}  {:<{}}  {:>8}", host.ip.to_string(), host.mac.to_string(),
                                   host.vendor, vendor_width, format_rtt(host.rtt));
    if (all_hosts) line += host.raspberry_pi ? "  yes" : "  -  ";
    std::string note;
    if (conflicts.count(host.ip) != 0) note = "IP conflict";
    if (claimed.count(host.ip) != 0) note += fmt::format("{}claimed by another MAC", note.empty() ? "" : ", ");
    if (host.vlan) note += fmt::format("{}VLAN {}", note.empty() ? "" : ", ", *host.vlan);
    if (!note.empty()) line += "  " + note;
    // No trailing spaces on lines without a note.
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  }
}

void write_json(std::ostream& out, const ScanResult& result, bool all_hosts) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& host : result.hosts) {
    if (!listed(host, all_hosts)) continue;
    nlohmann::json entry = {{"ip", host.ip.to_string()},
                            {"mac", host.mac.to_string()},
                            {"vendor", host.vendor},
                            {"raspberry_pi", host.raspberry_pi},
                            {"rtt_ms", std::round(to_ms(host.rtt) * 1000) / 1000},
                            {"replies", host.replies}};
    if (host.vlan) entry["vlan"] = *host.vlan;
    hosts.push_back(std::move(entry));
  }
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& conflict : result.conflicts) {
    conflicts.push_back({{"ip", conflict.ip.to_string()},
                         {"macs", json_mac_list(conflict.macs)},
                         {"replies_over_cap", conflict.replies_over_cap}});
  }
  nlohmann::json claims = nlohmann::json::array();
  for (const auto& claim : result.claims) {
    claims.push_back({{"ip", claim.ip.to_string()},
                      {"mac", claim.mac.to_string()},
                      {"frames", claim.frames},
                      {"answered_by", json_mac_list(claim.answered_by)}});
  }
  nlohmann::json malformed_by_reason = nlohmann::json::object();
  for (std::size_t i = 0; i < arp_decode_error_count; ++i) {
    malformed_by_reason[json_name(static_cast<ArpDecodeError>(i))] = result.stats.malformed_by_reason[i];
  }
  const ScanStats& s = result.stats;
  const nlohmann::json document = {
      {"interface", result.interface_name},
      {"hosts", hosts},
      {"conflicts", conflicts},
      {"claims", claims},
      {"stats",
       {{"targets", s.targets},
        {"sent", s.sent},
        {"received", s.received},
        {"duration_s", std::round(s.duration_s * 1000) / 1000},
        {"hosts_found", result.hosts.size()},
        {"raspberry_pis_found", result.raspberry_pi_count()},
        {"repeated_replies", s.repeated_replies},
        {"late_replies", s.late_replies},
        {"unsolicited_replies", s.unsolicited_replies},
        {"malformed_frames", s.malformed_frames},
        {"malformed_by_reason", malformed_by_reason},
        {"gratuitous_frames", s.gratuitous_frames},
        {"replies_over_cap", s.replies_over_cap},
        {"capture_drops", s.capture_drops},
        {"tries_per_address", s.tries_per_address},
        {"probe_failure_probability", std::round(s.probe_failure_probability * 1000) / 1000}}}};
  out << document.dump(2) << '\n';
}

void write_csv(std::ostream& out, const ScanResult& result, bool all_hosts) {
  out << "ip,mac,vendor,raspberry_pi,rtt_ms\n";
  for (const auto& host : result.hosts) {
    if (!listed(host, all_hosts)) continue;
    out << host.ip.to_string() << ',' << host.mac.to_string() << ',' << csv_text_field(host.vendor) << ','
        << (host.raspberry_pi ? "true" : "false") << ',' << format_rtt(host.rtt) << '\n';
  }
}

std::string summary_line(const ScanResult& result) {
  const std::size_t pis = result.raspberry_pi_count();
  return fmt::format("{} Raspberry Pi{} among {} host{}, {} address{} in {:.1f} s", pis, pis == 1 ? "" : "s",
                     result.hosts.size(), result.hosts.size() == 1 ? "" : "s", result.stats.targets,
                     result.stats.targets == 1 ? "" : "es", result.stats.duration_s);
}

}  // namespace pifind
