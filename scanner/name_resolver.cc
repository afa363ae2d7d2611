#include "scanner/name_resolver.h"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <deque>
#include <random>
#include <unordered_map>

#include "scanner/scan_clock.h"

namespace pifind {

namespace {

using boost::asio::ip::udp;

// Replies are at most 512 bytes (legacy unicast and DNS without EDNS); a bigger datagram is cut here
// and fails to decode if its counts announce more.
constexpr std::size_t receive_buffer_bytes = 4096;
// A CNAME chain (RFC 2317 classless delegation) longer than this is not followed.
constexpr int max_cname_hops = 8;

bool in_network(Ipv4Address address, Ipv4Address network_member, int prefix_length) {
  const std::uint32_t mask = netmask_of(prefix_length);
  return (address.value() & mask) == (network_member.value() & mask);
}

}  // namespace

class NameResolver::Session {
 private:
  enum class MdnsState { kNotAsked, kUnicastSent, kMulticastSent, kRefused };
  enum class DnsState { kNotAsked, kSent, kFinished };

  struct Lookup {
    Ipv4Address ip;
    DnsName question;
    std::uint64_t generation = 0;
    MdnsState mdns = MdnsState::kNotAsked;
    DnsState dns = DnsState::kNotAsked;
    std::uint16_t mdns_id = 0;
    std::uint16_t dns_id = 0;
    /// Indexes into the nameservers asked so far, as bits; the next one to ask.
    unsigned dns_servers_asked = 0;
    std::size_t next_dns_server = 0;
    std::optional<std::string> mdns_name;
    std::optional<std::string> dns_name;
  };

  // A phase of every lookup, due a fixed time after it started: each queue is in time order.
  struct Due {
    ScanTime at;
    std::uint32_t ip;
    std::uint64_t generation;
  };

 public:
  Session(boost::asio::io_context& io, NameResolverConfig config, Done done)
      : io_(io), config_(std::move(config)), done_(std::move(done)), timer_(io), random_(std::random_device{}()) {}

  ~Session() {
    boost::system::error_code ignored;
    timer_.cancel();
    for (auto* socket : {&mdns_socket_, &dns_socket_v4_, &dns_socket_v6_}) {
      if (socket->is_open()) socket->close(ignored);
    }
  }

  void lookup(Ipv4Address ip) {
    if (lookups_.count(ip.value()) != 0) return;
    open_sockets();
    const ScanTime now = ScanClock::now();
    Lookup& lookup = lookups_[ip.value()];
    lookup.ip = ip;
    lookup.question = reverse_pointer_name(ip);
    lookup.generation = ++generation_;
    ++stats_.asked;
    if (mdns_socket_.is_open() && in_network(ip, *config_.interface_address, config_.prefix_length)) {
      lookup.mdns_id = random_id();
      if (send_mdns(lookup, udp::endpoint(boost::asio::ip::address_v4(ip.value()), config_.mdns_port))) {
        lookup.mdns = MdnsState::kUnicastSent;
        ++stats_.mdns_unicast_queries;
        multicast_due_.push_back({now + config_.budget / 3, ip.value(), lookup.generation});
      }
    }
    if (!config_.nameservers.empty()) {
      lookup.dns_id = random_id();
      ask_next_nameserver(lookup);
      if (lookup.dns == DnsState::kSent) retry_due_.push_back({now + config_.budget / 2, ip.value(), lookup.generation});
    }
    deadline_due_.push_back({now + config_.budget, ip.value(), lookup.generation});
    if (!complete_if_settled(ip.value())) arm();
  }

  void finish_all() {
    while (!lookups_.empty()) complete(lookups_.begin()->first);
    disarm();
  }

  std::size_t pending() const { return lookups_.size(); }
  const NameLookupStats& stats() const { return stats_; }

 private:
  std::uint16_t random_id() { return static_cast<std::uint16_t>(random_() & 0xffff); }

  void open_sockets() {
    if (sockets_opened_) return;
    sockets_opened_ = true;
    boost::system::error_code ec;
    if (config_.interface_address) {
      const auto address = boost::asio::ip::address_v4(config_.interface_address->value());
      mdns_socket_.open(udp::v4(), ec);
      // From the interface's own address (responders answer only on-link sources), a port other than
      // 5353 (so replies come back by unicast), multicast out of this interface with TTL 255 (RFC 6762 11).
      if (!ec) mdns_socket_.bind(udp::endpoint(address, 0), ec);
      if (!ec) mdns_socket_.set_option(boost::asio::ip::multicast::outbound_interface(address), ec);
      if (!ec) mdns_socket_.set_option(boost::asio::ip::multicast::hops(255), ec);
      if (!ec) mdns_socket_.set_option(boost::asio::ip::multicast::enable_loopback(false), ec);
      // ICMP errors (port unreachable: no responder there) are queued for us instead of dropped.
      const int on = 1;
      if (!ec && setsockopt(mdns_socket_.native_handle(), IPPROTO_IP, IP_RECVERR, &on, sizeof on) != 0) {
        ec.assign(errno, boost::system::system_category());
      }
      if (!ec) mdns_socket_.non_blocking(true, ec);
      if (ec) mdns_socket_.close(ec);  // no mDNS: the interface's address is gone or unusable
    }
    for (const auto& server : config_.nameservers) {
      udp::socket& socket = server.address().is_v4() ? dns_socket_v4_ : dns_socket_v6_;
      if (socket.is_open()) continue;
      socket.open(server.address().is_v4() ? udp::v4() : udp::v6(), ec);
      if (!ec) socket.non_blocking(true, ec);
      if (ec) socket.close(ec);
    }
  }

  bool send_mdns(Lookup& lookup, const udp::endpoint& to) {
    const auto query = encode_dns_query(lookup.mdns_id, {lookup.question, dns_type_ptr, dns_class_in}, false);
    boost::system::error_code ec;
    mdns_socket_.send_to(boost::asio::buffer(query), to, 0, ec);
    if (ec == boost::asio::error::connection_refused) {
      // The error of an earlier query, reported on this send: read it, and send again.
      read_icmp_errors();
      mdns_socket_.send_to(boost::asio::buffer(query), to, 0, ec);
    }
    return !ec;
  }

  /// The nameservers a lookup may ask: as many as Lookup::dns_servers_asked has bits for.
  std::size_t usable_nameservers() const { return std::min(config_.nameservers.size(), sizeof(unsigned) * 8); }

  void ask_next_nameserver(Lookup& lookup) {
    const std::size_t count = usable_nameservers();
    for (std::size_t tried = 0; tried < count; ++tried) {
      const std::size_t index = lookup.next_dns_server++ % count;
      const udp::endpoint& server = config_.nameservers[index];
      udp::socket& socket = server.address().is_v4() ? dns_socket_v4_ : dns_socket_v6_;
      if (!socket.is_open()) continue;
      const auto query = encode_dns_query(lookup.dns_id, {lookup.question, dns_type_ptr, dns_class_in}, true);
      boost::system::error_code ec;
      socket.send_to(boost::asio::buffer(query), server, 0, ec);
      if (ec) continue;  // unreachable (no route in a namespace without DNS): try the next
      lookup.dns_servers_asked |= 1u << index;
      lookup.dns = DnsState::kSent;
      ++stats_.dns_queries;
      return;
    }
    if (lookup.dns != DnsState::kSent) lookup.dns = DnsState::kFinished;
  }

  // Arms what waits on the loop: the receives while lookups run, and the timer for the next due phase.
  void arm() {
    if (lookups_.empty()) return;
    receive(mdns_socket_, mdns_buffer_, mdns_from_, mdns_receiving_, true);
    receive(dns_socket_v4_, dns_buffer_v4_, dns_from_v4_, dns_v4_receiving_, false);
    receive(dns_socket_v6_, dns_buffer_v6_, dns_from_v6_, dns_v6_receiving_, false);
    drop_stale(multicast_due_);
    drop_stale(retry_due_);
    drop_stale(deadline_due_);
    std::optional<ScanTime> next;
    for (const auto* queue : {&multicast_due_, &retry_due_, &deadline_due_}) {
      if (!queue->empty() && (!next || queue->front().at < *next)) next = queue->front().at;
    }
    if (!next || (timer_armed_ && timer_at_ == *next)) return;
    timer_at_ = *next;
    timer_armed_ = true;
    timer_.expires_at(*next);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      timer_armed_ = false;
      on_timer();
    });
  }

  // With nothing running, nothing may keep the loop alive: the receives and the timer are cancelled.
  void disarm() {
    if (!lookups_.empty()) return;
    boost::system::error_code ignored;
    for (auto* socket : {&mdns_socket_, &dns_socket_v4_, &dns_socket_v6_}) {
      if (socket->is_open()) socket->cancel(ignored);
    }
    timer_.cancel();
    timer_armed_ = false;
    multicast_due_.clear();
    retry_due_.clear();
    deadline_due_.clear();
  }

  void receive(udp::socket& socket, std::array<std::uint8_t, receive_buffer_bytes>& buffer, udp::endpoint& from,
               bool& receiving, bool mdns) {
    if (!socket.is_open() || receiving) return;
    receiving = true;
    socket.async_receive_from(boost::asio::buffer(buffer), from,
                              [this, &socket, &buffer, &from, &receiving, mdns](boost::system::error_code ec,
                                                                                std::size_t bytes) {
                                receiving = false;
                                if (ec == boost::asio::error::operation_aborted) {
                                  arm();
                                  return;
                                }
                                if (mdns) read_icmp_errors();
                                if (ec && ec != boost::asio::error::connection_refused) {
                                  // A socket that fails otherwise would fail again at once: give it up,
                                  // and let its lookups end at their budget.
                                  boost::system::error_code ignored;
                                  socket.close(ignored);
                                }
                                if (!ec) {
                                  const std::span<const std::uint8_t> reply(buffer.data(), bytes);
                                  if (mdns) {
                                    on_mdns_reply(reply, from);
                                  } else {
                                    on_dns_reply(reply, from);
                                  }
                                }
                                arm();
                              });
  }

  void drop_stale(std::deque<Due>& queue) {
    while (!queue.empty() && !is_current(queue.front())) queue.pop_front();
  }

  bool is_current(const Due& due) const {
    const auto it = lookups_.find(due.ip);
    return it != lookups_.end() && it->second.generation == due.generation;
  }

  void on_timer() {
    const ScanTime now = ScanClock::now();
    while (!multicast_due_.empty() && multicast_due_.front().at <= now) {
      const Due due = multicast_due_.front();
      multicast_due_.pop_front();
      if (!is_current(due)) continue;
      Lookup& lookup = lookups_.at(due.ip);
      if (lookup.mdns != MdnsState::kUnicastSent) continue;
      if (send_mdns(lookup, udp::endpoint(config_.mdns_group, config_.mdns_port))) {
        lookup.mdns = MdnsState::kMulticastSent;
        ++stats_.mdns_multicast_queries;
      }
    }
    while (!retry_due_.empty() && retry_due_.front().at <= now) {
      const Due due = retry_due_.front();
      retry_due_.pop_front();
      if (!is_current(due)) continue;
      Lookup& lookup = lookups_.at(due.ip);
      if (lookup.dns == DnsState::kSent) ask_next_nameserver(lookup);  // a lost query, or a slow server
    }
    while (!deadline_due_.empty() && deadline_due_.front().at <= now) {
      const Due due = deadline_due_.front();
      deadline_due_.pop_front();
      if (is_current(due)) complete(due.ip);
    }
    if (lookups_.empty()) {
      disarm();
    } else {
      arm();
    }
  }

  // Records the ICMP errors queued on the mDNS socket: a host whose port 5353 is closed has no responder.
  void read_icmp_errors() {
    while (true) {
      sockaddr_in offender{};
      alignas(cmsghdr) char control[512];  // the CMSG_* macros read cmsghdr fields in place
      std::uint8_t data[64];
      iovec io{data, sizeof data};
      msghdr message{};
      message.msg_name = &offender;
      message.msg_namelen = sizeof offender;
      message.msg_iov = &io;
      message.msg_iovlen = 1;
      message.msg_control = control;
      message.msg_controllen = sizeof control;
      if (recvmsg(mdns_socket_.native_handle(), &message, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
      bool from_icmp = false;
      for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
        if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR) continue;
        sock_extended_err error{};
        std::memcpy(&error, CMSG_DATA(c), sizeof error);
        from_icmp = error.ee_origin == SO_EE_ORIGIN_ICMP || error.ee_origin == SO_EE_ORIGIN_LOCAL;
      }
      // The original destination of the query the error answers.
      if (!from_icmp || message.msg_namelen < sizeof offender || offender.sin_family != AF_INET ||
          ntohs(offender.sin_port) != config_.mdns_port) {
        continue;
      }
      const auto it = lookups_.find(ntohl(offender.sin_addr.s_addr));
      if (it == lookups_.end() || it->second.mdns != MdnsState::kUnicastSent) continue;
      it->second.mdns = MdnsState::kRefused;
      ++stats_.mdns_refused;
      complete_if_settled(it->first);
    }
  }

  std::optional<DnsMessage> decode_reply(std::span<const std::uint8_t> bytes) {
    DnsDecodeResult decoded = decode_dns_message(bytes);
    if (!decoded.message) {
      ++stats_.malformed_replies;
      ++stats_.malformed_by_reason.at(static_cast<std::size_t>(decoded.error));
      return std::nullopt;
    }
    if (!decoded.message->is_response() || decoded.message->opcode() != 0) {
      ++stats_.rejected_replies;
      return std::nullopt;
    }
    return std::move(decoded.message);
  }

  // A question section, when the reply repeats it, must be ours (RFC 6762 6.7 and RFC 5452 require it).
  static bool asks_only(const DnsMessage& reply, const DnsName& question) {
    for (const auto& q : reply.questions) {
      if (q.type != dns_type_ptr || q.klass != dns_class_in || !same_dns_name(q.name, question)) return false;
    }
    return true;
  }

  void on_mdns_reply(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
    const auto reply = decode_reply(bytes);
    if (!reply) return;
    // Legacy unicast replies come from port 5353 of a host on the link.
    const bool from_link = from.address().is_v4() && from.port() == config_.mdns_port &&
                           in_network(Ipv4Address(from.address().to_v4().to_uint()), *config_.interface_address,
                                      config_.prefix_length);
    bool useful = false;
    for (const auto& record : reply->answers) {
      if (record.type != dns_type_ptr || record.klass != dns_class_in) continue;
      const auto ip = address_of_reverse_name(record.name);
      if (!ip) continue;
      const auto it = lookups_.find(ip->value());
      if (it == lookups_.end()) continue;
      Lookup& lookup = it->second;
      const bool asked = lookup.mdns == MdnsState::kUnicastSent || lookup.mdns == MdnsState::kMulticastSent;
      // To the unicast query only the host itself answers; to the multicast one any responder may.
      const bool right_source =
          from_link && (lookup.mdns == MdnsState::kMulticastSent || from.address().to_v4().to_uint() == ip->value());
      if (!asked || !right_source || reply->id != lookup.mdns_id || !asks_only(*reply, lookup.question) ||
          lookup.mdns_name) {
        continue;
      }
      const auto name = printable_host_name(record.target);
      if (!name) continue;
      lookup.mdns_name = *name;
      useful = true;
      complete_if_settled(ip->value());
    }
    if (!useful) ++stats_.rejected_replies;
  }

  void on_dns_reply(std::span<const std::uint8_t> bytes, const udp::endpoint& from) {
    const auto reply = decode_reply(bytes);
    if (!reply) return;
    // The one question says which lookup this is; the ID and the server asked must agree.
    std::optional<Ipv4Address> ip;
    if (reply->questions.size() == 1) ip = address_of_reverse_name(reply->questions.front().name);
    const auto it = ip ? lookups_.find(ip->value()) : lookups_.end();
    if (it == lookups_.end() || it->second.dns != DnsState::kSent || reply->id != it->second.dns_id ||
        !asks_only(*reply, it->second.question) || !asked_server(it->second, from)) {
      ++stats_.rejected_replies;
      return;
    }
    Lookup& lookup = it->second;
    if (reply->rcode() == 0 && !reply->truncated()) {
      lookup.dns_name = ptr_target(*reply, lookup.question);
      lookup.dns = DnsState::kFinished;
    } else if (reply->rcode() == dns_rcode_nxdomain) {
      lookup.dns = DnsState::kFinished;  // authoritative: no name
    } else {
      // SERVFAIL, REFUSED or a truncated reply: the next nameserver, if there is one not yet asked.
      const std::size_t count = usable_nameservers();
      const unsigned all = count >= sizeof(unsigned) * 8 ? ~0u : (1u << count) - 1;
      if ((lookup.dns_servers_asked & all) == all) {
        lookup.dns = DnsState::kFinished;
      } else {
        ask_next_nameserver(lookup);
      }
    }
    complete_if_settled(ip->value());
  }

  bool asked_server(const Lookup& lookup, const udp::endpoint& from) const {
    for (std::size_t i = 0; i < usable_nameservers(); ++i) {
      if ((lookup.dns_servers_asked & (1u << i)) != 0 && config_.nameservers[i] == from) return true;
    }
    return false;
  }

  // The PTR answer for `question`, following CNAMEs (RFC 2317 delegation) within the answer section.
  std::optional<std::string> ptr_target(const DnsMessage& reply, const DnsName& question) {
    DnsName owner = question;
    for (int hop = 0; hop <= max_cname_hops; ++hop) {
      const DnsRecord* cname = nullptr;
      for (const auto& record : reply.answers) {
        if (record.klass != dns_class_in || !same_dns_name(record.name, owner)) continue;
        if (record.type == dns_type_ptr) {
          if (auto name = printable_host_name(record.target)) return name;
          ++stats_.rejected_replies;
          return std::nullopt;
        }
        if (record.type == dns_type_cname && cname == nullptr) cname = &record;
      }
      if (cname == nullptr) return std::nullopt;
      owner = cname->target;
    }
    return std::nullopt;
  }

  // Completes the lookup when nothing it still waits for could change its answer. Returns whether it did.
  bool complete_if_settled(std::uint32_t ip) {
    const auto it = lookups_.find(ip);
    if (it == lookups_.end()) return true;
    const Lookup& lookup = it->second;
    const bool mdns_settled = lookup.mdns_name || lookup.mdns == MdnsState::kNotAsked || lookup.mdns == MdnsState::kRefused;
    const bool dns_settled = lookup.dns != DnsState::kSent;
    // mDNS's name wins, so it ends the lookup at once; DNS's waits for mDNS to answer or refuse.
    if (!lookup.mdns_name && !(mdns_settled && dns_settled)) return false;
    complete(ip);
    if (lookups_.empty()) disarm();
    return true;
  }

  void complete(std::uint32_t ip) {
    auto node = lookups_.extract(ip);
    if (node.empty()) return;
    const Lookup& lookup = node.mapped();
    std::optional<HostName> name;
    if (lookup.mdns_name) {
      name = HostName{*lookup.mdns_name, NameSource::kMdns};
      ++stats_.mdns_names;
    } else if (lookup.dns_name) {
      name = HostName{*lookup.dns_name, NameSource::kDns};
      ++stats_.dns_names;
    } else {
      ++stats_.unnamed;
    }
    done_(lookup.ip, std::move(name));
  }

  boost::asio::io_context& io_;
  NameResolverConfig config_;
  Done done_;
  boost::asio::steady_timer timer_;
  bool timer_armed_ = false;
  ScanTime timer_at_{};
  std::mt19937 random_;
  bool sockets_opened_ = false;
  udp::socket mdns_socket_{io_};
  udp::socket dns_socket_v4_{io_};
  udp::socket dns_socket_v6_{io_};
  std::array<std::uint8_t, receive_buffer_bytes> mdns_buffer_{}, dns_buffer_v4_{}, dns_buffer_v6_{};
  udp::endpoint mdns_from_, dns_from_v4_, dns_from_v6_;
  bool mdns_receiving_ = false, dns_v4_receiving_ = false, dns_v6_receiving_ = false;
  std::unordered_map<std::uint32_t, Lookup> lookups_;
  std::uint64_t generation_ = 0;
  std::deque<Due> multicast_due_, retry_due_, deadline_due_;
  NameLookupStats stats_;
};

NameResolver::NameResolver(boost::asio::io_context& io, NameResolverConfig config, Done done)
    : session_(std::make_unique<Session>(io, std::move(config), std::move(done))) {}

NameResolver::~NameResolver() = default;

void NameResolver::lookup(Ipv4Address ip) { session_->lookup(ip); }
void NameResolver::finish_all() { session_->finish_all(); }
std::size_t NameResolver::pending() const { return session_->pending(); }
const NameLookupStats& NameResolver::stats() const { return session_->stats(); }

}  // namespace pifind
