// Decides which address to probe when: pacing, retransmission timeouts from measured round trips,
// confirmation probes, and the tries silent addresses get from the loss observed (LossEstimator).
// Pure logic on time points, driven by ArpScanner.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
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
  /// The most probes one address gets, confirmations included (--retry).
  int max_tries = 10;
  /// The chance of missing a live host that the number of tries aims for.
  double miss_probability = 0.003;
};

enum class ReplyKind {
  kFirst,      ///< the first reply from a target
  kRepeat,     ///< the target had already answered
  kLate,       ///< the first reply, with no try left and more than the answer window after the last probe
  kNotATarget  ///< an address that was not probed
};

struct ProbeCounters {
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  /// Tries a silent address currently gets, and the most likely per-probe failure chance.
  int allowed_tries = 0;
  double failure_probability = 0;
  ScanDuration timeout{};
  /// Probes to hosts that had already answered, and how many of them went unanswered.
  std::uint64_t confirmations = 0;
  std::uint64_t confirmations_lost = 0;
};

// How a scan unfolds. First probes go out in target order, paced; a host that answers gets a
// confirmation probe a timeout later (a second device on its IP must not hide behind one lost reply),
// and, while it pays, a few more: each is a clean trial of the loss (LossEstimator), and on a sparse
// network a few hundred of them decide whether tens of thousands of silent addresses need a second
// try. Confirmations go before first probes, so the evidence is in when the first pass ends.
// Retransmissions then sweep the silent addresses in the same order, each once its timeout has run,
// up to the tries the evidence calls for; a try that evidence still on its way may make unnecessary
// waits for it, if that is quicker than sending it. Every address has max_timeout to answer after
// its first probe, so the scan ends no sooner than that after the last first probe.
// Memory is 16 bytes per target (20 with --random: an index by address), no per-address queue
// entries, plus a little per answering host.
class ProbeScheduler {
 public:
  ProbeScheduler(const std::vector<Ipv4Address>& targets, ScanPolicy policy);

  /// The address to probe at `now`, already recorded as sent; nothing if no probe is due yet.
  std::optional<Ipv4Address> next_probe(ScanTime now);

  /// When the driver should next call next_probe() or finished(); never earlier than `now`.
  ScanTime next_event(ScanTime now);

  /// A reply from `ip` captured at `now`. For probed addresses, `last_probe` receives the time of the
  /// latest probe sent to it (for the round-trip time). A reply captured before the first probe to its
  /// address answers nothing (a flood read late): kNotATarget, as for an address not probed.
  ReplyKind on_reply(Ipv4Address ip, ScanTime now, ScanTime* last_probe = nullptr);

  /// The kernel dropped captured frames: replies may have been lost unseen, which confirmations cannot
  /// tell, so from now on silent addresses get at least the tries the prior alone calls for.
  void on_capture_drops();

  /// Everything answered or out of tries, and every address has had its time to answer.
  bool finished(ScanTime now);

  ProbeCounters counters() const;
  std::size_t target_count() const { return targets_.size(); }
  /// The probes sent to `ip` so far, confirmations included (at most --retry); 0 if it is not a target.
  int probes_sent(Ipv4Address ip) const;
  /// Whether `ip` is one of the addresses to scan, probed yet or not.
  bool is_target(Ipv4Address ip) const { return find(ip).has_value(); }

 private:
  struct Target {
    ScanTime last_sent{};
    Ipv4Address address;
    std::uint8_t tries = 0;          ///< probes up to the first answer (all of them while silent)
    std::uint8_t confirmations = 0;  ///< probes after it
    std::uint8_t flags = 0;          ///< answered, confirmation_pending, confirmation_lost
  };
  struct Timed {
    ScanTime at;
    std::uint32_t index;
    std::uint32_t confirmation;  ///< for deadlines: which confirmation of the target it judges
    bool operator>(const Timed& other) const { return at > other.at; }
  };
  using TimedQueue = std::priority_queue<Timed, std::vector<Timed>, std::greater<>>;

  std::optional<std::uint32_t> find(Ipv4Address ip) const;
  ScanDuration timeout_for_try(int tries) const;
  int probes_left(const Target& target) const;

  void record_send(ScanTime now);
  void send_first_probe(std::uint32_t index, ScanTime now);
  void send_retransmission(std::uint32_t index, ScanTime now);
  void send_confirmation(std::uint32_t index, ScanTime now);
  void offer_more_evidence(std::uint32_t index, ScanTime now);

  /// Judges confirmations whose deadline has passed, then brings the tries up to date with the evidence.
  void refresh(ScanTime now);
  void update_allowed_tries();
  /// The tries every probed silent address has had.
  int rounds() const;
  /// Silent addresses (probed or not) whose tries are below `tries`.
  std::uint64_t silent_below(int tries) const;
  bool evidence_wanted() const;
  /// Retransmissions go to silent addresses with fewer tries than this.
  int retransmission_limit() const;
  /// The next silent address owed a retransmission (the sweep's position), due or not.
  std::optional<std::uint32_t> next_retransmission();

  ScanPolicy policy_;
  std::vector<Target> targets_;
  std::vector<std::uint32_t> by_address_;  // indices sorted by address; empty when targets_ already is
  std::size_t next_first_probe_ = 0;
  std::size_t sweep_ = 0;  // retransmission cursor
  std::vector<std::uint64_t> silent_by_tries_;
  TimedQueue conflict_checks_;            // first confirmations, due a timeout after the answer
  std::deque<Timed> evidence_ready_;      // answered hosts that may get another confirmation
  TimedQueue deadlines_;                  // confirmations awaiting their answer
  std::uint64_t confirmations_in_flight_ = 0;  // sent and unjudged, or scheduled as conflict checks
  std::uint64_t evidence_room_ = 0;            // probes answered hosts may still get
  std::uint64_t hosts_with_room_ = 0;
  ScanTime next_send_slot_{};
  bool idle_ = true;
  ScanTime wait_until_{};
  RttEstimator rtt_;
  LossEstimator loss_;
  bool evidence_changed_ = true;
  int rounds_seen_ = 0;
  int allowed_tries_ = 1;
  int floor_tries_ = 1;
  std::optional<int> probes_to_lower_;
  std::uint64_t sent_ = 0;
  std::uint64_t answered_ = 0;
  std::uint64_t confirmations_ = 0;
};

}  // namespace pifind
