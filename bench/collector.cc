// bench/collector: many simulated agents posting signed reports concurrently over loopback into a collector
// whose inventory already holds a large fleet. Prints accepted reports/s, latency percentiles, fsyncs per
// report, and checks that every acknowledged report is in the file. Exit 1 if any acknowledged report is lost.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "inventory/collector/collector.h"
#include "inventory/collector/collector_routes.h"
#include "inventory/collector/http_server.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/scan_merge.h"
#include "tests/support/sample_report.h"
#include "tests/support/temp_dir.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;
using namespace pifind;

namespace {

struct SignedReport {
  std::string body, agent, counter, signature;
  double drift_ppm = 0;
};

MacAddress device_mac(int i) { return MacAddress::from_u64(0xdca632000000ULL + static_cast<std::uint64_t>(i)); }

// Report k (1-based) of agent a: its drift encodes (a, k) so the file check can find every one.
SignedReport make_report(const FleetKey& key, int a, int k) {
  const AgentReport r =
      test::pi_report(device_mac(a), static_cast<std::uint64_t>(k), fmt::format("bench{}", a),
                      fmt::format("10.{}.{}.{}/8", a / 65536, (a / 256) % 256, a % 256), a * 0.001 + k, 0.1);
  SignedReport s;
  s.body = to_body(r);
  const SignedHeaders headers = test::signed_headers_for(r, s.body, key);
  s.agent = headers.agent;
  s.counter = headers.counter;
  s.signature = headers.signature;
  s.drift_ppm = *r.drift[0].ppm;
  return s;
}

// One agent: a keep-alive connection posting its reports one after another, recording each latency.
class Agent : public std::enable_shared_from_this<Agent> {
 public:
  Agent(net::io_context& io, net::ip::tcp::endpoint server, const std::vector<SignedReport>* reports,
        std::vector<double>* latencies_ms, std::vector<int>* acked)
      : stream_(io), server_(server), reports_(reports), latencies_ms_(latencies_ms), acked_(acked) {}

  void start() {
    stream_.expires_after(std::chrono::seconds(60));
    stream_.async_connect(server_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("connect", ec);
      self->post_next();
    });
  }
  int failures() const { return failures_; }

 private:
  void post_next() {
    if (next_ >= reports_->size()) {
      beast::error_code ignored;
      stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
      return;
    }
    const auto& r = (*reports_)[next_];
    request_ = {http::verb::post, "/v1/reports", 11};
    request_.set(http::field::host, "127.0.0.1");
    request_.set(http::field::content_type, "application/json");
    request_.set("X-Pifind-Agent", r.agent);
    request_.set("X-Pifind-Counter", r.counter);
    request_.set("X-Pifind-Signature", r.signature);
    request_.body() = r.body;
    request_.prepare_payload();
    sent_at_ = Clock::now();
    stream_.expires_after(std::chrono::seconds(60));
    http::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail("write", ec);
      self->response_ = {};
      http::async_read(self->stream_, self->buffer_, self->response_,
                       [self](beast::error_code ec2, std::size_t) { self->on_response(ec2); });
    });
  }

  void on_response(beast::error_code ec) {
    if (ec) return fail("read", ec);
    latencies_ms_->push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent_at_).count());
    if (response_.result() == http::status::no_content)
      acked_->push_back(static_cast<int>(next_));
    else
      ++failures_;
    ++next_;
    post_next();
  }

  void fail(const char* what, beast::error_code ec) {
    ++failures_;
    std::cerr << "agent: " << what << ": " << ec.message() << '\n';
  }

  beast::tcp_stream stream_;
  net::ip::tcp::endpoint server_;
  const std::vector<SignedReport>* reports_;
  std::vector<double>* latencies_ms_;
  std::vector<int>* acked_;
  std::size_t next_ = 0;
  int failures_ = 0;
  Clock::time_point sent_at_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  beast::flat_buffer buffer_;
};

// User + system CPU seconds this process has used so far (all threads: agents, server, writer).
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Collector benchmark: simulated agents posting over loopback"};
  int agents = 1000, devices = 10000, reports_per_agent = 40;
  std::string dir = "/tmp";
  app.add_option("--agents", agents, "Concurrent agents")->capture_default_str();
  app.add_option("--devices", devices, "Devices in the inventory before the run")->capture_default_str();
  // At most the drift history's length, so every acknowledged report stays visible in the file.
  app.add_option("--reports", reports_per_agent, "Reports each agent posts")
      ->check(CLI::Range(1, static_cast<int>(kDriftHistoryLimit)))
      ->capture_default_str();
  app.add_option("--dir", dir, "Directory for the inventory file")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  devices = std::max(devices, agents);

  const test::TempDir scratch(dir);
  const std::filesystem::path file = scratch / "fleet.json";
  const FleetKey& key = test::test_fleet_key();

  // The fleet as a scan left it: every device seen once; the first `agents` of them will report.
  std::vector<ScanSighting> sightings;
  for (int i = 0; i < devices; ++i)
    sightings.push_back({device_mac(i), Ipv4Address(0x0a000000u + static_cast<std::uint32_t>(i)), "Raspberry Pi Trading Ltd",
                         true, std::chrono::system_clock::now()});
  merge_scan_into_inventory(file, sightings, "eth0");

  std::vector<std::vector<SignedReport>> reports(static_cast<std::size_t>(agents));
  for (int a = 0; a < agents; ++a)
    for (int k = 1; k <= reports_per_agent; ++k) reports[static_cast<std::size_t>(a)].push_back(make_report(key, a, k));

  Collector collector(file, key);
  net::io_context server_io;
  HttpServer server(server_io, {net::ip::make_address("127.0.0.1"), 0}, make_collector_handler(collector, {}));
  collector.start();
  server.start();
  std::thread server_thread([&] { server_io.run(); });

  net::io_context client_io;
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(agents));
  std::vector<std::vector<int>> acked(static_cast<std::size_t>(agents));
  std::vector<std::shared_ptr<Agent>> clients;
  const net::ip::tcp::endpoint endpoint{net::ip::make_address("127.0.0.1"), server.port()};
  for (int a = 0; a < agents; ++a) {
    const auto i = static_cast<std::size_t>(a);
    clients.push_back(std::make_shared<Agent>(client_io, endpoint, &reports[i], &latencies[i], &acked[i]));
  }
  const auto start = Clock::now();
  const double cpu_start_s = cpu_seconds();
  for (auto& c : clients) c->start();
  client_io.run();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_used_s = cpu_seconds() - cpu_start_s;

  server.stop();
  collector.stop();
  server_io.stop();
  server_thread.join();

  // Every acknowledged report must be in the file: the agent's latest counter, and its drift in the history.
  const Inventory inventory = read_inventory_file(file);
  std::size_t acknowledged = 0, lost = 0, failures = 0;
  std::vector<double> all_latencies;
  for (int a = 0; a < agents; ++a) {
    const auto i = static_cast<std::size_t>(a);
    failures += static_cast<std::size_t>(clients[i]->failures());
    all_latencies.insert(all_latencies.end(), latencies[i].begin(), latencies[i].end());
    const InventoryRecord* record = inventory.find_by_mac(device_mac(a));
    for (const int k : acked[i]) {
      ++acknowledged;
      const double drift = reports[i][static_cast<std::size_t>(k)].drift_ppm;
      const bool present = record && record->agent && record->agent->last_counter >= static_cast<std::uint64_t>(k + 1) &&
                           std::any_of(record->drift_history.begin(), record->drift_history.end(),
                                       [&](const DriftSample& s) { return s.drift_ppm == drift; });
      if (!present) ++lost;
    }
  }
  const CollectorStats stats = collector.stats();
  fmt::print("collector bench: {} agents x {} reports into an inventory of {} devices ({:.1f} MB)\n", agents,
             reports_per_agent, inventory.size(), static_cast<double>(std::filesystem::file_size(file)) / 1e6);
  fmt::print("  accepted reports/s   {:.0f}  ({} acknowledged in {:.2f} s, {} failed)\n",
             static_cast<double>(acknowledged) / elapsed_s, acknowledged, elapsed_s, failures);
  // The agents run in this process too, so this CPU covers both ends; on a shared machine it tells what the
  // wall-clock rate would be with the cores to ourselves.
  fmt::print("  CPU per report       {:.0f} us (agents and collector together; {:.0f} reports per CPU-second)\n",
             acknowledged ? cpu_used_s / static_cast<double>(acknowledged) * 1e6 : 0.0,
             cpu_used_s > 0 ? static_cast<double>(acknowledged) / cpu_used_s : 0.0);
  fmt::print("  latency p50 / p99    {:.1f} ms / {:.1f} ms\n", percentile(all_latencies, 0.50),
             percentile(all_latencies, 0.99));
  fmt::print("  commits              {} ({:.1f} reports per commit)\n", stats.commits,
             stats.commits ? static_cast<double>(stats.reports_accepted) / static_cast<double>(stats.commits) : 0.0);
  fmt::print("  fsyncs per report    {:.4f}\n",
             stats.reports_accepted ? static_cast<double>(stats.fsyncs) / static_cast<double>(stats.reports_accepted) : 0.0);
  fmt::print("  acknowledged lost    {}\n", lost);
  return lost == 0 && failures == 0 ? 0 : 1;
}
