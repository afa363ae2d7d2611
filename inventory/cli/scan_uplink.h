// `pifind --collector`: a scan's report sent to the collector as signed POST /v1/scans requests, one per
// kMaxScanSightings sightings (one for nearly every segment), each with the next counter from the state
// directory, signed with the fleet key and with the scanner's own device key (made there on first use).
// Everything a delivery needs is checked before the scan starts, so a bad key or URL costs no scan.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "inventory/protocol/scan_report.h"
#include "inventory/protocol/signing.h"
#include "inventory/transport/http_sender.h"
#include "inventory/transport/report_counter.h"

namespace pifind {

struct ScanUplinkOptions {
  std::string collector_url;
  std::filesystem::path key_file;
  /// Holds the counter and the scanner's device key (device.key, 0600); created if absent.
  std::filesystem::path state_dir;
  /// Trust these CAs for an https collector instead of the system's.
  std::optional<std::filesystem::path> ca_file;
  /// Bounds each request as a whole (connect, TLS, request and reply).
  std::chrono::seconds timeout{10};
};

/// Where a scan's counter and device key live by default: systemd's $STATE_DIRECTORY (its first entry), else
/// /var/lib/pifind-scan.
std::filesystem::path default_scan_state_dir();

class ScanUplink {
 public:
  /// Parses the URL, loads the fleet key (refused if group or others may read it), creates the state
  /// directory, reads its counter and loads (or makes) the device key. Throws Error with one line naming
  /// what is wrong. `sender` replaces the HTTP client (tests); by default a BeastSender on the scans route.
  explicit ScanUplink(const ScanUplinkOptions& options, std::unique_ptr<ReportSender> sender = nullptr);

  /// Signs and posts `scan` (counters filled in here, persisted before anything leaves), split into
  /// documents of at most kMaxScanSightings sightings. Returns one line saying what was delivered. Throws
  /// Error (one line) at the first document not accepted: the collector unreachable, an error reply, or a
  /// refusal with the collector's reason (403: "refused: the collector does not accept this scanner's
  /// scans", naming the device key); what was accepted before it stays accepted.
  std::string deliver(const ScanReport& scan);

  /// The scanner's device key, as the collector pins it.
  DevicePublicKey device_key() const { return device_key_.public_key(); }

 private:
  std::string collector_;
  FleetKey key_;
  std::filesystem::path state_dir_;
  ReportCounter counter_;
  DevicePrivateKey device_key_;
  std::unique_ptr<ReportSender> sender_;
};

}  // namespace pifind
