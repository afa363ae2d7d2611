// Authenticating agent reports and scans: HMAC-SHA256 under a fleet key, and the collector's pure verify
// functions. The HTTP contract of a report (also in man/pifind-agent.8, section PROTOCOL):
//
//   POST /v1/reports HTTP/1.1
//   Content-Type: application/json
//   X-Pifind-Agent: b8:27:eb:12:34:56          the report's agent_id (primary MAC, lowercase, colons)
//   X-Pifind-Counter: 42                        the report's counter (decimal, 1..2^63-1)
//   X-Pifind-Signature: sha256=<64 lowercase hex>
//   X-Pifind-Device-Key: ed25519=<base64 of the device's 32-byte public key>
//   X-Pifind-Device-Signature: ed25519=<base64 of the 64-byte Ed25519 signature>
//
//   message   = "pifind-report-v1\n" + agent + "\n" + counter + "\n" + body
//   signature = HMAC-SHA256(fleet key, message); device signature = Ed25519(device key, message)
//
// over the exact body bytes; the body's "agent_id" and "counter" must equal the headers. The fleet key's
// HMAC admits a report at all; the device key (device_key.h) says which device sent it, and the collector
// pins it to the device on first use (collector.h). The two device headers go together; an agent without
// them (an older agent) is accepted only for a device that has no pinned key, and only with --enroll first-use.
// The collector accepts a report only if its counter is greater than the last one it accepted from that
// agent (gaps are normal: spooled reports may have been dropped) and at most kMaxCounterJump above it.
// Replies: 204 accepted; 400 malformed or invalid (one-line reason in the body); 401 bad signature;
// 403 refused for this device (its key is not the pinned one, it is not enrolled, or the report claims
// another device's identity); 409 counter not above the last accepted, with X-Pifind-Last-Counter (a
// replay, or a resend whose first reply was lost), or too far above it; 413 body larger than
// kMaxReportBytes.
//
// A scan (`pifind --collector`, pifind(1) SCAN REPORT) goes the same way, with its own path, sender header and
// domain, so neither kind of signature verifies as the other:
//
//   POST /v1/scans HTTP/1.1
//   X-Pifind-Scanner: 02:00:00:00:00:01         the scan's scanner_id (its first interface's MAC)
//   X-Pifind-Counter: 7                         the scan's counter, strictly increasing per scanner
//   X-Pifind-Signature: sha256=<64 lowercase hex>
//   X-Pifind-Device-Key, X-Pifind-Device-Signature   the scanner's own key, as an agent's
//
//   message   = "pifind-scan-v1\n" + scanner + "\n" + counter + "\n" + body
//
// with the same counter rules and replies (413 above kMaxScanBytes). Scanner counters and pinned keys are kept
// apart from an agent's (device_admission.h): a Pi that scans and reports holds one of each.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "inventory/core/mac_address.h"
#include "inventory/protocol/device_key.h"
#include "inventory/protocol/report.h"
#include "inventory/protocol/scan_report.h"

namespace pifind {

inline constexpr std::string_view kReportsPath = "/v1/reports";
inline constexpr std::string_view kAgentHeader = "X-Pifind-Agent";
inline constexpr std::string_view kCounterHeader = "X-Pifind-Counter";
inline constexpr std::string_view kSignatureHeader = "X-Pifind-Signature";
inline constexpr std::string_view kScansPath = "/v1/scans";
inline constexpr std::string_view kScannerHeader = "X-Pifind-Scanner";
/// On a 409 reply: the last counter the collector accepted from the agent.
inline constexpr std::string_view kLastCounterHeader = "X-Pifind-Last-Counter";
/// How far above the last accepted counter (or above 0 for an agent never seen) a report may jump: an
/// agent adds one per report, so 2^32 lasts 1,300 years at one report every ten seconds, while a report
/// at 2^63-1 that would freeze the device's record for good is refused.
inline constexpr std::uint64_t kMaxCounterJump = std::uint64_t{1} << 32;

/// Why a report or scan was refused; each has a label on /metrics
/// (pifind_reports_refused_total{sender=...,reason=...}).
enum class Refusal {
  kNone,
  kTooLarge,          ///< 413
  kInvalid,           ///< 400: malformed headers or body, or the body refused by validate()
  kSignature,         ///< 401: the fleet key's HMAC or the device signature does not match
  kReplay,            ///< 409: counter not above the last accepted
  kCounterJump,       ///< 409: counter more than kMaxCounterJump above the last accepted
  kUnsigned,          ///< 403: no device key, but the device has one pinned (or enrolment is manual)
  kKeyChanged,        ///< 403: a device key other than the one pinned to this device
  kKeyRevoked,        ///< 403: a key an operator forgot (`pifind keys forget`) for this device
  kNotEnrolled,       ///< 403: --enroll manual and the key is not approved yet (it is listed as pending)
  kIdentityConflict,  ///< 403: the agent's own MAC belongs to another agent's device
  kWriteFailed,       ///< 503: the inventory could not be written (not the report's fault)
};
/// The metric label: "too_large", "invalid", "signature", "replay", "counter_jump", "unsigned",
/// "key_changed", "key_revoked", "not_enrolled", "identity_conflict", "write_failed".
std::string_view refusal_name(Refusal refusal);
/// The HTTP status that goes with it.
int refusal_status(Refusal refusal);

/// Why `counter` may not follow `last_accepted` (nothing for a sender never seen), with the one-line reason:
/// kReplay at or below it, kCounterJump more than kMaxCounterJump above it (or above 0); nothing if it may.
/// The one counter rule, checked on receipt and again at commit.
struct CounterRefusal {
  Refusal refusal;
  std::string reason;
};
std::optional<CounterRefusal> counter_refusal(std::uint64_t counter, std::optional<std::uint64_t> last_accepted);

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

/// The header values as received (untrusted text); the device ones are empty when absent.
struct SignedHeaders {
  std::string agent;  ///< X-Pifind-Agent, or a scan's X-Pifind-Scanner
  std::string counter;
  std::string signature;
  std::string device_key;
  std::string device_signature;
};

/// What verify_report() or verify_scan() decided; http_status() is the reply the collector should send.
template <typename Document>
struct SignedVerification {
  std::optional<Document> report;  ///< set only when accepted
  /// The device key whose signature the document carries (verified); nothing for one without.
  std::optional<DevicePublicKey> device_key;
  Refusal refusal = Refusal::kNone;
  std::string reason;  ///< one line, empty when accepted

  bool accepted() const { return report.has_value(); }
  /// 204, or the refusal's: 400, 401, 403, 409 or 413.
  int http_status() const { return refusal_status(refusal); }
};
using Verification = SignedVerification<AgentReport>;
using ScanVerification = SignedVerification<ScanReport>;

/// Pure: checks size, header syntax, the fleet signature (constant-time), the device signature when the
/// report carries one, the counter against `last_accepted_counter` (the agent's last accepted counter,
/// nothing for an agent never seen; neither a replay nor a jump beyond kMaxCounterJump passes), then
/// parses and validates the body and checks that its agent_id and counter match the headers.
/// Signatures are checked before the body is parsed, so unauthenticated bytes never reach the parser.
Verification verify_report(const FleetKey& key, const SignedHeaders& headers, std::string_view body,
                           std::optional<std::uint64_t> last_accepted_counter);

/// verify_report() for a scan: the same checks in the same order against the scan's message, with
/// `last_accepted_counter` the scanner's (not any agent's).
ScanVerification verify_scan(const FleetKey& key, const SignedHeaders& headers, std::string_view body,
                             std::optional<std::uint64_t> last_accepted_counter);

}  // namespace pifind
