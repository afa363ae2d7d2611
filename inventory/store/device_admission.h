// Who may speak for a device: the key pinned to it on first use (or by an operator), the keys an operator
// revoked, the enrolment mode, the replay counter (kept past a prune), and the agent's own MAC not being
// another agent's device. Decides before a report touches the inventory; pins a key when a report is merged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "inventory/protocol/report.h"
#include "inventory/protocol/signing.h"
#include "inventory/store/inventory.h"

namespace pifind {

/// How a device key gets pinned.
enum class EnrollMode {
  kFirstUse,  ///< the first report carrying a key pins it (like ssh's accept-new); older agents without keys pass
  kManual,    ///< only keys an operator approved (`pifind keys approve`); others wait in pending_keys()
};

/// A report's credentials beyond the fleet key: the device key it was verified with, and the mode.
struct ReportAuthority {
  std::optional<DevicePublicKey> key;
  EnrollMode mode = EnrollMode::kFirstUse;
};

/// What admit_report() decided; `refusal` is kNone when the report may be merged.
struct Admission {
  Refusal refusal = Refusal::kNone;
  std::string reason;  ///< one line, for the reply and the collector's log
  /// The counter to compare against (the device's last accepted, or its retired agent's), if any.
  std::optional<std::uint64_t> last_counter;
  bool admitted() const { return refusal == Refusal::kNone; }
};

/// The counter of the last report accepted from `agent` (also when the device was pruned), if known.
std::optional<std::uint64_t> last_accepted_counter(const Inventory& inventory, const MacAddress& agent);

/// The device key pinned for `agent` (also when the device was pruned), if any.
std::optional<DevicePublicKey> pinned_key(const Inventory& inventory, const MacAddress& agent);

/// Decides whether `report` (signature already verified) may speak for its device. Under kManual an
/// unknown key is noted in the inventory's pending keys (the one change it makes).
Admission admit_report(Inventory& inventory, const AgentReport& report, const ReportAuthority& authority,
                       TimePoint received);

/// After a merge: the record's agent state for this report (pinning the key on first use, taking over
/// a retired agent's counter and keys).
void record_agent(Inventory& inventory, InventoryRecord& record, const AgentReport& report,
                  const ReportAuthority& authority, TimePoint received);

/// `pifind keys approve`: pins `key` (or, when nothing is given, the key pending for `agent`) to the
/// agent's device, creating its record when the inventory has none. Throws Error (one line) when there is
/// no key to approve, the key was forgotten for this device, or another key is pinned (forget it first).
/// Returns the key pinned.
DevicePublicKey approve_device_key(Inventory& inventory, const MacAddress& agent,
                                   const std::optional<DevicePublicKey>& key, TimePoint now);

/// `pifind keys forget`: revokes the key pinned for `agent` (kept in revoked_keys, refused from now on),
/// resets its counter so a re-imaged device starts again at 1, and drops any pending key. Throws Error
/// when the inventory knows nothing of this agent. Returns the key revoked, if there was one.
std::optional<DevicePublicKey> forget_device_key(Inventory& inventory, const MacAddress& agent);

}  // namespace pifind
