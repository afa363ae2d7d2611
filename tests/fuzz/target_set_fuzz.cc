// libFuzzer target: scan targets as given on the command line (parse_target) and as a targets file
// (TargetSet::add_from_stream). Accepted ranges re-parse from their own text; size() matches addresses().
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "inventory/core/error.h"
#include "scanner/target_set.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using pifind::fuzz::one_line;
using pifind::fuzz::parsed_or_refused;
using pifind::fuzz::require;

namespace {

// Listing more addresses than this per input would make the fuzzer slow, not find more.
constexpr std::uint64_t kMaxListedAddresses = 1 << 16;

void check_one_target(const std::string& text) {
  const auto parsed = parsed_or_refused([&] { return parse_target(text); }, "target errors are one line");
  if (!parsed) return;
  const Ipv4Range range = *parsed;
  require(range.first <= range.last, "a parsed range is not empty");
  const Ipv4Range again = parse_target(range.first.to_string() + "-" + range.last.to_string());
  require(again.first == range.first && again.last == range.last, "first-last text re-parses to the same range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_one_target(text);

  TargetSet set;
  std::istringstream in(text);
  try {
    set.add_from_stream(in, "targets.txt");
  } catch (const Error& e) {
    require(std::string_view(e.what()).starts_with("targets.txt:"), "file errors name the file and line");
    require(one_line(e.what()), "file errors are one line");
    return 0;
  }
  const std::uint64_t before = set.size();
  if (before > 0) set.exclude(Ipv4Address(0xc6120001));  // 198.18.0.1, as the scanner excludes its own
  const std::uint64_t count = set.size();
  require(count <= before && before - count <= 1, "excluding one address removes at most one");
  if (count > kMaxListedAddresses) return 0;
  const auto addresses = set.addresses();
  require(addresses.size() == count, "size() counts the addresses listed");
  for (std::size_t i = 1; i < addresses.size(); ++i)
    require(addresses[i - 1] < addresses[i], "addresses ascend without duplicates");
  return 0;
}
