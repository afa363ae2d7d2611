#include "scanner/arp_frame.h"

#include <catch2/catch.hpp>

#include "scanner/arp_request_builder.h"

using namespace pifind;

namespace {

ArpFrame sample_reply() {
  ArpFrame frame;
  frame.ethernet_destination = *MacAddress::parse("02:00:00:00:00:01");
  frame.ethernet_source = *MacAddress::parse("b8:27:eb:01:02:03");
  frame.operation = ArpOperation::kReply;
  frame.sender_mac = *MacAddress::parse("b8:27:eb:01:02:03");
  frame.sender_ip = *Ipv4Address::parse("198.18.0.10");
  frame.target_mac = *MacAddress::parse("02:00:00:00:00:01");
  frame.target_ip = *Ipv4Address::parse("198.18.0.1");
  return frame;
}

}  // namespace

TEST_CASE("libnet builds exactly the who-has request the encoder describes") {
  const MacAddress us = *MacAddress::parse("02:00:00:00:00:01");
  const Ipv4Address our_ip = *Ipv4Address::parse("198.18.0.1");
  ArpRequestBuilder builder(us, our_ip);
  for (const char* target : {"198.18.0.10", "198.18.0.254"}) {
    const auto bytes = builder.request_for(*Ipv4Address::parse(target));
    REQUIRE(bytes.size() == 42);
    ArpFrame expected;
    expected.ethernet_destination = MacAddress::from_u64(0xffffffffffffULL);
    expected.ethernet_source = us;
    expected.operation = ArpOperation::kRequest;
    expected.sender_mac = us;
    expected.sender_ip = our_ip;
    expected.target_ip = *Ipv4Address::parse(target);
    const auto encoded = encode_arp_frame(expected);
    CHECK(std::vector<std::uint8_t>(bytes.begin(), bytes.end()) == encoded);
    const auto decoded = decode_arp_frame(bytes);
    REQUIRE(decoded.frame);
    CHECK(decoded.frame->target_ip == expected.target_ip);
    CHECK(decoded.frame->operation == ArpOperation::kRequest);
  }
}

TEST_CASE("requests with -Q are 802.1Q-tagged, and -S changes only their Ethernet source") {
  const MacAddress us = *MacAddress::parse("02:00:00:00:00:01");
  const MacAddress spoofed = *MacAddress::parse("02:00:00:00:00:99");
  const Ipv4Address our_ip = *Ipv4Address::parse("198.18.0.1");
  ArpRequestBuilder builder(us, our_ip, spoofed, 42);
  const auto bytes = builder.request_for(*Ipv4Address::parse("198.18.42.2"));
  REQUIRE(bytes.size() == 46);
  ArpFrame expected;
  expected.ethernet_destination = MacAddress::from_u64(0xffffffffffffULL);
  expected.ethernet_source = spoofed;
  expected.vlan = 42;
  expected.operation = ArpOperation::kRequest;
  expected.sender_mac = us;  // replies still come to the interface's own address
  expected.sender_ip = our_ip;
  expected.target_ip = *Ipv4Address::parse("198.18.42.2");
  CHECK(std::vector<std::uint8_t>(bytes.begin(), bytes.end()) == encode_arp_frame(expected));
  ArpRequestBuilder untagged(us, our_ip, spoofed);
  const auto plain = untagged.request_for(expected.target_ip);
  REQUIRE(plain.size() == 42);
  CHECK(decode_arp_frame(plain).frame->ethernet_source == spoofed);
  CHECK_FALSE(decode_arp_frame(plain).frame->vlan);
}

TEST_CASE("a reply decodes field by field, with or without padding and an 802.1Q tag") {
  ArpFrame reply = sample_reply();
  auto bytes = encode_arp_frame(reply);
  bytes.resize(60, 0);  // Ethernet minimum-size padding
  auto decoded = decode_arp_frame(bytes);
  REQUIRE(decoded.frame);
  CHECK(decoded.frame->operation == ArpOperation::kReply);
  CHECK(decoded.frame->sender_mac == reply.sender_mac);
  CHECK(decoded.frame->sender_ip == reply.sender_ip);
  CHECK(decoded.frame->target_mac == reply.target_mac);
  CHECK(decoded.frame->target_ip == reply.target_ip);
  CHECK_FALSE(decoded.frame->vlan);

  reply.vlan = 42;
  decoded = decode_arp_frame(encode_arp_frame(reply));
  REQUIRE(decoded.frame);
  CHECK(decoded.frame->vlan == 42);
  CHECK(decoded.frame->sender_ip == reply.sender_ip);
}

TEST_CASE("every truncation of a reply is rejected without reading past the end") {
  for (bool tagged : {false, true}) {
    ArpFrame reply = sample_reply();
    if (tagged) reply.vlan = 7;
    const auto bytes = encode_arp_frame(reply);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      INFO("length " << length << (tagged ? " tagged" : ""));
      // A copy of exactly `length` bytes, so a sanitizer or valgrind would catch an over-read.
      const std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
      const auto decoded = decode_arp_frame(cut);
      CHECK_FALSE(decoded.frame);
      CHECK(decoded.error == ArpDecodeError::kTruncated);
    }
  }
}

TEST_CASE("malformed ARP is rejected with its reason") {
  const auto bytes = encode_arp_frame(sample_reply());
  auto with = [&](std::size_t offset, std::uint8_t value) {
    auto copy = bytes;
    copy[offset] = value;
    return decode_arp_frame(copy);
  };
  CHECK(with(12, 0x86).error == ArpDecodeError::kNotArp);          // ethertype 0x8606
  CHECK(with(13, 0x00).error == ArpDecodeError::kNotArp);          // ethertype 0x0800 (IPv4)
  CHECK(with(15, 0x06).error == ArpDecodeError::kNotEthernetIpv4);  // hardware type 6 (IEEE 802)
  CHECK(with(16, 0x86).error == ArpDecodeError::kNotEthernetIpv4);  // protocol 0x86dd
  CHECK(with(18, 8).error == ArpDecodeError::kNotEthernetIpv4);     // hardware length 8
  CHECK(with(19, 16).error == ArpDecodeError::kNotEthernetIpv4);    // protocol length 16
  CHECK(with(21, 3).error == ArpDecodeError::kUnknownOperation);     // RARP request
  CHECK(with(21, 0).error == ArpDecodeError::kUnknownOperation);
  CHECK(with(22, 0x01).error == ArpDecodeError::kBadSender);         // sender MAC multicast
  auto zero_sender = sample_reply();
  zero_sender.sender_mac = MacAddress();
  CHECK(decode_arp_frame(encode_arp_frame(zero_sender)).error == ArpDecodeError::kBadSender);
  zero_sender.sender_mac = MacAddress::from_u64(0xffffffffffffULL);
  CHECK(decode_arp_frame(encode_arp_frame(zero_sender)).error == ArpDecodeError::kBadSender);
  CHECK(to_string(ArpDecodeError::kTruncated) == "truncated");
}
