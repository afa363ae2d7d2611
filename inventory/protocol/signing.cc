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

std::string hmac_hex(const FleetKey& key, const MacAddress& agent, std::uint64_t counter, std::string_view body) {
  const Sha256Digest digest = hmac_sha256(key.secret(), report_message(agent, counter, body));
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (std::uint8_t byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

Verification reject(Refusal refusal, std::string reason) {
  return {std::nullopt, std::nullopt, refusal_status(refusal), refusal, std::move(reason)};
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
  return std::string(kSignaturePrefix) + hmac_hex(key, agent, counter, body);
}

Verification verify_report(const FleetKey& key, const SignedHeaders& headers, std::string_view body,
                           std::optional<std::uint64_t> last_accepted_counter) {
  if (body.size() > kMaxReportBytes)
    return reject(Refusal::kTooLarge,
                  fmt::format("report of {} bytes is larger than the {} allowed", body.size(), kMaxReportBytes));
  const auto agent = MacAddress::parse(headers.agent);
  if (!agent || headers.agent != agent->to_string())
    return reject(Refusal::kInvalid, fmt::format("{} must be a lowercase colon-separated MAC address", kAgentHeader));
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
  const std::string expected = hmac_hex(key, *agent, counter, body);
  if (CRYPTO_memcmp(expected.data(), s.data() + kSignaturePrefix.size(), expected.size()) != 0)
    return reject(Refusal::kSignature, "signature does not match (wrong fleet key or altered report)");
  if (device_key && !device_key->verify(report_message(*agent, counter, body), headers.device_signature))
    return reject(Refusal::kSignature,
                  fmt::format("{} does not match the device key (wrong key or altered report)", kDeviceSignatureHeader));
  if (last_accepted_counter && counter <= *last_accepted_counter)
    return reject(Refusal::kReplay,
                  fmt::format("counter {} is not above the last accepted {} (replay)", counter, *last_accepted_counter));
  const std::uint64_t base = last_accepted_counter.value_or(0);
  if (counter - base > kMaxCounterJump)
    return reject(Refusal::kCounterJump,
                  fmt::format("counter {} is more than 2^32 above the last accepted {}", counter, base));
  AgentReport report;
  try {
    report = parse_report(body);
  } catch (const Error& e) {
    return reject(Refusal::kInvalid, e.what());
  }
  if (report.agent_id != *agent)
    return reject(Refusal::kInvalid, "report agent_id differs from the X-Pifind-Agent header");
  if (report.counter != counter)
    return reject(Refusal::kInvalid, "report counter differs from the X-Pifind-Counter header");
  return {std::move(report), device_key, 204, Refusal::kNone, {}};
}

}  // namespace pifind
