#include "agent/identity.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <sstream>
#include <system_error>

#include <fmt/format.h>

namespace pifind::agent {
namespace {

int prefix_length(const sockaddr* mask) {
  if (mask == nullptr) return 0;
  const unsigned char* bytes = nullptr;
  std::size_t n = 0;
  if (mask->sa_family == AF_INET) {
    bytes = reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(mask)->sin_addr);
    n = 4;
  } else if (mask->sa_family == AF_INET6) {
    bytes = reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr.s6_addr;
    n = 16;
  }
  int bits = 0;
  for (std::size_t i = 0; i < n; ++i) bits += __builtin_popcount(bytes[i]);
  return bits;
}

// What the report accepts as an interface name (inventory/protocol/report.h): others are left out, not sent.
bool reportable_name(const std::string& name) {
  return !name.empty() && name.size() <= 15 &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@-") ==
             std::string::npos;
}

void add_live_addresses(std::vector<NetworkInterface>& interfaces) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr) continue;
    const int family = a->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char text[INET6_ADDRSTRLEN] = {};
    const void* src = family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr);
    if (::inet_ntop(family, src, text, sizeof text) == nullptr) continue;
    const std::string address = fmt::format("{}/{}", text, prefix_length(a->ifa_netmask));
    if (!is_reportable_address(address)) continue;  // the collector refuses loopback, multicast, ...
    for (auto& i : interfaces)
      if (i.name == a->ifa_name && i.addresses.size() < kMaxAddressesPerInterface) i.addresses.push_back(address);
  }
  ::freeifaddrs(list);
}

void add_fixture_addresses(const Sysroot& root, std::vector<NetworkInterface>& interfaces) {
  const auto text = root.read("/etc/pifind-agent/addresses");
  if (!text) return;
  std::istringstream in(*text);
  std::string name, address;
  while (in >> name >> address)
    for (auto& i : interfaces)
      if (i.name == name && i.addresses.size() < kMaxAddressesPerInterface && is_reportable_address(address))
        i.addresses.push_back(address);
}

}  // namespace

std::string read_hostname(const Sysroot& root) {
  // The running kernel's name; an offline image has no /proc, and its name is the one it boots with.
  auto name = root.read_line("/proc/sys/kernel/hostname");
  if (!name) {
    if (const auto file = root.read("/etc/hostname", 4096)) {
      std::istringstream in(*file);
      for (std::string line; std::getline(in, line);)
        if (const auto t = trim(line); !t.empty() && t.front() != '#') {
          name = t;
          break;
        }
    }
  }
  // "(none)" and other invalid names become "": the report says unknown rather than being refused.
  return name && is_valid_hostname(*name) ? *name : std::string();
}

std::vector<NetworkInterface> read_interfaces(const Sysroot& root) {
  std::vector<NetworkInterface> interfaces;
  for (const auto& name : root.list("/sys/class/net")) {
    if (name == "lo" || !reportable_name(name) || interfaces.size() >= kMaxInterfaces) continue;
    const auto text = root.read_line("/sys/class/net/" + name + "/address");
    if (!text) continue;
    const auto mac = MacAddress::parse(*text);
    if (!mac || mac->is_zero()) continue;
    interfaces.push_back({name, *mac, {}});
  }
  if (root.is_live())
    add_live_addresses(interfaces);
  else
    add_fixture_addresses(root, interfaces);
  return interfaces;
}

std::string primary_interface(const Sysroot& root, const std::vector<NetworkInterface>& interfaces) {
  auto known = [&](const std::string& name) {
    for (const auto& i : interfaces)
      if (i.name == name) return true;
    return false;
  };
  if (const auto routes = root.read("/proc/net/route")) {
    std::istringstream in(*routes);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string iface, destination, gateway, flags, refcnt, use, metric, mask;
      if (fields >> iface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask &&
          destination == "00000000" && mask == "00000000" && known(iface))
        return iface;
    }
  }
  // Hardware first (virtual interfaces such as docker0, bridges and veths have no device link), then
  // globally administered MACs (QEMU's 52:54:00 is locally administered, so hardware must come first).
  for (const auto& i : interfaces)
    if (root.has_entry("/sys/class/net/" + i.name + "/device")) return i.name;
  for (const auto& i : interfaces)
    if (!i.mac.is_locally_administered()) return i.name;
  return interfaces.empty() ? std::string() : interfaces.front().name;
}

}  // namespace pifind::agent
