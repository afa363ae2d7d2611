#include "scanner/scan_command.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "scanner/arp_scanner.h"
#include "scanner/network_interface.h"
#include "scanner/target_set.h"
#include "scanner/vendor_table.h"

namespace pifind {
namespace {

constexpr std::uint64_t max_targets_without_force = 65536;

TargetSet resolve_targets(const ScanOptions& options, const ScanInterface& iface) {
  TargetSet targets;
  const bool explicit_targets = !options.targets.empty() || !options.target_files.empty();
  if (options.localnet && explicit_targets) throw Error("--localnet cannot be combined with targets or --file");
  for (const auto& text : options.targets) targets.add(parse_target(text));
  for (const auto& file : options.target_files) {
    if (file == "-") {
      targets.add_from_stream(std::cin, "stdin");
      continue;
    }
    std::ifstream in(file);
    if (!in) throw Error(system_error_text("cannot read target file " + file, errno));
    targets.add_from_stream(in, file);
  }
  if (!explicit_targets) {
    if (!iface.address) {
      throw Error(fmt::format("interface {} has no IPv4 address: give targets to scan (e.g. 192.168.1.0/24)", iface.name));
    }
    targets.add(host_range(*iface.address, iface.prefix_length));
  }
  if (iface.address) targets.exclude(*iface.address);
  if (targets.size() > max_targets_without_force && !options.force) {
    throw Error(fmt::format("{} addresses to scan: more than a /16 needs --force", targets.size()));
  }
  if (targets.empty()) throw Error("no addresses to scan");
  return targets;
}

VendorTable load_vendor_table(const ScanOptions& options) {
  VendorTable table;
  add_builtin_raspberry_pi_prefixes(table);
  for (const auto& file : options.oui_files) load_pi_prefix_file(table, file);
  return table;
}

std::string joined_macs(const std::vector<MacAddress>& macs) {
  std::string text;
  for (const auto& mac : macs) text += (text.empty() ? "" : ", ") + mac.to_string();
  return text;
}

void print_warnings(const ScanResult& result) {
  const ScanStats& stats = result.stats;
  std::uint64_t over_cap_listed = 0;
  for (const auto& conflict : result.conflicts) {
    std::cerr << fmt::format("pifind: IP conflict: {} is answered by {} MACs: {}\n", conflict.ip.to_string(),
                             conflict.macs.size(), joined_macs(conflict.macs));
    if (conflict.replies_over_cap > 0) {
      std::cerr << fmt::format("pifind: reply flood: {} replies to {} from further MACs were counted, not kept\n",
                               conflict.replies_over_cap, conflict.ip.to_string());
    }
    over_cap_listed += conflict.replies_over_cap;
  }
  // Once the scan holds its most (IP, MAC) pairs, even an address's first MAC is only counted.
  if (stats.replies_over_cap > over_cap_listed) {
    std::cerr << fmt::format("pifind: reply flood: {} more replies were counted, not kept\n",
                             stats.replies_over_cap - over_cap_listed);
  }
  for (const auto& claim : result.claims) {
    const std::string answer = claim.answered_by.empty() ? "nothing answered there"
                                                         : "it answered as " + joined_macs(claim.answered_by);
    std::cerr << fmt::format("pifind: {} claimed by {} in gratuitous ARP ({} frame{}); {}\n", claim.ip.to_string(),
                             claim.mac.to_string(), claim.frames, claim.frames == 1 ? "" : "s", answer);
  }
  if (stats.malformed_frames > 0) {
    std::cerr << fmt::format("pifind: ignored {} malformed ARP frame{}\n", stats.malformed_frames,
                             stats.malformed_frames == 1 ? "" : "s");
  }
  if (stats.capture_drops > 0) {
    std::cerr << fmt::format("pifind: the kernel dropped {} captured frames; results may be incomplete\n",
                             stats.capture_drops);
  }
}

}  // namespace

int run_scan_command(const ScanOptions& options, const ScanResultSink& sink) {
  ScanInterface iface = options.interface_name ? find_network_interface(*options.interface_name)
                                                  : default_network_interface();
  const TargetSet targets = resolve_targets(options, iface);
  VendorTable vendors = load_vendor_table(options);

  ScanRequest request{iface, targets.addresses(), options.policy, {}};
  if (options.random_order) std::shuffle(request.targets.begin(), request.targets.end(), std::mt19937{std::random_device{}()});
  const bool show_progress = !options.quiet && isatty(STDERR_FILENO) != 0;
  if (show_progress) {
    request.on_progress = [](std::uint64_t sent, std::uint64_t found, std::uint64_t total) {
      std::cerr << fmt::format("\rpifind: {} probes sent, {} of {} addresses answered ", sent, found, total) << std::flush;
    };
  }
  ScanResult result = run_arp_scan(request);
  if (show_progress) std::cerr << "\r\033[K" << std::flush;

  OuiFilter found_ouis;
  for (const auto& host : result.hosts) found_ouis.insert(static_cast<std::uint32_t>(host.mac.to_u64() >> 24));
  if (!found_ouis.empty()) load_installed_registries(vendors, found_ouis);
  for (auto& host : result.hosts) {
    host.vendor = vendors.vendor_name(host.mac);
    host.raspberry_pi = vendors.is_raspberry_pi(host.mac);
  }

  switch (options.format) {
    case OutputFormat::table: write_table(std::cout, result, options.all_hosts); break;
    case OutputFormat::json: write_json(std::cout, result, options.all_hosts); break;
    case OutputFormat::csv: write_csv(std::cout, result, options.all_hosts); break;
  }
  std::cout.flush();
  if (sink) sink(result);
  if (!options.quiet) {
    print_warnings(result);
    std::cerr << summary_line(result) << '\n';
  }
  const bool found = options.all_hosts ? !result.hosts.empty() : result.raspberry_pi_count() > 0;
  return found ? 0 : 1;
}

}  // namespace pifind
