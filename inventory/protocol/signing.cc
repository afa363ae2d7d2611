#include "inventory/protocol/signing.h"

#include <charconv>
#include <cstdint>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "inventory/core/error.h"
#include "inventory/core/secret_file.h"
#include "inventory/protocol/hmac_sha256.h"

namespace pifind {
namespace {

constexpr std::size_t kMinKeyBytes = 16;
constexpr std::size_t kMaxKeyBytes = 4096;
constexpr std::string_view kSignaturePrefix = "sha256=";

std::string hmac_hex(const FleetKey& key, const std::string& message) {
  const Sha256Digest digest = hmac_sha256(key.secret(), message);
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (std::uint8_t byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

// A kind of signed document: the message both signatures cover (domain-separated: a report's signature never
// verifies as a scan's), the header that names its sender, its size limit, its parser, and the field of the
// document that must match the sender header.
template <typename Document>
struct SignedKind {
  std::string_view name;  // "report", "scan"
  std::string (*message)(const MacAddress&, std::uint64_t, std::string_view);
  std::string_view sender_header;
  std::size_t max_bytes;
  Document (*parse)(std::string_view);
  MacAddress Document::*sender;
  std::string_view sender_field;
};

const SignedKind<AgentReport> kReport{"report", report_message, kAgentHeader, kMaxReportBytes, parse_report,
                                      &AgentReport::agent_id, "agent_id"};
const SignedKind<ScanReport> kScan{"scan", scan_message, kScannerHeader, kMaxScanBytes, parse_scan_report,
                                   &ScanReport::scanner_id, "scanner_id"};

// Size, header syntax, the signatures (the fleet key's constant-time, then the device's) and the counter,
// then the body: unauthenticated bytes never reach the parser.
template <typename Document>
SignedVerification<Document> verify_signed(const SignedKind<Document>& kind, const FleetKey& key,
                                           const SignedHeaders& headers, std::string_view body,
                                           std::optional<std::uint64_t> last_accepted_counter) {
  const auto reject = [](Refusal refusal, std::string reason) {
    return SignedVerification<Document>{std::nullopt, std::nullopt, refusal,
                                        std::move(reason)};
  };
  if (body.size() > kind.max_bytes)
    return reject(Refusal::kTooLarge,
                  fmt::format("{} of {} bytes is larger than the {} allowed", kind.name, body.size(), kind.max_bytes));
  const auto sender = MacAddress::parse(headers.agent);
  if (!sender || headers.agent != sender->to_string())
    return reject(Refusal::kInvalid,
                  fmt::format("{} must be a lowercase colon-separated MAC address", kind.sender_header));
  std::uint64_t counter = 0;
  const auto& c = headers.counter;
  const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), counter);
  if (c.empty() || c.size() > 19 || ec != std::errc() || end != c.data() + c.size() || counter == 0 ||
      counter > static_cast<std::uint64_t>(INT64_MAX) || (c.size() > 1 && c[0] == '0'))
    return reject(Refusal::kInvalid, fmt::format("{} must be a decimal integer from 1 to 2^63-1", kCounterHeader));
  std::optional<DevicePublicKey> device_key;
  if (!headers.device_key.empty() || !headers.device_signature.empty()) {
    device_key = DevicePublicKey::parse(headers.device_key);
    if (!device_key)
      return reject(Refusal::kInvalid, fmt::format("{} must be ed25519=<base64 of 32 bytes>", kDeviceKeyHeader));
  }
  const auto& s = headers.signature;
  if (s.size() != kSignaturePrefix.size() + 64 || s.compare(0, kSignaturePrefix.size(), kSignaturePrefix) != 0)
    return reject(Refusal::kSignature, fmt::format("{} must be sha256=<64 hex digits>", kSignatureHeader));
  const std::string message = kind.message(*sender, counter, body);
  const std::string expected = hmac_hex(key, message);
  if (CRYPTO_memcmp(expected.data(), s.data() + kSignaturePrefix.size(), expected.size()) != 0)
    return reject(Refusal::kSignature,
                  fmt::format("signature does not match (wrong fleet key or altered {})", kind.name));
  if (device_key && !device_key->verify(message, headers.device_signature))
    return reject(Refusal::kSignature, fmt::format("{} does not match the device key (wrong key or altered {})",
                                                   kDeviceSignatureHeader, kind.name));
  if (auto refused = counter_refusal(counter, last_accepted_counter))
    return reject(refused->refusal, std::move(refused->reason));
  Document document;
  try {
    document = kind.parse(body);
  } catch (const Error& e) {
    return reject(Refusal::kInvalid, e.what());
  }
  if (document.*kind.sender != *sender)
    return reject(Refusal::kInvalid,
                  fmt::format("{} {} differs from the {} header", kind.name, kind.sender_field, kind.sender_header));
  if (document.counter != counter)
    return reject(Refusal::kInvalid, fmt::format("{} counter differs from the {} header", kind.name, kCounterHeader));
  return {std::move(document), device_key, Refusal::kNone, {}};
}

}  // namespace

std::string_view refusal_name(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone: return "none";
    case Refusal::kTooLarge: return "too_large";
    case Refusal::kInvalid: return "invalid";
    case Refusal::kSignature: return "signature";
    case Refusal::kReplay: return "replay";
    case Refusal::kCounterJump: return "counter_jump";
    case Refusal::kUnsigned: return "unsigned";
    case Refusal::kKeyChanged: return "key_changed";
    case Refusal::kKeyRevoked: return "key_revoked";
    case Refusal::kNotEnrolled: return "not_enrolled";
    case Refusal::kIdentityConflict: return "identity_conflict";
    case Refusal::kWriteFailed: return "write_failed";
  }
  return "unknown";
}

int refusal_status(Refusal refusal) {
  switch (refusal) {
    case Refusal::kNone: return 204;
    case Refusal::kTooLarge: return 413;
    case Refusal::kInvalid: return 400;
    case Refusal::kSignature: return 401;
    case Refusal::kReplay:
    case Refusal::kCounterJump: return 409;
    case Refusal::kUnsigned:
    case Refusal::kKeyChanged:
    case Refusal::kKeyRevoked:
    case Refusal::kNotEnrolled:
    case Refusal::kIdentityConflict: return 403;
    case Refusal::kWriteFailed: return 503;
  }
  return 500;
}

std::optional<CounterRefusal> counter_refusal(std::uint64_t counter, std::optional<std::uint64_t> last_accepted) {
  if (last_accepted && counter <= *last_accepted)
    return CounterRefusal{Refusal::kReplay,
                          fmt::format("counter {} is not above the last accepted {} (replay)", counter, *last_accepted)};
  const std::uint64_t base = last_accepted.value_or(0);
  if (counter - base > kMaxCounterJump)
    return CounterRefusal{Refusal::kCounterJump,
                          fmt::format("counter {} is more than 2^32 above the last accepted {}", counter, base)};
  return std::nullopt;
}

FleetKey FleetKey::load(const std::filesystem::path& path) {
  std::string secret = *read_secret_file(path, "key file", kMaxKeyBytes + 64);
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ' ||
                             secret.back() == '\t'))
    secret.pop_back();
  if (secret.size() < kMinKeyBytes)
    throw Error(fmt::format("key file {} holds fewer than {} bytes; create one with `openssl rand -hex 32`",
                            path.string(), kMinKeyBytes));
  if (secret.size() > kMaxKeyBytes)
    throw Error(fmt::format("key file {} is larger than {} bytes", path.string(), kMaxKeyBytes));
  return FleetKey(std::move(secret));
}

FleetKey FleetKey::from_secret(std::string secret) {
  if (secret.size() < kMinKeyBytes || secret.size() > kMaxKeyBytes)
    throw Error(fmt::format("a fleet key must hold {} to {} bytes", kMinKeyBytes, kMaxKeyBytes));
  return FleetKey(std::move(secret));
}

std::string sign_report(const FleetKey& key, const MacAddress& agent, std::uint64_t counter, std::string_view body) {
  return std::string(kSignaturePrefix) + hmac_hex(key, report_message(agent, counter, body));
}

std::string sign_scan(const FleetKey& key, const MacAddress& scanner, std::uint64_t counter, std::string_view body) {
  return std::string(kSignaturePrefix) + hmac_hex(key, scan_message(scanner, counter, body));
}

Verification verify_report(const FleetKey& key, const SignedHeaders& headers, std::string_view body,
                           std::optional<std::uint64_t> last_accepted_counter) {
  return verify_signed(kReport, key, headers, body, last_accepted_counter);
}

ScanVerification verify_scan(const FleetKey& key, const SignedHeaders& headers, std::string_view body,
                             std::optional<std::uint64_t> last_accepted_counter) {
  return verify_signed(kScan, key, headers, body, last_accepted_counter);
}

}  // namespace pifind
