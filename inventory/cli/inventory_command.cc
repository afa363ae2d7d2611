#include "inventory/cli/inventory_command.h"

#include <iostream>

#include "inventory/cli/command_line.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/inventory_json.h"

namespace pifind {

int run_inventory_command(int argc, char** argv) {
  CLI::App app{"Show the inventory, fold its journal into the file, or remove devices not seen for a while",
               "pifind inventory"};
  std::string file = default_inventory_path();
  std::string older_than;
  bool dry_run = false;
  app.require_subcommand(1);
  auto* show = app.add_subcommand("show", "Print the complete inventory (the file and its journal) as JSON");
  show->add_option("--inventory", file, "Inventory file")->capture_default_str();
  auto* compact = app.add_subcommand("compact", "Fold the journal into the file, so the file alone is complete");
  compact->add_option("--inventory", file, "Inventory file")->capture_default_str();
  auto* prune = app.add_subcommand("prune", "Remove devices last seen before a cutoff");
  prune->add_option("--inventory", file, "Inventory file")->capture_default_str();
  prune->add_option("--older-than", older_than, "Remove devices not seen for this long (e.g. 30d)")
      ->required()
      ->check(duration_validator());
  prune->add_flag("--dry-run", dry_run, "Only say how many devices would be removed");
  if (auto status = parse_command_line(app, argc, argv)) return *status;

  return run_reporting_errors("pifind inventory", [&] {
    if (show->parsed()) {
      const Inventory inventory = read_inventory_file(file);
      std::cout << inventory_to_text(inventory, std::chrono::system_clock::now());
      return 0;
    }
    if (compact->parsed()) {
      std::size_t devices = 0;
      // A missing file is an error here, not an empty inventory to create.
      update_inventory_file(file, [&](Inventory& inventory) { devices = inventory.size(); }, false);
      std::cout << "compacted " << file << ": " << devices << " devices, no journal\n";
      return 0;
    }
    const auto age = *parse_duration(older_than);
    const auto cutoff = std::chrono::system_clock::now() - age;
    std::size_t removed = 0, kept = 0;
    if (dry_run) {
      Inventory inventory = read_inventory_file(file);
      removed = inventory.prune_older_than(cutoff);
      kept = inventory.size();
    } else {
      update_inventory_file(
          file,
          [&](Inventory& inventory) {
            removed = inventory.prune_older_than(cutoff);
            kept = inventory.size();
          },
          false);  // a missing file is an error here, not an empty inventory to create
    }
    std::cout << (dry_run ? "would remove " : "removed ") << removed << " devices not seen for "
              << format_duration(age) << "; " << kept << " kept\n";
    return 0;
  });
}

}  // namespace pifind
