#include "inventory/whole_file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "inventory/error.h"

namespace pifind {

std::string read_whole_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(system_error_text("cannot open " + file.string(), errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + file.string());
  return std::move(content).str();
}

}  // namespace pifind
