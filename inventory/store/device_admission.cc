#include "inventory/store/device_admission.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

// A sender's counter and keys, wherever they are kept.
struct KnownSender {
  std::uint64_t last_counter = 0;
  PinnedKeys keys;
};

// What a report or scan presents for its sender: the rest of what admission needs.
struct Claim {
  SenderKind kind;
  MacAddress sender;
  std::uint64_t counter = 0;
  const ReportAuthority& authority;
  TimePoint received{};
  /// What a key noted as pending under --enroll manual is listed with (PendingKey).
  std::string hostname, address, site;
};

// "device" and "report" for an agent, "scanner" and "scan" for a scanner: the words of refusals.
const char* sender_noun(SenderKind kind) { return kind == SenderKind::kScanner ? "scanner" : "device"; }
const char* document_noun(SenderKind kind) { return kind == SenderKind::kScanner ? "scan" : "report"; }

// The record's agent is this agent: the same agent MAC, or the same pinned key (the Pi's default route moved
// to another interface, so its agent_id, the primary interface's MAC, changed).
bool same_agent(const AgentState& state, const MacAddress& agent, const std::optional<DevicePublicKey>& key) {
  return state.agent_id == agent.to_string() || (key && state.key && *state.key == *key);
}

Admission refuse(Refusal refusal, std::string reason) { return {refusal, std::move(reason), std::nullopt}; }

// The counter and keys of a live agent or scanner by that MAC, or null.
const AgentState* live_agent(const Inventory& inventory, const MacAddress& agent) {
  const InventoryRecord* record = inventory.find_by_mac(agent);
  if (!record || !record->agent || record->agent->agent_id != agent.to_string()) return nullptr;
  return &*record->agent;
}
const ScannerState* live_scanner(const Inventory& inventory, const MacAddress& scanner) {
  const InventoryRecord* record = inventory.find_by_mac(scanner);
  return record ? record->find_scanner(scanner) : nullptr;
}

std::optional<KnownSender> known_sender(const Inventory& inventory, SenderKind kind, const MacAddress& sender) {
  if (kind == SenderKind::kAgent) {
    if (const AgentState* agent = live_agent(inventory, sender)) return KnownSender{agent->last_counter, *agent};
  } else if (const ScannerState* scanner = live_scanner(inventory, sender)) {
    return KnownSender{scanner->last_counter, *scanner};
  }
  if (const auto it = inventory.retired(kind).find(sender); it != inventory.retired(kind).end())
    return KnownSender{it->second.last_counter, it->second};
  return std::nullopt;
}

// The rules both kinds share, once the sender's known state is found: a revoked key, the pinned key, manual
// enrolment, then the counter.
Admission admit_claim(Inventory& inventory, const Claim& claim, const std::optional<KnownSender>& known) {
  const std::optional<DevicePublicKey>& key = claim.authority.key;
  const std::string sender = claim.sender.to_string();
  const char* noun = sender_noun(claim.kind);
  const char* document = document_noun(claim.kind);
  // "b8:27:eb:..." for an agent's device, "scanner 02:..." for a scanner.
  const std::string subject = (claim.kind == SenderKind::kScanner ? "scanner " : "") + sender;
  if (key && known) {
    const auto& revoked = known->keys.revoked_keys;
    if (std::find(revoked.begin(), revoked.end(), *key) != revoked.end())
      return refuse(Refusal::kKeyRevoked,
                    fmt::format("device key {} of {} was forgotten by an operator", key->fingerprint(), subject));
  }
  if (known && known->keys.key) {
    const DevicePublicKey& pinned = *known->keys.key;
    if (!key)
      return refuse(Refusal::kUnsigned, fmt::format("{} {} has key {} pinned; this {} carries no device signature",
                                                    noun, sender, pinned.fingerprint(), document));
    if (!(*key == pinned))
      return refuse(Refusal::kKeyChanged,
                    fmt::format("{} {} has key {} pinned, this {} is signed with {} (re-imaged? `{}` lets its new "
                                "key in)",
                                noun, sender, pinned.fingerprint(), document, key->fingerprint(),
                                forget_command(claim.kind, claim.sender)));
  } else if (claim.authority.mode == EnrollMode::kManual) {
    if (!key)
      return refuse(Refusal::kUnsigned, fmt::format("{} {} sent no device key; --enroll manual needs one", noun, sender));
    inventory.note_pending_key(claim.kind, claim.sender,
                               {*key, claim.hostname, claim.address, claim.site, claim.received, claim.received, 1});
    return refuse(Refusal::kNotEnrolled, fmt::format("device key {} of {} waits for approval: `{}`",
                                                     key->fingerprint(), subject,
                                                     approve_command(claim.kind, claim.sender)));
  }
  const std::optional<std::uint64_t> last = known ? std::optional(known->last_counter) : std::nullopt;
  if (auto refused = counter_refusal(claim.counter, last)) return {refused->refusal, std::move(refused->reason), last};
  return {Refusal::kNone, {}, last};
}

}  // namespace

std::string approve_command(SenderKind kind, const MacAddress& sender) {
  return fmt::format("pifind keys approve {}{}", kind == SenderKind::kScanner ? "--scanner " : "", sender.to_string());
}

std::string forget_command(SenderKind kind, const MacAddress& sender) {
  return fmt::format("pifind keys forget {}{}", kind == SenderKind::kScanner ? "--scanner " : "", sender.to_string());
}

std::optional<std::uint64_t> last_accepted_counter(const Inventory& inventory, SenderKind kind,
                                                   const MacAddress& sender) {
  const auto known = known_sender(inventory, kind, sender);
  if (!known || known->last_counter == 0) return std::nullopt;
  return known->last_counter;
}

std::optional<DevicePublicKey> pinned_key(const Inventory& inventory, SenderKind kind, const MacAddress& sender) {
  const auto known = known_sender(inventory, kind, sender);
  return known ? known->keys.key : std::nullopt;
}

Admission admit_report(Inventory& inventory, const AgentReport& report, const ReportAuthority& authority,
                       TimePoint received) {
  const MacAddress& agent = report.agent_id;
  std::optional<KnownSender> known;
  if (const InventoryRecord* owner = std::as_const(inventory).find_by_mac(agent); owner && owner->agent) {
    if (!same_agent(*owner->agent, agent, authority.key))
      return refuse(Refusal::kIdentityConflict,
                    fmt::format("MAC {} belongs to device {}, whose agent is {}", agent.to_string(),
                                owner->id.to_string(), owner->agent->agent_id));
    known = KnownSender{owner->agent->last_counter, *owner->agent};
  } else {
    known = known_sender(inventory, SenderKind::kAgent, agent);
  }
  std::string address;
  for (const auto& i : report.identity.interfaces)
    if (address.empty() && !i.addresses.empty()) address = i.addresses.front();
  return admit_claim(
      inventory, {SenderKind::kAgent, agent, report.counter, authority, received, report.identity.hostname, address, ""},
      known);
}

void record_agent(Inventory& inventory, InventoryRecord& record, const AgentReport& report,
                  const ReportAuthority& authority, TimePoint received) {
  AgentState state = record.agent.value_or(AgentState{});
  if (!record.agent)
    if (const auto it = inventory.retired(SenderKind::kAgent).find(report.agent_id);
        it != inventory.retired(SenderKind::kAgent).end())
      static_cast<PinnedKeys&>(state) = it->second;
  inventory.drop_retired(SenderKind::kAgent, report.agent_id);
  inventory.drop_pending_key(SenderKind::kAgent, report.agent_id);
  state.agent_id = report.agent_id.to_string();
  state.last_counter = report.counter;
  state.last_report = received;
  if (authority.key && !state.key) {
    state.key = authority.key;
    state.key_pinned = received;
    state.pinned_by = PinnedBy::kFirstUse;
  }
  record.agent = std::move(state);
}

Admission admit_scan(Inventory& inventory, const ScanReport& scan, const ReportAuthority& authority,
                     TimePoint received) {
  std::string address;
  for (const auto& i : scan.interfaces)
    if (address.empty() && i.address) address = fmt::format("{}/{}", i.address->to_string(), i.prefix_length);
  return admit_claim(inventory,
                     {SenderKind::kScanner, scan.scanner_id, scan.counter, authority, received, "", address, scan.site},
                     known_sender(inventory, SenderKind::kScanner, scan.scanner_id));
}

void record_scanner_key(Inventory& inventory, ScannerState& state, const ReportAuthority& authority,
                        TimePoint received) {
  inventory.drop_pending_key(SenderKind::kScanner, state.id);
  if (authority.key && !state.key) {
    state.key = authority.key;
    state.key_pinned = received;
    state.pinned_by = PinnedBy::kFirstUse;
  }
}

SenderKind known_kind(const Inventory& inventory, const MacAddress& sender) {
  const auto knows = [&](SenderKind kind) {
    return known_sender(inventory, kind, sender) || inventory.pending_keys(kind).count(sender) > 0;
  };
  return !knows(SenderKind::kAgent) && knows(SenderKind::kScanner) ? SenderKind::kScanner : SenderKind::kAgent;
}

namespace {

// The live keys and counter of `sender` of `kind`, or null.
struct LiveSender {
  PinnedKeys* keys = nullptr;
  std::uint64_t* last_counter = nullptr;
};

LiveSender live_sender(Inventory& inventory, SenderKind kind, const MacAddress& sender) {
  InventoryRecord* record = inventory.find_by_mac(sender);
  if (!record) return {};
  if (kind == SenderKind::kAgent) {
    if (!record->agent || record->agent->agent_id != sender.to_string()) return {};
    return {&*record->agent, &record->agent->last_counter};
  }
  ScannerState* scanner = record->find_scanner(sender);
  return scanner ? LiveSender{scanner, &scanner->last_counter} : LiveSender{};
}

void revoke(PinnedKeys& keys) {
  if (!keys.key) return;
  keys.revoked_keys.push_back(*keys.key);
  if (keys.revoked_keys.size() > kRevokedKeysLimit) keys.revoked_keys.erase(keys.revoked_keys.begin());
  keys.key.reset();
}

}  // namespace

DevicePublicKey approve_device_key(Inventory& inventory, SenderKind kind, const MacAddress& sender,
                                   const std::optional<DevicePublicKey>& key, TimePoint now) {
  const std::string who = fmt::format("{} {}", sender_kind_name(kind), sender.to_string());
  const auto pending = inventory.pending_keys(kind).find(sender);
  if (!key && pending == inventory.pending_keys(kind).end())
    throw Error("no key of " + who + " waits for approval; give it with --key ed25519=...");
  const DevicePublicKey chosen = key ? *key : pending->second.key;
  const auto pin = [&](PinnedKeys& keys) {
    if (std::find(keys.revoked_keys.begin(), keys.revoked_keys.end(), chosen) != keys.revoked_keys.end())
      throw Error("key " + chosen.fingerprint() + " was forgotten for " + who + " and cannot come back");
    if (keys.key && !(*keys.key == chosen))
      throw Error(who + " has key " + keys.key->fingerprint() + " pinned; `" + forget_command(kind, sender) +
                  "` first");
    if (keys.key) return;
    keys.key = chosen;
    keys.key_pinned = now;
    keys.pinned_by = PinnedBy::kOperator;
  };
  if (const LiveSender live = live_sender(inventory, kind, sender); live.keys) {
    pin(*live.keys);
  } else if (const auto retired = inventory.retired(kind).find(sender); retired != inventory.retired(kind).end()) {
    RetiredSender updated = retired->second;
    pin(updated);
    inventory.retire(kind, sender, std::move(updated));
  } else if (kind == SenderKind::kAgent) {
    InventoryRecord* owner = inventory.find_by_mac(sender);
    if (owner && owner->agent)
      throw Error(sender.to_string() + " is an interface of device " + owner->id.to_string() + ", whose agent is " +
                  owner->agent->agent_id);
    InventoryRecord& record = owner ? *owner : inventory.record_for_mac(sender, now);
    record.agent = AgentState(sender.to_string(), 0, TimePoint{});
    pin(*record.agent);
  } else {
    // A scanner may run on any device, one with an agent included: its identity MAC's record holds it.
    pin(inventory.scanner_for(inventory.record_for_mac(sender, now), sender, now));
  }
  inventory.drop_pending_key(kind, sender);
  return chosen;
}

std::optional<DevicePublicKey> forget_device_key(Inventory& inventory, SenderKind kind, const MacAddress& sender) {
  std::optional<DevicePublicKey> forgotten;
  const bool was_pending = inventory.drop_pending_key(kind, sender);
  if (const LiveSender live = live_sender(inventory, kind, sender); live.keys) {
    forgotten = live.keys->key;
    revoke(*live.keys);
    *live.last_counter = 0;
  } else if (const auto retired = inventory.retired(kind).find(sender); retired != inventory.retired(kind).end()) {
    RetiredSender updated = retired->second;
    forgotten = updated.key;
    revoke(updated);
    updated.last_counter = 0;
    inventory.retire(kind, sender, std::move(updated));
  } else if (!was_pending) {
    throw Error(fmt::format("the inventory knows no {} {}", sender_kind_name(kind), sender.to_string()));
  }
  return forgotten;
}

}  // namespace pifind
