#include "tests/support/simulated_lan.h"

#include <algorithm>
#include <random>
#include <stdexcept>

namespace pifind::test {

SimulatedLan::Outcome SimulatedLan::scan(const std::vector<Ipv4Address>& targets, const ScanPolicy& policy) const {
  std::mt19937 rng(seed);
  std::bernoulli_distribution lost(frame_loss);
  ProbeScheduler scheduler(targets, policy);
  if (capture_drops) scheduler.on_capture_drops();
  std::set<std::uint32_t> answered;
  std::multimap<ScanTime, std::uint32_t> replies;
  Outcome outcome;
  const ScanTime start{};
  ScanTime now = start, last_send{};
  bool sent_any = false;
  for (int steps = 0; steps < 10'000'000; ++steps) {
    while (auto target = scheduler.next_probe(now)) {
      if (sent_any) outcome.min_gap = std::min(outcome.min_gap, now - last_send);
      sent_any = true;
      last_send = now;
      ++outcome.sent;
      ++outcome.probes_per_address[target->value()];
      const auto host = live.find(target->value());
      if (host == live.end() || (answer_once && answered.count(host->first) != 0)) continue;
      if (!lost(rng) && !lost(rng)) {
        replies.emplace(now + host->second, target->value());
        answered.insert(host->first);
      }
    }
    if (scheduler.finished(now)) break;
    ScanTime next = scheduler.next_event(now);
    if (next < now) throw std::logic_error("the scheduler's next event is in the past");
    if (!replies.empty() && replies.begin()->first <= next) {
      now = std::max(now, replies.begin()->first);
      const std::uint32_t address = replies.begin()->second;
      replies.erase(replies.begin());
      const ReplyKind kind = scheduler.on_reply(Ipv4Address(address), now);
      if (kind == ReplyKind::kFirst || kind == ReplyKind::kLate) outcome.found.insert(address);
      if (kind == ReplyKind::kLate) ++outcome.late;
      continue;
    }
    now = next + timer_lateness;
  }
  if (!scheduler.finished(now)) throw std::logic_error("the scan did not finish in 10,000,000 steps");
  outcome.counters = scheduler.counters();
  outcome.allowed_tries = outcome.counters.allowed_tries;
  outcome.elapsed = now - start;
  return outcome;
}

std::vector<Ipv4Address> simulated_block(int prefix) {
  std::vector<Ipv4Address> targets;
  const std::uint32_t size = 1u << (32 - prefix);
  for (std::uint32_t i = 2; i < size - 1; ++i) targets.emplace_back(kSimulatedNet | i);
  return targets;
}

SimulatedLan spread_hosts(int hosts, int prefix, ScanDuration delay) {
  SimulatedLan lan;
  const std::uint32_t size = 1u << (32 - prefix);
  const std::uint32_t step = (size - 4) / static_cast<std::uint32_t>(hosts);
  for (int i = 0; i < hosts; ++i) lan.live[kSimulatedNet | (2 + static_cast<std::uint32_t>(i) * step)] = delay;
  return lan;
}

SimulatedLan dense_24(ScanDuration delay) {
  SimulatedLan lan;
  for (std::uint32_t i = 0; i < 100; ++i) lan.live[kSimulatedNet | (2 + i * 2)] = delay;
  return lan;
}

}  // namespace pifind::test
