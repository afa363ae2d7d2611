#include "agent/reporter.h"

#include <fmt/format.h>

#include "inventory/transport/device_key_file.h"
#include "inventory/core/error.h"

namespace pifind::agent {

Reporter::Reporter(FleetKey key, const std::filesystem::path& state_dir, std::unique_ptr<ReportSender> sender,
                   std::size_t spool_max_reports)
    : key_(std::move(key)),
      counter_(state_dir),
      spool_(state_dir / "spool", spool_max_reports),
      device_key_(load_or_create_device_key(state_dir)),
      sender_(std::move(sender)) {}

std::vector<std::string> Reporter::submit(AgentReport report) {
  report.spool.queued = static_cast<std::int64_t>(spool_.queued().size());
  report.spool.dropped_total = spool_.dropped_total();
  report.counter = counter_.last() + 1;
  if (auto problem = validate(report)) throw Error("refusing to send an invalid report: " + *problem);
  const std::string body = to_body(report);
  if (body.size() > kMaxReportBytes) throw Error("refusing to send a report larger than the collector accepts");
  const std::uint64_t counter = counter_.next();  // persisted before anything leaves
  const auto dropped =
      spool_.push({report.agent_id.to_string(), counter, sign_report(key_, report.agent_id, counter, body), body, {}, {}});
  std::vector<std::string> log;
  if (!dropped.empty())
    log.push_back(fmt::format("spool full ({} reports, {} bytes at most): dropped the oldest, report(s) {}{}; {} "
                              "dropped in total",
                              spool_.max_reports(), spool_.max_bytes(), dropped.front(),
                              dropped.size() > 1 ? fmt::format("..{}", dropped.back()) : std::string(),
                              spool_.dropped_total()));
  const auto d = flush();
  for (auto& r : d.rejections) log.push_back(std::move(r));
  if (d.refused > 0)
    log.push_back(fmt::format("refused: the collector does not accept this device's reports (device key {})",
                              device_key_.public_key().fingerprint()));
  if (!d.stopped_by.empty())
    log.push_back(fmt::format("collector unreachable ({}); {} report(s) spooled", d.stopped_by, d.remaining));
  else if (d.delivered > 0)
    log.push_back(fmt::format("delivered {} report(s), last counter {}", d.delivered, counter));
  return log;
}

DeliveryResult Reporter::flush() {
  if (!sender_) {
    DeliveryResult d;
    d.remaining = static_cast<int>(spool_.queued().size());
    d.stopped_by = "no --server given";
    return last_delivery_ = d;
  }
  return last_delivery_ = deliver_spool(spool_, *sender_, device_key_, counter_.last());
}

}  // namespace pifind::agent
