// Issue 14's table, against `pifind serve` as a real process on loopback: every attack an agent holding the
// fleet key tried on another device's record is now refused, kept as a conflict, or bounded, and the victim's
// record is unchanged; a scanner is held to its own key the same way. (The ssh half of the alias attack runs real
// ssh and sshd: tests/inventory/ssh_takeover_test.sh.)
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <chrono>
#include <memory>
#include <regex>
#include <thread>

#include "collector_fixture.h"
#include "inventory/cli/scan_uplink.h"
#include "inventory/core/error.h"
#include "inventory/core/whole_file.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/inventory_json.h"
#include "serve_process.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

const MacAddress kVictim = *MacAddress::parse("dc:a6:32:aa:bb:05");
const MacAddress kAttacker = *MacAddress::parse("dc:a6:32:aa:bb:02");  // sorts before the victim

class Server {
 public:
  explicit Server(std::vector<std::string> extra_args = {}) {
    test::write_key_file(dir_ / "fleet.key");
    serve_ = std::make_unique<test::ServeProcess>(test::ServeProcess::Options{
        dir_ / "fleet.json", dir_ / "fleet.key", dir_ / "serve.log", 0, std::move(extra_args), 0});
  }
  std::filesystem::path file() const { return dir_ / "fleet.json"; }
  // A scanner (`pifind --collector`) of this fleet with its own state directory, as the real scan posts.
  ScanUplink scanner(const std::string& state) const {
    return ScanUplink({fmt::format("http://127.0.0.1:{}", serve_->port()), dir_ / "fleet.key", dir_ / state,
                       std::nullopt, std::chrono::seconds(5)});
  }
  test::ServeProcess& process() { return *serve_; }

  test::Reply post(const AgentReport& report, const DevicePrivateKey* key) {
    const std::string body = to_body(report);
    return test::http_request(serve_->port(), "POST", "/v1/reports", body,
                              test::signed_http_headers(report, body, test::test_fleet_key(), key));
  }
  // Posts until the reply is `status` or 3 s passed (a CLI's change reaches the collector within a second).
  test::Reply post_until(int status, const AgentReport& report, const DevicePrivateKey* key) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    test::Reply reply;
    do {
      reply = post(report, key);
      if (reply.status == status) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return reply;
  }
  std::string device(const MacAddress& mac) {
    const Inventory inventory = read_inventory_file(file());
    const auto it = inventory.records().find(mac);
    return it == inventory.records().end() ? "" : record_to_json(it->second).dump();
  }
  // The value of one sample of /metrics, e.g. `pifind_reports_refused_total{sender="agent",reason="key_changed"}`.
  double metric(const std::string& sample) {
    const auto reply = test::http_request(serve_->port(), "GET", "/metrics");
    const auto at = reply.body.find("\n" + sample + " ");
    REQUIRE(at != std::string::npos);
    return std::stod(reply.body.substr(at + sample.size() + 2));
  }
  test::ProcessResult cli(std::vector<std::string> args) {
    args.insert(args.begin(), test::fleet_cli());
    args.push_back("--inventory");
    args.push_back(file().string());
    return test::run_process(args);
  }
  // "Host <alias>" -> its HostName, from `pifind ssh-config`.
  std::map<std::string, std::string> ssh_hosts() {
    const auto r = cli({"ssh-config"});
    REQUIRE(r.exit_status <= 1);  // 1: no host to list
    std::map<std::string, std::string> hosts;
    const std::regex entry("Host (\\S+)\\n  HostName (\\S+)\\n");
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), entry), end; it != end; ++it)
      hosts[(*it)[1]] = (*it)[2];
    return hosts;
  }
  std::size_t log_lines_with(const std::string& text) {
    const std::string log = serve_->log();
    std::size_t n = 0;
    for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  }

 private:
  test::TempDir dir_;
  std::unique_ptr<test::ServeProcess> serve_;
};

// What delivering `scan` said: its line, or the one-line error.
std::string deliver(ScanUplink& uplink, const ScanReport& scan) {
  try {
    return uplink.deliver(scan);
  } catch (const Error& e) {
    return e.what();
  }
}

// Delivers until accepted or 3 s passed (a CLI's change reaches the collector within a second).
std::string deliver_until_accepted(ScanUplink& uplink, const ScanReport& scan) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::string said;
  do {
    said = deliver(uplink, scan);
    if (said.find(" delivered (") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  return said;
}

// A scan at "lab" that saw one Pi.
ScanReport lab_scan() {
  ScanReport scan = test::empty_scan(0, "lab");
  scan.sightings = {test::scanned_host("dc:a6:32:aa:bb:77", "10.0.0.77")};
  return scan;
}

AgentReport report(const MacAddress& agent, std::uint64_t counter, const std::string& hostname,
                   const std::string& cidr) {
  return test::pi_report(agent, counter, hostname, cidr, 3.0);
}

}  // namespace

TEST_CASE("serve: a newcomer with an existing Pi's hostname gets the suffix, not the Pi's ssh alias") {
  Server server;
  const auto victim_key = DevicePrivateKey::generate();
  const auto attacker_key = DevicePrivateKey::generate();
  REQUIRE(server.post(report(kVictim, 1, "pi4-kitchen", "10.0.0.5/24"), &victim_key).status == 204);
  const std::string before = server.device(kVictim);
  REQUIRE(server.post(report(kAttacker, 1, "pi4-kitchen", "10.0.0.66/24"), &attacker_key).status == 204);
  const auto hosts = server.ssh_hosts();
  CHECK(hosts.at("pi4-kitchen") == "10.0.0.5");
  CHECK(hosts.at("pi4-kitchen-aabb02") == "10.0.0.66");
  CHECK(server.device(kVictim) == before);
  const auto ansible = server.cli({"export", "--list"});
  REQUIRE(ansible.exit_status == 0);
  const auto vars = nlohmann::json::parse(ansible.out)["_meta"]["hostvars"];
  CHECK(vars["pi4-kitchen"]["ansible_host"] == "10.0.0.5");
  CHECK(vars["pi4-kitchen-aabb02"]["ansible_host"] == "10.0.0.66");
}

TEST_CASE("serve: reports as the victim's agent are refused, whatever their counter, and the victim goes on") {
  Server server;
  const auto victim_key = DevicePrivateKey::generate();
  const auto attacker_key = DevicePrivateKey::generate();
  REQUIRE(server.post(report(kVictim, 1, "kitchen", "10.0.0.5/24"), &victim_key).status == 204);
  const std::string before = server.device(kVictim);

  auto frozen = report(kVictim, static_cast<std::uint64_t>(INT64_MAX), "kitchen", "10.0.0.66/24");
  const auto with_own_key = server.post(frozen, &attacker_key);
  CHECK(with_own_key.status == 409);  // the counter is refused before the key is even looked at
  CHECK_THAT(with_own_key.body, Contains("more than 2^32 above"));
  const auto signed_by_other = server.post(report(kVictim, 2, "kitchen", "10.0.0.66/24"), &attacker_key);
  CHECK(signed_by_other.status == 403);
  CHECK_THAT(signed_by_other.body, Contains("has key SHA256:"));
  const auto unsigned_report = server.post(report(kVictim, 3, "kitchen", "10.0.0.66/24"), nullptr);
  CHECK(unsigned_report.status == 403);
  CHECK_THAT(unsigned_report.body, Contains("no device signature"));
  CHECK(server.device(kVictim) == before);

  CHECK(server.post(report(kVictim, 2, "kitchen", "10.0.0.5/24"), &victim_key).status == 204);
  CHECK(server.metric("pifind_reports_refused_total{sender=\"agent\",reason=\"counter_jump\"}") == 1);
  CHECK(server.metric("pifind_reports_refused_total{sender=\"agent\",reason=\"key_changed\"}") == 1);
  CHECK(server.metric("pifind_reports_refused_total{sender=\"agent\",reason=\"unsigned\"}") == 1);
  // The results add up to every report received: the counter jump is a 409 like a replay, the rest 403s.
  CHECK(server.metric("pifind_collector_reports_total{result=\"accepted\"}") == 2);
  CHECK(server.metric("pifind_collector_reports_total{result=\"replay\"}") == 1);
  CHECK(server.metric("pifind_collector_reports_total{result=\"forbidden\"}") == 2);
  CHECK(server.log_lines_with("refused reports from dc:a6:32:aa:bb:05 (key_changed)") == 1);
}

TEST_CASE("serve: listing other devices' MACs, loopback addresses or their serial makes conflicts, not merges") {
  Server server;
  const MacAddress web2 = *MacAddress::parse("dc:a6:32:00:00:20");
  auto victim = report(web2, 1, "web2", "10.0.0.20/24");
  victim.identity.serial = "10000000cafe0001";
  REQUIRE(server.post(victim, nullptr).status == 204);
  const std::string before = server.device(web2);

  auto claim = report(kAttacker, 1, "attacker", "10.0.0.66/24");
  claim.identity.interfaces.push_back({"eth1", web2, {"10.0.0.67/24"}});
  claim.identity.serial = "10000000cafe0001";
  REQUIRE(server.post(claim, nullptr).status == 204);
  CHECK(server.device(web2) == before);
  CHECK(server.ssh_hosts().at("web2") == "10.0.0.20");
  const auto audit = server.cli({"audit"});
  CHECK_THAT(audit.out, Contains("attacker: claims MAC dc:a6:32:00:00:20 of device dc:a6:32:00:00:20"));
  CHECK_THAT(audit.out, Contains("attacker: claims serial 10000000cafe0001 of device dc:a6:32:00:00:20"));
  CHECK(server.metric("pifind_identity_conflicts_total") == 2);

  auto loopback = report(kAttacker, 2, "attacker", "127.0.0.1/8");
  const auto refused = server.post(loopback, nullptr);
  CHECK(refused.status == 400);
  CHECK_THAT(refused.body, Contains("loopback"));
}

TEST_CASE("serve: a re-imaged Pi is refused with a reason until `pifind keys forget`, then accepted") {
  Server server;
  const auto old_key = DevicePrivateKey::generate();
  REQUIRE(server.post(report(kVictim, 40, "kitchen", "10.0.0.5/24"), &old_key).status == 204);
  const auto new_key = DevicePrivateKey::generate();
  for (std::uint64_t c = 1; c <= 3; ++c) {
    const auto r = server.post(report(kVictim, c, "kitchen", "10.0.0.5/24"), &new_key);
    CHECK(r.status == 403);
    CHECK_THAT(r.body, Contains("pifind keys forget dc:a6:32:aa:bb:05"));
  }
  CHECK(server.log_lines_with("(key_changed)") == 1);
  CHECK(server.metric("pifind_reports_refused_total{sender=\"agent\",reason=\"key_changed\"}") == 3);

  const auto list = server.cli({"keys", "list"});
  CHECK_THAT(list.out, Contains(old_key.public_key().fingerprint()));
  const auto forget = server.cli({"keys", "forget", "dc:a6:32:aa:bb:05"});
  REQUIRE(forget.exit_status == 0);
  CHECK_THAT(forget.out, Contains("forgot " + old_key.public_key().fingerprint()));
  CHECK(server.post_until(204, report(kVictim, 4, "kitchen", "10.0.0.5/24"), &new_key).status == 204);
  // The old image's key stays out for good.
  CHECK(server.post(report(kVictim, 41, "kitchen", "10.0.0.5/24"), &old_key).status == 403);
}

TEST_CASE("serve: --enroll manual holds a new device's key until an operator approves it") {
  Server server({"--enroll", "manual"});
  const auto key = DevicePrivateKey::generate();
  const auto first = server.post(report(kVictim, 1, "kitchen", "10.0.0.5/24"), &key);
  CHECK(first.status == 403);
  CHECK_THAT(first.body, Contains("waits for approval"));
  CHECK(server.post(report(kVictim, 2, "kitchen", "10.0.0.5/24"), nullptr).status == 403);
  const auto list = server.cli({"keys", "list", "--format", "json"});
  REQUIRE(list.exit_status == 0);
  const auto rows = nlohmann::json::parse(list.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["state"] == "pending");
  CHECK(rows[0]["key"] == key.public_key().to_string());
  CHECK(server.metric("pifind_device_keys_pending") == 1);
  // The dashboard's audit, rendered from the collector's snapshot, names the key waiting too.
  const auto audit = test::http_request(server.process().port(), "GET", "/v1/audit");
  REQUIRE(audit.status == 200);
  const auto notes = nlohmann::json::parse(audit.body)["identity"];
  REQUIRE(notes.size() == 1);
  CHECK(notes[0]["kind"] == "key-pending");
  CHECK(notes[0]["device"] == "dc:a6:32:aa:bb:05");
  CHECK_THAT(notes[0]["text"].get<std::string>(), Contains(key.public_key().fingerprint()));
  REQUIRE(server.cli({"keys", "approve", "dc:a6:32:aa:bb:05"}).exit_status == 0);
  CHECK(server.post_until(204, report(kVictim, 3, "kitchen", "10.0.0.5/24"), &key).status == 204);
  CHECK(server.post(report(kAttacker, 1, "other", "10.0.0.6/24"), &key).status == 403);
}

TEST_CASE("serve: a captured report replayed after a prune does not bring the device back") {
  Server server;
  const auto key = DevicePrivateKey::generate();
  const auto captured = report(kVictim, 1, "kitchen", "10.0.0.5/24");
  REQUIRE(server.post(captured, &key).status == 204);
  REQUIRE(server.post(report(kVictim, 2, "kitchen", "10.0.0.9/24"), &key).status == 204);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(server.cli({"inventory", "prune", "--older-than", "1s"}).exit_status == 0);
  // Replayed as captured (no key needed: the bytes and both signatures are the original ones).
  CHECK(server.post_until(409, captured, &key).status == 409);
  CHECK(server.device(kVictim).empty());
  CHECK(server.ssh_hosts().count("kitchen") == 0);
}

TEST_CASE("serve: one agent naming ever new MACs and addresses cannot grow its record without bound") {
  Server server;
  for (std::uint64_t c = 1; c <= 60; ++c) {
    auto r = report(kVictim, c, "kitchen", fmt::format("10.1.{}.1/24", c));
    for (std::uint64_t i = 0; i < 30; ++i)
      r.identity.interfaces.push_back({fmt::format("e{}", i),
                                       *MacAddress::parse(fmt::format("02:00:00:00:{:02x}:{:02x}", c, i)),
                                       {fmt::format("10.2.{}.{}/24", c, i + 1), fmt::format("10.3.{}.{}/24", c, i + 1)}});
    REQUIRE(server.post(r, nullptr).status == 204);
  }
  const Inventory inventory = read_inventory_file(server.file());
  const auto& record = inventory.records().at(kVictim);
  CHECK(record.macs.size() == kMaxMacsPerDevice);
  CHECK(record.ips.size() == kMaxAddressesPerDevice);
  const auto bytes = read_whole_file(server.file()).size();
  CHECK(bytes < 64 * 1024);
  WARN(fmt::format("60 reports of 31 interfaces and 61 addresses each: inventory {} bytes, {} MACs, {} addresses",
                   bytes, record.macs.size(), record.ips.size()));
}

TEST_CASE("serve: the inventory keeps the mode it has, and a new one is 0640 less the umask") {
  auto mode_of = [](const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };
  const mode_t saved = ::umask(077);
  Server server;  // inherits umask 077
  ::umask(saved);
  REQUIRE(server.post(report(kVictim, 1, "kitchen", "10.0.0.5/24"), nullptr).status == 204);
  CHECK(mode_of(server.file()) == 0600);
  REQUIRE(::chmod(server.file().c_str(), 0604) == 0);
  REQUIRE(server.post(report(kVictim, 2, "kitchen", "10.0.0.5/24"), nullptr).status == 204);
  CHECK(mode_of(server.file()) == 0604);

  // A root-only inventory reached through a symlink: the file written in the link's place is root-only too.
  test::TempDir dir;
  const auto target = dir / "private.json";
  write_file_atomically(target, read_whole_file(server.file()), 0600);
  std::filesystem::create_symlink(target, dir / "fleet.json");
  const auto pruned = test::run_process(
      {test::fleet_cli(), "inventory", "prune", "--older-than", "30d", "--inventory", (dir / "fleet.json").string()});
  REQUIRE(pruned.exit_status == 0);
  CHECK(mode_of(dir / "fleet.json") == 0600);
}

namespace {

std::string base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                  static_cast<int>(text.size()));
  return out;
}

int get_status(std::uint16_t port, const std::string& target, const std::string& authorization = "") {
  std::map<std::string, std::string> headers;
  if (!authorization.empty()) headers["Authorization"] = authorization;
  return test::http_request(port, "GET", target, "", headers).status;
}

}  // namespace

TEST_CASE("serve: reads can need a token or a password, /metrics can stay open, reports never need either") {
  test::TempDir dir;
  write_file_atomically(dir / "token", "0123456789abcdef0123456789abcdef\n", 0600);
  // The hash the openssl command makes, as an operator would.
  const auto hashed = test::run_process({"openssl", "passwd", "-6", "-salt", "pifindtest", "correct horse"});
  REQUIRE(hashed.exit_status == 0);
  write_file_atomically(dir / "users", "# readers\nops:" + hashed.out, 0600);
  Server server({"--read-token-file", (dir / "token").string(), "--read-users", (dir / "users").string(),
                 "--metrics-public"});
  const auto port = server.process().port();
  REQUIRE(server.post(report(kVictim, 1, "kitchen", "10.0.0.5/24"), nullptr).status == 204);

  const auto refused = test::http_request(port, "GET", "/v1/inventory");
  CHECK(refused.status == 401);
  CHECK(refused.body.find("dc:a6:32") == std::string::npos);
  REQUIRE(refused.headers.count("WWW-Authenticate") == 1);
  CHECK_THAT(refused.headers.at("WWW-Authenticate"), Contains("Bearer realm=\"pifind\""));
  CHECK_THAT(refused.headers.at("WWW-Authenticate"), Contains("Basic realm=\"pifind\""));
  CHECK(get_status(port, "/") == 401);
  CHECK(get_status(port, "/v1/inventory", "Bearer 0123456789abcdef0123456789abcdee") == 401);
  CHECK(get_status(port, "/v1/inventory", "Bearer 0123456789abcdef0123456789abcdef") == 200);
  CHECK(get_status(port, "/", "Basic " + base64("ops:correct horse")) == 200);
  CHECK(get_status(port, "/", "basic " + base64("ops:correct horse")) == 200);  // the scheme is case-blind
  CHECK(get_status(port, "/", "Basic " + base64("ops:correct horsf")) == 401);
  CHECK(get_status(port, "/", "Basic " + base64("root:correct horse")) == 401);
  CHECK(get_status(port, "/", "Basic !!!!") == 401);
  CHECK(get_status(port, "/metrics") == 200);
  CHECK(get_status(port, "/healthz") == 200);
}

TEST_CASE("serve: --read-listen serves reads on their own address, and --no-metrics-hosts keeps hosts off /metrics") {
  Server server({"--read-listen", "127.0.0.1:0", "--no-metrics-hosts"});
  REQUIRE(server.post(report(kVictim, 1, "kitchen", "10.0.0.5/24"), nullptr).status == 204);
  const std::string log = server.process().log();
  const auto at = log.find(" reads http://127.0.0.1:");
  REQUIRE(at != std::string::npos);
  const auto read_port = static_cast<std::uint16_t>(std::stoul(log.substr(at + 24)));
  const auto report_port = server.process().port();
  CHECK(get_status(report_port, "/v1/inventory") == 404);
  CHECK(get_status(report_port, "/metrics") == 404);
  CHECK(get_status(report_port, "/healthz") == 200);
  CHECK(get_status(read_port, "/v1/inventory") == 200);
  const auto posted = test::http_request(read_port, "POST", "/v1/reports", "{}");
  CHECK(posted.status == 404);
  const auto metrics = test::http_request(read_port, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Contains("pifind_devices 1"));
  CHECK(metrics.body.find("pifind_host_") == std::string::npos);
  CHECK(metrics.body.find("dc:a6:32") == std::string::npos);
}

TEST_CASE("serve: a re-imaged scanner is refused with a reason, logged once, until `pifind keys forget`") {
  Server server;
  ScanUplink original = server.scanner("scan-state");
  REQUIRE_THAT(deliver(original, lab_scan()), Contains("1 sighting delivered"));
  const std::string fingerprint = original.device_key().fingerprint();
  const auto self = test::run_process(
      {test::fleet_cli(), "keys", "self", "--state-dir", (server.file().parent_path() / "scan-state").string()});
  REQUIRE(self.exit_status == 0);
  CHECK(self.out == original.device_key().to_string() + " " + fingerprint + "\n");
  const auto none = test::run_process({test::fleet_cli(), "keys", "self", "--state-dir", server.file().parent_path().string()});
  CHECK(none.exit_status == 2);
  CHECK_THAT(none.err, Contains("no device key in " + server.file().parent_path().string() + " yet"));
  CHECK_FALSE(std::filesystem::exists(server.file().parent_path() / "device.key"));  // printing makes none
  const auto list = server.cli({"keys", "list"});
  CHECK_THAT(list.out, Contains("scanner  02:00:00:00:00:01  pinned    " + fingerprint));

  ScanUplink reimaged = server.scanner("new-image");
  for (int i = 0; i < 3; ++i) {
    const std::string refused = deliver(reimaged, lab_scan());
    CHECK_THAT(refused, Contains("refused: the collector") && Contains("`pifind keys forget --scanner 02:00:00:00:00:01`"));
  }
  CHECK(server.log_lines_with("refused scans from scanner 02:00:00:00:00:01 (key_changed)") == 1);
  CHECK(server.metric("pifind_reports_refused_total{sender=\"scanner\",reason=\"key_changed\"}") == 3);
  CHECK(server.metric("pifind_reports_refused_total{sender=\"agent\",reason=\"key_changed\"}") == 0);

  // No agent has that MAC: `forget` means the scanner without being told --scanner.
  const auto forget = server.cli({"keys", "forget", "02:00:00:00:00:01"});
  REQUIRE(forget.exit_status == 0);
  CHECK(forget.out == "forgot " + fingerprint + " of scanner 02:00:00:00:00:01; its next signed scan pins its new key\n");
  CHECK_THAT(deliver_until_accepted(reimaged, lab_scan()), Contains("1 sighting delivered"));
  // The old image's key stays out for good.
  CHECK_THAT(deliver(original, lab_scan()), Contains("refused: ") && Contains("was forgotten by an operator"));
}

TEST_CASE("serve: --enroll manual holds a scanner's key until `pifind keys approve --scanner`") {
  Server server({"--enroll", "manual"});
  ScanUplink uplink = server.scanner("scan-state");
  const std::string waits = deliver(uplink, lab_scan());
  CHECK_THAT(waits, Contains("refused: the collector") &&
                        Contains("waits for approval: `pifind keys approve --scanner 02:00:00:00:00:01`"));
  CHECK(server.device(*MacAddress::parse("dc:a6:32:aa:bb:77")).empty());  // nothing of the scan merged
  CHECK(server.metric("pifind_device_keys_pending") == 1);
  CHECK(server.metric("pifind_reports_refused_total{sender=\"scanner\",reason=\"not_enrolled\"}") == 1);
  const auto list = server.cli({"keys", "list", "--format", "json"});
  REQUIRE(list.exit_status == 0);
  const auto rows = nlohmann::json::parse(list.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["kind"] == "scanner");
  CHECK(rows[0]["id"] == "02:00:00:00:00:01");
  CHECK(rows[0]["state"] == "pending");
  CHECK(rows[0]["key"] == uplink.device_key().to_string());
  CHECK_THAT(rows[0]["detail"].get<std::string>(), Contains("10.0.0.1/24 at lab scans:1"));

  const auto approve = server.cli({"keys", "approve", "--scanner", "02:00:00:00:00:01"});
  REQUIRE(approve.exit_status == 0);
  CHECK(approve.out == "pinned " + uplink.device_key().fingerprint() + " to scanner 02:00:00:00:00:01\n");
  CHECK_THAT(deliver_until_accepted(uplink, lab_scan()), Contains("1 sighting delivered"));
  CHECK_FALSE(server.device(*MacAddress::parse("dc:a6:32:aa:bb:77")).empty());
  // Another machine holding the fleet key cannot post as this scanner.
  ScanUplink stranger = server.scanner("stranger-state");
  CHECK_THAT(deliver(stranger, lab_scan()), Contains("has key " + uplink.device_key().fingerprint() + " pinned"));
}
