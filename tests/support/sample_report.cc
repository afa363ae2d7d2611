#include "tests/support/sample_report.h"

namespace pifind::test {

AgentReport minimal_report(const MacAddress& agent, std::uint64_t counter, const std::string& hostname,
                           const std::string& cidr) {
  AgentReport r;
  r.agent_id = agent;
  r.counter = counter;
  r.agent_version = "0.1.0";
  r.identity.hostname = hostname;
  r.identity.interfaces = {{"eth0", agent, {}}};
  if (!cidr.empty()) r.identity.interfaces[0].addresses.push_back(cidr);
  r.identity.primary_interface = "eth0";
  return r;
}

AgentReport pi_report(const MacAddress& agent, std::uint64_t counter, const std::string& hostname,
                      const std::string& cidr, double drift_ppm, double stderr_ppm) {
  AgentReport r = minimal_report(agent, counter, hostname, cidr);
  r.identity.model = "Raspberry Pi 4 Model B Rev 1.4";
  r.clocksource.current = "arch_sys_counter";
  DriftEstimate e;
  e.reference = "rtc0";
  e.status = DriftStatus::kOk;
  e.samples = 20;
  e.window_s = 1200;
  e.ppm = drift_ppm;
  e.stderr_ppm = stderr_ppm;
  r.drift = {e};
  return r;
}

const FleetKey& test_fleet_key() {
  static const FleetKey key = FleetKey::from_secret("0123456789abcdef0123456789abcdef");
  return key;
}

SignedHeaders signed_headers_for(const AgentReport& report, const std::string& body, const FleetKey& key,
                                 const DevicePrivateKey* device) {
  SignedHeaders h{report.agent_id.to_string(), std::to_string(report.counter),
                  sign_report(key, report.agent_id, report.counter, body), {}, {}};
  if (device) {
    h.device_key = device->public_key().to_string();
    h.device_signature = device->sign(report_message(report.agent_id, report.counter, body));
  }
  return h;
}

std::map<std::string, std::string> signed_http_headers(const AgentReport& report, const std::string& body,
                                                       const FleetKey& key, const DevicePrivateKey* device) {
  return http_headers_of(signed_headers_for(report, body, key, device), kAgentHeader);
}

std::map<std::string, std::string> http_headers_of(const SignedHeaders& headers, std::string_view sender_header) {
  std::map<std::string, std::string> fields{{std::string(sender_header), headers.agent},
                                            {std::string(kCounterHeader), headers.counter},
                                            {std::string(kSignatureHeader), headers.signature},
                                            {"Content-Type", "application/json"}};
  if (!headers.device_key.empty()) {
    fields[std::string(kDeviceKeyHeader)] = headers.device_key;
    fields[std::string(kDeviceSignatureHeader)] = headers.device_signature;
  }
  return fields;
}

}  // namespace pifind::test
