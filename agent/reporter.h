// Turns a report into a signed, counted wire message, spools it, then drains the spool to the collector,
// signing each report with the device key as it is sent. The counter is persisted before the report is
// spooled, so no value is ever used twice.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "inventory/transport/http_sender.h"
#include "inventory/transport/report_counter.h"
#include "inventory/transport/spool.h"
#include "inventory/protocol/signing.h"

namespace pifind::agent {

class Reporter {
 public:
  /// State lives in `state_dir` (counter, spool/, device.key, made on first use). `sender` may be null:
  /// reports then only spool.
  Reporter(FleetKey key, const std::filesystem::path& state_dir, std::unique_ptr<ReportSender> sender,
           std::size_t spool_max_reports = 256);

  /// Fills in counter and spool state, validates, signs, spools and delivers. Returns log lines.
  /// Throws pifind::Error if the report is invalid or the counter cannot be persisted.
  std::vector<std::string> submit(AgentReport report);
  /// Delivers what is queued (after an outage), without a new report.
  DeliveryResult flush();

  const Spool& spool() const { return spool_; }
  std::uint64_t last_counter() const { return counter_.last(); }
  /// What the last submit() or flush() delivered and refused.
  const DeliveryResult& last_delivery() const { return last_delivery_; }
  const DevicePrivateKey& device_key() const { return device_key_; }

 private:
  FleetKey key_;
  ReportCounter counter_;
  Spool spool_;  // creates the state directory
  DevicePrivateKey device_key_;
  std::unique_ptr<ReportSender> sender_;
  DeliveryResult last_delivery_;
};

}  // namespace pifind::agent
