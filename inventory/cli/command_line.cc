#include "inventory/cli/command_line.h"

#include <cstdlib>
#include <iostream>
#include <vector>

#include "inventory/core/error.h"
#include "inventory/core/time_text.h"

namespace pifind {

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  // CLI11 expects the program name first; the subcommand's options start at argv[2].
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 2; --i) args.emplace_back(argv[i]);
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << app.get_name() << ": " << e.what() << " (see --help)\n";
    return 2;
  }
  return std::nullopt;
}

int run_reporting_errors(const std::string& name, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << name << ": " << e.what() << '\n';
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << '\n';
  }
  return 2;
}

std::string default_inventory_path() {
  const char* env = std::getenv("PIFIND_INVENTORY");
  return env && *env ? env : "fleet.json";
}

CLI::Validator duration_validator(bool allow_zero) {
  return CLI::Validator(
      [allow_zero](std::string& text) -> std::string {
        return parse_duration(text, allow_zero) ? std::string{}
                                                : "'" + text + "' is not a duration such as 90s, 15m, 1h, 30d";
      },
      "DURATION");
}

}  // namespace pifind
