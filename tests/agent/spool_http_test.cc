// The reporting path end to end: counter, signing, spool and a real HTTP round trip to a minimal Beast
// collector on 127.0.0.1 that verifies with pifind_protocol's verify_report().
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "inventory/transport/beast.h"
#include "inventory/transport/http_sender.h"
#include "agent/reporter.h"
#include "inventory/transport/spool.h"
#include "agent_test_support.h"
#include "inventory/core/error.h"
#include "inventory/protocol/signing.h"
#include "tests/support/sample_report.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;
namespace fs = std::filesystem;

namespace {

using namespace web;

const std::string kSecret = "test fleet key, 32 bytes or more";

// Accepts reports the way a collector must: verify_report() with the agent's last accepted counter.
class TestCollector {
 public:
  TestCollector() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestCollector() {
    io_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  std::vector<std::uint64_t> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  std::vector<int> statuses() {
    std::lock_guard lock(mutex_);
    return statuses_;
  }
  std::map<std::string, std::string> last_headers() {
    std::lock_guard lock(mutex_);
    return last_headers_;
  }
  std::vector<std::string> device_keys() {
    std::lock_guard lock(mutex_);
    return device_keys_;
  }
  /// Replies with this status to everything (0: verify normally).
  void force_status(int status) {
    std::lock_guard lock(mutex_);
    forced_ = status;
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;
      serve(std::move(socket));
      accept();
    });
  }

  void serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    auto header = [&](std::string_view name) {
      const auto it = req.find(beast::string_view(name.data(), name.size()));
      return it == req.end() ? std::string() : std::string(it->value());
    };
    SignedHeaders h{header(kAgentHeader), header(kCounterHeader), header(kSignatureHeader),
                    header(kDeviceKeyHeader), header(kDeviceSignatureHeader)};
    Verification v;
    int status = 0;
    {
      std::lock_guard lock(mutex_);
      last_headers_ = {{"target", std::string(req.target())},
                       {"content-type", std::string(req[http::field::content_type])},
                       {"agent", h.agent},
                       {"counter", h.counter},
                       {"signature", h.signature},
                       {"device_key", h.device_key}};
      const auto last = last_counter_.count(h.agent) ? std::optional(last_counter_[h.agent]) : std::nullopt;
      const bool report_post = req.method() == http::verb::post && std::string(req.target()) == kReportsPath;
      v = report_post ? verify_report(FleetKey::from_secret(kSecret), h, req.body(), last)
                      : Verification{std::nullopt, std::nullopt, Refusal::kInvalid, "not found"};
      status = report_post ? v.http_status() : 404;
      if (forced_ != 0) {
        v = Verification{std::nullopt, std::nullopt, Refusal::kInvalid, "forced"};
        status = forced_;
      }
      device_keys_.push_back(v.device_key ? v.device_key->to_string() : "");
      if (v.accepted()) {
        last_counter_[h.agent] = v.report->counter;
        accepted_.push_back(v.report->counter);
      }
      statuses_.push_back(status);
    }
    http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
    res.body() = v.reason;
    if (v.refusal == Refusal::kReplay)
      res.set(beast::string_view(kLastCounterHeader.data(), kLastCounterHeader.size()),
              std::to_string(last_counter_.at(h.agent)));
    res.prepare_payload();
    http::write(socket, res, ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, std::uint64_t> last_counter_;
  std::vector<std::uint64_t> accepted_;
  std::vector<int> statuses_;
  std::map<std::string, std::string> last_headers_;
  /// The verified device key of each request, "" for none.
  std::vector<std::string> device_keys_;
  int forced_ = 0;
};

AgentReport report_of(const std::string& host) {
  return test::minimal_report(*MacAddress::parse("b8:27:eb:12:34:56"), 0, host, "");
}

// A port nothing listens on (bound, then closed).
std::string dead_url() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = a.local_endpoint().port();
  a.close();
  return "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace

TEST_CASE("a signed report round-trips over HTTP and the collector verifies signature and counter") {
  TempDir state;
  TestCollector collector;
  Reporter reporter(FleetKey::from_secret(kSecret), state.path(),
                    std::make_unique<BeastSender>(ServerUrl::parse(collector.url())));
  reporter.submit(report_of("pi-a"));
  reporter.submit(report_of("pi-a"));
  CHECK(collector.accepted() == std::vector<std::uint64_t>{1, 2});
  const auto h = collector.last_headers();
  CHECK(h.at("target") == "/v1/reports");
  CHECK(h.at("content-type") == "application/json");
  CHECK(h.at("agent") == "b8:27:eb:12:34:56");
  CHECK(h.at("counter") == "2");
  CHECK(h.at("signature").rfind("sha256=", 0) == 0);
  CHECK(reporter.spool().queued().empty());
  // Each report carried the device key (made in the state directory, mode 0600) and its valid signature.
  const std::string device_key = reporter.device_key().public_key().to_string();
  CHECK(collector.device_keys() == std::vector<std::string>{device_key, device_key});
  const auto key_mode = fs::status(state.path() / "device.key").permissions() & fs::perms::mask;
  CHECK(key_mode == (fs::perms::owner_read | fs::perms::owner_write));
  CHECK(Reporter(FleetKey::from_secret(kSecret), state.path(), nullptr).device_key().public_key().to_string() ==
        device_key);
  // A resend the collector already has (its reply lost) is a 409 at or below our own counter: delivered.
  CHECK(reporter.last_delivery().refused == 0);

  // A fresh state directory restarts the counter at 1: the collector answers 409 with its last counter, 2,
  // above any this agent used, so the agent says refused (and --once exits 2) instead of "delivered".
  TempDir other;
  Reporter reset(FleetKey::from_secret(kSecret), other.path(),
                 std::make_unique<BeastSender>(ServerUrl::parse(collector.url())));
  const auto reset_log = reset.submit(report_of("pi-a"));
  CHECK(collector.statuses().back() == 409);
  CHECK(collector.accepted() == std::vector<std::uint64_t>{1, 2});
  CHECK(reset.last_delivery().refused == 1);
  CHECK(reset.last_delivery().delivered == 0);
  REQUIRE(reset_log.size() == 2);
  CHECK_THAT(reset_log[0], Catch::Contains("already accepted counter 2 for this device, above this agent's 1"));
  CHECK_THAT(reset_log[1], Catch::StartsWith("refused:"));

  // The wrong key is refused (401) and the report dropped, not retried.
  TempDir third;
  Reporter wrong(FleetKey::from_secret("a different fleet key, 32 bytes"), third.path(),
                 std::make_unique<BeastSender>(ServerUrl::parse(collector.url())));
  const auto log = wrong.submit(report_of("pi-b"));
  CHECK(collector.statuses().back() == 401);
  REQUIRE_FALSE(log.empty());
  CHECK_THAT(log.front(), Catch::Contains("HTTP 401"));
  CHECK(wrong.spool().queued().empty());
}

TEST_CASE("while the collector is unreachable reports spool, and go out in order later") {
  TempDir state;
  const auto key = FleetKey::from_secret(kSecret);
  {
    Reporter offline(key, state.path(), std::make_unique<BeastSender>(ServerUrl::parse(dead_url())));
    for (int i = 0; i < 3; ++i) {
      const auto log = offline.submit(report_of("pi-a"));
      REQUIRE_FALSE(log.empty());
      CHECK_THAT(log.back(), Catch::Contains("unreachable"));
    }
    CHECK(offline.spool().queued() == std::vector<std::uint64_t>{1, 2, 3});
  }
  TestCollector collector;
  collector.force_status(503);
  Reporter online(key, state.path(), std::make_unique<BeastSender>(ServerUrl::parse(collector.url())));
  auto d = online.flush();
  CHECK(d.stopped_by == "collector replied HTTP 503");
  CHECK(d.remaining == 3);
  collector.force_status(0);
  online.submit(report_of("pi-a"));
  CHECK(collector.accepted() == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(online.spool().queued().empty());
  // Spooled before they were sent, signed with the device key as they went (the forced 503 is not verified).
  const auto keys = collector.device_keys();
  CHECK(keys.size() == 5);
  CHECK(std::count(keys.begin(), keys.end(), online.device_key().public_key().to_string()) == 4);
}

TEST_CASE("the spool is bounded: the oldest go and the loss is counted and reported") {
  TempDir state;
  Reporter offline(FleetKey::from_secret(kSecret), state.path(),
                   std::make_unique<BeastSender>(ServerUrl::parse(dead_url())), /*spool_max_reports=*/3);
  std::vector<std::string> log;
  for (int i = 0; i < 5; ++i)
    for (auto& line : offline.submit(report_of("pi-a"))) log.push_back(std::move(line));
  CHECK(offline.spool().queued() == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(offline.spool().dropped_total() == 2);
  // Each drop is said in the log, with what went and the running total.
  std::vector<std::string> drops;
  for (const auto& line : log)
    if (line.find("spool full") != std::string::npos) drops.push_back(line);
  REQUIRE(drops.size() == 2);
  CHECK_THAT(drops[0], Catch::Contains("dropped the oldest, report(s) 1; 1 dropped in total"));
  CHECK_THAT(drops[1], Catch::Contains("dropped the oldest, report(s) 2; 2 dropped in total"));
  CHECK_THAT(drops[0], Catch::StartsWith("spool full (3 reports"));

  // Each report carries the loss known when it was made (report 5 was made after report 1 went, before
  // report 2 went); the count survives a restart.
  Spool again(state.path() / "spool", 3);
  CHECK(again.dropped_total() == 2);
  const auto newest = again.read(5);
  REQUIRE(newest);
  const auto body = parse_report(newest->body);
  CHECK(body.spool.dropped_total == 1);
  CHECK(body.spool.queued == 3);  // 2, 3 and 4 were queued when it was made
  CHECK(body.counter == 5);
}

TEST_CASE("a smaller spool bound after a restart drops the oldest at once, counted") {
  TempDir state;
  Spool big(state.path() / "spool", 10);
  for (std::uint64_t c = 1; c <= 6; ++c) CHECK(big.push({"b8:27:eb:12:34:56", c, "sha256=00", "{}", {}, {}}).empty());
  Spool small(state.path() / "spool", 2);  // restarted with --spool-max 2
  CHECK(small.push({"b8:27:eb:12:34:56", 7, "sha256=00", "{}", {}, {}}) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(small.queued() == std::vector<std::uint64_t>{6, 7});
  CHECK(small.dropped_total() == 5);
}

TEST_CASE("a collector that accepts the connection and never answers cannot hold the agent") {
  // Listening without ever accepting: the kernel completes the TCP handshake, nothing answers.
  asio::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = std::to_string(silent.local_endpoint().port());
  for (const std::string scheme : {"http", "https"}) {
    INFO(scheme);
    BeastSender sender(ServerUrl::parse(scheme + "://127.0.0.1:" + port), std::nullopt, std::chrono::seconds(1));
    const auto start = std::chrono::steady_clock::now();
    const auto r = sender.post({"b8:27:eb:12:34:56", 1, "sha256=00", "{}", {}, {}});
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(r.status == 0);
    CHECK_THAT(r.error, Catch::Contains("timeout"));
    CHECK(took < std::chrono::seconds(4));
    CHECK(took >= std::chrono::milliseconds(900));
  }
}

TEST_CASE("a damaged spool file is dropped and counted, not sent") {
  TempDir state;
  Spool spool(state.path() / "spool", 10);
  spool.push({"b8:27:eb:12:34:56", 7, "sha256=00", "{}", {}, {}});
  std::ofstream(state.path() / "spool" / "00000000000000000007.report") << "truncated";
  CHECK_FALSE(spool.read(7));
  CHECK(spool.dropped_total() == 1);
  CHECK(spool.queued().empty());
}

TEST_CASE("server URLs are parsed strictly") {
  const auto u = ServerUrl::parse("https://collector.example.org:8443/pifind/");
  CHECK(u.tls);
  CHECK(u.host == "collector.example.org");
  CHECK(u.port == "8443");
  CHECK(u.target(kReportsPath) == "/pifind/v1/reports");
  CHECK(ServerUrl::parse("http://10.0.0.1").port == "80");
  CHECK(ServerUrl::parse("http://[::1]:9000").host == "::1");
  CHECK_THROWS_WITH(ServerUrl::parse("ftp://x"), Catch::Contains("must start with http://"));
  CHECK_THROWS_AS(ServerUrl::parse("http://:80"), Error);
  CHECK_THROWS_AS(ServerUrl::parse("http://host:8x"), Error);
}
