// Keeps pifind's privilege to the moment it needs it. The binary carries cap_net_raw as a file capability
// (the package's postinst sets it) for the scan alone: the scan drops every capability once its capture
// socket is open, and every fleet subcommand (serve, keys, ssh-config, ...) before it does anything at all.
#pragma once

namespace pifind {

/// Clears the effective, permitted and inheritable capability sets (and so the ambient set) of a process
/// that is not root, through libcap's cap_set_proc(3). Root keeps its identity (its files stay writable);
/// it is a no-op there. Throws Error on failure.
void drop_capabilities_unless_root();

}  // namespace pifind
