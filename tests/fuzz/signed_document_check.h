// What the report and scan fuzz targets check of a signed document's parser, the collector's path for any
// bytes: a refusal is one line; an accepted document is valid and re-serialises to itself; the same body
// correctly signed is accepted as parsed, and its counter again is a replay.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "inventory/protocol/signing.h"
#include "tests/fuzz/fuzz_check.h"

namespace pifind::fuzz {

/// `parse` and `verify` are the document's (parse_report, verify_report; parse_scan_report, verify_scan),
/// `sign` its signature, `sender_of` the document's field that names its sender.
template <typename Parse, typename Sign, typename Verify, typename SenderOf>
int check_signed_document(std::string_view body, Parse parse, Sign sign, Verify verify, SenderOf sender_of) {
  static const FleetKey key = FleetKey::from_secret("pifind-fuzz-key-0123456789abcdef");
  const auto parsed = parsed_or_refused([&] { return parse(body); }, "refusals are one line");
  if (!parsed) return 0;
  const auto& document = *parsed;
  require(!validate(document), "the parser returns only valid documents");
  const std::string once = to_body(document);
  const std::string twice = to_body(parse(once));
  require(once == twice, "an accepted document re-serialises and re-parses to the same body");

  // The collector's path: the same body, correctly signed with the headers it names.
  if (document.counter == 0 || document.counter > kMaxCounterJump) return 0;
  const MacAddress sender = sender_of(document);
  const SignedHeaders headers{sender.to_string(), std::to_string(document.counter),
                              sign(key, sender, document.counter, body), {}, {}};
  const auto first = verify(key, headers, body, std::nullopt);
  require(first.accepted() && to_body(*first.report) == once, "a signed valid document is accepted as parsed");
  const auto replay = verify(key, headers, body, document.counter);
  require(!replay.accepted() && replay.http_status() == 409, "the same counter again is a replay (409)");
  return 0;
}

}  // namespace pifind::fuzz
