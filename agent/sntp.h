// SNTP (RFC 4330) over UDP with Boost.Asio: one client exchange, timestamped on MONOTONIC_RAW, giving a
// drift sample against the server (the same estimator as the RTC) and the system clock's offset.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "agent/clock.h"

namespace pifind::agent {

inline constexpr std::int64_t kNtpToUnixS = 2'208'988'800;  ///< seconds from 1900-01-01 to 1970-01-01

/// A 48-byte mode-3 (client), version-4 request whose transmit timestamp is `nonce` (a random value, as
/// chrony does: the reply must echo it and the real send time is not disclosed).
std::array<std::uint8_t, 48> make_sntp_request(std::uint64_t nonce);

/// An NTP 32.32 timestamp as Unix ns; era 1 when the top bit is clear (after 2036-02-07).
std::int64_t ntp_to_unix_ns(std::uint64_t ntp);
/// Unix ns as an NTP 32.32 timestamp.
std::uint64_t unix_ns_to_ntp(std::int64_t unix_ns);

struct SntpReply {
  int leap = 0, version = 0, mode = 0, stratum = 0;
  double root_delay_s = 0, root_dispersion_s = 0;
  std::uint64_t originate = 0, receive = 0, transmit = 0;
};

/// Parses and checks a reply to the request carrying `nonce` (RFC 4330 §5 and timesyncd's checks:
/// originate echoes the nonce, mode 4, version 3 or 4, stratum 1-15, leap not 3, root distance < 1 s).
/// Throws pifind::Error with the reason.
SntpReply parse_sntp_reply(std::span<const std::uint8_t> packet, std::uint64_t nonce);

struct SntpSample {
  std::int64_t raw_ns = 0;        ///< MONOTONIC_RAW at the midpoint of the exchange
  std::int64_t server_ns = 0;     ///< server time (Unix ns) at the midpoint of its receive and transmit
  std::int64_t delay_ns = 0;      ///< round trip minus the server's processing time
  std::int64_t offset_ns = 0;     ///< server minus this system's REALTIME
  int stratum = 0;
};

/// One exchange with `host`:`port` (port "123" normally). Throws pifind::Error on timeout, a bad reply
/// or a resolution failure.
SntpSample query_sntp(const std::string& host, const std::string& port, Clock& clock,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace pifind::agent
