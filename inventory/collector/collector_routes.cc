#include "inventory/collector/collector_routes.h"

#include "inventory/collector/dashboard_page.h"
#include "inventory/collector/metrics.h"
#include "inventory/store/inventory_json.h"

namespace pifind {
namespace {

namespace http = boost::beast::http;

HttpResponse body_response(const HttpRequest& request, const char* content_type, std::string body) {
  HttpResponse response{http::status::ok, request.version()};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

std::string header_value(const HttpRequest& request, std::string_view name) {
  const auto it = request.find(boost::beast::string_view(name.data(), name.size()));
  return it == request.end() ? std::string() : std::string(it->value());
}

// A report (sender header X-Pifind-Agent) or a scan (X-Pifind-Scanner) handed to the collector.
void handle_signed(Collector& collector, const HttpRequest& request, const std::function<void(HttpResponse)>& reply,
                   bool scan) {
  const SignedHeaders headers{header_value(request, scan ? kScannerHeader : kAgentHeader),
                              header_value(request, kCounterHeader), header_value(request, kSignatureHeader),
                              header_value(request, kDeviceKeyHeader), header_value(request, kDeviceSignatureHeader)};
  const unsigned version = request.version();
  auto answer = [reply, version](ReportOutcome outcome) {
    if (outcome.http_status == 204) {
      HttpResponse response{http::status::no_content, version};
      return reply(std::move(response));
    }
    auto response = text_response(version, static_cast<http::status>(outcome.http_status), outcome.reason);
    if (outcome.last_counter)
      response.set(boost::beast::string_view(kLastCounterHeader.data(), kLastCounterHeader.size()),
                   std::to_string(*outcome.last_counter));
    reply(std::move(response));
  };
  if (scan)
    collector.submit_scan(headers, request.body(), std::move(answer));
  else
    collector.submit(headers, request.body(), std::move(answer));
}

}  // namespace

HttpLimits collector_http_limits() {
  HttpLimits limits;
  limits.max_body_bytes = kMaxReportBytes;
  limits.path_body_limits = {{std::string(kScansPath), kMaxScanBytes}};
  return limits;
}

HttpHandler make_collector_handler(Collector& collector, RouteOptions options) {
  return [&collector, options](const HttpRequest& request, std::function<void(HttpResponse)> reply) {
    try {
      const std::string_view target(request.target().data(), request.target().size());
      const std::string_view path = target.substr(0, target.find('?'));
      const bool get = request.method() == http::verb::get || request.method() == http::verb::head;
      auto wrong_method = [&](const char* allowed) {
        auto response = text_response(request.version(), http::status::method_not_allowed,
                                      std::string("use ") + allowed + " for " + std::string(path));
        response.set(http::field::allow, allowed);
        reply(std::move(response));
      };
      const bool read_path = path == "/" || path == "/v1/inventory" || path == "/v1/audit" || path == "/metrics";
      const bool signed_path = path == kReportsPath || path == kScansPath;
      if ((signed_path && !options.reports) || (read_path && !options.reads) ||
          (!signed_path && !read_path && path != "/healthz"))
        return reply(text_response(request.version(), http::status::not_found, "no such resource"));
      if (signed_path) {
        if (request.method() != http::verb::post) return wrong_method("POST");
        return handle_signed(collector, request, reply, path == kScansPath);
      }
      if (!get) return wrong_method("GET");
      if (path == "/healthz") return reply(body_response(request, "text/plain; charset=utf-8", "ok\n"));
      if (options.access && !options.access->allows(path, header_value(request, "Authorization"))) {
        auto response = text_response(request.version(), http::status::unauthorized, "credentials required");
        response.set(http::field::www_authenticate, options.access->challenge());
        return reply(std::move(response));
      }
      const auto now = std::chrono::system_clock::now();
      std::string body;
      if (path == "/metrics") {
        const CollectorStats stats = collector.stats();
        collector.with_inventory(
            [&](const Inventory& inv) { body = render_metrics(inv, stats, now, options.metrics_per_host); });
        return reply(body_response(request, "text/plain; version=0.0.4; charset=utf-8", std::move(body)));
      }
      if (path == "/v1/inventory") {
        collector.with_inventory([&](const Inventory& inv) { body = inventory_to_text(inv, now); });
        return reply(body_response(request, "application/json", std::move(body)));
      }
      if (path == "/v1/audit") {
        collector.with_inventory([&](const Inventory& inv) { body = audit_to_json(audit_fleet(inv, options.thresholds, now)).dump(); });
        return reply(body_response(request, "application/json", std::move(body)));
      }
      collector.with_inventory(
          [&](const Inventory& inv) { body = render_dashboard_page(audit_fleet(inv, options.thresholds, now)); });
      return reply(body_response(request, "text/html; charset=utf-8", std::move(body)));
    } catch (const std::exception& e) {
      reply(text_response(request.version(), http::status::internal_server_error, e.what()));
    }
  };
}

}  // namespace pifind
