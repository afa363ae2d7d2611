// bench/collector: many simulated agents posting signed reports concurrently over loopback into a collector
// whose inventory already holds a large fleet, while readers fetch GET /v1/inventory, /metrics, / and
// /v1/audit in a loop. Prints accepted reports/s, latency percentiles of the reports and of each page, fsyncs
// per report, and checks that every acknowledged report is in the file and its journal. The collector runs in
// this process, or (--serve) as a real `pifind serve` child whose own CPU time and peak RSS are printed.
// Exit 1 if any acknowledged report is lost.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/scan_merge.h"
#include "tests/support/process_stats.h"
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

// One reader: GETs `target` on a keep-alive connection, one request every `interval`, until `stop`, recording
// the time from sending the request to having the whole body.
void read_page(std::uint16_t port, std::string target, std::chrono::milliseconds interval, const std::atomic<bool>& stop,
               std::vector<double>& latencies_ms, std::uint64_t& bytes, int& failures) {
  net::io_context io;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  while (!stop) {
    try {
      if (!stream) {
        stream = std::make_unique<beast::tcp_stream>(io);
        stream->connect({net::ip::make_address("127.0.0.1"), port});
      }
      http::request<http::empty_body> request{http::verb::get, target, 11};
      request.set(http::field::host, "127.0.0.1");
      // The body is counted and dropped, through one small buffer: the reader must not cost the agents,
      // who share this process, the CPU of copying 46 MB a request.
      http::response_parser<http::buffer_body> parser;
      parser.body_limit(std::uint64_t{1} << 40);
      const auto sent = Clock::now();
      http::write(*stream, request);
      http::read_header(*stream, buffer, parser);
      static thread_local char sink[64 * 1024];
      std::uint64_t received = 0;
      while (!parser.is_done()) {
        parser.get().body().data = sink;
        parser.get().body().size = sizeof sink;
        beast::error_code ec;
        http::read(*stream, buffer, parser, ec);
        if (ec && ec != http::error::need_buffer) throw beast::system_error(ec);
        received += sizeof sink - parser.get().body().size;
      }
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      bytes = received;
      if (parser.get().result() != http::status::ok) ++failures;
    } catch (const std::exception& e) {
      if (failures++ == 0) std::cerr << "reader " << target << ": " << e.what() << '\n';
      stream.reset();
    }
    std::this_thread::sleep_for(interval);
  }
}

// `pifind serve` as a child process on 127.0.0.1 (an ephemeral port, read from its startup line).
class ServeChild {
 public:
  ServeChild(const std::string& program, const std::filesystem::path& inventory, const std::filesystem::path& key,
             const std::filesystem::path& log) : log_(log) {
    std::vector<std::string> args = {program,           "serve",    "--inventory", inventory.string(),
                                     "--key-file",      key.string(), "--listen",  "127.0.0.1:0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err < 0) ::_exit(126);
      ::dup2(err, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const std::string marker = "pifind serve: http://127.0.0.1:";
    for (int i = 0; i < 6000; ++i) {
      std::error_code ec;
      const std::string text = std::filesystem::exists(log, ec) ? read_whole_file(log) : "";
      if (const auto at = text.find(marker); at != std::string::npos && text.find('\n', at) != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::stoul(text.substr(at + marker.size())));
        return;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) throw std::runtime_error("pifind serve exited: " + text);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error("pifind serve did not start");
  }
  ~ServeChild() { stop(); }
  std::uint16_t port() const { return port_; }
  long peak_rss_kib() const { return test::status_field_kib(pid_, "VmHWM"); }
  double cpu_s() const { return test::cpu_seconds_of(pid_); }
  /// SIGTERM and wait: the collector commits what is queued and folds its journal.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Collector benchmark: simulated agents posting over loopback"};
  int agents = 1000, devices = 10000, reports_per_agent = 40, read_interval_ms = 200;
  std::string dir = "/tmp", serve_program;
  bool readers = true;
  app.add_option("--agents", agents, "Concurrent agents")->capture_default_str();
  app.add_option("--devices", devices, "Devices in the inventory before the run")->capture_default_str();
  // At most the drift history's length, so every acknowledged report stays visible in the file.
  app.add_option("--reports", reports_per_agent, "Reports each agent posts")
      ->check(CLI::Range(1, static_cast<int>(kDriftHistoryLimit)))
      ->capture_default_str();
  app.add_option("--dir", dir, "Directory for the inventory file")->capture_default_str();
  app.add_option("--serve", serve_program, "Run the collector as this pifind binary's `serve` (a child process)");
  app.add_option("--read-interval-ms", read_interval_ms, "Pause between a reader's GETs")->capture_default_str();
  app.add_flag("!--no-readers", readers, "Do not GET /v1/inventory, /metrics, / and /v1/audit while the agents post");
  CLI11_PARSE(app, argc, argv);
  devices = std::max(devices, agents);

  const test::TempDir scratch(dir);
  const std::filesystem::path file = scratch / "fleet.json";
  const FleetKey& key = test::test_fleet_key();

  // The fleet as a scan left it: every device seen once; the first `agents` of them will report.
  std::vector<ScanSighting> sightings;
  for (int i = 0; i < devices; ++i)
    sightings.push_back({device_mac(i), Ipv4Address(0x0a000000u + static_cast<std::uint32_t>(i)), "Raspberry Pi Trading Ltd",
                         true, std::chrono::system_clock::now(), "", std::nullopt, ""});
  merge_scan_into_inventory(file, sightings, "eth0");

  std::vector<std::vector<SignedReport>> reports(static_cast<std::size_t>(agents));
  for (int a = 0; a < agents; ++a)
    for (int k = 1; k <= reports_per_agent; ++k) reports[static_cast<std::size_t>(a)].push_back(make_report(key, a, k));

  // The collector: in this process, or a `pifind serve` child.
  std::unique_ptr<Collector> collector;
  std::unique_ptr<CollectorRoutes> routes;
  std::unique_ptr<HttpServer> server;
  net::io_context server_io;
  std::thread server_thread;
  std::unique_ptr<ServeChild> child;
  std::uint16_t port = 0;
  double child_cpu_start_s = 0;
  if (serve_program.empty()) {
    collector = std::make_unique<Collector>(file, key);
    routes = std::make_unique<CollectorRoutes>(*collector, RouteOptions{});
    server = std::make_unique<HttpServer>(server_io, net::ip::tcp::endpoint{net::ip::make_address("127.0.0.1"), 0},
                                          routes->handler());
    collector->start();
    server->start();
    server_thread = std::thread([&] { server_io.run(); });
    port = server->port();
  } else {
    write_file_atomically(scratch / "fleet.key", key.secret() + "\n", 0600);
    child = std::make_unique<ServeChild>(serve_program, file, scratch / "fleet.key", scratch / "serve.log");
    port = child->port();
    child_cpu_start_s = child->cpu_s();
  }

  net::io_context client_io;
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(agents));
  std::vector<std::vector<int>> acked(static_cast<std::size_t>(agents));
  std::vector<std::shared_ptr<Agent>> clients;
  const net::ip::tcp::endpoint endpoint{net::ip::make_address("127.0.0.1"), port};
  for (int a = 0; a < agents; ++a) {
    const auto i = static_cast<std::size_t>(a);
    clients.push_back(std::make_shared<Agent>(client_io, endpoint, &reports[i], &latencies[i], &acked[i]));
  }
  const std::vector<std::string> pages = {"/v1/inventory", "/metrics", "/", "/v1/audit"};
  std::atomic<bool> stop_readers{false};
  std::vector<std::vector<double>> page_latencies(pages.size());
  std::vector<std::uint64_t> page_bytes(pages.size(), 0);
  std::vector<int> page_failures(pages.size(), 0);
  std::vector<std::thread> reader_threads;
  const auto start = Clock::now();
  const double cpu_start_s = cpu_seconds();
  if (readers)
    for (std::size_t p = 0; p < pages.size(); ++p)
      reader_threads.emplace_back(read_page, port, pages[p], std::chrono::milliseconds(read_interval_ms),
                                  std::cref(stop_readers), std::ref(page_latencies[p]), std::ref(page_bytes[p]),
                                  std::ref(page_failures[p]));
  for (auto& c : clients) c->start();
  client_io.run();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_used_s = cpu_seconds() - cpu_start_s;
  stop_readers = true;
  for (auto& t : reader_threads) t.join();

  CollectorStats stats;
  double collector_cpu_s = 0;
  long collector_peak_kib = 0;
  if (child) {
    collector_cpu_s = child->cpu_s() - child_cpu_start_s;
    collector_peak_kib = child->peak_rss_kib();
    child->stop();
  } else {
    server->stop();
    stats = collector->stats();
    collector->stop();
    server_io.stop();
    server_thread.join();
  }

  // Every acknowledged report must be in the file and its journal: the agent's latest counter, and its drift
  // in the history.
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
  fmt::print("collector bench: {} agents x {} reports into an inventory of {} devices ({:.1f} MB), collector {}\n",
             agents, reports_per_agent, inventory.size(), static_cast<double>(std::filesystem::file_size(file)) / 1e6,
             child ? serve_program : std::string("in this process"));
  fmt::print("  accepted reports/s   {:.0f}  ({} acknowledged in {:.2f} s, {} failed)\n",
             static_cast<double>(acknowledged) / elapsed_s, acknowledged, elapsed_s, failures);
  if (child) {
    fmt::print("  collector CPU        {:.0f} us per report ({:.2f} s); peak RSS {:.0f} MiB\n",
               acknowledged ? collector_cpu_s / static_cast<double>(acknowledged) * 1e6 : 0.0, collector_cpu_s,
               static_cast<double>(collector_peak_kib) / 1024.0);
  } else {
    // The agents run in this process too, so this CPU covers both ends; on a shared machine it tells what the
    // wall-clock rate would be with the cores to ourselves.
    fmt::print("  CPU per report       {:.0f} us (agents, readers and collector together; {:.0f} reports per CPU-second)\n",
               acknowledged ? cpu_used_s / static_cast<double>(acknowledged) * 1e6 : 0.0,
               cpu_used_s > 0 ? static_cast<double>(acknowledged) / cpu_used_s : 0.0);
  }
  fmt::print("  latency p50 / p99    {:.1f} ms / {:.1f} ms\n", percentile(all_latencies, 0.50),
             percentile(all_latencies, 0.99));
  for (std::size_t p = 0; p < pages.size() && readers; ++p)
    fmt::print("  GET {:<16} p50 / p99 / max {:.1f} / {:.1f} / {:.1f} ms ({} requests of {:.1f} MB, {} failed)\n",
               pages[p], percentile(page_latencies[p], 0.50), percentile(page_latencies[p], 0.99),
               percentile(page_latencies[p], 1.0), page_latencies[p].size(), static_cast<double>(page_bytes[p]) / 1e6,
               page_failures[p]);
  if (!child) {
    fmt::print("  commits              {} ({:.1f} reports per commit), {} compactions\n", stats.commits,
               stats.commits ? static_cast<double>(stats.reports_accepted) / static_cast<double>(stats.commits) : 0.0,
               stats.compactions);
    fmt::print("  fsyncs per report    {:.4f}\n",
               stats.reports_accepted ? static_cast<double>(stats.fsyncs) / static_cast<double>(stats.reports_accepted)
                                      : 0.0);
  }
  fmt::print("  acknowledged lost    {}\n", lost);
  return lost == 0 && failures == 0 ? 0 : 1;
}
