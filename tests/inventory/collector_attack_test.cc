// `pifind serve` as a real process under attack over loopback: oversized and trickled requests, thousands of
// idle connections, descriptor exhaustion, forged and replayed reports, schema breakers, hostile text.
// After every attack a good agent's signed report must still land in a valid inventory file.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "collector_fixture.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "serve_process.h"

using namespace pifind;
using Catch::Matchers::Contains;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// --- raw sockets: what an attacker writes, byte for byte ------------------------------------------

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

struct Socket {
  int fd = -1;
  explicit Socket(int f) : fd(f) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd >= 0) ::close(fd);
  }
};

// Sends `data`; false if the peer closed, reset, or stopped reading for `timeout`.
bool send_bytes(int fd, std::string_view data, std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  const auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    pollfd p{fd, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until the peer closes or `timeout`; returns what arrived.
std::string read_until_close(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  const auto deadline = Clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return out;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      return out;
    }
  }
}

// "HTTP/1.1 413 Payload Too Large..." -> 413; 0 for no reply.
int status_of(const std::string& reply) {
  if (reply.rfind("HTTP/1.1 ", 0) != 0 || reply.size() < 12) return 0;
  return std::stoi(reply.substr(9, 3));
}

// The reply's body: one line of reason.
std::string body_of(const std::string& reply) {
  const auto at = reply.find("\r\n\r\n");
  return at == std::string::npos ? "" : reply.substr(at + 4);
}

// True once the server closed the connection (EOF or reset); false if it is still open after `timeout`.
bool closed_by_server(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0))) <= 0) return false;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
  }
}

std::string post_head(const std::string& extra_headers) {
  return "POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" + extra_headers + "\r\n";
}

// Raises RLIMIT_NOFILE (to 65536 when root may, else the soft limit to the hard one); the server inherits
// it. Returns the soft limit now in force.
rlim_t raise_file_limit() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  const rlimit wanted{65536, 65536};
  if (limit.rlim_max < wanted.rlim_max && ::setrlimit(RLIMIT_NOFILE, &wanted) == 0) return wanted.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// --- the server under attack and its good agent -------------------------------------------------------

constexpr int kGoodAgent = 200;

class AttackedServer {
 public:
  explicit AttackedServer(std::vector<std::string> extra_args = {}, rlim_t max_files = 0) {
    test::write_key_file(dir_ / "fleet.key");
    serve_ = std::make_unique<test::ServeProcess>(test::ServeProcess::Options{
        dir_ / "fleet.json", dir_ / "fleet.key", dir_ / "serve.log", 0, std::move(extra_args), max_files});
  }

  test::ServeProcess& serve() { return *serve_; }
  std::uint16_t port() const { return serve_->port(); }
  std::filesystem::path file() const { return dir_ / "fleet.json"; }
  const test::TempDir& dir() const { return dir_; }

  test::Reply post(const AgentReport& report) {
    const std::string body = to_body(report);
    return test::http_request(port(), "POST", "/v1/reports", body, test::signed_http_headers(report, body));
  }
  test::Reply post_body(const AgentReport& headers_for, const std::string& body) {
    return test::http_request(port(), "POST", "/v1/reports", body, test::signed_http_headers(headers_for, body));
  }

  // One good signed report: answered 204 (retrying for up to `patience` on 503 or no answer), then found in
  // a file that parses. Returns the time it took to be acknowledged, seconds.
  double good_agent_lands(std::chrono::milliseconds patience = std::chrono::milliseconds(3000)) {
    REQUIRE(serve_->running());
    const auto start = Clock::now();
    const auto report = test::sample_report(kGoodAgent, ++good_counter_, 1.5);
    test::Reply reply;
    for (;;) {
      try {
        reply = post(report);
      } catch (const std::exception&) {
        reply = {};
      }
      if (reply.status == 204 || Clock::now() - start > patience) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    INFO(reply.body << serve_->log());
    REQUIRE(reply.status == 204);
    const double took = seconds_since(start);
    const Inventory inventory = read_inventory_file(file());
    const auto* record = inventory.find_by_mac(report.agent_id);
    REQUIRE(record);
    REQUIRE(record->agent);
    CHECK(record->agent->last_counter == good_counter_);
    return took;
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<test::ServeProcess> serve_;
  std::uint64_t good_counter_ = 0;
};

}  // namespace

TEST_CASE("Oversized bodies are refused with 413 at once, in bounded memory, while a good agent is served") {
  AttackedServer server;
  server.good_agent_lands();
  const long baseline_kib = server.serve().rss_kib();
  const std::string megabyte(1 << 20, 'x');

  SECTION("declared Content-Length of 1 GiB") {
    Socket s(connect_to(server.port()));
    const auto start = Clock::now();
    send_bytes(s.fd, post_head("Content-Length: 1073741824\r\n"));
    send_bytes(s.fd, megabyte, std::chrono::milliseconds(500));
    const std::string reply = read_until_close(s.fd, std::chrono::milliseconds(3000));
    const double took = seconds_since(start);
    CHECK(status_of(reply) == 413);
    CHECK(took < 1.5);
    WARN(fmt::format("declared 1 GiB body: 413 after {:.3f} s", took));
  }
  SECTION("chunked body without end") {
    Socket s(connect_to(server.port()));
    const auto start = Clock::now();
    send_bytes(s.fd, post_head("Transfer-Encoding: chunked\r\n"));
    bool peer_open = true;
    for (int i = 0; i < 64 && peer_open; ++i)
      peer_open = send_bytes(s.fd, fmt::format("{:x}\r\n{}\r\n", 16384, std::string(16384, 'y')),
                             std::chrono::milliseconds(200));
    const std::string reply = read_until_close(s.fd, std::chrono::milliseconds(3000));
    const double took = seconds_since(start);
    CHECK(status_of(reply) == 413);
    CHECK_THAT(body_of(reply), Contains("larger than 65536 bytes"));
    CHECK(took < 2.5);
    WARN(fmt::format("chunked 1 MiB body: 413 after {:.3f} s", took));
  }
  SECTION("no Content-Length, a megabyte of body anyway") {
    // Without a length a request has no body: the bytes are a malformed next request.
    Socket s(connect_to(server.port()));
    const auto start = Clock::now();
    send_bytes(s.fd, post_head(""));
    send_bytes(s.fd, megabyte, std::chrono::milliseconds(500));
    const std::string reply = read_until_close(s.fd, std::chrono::milliseconds(3000));
    CHECK(status_of(reply) == 400);
    CHECK(seconds_since(start) < 1.5);
  }
  SECTION("twenty clients streaming bodies at once") {
    std::vector<std::thread> attackers;
    std::atomic<int> refused{0};
    const auto start = Clock::now();
    for (int i = 0; i < 20; ++i)
      attackers.emplace_back([&, i] {
        Socket s(connect_to(server.port()));
        send_bytes(s.fd, post_head(i % 2 ? "Transfer-Encoding: chunked\r\n" : "Content-Length: 104857600\r\n"));
        for (int k = 0; k < 16; ++k)
          if (!send_bytes(s.fd, i % 2 ? fmt::format("10000\r\n{}\r\n", std::string(65536, 'z')) : megabyte,
                          std::chrono::milliseconds(100)))
            break;
        if (status_of(read_until_close(s.fd, std::chrono::milliseconds(3000))) == 413) ++refused;
      });
    const double good_s = server.good_agent_lands();
    for (auto& t : attackers) t.join();
    CHECK(refused == 20);
    const long peak_kib = server.serve().peak_rss_kib();
    WARN(fmt::format("20 streaming attackers: all 413 within {:.2f} s, good agent acked in {:.3f} s, RSS {} KiB "
                     "before, peak {} KiB",
                     seconds_since(start), good_s, baseline_kib, peak_kib));
    CHECK(peak_kib < baseline_kib + 32 * 1024);
  }
  server.good_agent_lands();
  CHECK(server.serve().running());
}

TEST_CASE("Bodies held just under the size limit cost a bounded amount of memory per connection") {
  const rlim_t files = raise_file_limit();
  const int connections = static_cast<int>(std::min<rlim_t>(1000, files - 100));
  AttackedServer server({"--request-timeout", "60s"});
  const long baseline_kib = server.serve().rss_kib();
  std::vector<std::unique_ptr<Socket>> holders;
  const std::string request = post_head("Content-Length: 65000\r\n") + std::string(60000, '{');
  for (int i = 0; i < connections; ++i) {
    holders.push_back(std::make_unique<Socket>(connect_to(server.port())));
    REQUIRE(holders.back()->fd >= 0);
    REQUIRE(send_bytes(holders.back()->fd, request));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double good_s = server.good_agent_lands();
  const long held_kib = server.serve().rss_kib();
  const double per_connection_kib = static_cast<double>(held_kib - baseline_kib) / connections;
  // The bound: one body (64 KiB) and one read buffer (16 KiB) per connection.
  CHECK(per_connection_kib < 80);
  WARN(fmt::format("{} connections each holding 60000 bytes of a 65000-byte body: RSS {} -> {} KiB ({:.1f} KiB "
                   "each), good agent acked in {:.3f} s",
                   connections, baseline_kib, held_kib, per_connection_kib, good_s));
}

TEST_CASE("Slowloris: trickled headers and bodies are cut off at the request timeout, good agents are served") {
  AttackedServer server({"--request-timeout", "2s"});
  constexpr int kTricklers = 100;
  std::vector<std::unique_ptr<Socket>> sockets;
  std::vector<std::string> payloads;
  for (int i = 0; i < kTricklers; ++i) {
    sockets.push_back(std::make_unique<Socket>(connect_to(server.port())));
    REQUIRE(sockets.back()->fd >= 0);
    // Half trickle their headers, half a body they declared complete headers for.
    payloads.push_back(i % 2 ? post_head("X-Pifind-Agent: b8:27:eb:00:00:01\r\nX-Padding: " + std::string(2000, 'p') + "\r\n")
                             : post_head("Content-Length: 4000\r\n") + std::string(4000, '{'));
  }
  std::vector<double> closed_after(kTricklers, -1);
  std::vector<std::size_t> sent(kTricklers, 0);
  const auto start = Clock::now();
  std::atomic<bool> attacking{true};
  std::thread attacker([&] {
    // One byte per connection every 50 ms: a 2 KB request would take 100 s.
    while (attacking && seconds_since(start) < 8) {
      for (int i = 0; i < kTricklers; ++i) {
        if (closed_after[i] >= 0) continue;
        const ssize_t n = ::send(sockets[i]->fd, payloads[i].data() + sent[i], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        char byte = 0;
        const ssize_t r = ::recv(sockets[i]->fd, &byte, 1, MSG_DONTWAIT);
        if ((n < 0 && errno != EAGAIN) || r == 0 || (r < 0 && errno != EAGAIN)) closed_after[i] = seconds_since(start);
        if (n > 0) ++sent[i];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  std::vector<double> good_s;
  while (seconds_since(start) < 3.5) good_s.push_back(server.good_agent_lands());
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  attacking = false;
  attacker.join();
  int closed = 0;
  double latest = 0;
  for (double t : closed_after)
    if (t >= 0) {
      ++closed;
      latest = std::max(latest, t);
      CHECK(t >= 1.9);
    }
  CHECK(closed == kTricklers);
  CHECK(latest < 4.0);
  WARN(fmt::format("{} slowloris connections all closed between 2 and {:.2f} s; {} good reports acked meanwhile, "
                   "slowest {:.3f} s",
                   closed, latest, good_s.size(), *std::max_element(good_s.begin(), good_s.end())));
  CHECK(*std::max_element(good_s.begin(), good_s.end()) < 2.0);
  server.good_agent_lands();
}

TEST_CASE("Three thousand idle connections are held while a good agent is served") {
  const rlim_t files = raise_file_limit();
  // 3000, unless this machine's hard limit leaves fewer descriptors to this process (and to the server).
  const int connections = static_cast<int>(std::min<rlim_t>(3000, files - 100));
  AttackedServer server({"--request-timeout", "60s"});
  const long baseline_kib = server.serve().rss_kib();
  std::vector<std::unique_ptr<Socket>> idle;
  for (int i = 0; i < connections; ++i) {
    idle.push_back(std::make_unique<Socket>(connect_to(server.port())));
    REQUIRE(idle.back()->fd >= 0);
  }
  // Let the server accept them all.
  for (int i = 0; i < 200 && server.serve().open_fds() < static_cast<std::size_t>(connections); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double good_s = server.good_agent_lands();
  const std::size_t fds = server.serve().open_fds();
  CHECK(fds >= static_cast<std::size_t>(connections));
  const double cpu_before = server.serve().cpu_s();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double idle_cpu_s = server.serve().cpu_s() - cpu_before;
  CHECK(idle_cpu_s < 0.1);
  int still_open = 0;
  for (const auto& s : idle) still_open += closed_by_server(s->fd, std::chrono::milliseconds(0)) ? 0 : 1;
  CHECK(still_open == connections);
  WARN(fmt::format("{} idle connections held ({} fds open in the server), good agent acked in {:.3f} s, RSS {} -> "
                   "{} KiB, {:.3f} s CPU in 1 s idle",
                   connections, fds, good_s, baseline_kib, server.serve().rss_kib(), idle_cpu_s));
}

TEST_CASE("At the connection cap the oldest idle connections are dropped for newcomers") {
  raise_file_limit();
  // 256 descriptors: the server caps itself at 224 connections.
  AttackedServer server({"--request-timeout", "60s"}, 256);
  CHECK_THAT(server.serve().log(), Contains("max-connections 224"));
  std::vector<std::unique_ptr<Socket>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<Socket>(connect_to(server.port())));
    REQUIRE(idle.back()->fd >= 0);
  }
  const double good_s = server.good_agent_lands();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int dropped_oldest = 0, open_newest = 0;
  for (int i = 0; i < 500; ++i) dropped_oldest += closed_by_server(idle[i]->fd, std::chrono::milliseconds(0)) ? 1 : 0;
  for (int i = 900; i < 1000; ++i) open_newest += closed_by_server(idle[i]->fd, std::chrono::milliseconds(0)) ? 0 : 1;
  CHECK(dropped_oldest == 500);
  CHECK(open_newest == 100);
  const std::size_t fds = server.serve().open_fds();
  CHECK(fds <= 256);
  const double cpu_before = server.serve().cpu_s();
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const double idle_cpu_s = server.serve().cpu_s() - cpu_before;
  CHECK(idle_cpu_s < 0.1);
  WARN(fmt::format("1000 connections against a cap of 224: oldest 500 dropped, newest 100 held, {} fds, good "
                   "agent acked in {:.3f} s, {:.3f} s CPU in 1 s",
                   fds, good_s, idle_cpu_s));
}

TEST_CASE("Out of file descriptors, the server neither spins nor dies, and recovers") {
  raise_file_limit();
  // An explicit cap far above what 128 descriptors allow: accept() itself fails with EMFILE.
  AttackedServer server({"--request-timeout", "60s", "--max-connections", "4096"}, 128);
  CHECK_THAT(server.serve().log(), Contains("more than the file descriptor limit"));
  std::vector<std::unique_ptr<Socket>> idle;
  for (int i = 0; i < 600; ++i) {
    idle.push_back(std::make_unique<Socket>(connect_to(server.port())));
    REQUIRE(idle.back()->fd >= 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double cpu_before = server.serve().cpu_s();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const double cpu_s = server.serve().cpu_s() - cpu_before;
  CHECK(server.serve().running());
  CHECK(cpu_s < 0.5);
  CHECK_THAT(server.serve().log(), Contains("cannot accept a connection (Too many open files)"));
  const double good_s = server.good_agent_lands(std::chrono::milliseconds(10000));
  const std::size_t fds = server.serve().open_fds();
  idle.clear();
  server.good_agent_lands();
  WARN(fmt::format("600 connections into 128 descriptors: {:.3f} s CPU over 2 s, {} fds, good agent acked in "
                   "{:.3f} s", cpu_s, fds, good_s));
}

TEST_CASE("Forged, replayed and backwards reports get a clear status and never reach the file") {
  AttackedServer server;
  const auto victim = test::sample_report(7, 10, 2.0);
  REQUIRE(server.post(victim).status == 204);
  server.good_agent_lands();
  const std::string before = read_whole_file(server.file());
  auto rejected = [&](const test::Reply& reply, int status, const std::string& reason) {
    CHECK(reply.status == status);
    CHECK_THAT(reply.body, Contains(reason));
    CHECK(std::count(reply.body.begin(), reply.body.end(), '\n') == 1);
    CHECK(read_whole_file(server.file()) == before);
  };
  auto forged = test::sample_report(7, 11, 99.0);
  const std::string body = to_body(forged);
  const auto other_key = FleetKey::from_secret("an attacker's own key, 32 bytes!");
  rejected(test::http_request(server.port(), "POST", "/v1/reports", body, test::signed_http_headers(forged, body, other_key)),
           401, "signature does not match");
  auto headers = test::signed_http_headers(forged, body);
  headers["X-Pifind-Signature"] = "sha256=" + std::string(64, '0');
  rejected(test::http_request(server.port(), "POST", "/v1/reports", body, headers), 401, "signature");
  headers["X-Pifind-Signature"] = "md5=abc";
  rejected(test::http_request(server.port(), "POST", "/v1/reports", body, headers), 401, "sha256=");
  // Signed for counter 11 but sent as counter 12: the signature covers the counter.
  headers = test::signed_http_headers(forged, body);
  headers["X-Pifind-Counter"] = "12";
  rejected(test::http_request(server.port(), "POST", "/v1/reports", body, headers), 401, "signature");
  rejected(server.post(test::sample_report(7, 10, 99.0)), 409, "replay");
  rejected(server.post(test::sample_report(7, 3, 99.0)), 409, "not above the last accepted 10");
  headers = test::signed_http_headers(forged, body);
  headers["X-Pifind-Agent"] = "B8:27:EB:00:07:01";
  rejected(test::http_request(server.port(), "POST", "/v1/reports", body, headers), 400, "lowercase");
  auto zero = test::sample_report(7, 0);
  rejected(server.post(zero), 400, "from 1 to 2^63-1");
  // The body names another agent than the signed headers.
  auto impostor = test::sample_report(8, 11);
  rejected(server.post_body(forged, to_body(impostor)), 400, "agent_id differs");
  const auto metrics = test::http_request(server.port(), "GET", "/metrics").body;
  CHECK_THAT(metrics, Contains("pifind_collector_reports_total{result=\"bad_signature\"} 4\n"));
  CHECK_THAT(metrics, Contains("pifind_collector_reports_total{result=\"replay\"} 2\n"));
  CHECK(metrics.find(" 99\n") == std::string::npos);
  server.good_agent_lands();
}

TEST_CASE("Reports that break the schema get 400 with a one-line reason") {
  AttackedServer server;
  const auto report = test::sample_report(9, 1);
  const nlohmann::json good = to_json(report);
  auto with = [&](const std::string& pointer, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[nlohmann::json::json_pointer(pointer)] = value;
    return j.dump();
  };
  auto without = [&](const std::string& parent, const std::string& key) {
    nlohmann::json j = good;
    j[nlohmann::json::json_pointer(parent)].erase(key);
    return j.dump();
  };
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 40; ++i) many.push_back(good["identity"]["interfaces"][0]);
  const std::string text = good.dump();
  auto splice = [&](const std::string& find, const std::string& replace) {
    std::string t = text;
    t.replace(t.find(find), find.size(), replace);
    return t;
  };
  const std::string deep_array = std::string(30000, '[') + std::string(30000, ']');
  const std::string deep_model = splice("\"Raspberry Pi 4 Model B Rev 1.4\"", std::string(20000, '[') + std::string(20000, ']'));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hostname a number", with("/identity/hostname", 5)},
      {"interfaces an object", with("/identity/interfaces", nlohmann::json::object())},
      {"counter a string", with("/counter", "1")},
      {"missing identity", without("", "identity")},
      {"missing drift status", without("/drift/0", "status")},
      {"40 interfaces", with("/identity/interfaces", many)},
      {"NaN literal", splice("\"window_s\":1200.0", "\"window_s\":NaN")},
      {"infinite number", splice("\"window_s\":1200.0", "\"window_s\":1e999")},
      {"ppm beyond range", with("/drift/0/ppm", 1e300)},
      {"nested 30000 deep", deep_array},
      {"model nested 20000 deep", deep_model},
      {"invalid UTF-8", splice("Raspberry Pi 4", "Raspberry \xff\xfe 4")},
      {"overlong UTF-8 slash", splice("Raspberry Pi 4", "Raspberry \xc0\xaf 4")},
      {"lone surrogate escape", splice("Raspberry Pi 4", "Raspberry \\ud800 4")},
      {"not JSON at all", "hello"},
      {"empty body", ""},
      {"schema 2.0", with("/schema", "2.0")},
  };
  for (const auto& [name, body] : cases) {
    INFO(name);
    const std::string before = std::filesystem::exists(server.file()) ? read_whole_file(server.file()) : "";
    const auto start = Clock::now();
    const auto reply = server.post_body(report, body);
    CHECK(reply.status == 400);
    CHECK(std::count(reply.body.begin(), reply.body.end(), '\n') == 1);
    CHECK(reply.body.size() < 300);
    CHECK(seconds_since(start) < 1.0);
    const std::string after = std::filesystem::exists(server.file()) ? read_whole_file(server.file()) : "";
    CHECK(after == before);
    server.good_agent_lands();
  }
  const Inventory inventory = read_inventory_file(server.file());
  CHECK(inventory.find_by_mac(report.agent_id) == nullptr);
  CHECK(server.serve().running());
}

TEST_CASE("Hostile hostnames are refused, and hostile text elsewhere is stored but cannot inject into any output") {
  AttackedServer server;
  server.good_agent_lands();
  const std::vector<std::pair<std::string, std::string>> hostnames = {
      {"newline", "pi\nHost *"},
      {"quote", "pi\"x"},
      {"RTL override", "pi\u202Egnp"},
      {"zero-width space", "pi\u200Bone"},
      {"escape sequence", "pi\x1b[31m"},
      {"NUL byte", std::string("pi\0x", 4)},
      {"300 characters", std::string(300, 'a')},
      {"label of 64", std::string(64, 'b') + ".lan"},
      {"space", "pi one"},
  };
  for (const auto& [name, hostname] : hostnames) {
    INFO(name);
    const std::string before = read_whole_file(server.file());
    auto report = test::sample_report(10, 1);
    report.identity.hostname = hostname;
    const auto reply = server.post(report);
    CHECK(reply.status == 400);
    CHECK(std::count(reply.body.begin(), reply.body.end(), '\n') == 1);
    CHECK(read_whole_file(server.file()) == before);
  }
  // Text the report schema lets through reaches the file; every output must carry it inertly.
  const std::vector<std::pair<std::string, std::string>> refused_text = {
      {"C1 control CSI", "Pi \u009B31m"},
      {"NEL line break", "Pi\u0085ansible_become: yes"},
      {"RTL override", "Pi \u202Etxt.exe"},
      {"line separator", "Pi\u2028x"},
  };
  for (const auto& [name, model] : refused_text) {
    INFO(name);
    auto report = test::sample_report(11, 1);
    report.identity.model = model;
    const auto reply = server.post(report);
    CHECK(reply.status == 400);
    CHECK_THAT(reply.body, Contains("not printable"));
  }
  const std::string hostile = "Raspberry Pi \"4\" \\ </script><img src=x onerror=alert(1)> {{ lookup('pipe','id') }} \u200B";
  auto report = test::sample_report(12, 1, 4.25);
  report.identity.hostname = "kitchen";
  report.identity.model = hostile;
  report.identity.serial = "x\" ansible_become=yes";
  REQUIRE(server.post(report).status == 204);
  server.good_agent_lands();
  const auto inventory = read_inventory_file(server.file());
  REQUIRE(inventory.find_by_mac(report.agent_id));
  CHECK(inventory.find_by_mac(report.agent_id)->model == hostile);

  const std::string file = server.file().string();
  SECTION("ssh-config: only Host blocks of known keywords") {
    const auto r = test::run_process({test::fleet_cli(), "ssh-config", "--inventory", file});
    REQUIRE(r.exit_status == 0);
    std::istringstream lines(r.out);
    std::string line;
    int hosts = 0;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] == '#') continue;
      const bool known = line.rfind("Host ", 0) == 0 || line.rfind("  HostName ", 0) == 0 ||
                         line.rfind("  HostKeyAlias pifind-", 0) == 0 || line == "  StrictHostKeyChecking accept-new";
      CHECK(known);
      hosts += line.rfind("Host ", 0) == 0;
    }
    CHECK(hosts == 2);
    const auto check = test::run_process({"ssh", "-G", "-F", "/dev/stdin", "kitchen"}, r.out);
    INFO(check.err);
    CHECK(check.exit_status == 0);
  }
  SECTION("Ansible exports parse back to the same text, nothing more") {
    for (const std::string format : {"ansible-yaml", "ansible-ini"}) {
      INFO(format);
      const auto out = server.dir() / ("hosts." + std::string(format == "ansible-yaml" ? "yml" : "ini"));
      REQUIRE(test::run_process({test::fleet_cli(), "export", "--inventory", file, "--format", format, "-o", out.string()})
                  .exit_status == 0);
      const auto r = test::run_process({"ansible-inventory", "-i", out.string(), "--list"});
      INFO(r.err);
      REQUIRE(r.exit_status == 0);
      const auto list = nlohmann::json::parse(r.out);
      const auto& vars = list.at("_meta").at("hostvars").at("kitchen");
      CHECK_FALSE(vars.contains("ansible_become"));
      if (format == "ansible-yaml") {
        CHECK(vars.at("pifind_model") == hostile);
        CHECK(vars.at("pifind_serial") == "x\" ansible_become=yes");
      }
      CHECK(list.at("_meta").at("hostvars").size() == 2);
    }
    const auto dynamic = test::run_process({test::fleet_cli(), "export", "--inventory", file, "--list"});
    REQUIRE(dynamic.exit_status == 0);
    CHECK(nlohmann::json::parse(dynamic.out).at("_meta").at("hostvars").at("kitchen").at("pifind_model") == hostile);
  }
  SECTION("metrics: promtool accepts them and the text is not in them") {
    const auto metrics = test::http_request(server.port(), "GET", "/metrics").body;
    CHECK_THAT(metrics, Contains("pifind_host_drift_ppm{host=\"kitchen\",mac=\"b8:27:eb:00:0c:01\"} 4.25\n"));
    CHECK(metrics.find("script") == std::string::npos);
    const auto lint = test::run_process({"promtool", "check", "metrics"}, metrics);
    INFO(lint.out << lint.err);
    CHECK(lint.exit_status == 0);
  }
  SECTION("dashboard: the text never closes the script element") {
    const auto page = test::http_request(server.port(), "GET", "/").body;
    CHECK(page.find("<img") == std::string::npos);
    std::size_t scripts = 0;
    for (auto at = page.find("</script"); at != std::string::npos; at = page.find("</script", at + 1)) ++scripts;
    CHECK(scripts == 2);
    const auto data = test::http_request(server.port(), "GET", "/v1/inventory").body;
    CHECK(nlohmann::json::parse(data).dump().find("onerror") != std::string::npos);
  }
}

TEST_CASE("When every connection is being answered, a newcomer at the cap gets 503 and the rest are unharmed") {
  namespace net = boost::asio;
  namespace http = boost::beast::http;
  net::io_context io;
  std::mutex held_mutex;
  std::vector<std::function<void(HttpResponse)>> held;
  HttpLimits limits;
  limits.max_connections = 2;
  HttpServer server(
      io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0),
      [&](const HttpRequest& request, std::function<void(HttpResponse)> reply) {
        if (request.target() == "/hold") {
          const std::lock_guard lock(held_mutex);
          held.push_back(std::move(reply));
          return;
        }
        reply(text_response(request.version(), http::status::ok, "ok"));
      },
      limits);
  server.start();
  std::thread runner([&] { io.run(); });
  Socket a(connect_to(server.port())), b(connect_to(server.port()));
  for (const Socket* s : {&a, &b}) send_bytes(s->fd, "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
  for (int i = 0; i < 200; ++i) {
    {
      const std::lock_guard lock(held_mutex);
      if (held.size() == 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto refused = test::http_request(server.port(), "GET", "/other");
  CHECK(refused.status == 503);
  CHECK_THAT(refused.body, Contains("too many connections"));
  {
    const std::lock_guard lock(held_mutex);
    REQUIRE(held.size() == 2);
    for (auto& reply : held) reply(text_response(11, http::status::ok, "done"));
  }
  for (const Socket* s : {&a, &b}) {
    std::string reply;
    for (int i = 0; i < 100 && reply.find("done") == std::string::npos; ++i)
      reply += read_until_close(s->fd, std::chrono::milliseconds(20));
    CHECK(status_of(reply) == 200);
  }
  // Both are idle keep-alive connections now: a newcomer displaces one of them.
  CHECK(test::http_request(server.port(), "GET", "/other").status == 200);
  CHECK(server.evicted_connections() == 1);
  server.stop();
  io.stop();
  runner.join();
}

TEST_CASE("A burst of clients waiting in the listen queue is accepted in one turn of the event loop") {
  // Every agent of a fleet reconnects at once when the collector restarts. Taken one per turn of the loop,
  // behind every busy connection's handlers, 1,000 of them waited up to 1.3 s (bench/collector --serve).
  namespace net = boost::asio;
  net::io_context io;
  HttpServer server(io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0),
                    [](const HttpRequest& request, std::function<void(HttpResponse)> reply) {
                      reply(text_response(request.version(), boost::beast::http::status::ok, "ok"));
                    });
  server.start();
  std::vector<std::unique_ptr<Socket>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<Socket>(connect_to(server.port())));  // handshake done, queued
    REQUIRE(clients.back()->fd >= 0);
  }
  for (int turns = 0; server.open_connections() == 0 && turns < 1000; ++turns) io.run_one_for(std::chrono::seconds(1));
  CHECK(server.open_connections() >= 64);  // one handler took a burst; it was 1 before
  for (auto& c : clients) send_bytes(c->fd, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::thread runner([&] { io.run(); });
  for (auto& c : clients) CHECK(status_of(read_until_close(c->fd, std::chrono::seconds(5))) == 200);
  server.stop();
  io.stop();
  runner.join();
}

TEST_CASE("HTTP strictness: unknown Transfer-Encodings get 501 and a close, so nothing is smuggled") {
  AttackedServer server;
  for (const char* encoding : {"gzip", "xchunked", "chunked, gzip", "gzip, chunked", "identity"}) {
    INFO(encoding);
    Socket s(connect_to(server.port()));
    // Read as "no body", the body would be a second request: a GET /metrics answered after the refusal.
    const std::string smuggled = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    send_bytes(s.fd, post_head(fmt::format("Transfer-Encoding: {}\r\n", encoding)) + smuggled);
    const std::string reply = read_until_close(s.fd, std::chrono::milliseconds(3000));
    CHECK(status_of(reply) == 501);
    CHECK(reply.find("pifind_devices") == std::string::npos);
    CHECK(reply.find("HTTP/1.1", 1) == std::string::npos);  // one reply only
  }
  server.good_agent_lands();
}

TEST_CASE("HTTP strictness: HEAD gets headers only, Expect: 100-continue its 100, no Host a 400") {
  AttackedServer server;
  server.good_agent_lands();
  {
    Socket s(connect_to(server.port()));
    send_bytes(s.fd, "HEAD /v1/inventory HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const std::string reply = read_until_close(s.fd, std::chrono::milliseconds(3000));
    CHECK(status_of(reply) == 200);
    CHECK(body_of(reply).empty());
    const auto length_at = reply.find("Content-Length: ");
    REQUIRE(length_at != std::string::npos);
    CHECK(std::stoul(reply.substr(length_at + 16)) > 100);  // the GET's length
  }
  {
    // The client waits for the 100 before it sends the body (curl waited a second for nothing).
    const auto report = test::sample_report(kGoodAgent + 1, 1);
    const std::string body = to_body(report);
    std::string head = "POST /v1/reports HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nConnection: close\r\n";
    for (const auto& [name, value] : test::signed_http_headers(report, body)) head += name + ": " + value + "\r\n";
    head += fmt::format("Content-Length: {}\r\n\r\n", body.size());
    Socket s(connect_to(server.port()));
    const auto start = Clock::now();
    send_bytes(s.fd, head);
    std::string interim;
    char buffer[256];
    while (interim.find("\r\n\r\n") == std::string::npos && seconds_since(start) < 3) {
      pollfd p{s.fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      interim.append(buffer, static_cast<std::size_t>(n));
    }
    CHECK(interim.rfind("HTTP/1.1 100 Continue\r\n", 0) == 0);
    CHECK(seconds_since(start) < 0.5);
    send_bytes(s.fd, body);
    CHECK(status_of(read_until_close(s.fd, std::chrono::milliseconds(3000))) == 204);
  }
  {
    Socket s(connect_to(server.port()));
    send_bytes(s.fd, "GET /healthz HTTP/1.1\r\n\r\n");
    CHECK(status_of(read_until_close(s.fd, std::chrono::milliseconds(3000))) == 400);
    Socket old(connect_to(server.port()));
    send_bytes(old.fd, "GET /healthz HTTP/1.0\r\n\r\n");
    const std::string reply = read_until_close(old.fd, std::chrono::milliseconds(3000));
    CHECK(reply.rfind("HTTP/1.0 200", 0) == 0);
  }
  {
    Socket s(connect_to(server.port()));
    send_bytes(s.fd, post_head("Expect: something-else\r\nContent-Length: 2\r\n") + "{}");
    CHECK(status_of(read_until_close(s.fd, std::chrono::milliseconds(3000))) == 417);
  }
}
