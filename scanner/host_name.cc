#include "scanner/host_name.h"

namespace pifind {

std::string_view to_string(NameSource source) {
  switch (source) {
    case NameSource::mdns: return "mdns";
    case NameSource::dns: return "dns";
  }
  return "unknown";
}

}  // namespace pifind
