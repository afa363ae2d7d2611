#include "scanner/scan_loop.h"

#include <csignal>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "inventory/core/asio.h"
#include "scanner/capabilities.h"
#include "scanner/scan_clock.h"

namespace pifind {
namespace {

// A host's address on one interface's segment: the same IPv4 address on two segments is two hosts.
std::uint64_t key_of(std::size_t interface_index, Ipv4Address ip) {
  return static_cast<std::uint64_t>(interface_index) << 32 | ip.value();
}

class LoopState {
 public:
  LoopState(ScanLoop& loop, boost::asio::io_context& io)
      : loop_(loop), io_(io), signals_(io, SIGINT, SIGTERM), parts_(loop.scans.size()) {}

  std::vector<ScanResult> run() {
    for (std::size_t i = 0; i < loop_.scans.size(); ++i) {
      InterfaceScan& scan = loop_.scans[i];
      scan.request.on_host = [this, i](const HostEntry& host) { on_host(i, host); };
      parts_[i].scan = std::make_unique<ArpScan>(io_, scan.request);
    }
    // Every capture is open: nothing after this needs CAP_NET_RAW.
    drop_capabilities_unless_root();
    for (std::size_t i = 0; i < loop_.scans.size(); ++i) {
      if (!loop_.scans[i].names) continue;
      parts_[i].resolver = std::make_unique<NameResolver>(
          io_, *loop_.scans[i].names,
          [this, i](Ipv4Address ip, std::optional<HostName> name) { on_name(i, ip, std::move(name)); });
    }
    signals_.async_wait([this](boost::system::error_code ec, int signal_number) {
      if (!ec) interrupt(signal_number);
    });
    for (auto& part : parts_) {
      part.scan->start([this] {
        if (++sweeps_done_ == parts_.size()) sweep_ended_ = ScanClock::now();
        finish_if_done();
      });
    }
    io_.run();
    const ScanTime loop_ended = ScanClock::now();

    std::vector<ScanResult> results;
    for (std::size_t i = 0; i < parts_.size(); ++i) {
      ScanResult result = parts_[i].scan->result();
      result.stats.interrupted_by_signal = interrupted_by_;
      if (parts_[i].resolver) result.stats.names = parts_[i].resolver->stats();
      result.stats.names_wait_s = std::chrono::duration<double>(loop_ended - sweep_ended_).count();
      for (auto& host : result.hosts) {
        if (const auto it = names_.find(key_of(i, host.ip)); it != names_.end()) host.name = it->second;
      }
      results.push_back(std::move(result));
    }
    return results;
  }

 private:
  struct Part {
    std::unique_ptr<ArpScan> scan;
    std::unique_ptr<NameResolver> resolver;
  };

  void on_host(std::size_t i, const HostEntry& found) {
    HostEntry host = found;
    if (loop_.classify) loop_.classify(host);
    const std::uint64_t key = key_of(i, host.ip);
    NameResolver* resolver = parts_[i].resolver.get();
    const bool wanted = resolver && interrupted_by_ == 0 && (!loop_.wants_name || loop_.wants_name(host));
    if (!wanted || looked_up_.count(key) != 0) {
      // A second MAC at an address already looked up shares its name.
      if (const auto it = names_.find(key); it != names_.end()) host.name = it->second;
      complete(host);
      return;
    }
    const bool ask = waiting_.count(key) == 0;
    waiting_[key].push_back(std::move(host));
    if (ask) resolver->lookup(found.ip);  // may call on_name at once
  }

  void on_name(std::size_t i, Ipv4Address ip, std::optional<HostName> name) {
    const std::uint64_t key = key_of(i, ip);
    looked_up_.insert(key);
    if (name) names_[key] = *name;
    auto node = waiting_.extract(key);
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
    if (sweeps_done_ < parts_.size()) sweep_ended_ = ScanClock::now();
    sweeps_done_ = parts_.size();
    for (auto& part : parts_) part.scan->stop();
    // The waiting hosts complete with what was found.
    for (auto& part : parts_)
      if (part.resolver) part.resolver->finish_all();
    finish_if_done();
  }

  // With every sweep over and no name pending, nothing may keep the loop running.
  void finish_if_done() {
    if (sweeps_done_ < parts_.size()) return;
    for (const auto& part : parts_)
      if (part.resolver && part.resolver->pending() != 0) return;
    boost::system::error_code ignored;
    signals_.cancel(ignored);
  }

  ScanLoop& loop_;
  boost::asio::io_context& io_;
  boost::asio::signal_set signals_;
  std::vector<Part> parts_;
  std::size_t sweeps_done_ = 0;
  ScanTime sweep_ended_{};
  int interrupted_by_ = 0;
  std::unordered_map<std::uint64_t, HostName> names_;
  std::unordered_map<std::uint64_t, std::vector<HostEntry>> waiting_;
  std::unordered_set<std::uint64_t> looked_up_;
};

}  // namespace

std::vector<ScanResult> run_scan_loop(ScanLoop& loop) {
  boost::asio::io_context io;
  LoopState state(loop, io);
  return state.run();
}

}  // namespace pifind
