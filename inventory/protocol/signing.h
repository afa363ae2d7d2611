// Authenticating agent reports and scans: HMAC-SHA256 under a fleet key, and the collector's pure verify
// functions. The HTTP contract of a report (also in man/pifind-agent.8, section PROTOCOL):
//
//   POST /v1/reports HTTP/1.1
//   Content-Type: application/json
//   X-Pifind-Agent: b8:27:eb:12:34:56          the report's agent_id (primary MAC, lowercase, colons)
//   X-Pifind-Counter: 42                        the report's counter (decimal, 1..2^63-1)
//   X-Pifind-Signature: sha256=<64 lowercase hex>
//
//   signature = HMAC-SHA256(key, "pifind-report-v1\n" + agent + "\n" + counter + "\n" + body)
//
// over the exact body bytes; the body's "agent_id" and "counter" must equal the headers. The collector
// accepts a report only if its counter is greater than the last one it accepted from that agent
// (gaps are normal: spooled reports may have been dropped). Replies: 204 accepted; 400 malformed or
// invalid (one-line reason in the body); 401 bad signature; 409 counter not above the last accepted
// (a replay, or a resend whose first reply was lost: the agent treats 409 as delivered);
// 413 body larger than kMaxReportBytes.
//
// A scan (`pifind --collector`, pifind(1) SCAN REPORT) goes the same way, with its own path, sender header and
// domain, so neither kind of signature verifies as the other:
//
//   POST /v1/scans HTTP/1.1
//   X-Pifind-Scanner: 02:00:00:00:00:01         the scan's scanner_id (its first interface's MAC)
//   X-Pifind-Counter: 7                         the scan's counter, strictly increasing per scanner
//   X-Pifind-Signature: sha256=<64 lowercase hex>
//
//   signature = HMAC-SHA256(key, "pifind-scan-v1\n" + scanner + "\n" + counter + "\n" + body)
//
// with the same replies (413 above kMaxScanBytes). Scanner counters are kept apart from agent counters: a
// Pi that scans and reports holds one of each.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "inventory/core/mac_address.h"
#include "inventory/protocol/report.h"
#include "inventory/protocol/scan_report.h"

namespace pifind {

inline constexpr std::string_view kReportsPath = "/v1/reports";
inline constexpr std::string_view kAgentHeader = "X-Pifind-Agent";
inline constexpr std::string_view kCounterHeader = "X-Pifind-Counter";
inline constexpr std::string_view kSignatureHeader = "X-Pifind-Signature";
inline constexpr std::string_view kScansPath = "/v1/scans";
inline constexpr std::string_view kScannerHeader = "X-Pifind-Scanner";

/// The shared fleet secret. Never printed.
class FleetKey {
 public:
  /// Reads a key file: its bytes with trailing whitespace removed, 16 to 4096 bytes (e.g. the output of
  /// `openssl rand -hex 32`). Refuses, with a one-line pifind::Error, a file that is not a regular file,
  /// that group or others may access (mode & 077), or that is too short.
  static FleetKey load(const std::filesystem::path& path);
  /// For tests and callers that hold the secret already. Throws pifind::Error if shorter than 16 bytes.
  static FleetKey from_secret(std::string secret);

  const std::string& secret() const { return secret_; }

 private:
  explicit FleetKey(std::string secret) : secret_(std::move(secret)) {}
  std::string secret_;
};

/// "sha256=<hex>" for the message defined above.
std::string sign_report(const FleetKey& key, const MacAddress& agent, std::uint64_t counter, std::string_view body);

/// "sha256=<hex>" for a scan's message (above).
std::string sign_scan(const FleetKey& key, const MacAddress& scanner, std::uint64_t counter, std::string_view body);

/// The three header values as received (untrusted text).
struct SignedHeaders {
  std::string agent;  ///< X-Pifind-Agent, or a scan's X-Pifind-Scanner
  std::string counter;
  std::string signature;
};

/// What verify_report() or verify_scan() decided. `http_status` is the reply the collector should send.
template <typename Document>
struct SignedVerification {
  std::optional<Document> report;  ///< set only when accepted
  int http_status = 0;             ///< 204, 400, 401, 409 or 413
  std::string reason;              ///< one line, empty when accepted

  bool accepted() const { return report.has_value(); }
};
using Verification = SignedVerification<AgentReport>;
using ScanVerification = SignedVerification<ScanReport>;

/// Pure: checks size, header syntax, the signature (constant-time), the counter against
/// `last_accepted_counter` (the agent's last accepted counter, nothing for an agent never seen), then
/// parses and validates the body and checks that its agent_id and counter match the headers.
/// The signature is checked before the body is parsed, so unauthenticated bytes never reach the parser.
Verification verify_report(const FleetKey& key, const SignedHeaders& headers, std::string_view body,
                           std::optional<std::uint64_t> last_accepted_counter);

/// verify_report() for a scan: the same checks in the same order against the scan's message, with
/// `last_accepted_counter` the scanner's (not any agent's).
ScanVerification verify_scan(const FleetKey& key, const SignedHeaders& headers, std::string_view body,
                             std::optional<std::uint64_t> last_accepted_counter);

}  // namespace pifind
