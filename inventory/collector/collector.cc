#include "inventory/collector/collector.h"

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/file_lock.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/inventory_json.h"
#include "inventory/store/report_merge.h"
#include "inventory/store/scan_merge.h"

namespace pifind {
namespace {

// How often an idle writer looks for changes other processes (scans) made to the file.
constexpr auto kExternalChangePoll = std::chrono::seconds(1);

// Removes ".FILE.tmp.XXXXXX" files that write_file_atomically() left when its process was killed between
// creating and renaming them. Only safe under the file lock: every writer of `file` holds it.
void remove_stale_temporaries(const std::filesystem::path& file) {
  const std::string prefix = "." + file.filename().string() + ".tmp.";
  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() == prefix.size() + 6 && name.rfind(prefix, 0) == 0) {
      std::error_code ignored;
      std::filesystem::remove(it->path(), ignored);
    }
  }
}

}  // namespace

bool Collector::FileIdentity::operator==(const FileIdentity& o) const {
  return device == o.device && inode == o.inode && modified.tv_sec == o.modified.tv_sec &&
         modified.tv_nsec == o.modified.tv_nsec && size == o.size;
}

Collector::Collector(std::filesystem::path file, FleetKey key, CollectorOptions options)
    : file_(std::move(file)), key_(std::move(key)), options_(options) {
  const FileLock lock(file_);
  remove_stale_temporaries(file_);
  inventory_ = read_inventory_file(file_, true);
  known_file_ = identify_file();
  rebuild_counter_cache();
  stats_.devices = inventory_.size();
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
  counters_.clear();
  scan_counters_.clear();
  for (const auto& [mac, retired] : inventory_.retired(SenderKind::kAgent))
    counters_[mac] = {retired.last_counter, retired.key};
  for (const auto& [mac, retired] : inventory_.retired(SenderKind::kScanner))
    scan_counters_[mac] = {retired.last_counter, retired.key};
  for (const auto& [id, record] : inventory_.records()) {
    if (record.agent)
      if (const auto mac = MacAddress::parse(record.agent->agent_id))
        counters_[*mac] = {record.agent->last_counter, record.agent->key};
    for (const auto& scanner : record.scanners) scan_counters_[scanner.id] = {scanner.last_counter, scanner.key};
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
    switch (refusal) {
      case Refusal::kSignature: ++(scan ? stats_.scans_rejected_signature : stats_.rejected_signature); break;
      case Refusal::kReplay: ++(scan ? stats_.scans_rejected_replay : stats_.rejected_replay); break;
      case Refusal::kTooLarge: ++(scan ? stats_.scans_rejected_too_large : stats_.rejected_too_large); break;
      case Refusal::kInvalid: ++(scan ? stats_.scans_rejected_invalid : stats_.rejected_invalid); break;
      case Refusal::kCounterJump:
        if (scan) ++stats_.scans_rejected_replay;  // scans count a counter too far ahead as a replay
        break;
      default: break;
    }
  }
  // Replays are routine (a resend whose first reply was lost), bad signatures are anyone's: what an
  // operator must act on is a device or scanner refused for its key, its counter or its identity.
  if (refusal_status(refusal) == 403 || refusal == Refusal::kCounterJump)
    log_once(fmt::format("{} {} {}", sender_kind_name(kind), sender, refusal_name(refusal)),
             fmt::format("refused {} from {}{} ({}): {}; logged once per {}", scan ? "scans" : "reports",
                         scan ? "scanner " : "", sender, refusal_name(refusal), reason, scan ? "scanner" : "device"));
}

std::optional<std::uint64_t> Collector::cached_counter(const std::unordered_map<MacAddress, KnownSender>& known,
                                                       const SignedHeaders& headers) const {
  const auto sender = MacAddress::parse(headers.agent);
  if (!sender) return std::nullopt;
  const std::lock_guard lock(counters_mutex_);
  // The counter is that of the pinned key: a report under another key (a re-imaged Pi, or someone
  // else) is told so at commit time, whatever its counter, rather than "replay".
  if (const auto it = known.find(*sender);
      it != known.end() && (!it->second.key || it->second.key->to_string() == headers.device_key))
    return it->second.last_counter;
  return std::nullopt;
}

void Collector::submit(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done) {
  const std::optional<std::uint64_t> last = cached_counter(counters_, headers);
  Verification v = verify_report(key_, headers, body, last);
  if (!v.accepted()) {
    count_refusal(SenderKind::kAgent, v.refusal, headers.agent.substr(0, 17), v.reason);
    done({v.http_status, v.reason, v.refusal == Refusal::kReplay ? last : std::nullopt});
    return;
  }
  enqueue({std::move(*v.report), ReportAuthority{v.device_key, options_.enroll}, std::nullopt, std::move(done)});
}

void Collector::submit_scan(const SignedHeaders& headers, std::string body, std::function<void(ReportOutcome)> done) {
  const std::optional<std::uint64_t> last = cached_counter(scan_counters_, headers);
  ScanVerification v = verify_scan(key_, headers, body, last);
  if (!v.accepted()) {
    count_refusal(SenderKind::kScanner, v.refusal, headers.agent.substr(0, 17), v.reason);
    done({v.http_status, v.reason, v.refusal == Refusal::kReplay ? last : std::nullopt});
    return;
  }
  enqueue({{}, ReportAuthority{v.device_key, options_.enroll}, std::move(*v.report), std::move(done)});
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
    bool stop = false;
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait_for(lock, kExternalChangePoll, [this] { return stopping_ || !queue_.empty(); });
      batch.swap(queue_);
      stop = stopping_;
    }
    try {
      if (!batch.empty()) {
        commit(std::move(batch));
      } else if (!(identify_file() == known_file_)) {
        const FileLock lock(file_);
        reload_if_changed();
      }
    } catch (const std::exception&) {
      // A broken file written by someone else: keep serving what we have; the next commit reports it.
    }
    if (stop) {
      const std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) return;
    }
  }
}

void Collector::reload_if_changed() {
  if (identify_file() == known_file_) return;
  reload();
}

void Collector::reload() {
  const FileIdentity now = identify_file();
  Inventory fresh = read_inventory_file(file_, true);
  {
    const std::lock_guard lock(inventory_mutex_);
    inventory_ = std::move(fresh);
    text_cache_.clear();
    known_file_ = now;
    must_reload_ = false;
  }
  rebuild_counter_cache();
  const std::lock_guard lock(stats_mutex_);
  ++stats_.reloads;
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
    if (must_reload_)
      reload();
    else
      reload_if_changed();
    std::string text;
    {
      const std::lock_guard inventory_lock(inventory_mutex_);
      const TimePoint received = std::chrono::system_clock::now();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (const auto& scan = batch[i].scan) {
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
        const AgentReport& report = batch[i].report;
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
      if (accepted + scans_accepted > 0 || sections_changed) text = text_cache_.render(inventory_, received);
    }
    if (!text.empty()) {
      write_file_atomically(file_, text, inventory_file_mode(file_));
      written = true;
      const std::lock_guard inventory_lock(inventory_mutex_);
      known_file_ = identify_file();
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    // Nothing of this batch is durable: answer 503 so agents spool and resend.
    for (auto& o : outcomes) o = {503, "inventory not written: " + failure, std::nullopt};
    roll_back_after_failure();
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
      const auto& scan = batch[i].scan;
      KnownSender& known = scan ? scan_counters_[scan->scanner_id] : counters_[batch[i].report.agent_id];
      known.last_counter = scan ? scan->counter : batch[i].report.counter;
      if (!known.key) known.key = batch[i].authority.key;
    }
  }
  if (failure.empty()) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (outcomes[i].http_status == 204) continue;
      const auto& scan = batch[i].scan;
      count_refusal(scan ? SenderKind::kScanner : SenderKind::kAgent, refusals[i].first,
                    scan ? scan->scanner_id.to_string() : batch[i].report.agent_id.to_string(), refusals[i].second);
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
          std::count_if(batch.begin(), batch.end(), [](const Pending& p) { return p.scan.has_value(); }));
      stats_.write_failures += batch.size() - scans;
      stats_.refused[static_cast<std::size_t>(Refusal::kWriteFailed)] += batch.size() - scans;
      stats_.scan_write_failures += scans;
      stats_.scans_refused[static_cast<std::size_t>(Refusal::kWriteFailed)] += scans;
    }
    if (written) {
      ++stats_.commits;
      stats_.fsyncs += 2;  // the temporary file, then the directory
    }
    const std::lock_guard inventory_lock(inventory_mutex_);
    stats_.devices = inventory_.size();
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(outcomes[i]));
}

void Collector::roll_back_after_failure() {
  try {
    const FileLock lock(file_);
    reload();
  } catch (const std::exception&) {
    // The file cannot be read either: re-read it before the next commit; meanwhile keep serving.
    const std::lock_guard inventory_lock(inventory_mutex_);
    known_file_ = {};
    must_reload_ = true;
  }
}

void Collector::with_inventory(const std::function<void(const Inventory&)>& read) const {
  const std::lock_guard lock(inventory_mutex_);
  read(inventory_);
}

CollectorStats Collector::stats() const {
  const std::lock_guard lock(stats_mutex_);
  return stats_;
}

}  // namespace pifind
