// Sends signed reports and scans to the collector: HTTP/1.1 POST with Boost.Beast, plain or TLS (OpenSSL,
// peer and host name verified), and drains the agent's spool in counter order. The wire contract is in
// inventory/protocol/signing.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "inventory/protocol/device_key.h"
#include "inventory/protocol/signing.h"
#include "inventory/transport/spool.h"

namespace pifind {

/// http://host:port or https://host:port (an optional path prefix is kept: https://h/pifind).
struct ServerUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path_prefix;  ///< "" or "/pifind", no trailing slash

  /// Throws pifind::Error with a one-line reason.
  static ServerUrl parse(const std::string& text);
  /// The request target of `path` ("/v1/scans") under the prefix.
  std::string target(std::string_view path) const;
};

/// Where one kind of signed message goes: its path, the header that names its sender, who sends it.
struct SignedRoute {
  std::string_view path;
  std::string_view sender_header;
  std::string_view user_agent;
};
inline constexpr SignedRoute kReportRoute{kReportsPath, kAgentHeader, "pifind-agent"};
inline constexpr SignedRoute kScanRoute{kScansPath, kScannerHeader, "pifind"};

inline constexpr std::size_t kMaxReplyBodyBytes = 512;

/// The collector's reply; `status` 0 means no HTTP reply at all (`error` says why).
struct PostResult {
  int status = 0;
  std::string error;
  /// The reply's body, at most kMaxReplyBodyBytes of it: a refusal's one-line reason, which names the two
  /// key fingerprints and the command that lets a new key in.
  std::string body;
  /// X-Pifind-Last-Counter of a 409 reply: the last counter the collector accepted from this agent.
  std::optional<std::uint64_t> last_counter;
};

class ReportSender {
 public:
  virtual ~ReportSender() = default;
  virtual PostResult post(const SignedReport& report) = 0;
};

class BeastSender final : public ReportSender {
 public:
  /// `ca_file`: trust these CAs instead of the system's (https only). `timeout` bounds each post as a
  /// whole (connect, TLS handshake, request and reply), so a collector that hangs cannot stall the agent;
  /// name resolution is the system resolver's and has its own timeouts.
  /// `route`: reports (the agent's) or scans (`pifind --collector`).
  BeastSender(ServerUrl url, std::optional<std::filesystem::path> ca_file = std::nullopt,
              std::chrono::seconds timeout = std::chrono::seconds(10), SignedRoute route = kReportRoute);
  PostResult post(const SignedReport& report) override;

 private:
  ServerUrl url_;
  std::optional<std::filesystem::path> ca_file_;
  std::chrono::seconds timeout_;
  SignedRoute route_;
};

struct DeliveryResult {
  int delivered = 0;   ///< accepted (2xx) or already accepted earlier (409 at or below our own counter)
  int rejected = 0;    ///< refused for good (400, 401, 403, 413, other 4xx): dropped, logged
  /// Of those, refused for this device's key or identity (403), or a 409 naming a counter above any this
  /// agent used (its state was lost, or another key spoke for it): the operator must act.
  int refused = 0;
  int remaining = 0;   ///< still queued
  std::string stopped_by;  ///< why delivery stopped early (unreachable, 5xx), empty if the spool emptied
  std::vector<std::string> rejections;  ///< one line per rejected report
};

/// Posts queued reports oldest first, each signed with `device_key` as it goes; stops at the first transport
/// failure or 5xx, keeping the rest. `own_last_counter` is the last counter this agent handed out, to tell a
/// resend the collector already has (409 at or below it) from a refusal.
DeliveryResult deliver_spool(Spool& spool, ReportSender& sender, const DevicePrivateKey& device_key,
                             std::uint64_t own_last_counter);

}  // namespace pifind
