#include "scanner/arp_scanner.h"

#include <exception>

#include "inventory/core/asio.h"
#include "inventory/core/error.h"
#include "scanner/arp_claims.h"
#include "scanner/arp_frame.h"
#include "scanner/arp_request_builder.h"
#include "scanner/capabilities.h"
#include "scanner/pcap_link.h"

namespace pifind {
namespace {

using namespace std::chrono_literals;

// Without an IPv4 address of its own, the scanner sends RFC 5227 probes (sender 0.0.0.0), which hosts
// answer with target 0.0.0.0: a LAN can be surveyed before the interface is configured.
Ipv4Address sender_address(const ScanInterface& iface) { return iface.address.value_or(Ipv4Address()); }

// Every target's first answer always fits; second and later MACs of an address share a fixed pool.
ScanResultLimits limits_for(std::size_t targets) {
  ScanResultLimits limits;
  limits.max_pairs = targets + limits.max_extra_macs;
  return limits;
}

}  // namespace

// The event loop's state for one scan. Handlers never throw out of Asio: they record the error and stop.
class ArpScan::Session {
 public:
  Session(const ScanRequest& request, boost::asio::io_context& io)
      : request_(request),
        link_(request.interface.name, request.interface.mac, sender_address(request.interface)),
        builder_(request.interface.mac, sender_address(request.interface), request.frame_source_mac, request.vlan),
        scheduler_(request.targets, request.policy),
        capture_(io, link_.selectable_fd()),
        timer_(io),
        results_(limits_for(request.targets.size())) {
    // The -W file is written with the user's own rights, never with CAP_NET_RAW held.
    if (request.pcap_save_file) {
      drop_capabilities_unless_root();
      link_.save_frames_to(*request.pcap_save_file);
    }
  }

  ~Session() {
    capture_.release();  // libpcap owns the descriptor
  }

  void start(std::function<void()> on_done) {
    on_done_ = std::move(on_done);
    started_ = ScanClock::now();
    wait_for_frames();
    arm_timer(started_);
  }

  void stop() {
    if (stopped_) return;
    on_done_ = nullptr;
    halt();
  }

  ScanResult result() {
    if (error_) std::rethrow_exception(error_);
    ScanStats stats = stats_;
    const ProbeCounters counters = scheduler_.counters();
    stats.targets = scheduler_.target_count();
    stats.sent = counters.sent;
    stats.tries_per_address = counters.allowed_tries;
    stats.probe_failure_probability = counters.failure_probability;
    stats.capture_drops = link_.drops();
    stats.duration_s = std::chrono::duration<double>((stopped_ ? ended_ : ScanClock::now()) - started_).count();
    ScanResult result = results_.finish(request_.interface.name, stats);
    result.interfaces = {request_.interface};
    result.claims = claims_.foreign_claims(result.hosts);
    for (auto& claim : result.claims) claim.interface_name = request_.interface.name;
    result.rounds = rounds_.rounds();
    return result;
  }

 private:
  template <typename F>
  void guarded(F&& f) {
    try {
      f();
    } catch (...) {
      error_ = std::current_exception();
      finish();
    }
  }

  void halt() {
    stopped_ = true;
    ended_ = ScanClock::now();
    boost::system::error_code ignored;
    timer_.cancel();
    capture_.cancel(ignored);
  }

  // The sweep is over (or failed): stop, and tell the caller once.
  void finish() {
    if (stopped_) return;
    halt();
    // One last look: replies that raced with the final timer.
    if (!error_) {
      try {
        drain_captured_frames();
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    if (auto done = std::move(on_done_)) {
      on_done_ = nullptr;
      done();
    }
  }

  void wait_for_frames() {
    capture_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      guarded([&] {
        drain_captured_frames();
        wait_for_frames();
      });
    });
  }

  void drain_captured_frames() {
    link_.dispatch([this](std::span<const std::uint8_t> bytes, ScanTime captured) { on_frame(bytes, captured); });
  }

  // `now` is when the kernel captured the frame: a frame read late (a busy machine, a flood) is still
  // judged by when it came, before or after the probe it may answer.
  void on_frame(std::span<const std::uint8_t> bytes, ScanTime now) {
    const ArpDecodeResult decoded = decode_arp_frame(bytes);
    if (!decoded.frame) {
      ++stats_.malformed_frames;
      ++stats_.malformed_by_reason.at(static_cast<std::size_t>(decoded.error));
      return;
    }
    const ArpFrame& frame = *decoded.frame;
    // Gratuitous ARP (request or reply) announces an address; it never answers our request, so it is
    // never a host. A claim on a scanned address is kept for the warnings.
    if (frame.sender_ip == frame.target_ip && frame.sender_ip != Ipv4Address()) {
      ++stats_.gratuitous_frames;
      if (scheduler_.is_target(frame.sender_ip)) claims_.add(frame.sender_ip, frame.sender_mac);
      return;
    }
    if (frame.operation != ArpOperation::kReply || frame.target_mac != request_.interface.mac ||
        frame.target_ip != sender_address(request_.interface)) {
      ++stats_.unsolicited_replies;
      return;
    }
    ScanTime last_probe{};
    const ReplyKind kind = scheduler_.on_reply(frame.sender_ip, now, &last_probe);
    if (kind == ReplyKind::kNotATarget) {
      ++stats_.unsolicited_replies;
      return;
    }
    ++stats_.received;
    if (kind == ReplyKind::kLate) ++stats_.late_replies;
    if (request_.on_round && (kind == ReplyKind::kFirst || kind == ReplyKind::kLate)) rounds_.on_first_reply(scheduler_.probes_sent(frame.sender_ip));
    // A repeat from the same (IP, MAC) is a duplicate; from another MAC it is a conflict worth listing,
    // up to the caps of ScanResultLimits (beyond them, a flood: counted by the builder).
    const ReplyRecord record = results_.add_reply(frame.sender_ip, frame.sender_mac, now - last_probe, frame.vlan, now);
    if (record == ReplyRecord::kRepeat) ++stats_.repeated_replies;
    if (record == ReplyRecord::kNewPair && request_.on_host) {
      HostEntry host;
      host.ip = frame.sender_ip;
      host.mac = frame.sender_mac;
      host.rtt = now - last_probe;
      host.vlan = frame.vlan;
      host.replies = 1;
      host.interface_name = request_.interface.name;
      host.answered_at = now;
      request_.on_host(host);
    }
  }

  void arm_timer(ScanTime at) {
    timer_.expires_at(at);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      guarded([&] { on_timer(); });
    });
  }

  void on_timer() {
    // Replies already captured count before any deadline is judged: a confirmation whose answer waits
    // unread in the buffer is not lost.
    drain_captured_frames();
    ScanTime now = ScanClock::now();
    // Send what is due now; a late timer sends the frames it owes back to back.
    while (auto target = scheduler_.next_probe(now)) {
      if (request_.on_round && rounds_.on_probe(scheduler_.probes_sent(*target))) report_round(now);
      if (!link_.send(builder_.request_for(*target))) {
        // The kernel queue is full: back off briefly (arp-scan #63). The probe counts as lost.
        arm_timer(now + 1ms);
        return;
      }
      now = ScanClock::now();
    }
    report_progress(now);
    check_capture_drops(now);
    if (scheduler_.finished(now)) {
      finish();
      return;
    }
    arm_timer(scheduler_.next_event(now));
  }

  // pcap_stats is a system call: asked ten times a second, not for every frame.
  void check_capture_drops(ScanTime now) {
    if (now - last_drop_check_ < 100ms) return;
    last_drop_check_ = now;
    if (const std::uint64_t drops = link_.drops(); drops > drops_seen_) {
      drops_seen_ = drops;
      scheduler_.on_capture_drops();
    }
  }

  void report_round(ScanTime now) {
    ScanRound& round = rounds_.rounds().back();
    const ProbeCounters counters = scheduler_.counters();
    round.started_s = std::chrono::duration<double>(now - started_).count();
    round.answered_before = counters.answered;
    round.allowed_tries = counters.allowed_tries;
    round.failure_probability = counters.failure_probability;
    request_.on_round(round);
  }

  void report_progress(ScanTime now) {
    if (!request_.on_progress || now - last_progress_ < 100ms) return;
    last_progress_ = now;
    const ProbeCounters counters = scheduler_.counters();
    request_.on_progress(counters.sent, counters.answered, scheduler_.target_count());
  }

  const ScanRequest& request_;
  PcapLink link_;
  ArpRequestBuilder builder_;
  ProbeScheduler scheduler_;
  boost::asio::posix::stream_descriptor capture_;
  boost::asio::steady_timer timer_;
  ScanResultBuilder results_;
  ArpClaimLog claims_;
  ScanRoundTracker rounds_;
  ScanStats stats_;
  ScanTime started_{};
  ScanTime ended_{};
  ScanTime last_progress_{};
  ScanTime last_drop_check_{};
  std::uint64_t drops_seen_ = 0;
  bool stopped_ = false;
  std::function<void()> on_done_;
  std::exception_ptr error_;
};

ArpScan::ArpScan(boost::asio::io_context& io, const ScanRequest& request)
    : session_(std::make_unique<Session>(request, io)) {}
ArpScan::~ArpScan() = default;
void ArpScan::start(std::function<void()> on_done) { session_->start(std::move(on_done)); }
void ArpScan::stop() { session_->stop(); }
ScanResult ArpScan::result() { return session_->result(); }

}  // namespace pifind
