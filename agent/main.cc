// pifind-agent: reports this Pi's identity, RTC, clocksource, time discipline and measured oscillator
// drift to the pifind collector, signed. See pifind-agent(8).
#include <signal.h>

#include <atomic>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "agent/agent_loop.h"
#include "agent/analyze.h"
#include "inventory/core/error.h"
#include "inventory/core/version.h"

namespace {

using namespace pifind;
using namespace pifind::agent;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

void log_line(const std::string& line) { std::cerr << "pifind-agent: " << line << '\n'; }

}  // namespace

int main(int argc, char** argv) {
  AgentOptions o;
  bool once = false;
  CLI::App app{"pifind-agent: report this Pi's RTC, clocksource and measured clock drift to the pifind collector"};
  app.set_version_flag("-V,--version", std::string(kPifindVersion));
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
  app.add_flag("--once", once, "send one report and exit (1 if it could only be spooled)");

  auto* facts = app.add_subcommand("facts", "print the report as JSON and exit");
  auto* key = app.add_subcommand("key", "print this device's public key (made on first use) for `pifind keys approve`");
  std::string log_file;
  bool analyze_json = false;
  auto* analyze = app.add_subcommand("analyze", "estimate drift from an adjtimex --compare log (the seed's format)");
  analyze->add_option("FILE", log_file, "the log")->required();
  analyze->add_flag("--json", analyze_json, "print the estimate as JSON");
  facts->fallthrough();
  key->fallthrough();
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
    AgentHardware hardware(o);
    AgentLoop agent(o, hardware, g_stop, log_line);
    if (*key) {
      const DevicePublicKey public_key = agent.device_key();
      std::cout << public_key.to_string() << ' ' << public_key.fingerprint() << '\n';
      return 0;
    }
    if (*facts) {
      agent.start_monitor(false);
      agent.measure(o.measure_s);
      std::cout << to_json(agent.report()).dump(2) << '\n';
      return 0;
    }
    return agent.run(once);
  } catch (const Error& e) {
    log_line(e.what());
    return 2;
  } catch (const std::exception& e) {
    log_line(std::string("unexpected error: ") + e.what());
    return 2;
  }
}
