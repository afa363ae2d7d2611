#include "inventory/store/device_admission.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "inventory/core/error.h"

namespace pifind {
namespace {

// The agent state that speaks for `agent`, wherever it is kept.
struct KnownAgent {
  std::uint64_t last_counter = 0;
  std::optional<DevicePublicKey> key;
  std::vector<DevicePublicKey> revoked_keys;
};

// The record's agent is this agent: the same agent MAC, or the same pinned key (the Pi's default route moved
// to another interface, so its agent_id, the primary interface's MAC, changed).
bool same_agent(const AgentState& state, const MacAddress& agent, const std::optional<DevicePublicKey>& key) {
  return state.agent_id == agent.to_string() || (key && state.key && *state.key == *key);
}

Admission refuse(Refusal refusal, std::string reason) { return {refusal, std::move(reason), std::nullopt}; }

}  // namespace

std::optional<std::uint64_t> last_accepted_counter(const Inventory& inventory, const MacAddress& agent) {
  const InventoryRecord* record = inventory.find_by_mac(agent);
  if (record && record->agent && record->agent->agent_id == agent.to_string()) return record->agent->last_counter;
  if (const auto it = inventory.retired_agents().find(agent); it != inventory.retired_agents().end())
    return it->second.last_counter;
  return std::nullopt;
}

std::optional<DevicePublicKey> pinned_key(const Inventory& inventory, const MacAddress& agent) {
  const InventoryRecord* record = inventory.find_by_mac(agent);
  if (record && record->agent && record->agent->agent_id == agent.to_string()) return record->agent->key;
  if (const auto it = inventory.retired_agents().find(agent); it != inventory.retired_agents().end())
    return it->second.key;
  return std::nullopt;
}

Admission admit_report(Inventory& inventory, const AgentReport& report, const ReportAuthority& authority,
                       TimePoint received) {
  const MacAddress& agent = report.agent_id;
  const std::optional<DevicePublicKey>& key = authority.key;
  std::optional<KnownAgent> known;
  if (const InventoryRecord* owner = std::as_const(inventory).find_by_mac(agent); owner && owner->agent) {
    if (!same_agent(*owner->agent, agent, key))
      return refuse(Refusal::kIdentityConflict,
                    fmt::format("MAC {} belongs to device {}, whose agent is {}", agent.to_string(),
                                owner->id.to_string(), owner->agent->agent_id));
    known = KnownAgent{owner->agent->last_counter, owner->agent->key, owner->agent->revoked_keys};
  } else if (const auto it = inventory.retired_agents().find(agent); it != inventory.retired_agents().end()) {
    known = KnownAgent{it->second.last_counter, it->second.key, it->second.revoked_keys};
  }
  const std::string device = agent.to_string();
  if (key && known && std::find(known->revoked_keys.begin(), known->revoked_keys.end(), *key) != known->revoked_keys.end())
    return refuse(Refusal::kKeyRevoked,
                  fmt::format("device key {} of {} was forgotten by an operator", key->fingerprint(), device));
  if (known && known->key) {
    if (!key)
      return refuse(Refusal::kUnsigned, fmt::format("device {} has key {} pinned; this report carries no device signature",
                                                    device, known->key->fingerprint()));
    if (!(*key == *known->key))
      return refuse(Refusal::kKeyChanged,
                    fmt::format("device {} has key {} pinned, this report is signed with {} (re-imaged? "
                                "`pifind keys forget {}` lets its new key in)",
                                device, known->key->fingerprint(), key->fingerprint(), device));
  } else if (authority.mode == EnrollMode::kManual) {
    if (!key)
      return refuse(Refusal::kUnsigned, fmt::format("device {} sent no device key; --enroll manual needs one", device));
    std::string address;
    for (const auto& i : report.identity.interfaces)
      if (address.empty() && !i.addresses.empty()) address = i.addresses.front();
    inventory.note_pending_key(agent, {*key, report.identity.hostname, address, received, received, 1});
    return refuse(Refusal::kNotEnrolled, fmt::format("device key {} of {} waits for approval: `pifind keys approve {}`",
                                                     key->fingerprint(), device, device));
  }
  const std::optional<std::uint64_t> last = known ? std::optional(known->last_counter) : std::nullopt;
  if (last && report.counter <= *last)
    return refuse(Refusal::kReplay, fmt::format("counter {} is not above the last accepted {} (replay)",
                                                report.counter, *last));
  if (report.counter - last.value_or(0) > kMaxCounterJump)
    return refuse(Refusal::kCounterJump, fmt::format("counter {} is more than 2^32 above the last accepted {}",
                                                     report.counter, last.value_or(0)));
  return {Refusal::kNone, {}, last};
}

void record_agent(Inventory& inventory, InventoryRecord& record, const AgentReport& report,
                  const ReportAuthority& authority, TimePoint received) {
  AgentState state = record.agent.value_or(AgentState{});
  if (!record.agent)
    if (const auto it = inventory.retired_agents().find(report.agent_id); it != inventory.retired_agents().end()) {
      state.key = it->second.key;
      state.revoked_keys = it->second.revoked_keys;
    }
  inventory.drop_retired_agent(report.agent_id);
  inventory.drop_pending_key(report.agent_id);
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

namespace {

// The agent state of `agent` in a live record (its own MAC or the same agent id), or null.
AgentState* live_agent(Inventory& inventory, const MacAddress& agent) {
  InventoryRecord* record = inventory.find_by_mac(agent);
  if (!record || !record->agent || record->agent->agent_id != agent.to_string()) return nullptr;
  return &*record->agent;
}

void revoke(std::optional<DevicePublicKey>& key, std::vector<DevicePublicKey>& revoked) {
  if (!key) return;
  revoked.push_back(*key);
  if (revoked.size() > kRevokedKeysLimit) revoked.erase(revoked.begin());
  key.reset();
}

}  // namespace

DevicePublicKey approve_device_key(Inventory& inventory, const MacAddress& agent,
                                   const std::optional<DevicePublicKey>& key, TimePoint now) {
  const std::string device = agent.to_string();
  const auto pending = inventory.pending_keys().find(agent);
  if (!key && pending == inventory.pending_keys().end())
    throw Error("no key of " + device + " waits for approval; give it with --key ed25519=...");
  const DevicePublicKey chosen = key ? *key : pending->second.key;
  auto check = [&](const std::optional<DevicePublicKey>& pinned, const std::vector<DevicePublicKey>& revoked) {
    if (std::find(revoked.begin(), revoked.end(), chosen) != revoked.end())
      throw Error("key " + chosen.fingerprint() + " was forgotten for " + device + " and cannot come back");
    if (pinned && !(*pinned == chosen))
      throw Error(device + " has key " + pinned->fingerprint() + " pinned; `pifind keys forget " + device +
                  "` first");
  };
  if (AgentState* state = live_agent(inventory, agent)) {
    check(state->key, state->revoked_keys);
    if (!state->key) {
      state->key = chosen;
      state->key_pinned = now;
      state->pinned_by = PinnedBy::kOperator;
    }
  } else if (const auto retired = inventory.retired_agents().find(agent); retired != inventory.retired_agents().end()) {
    check(retired->second.key, retired->second.revoked_keys);
    RetiredAgent updated = retired->second;
    updated.key = chosen;
    inventory.retire_agent(agent, std::move(updated));
  } else {
    InventoryRecord* owner = inventory.find_by_mac(agent);
    if (owner && owner->agent)
      throw Error(device + " is an interface of device " + owner->id.to_string() + ", whose agent is " +
                  owner->agent->agent_id);
    InventoryRecord& record = owner ? *owner : inventory.record_for_mac(agent, now);
    record.agent = AgentState(device, 0, TimePoint{});
    record.agent->key = chosen;
    record.agent->key_pinned = now;
    record.agent->pinned_by = PinnedBy::kOperator;
  }
  inventory.drop_pending_key(agent);
  return chosen;
}

std::optional<DevicePublicKey> forget_device_key(Inventory& inventory, const MacAddress& agent) {
  std::optional<DevicePublicKey> forgotten;
  const bool was_pending = inventory.drop_pending_key(agent);
  if (AgentState* state = live_agent(inventory, agent)) {
    forgotten = state->key;
    revoke(state->key, state->revoked_keys);
    state->last_counter = 0;
  } else if (const auto retired = inventory.retired_agents().find(agent); retired != inventory.retired_agents().end()) {
    RetiredAgent updated = retired->second;
    forgotten = updated.key;
    revoke(updated.key, updated.revoked_keys);
    updated.last_counter = 0;
    inventory.retire_agent(agent, std::move(updated));
  } else if (!was_pending) {
    throw Error("the inventory knows no agent " + agent.to_string());
  }
  return forgotten;
}

}  // namespace pifind
