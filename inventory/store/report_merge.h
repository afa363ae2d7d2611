// Merging a verified agent report into the inventory by MAC: the report speaks only for its own device
// (device_admission.h decides whether it may), its interfaces join that device unless another agent's device
// owns them (then they are a conflict on the record, never a merge), and its facts and drift update it.
#pragma once

#include <string>
#include <vector>

#include "inventory/protocol/report.h"
#include "inventory/store/device_admission.h"
#include "inventory/store/inventory.h"

namespace pifind {

/// What the merge did with a report.
struct ReportMergeOutcome {
  Refusal refusal = Refusal::kNone;
  /// One line: why it was refused.
  std::string reason;
  /// One line each: claims that became conflicts on the record.
  std::vector<std::string> conflicts;
  bool accepted() const { return refusal == Refusal::kNone; }
};

/// Merges `report` (already verified and validated) as received at `received`. The collector's clock,
/// not the agent's, dates everything: the fleet exists to find clocks that are wrong.
ReportMergeOutcome merge_report(Inventory& inventory, const AgentReport& report, const ReportAuthority& authority,
                                TimePoint received);
/// The same for a report without a device key, under --enroll first-use.
inline ReportMergeOutcome merge_report(Inventory& inventory, const AgentReport& report, TimePoint received) {
  return merge_report(inventory, report, ReportAuthority{}, received);
}

}  // namespace pifind
