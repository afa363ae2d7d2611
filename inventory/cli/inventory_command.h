// `pifind inventory show|prune`: looking at the inventory file and removing devices explicitly,
// the only way a device ever leaves it.
#pragma once

namespace pifind {

/// Runs `pifind inventory ...`; returns the exit status.
int run_inventory_command(int argc, char** argv);

}  // namespace pifind
