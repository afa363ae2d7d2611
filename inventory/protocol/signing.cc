#include "inventory/protocol/signing.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "inventory/core/error.h"
#include "inventory/protocol/hmac_sha256.h"

namespace pifind {
namespace {

constexpr std::size_t kMinKeyBytes = 16;
constexpr std::size_t kMaxKeyBytes = 4096;
constexpr std::string_view kSignaturePrefix = "sha256=";

// The domain separates the two kinds of signed message: a report's signature never verifies as a scan's.
constexpr std::string_view kReportDomain = "pifind-report-v1";
constexpr std::string_view kScanDomain = "pifind-scan-v1";

std::string hmac_hex(const FleetKey& key, std::string_view domain, const MacAddress& sender, std::uint64_t counter,
                     std::string_view body) {
  std::string message = fmt::format("{}\n{}\n{}\n", domain, sender.to_string(), counter);
  message.append(body);
  const Sha256Digest digest = hmac_sha256(key.secret(), message);
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (std::uint8_t byte : digest) hex += fmt::format("{:02x}", byte);
  return hex;
}

// A kind of signed document: its message's domain, the header that names its sender, its size limit, its
// parser, and the field of the document that must match the sender header.
template <typename Document>
struct SignedKind {
  std::string_view name;  // "report", "scan"
  std::string_view domain;
  std::string_view sender_header;
  std::size_t max_bytes;
  Document (*parse)(std::string_view);
  MacAddress Document::*sender;
  std::string_view sender_field;
};

const SignedKind<AgentReport> kReport{"report", kReportDomain, kAgentHeader, kMaxReportBytes, parse_report,
                                      &AgentReport::agent_id, "agent_id"};
const SignedKind<ScanReport> kScan{"scan", kScanDomain, kScannerHeader, kMaxScanBytes, parse_scan_report,
                                   &ScanReport::scanner_id, "scanner_id"};

// Size, header syntax, the signature (constant-time) and the counter, then the body: unauthenticated bytes
// never reach the parser.
template <typename Document>
SignedVerification<Document> verify_signed(const SignedKind<Document>& kind, const FleetKey& key,
                                           const SignedHeaders& headers, std::string_view body,
                                           std::optional<std::uint64_t> last_accepted_counter) {
  const auto refuse = [](int status, std::string reason) {
    return SignedVerification<Document>{std::nullopt, status, std::move(reason)};
  };
  if (body.size() > kind.max_bytes)
    return refuse(413, fmt::format("{} of {} bytes is larger than the {} allowed", kind.name, body.size(),
                                   kind.max_bytes));
  const auto sender = MacAddress::parse(headers.agent);
  if (!sender || headers.agent != sender->to_string())
    return refuse(400, fmt::format("{} must be a lowercase colon-separated MAC address", kind.sender_header));
  std::uint64_t counter = 0;
  const auto& c = headers.counter;
  const auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), counter);
  if (c.empty() || c.size() > 19 || ec != std::errc() || end != c.data() + c.size() || counter == 0 ||
      counter > static_cast<std::uint64_t>(INT64_MAX) || (c.size() > 1 && c[0] == '0'))
    return refuse(400, fmt::format("{} must be a decimal integer from 1 to 2^63-1", kCounterHeader));
  const auto& s = headers.signature;
  if (s.size() != kSignaturePrefix.size() + 64 || s.compare(0, kSignaturePrefix.size(), kSignaturePrefix) != 0)
    return refuse(401, fmt::format("{} must be sha256=<64 hex digits>", kSignatureHeader));
  const std::string expected = hmac_hex(key, kind.domain, *sender, counter, body);
  if (CRYPTO_memcmp(expected.data(), s.data() + kSignaturePrefix.size(), expected.size()) != 0)
    return refuse(401, fmt::format("signature does not match (wrong fleet key or altered {})", kind.name));
  if (last_accepted_counter && counter <= *last_accepted_counter)
    return refuse(409, fmt::format("counter {} is not above the last accepted {} (replay)", counter,
                                   *last_accepted_counter));
  Document document;
  try {
    document = kind.parse(body);
  } catch (const Error& e) {
    return refuse(400, e.what());
  }
  if (document.*kind.sender != *sender)
    return refuse(400, fmt::format("{} {} differs from the {} header", kind.name, kind.sender_field, kind.sender_header));
  if (document.counter != counter)
    return refuse(400, fmt::format("{} counter differs from the {} header", kind.name, kCounterHeader));
  return {std::move(document), 204, {}};
}

}  // namespace

FleetKey FleetKey::load(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw Error(system_error_text("cannot open key file " + path.string(), errno));
  struct stat st {};
  std::string secret;
  std::string problem;
  if (::fstat(fd, &st) != 0) {
    problem = system_error_text("cannot stat key file " + path.string(), errno);
  } else if (!S_ISREG(st.st_mode)) {
    problem = fmt::format("key file {} is not a regular file", path.string());
  } else if ((st.st_mode & 077) != 0) {
    problem = fmt::format("key file {} is accessible by group or others (mode {:04o}); run chmod 600 on it",
                          path.string(), st.st_mode & 07777);
  } else if (static_cast<std::size_t>(st.st_size) > kMaxKeyBytes + 64) {
    problem = fmt::format("key file {} is larger than {} bytes", path.string(), kMaxKeyBytes);
  } else {
    char buffer[kMaxKeyBytes + 64];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0 && secret.size() <= kMaxKeyBytes + 64)
      secret.append(buffer, static_cast<std::size_t>(n));
    if (n < 0) problem = system_error_text("cannot read key file " + path.string(), errno);
  }
  ::close(fd);
  if (!problem.empty()) throw Error(problem);
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
  return std::string(kSignaturePrefix) + hmac_hex(key, kReportDomain, agent, counter, body);
}

std::string sign_scan(const FleetKey& key, const MacAddress& scanner, std::uint64_t counter, std::string_view body) {
  return std::string(kSignaturePrefix) + hmac_hex(key, kScanDomain, scanner, counter, body);
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
