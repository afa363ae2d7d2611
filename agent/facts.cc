#include "agent/facts.h"

#include "agent/board.h"
#include "agent/clocksource.h"
#include "agent/fake_hwclock.h"
#include "agent/identity.h"
#include "agent/rtc_inventory.h"
#include "agent/system_info.h"
#include "inventory/core/error.h"
#include "inventory/core/version.h"

namespace pifind::agent {
namespace {

// Every text taken from a file, fit for the report: one odd file must not get the whole report refused.
void clean_texts(AgentReport& r) {
  Identity& id = r.identity;
  for (auto* s : {&id.model, &id.serial, &id.os.pretty_name, &id.os.id, &id.os.version_id, &id.kernel_release,
                  &id.machine, &id.boot_id})
    *s = report_text(*s, kMaxTextBytes);
  for (auto& d : r.rtc.devices) {
    d.driver = report_text(d.driver, kMaxTextBytes);
    d.chip = report_text(d.chip, 64);
    d.read_error = report_text(d.read_error, kMaxTextBytes);
  }
  r.rtc.fake_hwclock.saved_utc = report_text(r.rtc.fake_hwclock.saved_utc, 64);
  r.clocksource.current = report_text(r.clocksource.current, 64);
  for (auto& c : r.clocksource.available) c = report_text(c, 64);
  r.discipline.drift_file = report_text(r.discipline.drift_file, kMaxTextBytes);
  if (id.revision) id.revision->board_revision = report_text(id.revision->board_revision, 16);
}

}  // namespace

AgentReport gather_facts(const FactsSources& s) {
  AgentReport r;
  r.agent_version = kPifindVersion;
  const std::int64_t now_ns = s.clock.realtime_ns();
  r.generated_unix_s = static_cast<double>(now_ns) * 1e-9;

  Identity& id = r.identity;
  id.hostname = read_hostname(s.root);
  id.interfaces = read_interfaces(s.root);
  id.primary_interface = primary_interface(s.root, id.interfaces);
  for (const auto& i : id.interfaces)
    if (i.name == id.primary_interface) r.agent_id = i.mac;
  if (r.agent_id.is_zero())
    throw Error("no network interface with a MAC address: this machine has no identity to report under");
  Board board = read_board(s.root);
  id.model = std::move(board.model);
  id.revision = std::move(board.revision);
  id.serial = std::move(board.serial);
  id.memory_mb = board.memory_mb;
  id.os = read_os(s.root);
  std::tie(id.kernel_release, id.machine) = read_kernel(s.root);
  id.uptime_s = read_uptime_s(s.root);
  id.boot_id = read_boot_id(s.root);

  r.rtc.devices = read_rtcs(s.root, s.rtc, s.clock);
  r.rtc.fake_hwclock = read_fake_hwclock(s.root, now_ns);
  r.clocksource = read_clocksource(s.root);
  r.discipline = read_discipline(s.root, s.kernel);
  clean_texts(r);
  return r;
}

}  // namespace pifind::agent
