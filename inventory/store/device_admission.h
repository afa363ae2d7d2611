// Who may speak for a device or a scanner: the key pinned to it on first use (or by an operator), the keys an
// operator revoked, the enrolment mode, the replay counter (kept past a prune), and an agent's own MAC not
// being another agent's device. Decides before a report or scan touches the inventory; pins a key when one is
// merged; approves and forgets keys for `pifind keys`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "inventory/protocol/report.h"
#include "inventory/protocol/scan_report.h"
#include "inventory/protocol/signing.h"
#include "inventory/store/inventory.h"

namespace pifind {

/// How a device key gets pinned.
enum class EnrollMode {
  kFirstUse,  ///< the first report (scan) carrying a key pins it (like ssh's accept-new); senders without keys pass
  kManual,    ///< only keys an operator approved (`pifind keys approve`); others wait in pending_keys()
};

/// A report's or scan's credentials beyond the fleet key: the device key it was verified with, and the mode.
struct ReportAuthority {
  std::optional<DevicePublicKey> key;
  EnrollMode mode = EnrollMode::kFirstUse;
};

/// What admit_report() or admit_scan() decided; `refusal` is kNone when it may be merged.
struct Admission {
  Refusal refusal = Refusal::kNone;
  std::string reason;  ///< one line, for the reply and the collector's log
  /// The counter compared against (the sender's last accepted, or its retired state's), if any; set when
  /// admitted and when refused for the counter (the 409's X-Pifind-Last-Counter), not for other refusals.
  std::optional<std::uint64_t> last_counter;
  bool admitted() const { return refusal == Refusal::kNone; }
};

/// The counter of the last report (kind kAgent) or scan (kScanner) accepted from `sender`, also when its
/// device was pruned; nothing for a sender never seen or forgotten.
std::optional<std::uint64_t> last_accepted_counter(const Inventory& inventory, SenderKind kind,
                                                   const MacAddress& sender);

/// The device key pinned for `sender` of `kind` (also when its device was pruned), if any.
std::optional<DevicePublicKey> pinned_key(const Inventory& inventory, SenderKind kind, const MacAddress& sender);

/// Decides whether `report` (signature already verified) may speak for its device. Under kManual an
/// unknown key is noted in the inventory's pending keys (the one change it makes).
Admission admit_report(Inventory& inventory, const AgentReport& report, const ReportAuthority& authority,
                       TimePoint received);

/// After a merge: the record's agent state for this report (pinning the key on first use, taking over
/// a retired agent's counter and keys).
void record_agent(Inventory& inventory, InventoryRecord& record, const AgentReport& report,
                  const ReportAuthority& authority, TimePoint received);

/// Decides whether a signed `scan` (signature already verified) may speak for its scanner identity: the
/// same rules as admit_report() against the scanner's own key and counter (a Pi's scanner and agent are
/// pinned apart). A scanner identity may be any device's MAC: scanning from a Pi with an agent is normal.
Admission admit_scan(Inventory& inventory, const ScanReport& scan, const ReportAuthority& authority,
                     TimePoint received);

/// After a scan's merge: pins its key to `state` on first use and drops any key pending for it.
void record_scanner_key(Inventory& inventory, ScannerState& state, const ReportAuthority& authority,
                        TimePoint received);

/// Which sender `pifind keys approve|forget MAC` means when not told: the agent, unless the inventory knows
/// no agent by that MAC (pinned, retired or pending) but a scanner.
SenderKind known_kind(const Inventory& inventory, const MacAddress& sender);

/// `pifind keys approve`: pins `key` (or, when nothing is given, the key pending for `sender`) to the
/// agent's device or to the scanner, creating its record when the inventory has none. Throws Error (one
/// line) when there is no key to approve, the key was forgotten for this sender, another key is pinned
/// (forget it first), or an agent's MAC is another agent's device. Returns the key pinned.
DevicePublicKey approve_device_key(Inventory& inventory, SenderKind kind, const MacAddress& sender,
                                   const std::optional<DevicePublicKey>& key, TimePoint now);

/// `pifind keys forget`: revokes the key pinned for `sender` (kept in revoked_keys, refused from now on),
/// resets its counter so a re-imaged device starts again at 1, and drops any pending key. Throws Error
/// when the inventory knows nothing of this sender. Returns the key revoked, if there was one.
std::optional<DevicePublicKey> forget_device_key(Inventory& inventory, SenderKind kind, const MacAddress& sender);

/// The command that approves a sender's pending key (--enroll manual), for refusals and the audit:
/// "pifind keys approve b8:27:eb:..." or "pifind keys approve --scanner 02:...".
std::string approve_command(SenderKind kind, const MacAddress& sender);

/// The command that lets a re-imaged sender's new key in, for refusal messages:
/// "pifind keys forget b8:27:eb:..." or "pifind keys forget --scanner 02:...".
std::string forget_command(SenderKind kind, const MacAddress& sender);

}  // namespace pifind
