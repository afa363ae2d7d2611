// `pifind keys list|approve|forget`: the device keys the collector pinned, the ones waiting for approval
// (`pifind serve --enroll manual`), and forgetting a re-imaged device's old key. Edits the inventory file
// under its lock; a running collector picks the change up within a second.
#pragma once

namespace pifind {

/// argv[0] "pifind", argv[1] "keys". Returns the exit status.
int run_keys_command(int argc, char** argv);

}  // namespace pifind
