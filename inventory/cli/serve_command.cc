#include "inventory/cli/serve_command.h"

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <iostream>

#include "inventory/cli/command_line.h"
#include "inventory/collector/collector.h"
#include "inventory/collector/collector_routes.h"
#include "inventory/collector/http_server.h"

namespace pifind {
namespace {

// Descriptors kept for everything but client connections: stdio, the listening socket, the inventory's
// lock, temporary file and directory during a commit, TLS and resolver internals.
constexpr rlim_t kReservedDescriptors = 32;

// Raises the soft RLIMIT_NOFILE to the hard one and returns how many connections the rest allows.
std::size_t connection_budget() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  return limit.rlim_cur > kReservedDescriptors * 2 ? static_cast<std::size_t>(limit.rlim_cur - kReservedDescriptors)
                                                  : static_cast<std::size_t>(limit.rlim_cur / 2);
}

// One write per line: the writer thread and the io thread both log.
void log_line(const std::string& line) { std::cerr << ("pifind serve: " + line + "\n") << std::flush; }

}  // namespace

int run_serve_command(int argc, char** argv) {
  CLI::App app{"Collect signed agent reports into the inventory and serve it over HTTP", "pifind serve"};
  std::string file = default_inventory_path();
  std::string listen = "127.0.0.1:9477";
  std::string key_file, tls_cert, tls_key, stale = "1h";
  HttpLimits limits = collector_http_limits();
  AuditThresholds thresholds;
  app.add_option("--inventory", file, "Inventory file ($PIFIND_INVENTORY)")->capture_default_str();
  app.add_option("--listen", listen, "ADDR:PORT to listen on")->capture_default_str();
  app.add_option("--key-file", key_file, "Fleet key file (mode 0600) shared with the agents")->required();
  auto* cert = app.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve HTTPS");
  auto* key = app.add_option("--tls-key", tls_key, "PEM private key for --tls-cert");
  cert->needs(key);
  key->needs(cert);
  auto* max_connections =
      app.add_option("--max-connections", limits.max_connections,
                     "Concurrent connections; at the cap a newcomer displaces the longest-idle one (default: 4096, "
                     "or fewer if the file descriptor limit does not allow them)")
          ->check(CLI::PositiveNumber);
  std::string request_timeout = "10s";
  app.add_option("--request-timeout", request_timeout,
                 "Longest a client may take to send one request (or to start its next), and to read a reply")
      ->check(duration_validator())
      ->capture_default_str();
  app.add_option("--max-ppm", thresholds.max_ppm, "Dashboard audit: largest acceptable |drift|, ppm")
      ->capture_default_str();
  app.add_option("--max-uncertainty", thresholds.max_uncertainty_ppm, "Dashboard audit: largest uncertainty, ppm")
      ->capture_default_str();
  app.add_option("--stale", stale, "Dashboard audit: report age that fails")->check(duration_validator());
  app.add_flag("--require-agent", thresholds.require_agent, "Dashboard audit: fail the Pis without an agent");
  std::string compact_after = "60s";
  app.add_option("--compact-after", compact_after,
                 "Fold the journal into the inventory file once its oldest change is this old (0s: at once); "
                 "the file alone is at most this much (plus one compaction) behind")
      ->check(duration_validator(true))
      ->capture_default_str();
  std::string read_token_file, read_users_file, read_listen;
  bool metrics_public = false, no_metrics_hosts = false;
  app.add_option("--read-token-file", read_token_file,
                 "Reads (/, /v1/inventory, /v1/audit, /metrics) need `Authorization: Bearer <the token in this file>` (mode 0600)");
  app.add_option("--read-users", read_users_file,
                 "Reads need HTTP basic auth against this file of user:crypt-hash lines (mode 0600; `openssl passwd -6`)");
  app.add_option("--read-listen", read_listen,
                 "ADDR:PORT serving the reads; --listen then takes reports (and /healthz) only");
  app.add_flag("--metrics-public", metrics_public, "Serve /metrics without credentials even when reads need them");
  app.add_flag("--no-metrics-hosts", no_metrics_hosts,
               "Leave the per-host series (labels host and mac) out of /metrics");
  std::string enroll = "first-use";
  app.add_option("--enroll", enroll,
                 "How device keys are pinned: first-use (the first signed report pins its key) or manual "
                 "(only keys approved with `pifind keys approve`)")
      ->check(CLI::IsMember({"first-use", "manual"}))
      ->capture_default_str();
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  thresholds.stale = *parse_duration(stale);
  CompactionPolicy compaction;
  compaction.after = *parse_duration(compact_after, true);
  limits.io_timeout = std::max(std::chrono::seconds(1), *parse_duration(request_timeout));

  return run_reporting_errors("pifind serve", [&] {
    const FleetKey fleet_key = FleetKey::load(key_file);
    const auto endpoint = parse_listen_address(listen);
    const auto read_endpoint =
        read_listen.empty() ? std::nullopt : std::optional(parse_listen_address(read_listen));
    const auto optional_path = [](const std::string& p) {
      return p.empty() ? std::nullopt : std::optional<std::filesystem::path>(p);
    };
    const ReadAccess access(optional_path(read_token_file), optional_path(read_users_file), metrics_public);
    auto tls = tls_cert.empty() ? nullptr : make_tls_context(tls_cert, tls_key);
    const std::size_t budget = connection_budget();
    if (max_connections->count() == 0) {
      limits.max_connections = std::min(limits.max_connections, budget);
    } else if (limits.max_connections > budget) {
      log_line("--max-connections " + std::to_string(limits.max_connections) + " is more than the file descriptor " +
               "limit leaves room for (" + std::to_string(budget) + "); idle connections will be dropped when they run out");
    }
    CollectorOptions options{enroll == "manual" ? EnrollMode::kManual : EnrollMode::kFirstUse, compaction};
    Collector collector(file, fleet_key, options);
    collector.set_log(log_line);
    boost::asio::io_context io;
    // After io: its renders post their replies there, so it goes first.
    CollectorRoutes routes(collector, RouteOptions{thresholds, &access, true, !read_endpoint, !no_metrics_hosts});
    HttpServer server(io, endpoint, routes.handler(), limits, tls, log_line);
    std::unique_ptr<HttpServer> read_server;
    if (read_endpoint)
      read_server =
          std::make_unique<HttpServer>(io, *read_endpoint, routes.handler(false, true), limits, tls, log_line);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      server.stop();
      if (read_server) read_server->stop();
      collector.stop();  // commits and answers everything already queued
      io.stop();
    });
    collector.start();
    server.start();
    if (read_server) read_server->start();
    std::cerr << "pifind serve: " << (tls ? "https" : "http") << "://" << endpoint.address().to_string() << ":"
              << server.port() << " inventory " << file << " max-connections " << limits.max_connections;
    if (read_server)
      std::cerr << " reads " << (tls ? "https" : "http") << "://" << read_endpoint->address().to_string() << ":"
                << read_server->port();
    if (access.protects()) std::cerr << " (reads need credentials)";
    std::cerr << std::endl;
    io.run();
    return 0;
  });
}

}  // namespace pifind
