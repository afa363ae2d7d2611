// Where reverse DNS lookups go: the nameservers of the system's resolver, read from /etc/resolv.conf as
// glibc reads them (at most three, 127.0.0.1 when none). `ip netns exec` bind-mounts
// /etc/netns/NS/resolv.conf over it, which is how the namespace tests point pifind at their server.
#pragma once

#include <filesystem>
#include <istream>
#include <vector>

#include "inventory/core/asio.h"

namespace pifind {

/// glibc's MAXNS: further nameserver lines are ignored.
inline constexpr std::size_t max_nameservers = 3;

/// The "nameserver ADDRESS" lines of a resolv.conf (IPv4 or IPv6, a %scope suffix dropped), port 53.
std::vector<boost::asio::ip::udp::endpoint> parse_resolv_conf_nameservers(std::istream& in);

/// The nameservers of `file`; 127.0.0.1 when it names none or cannot be read, as glibc does.
std::vector<boost::asio::ip::udp::endpoint> system_nameservers(const std::filesystem::path& file = "/etc/resolv.conf");

}  // namespace pifind
