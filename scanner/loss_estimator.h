// How many probes a silent address deserves, from the loss this scan has actually observed: a posterior
// on the per-probe failure chance from the hosts that answered and their confirmation probes.
#pragma once

#include <optional>
#include <vector>

namespace pifind {

// The statistics.
//
// Model. One probe to a live host goes unanswered (request or reply lost) with probability q, the same
// for every host and independent from probe to probe. A live address that stays silent through t probes
// is missed: probability q^t. What the scan does not know is q.
//
// Evidence.
//  1. Confirmation probes. Once a host has answered, every further probe to it is a plain Bernoulli
//     trial, answered or lost: likelihood (1-q)^s q^f for s answered and f lost. This is the clean
//     evidence: it is not filtered by which hosts were found.
//  2. First answers. Only hosts that answered are seen, so a host first answering on try j tells less:
//     given that it answered within k tries, P(j) = (1-q) q^(j-1) / (1 - q^k) (a truncated geometric).
//     k is what the host would have had had it stayed silent: the tries every silent address has had
//     so far (R), or j if it answered on a later round: k = max(j, R). While only first probes have
//     gone out (R = 1), an answer on try 1 says nothing about q, rightly.
//
// Prior. Beta(1, 11) on q: as if ten probes to live hosts had been answered. It decides only what a
// scan with almost no evidence does: nothing answered at all gives 3 tries (arp-scan gives 2).
//
// The chance of missing a live host with t tries, averaged over everything the evidence leaves open,
// is M(t) = E[q^t | evidence]; a silent address gets the fewest t with M(t) <= target (0.003), within
// [1, --retry]. Averaging, not plugging in the most likely q, is what keeps a scan that has seen little
// from trusting one probe. With no probe ever lost, n answered confirmations and no second round yet,
// q ~ Beta(1, 11 + n):
//   M(1) = 1/(12+n), M(2) = 2/((12+n)(13+n)), M(3) = 6/((12+n)(13+n)(14+n)),
// so n = 0 needs 3 tries, n >= 14 needs 2, and n >= 322 needs only 1. One lost probe among 322 gives
// Beta(2, 333): M(1) = 0.006, back to 2 tries. At 30% frame loss each way q = 1 - 0.7^2 = 0.51 and,
// with the hundreds of trials of a /24 with 100 hosts, M(t) is close to 0.51^t: 9 tries (0.0023).
// Evidence is also what a scan can buy: probes_to_lower() says how many more confirmation probes,
// if they show the loss estimated now, would let one try fewer meet the target. On a sparse network a
// few hundred of them replace a second try to tens of thousands of silent addresses.
//
// Computation. The posterior has no closed form once first answers count (the 1 - q^k factors), so
// it is evaluated on 2001 points evenly spaced in logit(q) over [-25, 25]: fine near q = 0, where a
// loss-free LAN puts it, and near 0.5 alike. The trapezoid rule on that grid is exact to well under 1%
// for posteriors of up to ~10^4 trials.
class LossEstimator {
 public:
  /// A host first answered after `tries` probes.
  void add_answer(int tries);
  /// A probe to a host that had already answered was answered (true) or lost (false).
  void add_confirmation(bool answered);
  /// A confirmation counted as lost was answered after all (a slow host, a late read).
  void revise_lost_confirmation();
  /// The tries every silent address has had so far (R above): how far first answers are informative.
  void set_rounds(int rounds);

  /// M(tries): the chance that a live host stays silent through `tries` probes.
  double miss_probability(int tries) const;
  /// Fewest tries in [1, max_tries] with miss_probability(tries) <= target.
  int tries_needed(double target, int max_tries) const;
  /// The most likely q (0 while no probe has been lost).
  double failure_probability() const;
  /// How many more confirmation probes, if they show the loss estimated now, would let `tries - 1`
  /// tries meet `target`; nothing if no number up to `limit` would (or `tries` is 1).
  std::optional<int> probes_to_lower(int tries, double target, int limit) const;

  int answers() const { return answers_; }
  int confirmations_answered() const { return confirmations_answered_; }
  int confirmations_lost() const { return confirmations_lost_; }

 private:
  /// Log posterior density over logit(q) at every grid point, up to a constant.
  void log_posterior(std::vector<double>& out) const;
  /// The part of the log likelihood that confirmations do not change, the 1 - q^k factors; kept
  /// until an answer or the rounds change it (confirmations come far more often).
  const std::vector<double>& truncation_terms() const;
  /// E[q^t] for t = 1..max_tries from a log posterior; stops early once <= stop_below.
  static std::vector<double> moments(const std::vector<double>& log_density, int max_tries, double stop_below);
  double failures() const;

  std::vector<int> answered_on_try_;  // index j-1: hosts first answering on try j
  int answers_ = 0;
  int confirmations_answered_ = 0;
  int confirmations_lost_ = 0;
  int rounds_ = 1;
  mutable std::vector<double> truncation_;
  mutable bool truncation_valid_ = false;
};

}  // namespace pifind
