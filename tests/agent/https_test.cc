// The https path: a Beast TLS collector on 127.0.0.1 with a certificate made in the test (names
// "localhost" and 127.0.0.1). The agent must verify the chain and the name, and refuse otherwise.
#include <thread>

#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "inventory/transport/beast.h"
#include "inventory/transport/http_sender.h"
#include "agent/reporter.h"
#include "agent_test_support.h"
#include "inventory/protocol/signing.h"
#include "tests/support/sample_report.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

using namespace web;

const std::string kHttpsTestSecret = "https test fleet key, 32 bytes++";

// A self-signed P-256 certificate for `san` ("DNS:localhost,IP:127.0.0.1"), valid for an hour.
struct Certificate {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  explicit Certificate(const char* san) {
    key = EVP_EC_gen("P-256");
    REQUIRE(key);
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("pifind test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, san}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, nid, value);
      REQUIRE(ext);
      X509_add_ext(cert, ext, -1);
      X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
  }
  ~Certificate() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  void write_pem(const std::filesystem::path& path) const {
    FILE* f = std::fopen(path.c_str(), "w");
    REQUIRE(f);
    PEM_write_X509(f, cert);
    std::fclose(f);
  }
};

// Serves `connections` TLS connections, verifying each report; handshake failures are counted.
class TlsCollector {
 public:
  TlsCollector(const Certificate& c, int connections)
      : ctx_(ssl::context::tls_server), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    SSL_CTX_use_certificate(ctx_.native_handle(), c.cert);
    SSL_CTX_use_PrivateKey(ctx_.native_handle(), c.key);
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) serve();
    });
  }
  ~TlsCollector() { thread_.join(); }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  int accepted = 0;
  int failed_handshakes = 0;

 private:
  void serve() {
    boost::system::error_code ec;
    tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    if (ec) return;
    ssl::stream<tcp::socket> stream(std::move(socket), ctx_);
    stream.handshake(ssl::stream_base::server, ec);
    if (ec) {
      ++failed_handshakes;
      return;
    }
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    auto header = [&](std::string_view n) { return std::string(req[beast::string_view(n.data(), n.size())]); };
    const auto v = verify_report(FleetKey::from_secret(kHttpsTestSecret),
                                 {header(kAgentHeader), header(kCounterHeader), header(kSignatureHeader),
                                  header(kDeviceKeyHeader), header(kDeviceSignatureHeader)}, req.body(),
                                 std::nullopt);
    accepted += v.accepted();
    http::response<http::string_body> res{static_cast<http::status>(v.http_status()), 11};
    res.body() = v.reason;
    res.prepare_payload();
    http::write(stream, res, ec);
    stream.shutdown(ec);
  }

  asio::io_context io_;
  ssl::context ctx_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

AgentReport report() {
  return test::minimal_report(*MacAddress::parse("dc:a6:32:aa:bb:02"), 0, "pi4-kitchen", "");
}

}  // namespace

TEST_CASE("https: a trusted certificate naming the host delivers, by name and by IP address") {
  TempDir dir;
  const Certificate cert("DNS:localhost,IP:127.0.0.1");
  cert.write_pem(dir.path() / "ca.pem");
  TlsCollector collector(cert, 2);
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    INFO(host);
    TempDir state;
    Reporter reporter(FleetKey::from_secret(kHttpsTestSecret), state.path(),
                      std::make_unique<BeastSender>(
                          ServerUrl::parse("https://" + host + ":" + std::to_string(collector.port())),
                          dir.path() / "ca.pem"));
    reporter.submit(report());
    CHECK(reporter.spool().queued().empty());
  }
}

TEST_CASE("https: an untrusted or misnamed certificate is refused and the report stays spooled") {
  TempDir dir;
  const Certificate cert("DNS:collector.example.org");
  cert.write_pem(dir.path() / "ca.pem");
  TlsCollector collector(cert, 2);
  const std::string url = "https://127.0.0.1:" + std::to_string(collector.port());
  {
    TempDir state;  // trusted CA, but the certificate names another host
    Reporter reporter(FleetKey::from_secret(kHttpsTestSecret), state.path(),
                      std::make_unique<BeastSender>(ServerUrl::parse(url), dir.path() / "ca.pem"));
    const auto log = reporter.submit(report());
    REQUIRE_FALSE(log.empty());
    CHECK_THAT(log.back(), Catch::Contains("TLS handshake"));
    CHECK(reporter.spool().queued().size() == 1);
  }
  {
    TempDir state;  // the system's CAs do not know a self-signed certificate
    Reporter reporter(FleetKey::from_secret(kHttpsTestSecret), state.path(),
                      std::make_unique<BeastSender>(ServerUrl::parse(url)));
    reporter.submit(report());
    CHECK(reporter.spool().queued().size() == 1);
  }
}
