// NameResolver against responders played on loopback with real UDP sockets: a DNS server, an mDNS
// responder on another port than 5353, hosts that refuse (ICMP), and replies a hostile LAN may send.
#include "scanner/name_resolver.h"

#include <catch2/catch.hpp>
#include <map>

using namespace pifind;
using boost::asio::ip::udp;
using namespace std::chrono_literals;

namespace {

struct Answer {
  DnsName owner;
  std::uint16_t type;
  DnsName target;
};

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

void append_name(std::vector<std::uint8_t>& out, const DnsName& name) {
  for (const auto& label : name) {
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
  }
  out.push_back(0);
}

// A response to `query` (its ID and question repeated) with `answers`, uncompressed.
std::vector<std::uint8_t> response(const std::vector<std::uint8_t>& query, std::uint16_t flags,
                                   const std::vector<Answer>& answers, int id_offset = 0) {
  const DnsMessage q = *decode_dns_message(query).message;
  std::vector<std::uint8_t> out;
  append_u16(out, static_cast<std::uint16_t>(q.id + id_offset));
  append_u16(out, flags);
  append_u16(out, 1);
  append_u16(out, static_cast<std::uint16_t>(answers.size()));
  append_u16(out, 0);
  append_u16(out, 0);
  append_name(out, q.questions.at(0).name);
  append_u16(out, dns_type_ptr);
  append_u16(out, dns_class_in);
  for (const auto& a : answers) {
    append_name(out, a.owner);
    append_u16(out, a.type);
    append_u16(out, dns_class_in);
    append_u16(out, 0);
    append_u16(out, 10);
    std::vector<std::uint8_t> data;
    append_name(data, a.target);
    append_u16(out, static_cast<std::uint16_t>(data.size()));
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

DnsName question_of(const std::vector<std::uint8_t>& query) { return decode_dns_message(query).message->questions.at(0).name; }

DnsName dotted(const std::string& text) {
  DnsName name;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto dot = text.find('.', start);
    name.push_back(text.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return name;
}

struct Reply {
  std::vector<std::uint8_t> bytes;
  bool from_other_port = false;  ///< sent from a second socket: a spoofed source
};

// A UDP responder on loopback: every request gets the replies `answer` returns for it.
class FakeResponder {
 public:
  using Answerer = std::function<std::vector<Reply>(const std::vector<std::uint8_t>&)>;

  FakeResponder(boost::asio::io_context& io, const std::string& address, std::uint16_t port, Answerer answer)
      : socket_(io, udp::endpoint(boost::asio::ip::make_address(address), port)),
        other_(io, udp::endpoint(boost::asio::ip::make_address(address), 0)),
        answer_(std::move(answer)) {
    receive();
  }

  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  udp::endpoint endpoint() const { return socket_.local_endpoint(); }
  int requests = 0;

 private:
  void receive() {
    socket_.async_receive_from(boost::asio::buffer(buffer_), from_, [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      ++requests;
      for (const auto& reply : answer_(std::vector<std::uint8_t>(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n)))) {
        (reply.from_other_port ? other_ : socket_).send_to(boost::asio::buffer(reply.bytes), from_);
      }
      receive();
    });
  }

  udp::socket socket_;
  udp::socket other_;
  Answerer answer_;
  std::array<std::uint8_t, 2048> buffer_{};
  udp::endpoint from_;
};

// Runs lookups on `io` until each has completed, or `limit` passes.
struct Harness {
  boost::asio::io_context io;
  std::map<std::string, std::optional<HostName>> names;
  std::size_t expected = 0;

  NameResolver::Done recorder() {
    return [this](Ipv4Address ip, std::optional<HostName> name) {
      names[ip.to_string()] = std::move(name);
      if (names.size() == expected) io.stop();
    };
  }

  // Returns whether every lookup completed within `limit`.
  bool run(NameResolver& resolver, std::vector<std::string> ips, std::chrono::milliseconds limit) {
    expected = ips.size();
    for (const auto& ip : ips) resolver.lookup(*Ipv4Address::parse(ip));
    if (names.size() < expected) io.run_for(limit);
    return names.size() == expected;
  }
};

Answer ptr(const std::vector<std::uint8_t>& query, const std::string& target) {
  return {question_of(query), dns_type_ptr, dotted(target)};
}

}  // namespace

TEST_CASE("reverse DNS: a PTR answer names the host as soon as it comes") {
  Harness h;
  FakeResponder dns(h.io, "127.0.0.1", 0, [](const auto& q) {
    return std::vector<Reply>{{response(q, 0x8580, {ptr(q, "pi-dns.lab.example")})}};
  });
  NameResolverConfig config;
  config.nameservers = {dns.endpoint()};
  config.budget = 10s;  // completing needs no deadline
  NameResolver resolver(h.io, config, h.recorder());
  REQUIRE(h.run(resolver, {"198.18.0.7"}, 5s));
  REQUIRE(h.names["198.18.0.7"]);
  CHECK(h.names["198.18.0.7"]->name == "pi-dns.lab.example");
  CHECK(h.names["198.18.0.7"]->source == NameSource::kDns);
  CHECK(resolver.stats().dns_names == 1);
  CHECK(resolver.pending() == 0);
}

TEST_CASE("reverse DNS: wrong IDs, spoofed sources and broken replies are ignored") {
  Harness h;
  FakeResponder dns(h.io, "127.0.0.1", 0, [](const auto& q) {
    std::vector<std::uint8_t> loop = response(q, 0x8580, {});
    loop.resize(12);
    loop[5] = 1;  // one question, whose name is a pointer to itself
    loop.insert(loop.end(), {0xc0, 12, 0, 12, 0, 1});
    return std::vector<Reply>{{response(q, 0x8580, {ptr(q, "wrong-id.example")}, 1)},
                              {response(q, 0x8580, {ptr(q, "spoofed.example")}), true},
                              {loop},
                              {response(q, 0x8580, {ptr(q, "pi-good.lab.example")})}};
  });
  NameResolverConfig config;
  config.nameservers = {dns.endpoint()};
  config.budget = 10s;
  NameResolver resolver(h.io, config, h.recorder());
  REQUIRE(h.run(resolver, {"198.18.0.8"}, 5s));
  REQUIRE(h.names["198.18.0.8"]);
  CHECK(h.names["198.18.0.8"]->name == "pi-good.lab.example");
  CHECK(resolver.stats().rejected_replies == 2);
  CHECK(resolver.stats().malformed_replies == 1);
  CHECK(resolver.stats().malformed_by_reason[static_cast<std::size_t>(DnsDecodeError::kPointerLoop)] == 1);
}

TEST_CASE("reverse DNS: NXDOMAIN ends the lookup without a name, a CNAME is followed") {
  Harness h;
  FakeResponder dns(h.io, "127.0.0.1", 0, [](const auto& q) {
    const DnsName asked = question_of(q);
    if (asked[0] == "1") return std::vector<Reply>{{response(q, 0x8583, {})}};
    // RFC 2317: 2.0.18.198.in-addr.arpa CNAME 2.0/25.0.18.198.in-addr.arpa, which has the PTR.
    const DnsName delegated = dotted("2.0/25.0.18.198.in-addr.arpa");
    return std::vector<Reply>{{response(q, 0x8580, {{asked, dns_type_cname, delegated},
                                                    {delegated, dns_type_ptr, dotted("classless.lab.example")}})}};
  });
  NameResolverConfig config;
  config.nameservers = {dns.endpoint()};
  config.budget = 10s;
  NameResolver resolver(h.io, config, h.recorder());
  REQUIRE(h.run(resolver, {"198.18.0.1", "198.18.0.2"}, 5s));
  CHECK_FALSE(h.names["198.18.0.1"]);
  REQUIRE(h.names["198.18.0.2"]);
  CHECK(h.names["198.18.0.2"]->name == "classless.lab.example");
  CHECK(resolver.stats().unnamed == 1);
}

TEST_CASE("reverse DNS: a failing nameserver hands over to the next") {
  Harness h;
  FakeResponder failing(h.io, "127.0.0.1", 0, [](const auto& q) { return std::vector<Reply>{{response(q, 0x8582, {})}}; });
  FakeResponder working(h.io, "127.0.0.1", 0, [](const auto& q) {
    return std::vector<Reply>{{response(q, 0x8580, {ptr(q, "second.lab.example")})}};
  });
  NameResolverConfig config;
  config.nameservers = {failing.endpoint(), working.endpoint()};
  config.budget = 10s;
  NameResolver resolver(h.io, config, h.recorder());
  REQUIRE(h.run(resolver, {"198.18.0.9"}, 5s));
  REQUIRE(h.names["198.18.0.9"]);
  CHECK(h.names["198.18.0.9"]->name == "second.lab.example");
  CHECK(failing.requests == 1);
  CHECK(working.requests == 1);
}

TEST_CASE("mDNS: the host's own answer wins over DNS, and a closed port 5353 is noticed") {
  Harness h;
  // The responder plays 127.0.0.2's avahi-daemon; 127.0.0.3 has nothing on that port (ICMP port unreachable).
  FakeResponder mdns(h.io, "127.0.0.2", 0, [](const auto& q) {
    return std::vector<Reply>{{response(q, 0x8400, {ptr(q, "pi-rack-2.local")})}};
  });
  FakeResponder dns(h.io, "127.0.0.1", 0, [](const auto& q) {
    return std::vector<Reply>{{response(q, 0x8580, {ptr(q, "from-dns.lab.example")})}};
  });
  NameResolverConfig config;
  config.interface_address = Ipv4Address::parse("127.0.0.1");
  config.prefix_length = 8;
  config.nameservers = {dns.endpoint()};
  config.mdns_port = mdns.port();
  config.budget = 10s;
  NameResolver resolver(h.io, config, h.recorder());
  REQUIRE(h.run(resolver, {"127.0.0.2", "127.0.0.3"}, 5s));
  REQUIRE(h.names["127.0.0.2"]);
  CHECK(h.names["127.0.0.2"]->name == "pi-rack-2.local");
  CHECK(h.names["127.0.0.2"]->source == NameSource::kMdns);
  REQUIRE(h.names["127.0.0.3"]);
  CHECK(h.names["127.0.0.3"]->name == "from-dns.lab.example");
  CHECK(h.names["127.0.0.3"]->source == NameSource::kDns);
  CHECK(resolver.stats().mdns_refused == 1);
  CHECK(resolver.stats().mdns_multicast_queries == 0);
}

TEST_CASE("mDNS: an answer from the wrong host, with the wrong ID or an unprintable name does not count") {
  Harness h;
  FakeResponder mdns(h.io, "127.0.0.2", 0, [](const auto& q) {
    const DnsName other = reverse_pointer_name(*Ipv4Address::parse("127.0.0.9"));
    return std::vector<Reply>{{response(q, 0x8400, {ptr(q, "wrong-id.local")}, 7)},
                              {response(q, 0x8400, {ptr(q, "escape\x1b[2J.local")})},
                              {response(q, 0x8400, {{other, dns_type_ptr, dotted("other.local")}})},
                              {response(q, 0x8400, {ptr(q, "spoofed.local")}), true}};
  });
  NameResolverConfig config;
  config.interface_address = Ipv4Address::parse("127.0.0.1");
  config.prefix_length = 8;
  config.mdns_port = mdns.port();
  config.budget = 300ms;
  NameResolver resolver(h.io, config, h.recorder());
  REQUIRE(h.run(resolver, {"127.0.0.2"}, 5s));
  CHECK_FALSE(h.names["127.0.0.2"]);
  CHECK(resolver.stats().rejected_replies == 4);
  CHECK(resolver.stats().unnamed == 1);
}

// A nameserver that reads nothing: the queries just sit in its socket.
struct SilentNameserver {
  explicit SilentNameserver(boost::asio::io_context& io, std::chrono::milliseconds budget)
      : socket(io, udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
    config.nameservers = {socket.local_endpoint()};
    config.budget = budget;
  }
  udp::socket socket;
  NameResolverConfig config;
};

TEST_CASE("a host that never answers costs the budget and leaves nothing on the loop") {
  boost::asio::io_context io;
  const SilentNameserver silent(io, 150ms);
  const NameResolverConfig& config = silent.config;
  int done = 0;
  NameResolver resolver(io, config, [&](Ipv4Address, std::optional<HostName> name) {
    CHECK_FALSE(name);
    ++done;
  });
  resolver.lookup(*Ipv4Address::parse("198.18.0.10"));
  resolver.lookup(*Ipv4Address::parse("198.18.0.11"));
  resolver.lookup(*Ipv4Address::parse("198.18.0.10"));  // already running: not asked twice
  io.run();  // returns only once the resolver waits for nothing
  CHECK(done == 2);
  CHECK(resolver.stats().dns_queries == 4);  // each asked once, and again at half the budget
  CHECK(resolver.pending() == 0);
}

TEST_CASE("finish_all ends every lookup at once with what was found") {
  boost::asio::io_context io;
  const SilentNameserver silent(io, 60s);
  const NameResolverConfig& config = silent.config;
  int done = 0;
  NameResolver resolver(io, config, [&](Ipv4Address, std::optional<HostName>) { ++done; });
  resolver.lookup(*Ipv4Address::parse("198.18.0.12"));
  CHECK(done == 0);
  resolver.finish_all();
  CHECK(done == 1);
  io.run();  // nothing left waiting: returns at once
  CHECK(resolver.pending() == 0);
}
