// Keeps pifind's privilege to the moment it needs it: once the capture socket is open, a binary run
// with file capabilities (setcap cap_net_raw+ep) drops every capability for the rest of the scan.
#pragma once

namespace pifind {

/// Clears the effective, permitted and inheritable capability sets of a process that is not root.
/// Root keeps its identity (its files stay writable); it is a no-op there. Throws Error on failure.
void drop_capabilities_unless_root();

}  // namespace pifind
