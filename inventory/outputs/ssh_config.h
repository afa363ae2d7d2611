// `pifind ssh-config`: an Include-able ssh_config(5) file with one Host block per Pi. Everything written
// is validated or escaped so that text from the network can never add or change an ssh option.
#pragma once

#include <string>
#include <vector>

#include "inventory/store/host_alias.h"

namespace pifind {

struct SshConfigOptions {
  /// User for every host; empty leaves ssh's default. Letters, digits, '.', '_', '-' only.
  std::string user;
  /// IdentityFile for every host (written quoted, '%' escaped); empty for none.
  std::string identity_file;
  /// Where the inventory came from, named in the header comment.
  std::string source;
};

/// The whole file: a header comment, then Host blocks in alias order, HostName the host's address (an IPv4
/// address, else an IPv6 address or the agent's hostname); a host without one is a comment line. Throws Error for a user or identity
/// file that cannot be written safely (quotes, control characters).
std::string render_ssh_config(const std::vector<FleetHost>& hosts, const SshConfigOptions& options);

}  // namespace pifind
