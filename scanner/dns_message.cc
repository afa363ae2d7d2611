#include "scanner/dns_message.h"

#include <algorithm>

#include <fmt/format.h>

#include "inventory/core/clean_text.h"

namespace pifind {
namespace {

constexpr std::size_t header_bytes = 12;
constexpr std::size_t max_name_wire_bytes = 255;
constexpr std::size_t max_label_bytes = 63;

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool u16(std::size_t& at, std::uint16_t& out) const {
    if (at + 2 > bytes_.size()) return false;
    out = static_cast<std::uint16_t>(bytes_[at] << 8 | bytes_[at + 1]);
    at += 2;
    return true;
  }

  bool u32(std::size_t& at, std::uint32_t& out) const {
    std::uint16_t high = 0, low = 0;
    if (!u16(at, high) || !u16(at, low)) return false;
    out = static_cast<std::uint32_t>(high) << 16 | low;
    return true;
  }

  // Reads the name at `at` and moves `at` past it (past its first pointer, if it has one).
  std::optional<DnsDecodeError> name(std::size_t& at, DnsName& out) const {
    out.clear();
    std::size_t pos = at;
    // A pointer must land strictly before this bound, which falls with every jump: no loop survives.
    std::size_t bound = at;
    bool jumped = false;
    std::size_t wire_bytes = 1;  // the root label
    while (true) {
      if (pos >= bytes_.size()) return DnsDecodeError::kTruncated;
      const std::uint8_t length = bytes_[pos];
      if ((length & 0xc0) == 0xc0) {
        if (pos + 1 >= bytes_.size()) return DnsDecodeError::kTruncated;
        const std::size_t target = static_cast<std::size_t>(length & 0x3f) << 8 | bytes_[pos + 1];
        if (target >= bound) return DnsDecodeError::kPointerLoop;
        if (!jumped) at = pos + 2;
        jumped = true;
        bound = target;
        pos = target;
        continue;
      }
      if ((length & 0xc0) != 0) return DnsDecodeError::kBadLabel;
      if (length == 0) {
        if (!jumped) at = pos + 1;
        return std::nullopt;
      }
      if (pos + 1 + length > bytes_.size()) return DnsDecodeError::kTruncated;
      wire_bytes += 1 + length;
      if (wire_bytes > max_name_wire_bytes) return DnsDecodeError::kNameTooLong;
      out.emplace_back(reinterpret_cast<const char*>(bytes_.data() + pos + 1), length);
      pos += 1 + length;
    }
  }

 private:
  std::span<const std::uint8_t> bytes_;
};

DnsDecodeResult dns_failure(DnsDecodeError error) { return {std::nullopt, error}; }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// A label pifind may show: letters, digits, '-' and '_' in ASCII, and beyond ASCII whatever clean
// text allows (no C1 controls, line separators or bidi controls, which would make a listing lie).
bool printable_label(std::string_view label) {
  const auto ascii_allowed = [](char c) {
    return (c & 0x80) != 0 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  };
  return !label.empty() && std::all_of(label.begin(), label.end(), ascii_allowed) && is_clean_text(label, label.size());
}

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

}  // namespace

std::string_view to_string(DnsDecodeError error) {
  switch (error) {
    case DnsDecodeError::kTruncated: return "truncated";
    case DnsDecodeError::kBadLabel: return "bad_label";
    case DnsDecodeError::kPointerLoop: return "pointer_loop";
    case DnsDecodeError::kNameTooLong: return "name_too_long";
    case DnsDecodeError::kTooManyRecords: return "too_many_records";
    case DnsDecodeError::kBadRdata: return "bad_rdata";
  }
  return "unknown";
}

DnsDecodeResult decode_dns_message(std::span<const std::uint8_t> bytes) {
  const Reader reader(bytes);
  if (bytes.size() < header_bytes) return dns_failure(DnsDecodeError::kTruncated);
  DnsMessage message;
  std::size_t at = 0;
  std::uint16_t questions = 0, answers = 0, ignored = 0;
  reader.u16(at, message.id);
  reader.u16(at, message.flags);
  reader.u16(at, questions);
  reader.u16(at, answers);
  reader.u16(at, ignored);  // authority
  reader.u16(at, ignored);  // additional
  if (questions > max_dns_records || answers > max_dns_records) return dns_failure(DnsDecodeError::kTooManyRecords);
  for (std::uint16_t i = 0; i < questions; ++i) {
    DnsQuestion question;
    if (const auto error = reader.name(at, question.name)) return dns_failure(*error);
    if (!reader.u16(at, question.type) || !reader.u16(at, question.klass)) return dns_failure(DnsDecodeError::kTruncated);
    question.klass &= 0x7fff;
    message.questions.push_back(std::move(question));
  }
  for (std::uint16_t i = 0; i < answers; ++i) {
    DnsRecord record;
    std::uint16_t data_bytes = 0;
    if (const auto error = reader.name(at, record.name)) return dns_failure(*error);
    if (!reader.u16(at, record.type) || !reader.u16(at, record.klass) || !reader.u32(at, record.ttl_s) ||
        !reader.u16(at, data_bytes) || at + data_bytes > bytes.size()) {
      return dns_failure(DnsDecodeError::kTruncated);
    }
    record.klass &= 0x7fff;
    const std::size_t data_end = at + data_bytes;
    if (record.type == dns_type_ptr || record.type == dns_type_cname) {
      if (const auto error = reader.name(at, record.target)) return dns_failure(*error);
      if (at != data_end) return dns_failure(DnsDecodeError::kBadRdata);
    }
    at = data_end;
    message.answers.push_back(std::move(record));
  }
  return {std::move(message), DnsDecodeError::kTruncated};
}

std::vector<std::uint8_t> encode_dns_query(std::uint16_t id, const DnsQuestion& question, bool recursion_desired) {
  std::vector<std::uint8_t> out;
  out.reserve(header_bytes + 64);
  append_u16(out, id);
  append_u16(out, recursion_desired ? 0x0100 : 0);
  append_u16(out, 1);
  append_u16(out, 0);
  append_u16(out, 0);
  append_u16(out, 0);
  for (const auto& label : question.name) {
    const std::size_t length = std::min(label.size(), max_label_bytes);
    out.push_back(static_cast<std::uint8_t>(length));
    out.insert(out.end(), label.begin(), label.begin() + static_cast<std::ptrdiff_t>(length));
  }
  out.push_back(0);
  append_u16(out, question.type);
  append_u16(out, question.klass);
  return out;
}

DnsName reverse_pointer_name(Ipv4Address address) {
  const std::uint32_t v = address.value();
  return {std::to_string(v & 0xff), std::to_string(v >> 8 & 0xff), std::to_string(v >> 16 & 0xff),
          std::to_string(v >> 24), "in-addr", "arpa"};
}

std::optional<Ipv4Address> address_of_reverse_name(const DnsName& name) {
  if (name.size() != 6 || !same_dns_name({name[4], name[5]}, {"in-addr", "arpa"})) return std::nullopt;
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::string& label = name[3 - i];
    if (label.empty() || label.size() > 3 || (label.size() > 1 && label[0] == '0')) return std::nullopt;
    std::uint32_t octet = 0;
    for (const char c : label) {
      if (c < '0' || c > '9') return std::nullopt;
      octet = octet * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (octet > 255) return std::nullopt;
    value = value << 8 | octet;
  }
  return Ipv4Address(value);
}

bool same_dns_name(const DnsName& a, const DnsName& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      if (lower(a[i][j]) != lower(b[i][j])) return false;
    }
  }
  return true;
}

std::optional<std::string> printable_host_name(const DnsName& name) {
  if (name.empty()) return std::nullopt;
  std::string text;
  for (const auto& label : name) {
    if (!printable_label(label)) return std::nullopt;
    if (!text.empty()) text += '.';
    text += label;
  }
  return text;
}

}  // namespace pifind
