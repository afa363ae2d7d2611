#include "scanner/loss_estimator.h"

#include <algorithm>
#include <cmath>

namespace pifind {
namespace {

// The prior Beta(1, 1 + prior_answered): see the header.
constexpr double prior_answered = 10;

constexpr int grid_points = 2001;
constexpr double grid_low = -25;
constexpr double grid_high = 25;

double softplus(double x) { return x > 35 ? x : std::log1p(std::exp(x)); }

// Points evenly spaced in u = logit(q), with log q and log(1 - q) computed without cancellation.
struct Grid {
  std::vector<double> q, log_q, log_not_q;
  Grid() : q(grid_points), log_q(grid_points), log_not_q(grid_points) {
    for (int i = 0; i < grid_points; ++i) {
      const double u = grid_low + (grid_high - grid_low) * i / (grid_points - 1);
      log_q[i] = -softplus(-u);
      log_not_q[i] = -softplus(u);
      q[i] = std::exp(log_q[i]);
    }
  }
};

const Grid& grid() {
  static const Grid instance;
  return instance;
}

}  // namespace

void LossEstimator::add_answer(int tries) {
  if (tries < 1) return;
  if (answered_on_try_.size() < static_cast<std::size_t>(tries)) answered_on_try_.resize(static_cast<std::size_t>(tries), 0);
  ++answered_on_try_[static_cast<std::size_t>(tries - 1)];
  ++answers_;
  truncation_valid_ = false;
}

void LossEstimator::add_confirmation(bool answered) { ++(answered ? confirmations_answered_ : confirmations_lost_); }

void LossEstimator::revise_lost_confirmation() {
  if (confirmations_lost_ == 0) return;
  --confirmations_lost_;
  ++confirmations_answered_;
}

void LossEstimator::set_rounds(int rounds) {
  rounds = std::max(1, rounds);
  if (rounds != rounds_) truncation_valid_ = false;
  rounds_ = rounds;
}

double LossEstimator::failures() const {
  double lost = confirmations_lost_;
  for (std::size_t j = 0; j < answered_on_try_.size(); ++j) lost += static_cast<double>(answered_on_try_[j]) * static_cast<double>(j);
  return lost;
}

const std::vector<double>& LossEstimator::truncation_terms() const {
  if (truncation_valid_) return truncation_;
  truncation_valid_ = true;
  const Grid& g = grid();
  std::vector<double>& out = truncation_;
  out.assign(grid_points, 0.0);
  // A host answering on try j would have had k = max(j, rounds) tries: group the hosts by k.
  std::vector<int> hosts_by_k(std::max(answered_on_try_.size(), static_cast<std::size_t>(rounds_)) + 1, 0);
  for (std::size_t j = 0; j < answered_on_try_.size(); ++j) {
    hosts_by_k[std::max(j + 1, static_cast<std::size_t>(rounds_))] += answered_on_try_[j];
  }
  for (std::size_t k = 1; k < hosts_by_k.size(); ++k) {
    if (hosts_by_k[k] == 0) continue;
    const double hosts = hosts_by_k[k];
    for (int i = 0; i < grid_points; ++i) {
      // log(1 - q^k); k = 1 directly, larger k through expm1 so q near 1 keeps its digits.
      const double log_not_all_lost =
          k == 1 ? g.log_not_q[i] : std::log(-std::expm1(static_cast<double>(k) * g.log_q[i]));
      out[i] -= hosts * log_not_all_lost;
    }
  }
  return out;
}

void LossEstimator::log_posterior(std::vector<double>& out) const {
  const Grid& g = grid();
  out = truncation_terms();
  // q^a (1-q)^b from the prior, the answers and the confirmations; the +1s are dq = q (1 - q) du.
  const double a = failures() + 1;
  const double b = prior_answered + answers_ + confirmations_answered_ + 1;
  for (int i = 0; i < grid_points; ++i) out[i] += a * g.log_q[i] + b * g.log_not_q[i];
}

std::vector<double> LossEstimator::moments(const std::vector<double>& log_density, int max_tries, double stop_below) {
  const Grid& g = grid();
  const double peak = *std::max_element(log_density.begin(), log_density.end());
  // Points more than 40 nats below the peak weigh under 1e-17 of it: once the evidence is strong the
  // posterior is a narrow hill, and summing only the hill is what keeps a scan's updates cheap.
  constexpr double negligible = 40;
  std::size_t low = 0, high = log_density.size();
  while (log_density[low] < peak - negligible) ++low;
  while (log_density[high - 1] < peak - negligible) --high;
  std::vector<double> weighted(high - low);
  double total = 0;
  for (std::size_t i = low; i < high; ++i) {
    weighted[i - low] = std::exp(log_density[i] - peak);
    total += weighted[i - low];
  }
  std::vector<double> result;
  for (int t = 1; t <= max_tries; ++t) {
    double sum = 0;
    for (std::size_t i = low; i < high; ++i) {
      weighted[i - low] *= g.q[i];
      sum += weighted[i - low];
    }
    result.push_back(sum / total);
    if (result.back() <= stop_below) break;
  }
  return result;
}

double LossEstimator::miss_probability(int tries) const {
  if (tries < 1) return 1;
  std::vector<double> density;
  log_posterior(density);
  return moments(density, tries, -1).back();
}

int LossEstimator::tries_needed(double target, int max_tries) const {
  max_tries = std::max(1, max_tries);
  std::vector<double> density;
  log_posterior(density);
  // moments() stops at the first t that meets the target, or gives up at max_tries.
  return static_cast<int>(moments(density, max_tries, target).size());
}

double LossEstimator::failure_probability() const {
  const double lost = failures();
  if (lost == 0) return 0;
  const Grid& g = grid();
  std::vector<double> likelihood = truncation_terms();
  const double answered = answers_ + confirmations_answered_;
  std::size_t best = 0;
  for (std::size_t i = 0; i < likelihood.size(); ++i) {
    likelihood[i] += lost * g.log_q[i] + answered * g.log_not_q[i];
    if (likelihood[i] > likelihood[best]) best = i;
  }
  return g.q[best];
}

std::optional<int> LossEstimator::probes_to_lower(int tries, double target, int limit) const {
  if (tries <= 1 || limit <= 0) return std::nullopt;
  const double q = failure_probability();
  // However many probes showed this loss, M(tries - 1) would only approach q^(tries - 1).
  if (std::pow(q, tries - 1) > target) return std::nullopt;
  const Grid& g = grid();
  std::vector<double> base;
  log_posterior(base);
  std::vector<double> density(base.size());
  const auto enough = [&](int probes) {
    const double lost = probes * q;
    const double answered = probes * (1 - q);
    for (std::size_t i = 0; i < base.size(); ++i) density[i] = base[i] + lost * g.log_q[i] + answered * g.log_not_q[i];
    return moments(density, tries - 1, target).back() <= target;
  };
  if (!enough(limit)) return std::nullopt;
  if (enough(0)) return 0;
  int low = 0, high = limit;  // not enough at low, enough at high
  while (high - low > 1) {
    const int mid = low + (high - low) / 2;
    (enough(mid) ? high : low) = mid;
  }
  return high;
}

}  // namespace pifind
