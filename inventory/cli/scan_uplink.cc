#include "inventory/cli/scan_uplink.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/transport/device_key_file.h"

namespace pifind {
namespace {

std::filesystem::path created_state_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw Error(fmt::format("cannot create the scan state directory {}: {} (give --state-dir)", dir.string(),
                            ec.message()));
  return dir;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// The URL's own message names a "server" (the agent's option); here the option is --collector.
ServerUrl collector_url(const std::string& text) {
  try {
    return ServerUrl::parse(text);
  } catch (const Error& e) {
    throw Error(std::string("--collector: ") + e.what());
  }
}

}  // namespace

std::filesystem::path default_scan_state_dir() {
  // systemd separates several StateDirectory= entries with ':'; the unit names one.
  if (const char* dir = std::getenv("STATE_DIRECTORY"); dir && *dir) {
    const std::string_view all(dir);
    return std::filesystem::path(all.substr(0, all.find(':')));
  }
  return "/var/lib/pifind-scan";
}

ScanUplink::ScanUplink(const ScanUplinkOptions& options, std::unique_ptr<ReportSender> sender)
    : collector_(options.collector_url),
      key_(FleetKey::load(options.key_file)),
      state_dir_(created_state_dir(options.state_dir)),
      counter_(state_dir_),
      device_key_(load_or_create_device_key(state_dir_)),
      sender_(std::move(sender)) {
  if (!sender_) sender_ = std::make_unique<BeastSender>(collector_url(options.collector_url), options.ca_file,
                                                       options.timeout, kScanRoute);
}

std::string ScanUplink::deliver(const ScanReport& scan) {
  const std::size_t total = scan.sightings.size();
  const std::size_t parts = std::max<std::size_t>(1, (total + kMaxScanSightings - 1) / kMaxScanSightings);
  std::uint64_t first_counter = 0, last_counter = 0;
  for (std::size_t part = 0; part < parts; ++part) {
    ScanReport document = scan;
    const auto begin = scan.sightings.begin() + static_cast<std::ptrdiff_t>(std::min(total, part * kMaxScanSightings));
    const auto end = scan.sightings.begin() + static_cast<std::ptrdiff_t>(std::min(total, (part + 1) * kMaxScanSightings));
    document.sightings.assign(begin, end);
    // Checked before a counter is spent; another process may move the counter on by the time it is taken,
    // which changes a few digits of a body far below the limit.
    document.counter = counter_.last() + 1;
    if (auto problem = validate(document)) throw Error("refusing to send an invalid scan: " + *problem);
    if (to_body(document).size() > kMaxScanBytes) throw Error("refusing to send a scan larger than the collector accepts");
    document.counter = counter_.next();  // persisted before anything leaves
    const std::uint64_t counter = document.counter;
    const std::string body = to_body(document);
    const std::string signature = sign_scan(key_, scan.scanner_id, counter, body);
    const PostResult reply =
        sender_->post({scan.scanner_id.to_string(), counter, signature, body, device_key().to_string(),
                       device_key_.sign(scan_message(scan.scanner_id, counter, body))});
    const std::string what = parts > 1 ? fmt::format("scan part {} of {} (counter {})", part + 1, parts, counter)
                                       : fmt::format("scan (counter {})", counter);
    if (reply.status == 0)
      throw Error(fmt::format("{} not delivered to {}: {}", what, collector_, reply.error));
    if (reply.status == 409)
      throw Error(fmt::format("{} refused by {} as a replay ({}): the collector has a later counter from this "
                              "scanner than {}/counter holds; set that file above the collector's",
                              what, collector_, first_line(reply.body), state_dir_.string()));
    if (reply.status == 403)
      throw Error(fmt::format("refused: the collector {} does not accept this scanner's scans (device key {}): {}; "
                              "{} not delivered",
                              collector_, device_key().fingerprint(), first_line(reply.body), what));
    if (reply.status < 200 || reply.status >= 300)
      throw Error(fmt::format("{} refused by {} with HTTP {}: {}", what, collector_, reply.status, first_line(reply.body)));
    if (first_counter == 0) first_counter = counter;
    last_counter = counter;
  }
  return fmt::format("collector {}: {} sighting{} delivered (counter {}{})", collector_, total, total == 1 ? "" : "s",
                     first_counter, last_counter != first_counter ? fmt::format("..{}", last_counter) : "");
}

}  // namespace pifind
