// libFuzzer target: `pifind-agent analyze` on any log: parse_seed_log() and the drift estimate of its samples.
// Accepted logs give finite numbers, an "ok" estimate inside its own 95 % interval, and a JSON drift field.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/drift_estimator.h"
#include "agent/seed_log.h"
#include "inventory/core/error.h"
#include "inventory/protocol/report.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using namespace pifind::agent;
using pifind::fuzz::parsed_or_refused;
using pifind::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parsed_or_refused([&] { return parse_seed_log(text); }, "log errors are one line");
  if (!parsed) return 0;
  const SeedLog& log = *parsed;
  require(log.rows >= 1 && !log.samples.empty() && log.samples.size() <= log.rows, "every sample is a row read");
  require(std::isfinite(log.endpoint_ppm), "the endpoint drift is finite");
  for (std::size_t i = 1; i < log.samples.size(); ++i)
    require(log.samples[i - 1].segment <= log.samples[i].segment, "segments never go back");

  const auto e = estimate_drift("log", log.samples);
  if (e.status == DriftStatus::kOk) {
    require(e.ppm && std::isfinite(*e.ppm), "an ok estimate has a finite ppm");
    require(e.ci95_low_ppm && e.ci95_high_ppm && *e.ci95_low_ppm <= *e.ppm && *e.ppm <= *e.ci95_high_ppm,
            "an ok estimate lies inside its 95 % interval");
  }
  AgentReport holder;  // what `analyze --json` prints
  holder.drift.push_back(e);
  require(!to_json(holder).at("drift").at(0).dump().empty(), "the estimate serialises");
  return 0;
}
