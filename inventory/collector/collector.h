// The collector's core: verified agent reports and scans merged into the in-memory inventory and made durable
// by group commit (one journal frame, one fdatasync, for every report and scan that arrived meanwhile) before
// anyone is answered; the journal folded into a new generation of the file in the background (pifind-inventory(5)).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <variant>

#include <sys/stat.h>

#include "inventory/collector/compactor.h"
#include "inventory/protocol/signing.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory.h"
#include "inventory/store/inventory_journal.h"
#include "inventory/store/inventory_snapshot.h"

namespace pifind {

/// Counters the collector exposes on /metrics, cumulative since start unless said otherwise.
struct CollectorStats {
  /// Reports refused, by Refusal (the index); write_failed counts reports answered 503.
  std::array<std::uint64_t, static_cast<std::size_t>(Refusal::kWriteFailed) + 1> refused{};
  /// Interfaces or serials that reports claimed from another device (kept as conflicts, never merged).
  std::uint64_t identity_conflicts = 0;
  std::uint64_t reports_accepted = 0;
  /// Group commits (journal frames, or whole-file writes), and the fsync/fdatasync calls all writes made.
  std::uint64_t commits = 0, fsyncs = 0;
  /// New generations of the file written (background compactions and whole-file writes), and compactions
  /// that failed (retried).
  std::uint64_t compactions = 0, compaction_failures = 0;
  /// Scans (POST /v1/scans) accepted.
  std::uint64_t scans_accepted = 0;
  /// Scans refused, by Refusal as `refused` is for reports (pifind_reports_refused_total{sender="scanner"}).
  std::array<std::uint64_t, static_cast<std::size_t>(Refusal::kWriteFailed) + 1> scans_refused{};
  /// Times the file was re-read because another process (a scan, a prune) changed it.
  std::uint64_t reloads = 0;
  /// Device keys of agents and scanners waiting for `pifind keys approve`, now.
  std::size_t keys_pending = 0;
  /// Now: the journals' size, and how long ago the oldest change the file alone does not hold yet was
  /// committed (0 when the file is complete).
  std::uint64_t journal_bytes = 0;
  double file_behind_s = 0;
};

/// When the journal is folded into a new generation of the file.
struct CompactionPolicy {
  /// Once the oldest change in the journal is this old (0: as soon as there is one)...
  std::chrono::milliseconds after{std::chrono::seconds(60)};
  /// ... or once the journal is as large as the file, but not below this.
  std::uint64_t min_journal_bytes = 4 << 20;
  /// A failed compaction is tried again after `after`, but at least a second later.
  std::chrono::milliseconds retry_after() const { return std::max(after, std::chrono::milliseconds(1000)); }
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
  CompactionPolicy compaction;
};

class Collector {
 public:
  /// Loads `file` and its journal (the file is created on the first commit if absent). Throws Error if it
  /// exists but is broken. Finishes what a killed collector left: cuts a torn journal tail off, and folds two
  /// journals into the file (if that fails, e.g. on a full disk, the first commits try again).
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
  /// Commits what is queued, answers it, folds the journal into the file (so a stopped collector leaves one
  /// complete file), and stops the writer. Idempotent.
  void stop();

  /// Verifies a report (signature, counter, schema) and queues it. `done` is called exactly once: at once
  /// for a rejected report, or from the writer thread after the commit that made it durable.
  void submit(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done);
  /// submit() for a scan (POST /v1/scans): verified against the scanner's counter, merged as a scan.
  void submit_scan(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done);

  /// The inventory as of the last commit, for readers on any thread: they hold no lock while they use it.
  std::shared_ptr<const InventorySnapshot> snapshot() const { return published_.snapshot(); }
  CollectorStats stats() const;

 private:
  /// A verified report or scan waiting for the next commit.
  struct Pending {
    std::variant<AgentReport, ScanReport> document;
    /// The device key the document was verified with, and the enrolment mode.
    ReportAuthority authority;
    std::function<void(ReportOutcome)> done;

    const ScanReport* scan() const { return std::get_if<ScanReport>(&document); }
    SenderKind kind() const { return scan() ? SenderKind::kScanner : SenderKind::kAgent; }
    /// The agent's id or the scanner's identity, and the counter it signed.
    const MacAddress& sender() const { return scan() ? scan()->scanner_id : std::get<AgentReport>(document).agent_id; }
    std::uint64_t counter() const { return scan() ? scan()->counter : std::get<AgentReport>(document).counter; }
  };
  struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    timespec modified{};
    off_t size = -1;
    bool operator==(const FileIdentity&) const;
  };
  /// A compaction under way: commits go to FILE.journal.next while `snapshot` (the file plus FILE.journal)
  /// is written as the next generation.
  struct Compaction {
    Compactor::Job job;
    std::optional<std::chrono::steady_clock::time_point> retry_at;
    /// When the first commit after the snapshot was written (the oldest change the new file will lack).
    std::optional<std::chrono::steady_clock::time_point> first_change_after;
  };

  /// What submit() and submit_scan() share: `verify` is verify_report or verify_scan.
  template <typename Verify>
  void submit_signed(SenderKind kind, Verify verify, const SignedHeaders& headers, std::string body,
                     std::function<void(ReportOutcome)> done);
  /// Queues a verified report or scan, or answers 503 while stopping.
  void enqueue(Pending pending);
  void writer_loop();
  void commit(std::deque<Pending> batch);
  void finish_on_stop();

  // The rest run on the writer thread; the *_locked ones with the file lock held.
  /// True if another process replaced the file or touched the journal since this collector last did.
  bool changed_by_others() const;
  /// Re-reads the file and journals, dropping in-memory state; finishes a killed collector's work.
  void load_locked();
  /// load_locked() because another process changed the file, counted.
  void reload_locked();
  /// Writes the whole inventory as a new generation of the file and removes the journals: the published
  /// devices with `pending` (a commit not yet published) on top.
  void fold_locked(const SnapshotChanges& pending = {});
  /// Appends one commit to the journal, creating it first if there is none.
  void append_locked(const SnapshotChanges& changes);
  void maybe_compact();
  void finish_compaction(Compactor::Result result);
  void abandon_compaction();
  /// A compaction failed for `why`: logged once until one succeeds again, counted; returns when to retry.
  std::chrono::steady_clock::time_point compaction_failed(const std::string& why);
  FileIdentity identify_file() const;
  void rebuild_counter_cache();
  void update_disk_stats();
  /// Counts a refusal of a report (kAgent) or scan (kScanner), and logs it the first time this sender is
  /// refused for this reason.
  void count_refusal(SenderKind kind, Refusal refusal, const std::string& sender, const std::string& reason);
  void log_once(const std::string& key, const std::string& line);

  const std::filesystem::path file_;
  const FleetKey key_;
  const CollectorOptions options_;
  const CompactionPolicy& policy_ = options_.compaction;
  std::function<void(const std::string&)> log_;
  /// Reports refused with 503 since the last successful write (writer thread only).
  std::uint64_t failing_reports_ = 0;

  // Writer-thread state: the working inventory and what is on disk.
  Inventory inventory_;
  FileIdentity known_file_;
  std::uint64_t generation_ = 0;          ///< of the file
  std::uint64_t highest_generation_ = 0;  ///< of the file and every journal ever made beside it
  std::optional<JournalAppender> journal_;  ///< where commits go: FILE.journal, or .journal.next while compacting
  std::optional<Compaction> compaction_;
  /// When the oldest change the file lacks was committed (nothing: the file is complete).
  std::optional<std::chrono::steady_clock::time_point> oldest_unfolded_;
  /// The file cannot be appended to as it is (absent, or a killed collector's compaction to finish): the
  /// next commit writes the whole inventory.
  bool must_fold_ = false;
  /// Re-read the file before the next commit (it could not be read).
  bool must_reload_ = false;
  /// Counts loads, so a compaction started before one is discarded.
  std::uint64_t epoch_ = 0;
  std::uint64_t compaction_epoch_ = 0;
  bool compaction_failing_ = false;
  /// A compaction could not even start (FILE.journal.next not created): not before this.
  std::optional<std::chrono::steady_clock::time_point> rotation_retry_at_;

  PublishedInventory published_;

  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  bool compaction_finished_ = false;
  std::thread writer_;
  /// After the queue: its thread tells the writer through them, so it must go first.
  Compactor compactor_;

  // Last accepted counter and pinned key per agent and per scanner, for rejecting replays before they are
  // queued. The authoritative checks are repeated at commit time against the inventory.
  struct KnownSender {
    std::uint64_t last_counter = 0;
    std::optional<DevicePublicKey> key;
  };
  /// The counter a report (kAgent) or scan (kScanner) is checked against before it is queued: the cached
  /// one, unless another key than the pinned one signed it (it is told so at commit time, not "replay").
  std::optional<std::uint64_t> cached_counter(SenderKind kind, const SignedHeaders& headers) const;
  mutable std::mutex counters_mutex_;
  /// Indexed by Inventory::index(kind): agents and scanners have counters and keys of their own.
  std::array<std::unordered_map<MacAddress, KnownSender>, 2> counters_;

  mutable std::mutex stats_mutex_;
  CollectorStats stats_;
  /// "<kind> <sender> <reason>" already logged, so each sender's refusal is logged once (bounded).
  std::set<std::string> logged_;
};

}  // namespace pifind
