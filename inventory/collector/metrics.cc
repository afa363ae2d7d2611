#include "inventory/collector/metrics.h"

#include <initializer_list>
#include <utility>

#include <fmt/format.h>

#include "inventory/store/host_alias.h"

namespace pifind {
namespace {

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string render_metrics(RecordsView records, const CollectorStats& stats, TimePoint now, bool with_hosts) {
  std::string out;
  header(out, "pifind_devices", "gauge", "Devices in the inventory.");
  out += fmt::format("pifind_devices {}\n", records.size());
  // Reports and scans alike: a counter per result, summed from the refusals by what their answer says, so
  // the results add up to everything received and agree with pifind_reports_refused_total.
  auto by_result = [&out](const char* name, const char* help, std::uint64_t accepted, const auto& refused) {
    std::uint64_t too_large = 0, invalid = 0, signature = 0, replay = 0, forbidden = 0, write_failed = 0;
    for (std::size_t i = 1; i < refused.size(); ++i) {
      const auto refusal = static_cast<Refusal>(i);
      switch (refusal_status(refusal)) {
        case 413: too_large += refused[i]; break;
        case 400: invalid += refused[i]; break;
        case 401: signature += refused[i]; break;
        case 409: replay += refused[i]; break;  // a replay or a counter too far ahead
        case 403: forbidden += refused[i]; break;
        default: write_failed += refused[i]; break;
      }
    }
    header(out, name, "counter", help);
    const std::initializer_list<std::pair<const char*, std::uint64_t>> counts = {
        {"accepted", accepted}, {"bad_signature", signature}, {"invalid", invalid},           {"too_large", too_large},
        {"replay", replay},     {"forbidden", forbidden},     {"write_failed", write_failed}};
    for (const auto& [result, count] : counts)
      out += fmt::format("{}{{result=\"{}\"}} {}\n", name, result, count);
  };
  by_result("pifind_collector_reports_total", "Agent reports received, by result.", stats.reports_accepted,
            stats.refused);
  by_result("pifind_collector_scans_total", "Scans received (POST /v1/scans), by result.", stats.scans_accepted,
            stats.scans_refused);
  auto sample = [&out](const char* name, const char* type, const char* help, auto value) {
    header(out, name, type, help);
    out += fmt::format("{} {}\n", name, value);
  };
  header(out, "pifind_reports_refused_total", "counter",
         "Agent reports (sender=\"agent\") and scans (sender=\"scanner\") refused, by reason (403 ones name a "
         "sender whose key, enrolment or identity is in question).");
  const auto refused_by = [&out](const char* sender, const auto& refused, bool scans) {
    for (std::size_t i = 1; i < refused.size(); ++i) {
      const auto refusal = static_cast<Refusal>(i);
      if (scans && refusal == Refusal::kIdentityConflict) continue;  // a scanner may run on any device
      out += fmt::format("pifind_reports_refused_total{{sender=\"{}\",reason=\"{}\"}} {}\n", sender,
                         refusal_name(refusal), refused[i]);
    }
  };
  refused_by("agent", stats.refused, false);
  refused_by("scanner", stats.scans_refused, true);
  sample("pifind_identity_conflicts_total", "counter",
         "Interfaces or serial numbers reports claimed from another device; kept apart, listed by pifind audit.",
         stats.identity_conflicts);
  sample("pifind_device_keys_pending", "gauge", "Device keys of agents and scanners waiting for `pifind keys approve`.",
         stats.keys_pending);
  sample("pifind_collector_commits_total", "counter",
         "Group commits (journal frames or whole-file writes); each makes many reports durable.", stats.commits);
  sample("pifind_collector_fsyncs_total", "counter", "fsync calls made by inventory writes.", stats.fsyncs);
  sample("pifind_collector_compactions_total", "counter",
         "New generations of the inventory file written, each folding the journal into it.", stats.compactions);
  sample("pifind_collector_compaction_failures_total", "counter", "Compactions that failed and were retried.",
         stats.compaction_failures);
  sample("pifind_collector_journal_bytes", "gauge", "Size of the inventory's journal files.", stats.journal_bytes);
  sample("pifind_collector_file_behind_seconds", "gauge",
         "Age of the oldest committed change the inventory file alone does not hold yet (0: it is complete).",
         fmt::format("{:.3f}", stats.file_behind_s));
  sample("pifind_collector_reloads_total", "counter",
         "Re-reads of the inventory file after another process changed it.", stats.reloads);

  // Every fleet member, named as ssh-config and the exports name it; the per-host clock series are for the
  // managed ones (their agent reports), whatever addresses they have.
  const std::vector<FleetHost> fleet = list_fleet_hosts(records, {});
  std::vector<FleetHost> hosts;
  for (const auto& h : fleet)
    if (h.managed()) hosts.push_back(h);
  header(out, "pifind_fleet_hosts", "gauge",
         "Fleet members (Raspberry Pis and devices running pifind-agent), by whether an agent reports for them.");
  out += fmt::format("pifind_fleet_hosts{{managed=\"true\"}} {}\n", hosts.size());
  out += fmt::format("pifind_fleet_hosts{{managed=\"false\"}} {}\n", fleet.size() - hosts.size());
  if (!with_hosts) return out;
  // host, mac, and site where the device has one (absent and empty are the same to Prometheus).
  auto host_labels = [](const FleetHost& h) {
    const std::string& site = h.record->site;
    return fmt::format("host=\"{}\",mac=\"{}\"{}", escape_label_value(h.alias), h.record->id.to_string(),
                       site.empty() ? "" : fmt::format(",site=\"{}\"", escape_label_value(site)));
  };
  auto labels = [&](const FleetHost& h) { return "{" + host_labels(h) + "}"; };
  if (!fleet.empty()) {
    header(out, "pifind_host_last_seen_timestamp_seconds", "gauge",
           "When a scan or a report last saw the device, Unix time; managed=\"false\" for Pis known from scans only.");
    for (const auto& h : fleet)
      out += fmt::format("pifind_host_last_seen_timestamp_seconds{{{},managed=\"{}\"}} {}\n", host_labels(h),
                         h.managed() ? "true" : "false",
                         std::chrono::duration_cast<std::chrono::seconds>(h.record->last_seen.time_since_epoch()).count());
  }
  auto per_host = [&](const char* name, const char* type, const char* help, auto value_of) {
    std::string samples;
    for (const auto& h : hosts)
      if (const auto v = value_of(*h.record)) samples += fmt::format("{}{} {}\n", name, labels(h), *v);
    if (samples.empty()) return;
    header(out, name, type, help);
    out += samples;
  };
  using Value = std::optional<double>;
  per_host("pifind_host_drift_ppm", "gauge", "Latest clock drift estimate in parts per million; positive runs fast.",
           [](const InventoryRecord& r) { return r.drift ? Value(r.drift->drift_ppm) : Value(); });
  per_host("pifind_host_drift_uncertainty_ppm", "gauge", "Standard uncertainty of the drift estimate, ppm.",
           [](const InventoryRecord& r) { return r.drift ? Value(r.drift->uncertainty_ppm) : Value(); });
  per_host("pifind_host_rtc_present", "gauge", "1 if the device has a real-time clock.", [](const InventoryRecord& r) {
    return r.time.rtc_present ? Value(*r.time.rtc_present ? 1 : 0) : Value();
  });
  per_host("pifind_host_ntp_synchronised", "gauge", "1 if the kernel says the clock is synchronised.",
           [](const InventoryRecord& r) {
             return r.time.ntp_synchronised ? Value(*r.time.ntp_synchronised ? 1 : 0) : Value();
           });
  per_host("pifind_host_report_age_seconds", "gauge", "Seconds since the device's last accepted report.",
           [now](const InventoryRecord& r) {
             return Value(std::chrono::duration<double>(now - r.agent->last_report).count());
           });
  return out;
}

}  // namespace pifind
