#include "inventory/transport/http_sender.h"

#include <charconv>

#include <fmt/format.h>
#include <openssl/x509v3.h>

#include "inventory/core/error.h"
#include "inventory/core/host_port.h"
#include "inventory/protocol/signing.h"
#include "inventory/transport/beast.h"

namespace pifind {
namespace {

using namespace web;

PostResult failure(std::string error) {
  PostResult result;
  result.error = std::move(error);
  return result;
}

http::request<http::string_body> make_request(const ServerUrl& url, const SignedRoute& route, const SignedReport& r) {
  auto name = [](std::string_view v) { return beast::string_view(v.data(), v.size()); };
  http::request<http::string_body> req{http::verb::post, url.target(route.path), 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, name(route.user_agent));
  req.set(http::field::content_type, "application/json");
  req.set(name(route.sender_header), r.agent);
  req.set(name(kCounterHeader), std::to_string(r.counter));
  req.set(name(kSignatureHeader), r.signature);
  if (!r.device_key.empty()) {
    req.set(name(kDeviceKeyHeader), r.device_key);
    req.set(name(kDeviceSignatureHeader), r.device_signature);
  }
  req.body() = r.body;
  req.prepare_payload();
  return req;
}

// Runs one asynchronous step to completion. Beast's stream timer (expires_after) bounds only
// asynchronous operations: with the synchronous calls a collector that accepts and never answers would
// hold the agent, and its measurements, for ever.
template <typename Start>
beast::error_code run_step(asio::io_context& io, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

template <typename Stream>
PostResult exchange(asio::io_context& io, Stream& stream, const http::request<http::string_body>& req) {
  PostResult result;
  auto ec = run_step(io, [&](auto done) { http::async_write(stream, req, done); });
  if (ec) return failure("cannot send the report: " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  ec = run_step(io, [&](auto done) { http::async_read(stream, buffer, parser, done); });
  if (ec) return failure("no valid reply from the collector: " + ec.message());
  result.status = static_cast<int>(parser.get().result_int());
  result.body = parser.get().body().substr(0, kMaxReplyBodyBytes);
  const auto last = parser.get().find(beast::string_view(kLastCounterHeader.data(), kLastCounterHeader.size()));
  if (last != parser.get().end()) {
    std::uint64_t value = 0;
    const auto text = last->value();
    const auto [end, e] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (e == std::errc() && end == text.data() + text.size()) result.last_counter = value;
  }
  return result;
}

}  // namespace

ServerUrl ServerUrl::parse(const std::string& text) {
  ServerUrl url;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else {
    throw Error(fmt::format("server '{}' must start with http:// or https://", text.substr(0, 80)));
  }
  const auto slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.path_prefix = std::string(rest.substr(slash));
    while (!url.path_prefix.empty() && url.path_prefix.back() == '/') url.path_prefix.pop_back();
  }
  const HostPort where = HostPort::parse(authority, url.tls ? 443 : 80, "server");
  url.host = where.host;
  url.port = std::to_string(where.port);
  for (char c : url.path_prefix)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '?' || c == '#')
      throw Error(fmt::format("server '{}' has an invalid path", text.substr(0, 80)));
  return url;
}

std::string ServerUrl::target(std::string_view path) const { return path_prefix + std::string(path); }

BeastSender::BeastSender(ServerUrl url, std::optional<std::filesystem::path> ca_file, std::chrono::seconds timeout,
                         SignedRoute route)
    : url_(std::move(url)), ca_file_(std::move(ca_file)), timeout_(timeout), route_(route) {}

PostResult BeastSender::post(const SignedReport& report) {
  asio::io_context io;
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(url_.host, url_.port, ec);
  if (ec) return failure(fmt::format("cannot resolve {}: {}", url_.host, ec.message()));
  const auto req = make_request(url_, route_, report);

  if (!url_.tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(timeout_);  // one deadline for connect, request and reply together
    ec = run_step(io, [&](auto done) { stream.async_connect(endpoints, done); });
    if (ec) return failure(fmt::format("cannot connect to {}:{}: {}", url_.host, url_.port, ec.message()));
    auto result = exchange(io, stream, req);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return result;
  }

  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (ca_file_)
    ctx.load_verify_file(ca_file_->string(), ec);
  else
    ctx.set_default_verify_paths(ec);
  if (ec) return failure("cannot load trusted certificates: " + ec.message());
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  // The certificate must name the host (OpenSSL checks it during the handshake): an IP address
  // against the certificate's IP entries, a name against its DNS entries, and only a name goes in SNI.
  boost::system::error_code not_ip;
  asio::ip::make_address(url_.host, not_ip);
  const bool named = not_ip ? SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str()) == 1 &&
                                  SSL_set1_host(stream.native_handle(), url_.host.c_str()) == 1
                            : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()),
                                                            url_.host.c_str()) == 1;
  if (!named) return failure("cannot set the TLS server name");
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(timeout_);  // one deadline for connect, handshake, request and reply together
  ec = run_step(io, [&](auto done) { tcp_layer.async_connect(endpoints, done); });
  if (ec) return failure(fmt::format("cannot connect to {}:{}: {}", url_.host, url_.port, ec.message()));
  ec = run_step(io, [&](auto done) { stream.async_handshake(ssl::stream_base::client, done); });
  if (ec) return failure("TLS handshake with the collector failed: " + ec.message());
  auto result = exchange(io, stream, req);
  // A peer that just closes is fine: the reply is already read. One that never answers the
  // close_notify must not hold the agent either.
  tcp_layer.expires_after(std::chrono::seconds(2));
  run_step(io, [&](auto done) { stream.async_shutdown(done); });
  return result;
}

DeliveryResult deliver_spool(Spool& spool, ReportSender& sender, const DevicePrivateKey& device_key,
                             std::uint64_t own_last_counter) {
  DeliveryResult d;
  const auto counters = spool.queued();
  const std::string public_key = device_key.public_key().to_string();
  std::size_t i = 0;
  for (; i < counters.size(); ++i) {
    auto report = spool.read(counters[i]);
    if (!report) continue;  // unreadable: removed and counted by the spool
    if (const auto agent = MacAddress::parse(report->agent)) {
      report->device_key = public_key;
      report->device_signature = device_key.sign(report_message(*agent, report->counter, report->body));
    }
    const auto r = sender.post(*report);
    if (r.status == 0) {
      d.stopped_by = r.error;
      break;
    }
    // A 409 is a resend the collector already has, unless it names a counter this agent never reached.
    const bool foreign_counter = r.status == 409 && r.last_counter && *r.last_counter > own_last_counter;
    if ((r.status >= 200 && r.status < 300) || (r.status == 409 && !foreign_counter)) {
      ++d.delivered;
      spool.remove(counters[i]);
    } else if (foreign_counter) {
      ++d.rejected;
      ++d.refused;
      d.rejections.push_back(fmt::format(
          "report {} refused: the collector already accepted counter {} for this device, above this agent's {} "
          "(its state directory was replaced, or another key signed as this device); `pifind keys forget` on "
          "the collector resets it",
          counters[i], *r.last_counter, own_last_counter));
      spool.remove(counters[i]);
    } else if (r.status >= 400 && r.status < 500 && r.status != 408 && r.status != 429) {
      ++d.rejected;
      if (r.status == 403) ++d.refused;
      d.rejections.push_back(fmt::format("report {} refused with HTTP {}: {}", counters[i], r.status,
                                         r.body.substr(0, r.body.find('\n'))));
      spool.remove(counters[i]);
    } else {
      d.stopped_by = fmt::format("collector replied HTTP {}", r.status);
      break;
    }
  }
  d.remaining = static_cast<int>(spool.queued().size());
  return d;
}

}  // namespace pifind
