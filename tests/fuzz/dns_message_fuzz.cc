// libFuzzer target: decode_dns_message() on any bytes a LAN may send to pifind's name lookups. An
// accepted message keeps every bound the decoder promises, and its names survive a query's encoding.
#include <cstddef>
#include <cstdint>
#include <span>

#include "scanner/dns_message.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using pifind::fuzz::require;

namespace {

bool within_bounds(const DnsName& name) {
  std::size_t wire_bytes = 1;
  for (const auto& label : name) {
    if (label.empty() || label.size() > 63) return false;
    wire_bytes += 1 + label.size();
  }
  return wire_bytes <= 255;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const DnsDecodeResult decoded = decode_dns_message(std::span<const std::uint8_t>(data, size));
  if (!decoded.message) {
    require(!to_string(decoded.error).empty(), "every decode error has a name");
    return 0;
  }
  const DnsMessage& message = *decoded.message;
  require(message.questions.size() <= max_dns_records && message.answers.size() <= max_dns_records,
          "at most max_dns_records questions and answers");
  for (const auto& question : message.questions) {
    require(within_bounds(question.name), "a question's name is within 255 bytes, labels within 63");
    // The name goes back out in a query and decodes to itself.
    const auto query = encode_dns_query(message.id, question, false);
    const DnsDecodeResult again = decode_dns_message(query);
    require(again.message && again.message->questions.size() == 1 &&
                again.message->questions[0].name == question.name,
            "a decoded name encodes and decodes to itself");
  }
  for (const auto& answer : message.answers) {
    require(within_bounds(answer.name) && within_bounds(answer.target), "an answer's names are within bounds");
    if (const auto text = printable_host_name(answer.target)) {
      require(fuzz::one_line(*text) && text->find(' ') == std::string::npos, "a printable name is one word");
    }
    if (const auto ip = address_of_reverse_name(answer.name)) {
      require(same_dns_name(reverse_pointer_name(*ip), answer.name), "a reverse name maps back to itself");
    }
  }
  return 0;
}
