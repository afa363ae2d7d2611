// Merging a verified agent report into the inventory by MAC: every interface MAC the agent lists joins one
// device (absorbing records scans made for them), and the report's facts and drift update that device.
#pragma once

#include <cstdint>
#include <optional>

#include "inventory/protocol/report.h"
#include "inventory/store/inventory.h"

namespace pifind {

/// What the merge did with a report.
enum class ReportMergeResult {
  kAccepted,
  /// Its counter is not above the last one accepted from this agent (a replay or a resend).
  kStaleCounter,
};

/// The counter of the last report accepted from `agent`, if the inventory knows that agent.
std::optional<std::uint64_t> last_accepted_counter(const Inventory& inventory, const MacAddress& agent);

/// Merges `report` (already verified and validated) as received at `received`. The collector's clock,
/// not the agent's, dates everything: the fleet exists to find clocks that are wrong.
ReportMergeResult merge_report(Inventory& inventory, const AgentReport& report, TimePoint received);

}  // namespace pifind
