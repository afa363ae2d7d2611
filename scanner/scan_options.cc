#include "scanner/scan_options.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "inventory/core/error.h"
#include "inventory/core/version.h"
#include "scanner/error_text.h"

namespace pifind {
namespace {

double parse_number(std::string_view text, std::string_view what) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value <= 0) {
    throw Error(fmt::format("invalid {} '{}'", what, error_excerpt(text)));
  }
  return value;
}

}  // namespace

ScanDuration interval_from_bandwidth(std::string_view text) {
  if (text.empty()) throw Error("invalid bandwidth ''");
  double multiplier = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 'K': case 'k': multiplier = 1e3; digits.remove_suffix(1); break;
    case 'M': case 'm': multiplier = 1e6; digits.remove_suffix(1); break;
    case 'G': case 'g': multiplier = 1e9; digits.remove_suffix(1); break;
    default: break;
  }
  const double bits_per_second = parse_number(digits, "bandwidth") * multiplier;
  // Checked before any conversion: 1e-30 bit/s is a gap of 1e32 s, which no nanosecond count holds.
  if (!(bits_per_second >= min_bandwidth_bits_per_s && bits_per_second <= max_bandwidth_bits_per_s)) {
    throw Error(fmt::format("bandwidth '{}' out of range: 100 bit/s to 100G", error_excerpt(text)));
  }
  // A 42-byte request is padded to 60 on the wire; with preamble, FCS and gap it occupies 64 bytes.
  constexpr double bits_per_frame = (46 + 18) * 8;
  return std::chrono::duration_cast<ScanDuration>(std::chrono::duration<double>(bits_per_frame / bits_per_second));
}

ScanDuration parse_interval(std::string_view text) {
  const bool microseconds = !text.empty() && text.back() == 'u';
  const std::string_view digits = microseconds ? text.substr(0, text.size() - 1) : text;
  const double value = parse_number(digits, "interval");
  const double gap_ms = microseconds ? value / 1000 : value;
  // Checked before any conversion: 1e30 ms overflows the nanosecond count and would send at full speed.
  if (!(gap_ms >= min_interval_ms && gap_ms <= max_interval_ms)) {
    throw Error(fmt::format("interval '{}' out of range: 1u (1 microsecond) to 10000 (10 s)", error_excerpt(text)));
  }
  return std::chrono::duration_cast<ScanDuration>(std::chrono::duration<double, std::milli>(gap_ms));
}

ParsedCommandLine parse_scan_command_line(int argc, const char* const* argv) {
  CLI::App app{"pifind: find every Raspberry Pi on a LAN with ARP.\n"
               "Fleet commands: pifind serve|ssh-config|export|audit|inventory --help"};
  app.set_version_flag("-V,--version", std::string(kPifindVersion));
  ScanOptions options;
  std::string format = "table";
  std::string bandwidth, interval, source_mac;
  int retry = options.policy.max_tries;
  int timeout_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(options.policy.max_timeout).count());
  int name_timeout_ms = static_cast<int>(options.name_timeout.count());
  int vlan = -1;

  app.add_option("targets", options.targets, "Addresses to scan: 10.0.0.0/24, 10.0.0.0:255.255.255.0, 10.0.0.5-10.0.0.9, 10.0.0.7");
  app.add_option("-I,--interface", options.interface_names,
                 "Interface to scan (default: the first one up with IPv4); once per interface to scan several "
                 "segments in parallel")
      ->allow_extra_args(false);  // -I eth0 10.0.0.0/24: one interface, one target
  app.add_flag("-l,--localnet", options.localnet, "Scan the interface's IPv4 network (the default without targets)");
  app.add_option("-f,--file", options.target_files, "Read targets from FILE, one or more per line; - for stdin");
  app.add_flag("-a,--all", options.all_hosts, "List every host that answered, not only Raspberry Pis");
  app.add_option("--format", format, "Output: table, json, csv or jsonl (one line per host as it answers)")
      ->check(CLI::IsMember({"table", "json", "csv", "jsonl"}));
  app.add_option("-r,--retry", retry, "Most requests to one address (tries adapt to the loss seen)")
      ->check(CLI::Range(1, 50));
  app.add_option("-t,--timeout", timeout_ms,
                 "Milliseconds an address has to answer after its first probe; also the longest wait per try")
      ->check(CLI::Range(10, 60000));
  auto* bandwidth_option = app.add_option("-B,--bandwidth", bandwidth, "Sending rate in bits/s, K/M/G suffixes (default 1M)");
  app.add_option("-i,--interval", interval, "Gap between frames in ms, or us with a u suffix")->excludes(bandwidth_option);
  app.add_option("--oui-file,--ouifile,-O", options.oui_files, "More Raspberry Pi MAC prefixes, one 'PREFIX [name]' per line");
  app.add_flag("--force", options.force, "Allow scanning more than 65536 addresses");
  app.add_flag("-R,--random", options.random_order, "Probe targets in random order");
  app.add_flag("-q,--quiet", options.quiet, "No progress and no summary on stderr");
  app.add_flag("-x,--plain", options.plain, "Hosts only: no header, progress, summary or final stats line");
  app.add_flag("-N,--numeric", options.numeric, "No name lookups (mDNS, reverse DNS)");
  app.add_option("--name-timeout", name_timeout_ms, "Milliseconds a host's name lookups may take (default 300)")
      ->check(CLI::Range(10, 10000));
  app.add_flag("-v,--verbose", options.verbosity, "Report each round of retries and the loss seen on stderr");
  app.add_option("-S,--srcaddr", source_mac, "Ethernet source MAC of the requests (the ARP sender stays the interface's)");
  app.add_option("-Q,--vlan", vlan, "Send 802.1Q-tagged requests on VLAN ID (0-4094)")->check(CLI::Range(0, 4094));
  app.add_option("-W,--pcapsavefile", options.pcap_save_file, "Write every captured ARP frame to this pcap file");
  app.add_option("--inventory", options.inventory_file, "Merge the hosts found into this inventory file");
  auto* collector = app.add_option("--collector", options.collector_url,
                                   "Send the hosts found to this collector (http[s]://HOST:PORT), signed");
  app.add_option("--key-file", options.key_file, "Fleet key file (mode 0600) that signs what --collector gets")
      ->needs(collector);
  app.add_option("--ca-file", options.ca_file, "Trust these CAs (PEM) for an https --collector")->needs(collector);
  app.add_option("--state-dir", options.state_dir,
                 "Where the scan counter and the scanner's device key live (default: $STATE_DIRECTORY, else "
                 "/var/lib/pifind-scan)")
      ->needs(collector);
  app.add_option("--site", options.site, "The site of the scanned segments, kept with every host found");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return ParsedCommandLine{std::nullopt, app.exit(e)};
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    if (const auto newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
    throw Error(message + " (see pifind --help)");
  }
  options.format = parse_output_format(format);
  options.policy.max_tries = retry;
  options.policy.max_timeout = std::chrono::milliseconds(timeout_ms);
  options.policy.min_timeout = std::min(options.policy.min_timeout, options.policy.max_timeout);
  options.policy.initial_timeout = std::min(options.policy.initial_timeout, options.policy.max_timeout);
  options.name_timeout = std::chrono::milliseconds(name_timeout_ms);
  if (vlan >= 0) options.vlan = static_cast<std::uint16_t>(vlan);
  if (!source_mac.empty()) {
    options.frame_source_mac = MacAddress::parse(source_mac);
    if (!options.frame_source_mac || options.frame_source_mac->is_multicast() || options.frame_source_mac->is_zero()) {
      throw Error(fmt::format("invalid source MAC '{}' for -S (a unicast MAC such as 02:00:00:00:00:01)",
                              error_excerpt(source_mac)));
    }
  }
  if (options.collector_url && !options.key_file) throw Error("--collector needs --key-file (see pifind --help)");
  if (options.site && !options.collector_url && !options.inventory_file)
    throw Error("--site is kept with the hosts in --inventory or --collector; give one of them");
  for (std::size_t i = 0; i < options.interface_names.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (options.interface_names[i] == options.interface_names[j])
        throw Error(fmt::format("-I {} given twice", error_excerpt(options.interface_names[i])));
  if (options.interface_names.size() > max_interfaces)
    throw Error(fmt::format("at most {} interfaces (-I) in one scan", max_interfaces));
  if (options.interface_names.size() > 1) {
    if (!options.targets.empty() || !options.target_files.empty())
      throw Error("with several -I each interface scans its own IPv4 network; targets and --file need a single -I");
    if (options.pcap_save_file) throw Error("-W writes one interface's frames; give a single -I");
  }
  if (!bandwidth.empty()) options.policy.send_interval = interval_from_bandwidth(bandwidth);
  if (!interval.empty()) options.policy.send_interval = parse_interval(interval);
  return ParsedCommandLine{std::move(options), 0};
}

}  // namespace pifind
