// pifind-agent: reports this Pi's identity, RTC, clocksource, time discipline and measured oscillator
// drift to the pifind collector, signed. See pifind-agent(8).
#include <signal.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/analyze.h"
#include "agent/clock.h"
#include "agent/drift_monitor.h"
#include "agent/edge_sampler.h"
#include "agent/facts.h"
#include "agent/http_sender.h"
#include "agent/reporter.h"
#include "agent/rtc_device.h"
#include "agent/simulated_pi.h"
#include "agent/sntp.h"
#include "agent/sysroot.h"
#include "agent/time_discipline.h"
#include "inventory/error.h"
#include "inventory/report_atomic_file.h"

namespace {

using namespace pifind;
using namespace pifind::agent;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

struct Options {
  std::string sysroot = "/";
  std::string state_dir;
  std::string server;
  std::string key_file;
  std::string ca_file;
  std::string ntp_server;
  std::string simulate;
  double interval_s = 300;
  double sample_interval_s = 2;
  double ntp_interval_s = 64;
  double measure_s = 0;
  std::size_t spool_max = 256;
  std::size_t max_samples = 2048;
  bool once = false;
};

void log_line(const std::string& line) { std::cerr << "pifind-agent: " << line << '\n'; }

std::string default_state_dir() {
  if (const char* d = std::getenv("STATE_DIRECTORY"); d != nullptr && *d != '\0') {
    std::string dir = d;
    return dir.substr(0, dir.find(':'));  // systemd lists several separated by ':'
  }
  return "/var/lib/pifind-agent";
}

std::pair<std::string, std::string> split_host_port(const std::string& text) {
  if (text.starts_with("[")) {
    const auto close = text.find(']');
    if (close == std::string::npos) throw Error("--ntp-server has an unclosed '['");
    const std::string port = close + 2 <= text.size() && text[close + 1] == ':' ? text.substr(close + 2) : "123";
    return {text.substr(1, close - 1), port};
  }
  const auto colon = text.find(':');
  if (colon != std::string::npos && text.find(':', colon + 1) == std::string::npos)
    return {text.substr(0, colon), text.substr(colon + 1)};
  return {text, "123"};
}

// The clock and RTCs the agent measures: the real ones, or a simulated Pi with --simulate.
class Hardware {
 public:
  explicit Hardware(const Options& o) : linux_rtc_(Sysroot(o.sysroot).path("/dev").string()) {
    if (!o.simulate.empty()) simulated_ = std::make_unique<SimulatedPi>(parse_simulation_spec(o.simulate));
  }
  Clock& clock() { return simulated_ ? simulated_->clock() : system_clock_; }
  RtcOpener& rtc_opener() { return simulated_ ? simulated_->rtc_opener() : static_cast<RtcOpener&>(linux_rtc_); }

 private:
  SystemClock system_clock_;
  LinuxRtcOpener linux_rtc_;
  std::unique_ptr<SimulatedPi> simulated_;
};

// Everything one running agent needs, wired to the real system (or a sysroot for the files).
class Agent {
 public:
  Agent(const Options& o, Hardware& hardware)
      : options_(o),
        clock_(hardware.clock()),
        root_(o.sysroot),
        opener_(hardware.rtc_opener()),
        facts_{root_, clock_, opener_, kernel_},
        state_dir_(o.state_dir.empty() ? default_state_dir() : o.state_dir) {}

  AgentReport facts() const { return gather_facts(facts_); }

  void start_monitor(bool persistent) {
    persistent_ = persistent;
    const auto report = facts();
    std::string rtc;
    for (const auto& d : report.rtc.devices)
      if (rtc.empty() || (d.hctosys.value_or(false) && !rtc_hctosys_)) {
        rtc = d.device;
        rtc_hctosys_ = d.hctosys.value_or(false);
      }
    DriftMonitor::NtpQuery query;
    std::string ntp_name;
    if (!options_.ntp_server.empty()) {
      const auto [host, port] = split_host_port(options_.ntp_server);
      ntp_name = "ntp:" + host;
      query = [this, host = host, port = port] { return query_sntp(host, port, clock_); };
    }
    monitor_ = std::make_unique<DriftMonitor>(clock_, opener_, rtc, report.identity.boot_id, state_dir_, ntp_name,
                                              query, options_.max_samples);
    if (std::filesystem::exists(state_dir_))
      for (const auto& p : monitor_->load()) log_line(p);
  }

  /// Samples for `seconds` (RTC every sample interval, NTP every NTP interval), sleeping in between.
  void measure(double seconds) {
    const std::int64_t end = clock_.monotonic_raw_ns() + static_cast<std::int64_t>(seconds * 1e9);
    while (!g_stop && clock_.monotonic_raw_ns() < end) step(end);
  }

  AgentReport report() const {
    AgentReport r = facts();
    if (monitor_) {
      r.drift = monitor_->estimates();
      if (const auto offset = monitor_->rtc_minus_system_s())
        for (auto& d : r.rtc.devices)
          if (d.readable) {
            d.rtc_minus_system_s = *offset;
            break;
          }
    }
    return r;
  }

  int run(bool once) {
    if (options_.key_file.empty()) throw Error("--key-file is required to send reports");
    if (options_.server.empty()) throw Error("--server is required to send reports");
    std::filesystem::create_directories(state_dir_);
    Reporter reporter(FleetKey::load(options_.key_file), state_dir_,
                      std::make_unique<BeastSender>(ServerUrl::parse(options_.server),
                                                    options_.ca_file.empty()
                                                        ? std::nullopt
                                                        : std::optional<std::filesystem::path>(options_.ca_file)),
                      options_.spool_max);
    start_monitor(true);
    if (once) {
      measure(options_.measure_s);
      save();
      for (const auto& line : reporter.submit(report())) log_line(line);
      return reporter.spool().queued().empty() ? 0 : 1;
    }
    const auto interval_ns = static_cast<std::int64_t>(options_.interval_s * 1e9);
    while (!g_stop) {
      const std::int64_t next_report = clock_.monotonic_raw_ns() + interval_ns;
      while (!g_stop && clock_.monotonic_raw_ns() < next_report) step(next_report);
      if (g_stop) break;  // stopping: no half-interval report; the samples are saved below
      // Samples reach the SD card every 15 minutes, not every report: a crash loses little, the card
      // is spared ~100 KB per report.
      if (clock_.monotonic_raw_ns() - last_save_ns_ >= kSaveEveryNs) save();
      try {
        for (const auto& line : reporter.submit(report())) log_line(line);
      } catch (const std::exception& e) {  // one bad report, whatever threw, must not stop the daemon
        log_line(e.what());
      }
    }
    save();
    return 0;
  }

 private:
  // One scheduling step: take whatever sample is due, then sleep until the next thing (at most `until`).
  void step(std::int64_t until) {
    const std::int64_t now = clock_.monotonic_raw_ns();
    if (now >= next_rtc_) {
      if (auto problem = monitor_->sample_rtc()) log_once(*problem);
      next_rtc_ = clock_.monotonic_raw_ns() + static_cast<std::int64_t>(options_.sample_interval_s * 1e9) - kWakeEarlyNs;
    }
    if (!options_.ntp_server.empty() && now >= next_ntp_) {
      if (auto problem = monitor_->sample_ntp()) log_once(*problem);
      next_ntp_ = now + static_cast<std::int64_t>(options_.ntp_interval_s * 1e9);
    }
    std::int64_t wake = std::min(until, next_rtc_);
    if (!options_.ntp_server.empty()) wake = std::min(wake, next_ntp_);
    clock_.sleep_for_ns(wake - clock_.monotonic_raw_ns());
  }

  // Repeated problems (a busy RTC every 2 s) are logged when they change, not every time.
  void log_once(const std::string& line) {
    if (line != last_logged_) log_line(line);
    last_logged_ = line;
  }

  void save() {
    last_save_ns_ = clock_.monotonic_raw_ns();
    if (!persistent_ || !monitor_) return;
    try {
      monitor_->save();
    } catch (const std::exception& e) {  // a full card loses samples, not the agent
      log_line(e.what());
    }
  }

  Options options_;
  Clock& clock_;
  Sysroot root_;
  RtcOpener& opener_;
  LinuxKernelTimeSource kernel_;
  FactsSources facts_;
  std::filesystem::path state_dir_;
  std::unique_ptr<DriftMonitor> monitor_;
  bool rtc_hctosys_ = false;
  bool persistent_ = false;
  static constexpr std::int64_t kSaveEveryNs = 900 * kNsPerS;
  std::int64_t last_save_ns_ = 0;
  std::int64_t next_rtc_ = 0;
  std::int64_t next_ntp_ = 0;
  std::string last_logged_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"pifind-agent: report this Pi's RTC, clocksource and measured clock drift to the pifind collector"};
  app.set_version_flag("-V,--version", std::string("pifind ") + kAgentVersion);
  app.add_option("--server", o.server, "collector URL, http://host:port or https://host:port");
  app.add_option("--key-file", o.key_file, "fleet key file (mode 0600 or stricter)");
  app.add_option("--ca-file", o.ca_file, "PEM CA certificates to trust for https instead of the system's");
  app.add_option("--state-dir", o.state_dir, "where counter, samples and spool live ($STATE_DIRECTORY or /var/lib/pifind-agent)");
  app.add_option("--sysroot", o.sysroot, "read /sys, /proc, /etc, /var and /dev below DIR (tests, offline images)");
  app.add_option("--interval", o.interval_s, "seconds between reports")->check(CLI::Range(10.0, 86400.0));
  app.add_option("--sample-interval", o.sample_interval_s, "seconds between RTC edge samples")
      ->check(CLI::Range(1.0, 3600.0));
  app.add_option("--ntp-server", o.ntp_server, "also measure against this SNTP server (host or host:port)");
  app.add_option("--ntp-interval", o.ntp_interval_s, "seconds between SNTP exchanges")->check(CLI::Range(16.0, 86400.0));
  app.add_option("--measure", o.measure_s, "with --once or facts: sample for this many seconds first")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--spool-max", o.spool_max, "reports kept while the collector is unreachable")
      ->check(CLI::Range(1, 100000));
  app.add_option("--max-samples", o.max_samples, "samples kept per reference (older ones thinned)")
      ->check(CLI::Range(16, 1000000));
  app.add_option("--simulate", o.simulate,
                 "measure a simulated Pi instead of this machine's clocks (demos, tests): "
                 "drift=PPM,drift@SECONDS=PPM,rtc=PPM,speed=N,seed=N; see pifind-agent(8)");
  app.add_flag("--once", o.once, "send one report and exit (1 if it could only be spooled)");

  auto* facts = app.add_subcommand("facts", "print the report as JSON and exit");
  std::string log_file;
  bool analyze_json = false;
  auto* analyze = app.add_subcommand("analyze", "estimate drift from an adjtimex --compare log (the seed's format)");
  analyze->add_option("FILE", log_file, "the log")->required();
  analyze->add_flag("--json", analyze_json, "print the estimate as JSON");
  facts->fallthrough();
  analyze->fallthrough();
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: a sleeping agent wakes up and saves its state
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  try {
    if (*analyze) return run_analyze(log_file, analyze_json, std::cout);
    Hardware hardware(o);
    Agent agent(o, hardware);
    if (*facts) {
      agent.start_monitor(false);
      agent.measure(o.measure_s);
      std::cout << to_json(agent.report()).dump(2) << '\n';
      return 0;
    }
    return agent.run(o.once);
  } catch (const Error& e) {
    log_line(e.what());
    return 2;
  } catch (const std::exception& e) {
    log_line(std::string("unexpected error: ") + e.what());
    return 2;
  }
}
