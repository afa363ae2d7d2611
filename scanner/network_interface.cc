#include "scanner/network_interface.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>

#include <cerrno>
#include <memory>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {

std::vector<ScanInterface> list_network_interfaces() {
  ifaddrs* raw = nullptr;
  if (getifaddrs(&raw) != 0) throw Error(system_error_text("getifaddrs", errno));
  const std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, freeifaddrs);
  std::vector<ScanInterface> interfaces;
  const auto entry_for = [&](const char* name) -> ScanInterface& {
    for (auto& existing : interfaces) {
      if (existing.name == name) return existing;
    }
    ScanInterface fresh;
    fresh.name = name;
    interfaces.push_back(std::move(fresh));
    return interfaces.back();
  };
  for (const ifaddrs* ifa = raw; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    if (ifa->ifa_addr->sa_family == AF_PACKET) {
      ScanInterface& iface = entry_for(ifa->ifa_name);
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(ifa->ifa_addr);
      if (ll->sll_halen == 6) {
        MacAddress::Bytes bytes{};
        for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = ll->sll_addr[i];
        iface.mac = MacAddress(bytes);
      }
      iface.up = (ifa->ifa_flags & IFF_UP) != 0;
      iface.loopback = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
    } else if (ifa->ifa_addr->sa_family == AF_INET) {
      ScanInterface& iface = entry_for(ifa->ifa_name);
      if (iface.address) continue;  // the first IPv4 address is the interface's network
      const auto* in = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
      iface.address = Ipv4Address(ntohl(in->sin_addr.s_addr));
      if (ifa->ifa_netmask != nullptr) {
        const auto* mask = reinterpret_cast<const sockaddr_in*>(ifa->ifa_netmask);
        iface.prefix_length = __builtin_popcount(ntohl(mask->sin_addr.s_addr));
      }
    }
  }
  return interfaces;
}

ScanInterface find_network_interface(const std::string& name) {
  const auto interfaces = list_network_interfaces();
  std::string names;
  for (const auto& iface : interfaces) {
    if (iface.name == name) return iface;
    names += (names.empty() ? "" : ", ") + iface.name;
  }
  throw Error(fmt::format("unknown interface '{}' (interfaces here: {})", name, names.empty() ? "none" : names));
}

ScanInterface default_network_interface() {
  for (const auto& iface : list_network_interfaces()) {
    if (iface.up && !iface.loopback && iface.address) return iface;
  }
  throw Error("no interface is up with an IPv4 address; name one with --interface");
}

}  // namespace pifind
