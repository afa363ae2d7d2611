// One device of the fleet as the inventory knows it, keyed by MAC: IPv4 and IPv6 addresses with first/last seen
// and the site they were seen at, its name, hardware facts from the agent, time-keeping facts and the drift
// estimate with its bounded history.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "inventory/core/ipv4_address.h"
#include "inventory/core/ipv6_address.h"
#include "inventory/core/mac_address.h"
#include "inventory/core/time_text.h"
#include "inventory/protocol/device_key.h"
#include "inventory/protocol/scan_report.h"

namespace pifind {

/// One network interface of a device, seen by a scan or listed by its agent.
struct InterfaceMac {
  MacAddress mac;
  /// "eth0", "wlan0"; empty when only a scan saw it (the scanner's interface is not the device's).
  std::string interface_name;
  TimePoint first_seen{};
  TimePoint last_seen{};
};

/// An IPv4 address a device held. Kept after the address moves away, with `current` cleared.
struct IpAssignment {
  Ipv4Address ip;
  /// The interface MAC that answered for this address.
  MacAddress mac;
  /// Where it was seen: the scanning interface ("scan:eth0") or "agent".
  std::string seen_via;
  TimePoint first_seen{};
  TimePoint last_seen{};
  /// False once the address was seen on another device (DHCP moved it) or released by the agent.
  bool current = true;
  /// The site of the scan that saw it ("" for none, and for an agent's address on a device no site's scan has
  /// seen). An address is one site's: the same IPv4 address at two sites belongs to two devices at once.
  std::string site;
};

/// A name a scan looked up for the device (mDNS or reverse DNS); the agent's own hostname is kept apart.
struct SeenName {
  std::string name;
  /// NameOrigin::kMdns or kDns: a name is replaced by a later one of the same or a higher rank only.
  NameOrigin origin = NameOrigin::kDns;
  TimePoint last_seen{};
};

/// An IPv6 address the device's agent listed (scans see only IPv4). Kept after the agent stops listing it,
/// with `current` cleared: each report lists all of a device's addresses.
struct Ipv6Assignment {
  Ipv6Address ip;
  /// The interface that holds it.
  MacAddress mac;
  TimePoint first_seen{};
  TimePoint last_seen{};
  bool current = true;
};

/// How many IPv6 addresses a record keeps: privacy addresses (RFC 8981) change daily, so the ones no longer
/// current go first, least recently seen first.
inline constexpr std::size_t kIpv6AddressesLimit = 32;

/// The agent's latest estimate of the system clock's frequency error against a reference.
struct DriftSummary {
  /// Frequency error in parts per million; positive means the clock runs fast.
  double drift_ppm = 0;
  /// One standard deviation of drift_ppm.
  double uncertainty_ppm = 0;
  /// The reference's offset from the system clock at measured_at, seconds.
  double offset_s = 0;
  /// What the clock was compared against: "rtc", "ntp".
  std::string reference;
  /// False when the agent's estimator saw the drift change during the window (not a constant rate).
  bool constant = true;
  /// Number of samples and window length behind the estimate.
  std::size_t samples = 0;
  double window_s = 0;
  TimePoint measured_at{};
};

/// One entry of the bounded drift history.
struct DriftSample {
  TimePoint at{};
  double drift_ppm = 0;
  double uncertainty_ppm = 0;
  double offset_s = 0;
};

/// Time-keeping facts the agent reports.
struct TimeFacts {
  std::optional<bool> rtc_present;
  /// The RTC driver name (/sys/class/rtc/rtc0/name), when present.
  std::string rtc_name;
  /// /sys/devices/system/clocksource/clocksource0/current_clocksource.
  std::string clocksource;
  /// Who disciplines the clock: "ntp", "none", ... as the agent names it.
  std::string time_discipline;
  /// adjtimex says the clock is synchronised.
  std::optional<bool> ntp_synchronised;
};

/// Who signs what the collector is sent: a device's agent (its reports) or a scanner (its scans). Each kind
/// has its own counters, keys, pending keys and retired state, also when one Pi runs both under one MAC.
enum class SenderKind { kAgent, kScanner };
/// "agent", "scanner".
const char* sender_kind_name(SenderKind kind);

/// How a device key came to be pinned.
enum class PinnedBy {
  kFirstUse,  ///< the first report or scan that carried it (`pifind serve --enroll first-use`)
  kOperator,  ///< `pifind keys approve`
};
/// "first-use", "operator".
const char* pinned_by_name(PinnedBy how);

/// A sender's (an agent's, a scanner's) Ed25519 key: once pinned, everything it sends must carry its
/// signature; the keys an operator forgot for it are refused for good.
struct PinnedKeys {
  /// Nothing for a sender that has never sent one (an older agent or scanner), which anything signed with
  /// the fleet key may still pin.
  std::optional<DevicePublicKey> key;
  TimePoint key_pinned{};
  PinnedBy pinned_by = PinnedBy::kFirstUse;
  /// Keys an operator forgot (`pifind keys forget`), newest last: refused for good, so an old image's
  /// captured reports or scans cannot pin themselves again. At most kRevokedKeysLimit.
  std::vector<DevicePublicKey> revoked_keys;
};
inline constexpr std::size_t kRevokedKeysLimit = 8;

/// The agent behind a device, its pinned key, and the replay counter of its last accepted report.
struct AgentState : PinnedKeys {
  AgentState() = default;
  AgentState(std::string id, std::uint64_t counter, TimePoint last)
      : agent_id(std::move(id)), last_counter(counter), last_report(last) {}

  std::string agent_id;
  std::uint64_t last_counter = 0;
  /// The epoch for an agent an operator approved that has not reported yet.
  TimePoint last_report{};
};

/// A scanner a device runs (`pifind --collector` from it), its pinned key, and the counter of its last
/// accepted scan: kept apart from an agent's, so a Pi that scans and reports holds one of each.
struct ScannerState : PinnedKeys {
  /// The scanner's identity: the MAC of the first interface its scans ran on.
  MacAddress id;
  std::uint64_t last_counter = 0;
  /// The epoch for a scanner an operator approved that has not scanned yet.
  TimePoint last_scan{};
  /// The site its last scan named ("" for none).
  std::string site;
  /// The interfaces its last scan ran on.
  std::vector<std::string> interfaces;
};

/// A device's alias moved (its hostname changed, or it was given one for the first time after a scan).
struct AliasChange {
  std::string from;
  std::string to;
  TimePoint at{};
};
inline constexpr std::size_t kAliasChangesLimit = 8;

/// What a report claimed that belongs to another device: kept on the claiming device, never merged.
struct IdentityConflict {
  /// "mac" (an interface MAC another device owns) or "serial" (another device's serial number).
  std::string kind;
  std::string value;
  /// The device that owns it.
  MacAddress owner;
  TimePoint first_seen{};
  TimePoint last_seen{};
};
inline constexpr std::size_t kConflictsLimit = 16;

/// Bounds on what reports and scans can add to one device: beyond them the least recently seen entries go.
inline constexpr std::size_t kMaxMacsPerDevice = 32;
inline constexpr std::size_t kMaxAddressesPerDevice = 64;

struct InventoryRecord {
  /// The device's identity: the first MAC it was known by (or its agent's primary interface).
  MacAddress id;
  std::vector<InterfaceMac> macs;
  std::vector<IpAssignment> ips;
  std::vector<Ipv6Assignment> ipv6;
  std::string vendor;
  bool raspberry_pi = false;
  std::string hostname;
  std::string model;
  std::string serial;
  TimeFacts time;
  std::optional<DriftSummary> drift;
  /// Oldest first, at most kDriftHistoryLimit entries.
  std::vector<DriftSample> drift_history;
  std::optional<AgentState> agent;
  /// The name ssh-config, exports and the audit use, kept once given (host_alias.h); empty until then.
  std::string alias;
  /// Oldest first, at most kAliasChangesLimit.
  std::vector<AliasChange> alias_changes;
  /// Oldest first, at most kConflictsLimit.
  std::vector<IdentityConflict> conflicts;
  /// The site of the scan that saw the device last; "" if none has (pifind-inventory(5), SITES).
  std::string site;
  /// The best name scans found; the agent's hostname outranks it (name()).
  std::optional<SeenName> seen_name;
  /// The scanners this device runs, by identity (one per first interface: pifind-scan@eth0 and @wlan0 are
  /// two), at most kScannersPerDevice; the one that scanned least recently goes first.
  std::vector<ScannerState> scanners;
  TimePoint first_seen{};
  TimePoint last_seen{};

  /// The device's name with precedence: the agent's hostname, else the name a scan found (mDNS over reverse
  /// DNS); "" if none.
  std::string name() const;
  /// Where name() comes from; nothing without a name.
  std::optional<NameOrigin> name_origin() const;
  /// The scanner `id`, or null.
  const ScannerState* find_scanner(const MacAddress& id) const;
  ScannerState* find_scanner(const MacAddress& id);
  /// The scanner `id`, added if the device has none of that identity. Beyond kScannersPerDevice the one
  /// that scanned least recently moves out into `*evicted` (the inventory retires it, keeping its counter
  /// and key), or is dropped when `evicted` is null.
  ScannerState& scanner_for(const MacAddress& id, std::optional<ScannerState>* evicted = nullptr);

  /// The most recently seen current address, if any.
  std::optional<Ipv4Address> current_ip() const;
  /// The current IPv6 address to reach the device at from elsewhere: a global one before a unique local
  /// one, the longest held first (a stable address before today's privacy address); never a link-local one.
  std::optional<Ipv6Address> reachable_ipv6() const;
  /// The IPv6 addresses the agent listed last, in the order first seen.
  std::vector<Ipv6Address> current_ipv6() const;
  /// Records that the agent lists exactly the IPv6 addresses `listed` (each with its interface's MAC) at
  /// `seen`: those are current, every other one is not. Bounded by kIpv6AddressesLimit.
  void set_current_ipv6(const std::vector<std::pair<Ipv6Address, MacAddress>>& listed, TimePoint seen);
  /// The interface entry for `mac`, or null.
  InterfaceMac* find_mac(const MacAddress& mac);
  const InterfaceMac* find_mac(const MacAddress& mac) const;
  /// Appends to the history, dropping the oldest entries beyond the limit.
  void add_drift_sample(const DriftSample& sample);
  /// Records (or refreshes) a conflict, dropping the oldest beyond the limit.
  void note_conflict(const std::string& kind, const std::string& value, const MacAddress& owner, TimePoint seen);
};

/// How many scanners one device keeps (its interfaces scanned apart: a scan lists at most 16).
inline constexpr std::size_t kScannersPerDevice = 16;

/// How many drift samples each record keeps.
inline constexpr std::size_t kDriftHistoryLimit = 48;

}  // namespace pifind
