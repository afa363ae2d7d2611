#include "scanner/loss_estimator.h"

#include <catch2/catch.hpp>
#include <cmath>

using pifind::LossEstimator;

namespace {

constexpr double target = 0.003;

LossEstimator confirmed(int answered, int lost = 0) {
  LossEstimator estimator;
  for (int i = 0; i < answered; ++i) estimator.add_confirmation(true);
  for (int i = 0; i < lost; ++i) estimator.add_confirmation(false);
  return estimator;
}

// Hosts answering with per-try success p while every silent address had k tries, plus `confirmations`
// confirmation probes each answered with p: the expected counts, rounded.
LossEstimator expected_evidence(int hosts, double p, int k, int confirmations) {
  LossEstimator estimator;
  estimator.set_rounds(k);
  for (int j = 1; j <= k; ++j) {
    const auto count = std::lround(hosts * p * std::pow(1 - p, j - 1));
    for (long i = 0; i < count; ++i) estimator.add_answer(j);
  }
  const auto answered = std::lround(confirmations * p);
  for (long i = 0; i < confirmations; ++i) estimator.add_confirmation(i < answered);
  return estimator;
}

// E[q^t] for q ~ Beta(a, b): prod_{i<t} (a+i)/(a+b+i).
double beta_moment(double a, double b, int t) {
  double m = 1;
  for (int i = 0; i < t; ++i) m *= (a + i) / (a + b + i);
  return m;
}

}  // namespace

TEST_CASE("without any evidence a silent address gets three tries") {
  const LossEstimator nothing;
  CHECK(nothing.miss_probability(3) == Approx(beta_moment(1, 11, 3)).epsilon(1e-6));
  CHECK(nothing.tries_needed(target, 10) == 3);
  CHECK(nothing.tries_needed(target, 2) == 2);  // --retry bounds it
  CHECK(nothing.failure_probability() == 0);
}

TEST_CASE("answered confirmations with no loss are a Beta posterior, and enough of them allow one try") {
  for (int n : {0, 13, 14, 100, 321, 322, 1000}) {
    INFO(n << " answered confirmations");
    const LossEstimator estimator = confirmed(n);
    for (int t = 1; t <= 3; ++t) CHECK(estimator.miss_probability(t) == Approx(beta_moment(1, 11 + n, t)).epsilon(1e-6));
  }
  CHECK(confirmed(13).tries_needed(target, 10) == 3);
  CHECK(confirmed(14).tries_needed(target, 10) == 2);
  CHECK(confirmed(321).tries_needed(target, 10) == 2);
  CHECK(confirmed(322).tries_needed(target, 10) == 1);
}

TEST_CASE("a single lost probe among hundreds brings the second try back") {
  const LossEstimator estimator = confirmed(322, 1);
  CHECK(estimator.miss_probability(1) == Approx(beta_moment(2, 333, 1)).epsilon(1e-6));
  CHECK(estimator.tries_needed(target, 10) == 2);
  CHECK(estimator.failure_probability() == Approx(1.0 / 323).epsilon(0.05));
}

TEST_CASE("first answers say nothing while only first probes have gone out") {
  LossEstimator estimator = confirmed(20);
  const double before = estimator.miss_probability(1);
  for (int i = 0; i < 200; ++i) estimator.add_answer(1);
  estimator.set_rounds(1);
  CHECK(estimator.miss_probability(1) == Approx(before).epsilon(1e-9));
  // Once every silent address has had a second try, answering on the first is evidence of low loss.
  estimator.set_rounds(2);
  CHECK(estimator.miss_probability(1) < before / 2);
}

TEST_CASE("under 30% frame loss the failure chance is recovered through truncation and confirmations") {
  // 30% of frames lost each way: one probe succeeds with p = 0.49.
  for (int k : {2, 4, 9}) {
    INFO("every silent address had " << k << " tries");
    const LossEstimator estimator = expected_evidence(1000, 0.49, k, 0);
    CHECK(estimator.failure_probability() == Approx(0.51).margin(0.02));
  }
  // A /24 with 100 live hosts: 0.51^9 = 0.0023 <= 0.003 < 0.51^8, and the uncertainty of a few hundred
  // trials costs at most one try more.
  const LossEstimator lan = expected_evidence(100, 0.49, 9, 100);
  CHECK(lan.failure_probability() == Approx(0.51).margin(0.05));
  CHECK(lan.tries_needed(target, 10) >= 9);
  CHECK(lan.tries_needed(target, 10) <= 10);
  CHECK(lan.tries_needed(target, 5) == 5);  // --retry bounds it
  // With a great deal of evidence the answer is the plug-in one.
  CHECK(expected_evidence(10000, 0.49, 9, 10000).tries_needed(target, 10) == 9);
}

TEST_CASE("few answerers leave the tries where the prior put them") {
  // Three hosts that answered on the first try, each confirmed once, none lost: 3 + 10 answered probes.
  LossEstimator estimator = confirmed(3);
  for (int i = 0; i < 3; ++i) estimator.add_answer(1);
  CHECK(estimator.tries_needed(target, 10) == 3);
  // Three hosts at 50% loss each way: 1 of 3 confirmations answered, the others found on tries 3 and 6.
  LossEstimator lossy = confirmed(1, 2);
  lossy.set_rounds(6);
  for (int j : {1, 3, 6}) lossy.add_answer(j);
  // 9 probes lost in 13 against the prior's 10 answered ones: more tries than a clean LAN's, fewer
  // than the plug-in estimate (about 0.7) would ask for; the prior keeps a handful of hosts from
  // deciding alone.
  CHECK(lossy.failure_probability() > 0.6);
  CHECK(lossy.tries_needed(target, 10) >= 7);
}

TEST_CASE("a lost confirmation answered late counts as answered") {
  LossEstimator estimator = confirmed(322, 1);
  estimator.revise_lost_confirmation();
  CHECK(estimator.confirmations_lost() == 0);
  CHECK(estimator.confirmations_answered() == 323);
  CHECK(estimator.tries_needed(target, 10) == 1);
  estimator.revise_lost_confirmation();  // nothing left to revise
  CHECK(estimator.confirmations_answered() == 323);
}

TEST_CASE("the probes that would allow one try fewer, if they show the loss seen so far") {
  // No loss in 100 confirmations: 2 tries; 222 more answered ones make 322, enough for 1.
  const LossEstimator clean = confirmed(100);
  CHECK(clean.tries_needed(target, 10) == 2);
  CHECK(clean.probes_to_lower(2, target, 1000) == 222);
  CHECK_FALSE(clean.probes_to_lower(2, target, 221).has_value());  // not within reach
  CHECK_FALSE(clean.probes_to_lower(1, target, 1000).has_value());  // nothing below one try
  // From the prior alone, 14 answered probes lower 3 tries to 2.
  CHECK(LossEstimator().probes_to_lower(3, target, 1000) == 14);
  // At 30% frame loss 8 tries cannot meet the target however much evidence comes: 0.51^8 = 0.0046.
  const LossEstimator lossy = expected_evidence(100, 0.49, 9, 100);
  CHECK_FALSE(lossy.probes_to_lower(9, target, 100000).has_value());
  // Already enough: nothing more needed.
  CHECK(confirmed(400).probes_to_lower(2, target, 1000) == 0);
}
