// How many probes a silent address deserves, from the loss this scan has actually observed: the
// try on which each host first answered, fitted as a truncated geometric distribution.
#pragma once

#include <vector>

namespace pifind {

class LossEstimator {
 public:
  /// A host first answered when `tries` probes had been sent to it, while at most `allowed_tries`
  /// were allowed (answers past the allowance are possible: late replies).
  void add_answer(int tries);

  /// Maximum-likelihood chance that one probe goes unanswered by a live host (request or reply lost),
  /// with `truncation` the number of tries any host could have had. Half a pseudo-host answering on
  /// the second try keeps a small LAN with no observed loss from trusting a single probe.
  double failure_probability(int truncation) const;

  /// Fewest tries that leave a live host unfound with probability <= `miss_probability`, within
  /// [min_tries, max_tries].
  int tries_needed(int truncation, double miss_probability, int min_tries, int max_tries) const;

  int answers() const { return answers_; }

 private:
  std::vector<int> answered_on_try_;  // index j-1: hosts first answering on try j
  int answers_ = 0;
};

}  // namespace pifind
