// `pifind keys list|approve|forget|self`: the device keys the collector pinned to agents and scanners, the
// ones waiting for approval (`pifind serve --enroll manual`), forgetting a re-imaged sender's old key, and this
// machine's own scanner key. Edits the inventory file under its lock; a running collector picks the change up
// within a second.
#pragma once

namespace pifind {

/// argv[0] "pifind", argv[1] "keys". Returns the exit status.
int run_keys_command(int argc, char** argv);

}  // namespace pifind
