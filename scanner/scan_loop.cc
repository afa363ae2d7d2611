#include "scanner/scan_loop.h"

#include <csignal>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "inventory/core/asio.h"
#include "scanner/scan_clock.h"

namespace pifind {
namespace {

class LoopState {
 public:
  LoopState(ScanLoop& loop, boost::asio::io_context& io) : loop_(loop), io_(io), signals_(io, SIGINT, SIGTERM) {}

  ScanResult run() {
    loop_.request.on_host = [this](const HostEntry& host) { on_host(host); };
    ArpScan scan(io_, loop_.request);
    scan_ = &scan;
    if (loop_.names) {
      resolver_.emplace(io_, *loop_.names,
                        [this](Ipv4Address ip, std::optional<HostName> name) { on_name(ip, std::move(name)); });
    }
    signals_.async_wait([this](boost::system::error_code ec, int signal_number) {
      if (!ec) interrupt(signal_number);
    });
    scan.start([this] {
      sweep_ended_ = ScanClock::now();
      sweep_done_ = true;
      finish_if_done();
    });
    io_.run();
    const ScanTime loop_ended = ScanClock::now();
    scan_ = nullptr;

    ScanResult result = scan.result();
    result.stats.interrupted_by_signal = interrupted_by_;
    if (resolver_) result.stats.names = resolver_->stats();
    result.stats.names_wait_s = std::chrono::duration<double>(loop_ended - sweep_ended_).count();
    for (auto& host : result.hosts) {
      if (const auto it = names_.find(host.ip.value()); it != names_.end()) host.name = it->second;
    }
    return result;
  }

 private:
  void on_host(const HostEntry& found) {
    HostEntry host = found;
    if (loop_.classify) loop_.classify(host);
    const std::uint32_t ip = host.ip.value();
    const bool wanted = resolver_ && interrupted_by_ == 0 && (!loop_.wants_name || loop_.wants_name(host));
    if (!wanted || looked_up_.count(ip) != 0) {
      // A second MAC at an address already looked up shares its name.
      if (const auto it = names_.find(ip); it != names_.end()) host.name = it->second;
      complete(host);
      return;
    }
    const bool ask = waiting_.count(ip) == 0;
    waiting_[ip].push_back(std::move(host));
    if (ask) resolver_->lookup(Ipv4Address(ip));  // may call on_name at once
  }

  void on_name(Ipv4Address ip, std::optional<HostName> name) {
    looked_up_.insert(ip.value());
    if (name) names_[ip.value()] = *name;
    auto node = waiting_.extract(ip.value());
    if (!node.empty()) {
      for (auto& host : node.mapped()) {
        host.name = name;
        complete(host);
      }
    }
    finish_if_done();
  }

  void complete(const HostEntry& host) {
    if (loop_.on_host_complete) loop_.on_host_complete(host);
  }

  void interrupt(int signal_number) {
    interrupted_by_ = signal_number;
    if (!sweep_done_) sweep_ended_ = ScanClock::now();
    sweep_done_ = true;
    if (scan_ != nullptr) scan_->stop();
    if (resolver_) resolver_->finish_all();  // the waiting hosts complete with what was found
    finish_if_done();
  }

  // With the sweep over and no name pending, nothing may keep the loop running.
  void finish_if_done() {
    if (!sweep_done_ || (resolver_ && resolver_->pending() != 0)) return;
    boost::system::error_code ignored;
    signals_.cancel(ignored);
  }

  ScanLoop& loop_;
  boost::asio::io_context& io_;
  boost::asio::signal_set signals_;
  ArpScan* scan_ = nullptr;
  std::optional<NameResolver> resolver_;
  bool sweep_done_ = false;
  ScanTime sweep_ended_{};
  int interrupted_by_ = 0;
  std::unordered_map<std::uint32_t, HostName> names_;
  std::unordered_map<std::uint32_t, std::vector<HostEntry>> waiting_;
  std::unordered_set<std::uint32_t> looked_up_;
};

}  // namespace

ScanResult run_scan_loop(ScanLoop& loop) {
  boost::asio::io_context io;
  LoopState state(loop, io);
  return state.run();
}

}  // namespace pifind
