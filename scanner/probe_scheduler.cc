#include "scanner/probe_scheduler.h"

#include <algorithm>
#include <cmath>

namespace pifind {

ProbeScheduler::ProbeScheduler(std::vector<Ipv4Address> targets, ScanPolicy policy)
    : policy_(policy), rtt_(policy.initial_timeout), allowed_tries_(std::min(policy.min_tries, policy.max_tries)) {
  targets_.reserve(targets.size());
  index_of_.reserve(targets.size());
  for (const Ipv4Address& address : targets) {
    if (index_of_.emplace(address.value(), static_cast<std::uint32_t>(targets_.size())).second) {
      Target target;
      target.address = address;
      targets_.push_back(target);
    }
  }
}

ScanDuration ProbeScheduler::timeout_for_try(int tries) const {
  const double scale = std::pow(policy_.backoff, std::max(0, tries - 1));
  const auto scaled = std::chrono::duration_cast<ScanDuration>(rtt_.timeout() * scale);
  return std::clamp(scaled, policy_.min_timeout, policy_.max_timeout);
}

ScanTime ProbeScheduler::give_up_time(const Target& target) const {
  return std::max(target.last_sent + timeout_for_try(target.tries), target.first_sent + policy_.max_timeout);
}

void ProbeScheduler::send(std::uint32_t index, ScanTime now) {
  Target& target = targets_[index];
  if (target.tries == 0) target.first_sent = now;
  ++target.tries;
  target.last_sent = now;
  ++sent_;
  last_send_ = now;
  // Catch up small timer lateness, but never burst after a long pause.
  next_send_slot_ = (now - next_send_slot_ > policy_.send_interval ? now : next_send_slot_) + policy_.send_interval;
  if (target.answered) {
    // The confirmation probe: no retransmission, but the scan waits one timeout for its answers.
    target.confirmed = true;
    parked_until_ = std::max(parked_until_, now + timeout_for_try(1));
    return;
  }
  due_.push(Due{now + timeout_for_try(target.tries), index, target.tries});
}

bool ProbeScheduler::owed_probe(const Target& target) const {
  return target.answered ? !target.confirmed && target.tries < policy_.max_tries : target.tries < allowed_tries_;
}

void ProbeScheduler::advance(ScanTime now) {
  while (!due_.empty() && due_.top().at <= now) {
    const Due due = due_.top();
    const Target& target = targets_[due.index];
    if (target.tries == due.tries && owed_probe(target)) return;
    due_.pop();
    if (target.answered || target.tries != due.tries) continue;
    parked_.push_back(due.index);
    parked_until_ = std::max(parked_until_, give_up_time(target));
  }
}

std::optional<Ipv4Address> ProbeScheduler::next_probe(ScanTime now) {
  if (now < next_send_slot_) return std::nullopt;
  // First probes go before retransmissions: every address's answer window then starts as early as
  // possible, and retransmissions fill that window instead of lengthening the scan.
  if (next_first_probe_ < targets_.size()) {
    const auto index = static_cast<std::uint32_t>(next_first_probe_++);
    send(index, now);
    return targets_[index].address;
  }
  advance(now);
  if (!due_.empty() && due_.top().at <= now) {
    const std::uint32_t index = due_.top().index;
    due_.pop();
    send(index, now);
    return targets_[index].address;
  }
  return std::nullopt;
}

ScanTime ProbeScheduler::next_event(ScanTime now) {
  advance(now);
  ScanTime next = ScanTime::max();
  if (next_first_probe_ < targets_.size()) next = next_send_slot_;
  if (!due_.empty()) next = std::min(next, std::max(due_.top().at, next_send_slot_));
  if (next == ScanTime::max()) next = parked_until_;
  return std::max(next, now);
}

ReplyKind ProbeScheduler::on_reply(Ipv4Address ip, ScanTime now, ScanTime* last_probe) {
  const auto it = index_of_.find(ip.value());
  if (it == index_of_.end()) return ReplyKind::not_a_target;
  Target& target = targets_[it->second];
  if (target.tries == 0) return ReplyKind::not_a_target;
  if (last_probe != nullptr) *last_probe = target.last_sent;
  if (target.answered) return ReplyKind::repeat;
  target.answered = true;
  ++answered_;
  // One more probe after a timeout gives a second device on the same IP a second chance to show
  // itself: a conflict must not hide behind one lost reply.
  if (owed_probe(target)) due_.push(Due{now + timeout_for_try(1), it->second, target.tries});
  if (target.tries == 1) rtt_.add_sample(now - target.last_sent);
  loss_.add_answer(target.tries);
  const bool late = target.tries >= allowed_tries_ && now >= give_up_time(target);
  update_allowed_tries(now);
  return late ? ReplyKind::late : ReplyKind::first;
}

void ProbeScheduler::update_allowed_tries(ScanTime now) {
  const int needed = loss_.tries_needed(allowed_tries_, policy_.miss_probability, std::min(policy_.min_tries, policy_.max_tries),
                                        policy_.max_tries);
  if (needed > allowed_tries_) {
    for (std::uint32_t index : parked_) {
      Target& target = targets_[index];
      if (target.answered) continue;
      due_.push(Due{now, index, target.tries});
    }
    parked_.clear();
  }
  allowed_tries_ = needed;
}

bool ProbeScheduler::finished(ScanTime now) {
  advance(now);
  return next_first_probe_ >= targets_.size() && due_.empty() && now >= parked_until_;
}

ProbeCounters ProbeScheduler::counters() const {
  return ProbeCounters{sent_, answered_, allowed_tries_, loss_.failure_probability(allowed_tries_),
                       timeout_for_try(1)};
}

}  // namespace pifind
