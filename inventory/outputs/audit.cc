#include "inventory/outputs/audit.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "inventory/protocol/adjtimex_correction.h"
#include "inventory/store/device_admission.h"

namespace pifind {
namespace {

constexpr double kSecondsPerDayPerPpm = 86400e-6;
// Iglewicz and Hoaglin: |x - median| / (1.4826 MAD) above 3.5 marks an outlier. A floor on the scale keeps
// a fleet of near-identical clocks from calling a 0.1 ppm difference an outlier.
constexpr double kOutlierZ = 3.5;
constexpr double kMinScalePpm = 0.5;

double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

HostAudit audit_host(const FleetHost& host, const AuditThresholds& t, TimePoint now) {
  const InventoryRecord& r = *host.record;
  HostAudit a;
  a.alias = host.alias;
  a.mac = r.id;
  a.ip = host.ip;
  a.address = host.address;
  a.managed = host.managed();
  a.last_seen = r.last_seen;
  a.site = r.site;
  a.rtc_present = r.time.rtc_present;
  a.clocksource = r.time.clocksource;
  a.ntp_synchronised = r.time.ntp_synchronised;
  if (!r.agent) {
    a.problems.push_back(AuditProblem::kNoReport);
    return a;
  }
  a.report_age = std::chrono::floor<std::chrono::seconds>(now - r.agent->last_report);
  if (!r.drift) a.problems.push_back(AuditProblem::kNoEstimate);
  if (*a.report_age > t.stale) a.problems.push_back(AuditProblem::kStale);
  if (!r.drift) return a;
  a.drift_ppm = r.drift->drift_ppm;
  a.uncertainty_ppm = r.drift->uncertainty_ppm;
  a.s_per_day = r.drift->drift_ppm * kSecondsPerDayPerPpm;
  if (std::abs(r.drift->drift_ppm) > t.max_ppm) a.problems.push_back(AuditProblem::kDriftTooLarge);
  if (r.drift->uncertainty_ppm > t.max_uncertainty_ppm) a.problems.push_back(AuditProblem::kUncertain);
  if (!r.drift->constant) a.problems.push_back(AuditProblem::kNotConstant);
  if (const auto c = adjtimex_correction(r.drift->drift_ppm); c && r.drift->constant)
    a.correction = ClockCorrection{c->settings.tick_us, c->settings.frequency};
  return a;
}

void summarise(AuditResult& audit) {
  FleetSummary& s = audit.summary;
  s.hosts = audit.hosts.size();
  s.unmanaged = audit.unmanaged.size();
  std::vector<double> drifts;
  for (const auto& h : audit.hosts) {
    (h.passed() ? s.passed : s.failed)++;
    if (!h.drift_ppm) continue;
    drifts.push_back(*h.drift_ppm);
    if (!s.worst_ppm || std::abs(*h.drift_ppm) > std::abs(*s.worst_ppm)) {
      s.worst_ppm = h.drift_ppm;
      s.worst_alias = h.alias;
    }
  }
  if (drifts.empty()) return;
  s.median_ppm = median_of(drifts);
  if (drifts.size() < 3) return;
  std::vector<double> deviations;
  for (double d : drifts) deviations.push_back(std::abs(d - *s.median_ppm));
  const double scale = std::max(1.4826 * median_of(deviations), kMinScalePpm);
  for (auto& h : audit.hosts) {
    if (h.drift_ppm && std::abs(*h.drift_ppm - *s.median_ppm) / scale > kOutlierZ) {
      h.outlier = true;
      s.outliers.push_back(h.alias);
    }
  }
}

template <typename T>
nlohmann::json or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

std::string yes_no(const std::optional<bool>& v) { return v ? (*v ? "yes" : "no") : "-"; }

std::string age_text(const std::optional<std::chrono::seconds>& age) {
  if (!age) return "-";
  const long long s = age->count();
  if (s < 120) return fmt::format("{}s", s);
  if (s < 7200) return fmt::format("{}m", s / 60);
  if (s < 172800) return fmt::format("{}h", s / 3600);
  return fmt::format("{}d", s / 86400);
}

// The offset histories of the kHistoryHosts hosts with the largest |drift|.
std::vector<OffsetHistory> worst_histories(const AuditResult& audit, RecordsView records) {
  std::vector<const HostAudit*> worst;
  for (const auto& h : audit.hosts)
    if (h.drift_ppm) worst.push_back(&h);
  // Stable: among equal drifts, alias order.
  std::stable_sort(worst.begin(), worst.end(), [](const HostAudit* a, const HostAudit* b) {
    return std::abs(*a->drift_ppm) > std::abs(*b->drift_ppm);
  });
  std::vector<OffsetHistory> histories;
  for (const HostAudit* h : worst) {
    if (histories.size() == kHistoryHosts) break;
    const InventoryRecord* record = find_record(records, h->mac);
    if (record && !record->drift_history.empty()) histories.push_back({h->alias, record->drift_history});
  }
  return histories;
}

// "18 unmanaged Pis (...):" and their names, wrapped to lines of about 100 columns.
std::string unmanaged_text(const std::vector<UnmanagedHost>& unmanaged) {
  std::string out = fmt::format("{} unmanaged Pi{} (found by scans, no agent reports; not audited without "
                                "--require-agent):\n",
                                unmanaged.size(), unmanaged.size() == 1 ? "" : "s");
  std::string line;
  for (const auto& u : unmanaged) {
    if (!line.empty() && line.size() + u.alias.size() > 100) {
      out += line + '\n';
      line.clear();
    }
    line += (line.empty() ? "  " : " ") + u.alias;
  }
  return out + line + '\n';
}

}  // namespace

const char* problem_name(AuditProblem problem) {
  switch (problem) {
    case AuditProblem::kNoReport: return "no-report";
    case AuditProblem::kNoEstimate: return "no-estimate";
    case AuditProblem::kStale: return "stale";
    case AuditProblem::kDriftTooLarge: return "drift";
    case AuditProblem::kUncertain: return "uncertain";
    case AuditProblem::kNotConstant: return "not-constant";
  }
  return "?";
}

std::string HostAudit::verdict() const { return problems.empty() ? "ok" : problem_name(problems.front()); }

namespace {

// The notes the records carry (conflicts and alias changes), and the keys waiting for approval.
std::vector<IdentityNote> identity_notes(RecordsView records, const Inventory::PendingKeys& pending_keys) {
  std::vector<IdentityNote> notes;
  for (const InventoryRecord* pointer : records) {
    const InventoryRecord& record = *pointer;
    const std::string device = record.alias.empty() ? record.id.to_string() : record.alias;
    for (const auto& c : record.conflicts)
      notes.push_back({"conflict", device,
                       fmt::format("claims {} {} of device {} (first {}, last {})", c.kind == "mac" ? "MAC" : c.kind,
                                   c.value, c.owner.to_string(), format_utc(c.first_seen), format_utc(c.last_seen)),
                       c.last_seen});
    for (const auto& a : record.alias_changes)
      notes.push_back({"alias-changed", device,
                       fmt::format("alias changed from {} to {} at {}", a.from, a.to, format_utc(a.at)), a.at});
  }
  for (const SenderKind kind : {SenderKind::kAgent, SenderKind::kScanner}) {
    const bool scanner = kind == SenderKind::kScanner;
    for (const auto& [sender, p] : pending_keys[Inventory::index(kind)])
      notes.push_back({"key-pending", (scanner ? "scanner " : "") + sender.to_string(),
                       fmt::format("device key {} waits for `{}` ({} {}, last {})", p.key.fingerprint(),
                                   approve_command(kind, sender), p.reports, scanner ? "scans" : "reports",
                                   format_utc(p.last_seen)),
                       p.last_seen});
  }
  std::stable_sort(notes.begin(), notes.end(), [](const IdentityNote& a, const IdentityNote& b) { return a.at > b.at; });
  return notes;
}

}  // namespace

AuditResult audit_fleet(const Inventory& inventory, const AuditThresholds& thresholds, TimePoint now,
                        const std::string& site) {
  return audit_fleet(inventory.record_list(), inventory.all_pending_keys(), thresholds, now, site);
}

AuditResult audit_fleet(RecordsView records, const Inventory::PendingKeys& pending_keys,
                        const AuditThresholds& thresholds, TimePoint now, const std::string& site) {
  AuditResult audit;
  audit.thresholds = thresholds;
  audit.at = now;
  FleetHostOptions options;
  options.site = site;
  for (const auto& host : list_fleet_hosts(records, options)) {
    if (host.managed() || thresholds.require_agent)
      audit.hosts.push_back(audit_host(host, thresholds, now));
    else
      audit.unmanaged.push_back({host.alias, host.record->id, host.address, host.record->site, host.record->last_seen});
  }
  summarise(audit);
  audit.histories = worst_histories(audit, records);
  audit.identity = identity_notes(records, pending_keys);
  return audit;
}

std::string render_audit_table(const AuditResult& audit) {
  std::vector<std::vector<std::string>> rows = {
      {"HOST", "ADDRESS", "DRIFT_PPM", "±PPM", "S/DAY", "RTC", "CLOCKSOURCE", "SYNC", "AGE", "VERDICT"}};
  // A fleet at one place has no SITE column; one spread over sites has it after ADDRESS.
  const bool sites = std::any_of(audit.hosts.begin(), audit.hosts.end(), [](const HostAudit& h) { return !h.site.empty(); });
  if (sites) rows.front().insert(rows.front().begin() + 2, "SITE");
  for (const auto& h : audit.hosts) {
    std::string verdict = h.verdict();
    for (std::size_t i = 1; i < h.problems.size(); ++i) verdict += std::string(",") + problem_name(h.problems[i]);
    if (h.outlier) verdict += " (outlier)";
    rows.push_back({h.alias, h.address.empty() ? "-" : h.address, h.drift_ppm ? fmt::format("{:+.3f}", *h.drift_ppm) : "-",
                    h.uncertainty_ppm ? fmt::format("{:.3f}", *h.uncertainty_ppm) : "-",
                    h.s_per_day ? fmt::format("{:+.4f}", *h.s_per_day) : "-", yes_no(h.rtc_present),
                    h.clocksource.empty() ? "-" : h.clocksource, yes_no(h.ntp_synchronised), age_text(h.report_age),
                    verdict});
    if (sites) rows.back().insert(rows.back().begin() + 2, h.site.empty() ? "-" : h.site);
  }
  std::vector<std::size_t> widths(rows.front().size(), 0);
  // Column widths in characters; "±" is one character but two bytes.
  auto width_of = [](const std::string& s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; }));
  };
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width_of(row[i]));
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - width_of(row[i]) + 2, ' ');
    }
    out += line + '\n';
  }
  const auto& s = audit.summary;
  out += fmt::format("\n{} {}hosts: {} pass, {} fail (max {} ppm, max ±{} ppm, stale after {}{})\n", s.hosts,
                     audit.thresholds.require_agent ? "" : "managed ", s.passed, s.failed, audit.thresholds.max_ppm,
                     audit.thresholds.max_uncertainty_ppm, format_duration(audit.thresholds.stale),
                     audit.thresholds.require_agent ? ", every Pi needs an agent" : "");
  if (s.median_ppm)
    out += fmt::format("median drift {:+.3f} ppm; worst {} at {:+.3f} ppm ({:+.3f} s/day)\n", *s.median_ppm,
                       *s.worst_alias, *s.worst_ppm, *s.worst_ppm * kSecondsPerDayPerPpm);
  if (!s.outliers.empty()) out += fmt::format("outliers: {}\n", fmt::join(s.outliers, ", "));
  if (!audit.unmanaged.empty()) out += unmanaged_text(audit.unmanaged);
  if (!audit.identity.empty()) {
    out += "\nidentity:\n";
    for (const auto& n : audit.identity) out += fmt::format("  {}: {}\n", n.device, n.text);
  }
  return out;
}

namespace {

nlohmann::json identity_json(const std::vector<IdentityNote>& notes) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& n : notes)
    out.push_back({{"kind", n.kind}, {"device", n.device}, {"text", n.text}, {"at", format_utc(n.at)}});
  return out;
}

// {"tick", "frequency", "command"}: what to put in /etc/default/adjtimex (pifind-agent(8), THE CORRECTION).
nlohmann::json correction_json(const std::optional<ClockCorrection>& c) {
  if (!c) return nullptr;
  return {{"tick", c->tick},
          {"frequency", c->frequency},
          {"command", adjtimex_command(c->tick, c->frequency)}};
}

}  // namespace

namespace {

nlohmann::json host_json(const HostAudit& h) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto p : h.problems) problems.push_back(problem_name(p));
  return {{"name", h.alias},
          {"mac", h.mac.to_string()},
          {"ip", h.ip ? nlohmann::json(h.ip->to_string()) : nlohmann::json()},
          {"address", h.address.empty() ? nlohmann::json() : nlohmann::json(h.address)},
          {"managed", h.managed},
          {"last_seen", format_utc(h.last_seen)},
          {"site", h.site.empty() ? nlohmann::json() : nlohmann::json(h.site)},
          {"drift_ppm", or_null(h.drift_ppm)},
          {"uncertainty_ppm", or_null(h.uncertainty_ppm)},
          {"s_per_day", or_null(h.s_per_day)},
          {"rtc_present", or_null(h.rtc_present)},
          {"clocksource", h.clocksource.empty() ? nlohmann::json() : nlohmann::json(h.clocksource)},
          {"ntp_synchronised", or_null(h.ntp_synchronised)},
          {"report_age_s", h.report_age ? nlohmann::json(h.report_age->count()) : nlohmann::json()},
          {"correction", correction_json(h.correction)},
          {"verdict", h.verdict()},
          {"problems", std::move(problems)},
          {"outlier", h.outlier}};
}

nlohmann::json unmanaged_json(const UnmanagedHost& u) {
  return {{"name", u.alias},
          {"mac", u.mac.to_string()},
          {"address", u.address.empty() ? nlohmann::json() : nlohmann::json(u.address)},
          {"site", u.site.empty() ? nlohmann::json() : nlohmann::json(u.site)},
          {"last_seen", format_utc(u.last_seen)}};
}

// Everything but the host lists, whose members are many and small.
nlohmann::json audit_frame_json(const AuditResult& audit) {
  nlohmann::json histories = nlohmann::json::array();
  for (const auto& h : audit.histories) {
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& sample : h.samples) samples.push_back({{"at", format_utc(sample.at)}, {"offset_s", sample.offset_s}});
    histories.push_back({{"name", h.alias}, {"samples", std::move(samples)}});
  }
  const auto& s = audit.summary;
  return {{"at", format_utc(audit.at)},
          {"thresholds",
           {{"max_ppm", audit.thresholds.max_ppm},
            {"max_uncertainty_ppm", audit.thresholds.max_uncertainty_ppm},
            {"stale_s", audit.thresholds.stale.count()},
            {"require_agent", audit.thresholds.require_agent}}},
          {"histories", std::move(histories)},
          {"summary",
           {{"hosts", s.hosts},
            {"passed", s.passed},
            {"failed", s.failed},
            {"unmanaged", s.unmanaged},
            {"median_ppm", or_null(s.median_ppm)},
            {"worst", s.worst_alias ? nlohmann::json(*s.worst_alias) : nlohmann::json()},
            {"worst_ppm", or_null(s.worst_ppm)},
            {"outliers", s.outliers}}},
          {"identity", identity_json(audit.identity)}};
}

}  // namespace

nlohmann::json audit_to_json(const AuditResult& audit) {
  nlohmann::json json = audit_frame_json(audit);
  json["hosts"] = nlohmann::json::array();
  for (const auto& h : audit.hosts) json["hosts"].push_back(host_json(h));
  json["unmanaged"] = nlohmann::json::array();
  for (const auto& u : audit.unmanaged) json["unmanaged"].push_back(unmanaged_json(u));
  return json;
}

std::string audit_json_text(const AuditResult& audit) {
  // The members in the order nlohmann writes an object's (by key), each dumped as it is made.
  const nlohmann::json frame = audit_frame_json(audit);
  std::string text;
  text.reserve(512 + audit.hosts.size() * 512 + audit.unmanaged.size() * 128);
  auto key = [&](const char* name) {
    text += text.empty() ? "{\"" : ",\"";
    text += name;
    text += "\":";
  };
  auto member = [&](const char* name) {
    key(name);
    text += frame[name].dump();
  };
  auto list = [&](const char* name, const auto& entries, auto to_json) {
    key(name);
    text += '[';
    for (const auto& e : entries) {
      if (text.back() != '[') text += ',';
      text += to_json(e).dump();
    }
    text += ']';
  };
  member("at");
  member("histories");
  list("hosts", audit.hosts, host_json);
  member("identity");
  member("summary");
  member("thresholds");
  list("unmanaged", audit.unmanaged, unmanaged_json);
  text += '}';
  return text;
}

}  // namespace pifind
