#include "inventory/collector/collector.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/report_merge.h"
#include "inventory/store/scan_merge.h"

namespace pifind {
namespace {

using SteadyClock = std::chrono::steady_clock;

// How often an idle writer looks for changes other processes (scans) made to the file.
constexpr auto kExternalChangePoll = std::chrono::seconds(1);

// Removes ".FILE.tmp.XXXXXX" files that a writer left when its process was killed between creating and
// renaming them (a compaction's, a scan's). Only safe under the file lock: every writer of `file` holds it
// from creating its temporary file to renaming it, except this collector's own compactor, which is idle here.
void remove_stale_temporaries(const std::filesystem::path& file) {
  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    for (const auto& owner : {file, journal_path(file), next_journal_path(file)})
      if (is_temporary_of(owner, it->path().filename().string())) {
        std::error_code ignored;
        std::filesystem::remove(it->path(), ignored);
      }
  }
}

std::size_t pending_key_count(const Inventory& inventory) {
  return inventory.pending_keys(SenderKind::kAgent).size() + inventory.pending_keys(SenderKind::kScanner).size();
}

}  // namespace

bool Collector::FileIdentity::operator==(const FileIdentity& o) const {
  return device == o.device && inode == o.inode && modified.tv_sec == o.modified.tv_sec &&
         modified.tv_nsec == o.modified.tv_nsec && size == o.size;
}

Collector::Collector(std::filesystem::path file, FleetKey key, CollectorOptions options)
    : file_(std::move(file)), key_(std::move(key)), options_(options), compactor_(this->file_, [this] {
        {
          const std::lock_guard lock(queue_mutex_);
          compaction_finished_ = true;
        }
        queue_changed_.notify_one();
      }) {
  const FileLock lock(file_);
  remove_stale_temporaries(file_);
  load_locked();
}

Collector::~Collector() { stop(); }

void Collector::start() { writer_ = std::thread([this] { writer_loop(); }); }

void Collector::stop() {
  {
    const std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_changed_.notify_all();
  if (writer_.joinable()) writer_.join();
}

Collector::FileIdentity Collector::identify_file() const {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return {};
  return {st.st_dev, st.st_ino, st.st_mtim, st.st_size};
}

void Collector::rebuild_counter_cache() {
  const std::lock_guard lock(counters_mutex_);
  auto& agents = counters_[Inventory::index(SenderKind::kAgent)];
  auto& scanners = counters_[Inventory::index(SenderKind::kScanner)];
  agents.clear();
  scanners.clear();
  for (const auto& [mac, retired] : inventory_.retired(SenderKind::kAgent)) agents[mac] = {retired.last_counter, retired.key};
  for (const auto& [mac, retired] : inventory_.retired(SenderKind::kScanner))
    scanners[mac] = {retired.last_counter, retired.key};
  for (const auto& [id, record] : inventory_.records()) {
    if (record.agent)
      if (const auto mac = MacAddress::parse(record.agent->agent_id))
        agents[*mac] = {record.agent->last_counter, record.agent->key};
    for (const auto& scanner : record.scanners) scanners[scanner.id] = {scanner.last_counter, scanner.key};
  }
}

void Collector::log_once(const std::string& key, const std::string& line) {
  if (!log_) return;
  {
    const std::lock_guard lock(stats_mutex_);
    constexpr std::size_t kMaxLogged = 10000;  // beyond it, refusals are only counted
    if (logged_.size() >= kMaxLogged || !logged_.insert(key).second) return;
  }
  log_(line);
}

void Collector::count_refusal(SenderKind kind, Refusal refusal, const std::string& sender, const std::string& reason) {
  const bool scan = kind == SenderKind::kScanner;
  {
    const std::lock_guard lock(stats_mutex_);
    ++(scan ? stats_.scans_refused : stats_.refused)[static_cast<std::size_t>(refusal)];
  }
  // Replays are routine (a resend whose first reply was lost), bad signatures are anyone's: what an
  // operator must act on is a device or scanner refused for its key, its counter or its identity.
  if (refusal_status(refusal) == 403 || refusal == Refusal::kCounterJump)
    log_once(fmt::format("{} {} {}", sender_kind_name(kind), sender, refusal_name(refusal)),
             fmt::format("refused {} from {}{} ({}): {}; logged once per {}", scan ? "scans" : "reports",
                         scan ? "scanner " : "", sender, refusal_name(refusal), reason, scan ? "scanner" : "device"));
}

std::optional<std::uint64_t> Collector::cached_counter(SenderKind kind, const SignedHeaders& headers) const {
  const auto sender = MacAddress::parse(headers.agent);
  if (!sender) return std::nullopt;
  const std::lock_guard lock(counters_mutex_);
  const auto& known = counters_[Inventory::index(kind)];
  // The counter is that of the pinned key: a report under another key (a re-imaged Pi, or someone
  // else) is told so at commit time, whatever its counter, rather than "replay".
  if (const auto it = known.find(*sender);
      it != known.end() && (!it->second.key || it->second.key->to_string() == headers.device_key))
    return it->second.last_counter;
  return std::nullopt;
}

void Collector::submit(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done) {
  submit_signed(SenderKind::kAgent, verify_report, headers, std::move(body), std::move(done));
}

void Collector::submit_scan(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done) {
  submit_signed(SenderKind::kScanner, verify_scan, headers, std::move(body), std::move(done));
}

template <typename Verify>
void Collector::submit_signed(SenderKind kind, Verify verify, const SignedHeaders& headers, std::string body,
                              std::function<void(ReportOutcome)> done) {
  const std::optional<std::uint64_t> last = cached_counter(kind, headers);
  auto v = verify(key_, headers, body, last);
  if (!v.accepted()) {
    count_refusal(kind, v.refusal, headers.agent.substr(0, 17), v.reason);
    done({v.http_status(), v.reason, v.refusal == Refusal::kReplay ? last : std::nullopt});
    return;
  }
  enqueue({std::move(*v.report), ReportAuthority{v.device_key, options_.enroll}, std::move(done)});
}

void Collector::enqueue(Pending pending) {
  {
    const std::lock_guard lock(queue_mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(pending));
      queue_changed_.notify_one();
      return;
    }
  }
  pending.done({503, "the collector is shutting down", std::nullopt});
}

void Collector::writer_loop() {
  for (;;) {
    std::deque<Pending> batch;
    bool stop = false, compacted = false;
    {
      std::unique_lock lock(queue_mutex_);
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kExternalChangePoll);
      if (journal_ && journal_->frames() > 0 && !compaction_) wait = std::min(wait, std::max(policy_.after, std::chrono::milliseconds(10)));
      queue_changed_.wait_for(lock, wait, [this] { return stopping_ || !queue_.empty() || compaction_finished_; });
      batch.swap(queue_);
      stop = stopping_;
      compacted = std::exchange(compaction_finished_, false);
    }
    try {
      if (!batch.empty()) {
        commit(std::move(batch));
      } else if (changed_by_others()) {  // checked without the lock first: an idle poll rarely finds a change
        const FileLock lock(file_);
        if (changed_by_others()) reload_locked();
      }
      if (compacted)
        if (auto result = compactor_.take_result()) finish_compaction(std::move(*result));
      if (!stop) maybe_compact();
    } catch (const std::exception&) {
      // A broken file written by someone else (load_locked() marks it to be read again): keep serving what we
      // have; the next commit reports it.
    }
    if (stop) {
      {
        const std::lock_guard lock(queue_mutex_);
        if (!queue_.empty()) continue;
      }
      finish_on_stop();
      return;
    }
    update_disk_stats();
  }
}

bool Collector::changed_by_others() const {
  if (!(identify_file() == known_file_)) return true;
  if (journal_) return !journal_->intact_on_disk();
  std::error_code ec;
  return std::filesystem::exists(journal_path(file_), ec);  // another collector started one
}

void Collector::abandon_compaction() {
  compaction_.reset();
  ++epoch_;  // a job still running is discarded when it finishes
}

void Collector::load_locked() {
  InventoryOnDisk disk;
  try {
    disk = load_inventory(file_, true, true);
  } catch (...) {
    must_reload_ = true;
    throw;
  }
  inventory_ = std::move(disk.inventory);
  published_.reset(inventory_, std::move(disk.lines));
  rebuild_counter_cache();
  must_reload_ = false;
  abandon_compaction();
  journal_.reset();
  oldest_unfolded_.reset();
  generation_ = disk.generation;
  highest_generation_ = std::max(highest_generation_, disk.highest_generation);
  known_file_ = identify_file();
  for (const auto& stale : disk.stale) ::unlink(stale.c_str());
  must_fold_ = false;
  if (!disk.file_exists) {
    must_fold_ = true;  // the first commit creates the file
  } else if (disk.replayed.size() == 1 && disk.replayed[0].path == journal_path(file_) &&
             disk.replayed[0].generation == generation_) {
    const auto& j = disk.replayed[0];
    try {
      journal_ = JournalAppender::open(j.path, j.generation, j.intact_bytes, j.frames);
      if (j.frames > 0) oldest_unfolded_ = SteadyClock::now();
    } catch (const std::exception&) {
      must_fold_ = true;
    }
  } else if (!disk.replayed.empty()) {
    must_fold_ = true;  // a compaction a killed collector left half done
  }
  if (must_fold_ && disk.file_exists) {
    try {
      fold_locked();
    } catch (const std::exception& e) {
      if (log_) log_("cannot fold the journals into " + file_.string() + " yet: " + e.what());
    }
  }
  const std::lock_guard lock(stats_mutex_);
  stats_.keys_pending = pending_key_count(inventory_);
}

void Collector::reload_locked() {
  load_locked();
  const std::lock_guard lock(stats_mutex_);
  ++stats_.reloads;
}

void Collector::fold_locked(const SnapshotChanges& pending) {
  // The published lines, not rendered again: both they and `pending` are in MAC order of their own.
  const auto snapshot = published_.snapshot();
  std::unordered_map<MacAddress, std::string_view> changed;
  for (const auto& d : pending.changed) changed.emplace(d->record.id, d->line);
  std::vector<std::string_view> lines;
  lines.reserve(inventory_.size());
  auto published = snapshot->devices.begin();
  for (const auto& [id, record] : inventory_.records()) {
    while (published != snapshot->devices.end() && (*published)->record.id < id) ++published;
    if (const auto it = changed.find(id); it != changed.end())
      lines.push_back(it->second);
    else if (published != snapshot->devices.end() && (*published)->record.id == id)
      lines.push_back((*published)->line);
    else
      throw Error("device " + id.to_string() + " is neither published nor changed");  // a bug, not a disk state
  }
  const std::uint64_t generation = highest_generation_ + 1;
  replace_inventory_file(file_, std::chrono::system_clock::now(), generation, lines,
                         pending.sections ? std::string_view(*pending.sections) : std::string_view(*snapshot->sections));
  generation_ = highest_generation_ = generation;
  journal_.reset();
  abandon_compaction();
  oldest_unfolded_.reset();
  must_fold_ = false;
  known_file_ = identify_file();
  const std::lock_guard lock(stats_mutex_);
  ++stats_.compactions;
  stats_.fsyncs += 2;  // the new file, its directory
}

void Collector::append_locked(const SnapshotChanges& changes) {
  if (!journal_) {
    journal_ = JournalAppender::create(journal_path(file_), generation_, inventory_file_mode(file_));
    const std::lock_guard lock(stats_mutex_);
    stats_.fsyncs += 2;
  }
  try {
    const auto lines = changes.lines();
    journal_->append(journal_frame(lines, changes.removed, changes.sections));
  } catch (...) {
    if (journal_->broken()) must_fold_ = true;
    throw;
  }
  const auto now = SteadyClock::now();
  if (!oldest_unfolded_) oldest_unfolded_ = now;
  if (compaction_ && !compaction_->first_change_after) compaction_->first_change_after = now;
  const std::lock_guard lock(stats_mutex_);
  ++stats_.fsyncs;
}

void Collector::commit(std::deque<Pending> batch) {
  std::vector<ReportOutcome> outcomes(batch.size());
  std::size_t accepted = 0, scans_accepted = 0;
  std::vector<std::pair<Refusal, std::string>> refusals(batch.size());
  std::vector<std::string> conflicts;
  bool written = false;
  std::string failure;
  try {
    const FileLock lock(file_);
    if (must_reload_ || changed_by_others()) reload_locked();
    inventory_.begin_undo();
    try {
      const TimePoint received = std::chrono::system_clock::now();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (const ScanReport* scan = batch[i].scan()) {
          const Admission merged = merge_scan_report(inventory_, *scan, batch[i].authority, received);
          if (merged.admitted()) {
            outcomes[i] = {204, "", std::nullopt};
            ++scans_accepted;
          } else {
            outcomes[i] = {refusal_status(merged.refusal), merged.reason,
                           merged.refusal == Refusal::kReplay ? merged.last_counter : std::nullopt};
            refusals[i] = {merged.refusal, merged.reason};
          }
          continue;
        }
        const AgentReport& report = std::get<AgentReport>(batch[i].document);
        ReportMergeOutcome merged = merge_report(inventory_, report, batch[i].authority, received);
        for (auto& c : merged.conflicts) conflicts.push_back(std::move(c));
        if (merged.accepted()) {
          outcomes[i] = {204, "", std::nullopt};
          ++accepted;
        } else {
          const bool replay = merged.refusal == Refusal::kReplay;
          outcomes[i] = {refusal_status(merged.refusal), merged.reason,
                         replay ? last_accepted_counter(inventory_, SenderKind::kAgent, report.agent_id) : std::nullopt};
          refusals[i] = {merged.refusal, merged.reason};
        }
      }
      // Refusals under --enroll manual note pending keys: those are written too.
      const bool sections_changed = inventory_.take_sections_changed();
      const SnapshotChanges changes =
          PublishedInventory::prepare(inventory_, inventory_.take_changed(), sections_changed);
      if (accepted + scans_accepted > 0 || changes.sections || !changes.changed.empty() || !changes.removed.empty()) {
        if (must_fold_)
          fold_locked(changes);
        else
          append_locked(changes);
        written = true;
      }
      inventory_.end_undo();
      published_.publish(changes);
    } catch (...) {
      // Nothing of this batch is durable: it must not be served either.
      inventory_.roll_back();
      inventory_.take_changed();
      inventory_.take_sections_changed();
      throw;
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    // Answer 503 so agents spool and resend.
    for (auto& o : outcomes) o = {503, "inventory not written: " + failure, std::nullopt};
    if (failing_reports_ == 0 && log_) log_("inventory not written: " + failure + "; answering 503 until it is");
    failing_reports_ += batch.size();
  } else {
    if (failing_reports_ > 0 && written && log_)
      log_("inventory " + file_.string() + " written again after " + std::to_string(failing_reports_) +
           " reports were answered 503");
    if (written) failing_reports_ = 0;
    const std::lock_guard lock(counters_mutex_);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (outcomes[i].http_status != 204) continue;
      KnownSender& known = counters_[Inventory::index(batch[i].kind())][batch[i].sender()];
      known.last_counter = batch[i].counter();
      if (!known.key) known.key = batch[i].authority.key;
    }
  }
  if (failure.empty()) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (outcomes[i].http_status == 204) continue;
      count_refusal(batch[i].kind(), refusals[i].first, batch[i].sender().to_string(), refusals[i].second);
    }
    for (const auto& c : conflicts) log_once("conflict " + c, "identity conflict, kept apart (see pifind audit): " + c);
  }
  {
    const std::lock_guard lock(stats_mutex_);
    stats_.identity_conflicts += conflicts.size();
    if (failure.empty()) {
      stats_.reports_accepted += accepted;
      stats_.scans_accepted += scans_accepted;
    } else {
      const auto scans = static_cast<std::uint64_t>(
          std::count_if(batch.begin(), batch.end(), [](const Pending& p) { return p.scan() != nullptr; }));
      stats_.refused[static_cast<std::size_t>(Refusal::kWriteFailed)] += batch.size() - scans;
      stats_.scans_refused[static_cast<std::size_t>(Refusal::kWriteFailed)] += scans;
    }
    if (written) ++stats_.commits;
    stats_.keys_pending = pending_key_count(inventory_);
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(outcomes[i]));
}

void Collector::maybe_compact() {
  const auto now = SteadyClock::now();
  if (compaction_) {
    // A failed one is retried with the same snapshot: FILE.journal.next continues from exactly that state.
    if (compaction_->retry_at && now >= *compaction_->retry_at && compactor_.idle()) {
      compaction_->retry_at.reset();
      compaction_epoch_ = epoch_;
      compactor_.start(compaction_->job);
    }
    return;
  }
  if (must_fold_ || !journal_ || journal_->frames() == 0 || (rotation_retry_at_ && now < *rotation_retry_at_)) return;
  struct stat st {};
  const std::uint64_t file_bytes = ::stat(file_.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  const bool old_enough = oldest_unfolded_ && now - *oldest_unfolded_ >= policy_.after;
  const bool large_enough = journal_->bytes() >= std::max(policy_.min_journal_bytes, file_bytes);
  if ((!old_enough && !large_enough) || !compactor_.idle()) return;
  const FileLock lock(file_);
  if (changed_by_others()) return reload_locked();
  // From here on commits go to the next generation's journal; the snapshot is exactly the file plus
  // FILE.journal, which no commit touches any more.
  std::optional<JournalAppender> next;
  try {
    next = JournalAppender::create(next_journal_path(file_), generation_ + 1, inventory_file_mode(file_));
  } catch (const std::exception& e) {
    // Commits go on into FILE.journal; the compaction is tried again later.
    rotation_retry_at_ = compaction_failed(e.what());
    return;
  }
  rotation_retry_at_.reset();
  highest_generation_ = std::max(highest_generation_, generation_ + 1);
  journal_ = std::move(*next);
  compaction_ = Compaction{
      {published_.snapshot(), generation_ + 1, std::chrono::system_clock::now(), inventory_file_mode(file_)}, {}, {}};
  compaction_epoch_ = epoch_;
  {
    const std::lock_guard stats_lock(stats_mutex_);
    stats_.fsyncs += 2;
  }
  compactor_.start(compaction_->job);
}

void Collector::finish_compaction(Compactor::Result result) {
  if (compaction_epoch_ != epoch_ || !compaction_ || result.generation != compaction_->job.generation) {
    if (!result.temporary.empty()) ::unlink(result.temporary.c_str());
    return;
  }
  std::string failure = result.error;
  if (failure.empty()) {
    try {
      const FileLock lock(file_);
      if (changed_by_others()) {
        ::unlink(result.temporary.c_str());
        return reload_locked();
      }
      install_temporary(result.temporary, file_);
      generation_ = compaction_->job.generation;
      known_file_ = identify_file();
      oldest_unfolded_ = compaction_->first_change_after;
      compaction_.reset();
      {
        const std::lock_guard stats_lock(stats_mutex_);
        ++stats_.compactions;
        stats_.fsyncs += 2;
      }
      // The old journal is stale now; renaming the next one over it finishes the switch. Should that fail,
      // readers still find it under its own name, and the next commit folds both away.
      if (::rename(next_journal_path(file_).c_str(), journal_path(file_).c_str()) == 0)
        journal_->renamed_to(journal_path(file_));
      else
        must_fold_ = true;
      if (compaction_failing_ && log_) log_("compaction of " + file_.string() + " succeeded again");
      compaction_failing_ = false;
      return;
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  // The journals keep every change meanwhile; the same snapshot is written again later.
  compaction_->retry_at = compaction_failed(failure);
}

SteadyClock::time_point Collector::compaction_failed(const std::string& why) {
  if (!compaction_failing_ && log_)
    log_("cannot compact " + file_.string() + " (" + why + "); the journal keeps every change, retrying");
  compaction_failing_ = true;
  {
    const std::lock_guard lock(stats_mutex_);
    ++stats_.compaction_failures;
  }
  return SteadyClock::now() + policy_.retry_after();
}

void Collector::finish_on_stop() {
  // A compaction under way is finished first; then whatever the journal holds goes into one complete file.
  if (auto result = compactor_.wait()) {
    try {
      finish_compaction(std::move(*result));
    } catch (const std::exception&) {
    }
  }
  try {
    const bool unfolded = (journal_ && journal_->frames() > 0) || compaction_ || (must_fold_ && inventory_.size() > 0);
    if (!unfolded && !journal_) return;
    const FileLock lock(file_);
    if (changed_by_others()) return;
    if (!unfolded) {
      // The file is complete: only an empty journal to tidy away.
      if (::unlink(journal_->path().c_str()) == 0) journal_.reset();
      return;
    }
    fold_locked();
  } catch (const std::exception& e) {
    if (log_) log_("could not fold the journal into " + file_.string() + " on stop (" + e.what() +
                   "); it is complete beside the file");
  }
  update_disk_stats();
}

void Collector::update_disk_stats() {
  std::uint64_t journal_bytes = 0;
  for (const auto& path : {journal_path(file_), next_journal_path(file_)}) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) journal_bytes += static_cast<std::uint64_t>(st.st_size);
  }
  const double behind_s =
      oldest_unfolded_ ? std::chrono::duration<double>(SteadyClock::now() - *oldest_unfolded_).count() : 0.0;
  const std::lock_guard lock(stats_mutex_);
  stats_.journal_bytes = journal_bytes;
  stats_.file_behind_s = behind_s;
}

CollectorStats Collector::stats() const {
  const std::lock_guard lock(stats_mutex_);
  return stats_;
}

}  // namespace pifind
