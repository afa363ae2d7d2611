#include "scanner/arp_request_builder.h"

#include <libnet.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

std::array<std::uint8_t, 4> network_order(Ipv4Address ip) {
  const std::uint32_t v = ip.value();
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
          static_cast<std::uint8_t>(v)};
}

}  // namespace

ArpRequestBuilder::ArpRequestBuilder(MacAddress sender_mac, Ipv4Address sender_ip,
                                     std::optional<MacAddress> ethernet_source, std::optional<std::uint16_t> vlan)
    : sender_mac_(sender_mac), sender_ip_(sender_ip) {
  char error[LIBNET_ERRBUF_SIZE] = {};
  context_ = libnet_init(LIBNET_NONE, nullptr, error);
  if (context_ == nullptr) throw Error(fmt::format("libnet_init: {}", error));
  // ARP header first, then Ethernet, as libnet's own samples do; later calls update the ARP block in place.
  const auto spa = network_order(sender_ip_);
  const std::array<std::uint8_t, 4> tpa{};
  const std::array<std::uint8_t, 6> tha{};
  arp_tag_ = libnet_build_arp(ARPHRD_ETHER, ETHERTYPE_IP, 6, 4, ARPOP_REQUEST, sender_mac_.bytes().data(), spa.data(),
                              tha.data(), tpa.data(), nullptr, 0, context_, 0);
  const std::array<std::uint8_t, 6> broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  const MacAddress source_mac = ethernet_source.value_or(sender_mac_);
  const std::uint8_t* source = source_mac.bytes().data();
  const libnet_ptag_t link_tag =
      vlan ? libnet_build_802_1q(broadcast.data(), source, ETHERTYPE_VLAN, 0, 0, *vlan, ETHERTYPE_ARP, nullptr, 0,
                                 context_, 0)
           : libnet_build_ethernet(broadcast.data(), source, ETHERTYPE_ARP, nullptr, 0, context_, 0);
  if (arp_tag_ == -1 || link_tag == -1) {
    const std::string message = libnet_geterror(context_);
    libnet_destroy(context_);
    throw Error(fmt::format("libnet: cannot build an ARP request: {}", message));
  }
}

ArpRequestBuilder::~ArpRequestBuilder() { libnet_destroy(context_); }

std::span<const std::uint8_t> ArpRequestBuilder::request_for(Ipv4Address target) {
  const auto spa = network_order(sender_ip_);
  const auto tpa = network_order(target);
  const std::array<std::uint8_t, 6> tha{};
  if (libnet_build_arp(ARPHRD_ETHER, ETHERTYPE_IP, 6, 4, ARPOP_REQUEST, sender_mac_.bytes().data(), spa.data(),
                       tha.data(), tpa.data(), nullptr, 0, context_, arp_tag_) == -1) {
    throw Error(fmt::format("libnet: cannot update the ARP request: {}", libnet_geterror(context_)));
  }
  std::uint8_t* packet = nullptr;
  std::uint32_t size = 0;
  // libnet_adv_cull_packet() refuses build-only contexts in 1.1.6; coalescing is what it calls inside.
  if (libnet_pblock_coalesce(context_, &packet, &size) == -1) {
    throw Error(fmt::format("libnet: cannot assemble the frame: {}", libnet_geterror(context_)));
  }
  frame_.assign(packet, packet + size);
  std::free(packet);
  return frame_;
}

}  // namespace pifind
