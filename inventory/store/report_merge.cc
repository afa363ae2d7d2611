#include "inventory/store/report_merge.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "inventory/store/host_alias.h"

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

// Joins the report's interfaces to `record`, and their IPv6 addresses as the device's current ones. A MAC of
// another agent's device is that device's, whatever this report says: noted as a conflict, its addresses
// ignored. A record only a scan made (no agent) is absorbed: the scanner sees a Pi's second interface before
// its agent reports it.
void merge_interfaces(Inventory& inventory, InventoryRecord& record, const AgentReport& report, TimePoint received,
                      ReportMergeOutcome& outcome) {
  std::vector<std::pair<Ipv6Address, MacAddress>> ipv6;
  for (const auto& i : report.identity.interfaces) {
    const InventoryRecord* owner = std::as_const(inventory).find_by_mac(i.mac);
    if (owner && owner->id != record.id && owner->agent) {
      record.note_conflict("mac", i.mac.to_string(), owner->id, received);
      outcome.conflicts.push_back(fmt::format("{} lists {} ({}), which belongs to device {}", report.agent_id.to_string(),
                                              i.mac.to_string(), i.name, owner->id.to_string()));
      continue;
    }
    const std::string absorbed_alias = owner && owner->id != record.id ? owner->alias : "";
    inventory.attach_mac(record, i.mac, i.name, received);
    if (!absorbed_alias.empty()) record.alias_changes.push_back({absorbed_alias, "", received});
    for (const auto& address : i.addresses) {
      if (const auto ip = ipv4_of(address)) inventory.assign_ip(record, i.mac, *ip, "agent", received, record.site);
      if (const auto ip = ipv6_of(address)) ipv6.emplace_back(*ip, i.mac);
    }
  }
  record.set_current_ipv6(ipv6, received);
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

ReportMergeOutcome merge_report(Inventory& inventory, const AgentReport& report, const ReportAuthority& authority,
                                TimePoint received) {
  ReportMergeOutcome outcome;
  if (const Admission admission = admit_report(inventory, report, authority, received); !admission.admitted()) {
    outcome.refusal = admission.refusal;
    outcome.reason = admission.reason;
    return outcome;
  }
  // The agent's own MAC is free, a scan-only record's, or this device's (admit_report refused the rest).
  InventoryRecord& record = inventory.record_for_mac(report.agent_id, received);
  inventory.attach_mac(record, report.agent_id, "", received);
  merge_interfaces(inventory, record, report, received, outcome);
  if (!report.identity.hostname.empty()) record.hostname = report.identity.hostname;
  if (!report.identity.model.empty()) record.model = report.identity.model;
  if (const auto owner = inventory.set_serial(record, report.identity.serial)) {
    record.note_conflict("serial", report.identity.serial, *owner, received);
    outcome.conflicts.push_back(fmt::format("{} reports serial {}, which belongs to device {}",
                                            report.agent_id.to_string(), report.identity.serial, owner->to_string()));
  }
  if (report.identity.revision || report.identity.model.rfind("Raspberry Pi", 0) == 0) record.raspberry_pi = true;
  merge_time_facts(record, report);
  merge_drift(record, report, received);
  record_agent(inventory, record, report, authority, received);
  record.last_seen = std::max(record.last_seen, received);
  give_alias(inventory, record, received);
  // An absorbed scan-only record's alias now names nothing: say what replaced it.
  for (auto& change : record.alias_changes)
    if (change.to.empty()) change.to = record.alias;
  std::erase_if(record.alias_changes, [](const AliasChange& c) { return c.from == c.to; });
  return outcome;
}

}  // namespace pifind
