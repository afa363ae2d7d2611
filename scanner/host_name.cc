#include "scanner/host_name.h"

namespace pifind {

std::string_view to_string(NameSource source) {
  switch (source) {
    case NameSource::kMdns: return "mdns";
    case NameSource::kDns: return "dns";
  }
  return "unknown";
}

}  // namespace pifind
