// libFuzzer target: a scan report body through verify_scan(), the check the collector runs on every
// POST /v1/scans, signed with a test key so the bytes reach parse_scan_report(). Accepted scans must round-trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inventory/protocol/scan_report.h"
#include "inventory/protocol/signing.h"
#include "tests/fuzz/signed_document_check.h"

using namespace pifind;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz::check_signed_document(std::string_view(reinterpret_cast<const char*>(data), size), parse_scan_report,
                                     sign_scan, verify_scan, [](const ScanReport& r) { return r.scanner_id; });
}
