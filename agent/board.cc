#include "agent/board.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

#include <fmt/format.h>

namespace pifind::agent {
namespace {

struct OldStyle {
  std::uint32_t code;
  const char* board;
  int memory_mb;
  const char* manufacturer;
};

// raspberrypi/documentation revision-codes.adoc, old-style table.
constexpr std::array<OldStyle, 17> kOldStyle{{
    {0x0002, "B", 256, "Egoman"},   {0x0003, "B", 256, "Egoman"},   {0x0004, "B", 256, "Sony UK"},
    {0x0005, "B", 256, "Qisda"},    {0x0006, "B", 256, "Egoman"},   {0x0007, "A", 256, "Egoman"},
    {0x0008, "A", 256, "Sony UK"},  {0x0009, "A", 256, "Qisda"},    {0x000d, "B", 512, "Egoman"},
    {0x000e, "B", 512, "Sony UK"},  {0x000f, "B", 512, "Egoman"},   {0x0010, "B+", 512, "Sony UK"},
    {0x0011, "CM1", 512, "Sony UK"}, {0x0012, "A+", 256, "Sony UK"}, {0x0013, "B+", 512, "Embest"},
    {0x0014, "CM1", 512, "Embest"}, {0x0015, "A+", 256, "Embest"},  // 0015 also came with 512 MB
}};

const char* new_style_type(unsigned type) {
  switch (type) {
    case 0x00: return "A";
    case 0x01: return "B";
    case 0x02: return "A+";
    case 0x03: return "B+";
    case 0x04: return "2B";
    case 0x05: return "Alpha";
    case 0x06: return "CM1";
    case 0x08: return "3B";
    case 0x09: return "Zero";
    case 0x0a: return "CM3";
    case 0x0c: return "Zero W";
    case 0x0d: return "3B+";
    case 0x0e: return "3A+";
    case 0x10: return "CM3+";
    case 0x11: return "4B";
    case 0x12: return "Zero 2 W";
    case 0x13: return "400";
    case 0x14: return "CM4";
    case 0x15: return "CM4S";
    case 0x17: return "5";
    case 0x18: return "CM5";
    case 0x19: return "500";
    case 0x1a: return "CM5 Lite";
    case 0x1b: return "CM0";
    default: return nullptr;
  }
}

std::string field_value(std::string_view line) {
  const auto colon = line.find(':');
  return colon == std::string_view::npos ? std::string() : trim(line.substr(colon + 1));
}

}  // namespace

CpuInfo parse_cpuinfo(std::string_view text) {
  CpuInfo info;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const std::string key = trim(line.substr(0, line.find(':')));
    if (key == "Revision") {
      info.revision = field_value(line);
      for (auto& c : info.revision) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (key == "Serial") {
      info.serial = field_value(line);
    }
  }
  return info;
}

std::optional<BoardRevision> decode_revision(std::string_view code) {
  std::uint32_t value = 0;
  if (code.empty() || code.size() > 8) return std::nullopt;
  const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), value, 16);
  if (ec != std::errc() || end != code.data() + code.size()) return std::nullopt;

  BoardRevision r;
  r.code = std::string(code);
  if (value & (1u << 23)) {
    r.new_style = true;
    const unsigned type = (value >> 4) & 0xff;
    const char* name = new_style_type(type);
    r.board = name ? name : fmt::format("unknown (0x{:02x})", type);
    static constexpr const char* processors[] = {"BCM2835", "BCM2836", "BCM2837", "BCM2711", "BCM2712"};
    const unsigned processor = (value >> 12) & 0xf;
    r.processor = processor < 5 ? processors[processor] : fmt::format("unknown ({})", processor);
    static constexpr const char* makers[] = {"Sony UK", "Egoman", "Embest", "Sony Japan", "Embest", "Stadium"};
    const unsigned maker = (value >> 16) & 0xf;
    r.manufacturer = maker < 6 ? makers[maker] : fmt::format("unknown ({})", maker);
    const unsigned memory = (value >> 20) & 0x7;
    if (memory <= 6) r.memory_mb = 256 << memory;
    r.pcb_revision = static_cast<int>(value & 0xf);
    return r;
  }
  // Old style; bit 24 is the warranty (overvolted) flag, e.g. "1000002".
  const std::uint32_t base = value & 0xffff;
  for (const auto& o : kOldStyle) {
    if (o.code != base) continue;
    r.board = o.board;
    r.processor = "BCM2835";
    r.memory_mb = o.memory_mb;
    r.manufacturer = o.manufacturer;
    return r;
  }
  return std::nullopt;
}

std::string read_model(const Sysroot& root) {
  // A device-tree string ends at its NUL (what follows is not part of it); one without a NUL is whole.
  auto model = root.read("/proc/device-tree/model", 1024);
  return model ? trim(std::string_view(*model).substr(0, model->find('\0'))) : std::string();
}

}  // namespace pifind::agent
