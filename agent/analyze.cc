#include "agent/analyze.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/drift_estimator.h"
#include "agent/seed_log.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/protocol/adjtimex_correction.h"

namespace pifind::agent {
namespace {

// The correction for the log's clock: it ran under the tick and frequency its rows show (10000 and 0,
// the values the seed reset, when no row shows them). Nothing, with the reason, if there is none.
std::optional<AdjtimexCorrection> log_correction(const SeedLog& log, const DriftEstimate& e, std::string& why_not) {
  if (log.settings_changed_at_row != 0) {
    why_not = fmt::format("the tick or frequency changed at row {}: no single correction fits the whole log",
                          log.settings_changed_at_row);
    return std::nullopt;
  }
  if (e.nonconstant) {
    why_not = "the drift is not constant: a correction from the whole log would be wrong for its end";
    return std::nullopt;
  }
  return adjtimex_correction(*e.ppm, log.settings.value_or(AdjtimexSettings{}), &why_not);
}

// adjtimex's own error_ppm counts per second of the system clock; ours per second of the reference.
// Both are given where the difference is larger than the estimate's standard error.
bool conventions_differ(const DriftEstimate& e) {
  return std::abs(*e.ppm - per_system_second_ppm(*e.ppm)) > *e.stderr_ppm;
}

}  // namespace

int run_analyze(const std::string& path, bool json, std::ostream& out) {
  const auto text = read_small_file(path, 512 * 1024 * 1024);
  if (!text) throw Error(fmt::format("cannot open {}: No such file or directory", path));
  const SeedLog log = parse_seed_log(*text);
  const DriftEstimate e = estimate_drift("log", log.samples);
  std::string why_not;
  const auto correction = e.status == DriftStatus::kOk ? log_correction(log, e, why_not) : std::nullopt;
  const AdjtimexSettings under = log.settings.value_or(AdjtimexSettings{});
  if (json) {
    AgentReport holder;  // reuses the report's field names for the estimate
    holder.drift.push_back(e);
    nlohmann::json doc = to_json(holder).at("drift").at(0);
    doc["rows"] = log.rows;
    doc["ignored_lines"] = log.ignored_lines;
    doc["steps"] = log.steps;
    doc["endpoint_ppm"] = log.endpoint_ppm;
    doc["convention"] = "per reference second";
    if (e.ppm) doc["error_ppm_per_system_s"] = per_system_second_ppm(*e.ppm);
    doc["log_tick"] = under.tick_us;
    doc["log_frequency"] = under.frequency;
    if (correction) {
      doc["correction"] = {{"tick", correction->settings.tick_us},
                           {"frequency", correction->settings.frequency},
                           {"residual_ppm", correction->residual_ppm},
                           {"command", correction->command()}};
    } else if (!why_not.empty()) {
      doc["correction_refused"] = why_not;
    }
    out << doc.dump(2) << '\n';
    return e.status == DriftStatus::kOk ? 0 : 1;
  }
  out << fmt::format("{} comparisons, {} segment(s), {} step(s), {} line(s) ignored; window {:.0f} s ({:.1f} h)\n",
                     log.rows, e.segments, log.steps, log.ignored_lines, e.window_s, e.window_s / 3600);
  if (e.status != DriftStatus::kOk) {
    out << "drift: " << e.message << '\n';
    return 1;
  }
  out << fmt::format("drift {:+.3f} ppm per RTC second (system clock vs RTC, positive = system gaining)\n", *e.ppm);
  if (conventions_differ(e))
    out << fmt::format("  {:+.3f} ppm per system second, the convention of adjtimex --compare's error_ppm\n",
                       per_system_second_ppm(*e.ppm));
  out << fmt::format("  standard error {:.4f} ppm, 95 % interval [{:+.3f}, {:+.3f}] ppm\n", *e.stderr_ppm,
                     *e.ci95_low_ppm, *e.ci95_high_ppm);
  out << fmt::format("  {:+.4f} s/day, residual RMS {:.3f} ms\n", *e.s_per_day, *e.residual_rms_s * 1e3);
  out << fmt::format("  constant drift: {}{}\n", e.nonconstant ? "NO" : "yes",
                     e.runs_z ? fmt::format(" (runs test z = {:.2f})", *e.runs_z) : "");
  if (e.recent_ppm) out << fmt::format("  recent half: {:+.3f} ppm\n", *e.recent_ppm);
  for (const auto& a : e.allan) out << fmt::format("  Allan deviation at tau {:.0f} s: {:.3e}\n", a.tau_s, a.adev);
  out << fmt::format("endpoint method (the seed's arithmetic): {:+.3f} ppm\n", log.endpoint_ppm);
  if (!correction) {
    out << "correction: none: " << why_not << '\n';
    return 0;
  }
  out << fmt::format("correction (for the log's tick {} and frequency {}{}): tick {}, frequency {}\n", under.tick_us,
                     under.frequency, log.settings ? "" : ", assumed", correction->settings.tick_us,
                     correction->settings.frequency);
  out << fmt::format("  apply now (as root):  {}\n", correction->command());
  out << fmt::format("  at every boot:        {} in /etc/default/adjtimex\n", correction->default_file_lines());
  out << fmt::format("  leaves {:+.5f} ppm by rounding; the estimate itself is good to ±{:.3f} ppm (95 %)\n",
                     correction->residual_ppm, (*e.ci95_high_ppm - *e.ci95_low_ppm) / 2);
  return 0;
}

}  // namespace pifind::agent
