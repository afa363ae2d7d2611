#include "agent/agent_loop.h"

#include <cstdlib>

#include "inventory/transport/device_key_file.h"
#include "inventory/transport/http_sender.h"
#include "agent/reporter.h"
#include "agent/sntp.h"
#include "inventory/core/error.h"
#include "inventory/core/host_port.h"

namespace pifind::agent {
namespace {

// Samples reach the SD card every 15 minutes, not every report: a crash loses little, the card is spared
// ~100 KB per report.
constexpr std::int64_t kSaveEveryNs = 900 * kNsPerS;

std::filesystem::path default_state_dir() {
  if (const char* d = std::getenv("STATE_DIRECTORY"); d != nullptr && *d != '\0') {
    const std::string dirs = d;
    return dirs.substr(0, dirs.find(':'));  // systemd lists several separated by ':'
  }
  return "/var/lib/pifind-agent";
}

}  // namespace

AgentHardware::AgentHardware(const AgentOptions& options)
    : linux_rtc_(Sysroot(options.sysroot)) {
  if (!options.simulate.empty()) simulated_ = std::make_unique<SimulatedPi>(parse_simulation_spec(options.simulate));
}

AgentLoop::AgentLoop(const AgentOptions& options, AgentHardware& hardware, const std::atomic<bool>& stop,
                     std::function<void(const std::string&)> log)
    : options_(options),
      clock_(hardware.clock()),
      root_(options.sysroot),
      opener_(hardware.rtc_opener()),
      facts_{root_, clock_, opener_, kernel_},
      state_dir_(options.state_dir.empty() ? default_state_dir() : std::filesystem::path(options.state_dir)),
      stop_(stop),
      log_(std::move(log)) {}

AgentReport AgentLoop::facts() const { return gather_facts(facts_); }

void AgentLoop::start_monitor(bool persistent) {
  persistent_ = persistent;
  const auto report = facts();
  // The RTC the kernel set the system time from, else the first one listed.
  std::string rtc;
  bool rtc_hctosys = false;
  for (const auto& d : report.rtc.devices)
    if (rtc.empty() || (d.hctosys.value_or(false) && !rtc_hctosys)) {
      rtc = d.device;
      rtc_hctosys = d.hctosys.value_or(false);
    }
  DriftMonitor::NtpQuery query;
  std::string ntp_name;
  SampleIntervals intervals{options_.sample_interval_s, std::nullopt};
  if (!options_.ntp_server.empty()) {
    const HostPort server = HostPort::parse(options_.ntp_server, 123, "--ntp-server");
    ntp_name = "ntp:" + server.host;
    query = [this, server] { return query_sntp(server.host, std::to_string(server.port), clock_); };
    intervals.ntp_s = options_.ntp_interval_s;
  }
  monitor_ = std::make_unique<DriftMonitor>(clock_, opener_, rtc, report.identity.boot_id, state_dir_, ntp_name,
                                            query, options_.max_samples);
  if (std::filesystem::exists(state_dir_))
    for (const auto& problem : monitor_->load()) log_(problem);
  schedule_ = std::make_unique<SampleSchedule>(clock_, *monitor_, intervals, log_);
}

void AgentLoop::measure(double seconds) { schedule_->run_for(seconds, &stop_); }

AgentReport AgentLoop::report() const {
  AgentReport r = facts();
  if (!monitor_) return r;
  r.drift = monitor_->estimates();
  if (const auto offset = monitor_->rtc_minus_system_s())
    for (auto& d : r.rtc.devices)
      if (d.readable) {
        d.rtc_minus_system_s = *offset;
        break;
      }
  return r;
}

int AgentLoop::run(bool once) {
  if (options_.key_file.empty()) throw Error("--key-file is required to send reports");
  if (options_.server.empty()) throw Error("--server is required to send reports");
  std::filesystem::create_directories(state_dir_);
  const auto ca_file = options_.ca_file.empty() ? std::nullopt : std::optional<std::filesystem::path>(options_.ca_file);
  Reporter reporter(FleetKey::load(options_.key_file), state_dir_,
                    std::make_unique<BeastSender>(ServerUrl::parse(options_.server), ca_file), options_.spool_max);
  start_monitor(true);
  if (once) {
    measure(options_.measure_s);
    save();
    for (const auto& line : reporter.submit(report())) log_(line);
    if (reporter.last_delivery().refused > 0) return 2;
    return reporter.spool().queued().empty() ? 0 : 1;
  }
  const auto interval_ns = static_cast<std::int64_t>(options_.interval_s * 1e9);
  while (!stop_) {
    schedule_->run_until(clock_.monotonic_raw_ns() + interval_ns, &stop_);
    if (stop_) break;  // stopping: no half-interval report; the samples are saved below
    if (clock_.monotonic_raw_ns() - last_save_ns_ >= kSaveEveryNs) save();
    try {
      for (const auto& line : reporter.submit(report())) log_(line);
    } catch (const std::exception& e) {  // one bad report, whatever threw, must not stop the daemon
      log_(e.what());
    }
  }
  save();
  return 0;
}

DevicePublicKey AgentLoop::device_key() const {
  std::filesystem::create_directories(state_dir_);
  bool created = false;
  const DevicePrivateKey key = load_or_create_device_key(state_dir_, &created);
  if (created) log_("created device key " + (state_dir_ / kDeviceKeyFile).string());
  return key.public_key();
}

void AgentLoop::save() {
  last_save_ns_ = clock_.monotonic_raw_ns();
  if (!persistent_ || !monitor_) return;
  try {
    monitor_->save();
  } catch (const std::exception& e) {  // a full card loses samples, not the agent
    log_(e.what());
  }
}

}  // namespace pifind::agent
