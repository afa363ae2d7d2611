// A collector outage of six hours (issue 6), in simulated time, against the real collector (pifind serve's
// Collector and HttpServer on 127.0.0.1): the agent keeps measuring and spooling, the spool keeps its
// bound by dropping the oldest (logged and counted), survives an agent restart, and drains in counter
// order, each report exactly once, when the collector is back.
#include <algorithm>
#include <thread>

#include "inventory/core/asio.h"  // before anything that includes Asio

#include <catch2/catch.hpp>

#include "agent/drift_monitor.h"
#include "inventory/transport/http_sender.h"
#include "agent/reporter.h"
#include "agent/sample_schedule.h"
#include "agent/simulation.h"
#include "agent_test_support.h"
#include "inventory/collector/collector.h"
#include "inventory/collector/collector_routes.h"
#include "inventory/collector/http_server.h"
#include "inventory/outputs/audit.h"
#include "tests/support/sample_report.h"

using namespace pifind;
using namespace pifind::agent;
using namespace pifind::test;

namespace {

namespace asio = boost::asio;
const std::string kSecret = "outage test fleet key, 32 bytes+";
const MacAddress kAgentMac = *MacAddress::parse("b8:27:eb:0a:61:01");

// pifind serve's collector on 127.0.0.1:`port`, storing into `file`.
class RealCollector {
 public:
  RealCollector(const std::filesystem::path& file, std::uint16_t port)
      : collector_(file, FleetKey::from_secret(kSecret)),
        routes_(collector_, RouteOptions{}),
        server_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), routes_.handler(),
                HttpLimits{}, nullptr) {
    collector_.start();
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RealCollector() {
    server_.stop();
    collector_.stop();
    io_.stop();
    thread_.join();
  }
  Collector& collector() { return collector_; }

 private:
  Collector collector_;
  asio::io_context io_;
  CollectorRoutes routes_;
  HttpServer server_;
  std::thread thread_;
};

// What the agent posted, in order, and what it heard back.
class RecordingSender final : public ReportSender {
 public:
  explicit RecordingSender(std::uint16_t port)
      : inner_(ServerUrl::parse("http://127.0.0.1:" + std::to_string(port)), std::nullopt, std::chrono::seconds(5)) {}
  PostResult post(const SignedReport& report) override {
    auto r = inner_.post(report);
    posts.push_back({report.counter, r.status});
    return r;
  }
  std::vector<std::pair<std::uint64_t, int>> posts;

 private:
  BeastSender inner_;
};

// A port nothing listens on now (bound, then closed); the collector comes back on it later.
std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// One agent process: the drift monitor and the reporter on the shared state directory.
struct AgentProcess {
  AgentProcess(SimulatedClock& clock, SimulatedRtcOpener& opener, const std::filesystem::path& state,
               std::uint16_t port, std::size_t spool_max)
      : clock(clock), monitor(clock, opener, "rtc0", "boot-1", state), schedule(clock, monitor, {}) {
    auto s = std::make_unique<RecordingSender>(port);
    sender = s.get();
    reporter = std::make_unique<Reporter>(FleetKey::from_secret(kSecret), state, std::move(s), spool_max);
    CHECK(monitor.load().empty());
  }

  // The agent's loop for `reports` report intervals of 300 s: an RTC sample every 2 s, then a report.
  std::vector<std::string> run(int reports) {
    std::vector<std::string> log;
    for (int i = 0; i < reports; ++i) {
      schedule.run_for(300);
      for (auto& line : reporter->submit(report())) log.push_back(std::move(line));
    }
    monitor.save();
    return log;
  }

  AgentReport report() const {
    AgentReport r = test::minimal_report(kAgentMac, 0, "pi-outage", "");
    r.generated_unix_s = static_cast<double>(clock.realtime_ns()) * 1e-9;
    r.drift = monitor.estimates();
    return r;
  }

  SimulatedClock& clock;
  DriftMonitor monitor;
  SampleSchedule schedule;  // the agent's own, an RTC edge every 2 s
  RecordingSender* sender = nullptr;
  std::unique_ptr<Reporter> reporter;
};

std::int64_t count_containing(const std::vector<std::string>& log, const std::string& text) {
  return std::count_if(log.begin(), log.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("six hours without the collector: bounded spool, agent restart, ordered exactly-once drain") {
  TempDir dir;
  const auto state = dir.path() / "state";
  const std::uint16_t port = free_port();
  SimulationConfig config;
  config.system_drift = {{0, 12.0}};
  SimulatedWorld world(config);
  SimulatedClock clock(world);
  SimulatedRtcOpener opener(world);
  constexpr std::size_t kSpoolMax = 48;

  // Hours 0-3: every report is spooled; 36 fit.
  {
    AgentProcess agent(clock, opener, state, port, kSpoolMax);
    const auto log = agent.run(36);
    CHECK(count_containing(log, "collector unreachable") == 36);
    CHECK(count_containing(log, "spool full") == 0);
    CHECK(agent.reporter->spool().queued().size() == 36);
    CHECK(agent.sender->posts.size() == 36);  // one attempt per report, each refused at connect
    for (const auto& [counter, status] : agent.sender->posts) CHECK(status == 0);
  }  // the agent restarts (an upgrade, a reboot of the service)

  // Hours 3-6: the spool survived the restart; from report 49 on, the oldest go, one per report.
  {
    AgentProcess agent(clock, opener, state, port, kSpoolMax);
    CHECK(agent.reporter->spool().queued().size() == 36);
    CHECK(agent.reporter->last_counter() == 36);
    const auto log = agent.run(36);
    CHECK(count_containing(log, "collector unreachable") == 36);
    CHECK(count_containing(log, "spool full (48 reports") == 24);
    CHECK(count_containing(log, "dropped the oldest, report(s) 1; 1 dropped in total") == 1);
    CHECK(count_containing(log, "dropped the oldest, report(s) 24; 24 dropped in total") == 1);
    const auto queued = agent.reporter->spool().queued();
    REQUIRE(queued.size() == kSpoolMax);
    CHECK(queued.front() == 25);
    CHECK(queued.back() == 72);
    CHECK(agent.reporter->spool().dropped_total() == 24);

    // Measuring went on all along: the newest spooled report has hours more samples than the oldest.
    Spool spool(state / "spool", kSpoolMax);
    const auto oldest = parse_report(spool.read(25)->body);
    const auto newest = parse_report(spool.read(72)->body);
    REQUIRE(!oldest.drift.empty());
    REQUIRE(!newest.drift.empty());
    CHECK(newest.drift[0].window_s > oldest.drift[0].window_s + 14000);  // 47 reports of 300 s later
    CHECK(newest.drift[0].status == DriftStatus::kOk);
    REQUIRE(newest.drift[0].ppm);
    CHECK(*newest.drift[0].ppm == Approx(12.0).margin(0.05));
    CHECK(newest.spool.dropped_total == 23);  // made before report 24 went
    CHECK(newest.spool.queued == 48);
  }

  // The collector is back on the same address; the agent (restarted again) sends its next report.
  RealCollector collector(dir.path() / "fleet.json", port);
  AgentProcess agent(clock, opener, state, port, kSpoolMax);
  const auto log = agent.run(1);
  // Report 73 is spooled before the drain, so the bound drops report 25 first: 48 go out.
  CHECK(count_containing(log, "dropped the oldest, report(s) 25; 25 dropped in total") == 1);
  CHECK(count_containing(log, "delivered 48 report(s), last counter 73") == 1);
  std::vector<std::uint64_t> posted;
  for (const auto& [counter, status] : agent.sender->posts) {
    posted.push_back(counter);
    CHECK(status == 204);
  }
  std::vector<std::uint64_t> expected;
  for (std::uint64_t c = 26; c <= 73; ++c) expected.push_back(c);
  CHECK(posted == expected);  // counter order, each once
  CHECK(agent.reporter->spool().queued().empty());
  const auto stats = collector.collector().stats();
  CHECK(stats.reports_accepted == 48);
  CHECK(stats.refused[static_cast<std::size_t>(Refusal::kReplay)] == 0);
  CHECK(stats.refused[static_cast<std::size_t>(Refusal::kInvalid)] == 0);
  {
    const auto snapshot = collector.collector().snapshot();
    const auto* record = find_record(snapshot->records, kAgentMac);
    REQUIRE(record);
    REQUIRE(record->agent);
    CHECK(record->agent->last_counter == 73);
    REQUIRE(record->drift);
  }

  // A restart after the drain re-sends nothing.
  AgentProcess again(clock, opener, state, port, kSpoolMax);
  const auto d = again.reporter->flush();
  CHECK(d.delivered == 0);
  CHECK(again.sender->posts.empty());
  CHECK(collector.collector().stats().reports_accepted == 48);
}
