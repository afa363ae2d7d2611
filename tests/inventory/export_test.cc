// ssh-config and export: pure renderings checked directly, and the real consumers (ssh -G, ansible-inventory)
// run on the output, with hostile host names from the network that must never become options or variables.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fleet_test_support.h"
#include "inventory/core/whole_file.h"
#include "inventory/outputs/export_ansible.h"
#include "inventory/outputs/export_table.h"
#include "inventory/outputs/ssh_config.h"
#include "inventory/store/inventory_file.h"
#include "inventory/store/report_merge.h"
#include "tests/support/sample_report.h"

using namespace pifind;
using Catch::Matchers::Contains;

namespace {

// Pis named "kitchen" twice, three hostile names, "true", one whose address moved away; and one non-Pi.
Inventory hostile_fleet() {
  Inventory inv;
  merge_scan(inv,
             {test::sighting("b8:27:eb:00:00:01", "10.0.0.1", 0), test::sighting("b8:27:eb:00:00:02", "10.0.0.2", 0),
              test::sighting("b8:27:eb:00:00:03", "10.0.0.3", 0), test::sighting("b8:27:eb:00:00:04", "10.0.0.4", 0),
              test::sighting("b8:27:eb:00:00:05", "10.0.0.5", 0), test::sighting("00:11:22:33:44:55", "10.0.0.9", 0),
              test::sighting("b8:27:eb:00:00:06", "10.0.0.6", 0), test::sighting("b8:27:eb:00:00:07", "10.0.0.6", 10),
              test::sighting("b8:27:eb:00:00:08", "10.0.0.8", 0)},
             "eth0");
  // As an agent's report would: the hostname, then the alias that follows it.
  auto name = [&](const char* mac, const char* hostname) {
    InventoryRecord* record = inv.find_by_mac(*MacAddress::parse(mac));
    record->hostname = hostname;
    give_alias(inv, *record, test::at(1));
  };
  name("b8:27:eb:00:00:01", "kitchen");
  name("b8:27:eb:00:00:02", "kitchen");
  name("b8:27:eb:00:00:03", "evil\n  ProxyCommand touch /tmp/pifind-pwned");
  name("b8:27:eb:00:00:04", "-oProxyCommand=sh");
  name("b8:27:eb:00:00:05", "star* \"quoted\" %h");
  name("b8:27:eb:00:00:08", "true");  // a YAML boolean if written unquoted
  auto* rec = const_cast<InventoryRecord*>(inv.find_by_mac(*MacAddress::parse("b8:27:eb:00:00:01")));
  rec->model = "Raspberry Pi 4 \"B\"\nansible_become: yes";
  rec->drift = DriftSummary{-12.5, 0.4, 0, "rtc0", true, 10, 600, test::at(0)};
  return inv;
}

// Managed Pis the collector knows no current IPv4 address for: one reporting over IPv6 only, one whose
// private address (behind NAT at another site) a second Pi then reported too, one with neither and no usable
// hostname; and a scan-only Pi whose address went to another device (it has left, so it is not listed).
Inventory fleet_without_ipv4() {
  Inventory inv;
  const auto mac = [](const char* text) { return *MacAddress::parse(text); };
  merge_report(inv, test::pi_report(mac("dc:a6:32:00:00:01"), 1, "v6only", "2001:db8::21/64", 3.0), test::at(10));
  merge_report(inv, test::pi_report(mac("dc:a6:32:00:00:02"), 1, "natted", "192.168.1.20/24", 4.0), test::at(10));
  merge_report(inv, test::pi_report(mac("dc:a6:32:00:00:03"), 1, "other-site", "192.168.1.20/24", 5.0), test::at(20));
  auto nameless = test::pi_report(mac("dc:a6:32:00:00:04"), 1, "bad name", "fe80::4/64", 6.0);
  merge_report(inv, nameless, test::at(20));
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:09", "10.0.0.9", 0), test::sighting("b8:27:eb:00:00:0a", "10.0.0.9", 5)},
             "eth0");
  return inv;
}

std::vector<std::string> aliases(const std::vector<FleetHost>& hosts) {
  std::vector<std::string> out;
  for (const auto& h : hosts) out.push_back(h.alias);
  return out;
}

std::string ssh_resolved(const std::string& config, const std::string& alias, const std::string& key) {
  const auto r = test::run_process({"ssh", "-G", "-F", config, alias});
  REQUIRE(r.exit_status == 0);
  for (std::size_t at = 0; at < r.out.size();) {
    const auto end = r.out.find('\n', at);
    const std::string line = r.out.substr(at, end - at);
    if (line.rfind(key + " ", 0) == 0) return line.substr(key.size() + 1);
    at = end == std::string::npos ? r.out.size() : end + 1;
  }
  return {};
}

}  // namespace

TEST_CASE("Aliases come from safe hostnames, else pi-<MAC suffix>, and are unique") {
  const auto inv = hostile_fleet();
  CHECK(aliases(list_fleet_hosts(inv, {})) ==
        std::vector<std::string>{"kitchen", "kitchen-000002", "pi-000003", "pi-000004", "pi-000005", "pi-000007", "true"});
  CHECK(aliases(list_fleet_hosts(inv, {"lab-", true, ""})).size() == 8);
  CHECK(aliases(list_fleet_hosts(inv, {"lab-", false, ""})).front() == "lab-kitchen");
  CHECK_THROWS_WITH(list_fleet_hosts(inv, {"bad prefix", false, ""}), Contains("may only contain"));
  CHECK(is_safe_alias("pi-1.lan_x"));
  for (const char* bad : {"", "-x", ".x", "a b", "a\nb", "a*", "a?", "!a", "a,b", "a%h", "a\"b"}) CHECK_FALSE(is_safe_alias(bad));
}

TEST_CASE("pifind ssh-config writes a 0600 file that ssh -G resolves, with no injected option") {
  test::TempDir dir;
  write_inventory_file(dir / "fleet.json", hostile_fleet(), test::at(0));
  const auto conf = (dir / "pifind.conf").string();
  const auto r = test::run_process({test::fleet_cli(), "ssh-config", "--inventory", (dir / "fleet.json").string(),
                                    "--user", "pi", "--identity-file", "~/.ssh/fleet 100%", "--write", conf});
  REQUIRE(r.exit_status == 0);
  CHECK(r.err == "pifind ssh-config: wrote 7 hosts to " + conf + "\n");
  struct stat st {};
  REQUIRE(::stat(conf.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string text = read_whole_file(conf);
  CHECK_FALSE(text.find("ProxyCommand") != std::string::npos);
  CHECK(ssh_resolved(conf, "kitchen", "hostname") == "10.0.0.1");
  CHECK(ssh_resolved(conf, "kitchen", "user") == "pi");
  CHECK(ssh_resolved(conf, "kitchen", "hostkeyalias") == "pifind-b827eb000001");
  CHECK(ssh_resolved(conf, "kitchen", "stricthostkeychecking") == "accept-new");
  CHECK_THAT(ssh_resolved(conf, "kitchen", "identityfile"), Contains(".ssh/fleet 100%"));
  CHECK(ssh_resolved(conf, "kitchen-000002", "hostname") == "10.0.0.2");
  CHECK(ssh_resolved(conf, "pi-000003", "hostname") == "10.0.0.3");
  CHECK(ssh_resolved(conf, "pi-000003", "proxycommand").empty());
  CHECK(ssh_resolved(conf, "pi-000004", "proxycommand").empty());
  CHECK(ssh_resolved(conf, "pi-000007", "hostname") == "10.0.0.6");
}

TEST_CASE("Every device whose agent reports is listed, reached by IPv4, else IPv6, else its hostname") {
  const Inventory inv = fleet_without_ipv4();
  const auto hosts = list_fleet_hosts(inv, {});
  REQUIRE(aliases(hosts) == std::vector<std::string>{"natted", "other-site", "pi-000004", "pi-00000a", "v6only"});
  CHECK(hosts[0].address == "natted");  // its 192.168.1.20 is another Pi's now: the name is all there is
  CHECK_FALSE(hosts[0].ip);
  CHECK(hosts[1].address == "192.168.1.20");
  CHECK(hosts[2].address.empty());  // only a link-local address and an unusable hostname
  CHECK(hosts[3].address == "10.0.0.9");
  CHECK_FALSE(hosts[3].managed());
  CHECK(hosts[4].address == "2001:db8::21");
  CHECK(hosts[4].managed());

  test::TempDir dir;
  const auto conf = (dir / "pifind.conf").string();
  write_file_atomically(conf, render_ssh_config(hosts, {"pi", "", ""}), 0600);
  CHECK(ssh_resolved(conf, "v6only", "hostname") == "2001:db8::21");
  CHECK(ssh_resolved(conf, "natted", "hostname") == "natted");
  CHECK_THAT(read_whole_file(conf), Contains("\n# pi-000004 (dc:a6:32:00:00:04): no address known\n"));
  CHECK_FALSE(read_whole_file(conf).find("Host pi-000004") != std::string::npos);
  write_inventory_file(dir / "fleet.json", inv, test::at(30));
  const auto written = test::run_process(
      {test::fleet_cli(), "ssh-config", "--inventory", (dir / "fleet.json").string(), "--write", conf});
  CHECK(written.exit_status == 0);
  CHECK(written.err == "pifind ssh-config: wrote 4 hosts to " + conf + "; 1 with no known address are comments\n");

  const auto json = nlohmann::json::parse(render_hosts_json(hosts));
  CHECK(json[4]["ip"].is_null());
  CHECK(json[4]["ipv6"] == nlohmann::json::array({"2001:db8::21"}));
  CHECK(json[2]["ipv6"] == nlohmann::json::array({"fe80::4"}));
  CHECK(json[4]["managed"] == true);
  CHECK(json[3]["managed"] == false);
  const auto csv = render_hosts_csv(hosts);
  CHECK_THAT(csv, Contains(",2001:db8::21,true\r\n"));
  CHECK_THAT(csv, Contains("\r\npi-00000a,10.0.0.9,"));

  const auto yaml = (dir / "hosts.yml").string();
  write_file_atomically(yaml, render_ansible_yaml(hosts, {}), 0644);
  const auto r = test::run_process({"ansible-inventory", "-i", yaml, "--list"});
  INFO(r.err);
  REQUIRE(r.exit_status == 0);
  const auto list = nlohmann::json::parse(r.out);
  const auto& vars = list.at("_meta").at("hostvars");
  CHECK(vars.at("v6only").at("ansible_host") == "2001:db8::21");
  CHECK(vars.at("v6only").at("pifind_ipv6") == nlohmann::json::array({"2001:db8::21"}));
  CHECK(vars.at("v6only").at("pifind_managed") == true);
  CHECK(vars.at("natted").at("ansible_host") == "natted");
  CHECK_FALSE(vars.at("pi-000004").contains("ansible_host"));
  CHECK(vars.at("pi-00000a").at("pifind_managed") == false);
  CHECK(list.at("raspberry_pis").at("hosts").size() == 5);
}

TEST_CASE("ssh-config refuses a user or identity file that could inject options") {
  const Inventory inv = hostile_fleet();
  const auto hosts = list_fleet_hosts(inv, {});
  CHECK_THROWS_WITH(render_ssh_config(hosts, {"pi\n  ProxyCommand x", "", ""}), Contains("may only contain"));
  CHECK_THROWS_WITH(render_ssh_config(hosts, {"pi", "key\"\n  ProxyCommand x", ""}), Contains("must not contain"));
  test::TempDir dir;
  const auto r = test::run_process({test::fleet_cli(), "ssh-config", "--inventory", (dir / "none.json").string()});
  CHECK(r.exit_status == 2);
  CHECK_THAT(r.err, Contains("no such inventory file"));
}

TEST_CASE("CSV export quotes RFC 4180 style and defuses spreadsheet formulas") {
  Inventory inv = hostile_fleet();
  const auto csv = render_hosts_csv(list_fleet_hosts(inv, {}));
  CHECK(csv.rfind("name,ip,mac,hostname,vendor,model,serial,raspberry_pi,drift_ppm,drift_uncertainty_ppm,last_seen,"
                  "name_source,site,ipv6,managed\r\n",
                  0) == 0);
  CHECK_THAT(csv, Contains("kitchen,10.0.0.1,b8:27:eb:00:00:01,kitchen,Raspberry Pi Foundation,"
                           "\"Raspberry Pi 4 \"\"B\"\"\nansible_become: yes\",,true,-12.5,0.4,2026-11-01T00:00:00Z,agent,,,false\r\n"));
  CHECK_THAT(csv, Contains(",'-oProxyCommand=sh,"));
  const auto json = nlohmann::json::parse(render_hosts_json(list_fleet_hosts(inv, {})));
  REQUIRE(json.size() == 7);
  CHECK(json[0]["name"] == "kitchen");
  CHECK(json[0]["drift_ppm"] == -12.5);
  CHECK(json[1]["drift_ppm"].is_null());
}

TEST_CASE("ansible-inventory reads the INI, YAML and dynamic exports alike") {
  test::TempDir dir;
  const auto fleet = (dir / "fleet.json").string();
  write_inventory_file(fleet, hostile_fleet(), test::at(0));
  const auto ini = (dir / "hosts.ini").string(), yaml = (dir / "hosts.yml").string();
  for (const auto& [format, path] : {std::pair{"ansible-ini", ini}, std::pair{"ansible-yaml", yaml}}) {
    const auto r = test::run_process(
        {test::fleet_cli(), "export", "--inventory", fleet, "--all", "--user", "pi", "--format", format, "-o", path});
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
  }
  const auto script = dir / "pifind-inventory";
  test::write_text(script, "#!/bin/sh\nexec " + test::fleet_cli() + " export --inventory " + fleet + " --all --user pi \"$@\"\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);

  for (const std::string& source : {ini, yaml, script.string()}) {
    INFO(source);
    const auto r = test::run_process({"ansible-inventory", "-i", source, "--list"});
    INFO(r.err);
    REQUIRE(r.exit_status == 0);
    CHECK_FALSE(r.err.find("WARNING") != std::string::npos);
    const auto list = nlohmann::json::parse(r.out);
    const auto& pis = list.at("raspberry_pis").at("hosts");
    CHECK(pis.size() == 7);
    CHECK(list.at("_meta").at("hostvars").at("true").at("ansible_host") == "10.0.0.8");
    CHECK(list.at("other_hosts").at("hosts") == nlohmann::json::array({"pi-334455"}));
    const auto& kitchen = list.at("_meta").at("hostvars").at("kitchen");
    CHECK(kitchen.at("ansible_host") == "10.0.0.1");
    CHECK(kitchen.at("ansible_user") == "pi");
    CHECK(kitchen.at("pifind_drift_ppm") == -12.5);
    CHECK_FALSE(kitchen.contains("ansible_become"));
    CHECK(list.at("_meta").at("hostvars").at("pi-000003").at("ansible_host") == "10.0.0.3");
  }
  const auto host = test::run_process({test::fleet_cli(), "export", "--inventory", fleet, "--host", "kitchen"});
  CHECK(nlohmann::json::parse(host.out).at("pifind_model") == "Raspberry Pi 4 \"B\"\nansible_become: yes");
  const auto unknown = test::run_process({test::fleet_cli(), "export", "--inventory", fleet, "--host", "nobody"});
  CHECK(unknown.out == "{}\n");
  const auto bad = test::run_process({test::fleet_cli(), "export", "--inventory", fleet, "--format", "xml"});
  CHECK(bad.exit_status == 2);
}

TEST_CASE("Aliases come from the name with its precedence: agent hostname, then a scan's mDNS or DNS name") {
  Inventory inv;
  auto named = [](const char* mac, const char* ip, const char* name, NameOrigin origin) {
    ScanSighting s = test::sighting(mac, ip, 0);
    s.name = name;
    s.name_origin = origin;
    return s;
  };
  // Two fresh Pis both call themselves raspberrypi; one has a reverse DNS name only; one a hostile name.
  merge_scan(inv,
             {named("b8:27:eb:00:00:01", "10.0.0.1", "raspberrypi.local", NameOrigin::kMdns),
              named("b8:27:eb:00:00:02", "10.0.0.2", "raspberrypi.local", NameOrigin::kMdns),
              named("b8:27:eb:00:00:03", "10.0.0.3", "pi3.lab.example.org", NameOrigin::kDns),
              named("b8:27:eb:00:00:04", "10.0.0.4", "a b.local", NameOrigin::kMdns)},
             "eth0", "berlin");
  merge_scan(inv, {named("b8:27:eb:00:00:05", "10.1.0.5", "raspberrypi.local", NameOrigin::kMdns)}, "eth0", "paris");
  CHECK(aliases(list_fleet_hosts(inv, {})) ==
        std::vector<std::string>{"pi-000004", "pi3", "raspberrypi", "raspberrypi-000002", "raspberrypi-000005"});
  // The agent's hostname wins over the mDNS name: the device's stored alias moves to it.
  REQUIRE(merge_report(inv, test::pi_report(*MacAddress::parse("b8:27:eb:00:00:02"), 1, "kitchen", "10.0.0.2/24", 1),
                       test::at(10))
              .accepted());
  CHECK(aliases(list_fleet_hosts(inv, {})) ==
        std::vector<std::string>{"kitchen", "pi-000004", "pi3", "raspberrypi", "raspberrypi-000005"});
  // A site filter lists fewer devices under the same aliases.
  CHECK(aliases(list_fleet_hosts(inv, {"", false, "paris"})) == std::vector<std::string>{"raspberrypi-000005"});
  CHECK(aliases(list_fleet_hosts(inv, {"", false, "berlin"})).size() == 4);
  CHECK(list_fleet_hosts(inv, {"", false, "nowhere"}).empty());
}

TEST_CASE("Sites become Ansible groups, host variables and a filter, and a name's source travels with it") {
  Inventory inv;
  merge_scan(inv, {test::sighting("b8:27:eb:00:00:01", "10.0.0.1", 0), test::sighting("b8:27:eb:00:00:02", "10.0.0.2", 0)},
             "eth0", "berlin");
  ScanSighting named = test::sighting("b8:27:eb:00:00:03", "10.1.0.3", 0);
  named.name = "pi-c.local";
  named.name_origin = NameOrigin::kMdns;
  merge_scan(inv, {named}, "eth0", "paris.hall-2");
  const auto hosts = list_fleet_hosts(inv, {});
  REQUIRE(hosts.size() == 3);
  CHECK(ansible_site_group("paris.hall-2") == "site_paris_hall_2");

  const std::string ini = render_ansible_ini(hosts, {});
  CHECK_THAT(ini, Contains("\n[site_berlin]\npi-000001\npi-000002\n"));
  CHECK_THAT(ini, Contains("\n[site_paris_hall_2]\npi-c\n"));
  const auto list = ansible_dynamic_list(hosts, {});
  CHECK(list["site_berlin"]["hosts"] == nlohmann::json({"pi-000001", "pi-000002"}));
  CHECK(list["all"]["children"] == nlohmann::json({"raspberry_pis", "site_berlin", "site_paris_hall_2"}));
  CHECK(list["_meta"]["hostvars"]["pi-c"]["pifind_site"] == "paris.hall-2");
  CHECK(list["_meta"]["hostvars"]["pi-c"]["pifind_hostname"] == "pi-c.local");
  CHECK(list["_meta"]["hostvars"]["pi-c"]["pifind_name_source"] == "mdns");
  CHECK_FALSE(list["_meta"]["hostvars"]["pi-000001"].contains("pifind_hostname"));

  const auto json = nlohmann::json::parse(render_hosts_json(hosts));
  CHECK(json[2]["site"] == "paris.hall-2");
  CHECK(json[2]["hostname"] == "pi-c.local");
  CHECK(json[2]["name_source"] == "mdns");
  CHECK(json[0]["name_source"].is_null());

  test::TempDir dir;
  const auto file = dir / "fleet.json";
  write_inventory_file(file, inv, test::at(0));
  // ansible-inventory itself reads the groups the YAML and the dynamic inventory give.
  const std::string yaml = render_ansible_yaml(hosts, {});
  test::write_text(dir / "hosts.yml", yaml);
  const auto graph = test::run_process({"ansible-inventory", "-i", (dir / "hosts.yml").string(), "--graph", "site_berlin"});
  INFO(graph.err);
  CHECK(graph.exit_status == 0);
  CHECK_THAT(graph.out, Contains("@site_berlin:") && Contains("|--pi-000001") && Contains("|--pi-000002"));
  CHECK(graph.out.find("pi-c") == std::string::npos);

  // --site filters ssh-config and export the same way; the aliases do not change.
  const auto only_paris = test::run_process({test::fleet_cli(), "export", "--inventory", file.string(), "--format", "csv",
                                             "--site", "paris.hall-2"});
  CHECK(only_paris.exit_status == 0);
  CHECK(std::count(only_paris.out.begin(), only_paris.out.end(), '\n') == 2);
  CHECK_THAT(only_paris.out, Contains("pi-c,10.1.0.3,"));
  const auto ssh = test::run_process({test::fleet_cli(), "ssh-config", "--inventory", file.string(), "--site", "berlin"});
  CHECK_THAT(ssh.out, Contains("Host pi-000001\n") && Contains("Host pi-000002\n"));
  CHECK(ssh.out.find("Host pi-c") == std::string::npos);
  const auto none = test::run_process({test::fleet_cli(), "ssh-config", "--inventory", file.string(), "--site", "tokyo"});
  CHECK(none.exit_status == 1);
}
