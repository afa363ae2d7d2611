#include "scanner/resolv_conf.h"

#include <fstream>
#include <sstream>

#include "inventory/core/error.h"
#include "scanner/bounded_lines.h"

namespace pifind {

std::vector<boost::asio::ip::udp::endpoint> parse_resolv_conf_nameservers(std::istream& in) {
  std::vector<boost::asio::ip::udp::endpoint> servers;
  // A resolv.conf is a few lines; a huge one is read no further than this.
  BoundedLineReader lines(in, "resolv.conf", LineLimits{1024, 64 << 10});
  std::string line;
  while (servers.size() < max_nameservers && lines.next(line)) {
    std::istringstream words(line);
    std::string keyword, address;
    if (!(words >> keyword >> address) || keyword != "nameserver") continue;
    address = address.substr(0, address.find('%'));
    boost::system::error_code ec;
    const auto parsed = boost::asio::ip::make_address(address, ec);
    if (!ec) servers.emplace_back(parsed, 53);
  }
  return servers;
}

std::vector<boost::asio::ip::udp::endpoint> system_nameservers(const std::filesystem::path& file) {
  std::vector<boost::asio::ip::udp::endpoint> servers;
  std::ifstream in(file);
  if (in) {
    try {
      servers = parse_resolv_conf_nameservers(in);
    } catch (const Error&) {
      servers.clear();  // an absurd resolv.conf: as if it named none
    }
  }
  if (servers.empty()) servers.emplace_back(boost::asio::ip::address_v4::loopback(), 53);
  return servers;
}

}  // namespace pifind
