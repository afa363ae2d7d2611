#include "agent/analyze.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/drift_estimator.h"
#include "agent/seed_log.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"

namespace pifind::agent {

int run_analyze(const std::string& path, bool json, std::ostream& out) {
  const auto text = read_small_file(path, 512 * 1024 * 1024);
  if (!text) throw Error(fmt::format("cannot open {}: No such file or directory", path));
  const SeedLog log = parse_seed_log(*text);
  const DriftEstimate e = estimate_drift("log", log.samples);
  if (json) {
    AgentReport holder;  // reuses the report's field names for the estimate
    holder.drift.push_back(e);
    nlohmann::json doc = to_json(holder).at("drift").at(0);
    doc["rows"] = log.rows;
    doc["ignored_lines"] = log.ignored_lines;
    doc["steps"] = log.steps;
    doc["endpoint_ppm"] = log.endpoint_ppm;
    out << doc.dump(2) << '\n';
    return e.status == DriftStatus::kOk ? 0 : 1;
  }
  out << fmt::format("{} comparisons, {} segment(s), {} step(s), {} line(s) ignored; window {:.0f} s ({:.1f} h)\n",
                     log.rows, e.segments, log.steps, log.ignored_lines, e.window_s, e.window_s / 3600);
  if (e.status != DriftStatus::kOk) {
    out << "drift: " << e.message << '\n';
    return 1;
  }
  out << fmt::format("drift {:+.3f} ppm (system clock vs RTC, positive = system gaining)\n", *e.ppm);
  out << fmt::format("  standard error {:.4f} ppm, 95 % interval [{:+.3f}, {:+.3f}] ppm\n", *e.stderr_ppm,
                     *e.ci95_low_ppm, *e.ci95_high_ppm);
  out << fmt::format("  {:+.4f} s/day, residual RMS {:.3f} ms\n", *e.s_per_day, *e.residual_rms_s * 1e3);
  out << fmt::format("  constant drift: {}{}\n", e.nonconstant ? "NO" : "yes",
                     e.runs_z ? fmt::format(" (runs test z = {:.2f})", *e.runs_z) : "");
  if (e.recent_ppm) out << fmt::format("  recent half: {:+.3f} ppm\n", *e.recent_ppm);
  for (const auto& a : e.allan) out << fmt::format("  Allan deviation at tau {:.0f} s: {:.3e}\n", a.tau_s, a.adev);
  out << fmt::format("endpoint method (the seed's arithmetic): {:+.3f} ppm\n", log.endpoint_ppm);
  return 0;
}

}  // namespace pifind::agent
