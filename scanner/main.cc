// pifind's entry point: the ARP scan by default, fleet subcommands (serve, ssh-config, ...) by name.
// Every error ends here as one line on stderr and exit status 2.
#include <iostream>

#include "inventory/error.h"
#include "scanner/scan_command.h"
#include "scanner/scan_options.h"

int main(int argc, char** argv) {
  try {
    const pifind::ParsedCommandLine parsed = pifind::parse_scan_command_line(argc, argv);
    if (!parsed.options) return parsed.exit_status;
    return pifind::run_scan_command(*parsed.options);
  } catch (const pifind::Error& e) {
    std::cerr << "pifind: " << e.what() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "pifind: internal error: " << e.what() << '\n';
  }
  return 2;
}
