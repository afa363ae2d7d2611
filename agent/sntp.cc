#include "agent/sntp.h"

#include <random>

#include <fmt/format.h>

#include "inventory/core/asio.h"
#include "inventory/core/error.h"

namespace pifind::agent {
namespace {

std::uint64_t read_u64(std::span<const std::uint8_t> p, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = v << 8 | p[at + i];
  return v;
}

std::uint32_t read_u32(std::span<const std::uint8_t> p, std::size_t at) {
  return static_cast<std::uint32_t>(read_u64(p, at) >> 32);
}

}  // namespace

std::array<std::uint8_t, 48> make_sntp_request(std::uint64_t nonce) {
  std::array<std::uint8_t, 48> p{};
  p[0] = (0 << 6) | (4 << 3) | 3;  // LI 0, VN 4, mode 3
  for (int i = 0; i < 8; ++i) p[40 + i] = static_cast<std::uint8_t>(nonce >> (56 - 8 * i));
  return p;
}

std::int64_t ntp_to_unix_ns(std::uint64_t ntp) {
  std::int64_t seconds = static_cast<std::int64_t>(ntp >> 32);
  if ((seconds & 0x80000000LL) == 0) seconds += 0x100000000LL;  // era 1
  const std::int64_t fraction_ns = static_cast<std::int64_t>(((ntp & 0xffffffffULL) * 1'000'000'000ULL) >> 32);
  return (seconds - kNtpToUnixS) * kNsPerS + fraction_ns;
}

std::uint64_t unix_ns_to_ntp(std::int64_t unix_ns) {
  const std::int64_t s = unix_ns / kNsPerS + kNtpToUnixS;
  const std::uint64_t fraction = (static_cast<std::uint64_t>(unix_ns % kNsPerS) << 32) / 1'000'000'000ULL;
  return (static_cast<std::uint64_t>(s) & 0xffffffffULL) << 32 | fraction;
}

SntpReply parse_sntp_reply(std::span<const std::uint8_t> packet, std::uint64_t nonce) {
  if (packet.size() < 48) throw Error(fmt::format("SNTP reply of {} bytes is shorter than 48", packet.size()));
  SntpReply r;
  r.leap = packet[0] >> 6;
  r.version = (packet[0] >> 3) & 7;
  r.mode = packet[0] & 7;
  r.stratum = packet[1];
  r.root_delay_s = static_cast<std::int32_t>(read_u32(packet, 4)) / 65536.0;
  r.root_dispersion_s = read_u32(packet, 8) / 65536.0;
  r.originate = read_u64(packet, 24);
  r.receive = read_u64(packet, 32);
  r.transmit = read_u64(packet, 40);
  if (r.mode != 4) throw Error(fmt::format("SNTP reply has mode {}, not 4 (server)", r.mode));
  if (r.version != 3 && r.version != 4) throw Error(fmt::format("SNTP reply has version {}", r.version));
  if (r.originate != nonce) throw Error("SNTP reply does not answer our request (originate timestamp differs)");
  if (r.stratum == 0) {
    // A kiss-o'-death carries its reason as four ASCII letters in the reference ID (RFC 5905 §7.4).
    std::string code;
    for (std::size_t i = 12; i < 16; ++i)
      if (packet[i] >= 'A' && packet[i] <= 'Z') code += static_cast<char>(packet[i]);
    throw Error(code.size() == 4 ? fmt::format("SNTP server sent a kiss-o'-death ({}, stratum 0): no sample", code)
                                 : "SNTP server sent a kiss-o'-death (stratum 0): no sample");
  }
  if (r.stratum >= 16) throw Error("SNTP server is unsynchronised (stratum 16): no sample");
  if (r.leap == 3) throw Error("SNTP server is unsynchronised (leap indicator 3): no sample");
  if (r.receive == 0 || r.transmit == 0) throw Error("SNTP reply has zero timestamps");
  if (r.root_delay_s / 2 + r.root_dispersion_s > 1.0) throw Error("SNTP server's root distance exceeds 1 s");
  return r;
}

SntpSample query_sntp(const std::string& host, const std::string& port, Clock& clock,
                      std::chrono::milliseconds timeout) {
  namespace asio = boost::asio;
  using asio::ip::udp;
  asio::io_context io;
  boost::system::error_code ec;
  udp::resolver resolver(io);
  const auto endpoints = resolver.resolve(host, port, ec);
  if (ec || endpoints.empty()) throw Error(fmt::format("cannot resolve NTP server {}: {}", host, ec.message()));
  const udp::endpoint server = *endpoints.begin();
  udp::socket socket(io);
  socket.open(server.protocol(), ec);
  if (ec) throw Error(fmt::format("cannot open a UDP socket: {}", ec.message()));
  socket.connect(server, ec);  // only the server's datagrams are delivered
  if (ec) throw Error(fmt::format("cannot reach NTP server {}: {}", host, ec.message()));

  std::random_device rd;
  const std::uint64_t nonce = (static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^ 1;
  const auto request = make_sntp_request(nonce);
  std::array<std::uint8_t, 512> reply{};
  std::size_t received = 0;
  bool done = false;
  boost::system::error_code receive_ec;

  const std::int64_t t1_raw = clock.monotonic_raw_ns();
  const std::int64_t t1_real = clock.realtime_ns();
  socket.send(asio::buffer(request), 0, ec);
  if (ec) throw Error(fmt::format("cannot send to NTP server {}: {}", host, ec.message()));
  std::int64_t t4_raw = 0, t4_real = 0;
  socket.async_receive(asio::buffer(reply), [&](const boost::system::error_code& e, std::size_t n) {
    t4_raw = clock.monotonic_raw_ns();
    t4_real = clock.realtime_ns();
    receive_ec = e;
    received = n;
    done = true;
  });
  io.run_for(timeout);
  if (!done) throw Error(fmt::format("no reply from NTP server {} within {} ms", host, timeout.count()));
  if (receive_ec) throw Error(fmt::format("NTP server {}: {}", host, receive_ec.message()));
  const auto r = parse_sntp_reply(std::span<const std::uint8_t>(reply.data(), received), nonce);

  const std::int64_t t2 = ntp_to_unix_ns(r.receive);
  const std::int64_t t3 = ntp_to_unix_ns(r.transmit);
  SntpSample s;
  s.raw_ns = t1_raw + (t4_raw - t1_raw) / 2;
  s.server_ns = t2 + (t3 - t2) / 2;
  s.delay_ns = (t4_raw - t1_raw) - (t3 - t2);
  s.offset_ns = ((t2 - t1_real) + (t3 - t4_real)) / 2;
  s.stratum = r.stratum;
  if (s.delay_ns < 0) throw Error("NTP exchange has a negative delay (server timestamps inconsistent)");
  return s;
}

}  // namespace pifind::agent
