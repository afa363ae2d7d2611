#include "inventory/cli/audit_command.h"

#include <iostream>

#include "inventory/cli/command_line.h"
#include "inventory/core/whole_file.h"
#include "inventory/outputs/audit.h"
#include "inventory/outputs/audit_svg.h"
#include "inventory/store/inventory_file.h"

namespace pifind {

int run_audit_command(int argc, char** argv) {
  CLI::App app{"Audit the fleet's clock drift", "pifind audit"};
  std::string file = default_inventory_path();
  AuditThresholds thresholds;
  std::string stale = "1h";
  std::string format = "table";
  std::string plot;
  std::string site;
  app.add_option("--inventory", file, "Inventory file ($PIFIND_INVENTORY)")->capture_default_str();
  app.add_option("--max-ppm", thresholds.max_ppm, "Largest acceptable |drift|, ppm")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-uncertainty", thresholds.max_uncertainty_ppm, "Largest acceptable uncertainty, ppm")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--stale", stale, "A report older than this fails (e.g. 1h)")
      ->check(duration_validator())
      ->capture_default_str();
  app.add_option("--format", format, "table or json")->check(CLI::IsMember({"table", "json"}))->capture_default_str();
  app.add_option("--plot", plot, "Also draw the audit to this SVG file");
  app.add_flag("--require-agent", thresholds.require_agent,
               "Fail every Pi without an agent (no-report) instead of listing it apart as unmanaged");
  app.add_option("--site", site, "Audit only the devices at this site");
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  thresholds.stale = *parse_duration(stale);

  return run_reporting_errors("pifind audit", [&] {
    const Inventory inventory = read_inventory_file(file);
    const AuditResult audit = audit_fleet(inventory, thresholds, std::chrono::system_clock::now(), site);
    if (!plot.empty()) write_file_atomically(plot, render_audit_svg(audit), 0644);
    if (format == "json")
      std::cout << audit_to_json(audit).dump(2) << '\n';
    else
      std::cout << render_audit_table(audit);
    return audit.all_passed() ? 0 : 1;
  });
}

}  // namespace pifind
