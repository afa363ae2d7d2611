#include "tests/support/sample_scan.h"


namespace pifind::test {

MacAddress sample_scanner() { return *MacAddress::parse("02:00:00:00:00:01"); }

ScanReport empty_scan(std::uint64_t counter, const std::string& site) {
  ScanReport scan;
  scan.scanner_id = sample_scanner();
  scan.counter = counter;
  scan.scanner_version = "0.1.0";
  scan.site = site;
  scan.interfaces = {{"eth0", sample_scanner(), Ipv4Address::parse("10.0.0.1"), 24}};
  return scan;
}

ScannedHost scanned_host(const std::string& mac, const std::string& ip, const std::string& name, NameOrigin origin) {
  ScannedHost s;
  s.mac = *MacAddress::parse(mac);
  s.ip = *Ipv4Address::parse(ip);
  s.raspberry_pi = mac.rfind("b8:27:eb", 0) == 0 || mac.rfind("dc:a6:32", 0) == 0;
  s.vendor = s.raspberry_pi ? "Raspberry Pi Trading Ltd" : "";
  s.interface_name = "eth0";
  if (!name.empty()) {
    s.name = name;
    s.name_origin = origin;
  }
  return s;
}

SignedHeaders signed_scan_headers_for(const ScanReport& scan, const std::string& body, const FleetKey& key) {
  return {scan.scanner_id.to_string(), std::to_string(scan.counter), sign_scan(key, scan.scanner_id, scan.counter, body),
          {}, {}};
}

std::map<std::string, std::string> signed_scan_http_headers(const ScanReport& scan, const std::string& body,
                                                            const FleetKey& key) {
  return http_headers_of(signed_scan_headers_for(scan, body, key), kScannerHeader);
}

}  // namespace pifind::test
