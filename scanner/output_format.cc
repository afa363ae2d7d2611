#include "scanner/output_format.h"

#include <signal.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/core/csv_field.h"
#include "inventory/core/error.h"

namespace pifind {
namespace {

// Streaming tables cannot measure their rows first: room for "Raspberry Pi (Trading) Ltd" and a
// typical "pi-rack-12.local"; longer values shift their row.
constexpr std::size_t streaming_vendor_width = 26;
constexpr std::size_t streaming_name_width = 20;
// Interface names are at most 15 characters (IFNAMSIZ); most are eth0, wlan0, enp1s0.
constexpr std::size_t interface_width = 8;

// Addresses on a segment: the same IP on two interfaces is two addresses.
using SegmentAddress = std::pair<std::string, Ipv4Address>;

std::set<SegmentAddress> conflicting_ips(const ScanResult& result) {
  std::set<SegmentAddress> ips;
  for (const auto& conflict : result.conflicts) ips.insert({conflict.interface_name, conflict.ip});
  return ips;
}

std::set<SegmentAddress> claimed_ips(const ScanResult& result) {
  std::set<SegmentAddress> ips;
  for (const auto& claim : result.claims) ips.insert({claim.interface_name, claim.ip});
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
    case ArpDecodeError::kTruncated: return "truncated";
    case ArpDecodeError::kNotArp: return "not_arp";
    case ArpDecodeError::kNotEthernetIpv4: return "not_ethernet_ipv4";
    case ArpDecodeError::kUnknownOperation: return "unknown_operation";
    case ArpDecodeError::kBadSender: return "bad_sender";
  }
  return "unknown";
}

// {"reason": count} for counts indexed by a reason enum's values, named by `name_of`.
template <typename Reason, std::size_t N, typename NameOf>
nlohmann::json counts_by_reason(const std::array<std::uint64_t, N>& counts, NameOf name_of) {
  nlohmann::json by_reason = nlohmann::json::object();
  for (std::size_t i = 0; i < N; ++i) by_reason[std::string(name_of(static_cast<Reason>(i)))] = counts[i];
  return by_reason;
}

std::string format_rtt(ScanDuration rtt) { return fmt::format("{:.2f}", to_ms(rtt)); }

double rounded(double value) { return std::round(value * 1000) / 1000; }

nlohmann::json host_json(const HostEntry& host) {
  nlohmann::json entry = {{"ip", host.ip.to_string()},
                          {"mac", host.mac.to_string()},
                          {"vendor", host.vendor},
                          {"raspberry_pi", host.raspberry_pi},
                          {"rtt_ms", rounded(to_ms(host.rtt))},
                          {"replies", host.replies},
                          {"name", host.name ? nlohmann::json(host.name->name) : nlohmann::json()},
                          {"name_source", host.name ? nlohmann::json(to_string(host.name->source)) : nlohmann::json()},
                          {"interface", host.interface_name}};
  if (host.vlan) entry["vlan"] = *host.vlan;
  return entry;
}

nlohmann::json names_json(const ScanStats& s) {
  const NameLookupStats& n = s.names;
  const auto malformed_by_reason =
      counts_by_reason<DnsDecodeError>(n.malformed_by_reason, [](DnsDecodeError e) { return to_string(e); });
  return {{"asked", n.asked},
          {"mdns", n.mdns_names},
          {"dns", n.dns_names},
          {"unnamed", n.unnamed},
          {"mdns_unicast_queries", n.mdns_unicast_queries},
          {"mdns_multicast_queries", n.mdns_multicast_queries},
          {"dns_queries", n.dns_queries},
          {"mdns_refused", n.mdns_refused},
          {"malformed_replies", n.malformed_replies},
          {"malformed_by_reason", malformed_by_reason},
          {"rejected_replies", n.rejected_replies},
          {"wait_s", rounded(s.names_wait_s)}};
}

nlohmann::json stats_json(const ScanResult& result) {
  const auto malformed_by_reason = counts_by_reason<ArpDecodeError>(result.stats.malformed_by_reason, json_name);
  const ScanStats& s = result.stats;
  return {{"targets", s.targets},
          {"sent", s.sent},
          {"received", s.received},
          {"duration_s", rounded(s.duration_s)},
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
          {"probe_failure_probability", rounded(s.probe_failure_probability)},
          {"names", names_json(s)},
          {"interrupted_by", s.interrupted_by_signal != 0 ? nlohmann::json(signal_name(s.interrupted_by_signal))
                                                          : nlohmann::json()}};
}

nlohmann::json conflicts_json(const ScanResult& result) {
  nlohmann::json conflicts = nlohmann::json::array();
  for (const auto& conflict : result.conflicts) {
    conflicts.push_back({{"ip", conflict.ip.to_string()},
                         {"macs", json_mac_list(conflict.macs)},
                         {"replies_over_cap", conflict.replies_over_cap},
                         {"interface", conflict.interface_name}});
  }
  return conflicts;
}

nlohmann::json claims_json(const ScanResult& result) {
  nlohmann::json claims = nlohmann::json::array();
  for (const auto& claim : result.claims) {
    claims.push_back({{"ip", claim.ip.to_string()},
                      {"mac", claim.mac.to_string()},
                      {"frames", claim.frames},
                      {"answered_by", json_mac_list(claim.answered_by)},
                      {"interface", claim.interface_name}});
  }
  return claims;
}

}  // namespace

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
  }
}

OutputFormat parse_output_format(std::string_view text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  if (text == "csv") return OutputFormat::kCsv;
  if (text == "jsonl") return OutputFormat::kJsonl;
  throw Error(fmt::format("unknown format '{}' (use table, json, csv or jsonl)", text));
}

bool listed(const HostEntry& host, const OutputShape& shape) { return shape.all_hosts || host.raspberry_pi; }

TableLayout TableLayout::fitted(const ScanResult& result, const OutputShape& shape) {
  std::size_t name_width = 4, vendor_width = 6;
  for (const auto& host : result.hosts) {
    if (!listed(host, shape)) continue;
    vendor_width = std::max(vendor_width, host.vendor.size());
    if (host.name) name_width = std::max(name_width, host.name->name.size());
  }
  return TableLayout(shape, name_width, vendor_width);
}

TableLayout TableLayout::streaming(const OutputShape& shape) {
  return TableLayout(shape, streaming_name_width, streaming_vendor_width);
}

std::string TableLayout::header() const {
  std::string line = fmt::format("{:<15}  ", "IP");
  if (shape_.interfaces) line += fmt::format("{:<{}}  ", "IFACE", interface_width);
  line += fmt::format("{:<17}  ", "MAC");
  if (shape_.names) line += fmt::format("{:<{}}  ", "NAME", name_width_);
  line += fmt::format("{:<{}}  {:>8}", "VENDOR", vendor_width_, "RTT_MS");
  if (shape_.all_hosts) line += "  PI";
  return line + "  NOTE";
}

std::string TableLayout::row(const HostEntry& host, std::string_view note) const {
  std::string line = fmt::format("{:<15}  ", host.ip.to_string());
  if (shape_.interfaces) line += fmt::format("{:<{}}  ", host.interface_name, interface_width);
  line += fmt::format("{:<17}  ", host.mac.to_string());
  if (shape_.names) line += fmt::format("{:<{}}  ", host.name ? host.name->name : "-", name_width_);
  line += fmt::format("{:<{}}  {:>8}", host.vendor, vendor_width_, format_rtt(host.rtt));
  if (shape_.all_hosts) line += host.raspberry_pi ? "  yes" : "  -  ";
  if (!note.empty()) line += fmt::format("  {}", note);
  // No trailing spaces on lines without a note.
  line.erase(line.find_last_not_of(' ') + 1);
  return line;
}

void write_table(std::ostream& out, const ScanResult& result, const OutputShape& shape) {
  const auto conflicts = conflicting_ips(result);
  const auto claimed = claimed_ips(result);
  const TableLayout layout = TableLayout::fitted(result, shape);
  if (shape.header) out << layout.header() << '\n';
  for (const auto& host : result.hosts) {
    if (!listed(host, shape)) continue;
    std::string note;
    if (conflicts.count({host.interface_name, host.ip}) != 0) note = "IP conflict";
    if (claimed.count({host.interface_name, host.ip}) != 0)
      note += fmt::format("{}claimed by another MAC", note.empty() ? "" : ", ");
    if (host.vlan) note += fmt::format("{}VLAN {}", note.empty() ? "" : ", ", *host.vlan);
    out << layout.row(host, note) << '\n';
  }
}

void write_json(std::ostream& out, const ScanResult& result, const OutputShape& shape) {
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& host : result.hosts) {
    if (listed(host, shape)) hosts.push_back(host_json(host));
  }
  const nlohmann::json document = {{"interface", result.interface_name},
                                   {"hosts", hosts},
                                   {"conflicts", conflicts_json(result)},
                                   {"claims", claims_json(result)},
                                   {"stats", stats_json(result)}};
  out << document.dump(2) << '\n';
}

void write_csv(std::ostream& out, const ScanResult& result, const OutputShape& shape) {
  if (shape.header) out << "ip,mac,vendor,raspberry_pi,rtt_ms,name,name_source,interface\n";
  for (const auto& host : result.hosts) {
    if (!listed(host, shape)) continue;
    out << host.ip.to_string() << ',' << host.mac.to_string() << ',' << csv_text_field(host.vendor) << ','
        << (host.raspberry_pi ? "true" : "false") << ',' << format_rtt(host.rtt) << ','
        << (host.name ? csv_text_field(host.name->name) : "") << ','
        << (host.name ? to_string(host.name->source) : "") << ',' << csv_text_field(host.interface_name) << '\n';
  }
}

std::string jsonl_host_line(const HostEntry& host) {
  nlohmann::json line = {{"type", "host"}};
  line.update(host_json(host));
  return line.dump();
}

std::string jsonl_stats_line(const ScanResult& result) {
  const nlohmann::json line = {{"type", "stats"},
                               {"interface", result.interface_name},
                               {"conflicts", conflicts_json(result)},
                               {"claims", claims_json(result)},
                               {"stats", stats_json(result)}};
  return line.dump();
}

std::string summary_line(const ScanResult& result) {
  const std::size_t pis = result.raspberry_pi_count();
  return fmt::format("{} Raspberry Pi{} among {} host{}, {} address{} in {:.1f} s", pis, pis == 1 ? "" : "s",
                     result.hosts.size(), result.hosts.size() == 1 ? "" : "s", result.stats.targets,
                     result.stats.targets == 1 ? "" : "es", result.stats.duration_s + result.stats.names_wait_s);
}

}  // namespace pifind
