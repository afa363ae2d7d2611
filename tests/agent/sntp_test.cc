#include "agent/sntp.h"

#include <thread>

#include <catch2/catch.hpp>

#include "agent/clock.h"
#include "inventory/core/asio.h"
#include "inventory/core/error.h"

using namespace pifind;
using namespace pifind::agent;

namespace {

std::array<std::uint8_t, 48> reply_to(std::span<const std::uint8_t> request, std::int64_t server_unix_ns,
                                      std::uint8_t stratum = 2, std::uint8_t li_vn_mode = (0 << 6) | (4 << 3) | 4) {
  std::array<std::uint8_t, 48> p{};
  p[0] = li_vn_mode;
  p[1] = stratum;
  for (int i = 0; i < 8; ++i) p[24 + i] = request[40 + i];  // originate = the request's transmit
  const std::uint64_t ts = unix_ns_to_ntp(server_unix_ns);
  for (int i = 0; i < 8; ++i) {
    p[32 + i] = static_cast<std::uint8_t>(ts >> (56 - 8 * i));
    p[40 + i] = static_cast<std::uint8_t>(ts >> (56 - 8 * i));
  }
  return p;
}

}  // namespace

TEST_CASE("NTP timestamps convert both ways and across the 2036 era") {
  const std::int64_t t = 1'700'000'000LL * kNsPerS + 123'456'789;
  CHECK(std::abs(ntp_to_unix_ns(unix_ns_to_ntp(t)) - t) <= 1);
  CHECK(ntp_to_unix_ns(std::uint64_t{kNtpToUnixS} << 32) == 0);
  // 2036-02-07 06:28:16 UTC wraps the 32-bit seconds to 0 (era 1).
  const std::int64_t wrap = (0x100000000LL - kNtpToUnixS) * kNsPerS;
  CHECK(ntp_to_unix_ns(unix_ns_to_ntp(wrap + 5 * kNsPerS)) == wrap + 5 * kNsPerS);
}

TEST_CASE("the request is a version 4 client packet carrying the nonce") {
  const auto p = make_sntp_request(0x0102030405060708ULL);
  CHECK(p[0] == 0x23);
  CHECK(p[40] == 0x01);
  CHECK(p[47] == 0x08);
}

TEST_CASE("replies are checked like timesyncd does") {
  const auto req = make_sntp_request(42);
  const std::int64_t now = 1'700'000'000LL * kNsPerS;
  CHECK(parse_sntp_reply(reply_to(req, now), 42).stratum == 2);
  CHECK_THROWS_WITH(parse_sntp_reply(reply_to(req, now), 43), Catch::Contains("does not answer"));
  CHECK_THROWS_WITH(parse_sntp_reply(reply_to(req, now, 0), 42), Catch::Contains("kiss-o'-death"));
  CHECK_THROWS_WITH(parse_sntp_reply(reply_to(req, now, 16), 42), Catch::Contains("unsynchronised"));
  CHECK_THROWS_WITH(parse_sntp_reply(reply_to(req, now, 2, (3 << 6) | (4 << 3) | 4), 42),
                    Catch::Contains("leap indicator 3"));
  CHECK_THROWS_WITH(parse_sntp_reply(reply_to(req, now, 2, (4 << 3) | 3), 42), Catch::Contains("mode 3"));
  const auto short_packet = reply_to(req, now);
  CHECK_THROWS_WITH(parse_sntp_reply(std::span<const std::uint8_t>(short_packet.data(), 20), 42),
                    Catch::Contains("shorter than 48"));
}

TEST_CASE("one SNTP exchange on loopback measures the planted offset") {
  namespace asio = boost::asio;
  using asio::ip::udp;
  asio::io_context io;
  udp::socket server(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(server.local_endpoint().port());
  SystemClock clock;
  constexpr std::int64_t kAheadNs = 1000LL * kNsPerS;  // the server's clock is 1000 s ahead
  std::thread responder([&] {
    std::array<std::uint8_t, 128> buffer{};
    udp::endpoint from;
    boost::system::error_code ec;
    const std::size_t n = server.receive_from(asio::buffer(buffer), from, 0, ec);
    if (ec || n < 48) return;
    const auto reply = reply_to(std::span<const std::uint8_t>(buffer.data(), n), clock.realtime_ns() + kAheadNs);
    server.send_to(asio::buffer(reply), from, 0, ec);
  });
  const auto s = query_sntp("127.0.0.1", port, clock);
  responder.join();
  CHECK(std::abs(s.offset_ns - kAheadNs) < 500'000'000);  // loopback: far below the 0.5 s margin
  CHECK(s.delay_ns >= 0);
  CHECK(s.stratum == 2);
}

TEST_CASE("an SNTP server that does not answer times out with one line") {
  namespace asio = boost::asio;
  using asio::ip::udp;
  asio::io_context io;
  udp::socket silent(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  SystemClock clock;
  CHECK_THROWS_WITH(query_sntp("127.0.0.1", std::to_string(silent.local_endpoint().port()), clock,
                               std::chrono::milliseconds(50)),
                    Catch::Contains("no reply"));
}
