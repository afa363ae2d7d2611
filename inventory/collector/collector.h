// The collector's core: verified agent reports and scans merged into the in-memory inventory and made durable
// by group commit (one locked, fsync'd write for every report and scan that arrived meanwhile) before anyone is
// answered.
#pragma once

#include <chrono>
#include <condition_variable>
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include <sys/stat.h>

#include "inventory/protocol/signing.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory.h"
#include "inventory/store/inventory_json.h"

namespace pifind {

/// Counters the collector exposes on /metrics, cumulative since start.
struct CollectorStats {
  /// Reports refused, by Refusal (the index); write_failed counts reports answered 503.
  std::array<std::uint64_t, static_cast<std::size_t>(Refusal::kWriteFailed) + 1> refused{};
  /// Interfaces or serials that reports claimed from another device (kept as conflicts, never merged).
  std::uint64_t identity_conflicts = 0;
  std::uint64_t reports_accepted = 0;
  /// By reason: signature (401), invalid (400), too_large (413), replay (409), write_failed (503).
  std::uint64_t rejected_signature = 0, rejected_invalid = 0, rejected_too_large = 0, rejected_replay = 0,
                write_failures = 0;
  /// Inventory file writes, and fsync calls they made (file + directory).
  std::uint64_t commits = 0, fsyncs = 0;
  /// Scans (POST /v1/scans) received, by result as for reports (a counter too far ahead counts as a replay).
  std::uint64_t scans_accepted = 0, scans_rejected_signature = 0, scans_rejected_invalid = 0,
                scans_rejected_too_large = 0, scans_rejected_replay = 0, scan_write_failures = 0;
  /// Scans refused, by Refusal as `refused` is for reports (pifind_reports_refused_total{sender="scanner"}).
  std::array<std::uint64_t, static_cast<std::size_t>(Refusal::kWriteFailed) + 1> scans_refused{};
  /// Times the file was re-read because another process (a scan) changed it.
  std::uint64_t reloads = 0;
  std::size_t devices = 0;
};

/// The answer a report gets: an HTTP status and, for anything but 204, a one-line reason.
struct ReportOutcome {
  int http_status = 0;
  std::string reason;
  /// On 409: the last counter accepted from this agent (sent as X-Pifind-Last-Counter).
  std::optional<std::uint64_t> last_counter;
};

struct CollectorOptions {
  EnrollMode enroll = EnrollMode::kFirstUse;
};

class Collector {
 public:
  /// Loads `file` (created on first commit if absent). Throws Error if it exists but is broken.
  Collector(std::filesystem::path file, FleetKey key, CollectorOptions options = {});
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;
  /// Stops the writer after it committed everything queued.
  ~Collector();

  /// Where one-line operational messages go (the inventory cannot be written, and when it can again).
  /// Called from the writer thread. Set before start().
  void set_log(std::function<void(const std::string&)> log) { log_ = std::move(log); }
  /// Starts the writer thread.
  void start();
  /// Commits what is queued, answers it, and stops the writer. Idempotent.
  void stop();

  /// Verifies a report (signature, counter, schema) and queues it. `done` is called exactly once: at once
  /// for a rejected report, or from the writer thread after the commit that made it durable.
  void submit(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done);
  /// submit() for a scan (POST /v1/scans): verified against the scanner's counter, merged as a scan.
  void submit_scan(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done);

  /// Calls `read` with the current inventory, under the lock that commits take.
  void with_inventory(const std::function<void(const Inventory&)>& read) const;
  CollectorStats stats() const;

 private:
  struct Pending {
    AgentReport report;  ///< unless `scan` is set
    /// The device key the report or scan was verified with, and the enrolment mode.
    ReportAuthority authority;
    /// A scan, queued beside the reports.
    std::optional<ScanReport> scan;
    std::function<void(ReportOutcome)> done;
  };
  struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    timespec modified{};
    off_t size = -1;
    bool operator==(const FileIdentity&) const;
  };

  /// Queues a verified report or scan, or answers 503 while stopping.
  void enqueue(Pending pending);
  void writer_loop();
  void commit(std::deque<Pending> batch);
  /// Re-reads the file if it is not the one this collector last wrote or read. Caller holds the file lock.
  void reload_if_changed();
  /// Re-reads the file (empty if absent), dropping in-memory changes. Caller holds the file lock.
  void reload();
  /// After a failed write: forget the batch's unwritten changes, so nothing refused is ever served.
  void roll_back_after_failure();
  FileIdentity identify_file() const;
  void rebuild_counter_cache();
  /// Counts a refusal of a report (kAgent) or scan (kScanner), and logs it the first time this sender is
  /// refused for this reason.
  void count_refusal(SenderKind kind, Refusal refusal, const std::string& sender, const std::string& reason);
  void log_once(const std::string& key, const std::string& line);

  const std::filesystem::path file_;
  const FleetKey key_;
  const CollectorOptions options_;
  std::function<void(const std::string&)> log_;
  /// Reports refused with 503 since the last successful write (writer thread only).
  std::uint64_t failing_reports_ = 0;

  mutable std::mutex inventory_mutex_;
  Inventory inventory_;
  InventoryTextCache text_cache_;
  FileIdentity known_file_;
  /// A failed write could not be rolled back: the next commit re-reads the file whatever its identity.
  bool must_reload_ = false;

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;

  // Last accepted counter and pinned key per agent, for rejecting replays before they are queued. The
  // authoritative checks are repeated at commit time against the inventory.
  struct KnownSender {
    std::uint64_t last_counter = 0;
    std::optional<DevicePublicKey> key;
  };
  /// The counter a report or scan from `sender` is checked against before it is queued: the cached one,
  /// unless another key than the pinned one signed it (it is told so at commit time, not "replay").
  std::optional<std::uint64_t> cached_counter(const std::unordered_map<MacAddress, KnownSender>& known,
                                              const SignedHeaders& headers) const;
  mutable std::mutex counters_mutex_;
  std::unordered_map<MacAddress, KnownSender> counters_;
  /// The same for scanners, whose counters and keys are their own.
  std::unordered_map<MacAddress, KnownSender> scan_counters_;

  mutable std::mutex stats_mutex_;
  CollectorStats stats_;
  /// "<kind> <sender> <reason>" already logged, so each sender's refusal is logged once (bounded).
  std::set<std::string> logged_;
};

}  // namespace pifind
