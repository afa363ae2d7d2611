#include "scanner/scan_rounds.h"

namespace pifind {

bool ScanRoundTracker::on_probe(Ipv4Address ip) {
  std::uint8_t& tries = tries_[ip.value()];
  if (tries < 255) ++tries;
  const bool new_round = tries > rounds_.size();
  if (new_round) rounds_.push_back(ScanRound{static_cast<int>(tries)});
  ++rounds_[tries - 1].probes;
  return new_round;
}

void ScanRoundTracker::on_first_reply(Ipv4Address ip) {
  const auto it = tries_.find(ip.value());
  if (it == tries_.end() || it->second == 0) return;
  ++rounds_[it->second - 1].answered;
}

}  // namespace pifind
