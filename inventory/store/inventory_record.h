// One device of the fleet as the inventory knows it, keyed by MAC: IPv4 and IPv6 addresses with first/last seen,
// hardware facts from the agent, time-keeping facts and the drift estimate with its bounded history.
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

/// The agent behind a device, and the replay counter of its last accepted report.
struct AgentState {
  std::string agent_id;
  std::uint64_t last_counter = 0;
  TimePoint last_report{};
};

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
  TimePoint first_seen{};
  TimePoint last_seen{};

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
};

/// How many drift samples each record keeps.
inline constexpr std::size_t kDriftHistoryLimit = 48;

}  // namespace pifind
