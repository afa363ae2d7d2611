#include "scanner/probe_scheduler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pifind {
namespace {

constexpr std::uint8_t answered_flag = 1;
constexpr std::uint8_t pending_flag = 2;  // a confirmation awaits its answer
constexpr std::uint8_t lost_flag = 4;     // the latest confirmation was judged lost

// A timer that fires late is caught up by sending back to back, at most this many frames behind the
// schedule: the rate holds on a loaded machine. A pause with nothing to send is never caught up.
constexpr int max_catch_up_frames = 16;

}  // namespace

ProbeScheduler::ProbeScheduler(const std::vector<Ipv4Address>& targets, ScanPolicy policy)
    : policy_(policy), rtt_(policy.initial_timeout) {
  static_assert(sizeof(Target) == 16, "per-address state is what a /16 scan's memory grows with");
  policy_.max_tries = std::clamp(policy_.max_tries, 1, 250);
  const bool ascending =
      std::adjacent_find(targets.begin(), targets.end(), [](Ipv4Address a, Ipv4Address b) { return !(a < b); }) == targets.end();
  if (ascending) {
    targets_.resize(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) targets_[i].address = targets[i];
  } else {
    // Probe order stays as given (--random); lookups go through an index sorted by address, and a
    // repeated address keeps only its first place.
    std::vector<std::uint32_t> order(targets.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return targets[a] < targets[b]; });
    std::vector<bool> repeated(targets.size(), false);
    for (std::size_t i = 1; i < order.size(); ++i) repeated[order[i]] = targets[order[i]] == targets[order[i - 1]];
    std::vector<std::uint32_t> kept_index(targets.size(), 0);
    for (std::size_t i = 0; i < targets.size(); ++i) {
      if (repeated[i]) continue;
      kept_index[i] = static_cast<std::uint32_t>(targets_.size());
      targets_.emplace_back().address = targets[i];
    }
    by_address_.reserve(targets_.size());
    for (const std::uint32_t i : order) {
      if (!repeated[i]) by_address_.push_back(kept_index[i]);
    }
  }
  silent_by_tries_.assign(static_cast<std::size_t>(policy_.max_tries) + 1, 0);
  silent_by_tries_[0] = targets_.size();
  update_allowed_tries();  // the prior alone
}

int ProbeScheduler::probes_sent(Ipv4Address ip) const {
  const auto index = find(ip);
  return index ? targets_[*index].tries + targets_[*index].confirmations : 0;
}

std::optional<std::uint32_t> ProbeScheduler::find(Ipv4Address ip) const {
  if (by_address_.empty()) {
    const auto it = std::lower_bound(targets_.begin(), targets_.end(), ip,
                                     [](const Target& target, Ipv4Address a) { return target.address < a; });
    if (it != targets_.end() && it->address == ip) return static_cast<std::uint32_t>(it - targets_.begin());
    return std::nullopt;
  }
  const auto it = std::lower_bound(by_address_.begin(), by_address_.end(), ip,
                                   [this](std::uint32_t index, Ipv4Address a) { return targets_[index].address < a; });
  if (it != by_address_.end() && targets_[*it].address == ip) return *it;
  return std::nullopt;
}

ScanDuration ProbeScheduler::timeout_for_try(int tries) const {
  const double scale = std::pow(policy_.backoff, std::max(0, tries - 1));
  const auto scaled = std::chrono::duration_cast<ScanDuration>(rtt_.timeout() * scale);
  return std::clamp(scaled, policy_.min_timeout, policy_.max_timeout);
}

int ProbeScheduler::probes_left(const Target& target) const {
  return std::max(0, policy_.max_tries - target.tries - target.confirmations);
}

void ProbeScheduler::record_send(ScanTime now) {
  ++sent_;
  const ScanTime base = idle_ ? now : std::max(next_send_slot_, now - max_catch_up_frames * policy_.send_interval);
  next_send_slot_ = base + policy_.send_interval;
  idle_ = false;
}

void ProbeScheduler::send_first_probe(std::uint32_t index, ScanTime now) {
  Target& target = targets_[index];
  target.tries = 1;
  target.last_sent = now;
  --silent_by_tries_[0];
  ++silent_by_tries_[1];
  wait_until_ = std::max(wait_until_, now + policy_.max_timeout);
  record_send(now);
}

void ProbeScheduler::send_retransmission(std::uint32_t index, ScanTime now) {
  Target& target = targets_[index];
  --silent_by_tries_[target.tries];
  ++target.tries;
  ++silent_by_tries_[target.tries];
  target.last_sent = now;
  wait_until_ = std::max(wait_until_, now + timeout_for_try(target.tries));
  record_send(now);
}

void ProbeScheduler::send_confirmation(std::uint32_t index, ScanTime now) {
  Target& target = targets_[index];
  ++target.confirmations;
  target.flags = static_cast<std::uint8_t>((target.flags | pending_flag) & ~lost_flag);
  target.last_sent = now;
  ++confirmations_;
  deadlines_.push(Timed{now + timeout_for_try(1), index, target.confirmations});
  --evidence_room_;
  if (probes_left(target) == 0) --hosts_with_room_;
  record_send(now);
}

void ProbeScheduler::offer_more_evidence(std::uint32_t index, ScanTime now) {
  // The gap keeps a host's trials apart in time, so a burst of loss is not counted as many losses.
  if (probes_left(targets_[index]) > 0) evidence_ready_.push_back(Timed{now + policy_.min_timeout, index, 0});
}

int ProbeScheduler::rounds() const {
  for (std::size_t j = 1; j < silent_by_tries_.size(); ++j) {
    if (silent_by_tries_[j] > 0) return static_cast<int>(j);
  }
  return std::max(1, allowed_tries_);  // no probed address is silent: nothing left to condition on
}

std::uint64_t ProbeScheduler::silent_below(int tries) const {
  std::uint64_t count = 0;
  for (int j = 0; j < tries && j < static_cast<int>(silent_by_tries_.size()); ++j) count += silent_by_tries_[static_cast<std::size_t>(j)];
  return count;
}

void ProbeScheduler::update_allowed_tries() {
  loss_.set_rounds(rounds());
  allowed_tries_ = std::max(loss_.tries_needed(policy_.miss_probability, policy_.max_tries), std::min(floor_tries_, policy_.max_tries));
  probes_to_lower_.reset();
  if (allowed_tries_ > floor_tries_ && silent_below(allowed_tries_) > 0) {
    const auto limit = std::min<std::uint64_t>(evidence_room_ + confirmations_in_flight_, 1u << 20);
    probes_to_lower_ = loss_.probes_to_lower(allowed_tries_, policy_.miss_probability, static_cast<int>(limit));
  }
}

bool ProbeScheduler::evidence_wanted() const {
  if (!probes_to_lower_) return false;
  const auto needed = static_cast<std::uint64_t>(*probes_to_lower_);
  if (confirmations_in_flight_ >= needed) return false;  // enough is on its way
  // Worth it only if it costs fewer frames than the tries it saves: one for every silent address that
  // would get its allowed_tries_-th try. Addresses not probed yet count as silent in the proportion
  // seen so far (on a dense LAN many of them will answer at once).
  const std::uint64_t unprobed = silent_by_tries_[0];
  const std::uint64_t probed = targets_.size() - unprobed;
  const std::uint64_t silent_share = silent_below(static_cast<int>(silent_by_tries_.size())) - unprobed;
  const double silent_fraction = probed == 0 ? 1.0 : static_cast<double>(silent_share) / static_cast<double>(probed);
  const double saved = static_cast<double>(silent_below(allowed_tries_) - unprobed) + static_cast<double>(unprobed) * silent_fraction;
  return static_cast<double>(needed - confirmations_in_flight_) < saved;
}

int ProbeScheduler::retransmission_limit() const {
  const int limit = allowed_tries_;
  if (limit < 2 || silent_by_tries_[static_cast<std::size_t>(limit - 1)] == 0 || !evidence_wanted()) return limit;
  // The last try waits for the evidence that may make it unnecessary, if that is quicker than sending
  // it: each host gives a trial per gap and timeout at worst.
  const auto needed = static_cast<std::uint64_t>(*probes_to_lower_) - confirmations_in_flight_;
  const std::uint64_t rounds = (needed + hosts_with_room_ - 1) / std::max<std::uint64_t>(1, hosts_with_room_);
  const ScanDuration evidence_time = static_cast<ScanDuration::rep>(rounds) * (policy_.min_timeout + timeout_for_try(1));
  const ScanDuration sending_time = static_cast<ScanDuration::rep>(silent_by_tries_[static_cast<std::size_t>(limit - 1)]) * policy_.send_interval;
  return evidence_time < sending_time ? limit - 1 : limit;
}

std::optional<std::uint32_t> ProbeScheduler::next_retransmission() {
  if (next_first_probe_ < targets_.size()) return std::nullopt;  // first probes go first
  const int limit = retransmission_limit();
  if (silent_below(limit) - silent_by_tries_[0] == 0) return std::nullopt;  // no probed address is owed a try
  // The sweep visits addresses in probe order, so the one it stops at is the one waiting longest.
  // Some address is owed, so this ends within one sweep.
  while (true) {
    if (sweep_ >= targets_.size()) sweep_ = 0;
    const Target& target = targets_[sweep_];
    if ((target.flags & answered_flag) == 0 && target.tries >= 1 && target.tries < limit) return static_cast<std::uint32_t>(sweep_);
    ++sweep_;
  }
}

void ProbeScheduler::refresh(ScanTime now) {
  while (!deadlines_.empty() && deadlines_.top().at <= now) {
    const Timed deadline = deadlines_.top();
    deadlines_.pop();
    Target& target = targets_[deadline.index];
    if ((target.flags & pending_flag) == 0 || target.confirmations != deadline.confirmation) continue;  // answered
    target.flags = static_cast<std::uint8_t>((target.flags & ~pending_flag) | lost_flag);
    loss_.add_confirmation(false);
    --confirmations_in_flight_;
    evidence_changed_ = true;
    offer_more_evidence(deadline.index, now);
  }
  if (const int r = rounds(); r != rounds_seen_) {
    rounds_seen_ = r;
    evidence_changed_ = true;
  }
  if (evidence_changed_) {
    evidence_changed_ = false;
    update_allowed_tries();
  }
}

std::optional<Ipv4Address> ProbeScheduler::next_probe(ScanTime now) {
  refresh(now);
  if (now < next_send_slot_) return std::nullopt;
  // Confirmations first: they are few, and the sooner their evidence is in, the fewer tries are wasted.
  if (!conflict_checks_.empty() && conflict_checks_.top().at <= now) {
    const std::uint32_t index = conflict_checks_.top().index;
    conflict_checks_.pop();
    send_confirmation(index, now);
    return targets_[index].address;
  }
  if (!evidence_ready_.empty() && evidence_ready_.front().at <= now && evidence_wanted()) {
    const std::uint32_t index = evidence_ready_.front().index;
    evidence_ready_.pop_front();
    ++confirmations_in_flight_;
    send_confirmation(index, now);
    return targets_[index].address;
  }
  // First probes before retransmissions: every address's answer window then starts as early as
  // possible, and retransmissions fill that window instead of lengthening the scan.
  if (next_first_probe_ < targets_.size()) {
    const auto index = static_cast<std::uint32_t>(next_first_probe_++);
    send_first_probe(index, now);
    return targets_[index].address;
  }
  if (const auto index = next_retransmission()) {
    const Target& target = targets_[*index];
    if (target.last_sent + timeout_for_try(target.tries) <= now) {
      send_retransmission(*index, now);
      ++sweep_;
      return target.address;
    }
  }
  idle_ = true;  // a free slot went unused: the next frame starts a fresh schedule
  return std::nullopt;
}

ScanTime ProbeScheduler::next_event(ScanTime now) {
  refresh(now);
  ScanTime next = ScanTime::max();
  const auto at_slot = [this](ScanTime at) { return std::max(at, next_send_slot_); };
  if (next_first_probe_ < targets_.size()) next = next_send_slot_;
  if (!conflict_checks_.empty()) next = std::min(next, at_slot(conflict_checks_.top().at));
  if (!evidence_ready_.empty() && evidence_wanted()) next = std::min(next, at_slot(evidence_ready_.front().at));
  if (!deadlines_.empty()) next = std::min(next, deadlines_.top().at);
  if (const auto index = next_retransmission()) {
    const Target& target = targets_[*index];
    next = std::min(next, at_slot(target.last_sent + timeout_for_try(target.tries)));
  }
  if (next == ScanTime::max()) next = wait_until_;
  return std::max(next, now);
}

ReplyKind ProbeScheduler::on_reply(Ipv4Address ip, ScanTime now, ScanTime* last_probe) {
  const auto index = find(ip);
  if (!index) return ReplyKind::kNotATarget;
  Target& target = targets_[*index];
  if (target.tries == 0) return ReplyKind::kNotATarget;
  // Only while the first probe is the one sent is last_sent its time; later ones are a timeout apart.
  if (target.tries == 1 && target.confirmations == 0 && now < target.last_sent) return ReplyKind::kNotATarget;
  if (last_probe != nullptr) *last_probe = target.last_sent;
  if ((target.flags & answered_flag) != 0) {
    if ((target.flags & pending_flag) != 0) {
      target.flags = static_cast<std::uint8_t>(target.flags & ~pending_flag);
      loss_.add_confirmation(true);
      --confirmations_in_flight_;
      evidence_changed_ = true;
      offer_more_evidence(*index, now);
    } else if ((target.flags & lost_flag) != 0) {
      target.flags = static_cast<std::uint8_t>(target.flags & ~lost_flag);
      loss_.revise_lost_confirmation();
      evidence_changed_ = true;
    }
    return ReplyKind::kRepeat;
  }
  target.flags |= answered_flag;
  ++answered_;
  --silent_by_tries_[target.tries];
  if (target.tries == 1) rtt_.add_sample(now - target.last_sent);
  loss_.add_answer(target.tries);
  evidence_changed_ = true;
  // One more probe after a timeout gives a second device on the same IP a second chance to show
  // itself: a conflict must not hide behind one lost reply. It is also the first clean loss trial.
  if (const int left = probes_left(target); left > 0) {
    evidence_room_ += static_cast<std::uint64_t>(left);
    ++hosts_with_room_;
    conflict_checks_.push(Timed{now + timeout_for_try(1), *index, 0});
    ++confirmations_in_flight_;
  }
  const bool late = target.tries >= allowed_tries_ && now >= target.last_sent + policy_.max_timeout;
  return late ? ReplyKind::kLate : ReplyKind::kFirst;
}

void ProbeScheduler::on_capture_drops() {
  floor_tries_ = LossEstimator().tries_needed(policy_.miss_probability, policy_.max_tries);
  evidence_changed_ = true;
}

bool ProbeScheduler::finished(ScanTime now) {
  refresh(now);
  const std::uint64_t owed = silent_below(allowed_tries_) - silent_by_tries_[0];
  return next_first_probe_ >= targets_.size() && conflict_checks_.empty() && confirmations_in_flight_ == 0 && owed == 0 &&
         now >= wait_until_;
}

ProbeCounters ProbeScheduler::counters() const {
  ProbeCounters counters;
  counters.sent = sent_;
  counters.answered = answered_;
  counters.allowed_tries = allowed_tries_;
  counters.failure_probability = loss_.failure_probability();
  counters.timeout = timeout_for_try(1);
  counters.confirmations = confirmations_;
  counters.confirmations_lost = static_cast<std::uint64_t>(loss_.confirmations_lost());
  return counters;
}

}  // namespace pifind
