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
    return {};
  } catch (const std::exception& e) {
    problem = e.what();
  }
  samples_.clear();
  segments_.clear();
  steps_ = 0;
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

bool SampleStore::add(std::int64_t reference_ns, std::int64_t raw_ns, const std::string& boot_id) {
  bool start = segments_.empty() || segments_.back().second != boot_id;
  if (!start && !samples_.empty()) {
    const auto seg = current_segment();
    const DriftSample& last = seg.back();
    // Expected rate: the segment's own fit once it has one, else anything within ±600 ppm.
    if (seg.size() < 8) {
      fitted_size_ = 0;
      fitted_rate_ = 0;
      fitted_slack_ = 600e-6;
    } else if (seg.size() < fitted_size_ || seg.size() >= 2 * fitted_size_ || seg.size() >= fitted_size_ + 256) {
      if (const auto fit = fit_common_slope(seg)) {
        fitted_size_ = seg.size();
        fitted_rate_ = fit->slope;
        fitted_slack_ = 20e-6 + 10 * fit->slope_stderr;
      }
    }
    const double rate = fitted_rate_, slack = fitted_slack_;
    const double dt = static_cast<double>(reference_ns - last.reference_ns) * 1e-9;
    const double dx = static_cast<double>((raw_ns - last.raw_ns) - (reference_ns - last.reference_ns)) * 1e-9;
    if (dt < 0 || std::abs(dx - rate * dt) > step_tolerance_s_ + slack * std::abs(dt)) {
      start = true;
      ++steps_;
    }
  }
  if (start) {
    fitted_size_ = 0;
    fitted_rate_ = 0;
    fitted_slack_ = 600e-6;
    const std::uint32_t id = segments_.empty() ? 1 : segments_.back().first + 1;
    segments_.emplace_back(id, boot_id);
  }
  samples_.push_back({reference_ns, raw_ns, segments_.back().first});
  thin();
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
