// pifind's entry point: the ARP scan by default, fleet subcommands (serve, ssh-config, ...) by name. A scan's
// hosts become a scan report here, merged into --inventory and sent to --collector alike.
// Every error ends here as one line on stderr and exit status 2.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "inventory/cli/fleet_commands.h"
#include "inventory/cli/scan_uplink.h"
#include "inventory/core/error.h"
#include "inventory/core/version.h"
#include "inventory/protocol/report.h"
#include "inventory/protocol/scan_report.h"
#include "inventory/store/scan_merge.h"
#include "scanner/capabilities.h"
#include "scanner/scan_command.h"
#include "scanner/scan_options.h"

namespace {

static_assert(pifind::max_interfaces == pifind::kMaxScanInterfaces, "a scan report lists every scanned interface");

// The scan's hosts as a scan report: the scanned interfaces (the first one's MAC names the scanner), the site,
// and one sighting per host, aged from when it answered. Text the report cannot carry is left out (a name) or
// defused (a vendor), never sent to be refused.
pifind::ScanReport scan_report_of(const pifind::ScanResult& result, const std::string& site) {
  pifind::ScanReport report;
  report.scanner_version = std::string(pifind::kPifindVersion);
  report.site = site;
  for (const auto& iface : result.interfaces)
    report.interfaces.push_back({iface.name, iface.mac, iface.address, iface.address ? iface.prefix_length : 0});
  if (!result.interfaces.empty()) report.scanner_id = result.interfaces.front().mac;
  const pifind::ScanTime now = pifind::ScanClock::now();
  for (const auto& host : result.hosts) {
    pifind::ScannedHost s;
    s.mac = host.mac;
    s.ip = host.ip;
    s.vendor = pifind::to_clean_text(host.vendor, pifind::kMaxVendorBytes);
    s.raspberry_pi = host.raspberry_pi;
    if (host.name && !host.name->name.empty() && pifind::is_clean_text(host.name->name, pifind::kMaxHostNameBytes)) {
      s.name = host.name->name;
      s.name_origin = host.name->source == pifind::NameSource::kMdns ? pifind::NameOrigin::kMdns : pifind::NameOrigin::kDns;
    }
    s.interface_name = host.interface_name;
    s.age_s = std::clamp(std::chrono::duration<double>(now - host.answered_at).count(), 0.0, pifind::kMaxSightingAgeS);
    report.sightings.push_back(std::move(s));
  }
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && pifind::is_fleet_command(argv[1])) {
    // No fleet subcommand needs the scan's cap_net_raw: gone before any file is read or socket opened.
    try {
      pifind::drop_capabilities_unless_root();
    } catch (const pifind::Error& e) {
      std::cerr << "pifind: " << e.what() << '\n';
      return 2;
    }
    return pifind::run_fleet_command(argc, argv);
  }
  try {
    const pifind::ParsedCommandLine parsed = pifind::parse_scan_command_line(argc, argv);
    if (!parsed.options) return parsed.exit_status;
    const pifind::ScanOptions& options = *parsed.options;
    const std::string site = options.site.value_or("");
    if (!site.empty() && !pifind::is_site_name(site))
      throw pifind::Error(fmt::format(
          "--site '{}' must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
          site.substr(0, 80)));
    // Checked before the scan: a bad key, URL or state directory costs no scan.
    std::optional<pifind::ScanUplink> uplink;
    if (options.collector_url) {
      uplink.emplace(pifind::ScanUplinkOptions{
          *options.collector_url, *options.key_file,
          options.state_dir ? std::filesystem::path(*options.state_dir) : pifind::default_scan_state_dir(),
          options.ca_file ? std::optional<std::filesystem::path>(*options.ca_file) : std::nullopt});
    }
    const bool quiet = options.quiet || options.plain;
    pifind::ScanResultSink sink;
    if (options.inventory_file || uplink) {
      sink = [&](const pifind::ScanResult& result) {
        const pifind::ScanReport report = scan_report_of(result, site);
        if (options.inventory_file) {
          const pifind::MergeSummary summary = pifind::merge_scan_report_into_inventory(
              *options.inventory_file, report, std::chrono::system_clock::now());
          if (!quiet)
            std::cerr << fmt::format("pifind: inventory {}: {} new, {} updated, {} IP moves\n", *options.inventory_file,
                                     summary.new_devices, summary.updated, summary.ip_moves);
        }
        if (uplink) {
          const std::string delivered = uplink->deliver(report);
          if (!quiet) std::cerr << "pifind: " << delivered << '\n';
        }
      };
    }
    return pifind::run_scan_command(options, sink);
  } catch (const pifind::Error& e) {
    std::cerr << "pifind: " << e.what() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "pifind: internal error: " << e.what() << '\n';
  }
  return 2;
}
