#include "inventory/collector/http_server.h"

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <boost/optional.hpp>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "inventory/core/error.h"
#include "inventory/core/host_port.h"

namespace pifind {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// After an error reply the client may still be sending (an oversized body): read and discard this much,
// for at most kDrainTime, so it sees the reply instead of a reset.
constexpr std::size_t kMaxDrainBytes = 256 * 1024;
constexpr auto kDrainTime = std::chrono::seconds(1);
// When the process has no file descriptor left: how many idle connections make room, and how long
// accepting pauses before it tries again.
constexpr int kEvictWhenExhausted = 16;
constexpr auto kAcceptPause = std::chrono::milliseconds(20);
// Connections taken from the listen queue at once, after each one the event loop hands over.
constexpr int kAcceptBurst = 64;

// One connection: read a request with fresh limits, hand it to the handler, write the reply, repeat while
// the client keeps the connection alive. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
// While it waits for a request it is a reader in the ConnectionTable, which may evict it for a newcomer.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... StreamArgs>
  Session(std::shared_ptr<const HttpHandler> handler, const HttpLimits& limits,
          std::shared_ptr<std::atomic<std::size_t>> connections, std::shared_ptr<ConnectionTable> table,
          std::shared_ptr<std::atomic<std::size_t>> large_bodies, StreamArgs&&... stream_args)
      : stream_(std::forward<StreamArgs>(stream_args)...),
        handler_(std::move(handler)),
        limits_(limits),
        connections_(std::move(connections)),
        table_(std::move(table)),
        large_bodies_(std::move(large_bodies)) {}

  ~Session() {
    release_large_body();
    if (id_) table_->remove(*id_);
    --*connections_;
  }

  void run() {
    std::weak_ptr<Session> weak = this->shared_from_this();
    id_ = table_->admit([weak, executor = stream_.get_executor()] {
      net::post(executor, [weak] {
        if (auto self = weak.lock()) self->evict();
      });
    });
    over_capacity_ = !id_;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read_request();
    } else {
      reading_ = true;
      beast::get_lowest_layer(stream_).expires_after(limits_.io_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read_request();
                              });
    }
  }

 private:
  void read_request() {
    if (evicted_) return close(false);
    reading_ = true;
    if (id_) table_->reading(*id_);
    parser_.emplace();
    // The largest any path allows until the header names the path; then that path's own limit.
    parser_->body_limit(largest_body_limit());
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(limits_.io_timeout);
    // The header first: what it says decides whether a body is read at all (Transfer-Encoding), and when
    // (Expect: 100-continue), before any byte of it is taken for the body or for a next request.
    http::async_read_header(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_header(ec);
    });
  }

  std::size_t largest_body_limit() const {
    std::size_t largest = limits_.max_body_bytes;
    for (const auto& [path, limit] : limits_.path_body_limits) largest = std::max(largest, limit);
    return largest;
  }

  std::size_t body_limit_for(beast::string_view target) const {
    const auto path = target.substr(0, target.find('?'));
    for (const auto& [prefix, limit] : limits_.path_body_limits)
      if (path == beast::string_view(prefix.data(), prefix.size())) return limit;
    return limits_.max_body_bytes;
  }

  // No body octet is parsed yet: the body limit may still change (Beast's basic_parser::body_limit).
  void on_header(beast::error_code ec) {
    // A Content-Length above even the largest limit fails as the header ends: the header is there to name.
    body_limit_ = parser_->is_header_done() ? body_limit_for(parser_->get().target()) : largest_body_limit();
    if (ec) return on_read(ec);
    const auto& request = parser_->get();
    const auto encoding = request.find(http::field::transfer_encoding);
    if (encoding != request.end() && !beast::iequals(trimmed(encoding->value()), "chunked"))
      return refuse(http::status::not_implemented,
                    "Transfer-Encoding other than chunked is not supported", true);
    if (request.version() >= 11 && request.find(http::field::host) == request.end())
      return refuse(http::status::bad_request, "an HTTP/1.1 request needs a Host header", true);
    if (const auto length = parser_->content_length(); length && *length > body_limit_)
      return on_read(http::error::body_limit);
    // A body above the usual limit holds up to its path's limit in memory: only max_large_bodies at once.
    if (body_limit_ > limits_.max_body_bytes && !parser_->is_done()) {
      const auto length = parser_->content_length();
      if (!length || *length > limits_.max_body_bytes) {
        if (large_bodies_->fetch_add(1) >= limits_.max_large_bodies) {
          --*large_bodies_;
          return refuse(http::status::service_unavailable, "too many large requests being read at once; try again",
                        true);
        }
        holds_large_body_ = true;
      }
    }
    parser_->body_limit(body_limit_);
    const auto expect = request.find(http::field::expect);
    if (expect != request.end()) {
      if (!beast::iequals(trimmed(expect->value()), "100-continue"))
        return refuse(http::status::expectation_failed, "only Expect: 100-continue is understood", true);
      if (request.version() >= 11 && !parser_->is_done()) {
        continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
        return http::async_write(stream_, *continue_, [self = this->shared_from_this()](beast::error_code e, std::size_t) {
          if (e) return self->close(false);
          self->read_body();
        });
      }
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_read({});
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code e, std::size_t) { self->on_read(e); });
  }

  static beast::string_view trimmed(beast::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  }

  // Answers without reading the body and closes: what follows the header cannot be told from a next request.
  void refuse(http::status status, const std::string& why, bool close_after) {
    reading_ = false;
    if (id_) table_->busy(*id_);
    send(text_response(11, status, why), !close_after);
  }

  // Posted by the ConnectionTable when a newcomer needs this connection's slot. A request that completed
  // meanwhile is still answered; the connection closes after that reply.
  void evict() {
    evicted_ = true;
    if (!reading_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void release_large_body() {
    if (std::exchange(holds_large_body_, false)) --*large_bodies_;
  }

  void on_read(beast::error_code ec) {
    release_large_body();
    reading_ = false;
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof || evicted_)
      return close(false);
    if (id_) table_->busy(*id_);
    if (ec == http::error::body_limit)
      return send(text_response(11, http::status::payload_too_large,
                                "request body larger than " + std::to_string(body_limit_) + " bytes"),
                  false);
    if (ec == http::error::header_limit)
      return send(text_response(11, http::status::request_header_fields_too_large,
                                "request headers larger than " + std::to_string(limits_.max_header_bytes) + " bytes"),
                  false);
    if (ec) return send(text_response(11, http::status::bad_request, "malformed HTTP request"), false);
    const HttpRequest& request = parser_->get();
    if (over_capacity_)
      return send(text_response(request.version(), http::status::service_unavailable, "too many connections"), false);
    const bool keep_alive = request.keep_alive();
    head_ = request.method() == http::verb::head;
    auto self = this->shared_from_this();
    // The handler may answer from another thread (the collector's writer): hop back onto this strand.
    (*handler_)(request, [self, keep_alive](HttpResponse response) {
      auto shared = std::make_shared<HttpResponse>(std::move(response));
      net::post(self->stream_.get_executor(), [self, shared, keep_alive] { self->send(std::move(*shared), keep_alive); });
    });
  }

  void send(HttpResponse response, bool keep_alive) {
    keep_alive = keep_alive && !evicted_;
    response.set(http::field::server, "pifind");
    response.keep_alive(keep_alive);
    response.prepare_payload();
    if (std::exchange(head_, false)) response.body().clear();  // HEAD: the GET's headers, Content-Length included
    response_ = std::make_shared<HttpResponse>(std::move(response));
    beast::get_lowest_layer(stream_).expires_after(limits_.io_timeout);
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                        if (ec) return self->close(false);
                        if (!keep_alive) return self->close(true);
                        self->read_request();
                      });
  }

  // `drain`: the client may still be sending what we refused; swallow a bounded amount before closing.
  void close(bool drain) {
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      if (drain && !evicted_) {
        stream_.expires_after(kDrainTime);
        discard();
      }
    } else {
      (void)drain;
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  void discard() {
    drain_buffer_.resize(16 * 1024);
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (!ec && self->drained_ < kMaxDrainBytes) self->discard();
                            });
  }

  Stream stream_;
  beast::flat_buffer buffer_{16 * 1024};
  boost::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> response_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
  bool head_ = false;
  std::shared_ptr<const HttpHandler> handler_;
  HttpLimits limits_;
  /// The body limit of the request being read (its path's).
  std::size_t body_limit_ = 0;
  std::shared_ptr<std::atomic<std::size_t>> connections_;
  std::shared_ptr<ConnectionTable> table_;
  /// Requests reading a body above max_body_bytes now, server-wide; this one holds one of them.
  std::shared_ptr<std::atomic<std::size_t>> large_bodies_;
  bool holds_large_body_ = false;
  std::optional<ConnectionTable::Id> id_;
  bool over_capacity_ = false;
  bool reading_ = false;
  bool evicted_ = false;
  std::vector<char> drain_buffer_;
  std::size_t drained_ = 0;
};

bool is_resource_exhaustion(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
         ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

}  // namespace

HttpResponse text_response(unsigned version, http::status status, const std::string& line) {
  HttpResponse response{status, version};
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = line + "\n";
  return response;
}

tcp::endpoint parse_listen_address(const std::string& text) {
  const HostPort listen = HostPort::parse(text, std::nullopt, "listen address");
  beast::error_code ec;
  const auto address = net::ip::make_address(listen.host, ec);
  if (ec) throw Error("listen address '" + text + "': '" + listen.host + "' is not an IP address");
  return {address, listen.port};
}

HttpServer::HttpServer(net::io_context& io, const tcp::endpoint& endpoint, HttpHandler handler, HttpLimits limits,
                       std::shared_ptr<net::ssl::context> tls, HttpLog log)
    : io_(io),
      acceptor_(net::make_strand(io)),
      handler_(std::make_shared<const HttpHandler>(std::move(handler))),
      limits_(limits),
      tls_(std::move(tls)),
      connections_(std::make_shared<std::atomic<std::size_t>>(0)),
      large_bodies_(std::make_shared<std::atomic<std::size_t>>(0)),
      table_(std::make_shared<ConnectionTable>(limits.max_connections)),
      log_(std::move(log)),
      accept_pause_(acceptor_.get_executor()) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) acceptor_.non_blocking(true, ec);  // accept() in a burst returns would_block when the queue is empty
  if (ec)
    throw Error("cannot listen on " + endpoint.address().to_string() + ":" + std::to_string(endpoint.port()) + ": " +
                ec.message());
}

HttpServer::~HttpServer() = default;

void HttpServer::start() { accept(); }

void HttpServer::stop() {
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_pause_.cancel();
  });
}

std::uint16_t HttpServer::port() const { return acceptor_.local_endpoint().port(); }

void HttpServer::accept() {
  acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (is_resource_exhaustion(ec)) return pause_accepting(ec);
    if (!ec) {
      start_session(std::move(socket));
      // A burst of clients (every agent of a fleet when the collector restarts) waits in the listen queue:
      // take it now, not one connection per turn of the event loop behind every busy connection's handlers
      // (1,000 agents at once waited up to 1.3 s for their turn).
      for (int i = 0; i < kAcceptBurst; ++i) {
        tcp::socket next = acceptor_.accept(net::make_strand(io_), ec);
        if (is_resource_exhaustion(ec)) return pause_accepting(ec);
        if (ec) break;  // would block: the queue is empty
        start_session(std::move(next));
      }
    }
    accept();
  });
}

void HttpServer::start_session(tcp::socket socket) {
  if (out_of_descriptors_ && log_)
    log_("accepting connections again after " + std::to_string(accept_failures_) + " failed accepts in total");
  out_of_descriptors_ = false;
  ++*connections_;
  if (tls_) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(handler_, limits_, connections_, table_,
                                                                    large_bodies_, std::move(socket), *tls_)
        ->run();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(handler_, limits_, connections_, table_, large_bodies_,
                                                 std::move(socket))
        ->run();
  }
}

void HttpServer::pause_accepting(const boost::system::error_code& ec) {
  ++accept_failures_;
  if (!out_of_descriptors_ && log_)
    log_("cannot accept a connection (" + ec.message() + ") with " + std::to_string(*connections_) +
         " open: dropping the longest-idle connections and pausing accept");
  out_of_descriptors_ = true;
  for (int i = 0; i < kEvictWhenExhausted && table_->evict_oldest(); ++i) {
  }
  accept_pause_.expires_after(kAcceptPause);
  accept_pause_.async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec && acceptor_.is_open()) accept();
  });
}

std::shared_ptr<net::ssl::context> make_tls_context(const std::string& certificate_chain_file,
                                                    const std::string& private_key_file) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                       net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context->use_certificate_chain_file(certificate_chain_file, ec);
  if (ec) throw Error("cannot load TLS certificate " + certificate_chain_file + ": " + ec.message());
  context->use_private_key_file(private_key_file, net::ssl::context::pem, ec);
  if (ec) throw Error("cannot load TLS key " + private_key_file + ": " + ec.message());
  return context;
}

}  // namespace pifind
