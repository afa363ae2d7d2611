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
  const char* pcb;
};

// raspberrypi/documentation documentation/asciidoc/computers/raspberry-pi/revision-codes.adoc, old-style table.
constexpr std::array<OldStyle, 17> kOldStyle{{
    {0x0002, "B", 256, "Egoman", "1.0"},   {0x0003, "B", 256, "Egoman", "1.0"},  {0x0004, "B", 256, "Sony UK", "2.0"},
    {0x0005, "B", 256, "Qisda", "2.0"},    {0x0006, "B", 256, "Egoman", "2.0"},  {0x0007, "A", 256, "Egoman", "2.0"},
    {0x0008, "A", 256, "Sony UK", "2.0"},  {0x0009, "A", 256, "Qisda", "2.0"},   {0x000d, "B", 512, "Egoman", "2.0"},
    {0x000e, "B", 512, "Sony UK", "2.0"},  {0x000f, "B", 512, "Egoman", "2.0"},  {0x0010, "B+", 512, "Sony UK", "1.2"},
    {0x0011, "CM1", 512, "Sony UK", "1.0"}, {0x0012, "A+", 256, "Sony UK", "1.1"}, {0x0013, "B+", 512, "Embest", "1.2"},
    {0x0014, "CM1", 512, "Embest", "1.0"}, {0x0015, "A+", 256, "Embest", "1.1"},  // 0015 also came with 512 MB
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
    case 0x19: return "500";  // "500/500+": told apart by memory below
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
    } else if (key == "Model") {
      info.model = field_value(line);
    }
  }
  // Distribution kernels on a Pi print "Revision : 0000" and a zero serial: nothing said.
  auto zeros = [](const std::string& s) { return s.find_first_not_of('0') == std::string::npos; };
  if (zeros(info.revision)) info.revision.clear();
  if (zeros(info.serial)) info.serial.clear();
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
    if (memory <= 6) r.memory_mb = 256 << memory;  // 7 is "other": the firmware knows, the code does not
    // Type 0x19 is the 500 and the 500+; the documentation's table tells them by memory (d04190, e04190).
    if (type == 0x19 && r.memory_mb == 16384) r.board = "500+";
    r.pcb_revision = static_cast<int>(value & 0xf);
    r.board_revision = fmt::format("1.{}", value & 0xf);
    r.warranty_voided = (value & (1u << 25)) != 0;
    return r;
  }
  // Old style; bit 24 is the warranty bit (set by overvolting), printed as the "1000" prefix: "1000002".
  const std::uint32_t base = value & 0xffff;
  if ((value & ~(0xffffu | (1u << 24))) != 0) return std::nullopt;
  for (const auto& o : kOldStyle) {
    if (o.code != base) continue;
    r.board = o.board;
    r.processor = "BCM2835";
    r.memory_mb = o.memory_mb;
    r.manufacturer = o.manufacturer;
    r.board_revision = o.pcb;
    r.warranty_voided = (value & (1u << 24)) != 0;
    return r;
  }
  return std::nullopt;
}

namespace {

// A device-tree string property: up to its NUL, or whole without one.
std::string device_tree_string(const Sysroot& root, std::string_view path) {
  auto text = root.read(path, 1024);
  return text ? trim(std::string_view(*text).substr(0, text->find('\0'))) : std::string();
}

// A device-tree property of 32-bit big-endian cells, as one number.
std::optional<std::uint64_t> device_tree_cells(const Sysroot& root, std::string_view path, std::size_t cells) {
  const auto bytes = root.read(path, 64);
  if (!bytes || bytes->size() != 4 * cells) return std::nullopt;
  std::uint64_t v = 0;
  for (unsigned char c : *bytes) v = v << 8 | c;
  return v;
}

}  // namespace

std::string read_model(const Sysroot& root) {
  for (const char* path : {"/proc/device-tree/model", "/sys/firmware/devicetree/base/model"})
    if (auto model = device_tree_string(root, path); !model.empty()) return model;
  return {};
}

std::string read_device_tree_revision(const Sysroot& root) {
  for (const char* dir : {"/proc/device-tree", "/sys/firmware/devicetree/base"})
    if (const auto v = device_tree_cells(root, std::string(dir) + "/system/linux,revision", 1); v && *v != 0)
      return fmt::format("{:x}", *v);
  return {};
}

std::string read_device_tree_serial(const Sysroot& root) {
  for (const char* dir : {"/proc/device-tree", "/sys/firmware/devicetree/base"}) {
    auto text = device_tree_string(root, std::string(dir) + "/serial-number");
    if (!text.empty() && text.find_first_not_of('0') != std::string::npos) return text;
    if (const auto v = device_tree_cells(root, std::string(dir) + "/system/linux,serial", 2); v && *v != 0)
      return fmt::format("{:016x}", *v);
  }
  return {};
}

std::optional<int> memory_mb_from_meminfo(std::string_view meminfo) {
  const auto at = meminfo.find("MemTotal:");
  if (at == std::string_view::npos) return std::nullopt;
  long long kb = 0;
  const auto digits = meminfo.substr(at + 9).find_first_not_of(" \t");
  if (digits == std::string_view::npos) return std::nullopt;
  const auto rest = meminfo.substr(at + 9 + digits);
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), kb);
  if (ec != std::errc() || kb <= 0 || kb > (1LL << 34)) return std::nullopt;
  long long mb = 1;
  while (mb * 1024 < kb) mb *= 2;
  return static_cast<int>(mb);
}

Board read_board(const Sysroot& root) {
  Board b;
  CpuInfo info;
  if (const auto cpuinfo = root.read("/proc/cpuinfo", 256 * 1024)) info = parse_cpuinfo(*cpuinfo);
  b.model = read_model(root);
  if (b.model.empty()) b.model = info.model;
  const std::string code = info.revision.empty() ? read_device_tree_revision(root) : info.revision;
  b.revision = decode_revision(code);
  b.serial = info.serial.empty() ? read_device_tree_serial(root) : info.serial;
  if (b.revision && b.revision->memory_mb) {
    b.memory_mb = b.revision->memory_mb;
  } else if (const auto meminfo = root.read("/proc/meminfo", 64 * 1024)) {
    b.memory_mb = memory_mb_from_meminfo(*meminfo);
  }
  return b;
}

}  // namespace pifind::agent
