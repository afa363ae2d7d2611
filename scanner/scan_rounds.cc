#include "scanner/scan_rounds.h"

namespace pifind {

bool ScanRoundTracker::on_probe(int nth) {
  if (nth < 1) return false;
  const bool new_round = static_cast<std::size_t>(nth) > rounds_.size();
  while (rounds_.size() < static_cast<std::size_t>(nth)) rounds_.push_back(ScanRound{static_cast<int>(rounds_.size()) + 1});
  ++rounds_[static_cast<std::size_t>(nth) - 1].probes;
  return new_round;
}

void ScanRoundTracker::on_first_reply(int nth) {
  if (nth < 1 || static_cast<std::size_t>(nth) > rounds_.size()) return;
  ++rounds_[static_cast<std::size_t>(nth) - 1].answered;
}

}  // namespace pifind
