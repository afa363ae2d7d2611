// Agent reports as the tests and benchmarks need them: a minimal valid one, a typical Pi's with one drift
// estimate, the fleet key they share, and the headers that sign a body. Built here once instead of by hand.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "inventory/core/mac_address.h"
#include "inventory/protocol/device_key.h"
#include "inventory/protocol/report.h"
#include "inventory/protocol/signing.h"

namespace pifind::test {

/// The smallest report validate() accepts: `agent` on eth0 with address `cidr` (none if empty), hostname
/// `hostname`, no drift.
AgentReport minimal_report(const MacAddress& agent, std::uint64_t counter, const std::string& hostname = "pi1",
                           const std::string& cidr = "10.0.0.5/24");

/// A Pi 4's report: minimal_report() plus model, clocksource and one "ok" rtc0 estimate of `drift_ppm`
/// (standard error `stderr_ppm`, 20 samples over 1200 s).
AgentReport pi_report(const MacAddress& agent, std::uint64_t counter, const std::string& hostname,
                      const std::string& cidr, double drift_ppm, double stderr_ppm = 0.2);

/// The fleet key every test and benchmark signs with.
const FleetKey& test_fleet_key();

/// The X-Pifind-* headers that sign `body` as `report`'s, as received (the collector's view); with
/// `device`, also the device key and its signature.
SignedHeaders signed_headers_for(const AgentReport& report, const std::string& body,
                                 const FleetKey& key = test_fleet_key(), const DevicePrivateKey* device = nullptr);

/// The same as HTTP header name -> value, with Content-Type, for a client to send.
std::map<std::string, std::string> signed_http_headers(const AgentReport& report, const std::string& body,
                                                       const FleetKey& key = test_fleet_key(),
                                                       const DevicePrivateKey* device = nullptr);

/// Signed headers as HTTP header name -> value, the sender under `sender_header` (X-Pifind-Agent, -Scanner),
/// the device key's two when they are set.
std::map<std::string, std::string> http_headers_of(const SignedHeaders& headers, std::string_view sender_header);

}  // namespace pifind::test
