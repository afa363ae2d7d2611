#include "scanner/scan_command.h"

#include <unistd.h>

#include <csignal>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <random>
#include <set>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "scanner/arp_scanner.h"
#include "scanner/network_interface.h"
#include "scanner/progress_line.h"
#include "scanner/resolv_conf.h"
#include "scanner/scan_loop.h"
#include "scanner/target_set.h"
#include "scanner/vendor_table.h"
#include "scanner/writable_file.h"

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

// "pifind: " or, with several interfaces, "pifind: eth0: ".
std::string line_prefix(const std::string& interface_name, bool several) {
  return several ? fmt::format("pifind: {}: ", interface_name) : "pifind: ";
}

void print_warnings(const ScanResult& result) {
  const bool several = result.interfaces.size() > 1;
  const ScanStats& stats = result.stats;
  std::uint64_t over_cap_listed = 0;
  for (const auto& conflict : result.conflicts) {
    const std::string prefix = line_prefix(conflict.interface_name, several);
    std::cerr << fmt::format("{}IP conflict: {} is answered by {} MACs: {}\n", prefix, conflict.ip.to_string(),
                             conflict.macs.size(), joined_macs(conflict.macs));
    if (conflict.replies_over_cap > 0) {
      std::cerr << fmt::format("{}reply flood: {} replies to {} from further MACs were counted, not kept\n", prefix,
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
    std::cerr << fmt::format("{}{} claimed by {} in gratuitous ARP ({} frame{}); {}\n",
                             line_prefix(claim.interface_name, several), claim.ip.to_string(),
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

std::string round_started_text(const std::string& prefix, const ScanRound& round, std::uint64_t targets) {
  if (round.number == 1) return fmt::format("{}round 1 at {:.2f} s: first probes to {} addresses", prefix, round.started_s, targets);
  return fmt::format("{}round {} at {:.2f} s: {} of {} addresses answered so far; loss {:.1f}% per probe, "
                     "up to {} tries per silent address",
                     prefix, round.number, round.started_s, round.answered_before, targets,
                     round.failure_probability * 100, round.allowed_tries);
}

void print_rounds(const std::vector<ScanResult>& parts) {
  for (const auto& part : parts) {
    const std::string prefix = line_prefix(part.interface_name, parts.size() > 1);
    for (const auto& round : part.rounds) {
      std::cerr << fmt::format("{}round {}: {} probe{}, {} first answer{}\n", prefix, round.number, round.probes,
                               round.probes == 1 ? "" : "s", round.answered, round.answered == 1 ? "" : "s");
    }
    std::cerr << fmt::format("{}loss seen: {:.1f}% per probe; {} tries per silent address\n", prefix,
                             part.stats.probe_failure_probability * 100, part.stats.tries_per_address);
  }
}

// Vendor names for every host, from the registries (only the entries of the OUIs found are loaded).
void name_vendors(ScanResult& result, VendorTable& vendors, bool registries_loaded) {
  if (!registries_loaded) {
    OuiFilter found_ouis;
    for (const auto& host : result.hosts) found_ouis.insert(static_cast<std::uint32_t>(host.mac.to_u64() >> 24));
    if (!found_ouis.empty()) load_installed_registries(vendors, found_ouis);
  }
  for (auto& host : result.hosts) {
    host.vendor = vendors.vendor_name(host.mac);
    host.raspberry_pi = vendors.is_raspberry_pi(host.mac);
  }
}

}  // namespace

std::vector<ScanInterface> resolve_interfaces(const ScanOptions& options) {
  std::vector<ScanInterface> interfaces;
  if (options.interface_names.empty()) interfaces.push_back(default_network_interface());
  for (const auto& name : options.interface_names) interfaces.push_back(find_network_interface(name));
  for (const auto& iface : interfaces) {
    if (iface.loopback) {
      throw Error(fmt::format("{} is a loopback interface: loopback has no ARP, so there is nothing to scan there "
                              "(name an Ethernet interface with -I)",
                              iface.name));
    }
  }
  return interfaces;
}

int run_scan_command(const ScanOptions& options, const ScanResultSink& sink) {
  const std::vector<ScanInterface> interfaces = resolve_interfaces(options);
  const bool several = interfaces.size() > 1;
  std::vector<TargetSet> targets;
  for (const auto& iface : interfaces) targets.push_back(resolve_targets(options, iface));
  VendorTable vendors = load_vendor_table(options);
  if (options.inventory_file) check_file_writable(*options.inventory_file, "--inventory");

  const OutputShape shape{options.all_hosts, !options.numeric, !options.plain, several};
  // JSON lines always stream; a table streams when a person watches it, as arp-scan's grows.
  const bool stream_rows = options.format == OutputFormat::kTable && isatty(STDOUT_FILENO) != 0;
  const bool streaming = stream_rows || options.format == OutputFormat::kJsonl;
  // Streamed hosts of other vendors need their names as they answer: the whole registry, loaded first.
  const bool registries_loaded = streaming && options.all_hosts;
  if (registries_loaded) load_installed_registries(vendors);

  ProgressLine progress(std::cerr, !options.quiet && !options.plain && isatty(STDERR_FILENO) != 0);
  // Progress over every interface: each sweep reports its own counts, the line shows their sums.
  struct Counts {
    std::uint64_t sent = 0, found = 0, total = 0;
  };
  std::vector<Counts> counts(interfaces.size());
  ScanLoop loop;
  for (std::size_t i = 0; i < interfaces.size(); ++i) {
    const ScanInterface& iface = interfaces[i];
    InterfaceScan scan;
    scan.request = ScanRequest{iface, targets[i].addresses(), options.policy, {}, {}, {}, options.frame_source_mac,
                               options.vlan, options.pcap_save_file};
    if (options.random_order) {
      std::shuffle(scan.request.targets.begin(), scan.request.targets.end(), std::mt19937{std::random_device{}()});
    }
    scan.request.on_progress = [&progress, &counts, i](std::uint64_t sent, std::uint64_t found, std::uint64_t total) {
      counts[i] = {sent, found, total};
      Counts all;
      for (const auto& c : counts) all = {all.sent + c.sent, all.found + c.found, all.total + c.total};
      progress.show(fmt::format("pifind: {} probes sent, {} of {} addresses answered ", all.sent, all.found, all.total));
    };
    if (options.verbosity > 0 && !options.quiet) {
      scan.request.on_round = [&progress, prefix = line_prefix(iface.name, several),
                               target_count = scan.request.targets.size()](const ScanRound& round) {
        progress.print_above(std::cerr, round_started_text(prefix, round, target_count));
      };
    }
    if (!options.numeric) {
      scan.names = NameResolverConfig{iface.address, iface.prefix_length, system_nameservers(), options.name_timeout};
    }
    loop.scans.push_back(std::move(scan));
  }
  loop.classify = [&](HostEntry& host) {
    host.raspberry_pi = vendors.is_raspberry_pi(host.mac);
    if (registries_loaded || host.raspberry_pi) host.vendor = vendors.vendor_name(host.mac);
  };
  // The inventory and the collector keep every host, so every host is named for them.
  const bool keeps_every_host = options.inventory_file.has_value() || options.collector_url.has_value();
  loop.wants_name = [&](const HostEntry& host) { return listed(host, shape) || keeps_every_host; };
  const TableLayout streaming_table = TableLayout::streaming(shape);
  std::set<std::pair<std::string, Ipv4Address>> streamed;
  if (stream_rows && shape.header) progress.print_above(std::cout, streaming_table.header());
  loop.on_host_complete = [&](const HostEntry& host) {
    if (!streaming || !listed(host, shape)) return;
    if (options.format == OutputFormat::kJsonl) {
      progress.print_above(std::cout, jsonl_host_line(host));
    } else {
      // Only the later MACs of a shared address can say so as they come; the warnings name them all.
      std::string note = streamed.count({host.interface_name, host.ip}) != 0 ? "IP conflict" : "";
      if (host.vlan) note += fmt::format("{}VLAN {}", note.empty() ? "" : ", ", *host.vlan);
      progress.print_above(std::cout, streaming_table.row(host, note));
    }
    streamed.insert({host.interface_name, host.ip});
  };

  const std::vector<ScanResult> parts = run_scan_loop(loop);
  progress.clear();
  ScanResult result = combine_scan_results(parts);
  name_vendors(result, vendors, registries_loaded);

  switch (options.format) {
    case OutputFormat::kTable:
      if (!stream_rows) write_table(std::cout, result, shape);
      break;
    case OutputFormat::kJson: write_json(std::cout, result, shape); break;
    case OutputFormat::kCsv: write_csv(std::cout, result, shape); break;
    case OutputFormat::kJsonl:
      if (!options.plain) std::cout << jsonl_stats_line(result) << '\n';
      break;
  }
  std::cout.flush();
  // Sightings are facts: an interrupted scan is merged too.
  if (sink) sink(result);
  if (!options.quiet) {
    print_warnings(result);
    if (options.verbosity > 0) print_rounds(parts);
    if (!options.plain) {
      std::string summary = summary_line(result);
      if (result.stats.interrupted_by_signal != 0) {
        summary += fmt::format(" (interrupted by {})", signal_name(result.stats.interrupted_by_signal));
      }
      std::cerr << summary << '\n';
    }
  }
  if (result.stats.interrupted_by_signal != 0) return 128 + result.stats.interrupted_by_signal;
  const bool found = options.all_hosts ? !result.hosts.empty() : result.raspberry_pi_count() > 0;
  return found ? 0 : 1;
}

}  // namespace pifind
