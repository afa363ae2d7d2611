// libFuzzer target: a scan report body through verify_scan(), the check the collector runs on every
// POST /v1/scans, signed with a test key so the bytes reach parse_scan_report(). Accepted scans must round-trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "inventory/core/error.h"
#include "inventory/protocol/scan_report.h"
#include "inventory/protocol/signing.h"
#include "tests/fuzz/fuzz_check.h"

using namespace pifind;
using pifind::fuzz::parsed_or_refused;
using pifind::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const FleetKey key = FleetKey::from_secret("pifind-fuzz-key-0123456789abcdef");
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto parsed = parsed_or_refused([&] { return parse_scan_report(body); }, "scan errors are one line");
  if (!parsed) return 0;
  const ScanReport& report = *parsed;
  require(!validate(report), "parse_scan_report() returns only valid scans");
  const std::string once = to_body(report);
  const std::string twice = to_body(parse_scan_report(once));
  require(once == twice, "an accepted scan re-serialises and re-parses to the same body");

  // The collector's path: the same body, correctly signed with the headers it names.
  if (report.counter == 0 || report.counter > static_cast<std::uint64_t>(INT64_MAX)) return 0;
  const SignedHeaders headers{report.scanner_id.to_string(), std::to_string(report.counter),
                              sign_scan(key, report.scanner_id, report.counter, body)};
  const ScanVerification first = verify_scan(key, headers, body, std::nullopt);
  require(first.accepted() && to_body(*first.report) == once, "a signed valid scan is accepted as parsed");
  const ScanVerification replay = verify_scan(key, headers, body, report.counter);
  require(!replay.accepted() && replay.http_status == 409, "the same counter again is a replay (409)");
  return 0;
}
