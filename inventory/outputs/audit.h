// `pifind audit`'s judgement of the fleet's clocks: per managed host (its agent reports) drift ± uncertainty
// against thresholds, report age, constancy, and a fleet summary (median, worst, robust outliers); the Pis
// known from scans only listed apart. Pure: inventory and "now" in, verdicts out.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inventory/protocol/report.h"
#include "inventory/store/host_alias.h"

namespace pifind {

struct AuditThresholds {
  /// A host fails when |drift| exceeds this.
  double max_ppm = 50;
  /// ... or when the estimate's standard uncertainty exceeds this.
  double max_uncertainty_ppm = 1;
  /// ... or when its last report is older than this.
  std::chrono::seconds stale{3600};
  /// Unmanaged Pis (no agent has reported) fail as "no-report" instead of being listed apart.
  bool require_agent = false;
};

/// Why a host fails, in the order they are checked.
enum class AuditProblem { kNoReport, kNoEstimate, kStale, kDriftTooLarge, kUncertain, kNotConstant };
/// "no-report", "no-estimate", "stale", "drift", "uncertain", "not-constant".
const char* problem_name(AuditProblem problem);

struct HostAudit {
  std::string alias;
  MacAddress mac;
  /// The current IPv4 address, if known, and where ssh reaches the host (FleetHost::address).
  std::optional<Ipv4Address> ip;
  std::string address;
  /// Its agent has reported; false only for unmanaged Pis audited under require_agent.
  bool managed = true;
  /// The latest sighting by a scan or a report.
  TimePoint last_seen{};
  /// The device's site ("" for none).
  std::string site;
  std::optional<double> drift_ppm;
  std::optional<double> uncertainty_ppm;
  /// drift_ppm as seconds gained per day (ppm * 0.0864).
  std::optional<double> s_per_day;
  std::optional<bool> rtc_present;
  std::string clocksource;
  std::optional<bool> ntp_synchronised;
  std::optional<std::chrono::seconds> report_age;
  /// The adjtimex tick and frequency that cancel drift_ppm (the agent measures on MONOTONIC_RAW, which
  /// they do not touch); none for a drift that is not constant or beyond what the tick can correct.
  std::optional<ClockCorrection> correction;
  std::vector<AuditProblem> problems;
  /// Far from the fleet's median by a robust (median absolute deviation) measure.
  bool outlier = false;

  bool passed() const { return problems.empty(); }
  /// "ok" or the first problem's name.
  std::string verdict() const;
};

/// A Pi known from scans only: no agent reports for it, so there is nothing to judge.
struct UnmanagedHost {
  std::string alias;
  MacAddress mac;
  std::string address;
  /// The site of the scan that saw it ("" for none).
  std::string site;
  TimePoint last_seen{};
};

/// The offset history of one of the worst hosts, for the plot's and the dashboard's history panel.
struct OffsetHistory {
  std::string alias;
  /// Oldest first (the record's drift history).
  std::vector<DriftSample> samples;
};

/// How many of the worst hosts (largest |drift|) get their offset history in the audit.
inline constexpr std::size_t kHistoryHosts = 5;

struct FleetSummary {
  /// Counts over `AuditResult::hosts`, the audited ones.
  std::size_t hosts = 0, passed = 0, failed = 0;
  /// Pis listed apart as unmanaged (0 under require_agent, which audits them).
  std::size_t unmanaged = 0;
  std::optional<double> median_ppm;
  /// The host with the largest |drift|.
  std::optional<std::string> worst_alias;
  std::optional<double> worst_ppm;
  std::vector<std::string> outliers;
};

/// Something about a device's identity an operator should see: a claim kept apart as a conflict, a
/// changed alias, a device key waiting for approval.
struct IdentityNote {
  /// "conflict", "alias-changed", "key-pending".
  std::string kind;
  /// The device's alias (or its MAC when it has none yet); "scanner MAC" for a scanner's pending key.
  std::string device;
  /// One line, e.g. "claims MAC dc:a6:32:00:00:20 of device dc:a6:32:00:00:20 (last 2026-11-25T12:00:00Z)".
  std::string text;
  TimePoint at{};
};

struct AuditResult {
  AuditThresholds thresholds;
  TimePoint at{};
  /// The managed hosts (and the unmanaged ones under require_agent), in alias order.
  std::vector<HostAudit> hosts;
  /// The Pis known from scans only, in alias order; empty under require_agent.
  std::vector<UnmanagedHost> unmanaged;
  /// The worst hosts' offset histories, worst first, at most kHistoryHosts.
  std::vector<OffsetHistory> histories;
  FleetSummary summary;
  /// Newest first. Informational: they do not change the exit status.
  std::vector<IdentityNote> identity;
  /// No audited host failed: unmanaged Pis do not count unless require_agent.
  bool all_passed() const { return summary.failed == 0; }
};

/// Audits the fleet (the hosts `list_fleet_hosts` gives) at time `now`: the managed hosts against
/// `thresholds`, the unmanaged ones listed apart (or failed as "no-report" under require_agent); and lists
/// every device's identity notes. With `site`, only the devices at that site.
AuditResult audit_fleet(const Inventory& inventory, const AuditThresholds& thresholds, TimePoint now,
                        const std::string& site = {});
/// The same for records and the keys pending approval as a collector's snapshot holds them.
AuditResult audit_fleet(RecordsView records, const Inventory::PendingKeys& pending_keys,
                        const AuditThresholds& thresholds, TimePoint now, const std::string& site = {});

/// Aligned text table, one audited host per line (a SITE column when any host has a site), then the summary
/// lines and the unmanaged Pis' names.
std::string render_audit_table(const AuditResult& audit);
/// {"at", "thresholds", "hosts": [...], "unmanaged": [...], "histories": [...], "summary", "identity": [...]}.
nlohmann::json audit_to_json(const AuditResult& audit);
/// audit_to_json(audit).dump(), written a host at a time: no tree of a 100,000-host fleet is built at once.
std::string audit_json_text(const AuditResult& audit);

}  // namespace pifind
