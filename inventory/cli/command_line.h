// Shared plumbing of the fleet subcommands: CLI11 parsing with one-line errors, and typed option values
// (durations like "30d", ADDR:PORT) validated at parse time.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

namespace pifind {

/// Parses argv (argv[0] "pifind", argv[1] the subcommand) into `app`. Returns an exit status to stop with
/// (0 after --help, 2 after a usage error printed as one line), or nothing to go on.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

/// Runs `body`, turning pifind::Error and std::exception into "pifind NAME: message" on stderr and status 2.
int run_reporting_errors(const std::string& name, const std::function<int()>& body);

/// $PIFIND_INVENTORY if set, else "fleet.json": the --inventory default of every subcommand.
std::string default_inventory_path();

/// A CLI11 validator accepting durations such as "90s", "15m", "1h", "30d", "2w".
CLI::Validator duration_validator(bool allow_zero = false);

}  // namespace pifind
