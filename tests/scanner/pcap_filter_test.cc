// The capture filter, compiled by libpcap and run on crafted frames without a socket: replies to us,
// gratuitous ARP and broken ARP pass (so they are counted); other hosts' ordinary ARP does not.
#include <pcap/pcap.h>

#include <catch2/catch.hpp>

#include "scanner/arp_frame.h"
#include "scanner/pcap_link.h"

using namespace pifind;

namespace {

const MacAddress us = *MacAddress::parse("02:00:00:00:00:01");
const Ipv4Address our_ip = *Ipv4Address::parse("198.18.0.1");

class CompiledFilter {
 public:
  CompiledFilter() : handle_(pcap_open_dead(DLT_EN10MB, 128)) {
    REQUIRE(pcap_compile(handle_, &program_, arp_reply_filter(us, our_ip).c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0);
  }
  ~CompiledFilter() {
    pcap_freecode(&program_);
    pcap_close(handle_);
  }
  bool passes(std::vector<std::uint8_t> bytes) const {
    pcap_pkthdr header{};
    header.caplen = header.len = static_cast<bpf_u_int32>(bytes.size());
    return pcap_offline_filter(&program_, &header, bytes.data()) != 0;
  }

 private:
  pcap_t* handle_;
  bpf_program program_{};
};

ArpFrame reply_to_us() {
  ArpFrame frame;
  frame.ethernet_destination = us;
  frame.ethernet_source = *MacAddress::parse("b8:27:eb:00:00:01");
  frame.operation = ArpOperation::kReply;
  frame.sender_mac = frame.ethernet_source;
  frame.sender_ip = *Ipv4Address::parse("198.18.0.10");
  frame.target_mac = us;
  frame.target_ip = our_ip;
  return frame;
}

std::vector<std::uint8_t> padded_to_60(std::vector<std::uint8_t> bytes) {
  bytes.resize(std::max<std::size_t>(bytes.size(), 60), 0);
  return bytes;
}

}  // namespace

TEST_CASE("replies to us pass, tagged or not, padded or not, replies to others do not") {
  const CompiledFilter filter;
  ArpFrame reply = reply_to_us();
  CHECK(filter.passes(encode_arp_frame(reply)));
  CHECK(filter.passes(padded_to_60(encode_arp_frame(reply))));
  reply.vlan = 7;
  const auto tagged = encode_arp_frame(reply);
  CHECK(filter.passes(tagged));
  // QinQ: an 802.1ad tag in front of the 802.1Q one still passes (to be counted as malformed).
  auto double_tagged = tagged;
  const std::vector<std::uint8_t> service_tag = {0x88, 0xa8, 0x00, 0x64};
  double_tagged.insert(double_tagged.begin() + 12, service_tag.begin(), service_tag.end());
  CHECK(filter.passes(double_tagged));
  CHECK_FALSE(decode_arp_frame(double_tagged).frame);
  ArpFrame other = reply_to_us();
  other.target_ip = *Ipv4Address::parse("198.18.0.2");
  CHECK_FALSE(filter.passes(padded_to_60(encode_arp_frame(other))));
  other = reply_to_us();
  other.target_mac = *MacAddress::parse("02:00:00:00:00:02");
  CHECK_FALSE(filter.passes(padded_to_60(encode_arp_frame(other))));
  // Another host's who-has, broadcast: ordinary traffic, not for us.
  ArpFrame request = reply_to_us();
  request.operation = ArpOperation::kRequest;
  request.ethernet_destination = MacAddress::from_u64(0xffffffffffffULL);
  request.target_mac = MacAddress();
  request.target_ip = *Ipv4Address::parse("198.18.0.11");
  CHECK_FALSE(filter.passes(padded_to_60(encode_arp_frame(request))));
}

TEST_CASE("gratuitous ARP passes, as request or reply, from anyone") {
  const CompiledFilter filter;
  ArpFrame announcement = reply_to_us();
  announcement.ethernet_destination = MacAddress::from_u64(0xffffffffffffULL);
  announcement.sender_mac = *MacAddress::parse("02:66:00:00:00:10");
  announcement.target_ip = announcement.sender_ip;
  for (ArpOperation operation : {ArpOperation::kRequest, ArpOperation::kReply}) {
    announcement.operation = operation;
    announcement.target_mac = operation == ArpOperation::kReply ? announcement.sender_mac : MacAddress::from_u64(0xffffffffffffULL);
    CHECK(filter.passes(padded_to_60(encode_arp_frame(announcement))));
  }
}

TEST_CASE("broken ARP passes so it can be counted, short frames are not lost in the kernel") {
  const CompiledFilter filter;
  const auto good = encode_arp_frame(reply_to_us());
  for (std::size_t length : {14u, 20u, 34u, 41u}) {
    INFO("length " << length);
    CHECK(filter.passes(std::vector<std::uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(length))));
  }
  auto with = [&](std::size_t offset, std::uint8_t value) {
    auto copy = padded_to_60(good);
    copy[offset] = value;
    return copy;
  };
  CHECK(filter.passes(with(15, 6)));     // hardware type 6
  CHECK(filter.passes(with(16, 0x86)));  // protocol 0x8600
  CHECK(filter.passes(with(18, 8)));     // hardware length 8
  CHECK(filter.passes(with(19, 16)));    // protocol length 16
  CHECK(filter.passes(with(21, 3)));     // RARP request
  CHECK(filter.passes(with(21, 0)));
  // Not ARP at all stays out, however short: an IPv4 ethertype, cut to 20 bytes.
  auto ipv4 = with(13, 0x00);
  CHECK_FALSE(filter.passes(ipv4));
  ipv4.resize(20);
  CHECK_FALSE(filter.passes(ipv4));
}
