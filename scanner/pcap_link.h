// The scanner's one contact with the wire: a libpcap handle that captures ARP replies addressed to
// us, gratuitous and broken ARP (filtered inside the ARP payload) and transmits our frames, so no
// second socket piles up frames. What it captures can also go to a pcap savefile (-W).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"
#include "scanner/scan_clock.h"

struct pcap;
struct pcap_dumper;

namespace pifind {

class PcapLink {
 public:
  /// Opens `interface_name` in immediate, non-blocking mode with arp_reply_filter(our_mac, our_ip).
  /// Throws Error with advice on missing privilege.
  PcapLink(const std::string& interface_name, MacAddress our_mac, Ipv4Address our_ip);
  ~PcapLink();
  PcapLink(const PcapLink&) = delete;
  PcapLink& operator=(const PcapLink&) = delete;

  /// A descriptor that polls readable when frames wait; owned by pcap, never read directly.
  int selectable_fd() const { return fd_; }

  /// Sends one frame. Returns false when the kernel queue is full (EAGAIN/ENOBUFS): retry later.
  /// Throws Error on other failures.
  bool send(std::span<const std::uint8_t> frame);

  /// From now on, writes every frame captured to `file` (pcap's savefile format, as tcpdump -w does).
  /// Throws Error if it cannot be created.
  void save_frames_to(const std::string& file);

  /// Hands every frame waiting now to `on_frame` with the time the kernel captured it, on the scan's clock
  /// (after saving it, with save_frames_to); returns how many.
  int dispatch(const std::function<void(std::span<const std::uint8_t>, ScanTime)>& on_frame);

  /// Frames the kernel dropped because pcap's buffer was full.
  std::uint64_t drops() const;

 private:
  pcap* handle_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  int fd_ = -1;
};

/// The BPF program text: ARP replies (even broadcast ones) whose target fields name us, gratuitous ARP,
/// and ARP frames too short or too strange to decode (so they are counted, not silently dropped).
std::string arp_reply_filter(MacAddress our_mac, Ipv4Address our_ip);

}  // namespace pifind
