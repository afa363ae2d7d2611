#include "agent/sample_store.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"

namespace pifind::agent {
namespace {

constexpr const char* kFormat = "pifind-agent-samples/1";
// The least slack on a measured rate: a crystal wanders by a few ppm with temperature.
constexpr double kRateSlackFloor = 20e-6;

}  // namespace

SampleStore::SampleStore(std::filesystem::path file, std::size_t max_samples, double step_tolerance_s)
    : file_(std::move(file)), max_samples_(std::max<std::size_t>(max_samples, 16)), step_tolerance_s_(step_tolerance_s) {}

std::string SampleStore::load() {
  samples_.clear();
  segments_.clear();
  steps_ = 0;
  std::string problem;
  try {
    const auto text = read_small_file(file_, 16 * 1024 * 1024);
    if (!text) return {};
    const auto j = nlohmann::json::parse(*text);
    if (j.at("format") != kFormat) throw Error("unknown format");
    for (const auto& s : j.at("segments")) segments_.emplace_back(s.at(0).get<std::uint32_t>(), s.at(1).get<std::string>());
    for (const auto& s : j.at("samples")) {
      DriftSample d{s.at(1).get<std::int64_t>(), s.at(2).get<std::int64_t>(), s.at(0).get<std::uint32_t>()};
      const bool known = std::any_of(segments_.begin(), segments_.end(), [&](auto& g) { return g.first == d.segment; });
      const bool backwards = !samples_.empty() && (d.segment < samples_.back().segment ||
                                                   (d.segment == samples_.back().segment &&
                                                    d.reference_ns < samples_.back().reference_ns));
      if (!known || backwards) throw Error("samples out of order or of an unknown segment");
      samples_.push_back(d);
    }
    steps_ = j.at("steps").get<std::int64_t>();
    thin();
    fit_.rebuild(samples_);
    return {};
  } catch (const std::exception& e) {
    problem = e.what();
  }
  samples_.clear();
  segments_.clear();
  steps_ = 0;
  fit_.rebuild(samples_);
  std::error_code ec;
  std::filesystem::rename(file_, file_.string() + ".corrupt", ec);
  return fmt::format("{} was unreadable ({}); set aside as .corrupt, starting afresh", file_.string(),
                     problem.substr(0, 80));
}

void SampleStore::save() const {
  nlohmann::json segments = nlohmann::json::array();
  for (const auto& [id, boot] : segments_) segments.push_back({id, boot});
  nlohmann::json samples = nlohmann::json::array();
  for (const auto& s : samples_) samples.push_back({s.segment, s.reference_ns, s.raw_ns});
  const nlohmann::json j{{"format", kFormat}, {"segments", segments}, {"samples", samples}, {"steps", steps_}};
  write_file_atomically(file_, j.dump() + "\n");
}

std::span<const DriftSample> SampleStore::current_segment() const {
  if (samples_.empty()) return {};
  std::size_t first = samples_.size();
  while (first > 0 && samples_[first - 1].segment == samples_.back().segment) --first;
  return std::span<const DriftSample>(samples_).subspan(first);
}

std::optional<std::pair<double, double>> SampleStore::expected_rate() const {
  // Ten standard errors: a real step stands out, a noisy rate does not cut the data into pieces.
  const auto newest = fit_.newest_segment();
  if (newest && newest->dof >= 1) return std::pair{newest->slope, kRateSlackFloor + 10 * newest->slope_stderr};
  const auto common = fit_.common();
  if (common && common->dof >= 1) return std::pair{common->slope, kRateSlackFloor + 10 * common->slope_stderr};
  // One interval so far: its two ends are each uncertain by up to the step tolerance.
  if (common) return std::pair{common->slope, kRateSlackFloor + 2 * step_tolerance_s_ / std::sqrt(2 * common->stt_s2)};
  return std::nullopt;
}

bool SampleStore::add(std::int64_t reference_ns, std::int64_t raw_ns, const std::string& boot_id) {
  bool start = segments_.empty() || segments_.back().second != boot_id;
  bool reanchor = false;
  if (!start && !samples_.empty()) {
    const DriftSample& last = samples_.back();
    const double dt = static_cast<double>(reference_ns - last.reference_ns) * 1e-9;
    const double dx = static_cast<double>((raw_ns - last.raw_ns) - (reference_ns - last.reference_ns)) * 1e-9;
    const bool within_prior = dt >= 0 && std::abs(dx) <= step_tolerance_s_ + kMaxEstimatePpm * 1e-6 * dt;
    const auto expected = expected_rate();
    const bool departs = expected ? dt < 0 || std::abs(dx - expected->first * dt) >
                                                  step_tolerance_s_ + expected->second * std::abs(dt)
                                  : !within_prior;
    if (departs) {
      start = true;
      ++steps_;
      // A rate known from one interval only, and this sample departs from it: the step was in that
      // interval or in this one, and the next sample tells which. Until then the previous sample goes
      // with this one, so a step in the very first interval cannot become the rate every later sample
      // is judged by.
      const auto common = fit_.common();
      reanchor = within_prior && common && common->dof < 1 && current_segment().size() == 2;
    }
  }
  if (start) {
    const std::uint32_t id = segments_.empty() ? 1 : segments_.back().first + 1;
    segments_.emplace_back(id, boot_id);
    if (reanchor) samples_.back().segment = id;
  }
  samples_.push_back({reference_ns, raw_ns, segments_.back().first});
  const std::size_t before = samples_.size();
  thin();
  if (reanchor || samples_.size() != before)
    fit_.rebuild(samples_);
  else
    fit_.add(samples_.back());
  return start;
}

void SampleStore::thin() {
  // Over the bound: drop every other sample of the older half. The span (what makes the estimate
  // tight) is kept; only density in the past is lost.
  while (samples_.size() > max_samples_) {
    const std::size_t half = samples_.size() / 2;
    std::vector<DriftSample> kept;
    kept.reserve(samples_.size());
    for (std::size_t i = 0; i < samples_.size(); ++i)
      if (i >= half || i % 2 == 0) kept.push_back(samples_[i]);
    samples_ = std::move(kept);
  }
  // Forget segments that no sample refers to any more.
  std::erase_if(segments_, [&](const auto& g) {
    return g != segments_.back() &&
           std::none_of(samples_.begin(), samples_.end(), [&](const DriftSample& s) { return s.segment == g.first; });
  });
}

}  // namespace pifind::agent
