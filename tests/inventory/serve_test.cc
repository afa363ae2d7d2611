// `pifind serve` over TLS, and its command line refusing what it cannot run with.
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>

#include "collector_fixture.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

// A self-signed certificate for 127.0.0.1 made with the openssl command.
void make_certificate(const test::TempDir& dir) {
  const auto r = test::run_process({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", (dir / "key.pem").string(),
                                    "-out", (dir / "cert.pem").string(), "-days", "2", "-subj", "/CN=127.0.0.1",
                                    "-addext", "subjectAltName=IP:127.0.0.1"});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
}

// GET over TLS, verifying the server against `ca_file`; returns the status, or throws on a TLS failure.
int https_get(std::uint16_t port, const std::string& target, const std::string& ca_file) {
  net::io_context io;
  net::ssl::context context(net::ssl::context::tls_client);
  context.load_verify_file(ca_file);
  context.set_verify_mode(net::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  stream.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
  beast::get_lowest_layer(stream).connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  stream.handshake(net::ssl::stream_base::client);
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "127.0.0.1");
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return static_cast<int>(response.result_int());
}

}  // namespace

TEST_CASE("The collector serves HTTPS from certificate files, and plain HTTP clients get nothing") {
  test::TempDir dir;
  make_certificate(dir);
  test::CollectorFixture fx({}, "", make_tls_context((dir / "cert.pem").string(), (dir / "key.pem").string()));
  CHECK(https_get(fx.port(), "/healthz", (dir / "cert.pem").string()) == 200);
  CHECK(https_get(fx.port(), "/v1/inventory", (dir / "cert.pem").string()) == 200);
  CHECK(test::http_request(fx.port(), "GET", "/healthz").status == 0);
  CHECK_THROWS_WITH(make_tls_context((dir / "missing.pem").string(), (dir / "key.pem").string()),
                    Contains("cannot load TLS certificate"));
}

TEST_CASE("pifind serve refuses a missing or unsafe key, a bad address and half a TLS setup") {
  test::TempDir dir;
  const auto key = (dir / "fleet.key").string();
  test::write_text(key, "0123456789abcdef0123456789abcdef\n");
  std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                        std::filesystem::perms::others_read);
  const auto inventory = (dir / "fleet.json").string();
  auto serve = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {test::fleet_cli(), "serve", "--inventory", inventory});
    return test::run_process(args);
  };
  const auto no_key = serve({});
  CHECK(no_key.exit_status == 2);
  CHECK_THAT(no_key.err, Contains("--key-file"));
  const auto open_key = serve({"--key-file", key, "--listen", "127.0.0.1:0"});
  CHECK(open_key.exit_status == 2);
  CHECK(std::count(open_key.err.begin(), open_key.err.end(), '\n') == 1);
  std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const auto bad_listen = serve({"--key-file", key, "--listen", "localhost"});
  CHECK(bad_listen.exit_status == 2);
  CHECK_THAT(bad_listen.err, Contains("is not ADDR:PORT"));
  const auto bad_port = serve({"--key-file", key, "--listen", "127.0.0.1:99999"});
  CHECK(bad_port.exit_status == 2);
  CHECK_THAT(bad_port.err, Contains("no valid port"));
  const auto half_tls = serve({"--key-file", key, "--tls-cert", key});
  CHECK(half_tls.exit_status == 2);
  CHECK_THAT(half_tls.err, Contains("--tls-key"));
  test::write_text(inventory, "{\"schema\": \"9.0\"}");
  const auto newer = serve({"--key-file", key, "--listen", "127.0.0.1:0"});
  CHECK(newer.exit_status == 2);
  CHECK_THAT(newer.err, Contains("schema 9.0 is newer"));
  CHECK(read_whole_file(inventory) == "{\"schema\": \"9.0\"}");
}
