#include "scanner/pcap_link.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

constexpr int snapshot_bytes = 128;  // an ARP frame with an 802.1Q tag and padding fits
constexpr int buffer_bytes = 4 << 20;

[[noreturn]] void fail_activate(pcap* handle, int status, const std::string& interface_name) {
  std::string message;
  if (status == PCAP_ERROR_PERM_DENIED) {
    message = fmt::format("no permission to capture on {}: run as root or `setcap cap_net_raw+ep` on the pifind binary",
                          interface_name);
  } else if (status == PCAP_ERROR_NO_SUCH_DEVICE) {
    message = fmt::format("unknown interface '{}'", interface_name);
  } else if (status == PCAP_ERROR_IFACE_NOT_UP) {
    message = fmt::format("interface {} is down", interface_name);
  } else {
    message = fmt::format("cannot capture on {}: {}", interface_name, pcap_geterr(handle));
  }
  pcap_close(handle);
  throw Error(message);
}

}  // namespace

std::string arp_reply_filter(MacAddress our_mac, Ipv4Address our_ip) {
  // Match inside the ARP payload, not on the Ethernet destination: some hosts reply to broadcast.
  const auto& m = our_mac.bytes();
  const std::uint32_t mac_high = static_cast<std::uint32_t>(m[0]) << 24 | static_cast<std::uint32_t>(m[1]) << 16 |
                                 static_cast<std::uint32_t>(m[2]) << 8 | m[3];
  const std::uint32_t mac_low = static_cast<std::uint32_t>(m[4]) << 8 | m[5];
  const auto reply = fmt::format("(arp[6:2] = 2 and arp[18:4] = 0x{:08x} and arp[22:2] = 0x{:04x} and arp[24:4] = 0x{:08x})",
                                 mac_high, mac_low, our_ip.value());
  // Gratuitous ARP (sender IP = target IP), to warn of foreign claims on scanned addresses.
  const std::string gratuitous = "arp[14:4] = arp[24:4]";
  // Broken ARP, to count it: anything but Ethernet/IPv4 with 6- and 4-byte addresses, or another
  // operation. Frames too short for these fields come first: a load past the end rejects the frame.
  const std::string broken = "arp[0:4] != 0x00010800 or arp[4:2] != 0x0604 or (arp[6:2] != 1 and arp[6:2] != 2)";
  const auto payload = fmt::format("(len < 42 or {} or {} or {})", reply, gratuitous, broken);
  // libpcap: each `vlan` moves the offsets of everything after it, so the second tag (QinQ) nests
  // inside the first. It is not decoded, but passes so that it is counted rather than lost unseen.
  return fmt::format("(arp and {0}) or (vlan and ((arp and {0}) or (vlan and arp and {0})))", payload);
}

PcapLink::PcapLink(const std::string& interface_name, MacAddress our_mac, Ipv4Address our_ip) {
  char error[PCAP_ERRBUF_SIZE] = {};
  handle_ = pcap_create(interface_name.c_str(), error);
  if (handle_ == nullptr) throw Error(fmt::format("cannot open {}: {}", interface_name, error));
  pcap_set_snaplen(handle_, snapshot_bytes);
  pcap_set_promisc(handle_, 0);
  pcap_set_immediate_mode(handle_, 1);  // without it libpcap 1.9.1 delivered nothing (arp-scan #42)
  pcap_set_buffer_size(handle_, buffer_bytes);
  pcap_set_timeout(handle_, 100);
  if (const int status = pcap_activate(handle_); status < 0) fail_activate(handle_, status, interface_name);
  // Positive statuses are warnings; none of them matter for ARP capture.

  if (pcap_datalink(handle_) != DLT_EN10MB) {
    pcap_close(handle_);
    throw Error(fmt::format("{} is not an Ethernet interface", interface_name));
  }
  bpf_program program{};
  const std::string filter = arp_reply_filter(our_mac, our_ip);
  if (pcap_compile(handle_, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
      pcap_setfilter(handle_, &program) != 0) {
    const std::string message = pcap_geterr(handle_);
    pcap_freecode(&program);
    pcap_close(handle_);
    throw Error(fmt::format("cannot install the capture filter on {}: {}", interface_name, message));
  }
  pcap_freecode(&program);
  if (pcap_setnonblock(handle_, 1, error) != 0) {
    pcap_close(handle_);
    throw Error(fmt::format("cannot make the capture on {} non-blocking: {}", interface_name, error));
  }
  // Our own frames come back on a packet socket; we only want replies.
  pcap_setdirection(handle_, PCAP_D_IN);
  fd_ = pcap_get_selectable_fd(handle_);
  if (fd_ < 0) {
    pcap_close(handle_);
    throw Error(fmt::format("{} offers no selectable capture descriptor", interface_name));
  }
}

PcapLink::~PcapLink() {
  if (dumper_ != nullptr) pcap_dump_close(dumper_);  // flushes what is buffered
  pcap_close(handle_);
}

void PcapLink::save_frames_to(const std::string& file) {
  dumper_ = pcap_dump_open(handle_, file.c_str());
  if (dumper_ == nullptr) throw Error(fmt::format("cannot write the pcap file {}: {}", file, pcap_geterr(handle_)));
}

bool PcapLink::send(std::span<const std::uint8_t> frame) {
  if (pcap_inject(handle_, frame.data(), frame.size()) >= 0) return true;
  if (errno == EAGAIN || errno == ENOBUFS) return false;
  throw Error(fmt::format("cannot send: {}", pcap_geterr(handle_)));
}

int PcapLink::dispatch(const std::function<void(std::span<const std::uint8_t>, ScanTime)>& on_frame) {
  // The kernel stamps frames on the system clock; the scan runs on a steady one. The offset is taken
  // once per batch, so a step of the system clock can misdate only the frames of the batch it falls in.
  struct Context {
    pcap_dumper* dumper;
    const std::function<void(std::span<const std::uint8_t>, ScanTime)>* on_frame;
    ScanTime now;
    std::chrono::system_clock::time_point system_now;
  } context{dumper_, &on_frame, ScanClock::now(), std::chrono::system_clock::now()};
  const auto callback = [](u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
    const auto* c = reinterpret_cast<const Context*>(user);
    if (c->dumper != nullptr) pcap_dump(reinterpret_cast<u_char*>(c->dumper), header, bytes);
    const auto stamped = std::chrono::system_clock::time_point(std::chrono::seconds(header->ts.tv_sec) +
                                                               std::chrono::microseconds(header->ts.tv_usec));
    const ScanTime captured = std::min(c->now, c->now - std::chrono::duration_cast<ScanDuration>(c->system_now - stamped));
    (*c->on_frame)(std::span<const std::uint8_t>(bytes, header->caplen), captured);
  };
  const int count = pcap_dispatch(handle_, -1, callback, reinterpret_cast<u_char*>(&context));
  if (count == PCAP_ERROR) throw Error(fmt::format("capture failed: {}", pcap_geterr(handle_)));
  if (count > 0 && dumper_ != nullptr) pcap_dump_flush(dumper_);  // a savefile read while the scan runs is whole
  return count < 0 ? 0 : count;
}

std::uint64_t PcapLink::drops() const {
  pcap_stat stats{};
  if (pcap_stats(handle_, &stats) != 0) return 0;
  return stats.ps_drop;
}

}  // namespace pifind
