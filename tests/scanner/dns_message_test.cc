#include "scanner/dns_message.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <random>

using namespace pifind;

namespace {

std::vector<std::uint8_t> fixture(const std::string& name) {
  std::ifstream in(std::string(PIFIND_SOURCE_DIR) + "/tests/scanner/fixtures/dns/" + name, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::uint8_t> header(std::uint16_t id, std::uint16_t flags, std::uint16_t questions, std::uint16_t answers) {
  const auto hi = [](std::uint16_t v) { return static_cast<std::uint8_t>(v >> 8); };
  const auto lo = [](std::uint16_t v) { return static_cast<std::uint8_t>(v); };
  return {hi(id), lo(id), hi(flags), lo(flags), hi(questions), lo(questions), hi(answers), lo(answers), 0, 0, 0, 0};
}

void append(std::vector<std::uint8_t>& out, std::initializer_list<std::uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

DnsDecodeError error_of(const std::vector<std::uint8_t>& bytes) {
  const DnsDecodeResult decoded = decode_dns_message(bytes);
  REQUIRE_FALSE(decoded.message);
  return decoded.error;
}

DnsName name(std::initializer_list<const char*> labels) { return DnsName(labels.begin(), labels.end()); }

}  // namespace

TEST_CASE("pifind's PTR query has the bytes a resolver sends") {
  const auto query = encode_dns_query(0x4b1d, {reverse_pointer_name(*Ipv4Address::parse("198.18.0.4")), dns_type_ptr,
                                               dns_class_in},
                                      true);
  // The query the dnsmasq fixture answers: ID 4b1d, RD, one question, 4.0.18.198.in-addr.arpa PTR IN.
  const auto reply = fixture("dnsmasq-ptr.bin");
  std::vector<std::uint8_t> expected = header(0x4b1d, 0x0100, 1, 0);
  expected.insert(expected.end(), reply.begin() + 12, reply.begin() + 12 + 29);
  CHECK(query == expected);
  const auto mdns = encode_dns_query(7, {name({"a"}), dns_type_ptr, dns_class_in}, false);
  CHECK(mdns[2] == 0);  // no RD for mDNS
}

TEST_CASE("avahi-daemon's legacy unicast reply decodes to the host's name") {
  for (const char* file : {"avahi-legacy-unicast-ptr.bin", "avahi-multicast-query-ptr.bin"}) {
    INFO(file);
    const DnsDecodeResult decoded = decode_dns_message(fixture(file));
    REQUIRE(decoded.message);
    const DnsMessage& m = *decoded.message;
    CHECK(m.is_response());
    CHECK(m.opcode() == 0);
    CHECK(m.rcode() == 0);
    REQUIRE(m.questions.size() == 1);
    CHECK(same_dns_name(m.questions[0].name, reverse_pointer_name(*Ipv4Address::parse("198.18.0.2"))));
    REQUIRE(m.answers.size() == 1);
    CHECK(m.answers[0].type == dns_type_ptr);
    CHECK(m.answers[0].klass == dns_class_in);
    CHECK(m.answers[0].ttl_s == 10);  // RFC 6762 6.7: legacy unicast TTLs are at most 10 s
    CHECK(address_of_reverse_name(m.answers[0].name) == Ipv4Address::parse("198.18.0.2"));
    CHECK(printable_host_name(m.answers[0].target) == "pi-rack-1.local");
  }
  CHECK(decode_dns_message(fixture("avahi-legacy-unicast-ptr.bin")).message->id == 0x1a3c);
}

TEST_CASE("dnsmasq's answer and refusal decode") {
  const auto answer = decode_dns_message(fixture("dnsmasq-ptr.bin"));
  REQUIRE(answer.message);
  CHECK(answer.message->id == 0x4b1d);
  REQUIRE(answer.message->answers.size() == 1);
  CHECK(printable_host_name(answer.message->answers[0].target) == "vm-four.lab.example");
  const auto refused = decode_dns_message(fixture("dnsmasq-refused.bin"));
  REQUIRE(refused.message);
  CHECK(refused.message->rcode() == 5);
  CHECK(refused.message->answers.empty());
}

TEST_CASE("the compression example of RFC 1035 section 4.1.4 decodes") {
  // F.ISI.ARPA in full, FOO.F.ISI.ARPA as FOO and a pointer to it, ARPA as a pointer into the first,
  // and the root: the example's four names, one question each, after a 12-byte header.
  std::vector<std::uint8_t> m = header(1, 0, 4, 0);
  append(m, {1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0, 0, 12, 0, 1});  // at 12
  append(m, {3, 'F', 'O', 'O', 0xc0, 12, 0, 12, 0, 1});                         // at 28
  append(m, {0xc0, 18, 0, 12, 0, 1});                                           // at 38: ARPA at 18
  append(m, {0, 0, 12, 0, 1});                                                  // the root
  const DnsDecodeResult decoded = decode_dns_message(m);
  REQUIRE(decoded.message);
  const auto& q = decoded.message->questions;
  REQUIRE(q.size() == 4);
  CHECK(q[0].name == name({"F", "ISI", "ARPA"}));
  CHECK(q[1].name == name({"FOO", "F", "ISI", "ARPA"}));
  CHECK(q[2].name == name({"ARPA"}));
  CHECK(q[3].name.empty());
}

TEST_CASE("hostile replies are refused, never followed") {
  SECTION("a pointer to itself") {
    std::vector<std::uint8_t> m = header(1, 0x8400, 1, 0);
    append(m, {0xc0, 12, 0, 12, 0, 1});
    CHECK(error_of(m) == DnsDecodeError::kPointerLoop);
  }
  SECTION("two names pointing at each other") {
    std::vector<std::uint8_t> m = header(1, 0x8400, 2, 0);
    append(m, {1, 'a', 0xc0, 18, 0, 12, 0, 1});  // at 12: "a" then a pointer forward to 18
    append(m, {1, 'b', 0xc0, 12, 0, 12, 0, 1});  // at 18 (never reached: forward pointers are refused)
    CHECK(error_of(m) == DnsDecodeError::kPointerLoop);
  }
  SECTION("a pointer back into a loop through an earlier name") {
    // Name at 12: "x" + pointer to 12 (itself, from inside); the answer's name points at 12.
    std::vector<std::uint8_t> m = header(1, 0x8400, 0, 1);
    append(m, {0xc0, 13});
    CHECK(error_of(m) == DnsDecodeError::kPointerLoop);
  }
  SECTION("a name longer than 255 bytes") {
    std::vector<std::uint8_t> m = header(1, 0x8400, 1, 0);
    for (int i = 0; i < 5; ++i) {
      m.push_back(63);
      m.insert(m.end(), 63, 'a');
    }
    append(m, {0, 0, 12, 0, 1});
    CHECK(error_of(m) == DnsDecodeError::kNameTooLong);
  }
  SECTION("a long name made of pointers to pointers stays bounded") {
    // 20 names of one 15-byte label each, each ending in a pointer to the one before: the 17th is 272
    // bytes once expanded.
    std::vector<std::uint8_t> m = header(1, 0x8400, 20, 0);
    std::size_t previous = 0;
    for (int i = 0; i < 20; ++i) {
      const std::size_t at = m.size();
      m.push_back(15);
      m.insert(m.end(), 15, 'p');
      if (i == 0) {
        m.push_back(0);
      } else {
        append(m, {static_cast<std::uint8_t>(0xc0 | previous >> 8), static_cast<std::uint8_t>(previous)});
      }
      append(m, {0, 12, 0, 1});
      previous = at;
    }
    CHECK(error_of(m) == DnsDecodeError::kNameTooLong);
  }
  SECTION("extended label types") {
    std::vector<std::uint8_t> m = header(1, 0x8400, 1, 0);
    append(m, {0x41, 'a', 0, 0, 12, 0, 1});
    CHECK(error_of(m) == DnsDecodeError::kBadLabel);
  }
  SECTION("truncated anywhere") {
    const auto good = fixture("avahi-legacy-unicast-ptr.bin");
    for (std::size_t size = 0; size < good.size(); ++size) {
      INFO(size);
      CHECK_FALSE(decode_dns_message(std::span<const std::uint8_t>(good.data(), size)).message);
    }
  }
  SECTION("a PTR whose name does not fill its data") {
    auto m = fixture("avahi-legacy-unicast-ptr.bin");
    m[52] = static_cast<std::uint8_t>(m[52] + 1);  // RDLENGTH one more than the name...
    m.push_back(0);                                // ...and the byte it claims
    CHECK(error_of(m) == DnsDecodeError::kBadRdata);
  }
  SECTION("more records than a PTR answer has") {
    std::vector<std::uint8_t> m = header(1, 0x8400, 0, 33);
    CHECK(error_of(m) == DnsDecodeError::kTooManyRecords);
  }
}

TEST_CASE("names print only when no reader or parser can be misled") {
  CHECK(printable_host_name(name({"pi-rack-1", "local"})) == "pi-rack-1.local");
  CHECK(printable_host_name(name({"k\xc3\xbc" "che_pi", "local"})) == "k\xc3\xbc" "che_pi.local");  // UTF-8
  CHECK_FALSE(printable_host_name(name({})));
  CHECK_FALSE(printable_host_name(name({"a.b", "local"})));   // a dot inside a label
  CHECK_FALSE(printable_host_name(name({"pi\n1", "local"})));  // a newline
  CHECK_FALSE(printable_host_name(name({"pi 1", "local"})));
  CHECK_FALSE(printable_host_name(name({"pi\"1", "local"})));
  CHECK_FALSE(printable_host_name(name({"\x1b[2J", "local"})));        // a terminal escape
  CHECK_FALSE(printable_host_name(name({"\xc2\x9b" "2J", "local"})));  // C1 CSI as UTF-8
  CHECK_FALSE(printable_host_name(name({"\xff\xfe", "local"})));       // not UTF-8
  CHECK_FALSE(printable_host_name(name({"\xc0\xae", "local"})));       // an overlong '.'
  CHECK_FALSE(printable_host_name(name({"\xed\xa0\x80", "local"})));   // a surrogate
  CHECK_FALSE(printable_host_name(name({"pi\xe2\x80\xaeipf", "local"})));  // U+202E RIGHT-TO-LEFT OVERRIDE
  CHECK_FALSE(printable_host_name(name({"pi\xe2\x81\xa6x", "local"})));    // U+2066 LEFT-TO-RIGHT ISOLATE
  CHECK_FALSE(printable_host_name(name({"pi\xe2\x80\xa8x", "local"})));    // U+2028 LINE SEPARATOR
}

TEST_CASE("reverse names map to addresses and back") {
  const Ipv4Address ip = *Ipv4Address::parse("198.18.0.42");
  CHECK(reverse_pointer_name(ip) == name({"42", "0", "18", "198", "in-addr", "arpa"}));
  CHECK(address_of_reverse_name(reverse_pointer_name(ip)) == ip);
  CHECK(address_of_reverse_name(name({"42", "0", "18", "198", "IN-ADDR", "ARPA"})) == ip);
  CHECK_FALSE(address_of_reverse_name(name({"042", "0", "18", "198", "in-addr", "arpa"})));
  CHECK_FALSE(address_of_reverse_name(name({"256", "0", "18", "198", "in-addr", "arpa"})));
  CHECK_FALSE(address_of_reverse_name(name({"0", "18", "198", "in-addr", "arpa"})));
  CHECK_FALSE(address_of_reverse_name(name({"4", "0", "18", "198", "ip6", "arpa"})));
  CHECK(same_dns_name(name({"Pi", "LOCAL"}), name({"pi", "local"})));
  CHECK_FALSE(same_dns_name(name({"pi", "local"}), name({"pj", "local"})));
}

TEST_CASE("random damage to real replies never reads astray") {
  // Property: whatever the bytes, decoding ends, and what it returns is within the bounds it promises.
  std::mt19937 random(12);
  const std::vector<std::vector<std::uint8_t>> seeds = {fixture("avahi-legacy-unicast-ptr.bin"),
                                                        fixture("dnsmasq-ptr.bin"), fixture("dnsmasq-refused.bin")};
  std::size_t decoded_count = 0;
  for (int round = 0; round < 20000; ++round) {
    std::vector<std::uint8_t> bytes = seeds[static_cast<std::size_t>(round) % seeds.size()];
    const int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = random() % bytes.size();
      switch (random() % 3) {
        case 0: bytes[at] = static_cast<std::uint8_t>(random()); break;
        case 1: bytes.resize(std::max<std::size_t>(1, at)); break;
        default: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(0xc0 | random() % 4)); break;
      }
    }
    const DnsDecodeResult result = decode_dns_message(bytes);
    if (!result.message) continue;
    ++decoded_count;
    const auto within_bounds = [](const DnsName& n) {
      std::size_t wire = 1;
      for (const auto& label : n) {
        if (label.empty() || label.size() > 63) return false;
        wire += 1 + label.size();
      }
      return wire <= 255;
    };
    CHECK(result.message->questions.size() <= max_dns_records);
    for (const auto& q : result.message->questions) CHECK(within_bounds(q.name));
    for (const auto& a : result.message->answers) {
      CHECK(within_bounds(a.name));
      CHECK(within_bounds(a.target));
    }
  }
  CHECK(decoded_count > 100);  // the property was exercised on messages that decode, not only on rejects
}
