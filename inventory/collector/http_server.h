// A small HTTP/1.1 server on Boost.Beast for the collector: one io_context, bounded header and body sizes,
// read/write timeouts, a connection cap that drops the longest-idle client, keep-alive, optional TLS.
// Routing is the caller's handler.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inventory/collector/connection_table.h"
#include "inventory/collector/pieces_body.h"
#include "inventory/core/asio.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>

namespace pifind {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
/// A response body is a string, or pieces streamed from where they are (PiecesBody).
using HttpResponse = boost::beast::http::response<PiecesBody>;
/// Called once per request on the io_context thread; must call `reply` exactly once (from any thread).
using HttpHandler = std::function<void(const HttpRequest&, std::function<void(HttpResponse)> reply)>;
/// Receives one-line operational messages (file descriptors exhausted, recovered); called on the io thread.
using HttpLog = std::function<void(const std::string&)>;

struct HttpLimits {
  std::size_t max_body_bytes = 64 * 1024;
  /// Paths whose requests may carry another body size than max_body_bytes (exact paths, the query aside):
  /// {"/v1/scans", 1 MiB}. The header is read first, so only that path's requests may be that large.
  std::vector<std::pair<std::string, std::size_t>> path_body_limits;
  /// Requests that may read a body above max_body_bytes at once (a declared or chunked one on such a path);
  /// another gets 503. So bodies held in memory stay near max_connections * max_body_bytes.
  std::size_t max_large_bodies = 16;
  std::size_t max_header_bytes = 8 * 1024;
  /// Deadline for reading one request (headers and body, however slowly they trickle in), for an idle
  /// keep-alive connection's next request, and for writing one response.
  std::chrono::seconds io_timeout{10};
  /// Concurrent connections. A client arriving at the cap displaces the connection that has waited longest
  /// for a request; only when every connection is being answered is the newcomer answered 503.
  std::size_t max_connections = 4096;
};

/// A response with a text/plain body of one line (a newline is appended), for errors and short answers.
HttpResponse text_response(unsigned version, boost::beast::http::status status, const std::string& line);

/// "ADDR:PORT" with an IPv4 or bracketed IPv6 address ("127.0.0.1:9477", "[::1]:9477"); throws Error.
boost::asio::ip::tcp::endpoint parse_listen_address(const std::string& text);

class HttpServer {
 public:
  /// Binds and listens at once (so the port is known, e.g. after binding port 0). `tls` enables TLS.
  /// Throws Error when the address cannot be bound.
  HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, HttpHandler handler,
             HttpLimits limits = {}, std::shared_ptr<boost::asio::ssl::context> tls = nullptr, HttpLog log = {});
  ~HttpServer();

  /// Starts accepting on the io_context.
  void start();
  /// Stops accepting; open connections finish their current exchange.
  void stop();
  std::uint16_t port() const;
  std::size_t open_connections() const { return *connections_; }
  /// Connections dropped to make room (the cap, or no file descriptor left to accept with).
  std::uint64_t evicted_connections() const { return table_->evicted(); }
  /// accept() calls that failed for lack of file descriptors or memory.
  std::uint64_t accept_failures() const { return accept_failures_; }

 private:
  void accept();
  /// Serves an accepted connection (HTTP or TLS) until it closes.
  void start_session(boost::asio::ip::tcp::socket socket);
  /// accept() failed with EMFILE/ENFILE/ENOBUFS/ENOMEM: free a descriptor and pause, instead of retrying
  /// at once on a listening socket that stays readable (a busy loop).
  void pause_accepting(const boost::system::error_code& ec);

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<const HttpHandler> handler_;
  HttpLimits limits_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<std::atomic<std::size_t>> connections_;
  std::shared_ptr<std::atomic<std::size_t>> large_bodies_;
  std::shared_ptr<ConnectionTable> table_;
  HttpLog log_;
  boost::asio::steady_timer accept_pause_;
  std::atomic<std::uint64_t> accept_failures_{0};
  bool out_of_descriptors_ = false;
};

/// A TLS server context from PEM files (TLS 1.2 and later); throws Error naming the file that failed.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& certificate_chain_file,
                                                            const std::string& private_key_file);

}  // namespace pifind
