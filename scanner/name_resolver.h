// Finds the names of the hosts a scan found, on the scan's event loop and all in parallel: mDNS first,
// a reverse PTR query unicast to the host's port 5353 (answered by avahi-daemon as an RFC 6762 legacy
// unicast query), then the same query to the mDNS group for a host still silent; and reverse DNS from
// the system resolver's nameservers. Each host has one budget, counted from when it is asked.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/core/asio.h"
#include "inventory/core/ipv4_address.h"
#include "scanner/host_name.h"

namespace pifind {

struct NameResolverConfig {
  /// The scan interface's address and network length. mDNS goes out from this address and only to hosts
  /// inside its network (RFC 6762 responders ignore queries from off-link sources); without an address
  /// only reverse DNS is asked.
  std::optional<Ipv4Address> interface_address;
  int prefix_length = 0;
  /// Where reverse DNS queries go (system_nameservers()); none: no reverse DNS.
  std::vector<boost::asio::ip::udp::endpoint> nameservers;
  /// How long one host's lookups may take. The multicast query goes out after a third of it if the
  /// unicast one got no answer, the DNS query to the next nameserver after half of it.
  std::chrono::milliseconds budget{300};
  /// mDNS's port and IPv4 group; the tests play responders on loopback with another port.
  std::uint16_t mdns_port = 5353;
  boost::asio::ip::address_v4 mdns_group = boost::asio::ip::make_address_v4("224.0.0.251");
};

class NameResolver {
 public:
  /// Runs on the loop once per lookup, with the name found (mDNS's before DNS's) or nothing.
  using Done = std::function<void(Ipv4Address, std::optional<HostName>)>;

  NameResolver(boost::asio::io_context& io, NameResolverConfig config, Done done);
  ~NameResolver();
  NameResolver(const NameResolver&) = delete;
  NameResolver& operator=(const NameResolver&) = delete;

  /// Starts the lookups for `ip`, unless they are running already. `done` follows within the budget:
  /// at once when both sources have answered or refused, else when the budget ends.
  void lookup(Ipv4Address ip);

  /// Ends every running lookup now (SIGINT): `done` runs for each with what was found so far.
  void finish_all();

  /// Lookups running. With none, the resolver leaves nothing waiting on the loop.
  std::size_t pending() const;

  const NameLookupStats& stats() const;

 private:
  class Session;
  std::unique_ptr<Session> session_;
};

}  // namespace pifind
