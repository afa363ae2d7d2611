// `pifind audit`'s judgement of the fleet's clocks: per host drift ± uncertainty against thresholds, report
// age, constancy, and a fleet summary (median, worst, robust outliers). Pure: inventory and "now" in, verdicts out.
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
};

/// Why a host fails, in the order they are checked.
enum class AuditProblem { kNoReport, kNoEstimate, kStale, kDriftTooLarge, kUncertain, kNotConstant };
/// "no-report", "no-estimate", "stale", "drift", "uncertain", "not-constant".
const char* problem_name(AuditProblem problem);

struct HostAudit {
  std::string alias;
  MacAddress mac;
  Ipv4Address ip;
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

struct FleetSummary {
  std::size_t hosts = 0, passed = 0, failed = 0;
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
  /// The device's alias (or its MAC when it has none yet).
  std::string device;
  /// One line, e.g. "claims MAC dc:a6:32:00:00:20 of device dc:a6:32:00:00:20 (last 2026-11-25T12:00:00Z)".
  std::string text;
  TimePoint at{};
};

struct AuditResult {
  AuditThresholds thresholds;
  std::vector<HostAudit> hosts;
  FleetSummary summary;
  /// Newest first. Informational: they do not change the exit status.
  std::vector<IdentityNote> identity;
  bool all_passed() const { return summary.failed == 0; }
};

/// Audits every fleet member with a current address (the hosts `list_fleet_hosts` gives) at time `now`, and
/// lists every device's identity notes; with `site`, only the hosts at that site.
AuditResult audit_fleet(const Inventory& inventory, const AuditThresholds& thresholds, TimePoint now,
                        const std::string& site = {});
/// The same for records alone (a collector's snapshot): their conflicts and alias changes, not the inventory's
/// pending keys.
AuditResult audit_fleet(RecordsView records, const AuditThresholds& thresholds, TimePoint now,
                        const std::string& site = {});

/// Aligned text table, one host per line (a SITE column when any host has a site), then the summary lines.
std::string render_audit_table(const AuditResult& audit);
/// {"thresholds", "hosts": [...], "summary"}.
nlohmann::json audit_to_json(const AuditResult& audit);

}  // namespace pifind
