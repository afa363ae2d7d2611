// Crash safety of `pifind serve` as a real process: SIGKILL at random moments under concurrent signed
// reports must never lose an acknowledged report nor leave a broken file; a full disk (tmpfs, root only)
// is answered 503 with one log line, keeps the previous file, and recovers once space is freed.
#include <netinet/in.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "collector_fixture.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "serve_process.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

// Files the atomic writer leaves if it dies between creating and renaming its temporary file.
std::vector<std::string> temporary_files(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) found.push_back(entry.path().string());
  return found;
}

// A free port below the ephemeral range. The server's port must not be one a client's connect() may pick
// as its own while the server is down: a connect to 127.0.0.1:P from 127.0.0.1:P connects to itself, and
// the restarted server then cannot bind P.
std::uint16_t free_port_below_ephemeral_range() {
  std::mt19937 random(static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + random() % 10000);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (free) return port;
  }
  throw std::runtime_error("no free port in 20000-29999");
}

// Every acknowledged (agent, counter) is in `file`: its agent's last counter is at least as high.
std::size_t check_acks_in_file(const std::filesystem::path& file,
                               const std::vector<std::pair<int, std::uint64_t>>& acks) {
  const Inventory inventory = read_inventory_file(file, acks.empty());  // throws if the file does not parse
  std::size_t verified = 0;
  for (const auto& [agent, counter] : acks) {
    const auto* record = inventory.find_by_mac(test::sample_report(agent, 1).agent_id);
    INFO("agent " << agent << " counter " << counter);
    REQUIRE(record);
    REQUIRE(record->agent);
    CHECK(record->agent->last_counter >= counter);
    ++verified;
  }
  return verified;
}

}  // namespace

TEST_CASE("SIGKILL under load never loses an acknowledged report nor breaks the file") {
  test::TempDir dir;
  test::write_key_file(dir / "fleet.key");
  // The clients keep their address across restarts.
  const test::ServeProcess::Options options{
      dir / "fleet.json", dir / "fleet.key", dir / "serve.log", free_port_below_ephemeral_range(), {}, 0};
  auto serve = std::make_unique<test::ServeProcess>(options);
  const auto& restart_options = options;

  constexpr int kClients = 4, kAgentsPerClient = 5, kRounds = 6;
  std::mutex acks_mutex;
  std::vector<std::pair<int, std::uint64_t>> acks;
  std::atomic<bool> running{true};
  std::atomic<long> unanswered{0}, refused{0};
  std::vector<std::thread> clients;
  // A failed REQUIRE below unwinds through here: stop and join the clients so Catch reports that failure
  // (a joinable std::thread would call std::terminate and hide it).
  struct StopClients {
    std::atomic<bool>& running;
    std::vector<std::thread>& clients;
    ~StopClients() {
      running = false;
      for (auto& t : clients)
        if (t.joinable()) t.join();
    }
  } stop_clients{running, clients};
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      std::vector<std::uint64_t> counters(kAgentsPerClient, 0);
      for (int i = 0; running; ++i) {
        const int slot = i % kAgentsPerClient;
        const int agent = 1 + c * kAgentsPerClient + slot;
        // A new counter for every attempt, as an agent whose earlier attempt may or may not have landed.
        const auto report = test::sample_report(agent, ++counters[slot], 0.01 * static_cast<double>(i));
        test::Reply reply;
        try {
          const std::string body = to_body(report);
          reply = test::http_request(restart_options.port, "POST", "/v1/reports", body,
                                     test::signed_http_headers(report, body));
        } catch (const std::exception&) {
          reply = {};
        }
        if (reply.status == 204) {
          const std::lock_guard lock(acks_mutex);
          acks.push_back({agent, report.counter});
        } else if (reply.status == 0) {
          ++unanswered;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          ++refused;
        }
      }
    });

  std::mt19937 random(20261125);
  std::uniform_int_distribution<int> delay_ms(100, 700);
  std::size_t verified = 0, acked_before_kill = 0;
  int temp_files_seen = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    INFO(serve->log());
    REQUIRE(serve->running());  // it never dies on its own
    const int status = serve->kill_and_wait(SIGKILL);
    CHECK(WIFSIGNALED(status));
    std::vector<std::pair<int, std::uint64_t>> snapshot;
    {
      const std::lock_guard lock(acks_mutex);
      snapshot = acks;
    }
    acked_before_kill = snapshot.size();
    verified = check_acks_in_file(options.inventory, snapshot);
    const auto leftovers = temporary_files(dir.path());
    temp_files_seen += static_cast<int>(leftovers.size());
    serve = std::make_unique<test::ServeProcess>(restart_options);
    // A restarted collector removes what the killed writer left behind (its own new ones may come and go).
    for (const auto& leftover : leftovers) CHECK_FALSE(std::filesystem::exists(leftover));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  running = false;
  for (auto& t : clients) t.join();
  serve->kill_and_wait(SIGTERM);
  verified = check_acks_in_file(options.inventory, acks);
  CHECK(acked_before_kill > 0);
  CHECK(refused == 0);
  WARN(fmt::format("{} SIGKILL rounds under {} clients: {} acknowledged reports all in the file ({} acked before the "
                   "last kill), {} requests unanswered by a dead server, {} leftover temporary files removed on "
                   "restart",
                   kRounds, kClients, verified, acked_before_kill, unanswered.load(), temp_files_seen));
}

// Root only (mount): registered separately in CMake with SKIP_RETURN_CODE 77, hidden from discovery.
TEST_CASE("A full disk is answered 503 with one log line, keeps the file, and recovers", "[.][full-disk]") {
  if (::geteuid() != 0) {
    WARN("skipped: mounting a tmpfs needs root");
    std::_Exit(77);
  }
  test::TempDir dir;
  const auto mount_point = dir / "disk";
  std::filesystem::create_directory(mount_point);
  REQUIRE(::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=1m,mode=0700") == 0);
  struct Unmount {
    std::filesystem::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  test::write_key_file(dir / "fleet.key");
  const test::ServeProcess::Options options{mount_point / "fleet.json", dir / "fleet.key", dir / "serve.log", 0, {}, 0};
  test::ServeProcess serve(options);
  auto post = [&](const AgentReport& r) {
    const std::string body = to_body(r);
    return test::http_request(serve.port(), "POST", "/v1/reports", body, test::signed_http_headers(r, body));
  };
  for (int agent = 1; agent <= 5; ++agent) REQUIRE(post(test::sample_report(agent, 1, 1.0)).status == 204);
  const std::string before = read_whole_file(options.inventory);

  // Fill the file system to the last block.
  {
    std::ofstream filler(mount_point / "filler", std::ios::binary);
    const std::string block(4096, 'f');
    while (filler.write(block.data(), block.size()) && filler.flush()) {
    }
  }
  int refused = 0;
  std::string reason;
  for (int attempt = 2; attempt <= 6; ++attempt) {
    const auto reply = post(test::sample_report(1, static_cast<std::uint64_t>(attempt), 77.0));
    refused += reply.status == 503;
    reason = reply.body;
  }
  CHECK(refused == 5);
  CHECK_THAT(reason, Contains("No space left on device"));
  CHECK(std::count(reason.begin(), reason.end(), '\n') == 1);
  CHECK(read_whole_file(options.inventory) == before);
  CHECK(read_inventory_file(options.inventory).size() == 5);
  CHECK(temporary_files(mount_point).empty());
  const std::string log = serve.log();
  INFO(log);
  std::size_t lines = 0;
  for (auto at = log.find("inventory not written"); at != std::string::npos; at = log.find("inventory not written", at + 1))
    ++lines;
  CHECK(lines == 1);
  CHECK_THAT(log, Contains("No space left on device; answering 503 until it is"));
  // Nothing refused is served either.
  const auto metrics = test::http_request(serve.port(), "GET", "/metrics").body;
  CHECK(metrics.find("} 77\n") == std::string::npos);
  CHECK_THAT(metrics, Contains("pifind_collector_reports_total{result=\"write_failed\"} 5\n"));

  std::filesystem::remove(mount_point / "filler");
  // The agent resends its newest spooled report.
  CHECK(post(test::sample_report(1, 6, 77.0)).status == 204);
  CHECK(post(test::sample_report(2, 2, 2.0)).status == 204);
  const Inventory after = read_inventory_file(options.inventory);
  CHECK(after.find_by_mac(test::sample_report(1, 1).agent_id)->agent->last_counter == 6);
  CHECK(after.find_by_mac(test::sample_report(1, 1).agent_id)->drift->drift_ppm == 77.0);
  CHECK_THAT(serve.log(), Contains("written again after 5 reports were answered 503"));
  CHECK(temporary_files(mount_point).empty());
  WARN(fmt::format("full 1 MiB tmpfs: 5 reports answered 503 ({}), file unchanged, one log line; after freeing "
                   "space the resent report landed",
                   reason.substr(0, reason.size() - 1)));
}
