// A test host that answers ARP in user space, the way the kernel cannot be made to: late (a Wi-Fi
// card in power save), many times over (duplicate storms), or 802.1Q-tagged. Runs for a bounded time.
//   arp_responder IFACE IP MAC [--delay-ms N] [--copies N] [--vlan ID] [--seconds N]
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "inventory/ipv4_address.h"
#include "inventory/mac_address.h"
#include "scanner/arp_frame.h"

using namespace pifind;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: arp_responder IFACE IP MAC [--delay-ms N] [--copies N] [--vlan ID] [--seconds N]\n");
    return 2;
  }
  const std::string iface = argv[1];
  const auto ip = Ipv4Address::parse(argv[2]);
  const auto mac = MacAddress::parse(argv[3]);
  if (!ip || !mac) {
    std::fprintf(stderr, "arp_responder: bad IP or MAC\n");
    return 2;
  }
  int delay_ms = 0, copies = 1, seconds = 30, vlan = -1;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    const int value = std::atoi(argv[i + 1]);
    if (option == "--delay-ms") delay_ms = value;
    else if (option == "--copies") copies = value;
    else if (option == "--seconds") seconds = value;
    else if (option == "--vlan") vlan = value;
  }
  const int fd = socket(AF_PACKET, SOCK_RAW, htons(0x0806));
  if (fd < 0) {
    std::perror("arp_responder: socket");
    return 1;
  }
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(0x0806);
  address.sll_ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  address.sll_halen = 6;
  if (address.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("arp_responder: bind");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);

  struct Pending {
    Clock::time_point at;
    std::vector<std::uint8_t> frame;
  };
  std::deque<Pending> pending;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  long answered = 0;
  while (Clock::now() < end) {
    int timeout_ms = 50;
    if (!pending.empty()) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(pending.front().at - Clock::now()).count();
      timeout_ms = static_cast<int>(std::max<long>(0, std::min<long>(wait, 50)));
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) > 0) {
      std::uint8_t buffer[256];
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        const auto decoded = decode_arp_frame(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)));
        if (decoded.frame && decoded.frame->operation == ArpOperation::request && decoded.frame->target_ip == *ip) {
          ArpFrame reply;
          reply.ethernet_destination = decoded.frame->sender_mac;
          reply.ethernet_source = *mac;
          if (vlan >= 0) reply.vlan = static_cast<std::uint16_t>(vlan);
          reply.operation = ArpOperation::reply;
          reply.sender_mac = *mac;
          reply.sender_ip = *ip;
          reply.target_mac = decoded.frame->sender_mac;
          reply.target_ip = decoded.frame->sender_ip;
          auto frame = encode_arp_frame(reply);
          frame.resize(std::max<std::size_t>(frame.size(), 60), 0);
          for (int c = 0; c < copies; ++c) {
            pending.push_back({Clock::now() + std::chrono::milliseconds(delay_ms), frame});
          }
        }
      }
    }
    while (!pending.empty() && pending.front().at <= Clock::now()) {
      if (send(fd, pending.front().frame.data(), pending.front().frame.size(), 0) > 0) ++answered;
      pending.pop_front();
    }
  }
  std::printf("answered %ld\n", answered);
  close(fd);
  return 0;
}
