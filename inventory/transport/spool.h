// Signed reports waiting for the collector, one file each in <state>/spool, sent oldest first. Bounded:
// when full the oldest are dropped and counted (the count travels in the next report).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pifind {

/// A report (or a scan) exactly as it goes on the wire.
struct SignedReport {
  std::string agent;      ///< X-Pifind-Agent (a scan's X-Pifind-Scanner)
  std::uint64_t counter = 0;  ///< X-Pifind-Counter
  std::string signature;  ///< X-Pifind-Signature
  std::string body;       ///< the signed bytes
  /// X-Pifind-Device-Key and X-Pifind-Device-Signature: not spooled, signed when the report is sent, so
  /// reports spooled before an upgrade (or before the key existed) go out signed with the device key too.
  std::string device_key;
  std::string device_signature;
};

class Spool {
 public:
  /// Creates `dir` if needed. Throws pifind::Error if it cannot.
  Spool(std::filesystem::path dir, std::size_t max_reports = 256, std::size_t max_bytes = 8 * 1024 * 1024);

  /// Stores `report` (atomically), then drops the oldest while over either bound. Returns the counters
  /// dropped, oldest first (empty when the spool had room).
  std::vector<std::uint64_t> push(const SignedReport& report);
  std::size_t max_reports() const { return max_reports_; }
  std::size_t max_bytes() const { return max_bytes_; }
  /// The counters of the queued reports, oldest (smallest) first.
  std::vector<std::uint64_t> queued() const;
  /// Reads one queued report; nothing if its file is gone or unreadable (then it is removed and counted lost).
  std::optional<SignedReport> read(std::uint64_t counter);
  void remove(std::uint64_t counter);
  /// Reports ever dropped (full spool, unreadable files), persisted in <dir>/dropped.
  std::int64_t dropped_total() const { return dropped_; }

 private:
  std::filesystem::path file_of(std::uint64_t counter) const;
  void count_dropped(std::int64_t n);
  std::filesystem::path dir_;
  std::size_t max_reports_;
  std::size_t max_bytes_;
  std::int64_t dropped_ = 0;
};

}  // namespace pifind
