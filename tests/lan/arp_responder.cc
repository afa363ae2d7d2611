// A test host that sends ARP in user space, the way the kernel cannot be made to: late (a Wi-Fi card
// in power save), many times over (duplicate storms), 802.1Q-tagged, broken, gratuitous, or as a flood
// of unsolicited replies from one MAC or thousands. Every send loop is bounded in count and in time.
//   arp_responder IFACE IP MAC [--delay-ms N] [--copies N] [--vlan ID [--outer-vlan ID]] [--only-vlan ID]
//                 [--seconds N] [--silent] [--malformed] [--trailer BYTES] [--to MAC IP --flood COUNT --rate PER_S [--flood-macs N] [--flood-ips N]]
//                 [--gratuitous COUNT --interval-ms N [--garp-op request|reply|both]]
// Prints "ready" once listening, and its counts when the time is up or on SIGTERM.
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/mac_address.h"
#include "scanner/arp_frame.h"
#include "tests/lan/broken_arp_frames.h"

using namespace pifind;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t stop_requested = 0;

struct Options {
  std::string iface;
  Ipv4Address ip;
  MacAddress mac;
  int delay_ms = 0, copies = 1, seconds = 30, vlan = -1, outer_vlan = -1, trailer_bytes = 0;
  // Answer only requests that came 802.1Q-tagged with this VLAN (a host on a VLAN behind a trunk port).
  int only_vlan = -1;
  bool silent = false, malformed = false;
  // Flood of unsolicited replies to (to_mac, to_ip).
  std::optional<MacAddress> to_mac;
  std::optional<Ipv4Address> to_ip;
  long flood = 0, rate_per_s = 1000, flood_macs = 1, flood_ips = 1;
  // Gratuitous announcements of `ip` by `mac`.
  long gratuitous = 0, interval_ms = 10;
  std::string garp_op = "both";
};

bool parse_options(int argc, char** argv, Options& o) {
  if (argc < 4) return false;
  o.iface = argv[1];
  const auto ip = Ipv4Address::parse(argv[2]);
  const auto mac = MacAddress::parse(argv[3]);
  if (!ip || !mac) return false;
  o.ip = *ip;
  o.mac = *mac;
  for (int i = 4; i < argc; ++i) {
    const std::string option = argv[i];
    if (option == "--silent") { o.silent = true; continue; }
    if (option == "--malformed") { o.malformed = true; continue; }
    if (i + 1 >= argc) return false;
    const std::string value = argv[++i];
    if (option == "--to") {
      if (i + 1 >= argc) return false;
      o.to_mac = MacAddress::parse(value);
      o.to_ip = Ipv4Address::parse(argv[++i]);
      if (!o.to_mac || !o.to_ip) return false;
    } else if (option == "--garp-op") {
      o.garp_op = value;
    } else {
      const long number = std::atol(value.c_str());
      if (option == "--delay-ms") o.delay_ms = static_cast<int>(number);
      else if (option == "--copies") o.copies = static_cast<int>(number);
      else if (option == "--seconds") o.seconds = static_cast<int>(number);
      else if (option == "--vlan") o.vlan = static_cast<int>(number);
      else if (option == "--outer-vlan") o.outer_vlan = static_cast<int>(number);
      else if (option == "--only-vlan") o.only_vlan = static_cast<int>(number);
      else if (option == "--trailer") o.trailer_bytes = static_cast<int>(number);
      else if (option == "--flood") o.flood = number;
      else if (option == "--rate") o.rate_per_s = number;
      else if (option == "--flood-macs") o.flood_macs = number;
      else if (option == "--flood-ips") o.flood_ips = number;
      else if (option == "--gratuitous") o.gratuitous = number;
      else if (option == "--interval-ms") o.interval_ms = number;
      else return false;
    }
  }
  // Bounds: nothing here sends more than a million frames or runs longer than ten minutes.
  const bool bounded = o.flood <= 1000000 && o.gratuitous <= 1000000 && o.copies <= 10000 && o.seconds <= 600;
  const bool valid = o.flood >= 0 && o.rate_per_s > 0 && o.flood_macs >= 1 && o.flood_ips >= 1 && o.flood_ips <= 65536 &&
                     o.gratuitous >= 0 && o.interval_ms >= 0 && o.seconds > 0 && o.copies >= 0 && (o.flood == 0 || o.to_mac) &&
                     (o.outer_vlan < 0 || o.vlan >= 0) && (o.garp_op == "both" || o.garp_op == "request" || o.garp_op == "reply");
  return bounded && valid;
}

// QinQ: an 802.1ad service tag (0x88a8) in front of the 802.1Q tag the frame already carries.
std::vector<std::uint8_t> with_outer_tag(std::vector<std::uint8_t> frame, int outer_vlan) {
  if (outer_vlan < 0) return frame;
  const std::uint8_t tag[4] = {0x88, 0xa8, static_cast<std::uint8_t>(outer_vlan >> 8 & 0x0f), static_cast<std::uint8_t>(outer_vlan)};
  frame.insert(frame.begin() + 12, tag, tag + 4);
  return frame;
}

std::vector<std::uint8_t> padded(std::vector<std::uint8_t> frame, int trailer_bytes = 0) {
  frame.resize(std::max<std::size_t>(frame.size(), 60), 0);
  for (int i = 0; i < trailer_bytes; ++i) frame.push_back(static_cast<std::uint8_t>(0xa5 ^ i));
  return frame;
}

// The flood's sender MACs: the responder's own when there is one, else locally administered ones
// drawn from a fixed seed (02:xx:xx:xx:xx:xx, so never a Raspberry Pi's).
MacAddress flood_sender(const Options& o, std::mt19937_64& random) {
  if (o.flood_macs == 1) return o.mac;
  const std::uint64_t index = random() % static_cast<std::uint64_t>(o.flood_macs);
  return MacAddress::from_u64(0x020000000000ULL | ((index * 0x9e3779b97f4a7c15ULL) & 0x00ffffff0000ULL) | (index & 0xffff));
}

// The flood's sender IPs: IP, or one of the flood_ips addresses from IP on, at random.
Ipv4Address flood_ip(const Options& o, std::mt19937_64& random) {
  if (o.flood_ips == 1) return o.ip;
  return Ipv4Address(o.ip.value() + static_cast<std::uint32_t>(random() % static_cast<std::uint64_t>(o.flood_ips)));
}

ArpFrame reply_to(const Options& o, MacAddress to_mac, Ipv4Address to_ip, MacAddress sender, std::optional<Ipv4Address> sender_ip = {}) {
  ArpFrame reply;
  reply.ethernet_destination = to_mac;
  reply.ethernet_source = sender;
  if (o.vlan >= 0) reply.vlan = static_cast<std::uint16_t>(o.vlan);
  reply.operation = ArpOperation::kReply;
  reply.sender_mac = sender;
  reply.sender_ip = sender_ip.value_or(o.ip);
  reply.target_mac = to_mac;
  reply.target_ip = to_ip;
  return reply;
}

std::vector<std::uint8_t> gratuitous_frame(const Options& o, long index) {
  const bool reply = o.garp_op == "reply" || (o.garp_op == "both" && index % 2 == 1);
  ArpFrame frame;
  frame.ethernet_destination = MacAddress::from_u64(0xffffffffffffULL);
  frame.ethernet_source = o.mac;
  if (o.vlan >= 0) frame.vlan = static_cast<std::uint16_t>(o.vlan);
  frame.operation = reply ? ArpOperation::kReply : ArpOperation::kRequest;
  frame.sender_mac = o.mac;
  frame.sender_ip = o.ip;
  // As Linux's arping -U (request) and -A (reply) send them.
  frame.target_mac = reply ? o.mac : MacAddress::from_u64(0xffffffffffffULL);
  frame.target_ip = o.ip;
  return padded(encode_arp_frame(frame));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: arp_responder IFACE IP MAC [--delay-ms N] [--copies N] [--vlan ID [--outer-vlan ID]] [--only-vlan ID]\n"
                 "       [--seconds N]\n"
                 "       [--silent] [--malformed] [--trailer BYTES]\n"
                 "       [--to MAC IP --flood COUNT --rate PER_S [--flood-macs N] [--flood-ips N]]\n"
                 "       [--gratuitous COUNT --interval-ms N [--garp-op request|reply|both]]\n");
    return 2;
  }
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  // With --only-vlan, every frame: the kernel hands a frame tagged for a VLAN it has no device for to
  // protocol sockets untagged (and as PACKET_OTHERHOST); only ETH_P_ALL sockets see the tag.
  const std::uint16_t protocol = o.only_vlan >= 0 ? ETH_P_ALL : 0x0806;
  const int fd = socket(AF_PACKET, SOCK_RAW, htons(protocol));
  if (fd < 0) {
    std::perror("arp_responder: socket");
    return 1;
  }
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(protocol);
  address.sll_ifindex = static_cast<int>(if_nametoindex(o.iface.c_str()));
  address.sll_halen = 6;
  if (address.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("arp_responder: bind");
    return 1;
  }
  // The kernel takes a received frame's 802.1Q tag out of its bytes; the auxiliary data says what it was.
  const int on = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on) != 0) {
    std::perror("arp_responder: PACKET_AUXDATA");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);

  struct Pending {
    Clock::time_point at;
    std::vector<std::uint8_t> frame;
  };
  std::deque<Pending> pending;
  std::map<std::string, long> sent;  // by kind: answered, flood, gratuitous, and each broken reason
  const auto send_frame = [&](const std::vector<std::uint8_t>& frame, const std::string& kind) {
    if (send(fd, frame.data(), frame.size(), 0) > 0) ++sent[kind];
  };
  std::mt19937_64 random(6);
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(o.seconds);
  const auto flood_gap = std::chrono::nanoseconds(1000000000L / o.rate_per_s);
  long flooded = 0, announced = 0;
  while (stop_requested == 0 && Clock::now() < end) {
    auto wake = Clock::now() + std::chrono::milliseconds(50);
    if (!pending.empty()) wake = std::min(wake, pending.front().at);
    const auto flood_due = start + flood_gap * flooded;
    if (flooded < o.flood) wake = std::min(wake, flood_due);
    const auto garp_due = start + std::chrono::milliseconds(o.interval_ms) * announced;
    if (announced < o.gratuitous) wake = std::min(wake, garp_due);
    // ppoll, not poll: a flood's gap is a fraction of a millisecond, and poll would spin through it.
    const long wait_ns = std::max<long>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(wake - Clock::now()).count());
    const timespec wait{wait_ns / 1000000000L, wait_ns % 1000000000L};
    pollfd p{fd, POLLIN, 0};
    if (ppoll(&p, 1, &wait, nullptr) > 0) {
      std::uint8_t buffer[256];
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata))];
      iovec io{buffer, sizeof buffer};
      sockaddr_ll from{};
      msghdr message{};
      message.msg_name = &from;
      message.msg_namelen = sizeof from;
      message.msg_iov = &io;
      message.msg_iovlen = 1;
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      const ssize_t n = recvmsg(fd, &message, 0);
      const auto decoded = n > 0 ? decode_arp_frame(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(n)))
                                 : ArpDecodeResult{};
      std::optional<int> tag;
      if (decoded.frame && decoded.frame->vlan) tag = *decoded.frame->vlan;
      for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
        tpacket_auxdata aux{};
        std::memcpy(&aux, CMSG_DATA(c), sizeof aux);
        if ((aux.tp_status & TP_STATUS_VLAN_VALID) != 0) tag = aux.tp_vlan_tci & 0x0fff;
      }
      const bool on_our_vlan = o.only_vlan < 0 || (tag == o.only_vlan && from.sll_pkttype != PACKET_OUTGOING);
      if (!o.silent && on_our_vlan && decoded.frame && decoded.frame->operation == ArpOperation::kRequest &&
          decoded.frame->target_ip == o.ip && decoded.frame->sender_ip != o.ip) {
        const ArpFrame reply = reply_to(o, decoded.frame->sender_mac, decoded.frame->sender_ip, o.mac);
        if (o.malformed) {
          for (const auto& broken : test::broken_variants(reply)) send_frame(broken.bytes, broken.reason);
        } else {
          const auto frame = padded(with_outer_tag(encode_arp_frame(reply), o.outer_vlan), o.trailer_bytes);
          for (int c = 0; c < o.copies; ++c) pending.push_back({Clock::now() + std::chrono::milliseconds(o.delay_ms), frame});
        }
      }
    }
    const auto now = Clock::now();
    while (!pending.empty() && pending.front().at <= now) {
      send_frame(pending.front().frame, "answered");
      pending.pop_front();
    }
    // A late wake-up sends what it owes back to back, so the rate holds on average.
    while (flooded < o.flood && start + flood_gap * flooded <= now) {
      const MacAddress sender = flood_sender(o, random);
      const ArpFrame reply = reply_to(o, *o.to_mac, *o.to_ip, sender, flood_ip(o, random));
      send_frame(padded(with_outer_tag(encode_arp_frame(reply), o.outer_vlan)), "flood");
      ++flooded;
    }
    while (announced < o.gratuitous && start + std::chrono::milliseconds(o.interval_ms) * announced <= now) {
      send_frame(gratuitous_frame(o, announced), "gratuitous");
      ++announced;
    }
  }
  std::string counts;
  for (const auto& [kind, count] : sent) counts += " " + kind + " " + std::to_string(count);
  std::printf("sent%s\n", counts.c_str());
  close(fd);
  return 0;
}
