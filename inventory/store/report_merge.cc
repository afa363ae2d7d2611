#include "inventory/store/report_merge.h"

#include <algorithm>

namespace pifind {
namespace {

// "192.168.1.20/24" -> 192.168.1.20; IPv6 and malformed entries give nothing.
std::optional<Ipv4Address> ipv4_of(const std::string& address) {
  const auto slash = address.find('/');
  return Ipv4Address::parse(std::string_view(address).substr(0, slash));
}

// "2001:db8::5/64" -> 2001:db8::5, "fe80::1%eth0/64" -> fe80::1 (the zone names the Pi's own interface,
// meaningless anywhere else); IPv4, loopback, multicast, unspecified and malformed entries give nothing.
std::optional<Ipv6Address> ipv6_of(const std::string& address) {
  const std::string_view text = std::string_view(address).substr(0, address.find_first_of("%/"));
  const auto ip = Ipv6Address::parse(text);
  if (!ip || ip->is_loopback() || ip->is_multicast() || ip->is_unspecified()) return std::nullopt;
  return ip;
}

// The device this report belongs to: the agent's own record, else the record of any listed interface.
InventoryRecord& device_for(Inventory& inventory, const AgentReport& report, TimePoint received) {
  if (auto* own = inventory.find_by_mac(report.agent_id)) return *own;
  for (const auto& i : report.identity.interfaces)
    if (auto* known = inventory.find_by_mac(i.mac)) return *known;
  return inventory.record_for_mac(report.agent_id, received);
}

std::string discipline_name(const Discipline& d) {
  if (d.daemons.empty()) return "none";
  std::string joined;
  for (const auto& daemon : d.daemons) joined += (joined.empty() ? "" : ",") + daemon;
  return joined;
}

// References name what the Pi's oscillator was measured against: an RTC ("rtc0") or an NTP server
// ("ntp:host"). "rtc0-vs-ntp" is the RTC's own error against NTP, never the Pi's drift.
bool measures_the_oscillator(const std::string& reference) { return reference.find("-vs-") == std::string::npos; }
bool against_an_rtc(const std::string& reference) {
  return reference.rfind("rtc", 0) == 0 && measures_the_oscillator(reference);
}

// The estimate worth keeping: a finished one against an RTC first, then any finished one.
const DriftEstimate* best_estimate(const std::vector<DriftEstimate>& estimates) {
  const DriftEstimate* best = nullptr;
  for (const auto& e : estimates) {
    if (e.status != DriftStatus::kOk || !e.ppm || !e.stderr_ppm || !measures_the_oscillator(e.reference)) continue;
    if (!best || (against_an_rtc(e.reference) && !against_an_rtc(best->reference))) best = &e;
  }
  return best;
}

void merge_time_facts(InventoryRecord& record, const AgentReport& report) {
  record.time.rtc_present = !report.rtc.devices.empty();
  record.time.rtc_name = report.rtc.devices.empty() ? "" : report.rtc.devices.front().driver;
  record.time.clocksource = report.clocksource.current;
  record.time.time_discipline = discipline_name(report.discipline);
  if (report.discipline.kernel) record.time.ntp_synchronised = report.discipline.kernel->synchronised;
}

void merge_drift(InventoryRecord& record, const AgentReport& report, TimePoint received) {
  const DriftEstimate* e = best_estimate(report.drift);
  if (!e) return;
  DriftSummary d;
  d.drift_ppm = *e->ppm;
  d.uncertainty_ppm = *e->stderr_ppm;
  d.reference = e->reference;
  d.constant = !e->nonconstant;
  d.samples = static_cast<std::size_t>(std::max<std::int64_t>(0, e->samples));
  d.window_s = e->window_s;
  d.measured_at = received;
  for (const auto& rtc : report.rtc.devices)
    if (rtc.rtc_minus_system_s && e->reference == rtc.device) d.offset_s = *rtc.rtc_minus_system_s;
  record.drift = d;
  record.add_drift_sample({received, d.drift_ppm, d.uncertainty_ppm, d.offset_s});
}

}  // namespace

std::optional<std::uint64_t> last_accepted_counter(const Inventory& inventory, const MacAddress& agent) {
  const InventoryRecord* record = inventory.find_by_mac(agent);
  if (!record || !record->agent || record->agent->agent_id != agent.to_string()) return std::nullopt;
  return record->agent->last_counter;
}

ReportMergeResult merge_report(Inventory& inventory, const AgentReport& report, TimePoint received) {
  if (const auto last = last_accepted_counter(inventory, report.agent_id); last && report.counter <= *last)
    return ReportMergeResult::kStaleCounter;
  InventoryRecord& record = device_for(inventory, report, received);
  inventory.attach_mac(record, report.agent_id, "", received);
  std::vector<std::pair<Ipv6Address, MacAddress>> ipv6;
  for (const auto& i : report.identity.interfaces) {
    inventory.attach_mac(record, i.mac, i.name, received);
    for (const auto& address : i.addresses) {
      if (const auto ip = ipv4_of(address)) inventory.assign_ip(record, i.mac, *ip, "agent", received);
      if (const auto ip = ipv6_of(address)) ipv6.emplace_back(*ip, i.mac);
    }
  }
  record.set_current_ipv6(ipv6, received);
  if (!report.identity.hostname.empty()) record.hostname = report.identity.hostname;
  if (!report.identity.model.empty()) record.model = report.identity.model;
  if (!report.identity.serial.empty()) record.serial = report.identity.serial;
  if (report.identity.revision || report.identity.model.rfind("Raspberry Pi", 0) == 0) record.raspberry_pi = true;
  merge_time_facts(record, report);
  merge_drift(record, report, received);
  record.agent = AgentState{report.agent_id.to_string(), report.counter, received};
  record.last_seen = std::max(record.last_seen, received);
  return ReportMergeResult::kAccepted;
}

}  // namespace pifind
