// libFuzzer target: an agent report body through verify_report(), the check the collector runs on every
// POST, signed with a test key so the bytes reach parse_report(). Accepted reports must round-trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "inventory/core/error.h"
#include "inventory/protocol/report.h"
#include "inventory/protocol/signing.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using pifind::fuzz::parsed_or_refused;
using pifind::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const FleetKey key = FleetKey::from_secret("pifind-fuzz-key-0123456789abcdef");
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto parsed = parsed_or_refused([&] { return parse_report(body); }, "report errors are one line");
  if (!parsed) return 0;
  const AgentReport& report = *parsed;
  require(!validate(report), "parse_report() returns only valid reports");
  const std::string once = to_body(report);
  const std::string twice = to_body(parse_report(once));
  require(once == twice, "an accepted report re-serialises and re-parses to the same body");

  // The collector's path: the same body, correctly signed with the headers it names.
  if (report.counter == 0 || report.counter > kMaxCounterJump) return 0;
  const SignedHeaders headers{report.agent_id.to_string(), std::to_string(report.counter),
                              sign_report(key, report.agent_id, report.counter, body), {}, {}};
  const Verification first = verify_report(key, headers, body, std::nullopt);
  require(first.accepted() && to_body(*first.report) == once, "a signed valid report is accepted as parsed");
  const Verification replay = verify_report(key, headers, body, report.counter);
  require(!replay.accepted() && replay.http_status == 409, "the same counter again is a replay (409)");
  return 0;
}
