// Builds ARP who-has request frames with libnet, in a build-only context (LIBNET_NONE): libnet never
// opens a socket here, so nothing queues unread frames; the bytes go out through the capture handle.
// Optionally 802.1Q-tagged (-Q) and from another Ethernet source address (-S), as arp-scan builds them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"

struct libnet_context;

namespace pifind {

class ArpRequestBuilder {
 public:
  /// Requests will say "who has <target>? tell <sender_ip> at <sender_mac>", broadcast from
  /// `ethernet_source` (default: sender_mac), tagged with `vlan` when given.
  ArpRequestBuilder(MacAddress sender_mac, Ipv4Address sender_ip, std::optional<MacAddress> ethernet_source = {},
                    std::optional<std::uint16_t> vlan = {});
  ~ArpRequestBuilder();
  ArpRequestBuilder(const ArpRequestBuilder&) = delete;
  ArpRequestBuilder& operator=(const ArpRequestBuilder&) = delete;

  /// The frame asking for `target` (42 bytes, 46 tagged; the kernel pads it on the wire). Valid until the
  /// next call.
  std::span<const std::uint8_t> request_for(Ipv4Address target);

 private:
  libnet_context* context_ = nullptr;
  std::int32_t arp_tag_ = 0;
  MacAddress sender_mac_;
  Ipv4Address sender_ip_;
  std::vector<std::uint8_t> frame_;
};

}  // namespace pifind
