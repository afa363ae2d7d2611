#include "scanner/loss_estimator.h"

#include <algorithm>
#include <cmath>

namespace pifind {
namespace {

constexpr double pseudo_answers_on_second_try = 0.5;

}  // namespace

void LossEstimator::add_answer(int tries) {
  if (tries < 1) return;
  if (answered_on_try_.size() < static_cast<std::size_t>(tries)) answered_on_try_.resize(static_cast<std::size_t>(tries), 0);
  ++answered_on_try_[static_cast<std::size_t>(tries - 1)];
  ++answers_;
}

double LossEstimator::failure_probability(int truncation) const {
  const int k = std::max(truncation, 2);
  // counts[j] for j = 1..k; answers beyond the truncation are folded into the last try.
  std::vector<double> counts(static_cast<std::size_t>(k), 0.0);
  for (std::size_t j = 0; j < answered_on_try_.size(); ++j) {
    counts[std::min(j, counts.size() - 1)] += answered_on_try_[j];
  }
  counts[1] += pseudo_answers_on_second_try;
  double n = 0, s = 0;  // hosts, and failed tries before their answer
  for (std::size_t j = 0; j < counts.size(); ++j) {
    n += counts[j];
    s += counts[j] * static_cast<double>(j);
  }
  // log L(q) = n log(1-q) + s log q - n log(1-q^k), unimodal on (0,1): golden-section search.
  const auto log_likelihood = [&](double q) {
    return n * std::log1p(-q) + s * std::log(q) - n * std::log1p(-std::pow(q, k));
  };
  double lo = 1e-9, hi = 1 - 1e-9;
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  double fa = log_likelihood(a), fb = log_likelihood(b);
  for (int i = 0; i < 80; ++i) {
    if (fa < fb) {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = log_likelihood(b);
    } else {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = log_likelihood(a);
    }
  }
  return (lo + hi) / 2;
}

int LossEstimator::tries_needed(int truncation, double miss_probability, int min_tries, int max_tries) const {
  const double q = failure_probability(truncation);
  int tries = static_cast<int>(std::ceil(std::log(miss_probability) / std::log(q)));
  return std::clamp(tries, min_tries, std::max(min_tries, max_tries));
}

}  // namespace pifind
