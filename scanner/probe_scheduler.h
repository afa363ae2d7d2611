// Decides which address to probe when: pacing, retransmission timeouts from measured round trips,
// and the number of tries from the loss observed. Pure logic on time points, driven by ArpScanner.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "scanner/loss_estimator.h"
#include "scanner/rtt_estimator.h"
#include "scanner/scan_clock.h"

namespace pifind {

struct ScanPolicy {
  /// Gap between two frames (pacing); 512 us is 1 Mbit/s of minimum-size frames.
  ScanDuration send_interval = std::chrono::microseconds(512);
  /// Floor and ceiling of one try's timeout. The ceiling is also the least time an address gets to
  /// answer after its first probe: Wi-Fi Pis in power save answer after 100-300 ms.
  ScanDuration min_timeout = std::chrono::milliseconds(20);
  ScanDuration max_timeout = std::chrono::milliseconds(500);
  /// The timeout before any round trip has been measured.
  ScanDuration initial_timeout = std::chrono::milliseconds(100);
  /// Each further try of an address waits this much longer than the one before.
  double backoff = 1.5;
  /// Tries per silent address: at least min_tries, more as loss is observed, never more than max_tries.
  int min_tries = 3;
  int max_tries = 10;
  /// The chance of missing a live host that the number of tries aims for.
  double miss_probability = 0.003;
};

enum class ReplyKind {
  first,        ///< the first reply from a target
  repeat,       ///< the target had already answered
  late,         ///< the first reply, after the target's tries had run out
  not_a_target  ///< an address that was not probed
};

struct ProbeCounters {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  /// Tries a silent address currently gets, and the per-probe failure chance behind it.
  int allowed_tries = 0;
  double failure_probability = 0;
  ScanDuration timeout{};
};

class ProbeScheduler {
 public:
  ProbeScheduler(std::vector<Ipv4Address> targets, ScanPolicy policy);

  /// The address to probe at `now`, already recorded as sent; nothing if no probe is due yet.
  std::optional<Ipv4Address> next_probe(ScanTime now);

  /// When the driver should next call next_probe() or finished(); never earlier than `now`.
  ScanTime next_event(ScanTime now);

  /// A reply from `ip` at `now`. For probed addresses, `last_probe` receives the time of the latest
  /// probe sent to it (for the round-trip time).
  ReplyKind on_reply(Ipv4Address ip, ScanTime now, ScanTime* last_probe = nullptr);

  /// Everything answered or out of tries, and every address has had its time to answer.
  bool finished(ScanTime now);

  ProbeCounters counters() const;
  std::size_t target_count() const { return targets_.size(); }
  /// Whether `ip` is one of the addresses to scan, probed yet or not.
  bool is_target(Ipv4Address ip) const { return index_of_.count(ip.value()) != 0; }

 private:
  struct Target {
    Ipv4Address address;
    int tries = 0;
    bool answered = false;
    bool confirmed = false;  ///< the one probe sent after the first reply, to catch IP conflicts
    ScanTime first_sent{};
    ScanTime last_sent{};
  };
  struct Due {
    ScanTime at;
    std::uint32_t index;
    int tries;  // the target's tries when scheduled; stale if they differ now
    bool operator>(const Due& other) const { return at > other.at; }
  };

  ScanDuration timeout_for_try(int tries) const;
  /// An unanswered address still within its tries, or an answered one not yet confirmed (within --retry).
  bool owed_probe(const Target& target) const;
  /// When an address probed `tries` times last at `last_sent` may be given up on.
  ScanTime give_up_time(const Target& target) const;
  void send(std::uint32_t index, ScanTime now);
  void update_allowed_tries(ScanTime now);
  /// Pops due entries that need no probe: answered or stale ones are dropped, out-of-tries ones parked.
  /// Leaves a due entry that is owed a retransmission on top.
  void advance(ScanTime now);

  ScanPolicy policy_;
  std::vector<Target> targets_;
  std::unordered_map<std::uint32_t, std::uint32_t> index_of_;
  std::size_t next_first_probe_ = 0;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::vector<std::uint32_t> parked_;  // out of tries for now; re-queued if allowed_tries grows
  ScanTime parked_until_{};            // the latest answer window of a parked address
  ScanTime next_send_slot_{};
  ScanTime last_send_{};
  RttEstimator rtt_;
  LossEstimator loss_;
  int allowed_tries_;
  std::uint64_t sent_ = 0;
  std::uint64_t answered_ = 0;
};

}  // namespace pifind
