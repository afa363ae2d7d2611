// pifind's entry point: the ARP scan by default, fleet subcommands (serve, ssh-config, ...) by name.
// Every error ends here as one line on stderr and exit status 2.
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "inventory/cli/fleet_commands.h"
#include "inventory/core/error.h"
#include "inventory/store/scan_merge.h"
#include "scanner/capabilities.h"
#include "scanner/scan_command.h"
#include "scanner/scan_options.h"

namespace {

// --inventory: the scan's hosts become sightings merged into the inventory file under its lock.
void merge_into_inventory(const std::string& file, const pifind::ScanResult& result, bool quiet) {
  std::vector<pifind::ScanSighting> sightings;
  const auto now = std::chrono::system_clock::now();
  for (const auto& host : result.hosts) {
    sightings.push_back(pifind::ScanSighting{host.mac, host.ip, host.vendor, host.raspberry_pi, now});
  }
  const pifind::MergeSummary summary = pifind::merge_scan_into_inventory(file, sightings, result.interface_name);
  if (!quiet) {
    std::cerr << fmt::format("pifind: inventory {}: {} new, {} updated, {} IP moves\n", file, summary.new_devices,
                             summary.updated, summary.ip_moves);
  }
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
    pifind::ScanResultSink sink;
    if (options.inventory_file) {
      sink = [&](const pifind::ScanResult& result) {
        merge_into_inventory(*options.inventory_file, result, options.quiet || options.plain);
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
