// libFuzzer target: an agent report body through verify_report(), the check the collector runs on every
// POST, signed with a test key so the bytes reach parse_report(). Accepted reports must round-trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inventory/protocol/report.h"
#include "inventory/protocol/signing.h"
#include "tests/fuzz/signed_document_check.h"

using namespace pifind;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::check_signed_document(std::string_view(reinterpret_cast<const char*>(data), size), parse_report,
                                     sign_report, verify_report, [](const AgentReport& r) { return r.agent_id; });
}
