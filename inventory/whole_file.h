// Reading a file the fleet commands own whole into memory (inventory files, fixtures), with one-line errors.
// Writing goes through write_file_atomically() in report_atomic_file.h, shared with the agent.
#pragma once

#include <filesystem>
#include <string>

namespace pifind {

/// The whole content of `file`; throws Error when it cannot be opened or read.
std::string read_whole_file(const std::filesystem::path& file);

}  // namespace pifind
