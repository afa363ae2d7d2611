#include "scanner/loss_estimator.h"

#include <catch2/catch.hpp>
#include <cmath>

using pifind::LossEstimator;

namespace {

// Hosts answering with per-try success p, truncated at k tries: the expected counts, rounded.
LossEstimator expected_answers(int hosts, double p, int k) {
  LossEstimator estimator;
  for (int j = 1; j <= k; ++j) {
    const int count = static_cast<int>(std::lround(hosts * p * std::pow(1 - p, j - 1)));
    for (int i = 0; i < count; ++i) estimator.add_answer(j);
  }
  return estimator;
}

}  // namespace

TEST_CASE("no observed loss on a big LAN keeps the minimum number of tries") {
  LossEstimator estimator;
  for (int i = 0; i < 100; ++i) estimator.add_answer(1);
  CHECK(estimator.failure_probability(3) < 0.01);
  CHECK(estimator.tries_needed(3, 0.005, 3, 10) == 3);
}

TEST_CASE("a small LAN with no observed loss is not trusted with one probe") {
  LossEstimator estimator;
  for (int i = 0; i < 3; ++i) estimator.add_answer(1);
  CHECK(estimator.failure_probability(3) > 0.1);
  CHECK(estimator.tries_needed(2, 0.005, 1, 10) >= 3);
}

TEST_CASE("the failure probability is recovered through truncation") {
  // 30% of frames lost each way: one probe succeeds with p = 0.49.
  for (int k : {2, 4, 8}) {
    INFO("truncated at " << k);
    const LossEstimator estimator = expected_answers(1000, 0.49, k);
    CHECK(estimator.failure_probability(k) == Approx(0.51).margin(0.02));
  }
  const LossEstimator estimator = expected_answers(1000, 0.49, 8);
  // 0.51^8 = 0.0046 <= 0.005 < 0.51^7.
  CHECK(estimator.tries_needed(8, 0.005, 3, 10) == 8);
  CHECK(estimator.tries_needed(8, 0.005, 3, 5) == 5);  // --retry bounds it
}

TEST_CASE("answers beyond the truncation count as the last try") {
  LossEstimator estimator;
  for (int i = 0; i < 50; ++i) estimator.add_answer(1);
  for (int i = 0; i < 50; ++i) estimator.add_answer(9);  // late replies to early probes
  CHECK(estimator.failure_probability(3) > 0.4);
  CHECK(estimator.answers() == 100);
}
