#include "inventory/serve_command.h"

#include <csignal>
#include <iostream>

#include "inventory/collector.h"
#include "inventory/collector_routes.h"
#include "inventory/command_line.h"
#include "inventory/http_server.h"

namespace pifind {

int run_serve_command(int argc, char** argv) {
  CLI::App app{"Collect signed agent reports into the inventory and serve it over HTTP", "pifind serve"};
  std::string file = default_inventory_path();
  std::string listen = "127.0.0.1:9477";
  std::string key_file, tls_cert, tls_key, stale = "1h";
  HttpLimits limits;
  AuditThresholds thresholds;
  app.add_option("--inventory", file, "Inventory file ($PIFIND_INVENTORY)")->capture_default_str();
  app.add_option("--listen", listen, "ADDR:PORT to listen on")->capture_default_str();
  app.add_option("--key-file", key_file, "Fleet key file (mode 0600) shared with the agents")->required();
  auto* cert = app.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve HTTPS");
  auto* key = app.add_option("--tls-key", tls_key, "PEM private key for --tls-cert");
  cert->needs(key);
  key->needs(cert);
  app.add_option("--max-connections", limits.max_connections, "Concurrent connections before answering 503")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--max-ppm", thresholds.max_ppm, "Dashboard audit: largest acceptable |drift|, ppm")
      ->capture_default_str();
  app.add_option("--max-uncertainty", thresholds.max_uncertainty_ppm, "Dashboard audit: largest uncertainty, ppm")
      ->capture_default_str();
  app.add_option("--stale", stale, "Dashboard audit: report age that fails")->check(duration_validator());
  if (auto status = parse_command_line(app, argc, argv)) return *status;
  thresholds.stale = *parse_duration(stale);

  return run_reporting_errors("pifind serve", [&] {
    const FleetKey fleet_key = FleetKey::load(key_file);
    const auto endpoint = parse_listen_address(listen);
    auto tls = tls_cert.empty() ? nullptr : make_tls_context(tls_cert, tls_key);
    Collector collector(file, fleet_key);
    boost::asio::io_context io;
    HttpServer server(io, endpoint, make_collector_handler(collector, thresholds), limits, tls);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      server.stop();
      collector.stop();  // commits and answers everything already queued
      io.stop();
    });
    collector.start();
    server.start();
    std::cerr << "pifind serve: " << (tls ? "https" : "http") << "://" << endpoint.address().to_string() << ":"
              << server.port() << " inventory " << file << '\n';
    io.run();
    return 0;
  });
}

}  // namespace pifind
