// CRC-32C (Castagnoli), the checksum of iSCSI, ext4 and LevelDB's log: it frames the inventory's journal.
// The CPU's crc32 instruction where there is one (x86-64 SSE 4.2, ARMv8 CRC), else slicing-by-8 tables.
#pragma once

#include <cstdint>
#include <string_view>

namespace pifind {

/// The CRC-32C of `data` (initial value and final xor 0xffffffff, reflected): crc32c("123456789") == 0xe3069283.
std::uint32_t crc32c(std::string_view data);

/// The same computed with the portable tables only, for testing the fast path against.
std::uint32_t crc32c_portable(std::string_view data);

}  // namespace pifind
