#include "inventory/store/inventory_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inventory/core/crc32c.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_json.h"

namespace pifind {
namespace {

constexpr std::string_view kMagic = "pifind-journal ";
constexpr int kFormat = 1;
// "LLLLLLLL CCCCCCCC\n": payload length and CRC-32C, lowercase hex. The checksum catches a torn tail short of a
// 2^-32 coincidence.
constexpr std::size_t kFrameHeaderBytes = 18;

std::optional<std::uint32_t> parse_hex8(std::string_view text) {
  std::uint32_t value = 0;
  if (text.size() != 8) return std::nullopt;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return value;
}

// The generation in a header line without its newline: "pifind-journal 1 generation 7".
std::uint64_t parse_header(std::string_view line) {
  if (line.substr(0, kMagic.size()) != kMagic) throw Error("not a pifind journal");
  line.remove_prefix(kMagic.size());
  int format = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), format);
  if (ec != std::errc()) throw Error("not a pifind journal: no format number");
  if (format != kFormat)
    throw Error(fmt::format("journal format {} is not one this pifind understands ({}); upgrade pifind", format, kFormat));
  line.remove_prefix(static_cast<std::size_t>(end - line.data()));
  constexpr std::string_view kGeneration = " generation ";
  if (line.substr(0, kGeneration.size()) != kGeneration) throw Error("not a pifind journal: no generation");
  line.remove_prefix(kGeneration.size());
  std::uint64_t generation = 0;
  auto [gen_end, gen_ec] = std::from_chars(line.data(), line.data() + line.size(), generation);
  if (gen_ec != std::errc() || gen_end != line.data() + line.size())
    throw Error("not a pifind journal: the generation is not a number");
  return generation;
}

// Writes all of `data` at `offset`.
bool write_at(int fd, std::string_view data, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::filesystem::path journal_path(const std::filesystem::path& file) { return file.string() + ".journal"; }
std::filesystem::path next_journal_path(const std::filesystem::path& file) { return file.string() + ".journal.next"; }

std::string journal_header(std::uint64_t generation) {
  return fmt::format("{}{} generation {}\n", kMagic, kFormat, generation);
}

std::string journal_frame(std::span<const std::string_view> device_lines, std::span<const MacAddress> removed,
                          std::optional<std::string_view> sections) {
  std::string payload = "{\"devices\": {";
  for (std::size_t i = 0; i < device_lines.size(); ++i) {
    payload += i ? ",\n" : "\n";
    payload += device_lines[i];
  }
  payload += device_lines.empty() ? "}, \"removed\": [" : "\n}, \"removed\": [";
  for (std::size_t i = 0; i < removed.size(); ++i) payload += fmt::format("{}\"{}\"", i ? ", " : "", removed[i].to_string());
  payload += "]";
  if (sections) {
    payload += ", \"sections\": ";
    payload += sections->empty() ? std::string_view("{}") : *sections;
  }
  payload += "}";
  std::string frame = fmt::format("{:08x} {:08x}\n", payload.size(), crc32c(payload));
  frame += payload;
  frame += '\n';
  return frame;
}

std::optional<JournalText> scan_journal(std::string_view text) {
  const auto newline = text.find('\n');
  if (newline == std::string_view::npos) {
    // A header cut short is a prefix of the magic; anything else is not ours.
    if (text.substr(0, std::min(text.size(), kMagic.size())) != kMagic.substr(0, std::min(text.size(), kMagic.size())))
      throw Error("not a pifind journal");
    return std::nullopt;
  }
  JournalText journal;
  journal.generation = parse_header(text.substr(0, newline));
  journal.total_bytes = text.size();
  std::size_t at = newline + 1;
  for (;;) {
    journal.intact_bytes = at;
    if (text.size() - at < kFrameHeaderBytes) break;
    const std::string_view header = text.substr(at, kFrameHeaderBytes);
    const auto length = parse_hex8(header.substr(0, 8));
    const auto checksum = parse_hex8(header.substr(9, 8));
    if (!length || !checksum || header[8] != ' ' || header[17] != '\n') break;
    const std::size_t payload_at = at + kFrameHeaderBytes;
    if (text.size() - payload_at < std::size_t{*length} + 1) break;
    const std::string_view payload = text.substr(payload_at, *length);
    if (text[payload_at + *length] != '\n' || crc32c(payload) != *checksum) break;
    journal.frames.push_back(payload);
    at = payload_at + *length + 1;
  }
  return journal;
}

namespace {

constexpr std::string_view kFrameOpen = "{\"devices\": {";

// The frame as journal_frame() lays it out: its device lines, and the rest of the object (the removed
// identities, the sections) as an object of its own. Nothing if it is laid out otherwise (then it is read
// as plain JSON).
std::optional<std::pair<std::string_view, std::string>> split_frame(std::string_view payload) {
  if (payload.substr(0, kFrameOpen.size()) != kFrameOpen) return std::nullopt;
  std::string_view rest = payload.substr(kFrameOpen.size());
  std::string_view block;
  if (!rest.empty() && rest.front() == '\n') {
    // Lines hold no raw newline, so the first "\n}" closes the devices.
    const auto close = rest.find("\n}");
    if (close == std::string_view::npos) return std::nullopt;
    block = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
  }
  if (rest.substr(0, 3) != "}, ") return std::nullopt;
  return std::pair{block, "{" + std::string(rest.substr(3))};
}

}  // namespace

void apply_journal_frame(Inventory& inventory, std::string_view payload,
                         std::unordered_map<MacAddress, std::string>* lines) {
  std::vector<MacAddress> ids;
  std::vector<InventoryRecord> records;
  nlohmann::json others;
  std::optional<std::vector<InventoryRecord>> fast;
  const auto parts = split_frame(payload);
  if (parts) fast = records_from_device_lines(parts->first, lines);
  try {
    if (fast) {
      records = std::move(*fast);
      others = nlohmann::json::parse(parts->second);
    } else {
      others = nlohmann::json::parse(payload);
      const auto devices = others.is_object() ? others.find("devices") : others.end();
      if (!others.is_object() || devices == others.end() || !devices->is_object())
        throw Error("a frame is not {\"devices\": {...}, \"removed\": [...]}");
      for (const auto& [key, value] : devices->items()) {
        const auto id = MacAddress::parse(key);
        if (!id) throw Error("a frame's device key " + nlohmann::json(key).dump() + " is not a MAC address");
        records.push_back(record_from_json(*id, value));
        if (lines) (*lines)[*id] = device_line(*id, records.back());
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("a frame is not valid JSON: ") + e.what());
  }
  const auto removed = others.is_object() ? others.find("removed") : others.end();
  if (removed == others.end() || !removed->is_array()) throw Error("a frame's \"removed\" is not an array");
  for (const auto& record : records) ids.push_back(record.id);
  for (const auto& value : *removed) {
    const auto id = value.is_string() ? MacAddress::parse(value.get<std::string>()) : std::nullopt;
    if (!id) throw Error("a frame's removed device " + value.dump() + " is not a MAC address");
    ids.push_back(*id);
    if (lines) lines->erase(*id);
  }
  inventory.replace(ids, std::move(records));
  if (const auto sections = others.find("sections"); sections != others.end()) {
    if (!sections->is_object()) throw Error("a frame's \"sections\" is not an object");
    inventory.replace_sections({}, {});
    sections_from_json(*sections, inventory);
  }
}

JournalAppender::JournalAppender(int fd, std::filesystem::path path, std::uint64_t generation, std::uint64_t bytes,
                                 std::size_t frames)
    : fd_(fd), path_(std::move(path)), generation_(generation), bytes_(bytes), frames_(frames) {}

JournalAppender::JournalAppender(JournalAppender&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      generation_(other.generation_),
      bytes_(other.bytes_),
      frames_(other.frames_),
      broken_(other.broken_) {}

JournalAppender& JournalAppender::operator=(JournalAppender&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    generation_ = other.generation_;
    bytes_ = other.bytes_;
    frames_ = other.frames_;
    broken_ = other.broken_;
  }
  return *this;
}

JournalAppender::~JournalAppender() {
  if (fd_ >= 0) ::close(fd_);
}

JournalAppender JournalAppender::create(const std::filesystem::path& path, std::uint64_t generation, unsigned mode) {
  const std::string header = journal_header(generation);
  const std::string_view pieces[] = {header};
  const auto temporary = write_temporary_beside(path, pieces, mode);
  const int fd = ::open(temporary.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw Error(system_error_text("cannot open " + temporary.string(), saved));
  }
  JournalAppender journal(fd, path, generation, header.size(), 0);
  install_temporary(temporary, path);
  return journal;
}

JournalAppender JournalAppender::open(const std::filesystem::path& path, std::uint64_t generation,
                                      std::uint64_t intact_bytes, std::size_t frames) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw Error(system_error_text("cannot open journal " + path.string(), errno));
  JournalAppender journal(fd, path, generation, intact_bytes, frames);
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw Error(system_error_text("cannot stat journal " + path.string(), errno));
  if (static_cast<std::uint64_t>(st.st_size) != intact_bytes &&
      (::ftruncate(fd, static_cast<off_t>(intact_bytes)) != 0 || ::fdatasync(fd) != 0))
    throw Error(system_error_text("cannot cut the torn tail off journal " + path.string(), errno));
  return journal;
}

void JournalAppender::append(std::string_view frame) {
  if (broken_) throw Error("journal " + path_.string() + " could not be cut back after a failed write");
  if (write_at(fd_, frame, bytes_) && ::fdatasync(fd_) == 0) {
    bytes_ += frame.size();
    ++frames_;
    return;
  }
  const int saved = errno;
  // The frame may be partly on disk: cut it off, so the next frame does not follow a broken one.
  if (::ftruncate(fd_, static_cast<off_t>(bytes_)) != 0) broken_ = true;
  throw Error(system_error_text("cannot write journal " + path_.string(), saved));
}

bool JournalAppender::intact_on_disk() const {
  struct stat mine {}, named {};
  if (::fstat(fd_, &mine) != 0 || ::stat(path_.c_str(), &named) != 0) return false;
  return mine.st_dev == named.st_dev && mine.st_ino == named.st_ino &&
         static_cast<std::uint64_t>(mine.st_size) == bytes_;
}

}  // namespace pifind
